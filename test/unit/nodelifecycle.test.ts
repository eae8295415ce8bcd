// Node lifecycle: toleration matching, DefaultTolerationSeconds, the health
// monitor (Unknown after the grace period, taints, pods marked not ready,
// recovery) and taint-based eviction, on an in-process API server with a
// fake clock where time matters. Cases follow upstream's documented
// behaviour: "Taints and Tolerations" (taint-based evictions) and "Node
// status" / "Heartbeats" in the Kubernetes docs, and the node lifecycle
// controller's monitorNodeHealth.
import { describe, it, expect, afterEach } from "vitest";
import { until, withNamespaces } from "../support/fixtures.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject, Lease, Node, Pod, Stored } from "../../src/api/types.js";
import { evictionDelayMs, toleratesTaint, untoleratedTaints, type Taint } from "../../src/controllers/nodelifecycle/taints.js";
import { defaultTolerations, DefaultTolerationSeconds } from "../../src/controllers/nodelifecycle/default-tolerations.js";
import { NodeLifecycleController, reconcileConditionTaints, unknownConditions } from "../../src/controllers/nodelifecycle/monitor.js";
import { TaintEvictionController } from "../../src/controllers/nodelifecycle/eviction.js";
import { chooseNode } from "../../src/controllers/scheduler.js";

const NODES = resourceByKind("Node")!;
const PODS = resourceByKind("Pod")!;
const LEASES = resourceByKind("Lease")!;
const NAMESPACES = resourceByKind("Namespace")!;

const unreachable = (effect = "NoExecute"): Taint => ({ key: "node.kubernetes.io/unreachable", effect });
const podWith = (tolerations: unknown[]): Pod => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [], tolerations } }) as unknown as Pod;
const nodeWith = (taints: Taint[]): Node => ({ apiVersion: "v1", kind: "Node", metadata: { name: "n" }, spec: { taints } }) as unknown as Node;

describe("toleration matching (core/v1 Toleration.ToleratesTaint)", () => {
  it("matches key, value and effect; Exists ignores the value; an empty key with Exists matches everything", () => {
    expect(toleratesTaint({ key: "a", operator: "Equal", value: "1", effect: "NoSchedule" }, { key: "a", value: "1", effect: "NoSchedule" })).toBe(true);
    expect(toleratesTaint({ key: "a", value: "1" }, { key: "a", value: "2", effect: "NoSchedule" })).toBe(false);
    expect(toleratesTaint({ key: "a", operator: "Exists" }, { key: "a", value: "2", effect: "NoExecute" })).toBe(true);
    expect(toleratesTaint({ key: "a", operator: "Exists", effect: "NoSchedule" }, { key: "a", effect: "NoExecute" })).toBe(false);
    expect(toleratesTaint({ operator: "Exists" }, { key: "anything", value: "x", effect: "NoExecute" })).toBe(true);
    expect(toleratesTaint({ key: "b", operator: "Exists" }, { key: "a", effect: "NoExecute" })).toBe(false);
  });

  it("eviction delay: now when a NoExecute taint is not tolerated, the smallest tolerationSeconds, never without one", () => {
    const tainted = nodeWith([unreachable(), { key: "x", effect: "NoSchedule" }]);
    expect(evictionDelayMs(podWith([]), tainted)).toBe(0);
    expect(evictionDelayMs(podWith([{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }, { operator: "Exists", tolerationSeconds: 30 }]), tainted)).toBe(30_000);
    expect(evictionDelayMs(podWith([{ key: "node.kubernetes.io/unreachable", operator: "Exists" }]), tainted)).toBe("never");
    expect(evictionDelayMs(podWith([{ operator: "Exists", effect: "NoExecute", tolerationSeconds: -5 }]), tainted)).toBe(0);
    expect(evictionDelayMs(podWith([]), nodeWith([{ key: "x", effect: "NoSchedule" }]))).toBeUndefined();
  });

  it("the scheduler names the untolerated taint as upstream's TaintToleration filter does", () => {
    const now = "2026-01-01T00:00:00Z";
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: "node-1", uid: "u", resourceVersion: "1", creationTimestamp: now }, spec: { taints: [unreachable("NoSchedule")] }, status: { conditions: [{ type: "Ready", status: "True" }] } } as Stored<Node>;
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default", uid: "p", resourceVersion: "1", creationTimestamp: now }, spec: { containers: [] } } as unknown as Stored<Pod>;
    expect(chooseNode(pod, [node], [])).toEqual({ message: "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }." });
    expect(untoleratedTaints({ ...pod, spec: { containers: [], tolerations: [{ operator: "Exists" }] } } as Pod, node)).toEqual([]);
    expect("node" in chooseNode({ ...pod, spec: { containers: [], tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists" }] } } as Stored<Pod>, [node], [])).toBe(true);
  });
});

describe("DefaultTolerationSeconds admission", () => {
  it("adds 300 s not-ready and unreachable NoExecute tolerations unless the pod already tolerates them", () => {
    expect(defaultTolerations([], 300, 300)).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ]);
    expect(defaultTolerations([{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 }], 300, 300)).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ]);
    // A toleration with no key and no effect tolerates every taint: nothing to add.
    expect(defaultTolerations([{ operator: "Exists" }], 300, 300)).toEqual([]);
  });

  it("mutates pods on create through the API server, and only pods", () => {
    const api = withNamespaces();
    api.addAdmission(new DefaultTolerationSeconds(300, 60));
    const pod = api.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x" }] } }) as Stored<Pod>;
    expect(pod.spec.tolerations).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 60 },
    ]);
  });
});

