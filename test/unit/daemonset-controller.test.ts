// The DaemonSet controller's decisions (controllers/daemonset.ts), after
// upstream's daemon_controller_test.go and update_test.go cases: which nodes
// run a daemon pod, the pod it makes, the rolling update with and without
// surge, and the status counts; then the controller in process.
import { describe, it, expect, afterEach } from "vitest";
import { resourceByKind } from "../../src/api/resources.js";
import type { DaemonSet, KubeObject, Node, Pod, Stored } from "../../src/api/types.js";
import {
  DaemonSetController,
  DaemonSetTemplateGeneration,
  addDaemonPodTolerations,
  computeDaemonSetStatus,
  daemonSetHash,
  managePlan,
  newDaemonPod,
  nodeShouldRunDaemonPod,
  rollingUpdatePlan,
  targetNodeName,
} from "../../src/controllers/daemonset.js";
import { withNamespaces, until } from "../support/fixtures.js";

const PODS = resourceByKind("Pod")!;
const NODES = resourceByKind("Node")!;
const DS = resourceByKind("DaemonSet")!;
const REVS = resourceByKind("ControllerRevision")!;

const node = (name: string, labels: Record<string, string> = {}, taints: { key: string; effect: string; value?: string }[] = []): Stored<Node> =>
  ({ apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name, ...labels }, uid: name, resourceVersion: "1", creationTimestamp: "2024-01-01T00:00:00Z" }, spec: { taints } }) as Stored<Node>;

const daemonSet = (spec: Record<string, unknown> = {}): Stored<DaemonSet> =>
  ({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent", namespace: "default", uid: "ds-uid", resourceVersion: "1", creationTimestamp: "2024-01-01T00:00:00Z", generation: 1 },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
      ...spec,
    },
  }) as Stored<DaemonSet>;

let seq = 0;
const pod = (nodeName: string, hash: string, ready = true): Stored<Pod> =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `agent-${++seq}`, uid: `p${seq}`, resourceVersion: "1", creationTimestamp: new Date(1_700_000_000_000 + seq * 1000).toISOString(), labels: { app: "agent", "controller-revision-hash": hash } },
    spec: { nodeName, containers: [] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  }) as Stored<Pod>;

describe("which nodes run a daemon pod (NodeShouldRunDaemonPod)", () => {
  it("every node by default, tainted ones only when tolerated", () => {
    const ds = daemonSet();
    expect(nodeShouldRunDaemonPod(node("a"), ds)).toEqual({ shouldRun: true, shouldContinueRunning: true });
    // The controller's own tolerations cover not-ready and unschedulable.
    expect(nodeShouldRunDaemonPod(node("b", {}, [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }]), ds).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node("c", {}, [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }]), ds)).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod(node("d", {}, [{ key: "dedicated", value: "gpu", effect: "NoExecute" }]), ds)).toEqual({ shouldRun: false, shouldContinueRunning: false });
  });

  it("nodeSelector and required node affinity narrow the nodes", () => {
    const bySelector = daemonSet({ template: { metadata: { labels: { app: "agent" } }, spec: { nodeSelector: { disk: "ssd" }, containers: [] } } });
    expect(nodeShouldRunDaemonPod(node("a", { disk: "ssd" }), bySelector).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node("b"), bySelector)).toEqual({ shouldRun: false, shouldContinueRunning: false });
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["z1"] }] }] } } };
    const byAffinity = daemonSet({ template: { metadata: { labels: { app: "agent" } }, spec: { affinity, containers: [] } } });
    expect([node("a", { zone: "z1" }), node("b", { zone: "z2" })].map((n) => nodeShouldRunDaemonPod(n, byAffinity).shouldRun)).toEqual([true, false]);
  });
});

describe("the daemon pod", () => {
  it("gets the controller's tolerations, a node-name affinity, the revision labels and generateName", () => {
    const ds = daemonSet();
    ds.metadata.annotations = { "deprecated.daemonset.template.generation": "2" };
    const p = newDaemonPod(ds, "node-1", "abc") as Pod;
    expect(p.metadata).toMatchObject({ generateName: "agent-", labels: { app: "agent", "controller-revision-hash": "abc", "pod-template-generation": "2" } });
    expect(p.spec.affinity).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["node-1"] }] }] } } });
    expect(p.spec.tolerations).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
      { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
      { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
      { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
      { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
    ]);
    expect(targetNodeName(p)).toBe("node-1");
    expect(addDaemonPodTolerations({ hostNetwork: true, containers: [] }).tolerations).toContainEqual({ key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" });
  });
});