describe("node health monitor", () => {
  let stopAll: (() => void)[] = [];
  afterEach(() => {
    stopAll.forEach((s) => s());
    stopAll = [];
  });

  const conditionsAt = (heartbeat: string) =>
    ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"].map((type) => ({
      type,
      status: type === "Ready" ? "True" : "False",
      reason: type === "Ready" ? "KubeletReady" : "KubeletHasSufficientMemory",
      lastHeartbeatTime: heartbeat,
      lastTransitionTime: "2026-01-01T00:00:00Z",
    }));

  function cluster() {
    let clock = 1_000_000;
    const api = withNamespaces();
    api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-node-lease" } });
    api.create(NODES, { apiVersion: "v1", kind: "Node", metadata: { name: "node-1" }, spec: {}, status: { conditions: conditionsAt("2026-01-01T00:00:00Z") } });
    api.create(LEASES, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "node-1", namespace: "kube-node-lease" }, spec: { holderIdentity: "node-1", leaseDurationSeconds: 40, renewTime: "2026-01-01T00:00:00.000000Z" } });
    const pod = api.create(PODS, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web" },
      spec: { nodeName: "node-1", containers: [{ name: "c", image: "x" }] },
    });
    api.update(PODS, { ...pod, status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, "default", { subresource: "status" });
    const monitor = new NodeLifecycleController(api, { monitorPeriodMs: 60_000, gracePeriodMs: 40_000, now: () => clock });
    monitor.start();
    stopAll.push(() => monitor.stop());
    const renew = (at: string) => {
      const lease = api.get(LEASES, "kube-node-lease", "node-1") as Stored<Lease>;
      api.update(LEASES, { ...lease, spec: { ...lease.spec, renewTime: at } });
    };
    const poke = () => api.update(NODES, api.get(NODES, undefined, "node-1")); // any event makes the monitor look again
    return { api, tick: (ms: number) => (clock += ms), renew, poke };
  }
  const node = (api: ApiServer) => api.get(NODES, undefined, "node-1") as Stored<Node>;
  const ready = (api: ApiServer) => node(api).status!.conditions!.find((c) => c.type === "Ready")!;
  const podReady = (api: ApiServer) => (api.get(PODS, "default", "web") as Stored<Pod>).status!.conditions!.find((c) => c.type === "Ready")!.status;

  it("keeps a node whose lease is renewed Ready, however old its status heartbeat", async () => {
    const { api, tick, renew, poke } = cluster();
    for (let i = 1; i <= 6; i++) {
      tick(10_000);
      renew(`2026-01-01T00:00:${10 * i}.000000Z`);
    }
    poke();
    await new Promise((r) => setTimeout(r, 20));
    expect(ready(api).status).toBe("True");
    expect(node(api).spec?.taints).toBeUndefined();
  });

  it("turns every condition Unknown after the grace period without a heartbeat, taints the node unreachable and marks its pods not Ready", async () => {
    const { api, tick, poke } = cluster();
    await new Promise((r) => setTimeout(r, 10));
    tick(39_000);
    poke();
    await new Promise((r) => setTimeout(r, 20));
    expect(ready(api).status).toBe("True");
    tick(2_000);
    poke();
    await until(() => expect(ready(api).status).toBe("Unknown"));
    expect(node(api).status!.conditions!.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ["Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."],
      ["MemoryPressure", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."],
      ["DiskPressure", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."],
      ["PIDPressure", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."],
    ]);
    expect(ready(api).lastHeartbeatTime).toBe("2026-01-01T00:00:00Z");
    await until(() => expect(node(api).spec?.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual(["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"]));
    expect(node(api).spec!.taints![1]!.timeAdded).toMatch(/^\d{4}-/);
    await until(() => expect(podReady(api)).toBe("False"));
  });

  it("removes the taints once the kubelet reports Ready again", async () => {
    const { api, tick, poke } = cluster();
    await new Promise((r) => setTimeout(r, 10));
    tick(41_000);
    poke();
    await until(() => expect(node(api).spec?.taints).toHaveLength(2));
    const back = node(api);
    api.update(NODES, { ...back, status: { ...back.status, conditions: conditionsAt("2026-01-01T00:05:00Z") } }, undefined, { subresource: "status" });
    await until(() => expect(node(api).spec?.taints).toBeUndefined());
    expect(ready(api).status).toBe("True");
  });

  it("pure parts: Unknown conditions keep the heartbeat; condition taints follow Ready", () => {
    expect(unknownConditions([{ type: "Ready", status: "False", reason: "KubeletNotReady", lastHeartbeatTime: "h" }], "now")).toEqual([
      { type: "Ready", status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastHeartbeatTime: "h", lastTransitionTime: "now" },
      { type: "MemoryPressure", status: "Unknown", reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status.", lastHeartbeatTime: "now", lastTransitionTime: "now" },
      { type: "DiskPressure", status: "Unknown", reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status.", lastHeartbeatTime: "now", lastTransitionTime: "now" },
      { type: "PIDPressure", status: "Unknown", reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status.", lastHeartbeatTime: "now", lastTransitionTime: "now" },
    ]);
    const other: Taint = { key: "dedicated", value: "x", effect: "NoSchedule" };
    expect(reconcileConditionTaints([other], "True", "t")).toBeUndefined();
    expect(reconcileConditionTaints([other], "False", "t")).toEqual([
      other,
      { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" },
      { key: "node.kubernetes.io/not-ready", effect: "NoExecute", timeAdded: "t" },
    ]);
    // not-ready becomes unreachable when the status turns Unknown; the user's taint stays.
    expect(reconcileConditionTaints([other, { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }], "Unknown", "t")).toEqual([
      other,
      { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
      { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "t" },
    ]);
    expect(reconcileConditionTaints([other, unreachable()], "True", "t")).toEqual([other]);
  });
});

describe("taint eviction", () => {
  let stopAll: (() => void)[] = [];
  afterEach(() => {
    stopAll.forEach((s) => s());
    stopAll = [];
  });

  function setup(tolerations: unknown[]) {
    const api = withNamespaces();
    api.create(NODES, { apiVersion: "v1", kind: "Node", metadata: { name: "node-1" }, spec: {} });
    const pod = api.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { nodeName: "node-1", terminationGracePeriodSeconds: 0, tolerations, containers: [{ name: "c", image: "x" }] } });
    const eviction = new TaintEvictionController(api);
    eviction.start();
    stopAll.push(() => eviction.stop());
    const taint = () => {
      const n = api.get(NODES, undefined, "node-1") as Stored<KubeObject>;
      api.update(NODES, { ...n, spec: { taints: [{ ...unreachable(), timeAdded: "2026-01-01T00:00:00Z" }] } });
    };
    const untaint = () => {
      const n = api.get(NODES, undefined, "node-1") as Stored<KubeObject>;
      api.update(NODES, { ...n, spec: {} });
    };
    return { api, pod, taint, untaint };
  }
  const exists = (api: ApiServer) => api.tryGet(PODS, "default", "web") !== undefined;

  it("deletes a pod that does not tolerate the NoExecute taint at once", async () => {
    const { api, taint } = setup([]);
    await new Promise((r) => setTimeout(r, 20));
    expect(exists(api)).toBe(true);
    taint();
    await until(() => expect(exists(api)).toBe(false));
  });

  it("deletes a pod that tolerates it for tolerationSeconds when the time is up, with the DisruptionTarget condition", async () => {
    const { api, taint } = setup([{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 1 }]);
    const seen: string[] = [];
    api.watch(PODS, {}, (e) => {
      const c = (e.object as Stored<Pod>).status?.conditions?.find((x) => x.type === "DisruptionTarget");
      if (c) seen.push(`${c.reason}: ${c.message}`);
    });
    const start = Date.now();
    taint();
    await new Promise((r) => setTimeout(r, 500));
    expect(exists(api)).toBe(true);
    await until(() => expect(exists(api)).toBe(false), 3_000);
    expect(Date.now() - start).toBeGreaterThanOrEqual(950);
    expect(seen[0]).toBe("DeletionByTaintManager: Taint manager: deleting due to NoExecute taint");
  });

  it("keeps a pod whose node recovers before the time is up, and one that tolerates the taint without a limit", async () => {
    const limited = setup([{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 1 }]);
    limited.taint();
    await new Promise((r) => setTimeout(r, 300));
    limited.untaint();
    await new Promise((r) => setTimeout(r, 1_200));
    expect(exists(limited.api)).toBe(true);

    const forever = setup([{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" }]);
    forever.taint();
    await new Promise((r) => setTimeout(r, 200));
    expect(exists(forever.api)).toBe(true);
  });
});