describe("manage and rolling update (pure)", () => {
  it("creates on nodes without a pod, deletes surplus (the oldest stays), failed pods and pods of nodes that are gone", () => {
    const ds = daemonSet();
    const hash = daemonSetHash(ds);
    const [a1, a2] = [pod("a", hash), pod("a", hash)];
    const failed = { ...pod("b", hash), status: { phase: "Failed" } } as Stored<Pod>;
    const orphan = pod("gone", hash);
    const plan = managePlan([node("a"), node("b"), node("c")], ds, new Map([["a", [a1, a2]], ["b", [failed]], ["gone", [orphan]]]), hash);
    expect(plan).toEqual({ createOnNodes: ["b", "c"], deletePods: [a2.metadata.name, failed.metadata.name, orphan.metadata.name] });
  });

  it("without surge replaces up to maxUnavailable old pods, unavailable ones first", () => {
    const ds = daemonSet({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
    const [a, b, c] = [pod("a", "old"), pod("b", "old", false), pod("c", "old")];
    const plan = rollingUpdatePlan(ds, new Map([["a", [a]], ["b", [b]], ["c", [c]]]), () => true, 3, "new", Date.now());
    // b is not available (replaced regardless); then one available old pod.
    expect(plan).toEqual({ deletePods: [b.metadata.name, a.metadata.name], createOnNodes: [] });
    const waiting = rollingUpdatePlan(ds, new Map([["a", [pod("a", "new", false)]], ["b", [pod("b", "old")]]]), () => true, 2, "new", Date.now());
    expect(waiting).toEqual({ deletePods: [], createOnNodes: [] });
  });

  it("with surge starts new pods beside old ones, and removes an old pod once its node's new pod is available", () => {
    const ds = daemonSet({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const [oa, ob] = [pod("a", "old"), pod("b", "old")];
    expect(rollingUpdatePlan(ds, new Map([["a", [oa]], ["b", [ob]]]), () => true, 2, "new", Date.now())).toEqual({ deletePods: [], createOnNodes: ["a"] });
    const plan = rollingUpdatePlan(ds, new Map([["a", [oa, pod("a", "new")]], ["b", [ob]]]), () => true, 2, "new", Date.now());
    expect(plan).toEqual({ deletePods: [oa.metadata.name], createOnNodes: ["b"] });
  });

  it("computes the status each node's oldest pod gives", () => {
    const ds = daemonSet({ template: { metadata: { labels: { app: "agent" } }, spec: { nodeSelector: { run: "yes" }, containers: [] } } });
    const hash = daemonSetHash(ds);
    const nodes = [node("a", { run: "yes" }), node("b", { run: "yes" }), node("c", { run: "yes" }), node("d")];
    const status = computeDaemonSetStatus(ds, nodes, new Map([["a", [pod("a", hash)]], ["b", [pod("b", "old", false)]], ["d", [pod("d", hash)]]]), hash, Date.now());
    expect(status).toEqual({ currentNumberScheduled: 2, numberMisscheduled: 1, desiredNumberScheduled: 3, numberReady: 1, observedGeneration: 1, updatedNumberScheduled: 1, numberAvailable: 1, numberUnavailable: 2 });
  });
});

describe("DaemonSetController in process", () => {
  const running: DaemonSetController[] = [];
  afterEach(() => running.splice(0).forEach((c) => c.stop()));

  it("makes one pod per node, a ControllerRevision, follows a new node and a removed one, and rolls a template change", async () => {
    const api = withNamespaces();
    api.addAdmission(new DaemonSetTemplateGeneration());
    for (const n of ["node-1", "node-2"]) api.create(NODES, { apiVersion: "v1", kind: "Node", metadata: { name: n } });
    const controller = new DaemonSetController(api);
    controller.start();
    running.push(controller);
    const manifest: KubeObject = { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "agent", namespace: "default" }, spec: daemonSet().spec };
    api.create(DS, manifest, "default");
    const pods = () => api.list(PODS, { namespace: "default" }).items as Stored<Pod>[];
    const byNode = () => pods().map((p) => targetNodeName(p)).sort();
    await until(() => expect(byNode()).toEqual(["node-1", "node-2"]));
    const revs = api.list(REVS, { namespace: "default" }).items;
    expect(revs.map((r) => [r.metadata.name, (r as { revision?: number }).revision])).toEqual([[`agent-${pods()[0]!.metadata.labels!["controller-revision-hash"]}`, 1]]);
    await until(() => expect((api.get(DS, "default", "agent").status as Record<string, unknown>)).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 0 }));

    api.create(NODES, { apiVersion: "v1", kind: "Node", metadata: { name: "node-3" } });
    await until(() => expect(byNode()).toEqual(["node-1", "node-2", "node-3"]));
    api.delete(NODES, undefined, "node-3");
    await until(() => expect(pods().filter((p) => !p.metadata.deletionTimestamp).map((p) => targetNodeName(p)).sort()).toEqual(["node-1", "node-2"]));

    // A template change: pods that are not available are replaced at once (no kubelet here makes them ready).
    const ds = api.get(DS, "default", "agent") as Stored<DaemonSet>;
    api.update(DS, { ...ds, spec: { ...ds.spec, template: { ...ds.spec.template, metadata: { labels: { app: "agent", v: "2" } } } } });
    expect(api.get(DS, "default", "agent").metadata.annotations).toEqual({ "deprecated.daemonset.template.generation": "2" });
    await until(() => expect(api.list(REVS, { namespace: "default" }).items.map((r) => (r as { revision?: number }).revision).sort()).toEqual([1, 2]));
    await until(() => expect(pods().filter((p) => !p.metadata.deletionTimestamp && p.metadata.labels?.v === "2").length).toBe(2));
  });
});
