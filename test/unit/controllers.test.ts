import { describe, it, expect, afterEach, vi } from "vitest";
import { until, withNamespaces } from "../support/fixtures.js";
import { newReplicaSetTarget, resolveIntOrPercent, scaleDownOld, surgeAndUnavailable, type RsState } from "../../src/controllers/rollout.js";
import { fnv32a, safeEncode, templateHash, withoutUnset } from "../../src/controllers/hash.js";
import { chooseNode } from "../../src/controllers/scheduler.js";
import { nextFreeSubnet } from "../../src/controllers/nodeipam.js";
import { rankForDeletion } from "../../src/controllers/replicaset.js";
import type { KubeObject, Node, Pod, Stored } from "../../src/api/types.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";
import { GarbageCollector } from "../../src/controllers/garbagecollector.js";

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, uid: `uid-${name}`, resourceVersion: "1", creationTimestamp: "2026-01-01T00:00:00Z", ...extra });

const node = (name: string, opts: { ready?: boolean; labels?: Record<string, string>; cpu?: string; pods?: string; unschedulable?: boolean } = {}): Stored<Node> =>
  ({
    apiVersion: "v1",
    kind: "Node",
    metadata: meta(name, { labels: opts.labels ?? {} }),
    spec: { unschedulable: opts.unschedulable },
    status: { conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }], allocatable: { cpu: opts.cpu ?? "2", memory: "4Gi", pods: opts.pods ?? "110" } },
  }) as Stored<Node>;

const pod = (name: string, opts: { nodeName?: string; owner?: string; cpu?: string; nodeSelector?: Record<string, string>; phase?: string; ready?: boolean; restarts?: number; created?: string } = {}): Stored<Pod> =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta(name, {
      namespace: "default",
      creationTimestamp: opts.created ?? "2026-01-01T00:00:00Z",
      ownerReferences: opts.owner ? [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: opts.owner, uid: opts.owner, controller: true }] : undefined,
    }),
    spec: { nodeName: opts.nodeName, nodeSelector: opts.nodeSelector, containers: [{ name: "c", image: "x", resources: opts.cpu ? { requests: { cpu: opts.cpu } } : undefined }] },
    status: {
      phase: opts.phase ?? "Running",
      conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }],
      containerStatuses: [{ name: "c", image: "x", imageID: "", ready: true, restartCount: opts.restarts ?? 0 }],
    },
  }) as Stored<Pod>;

describe("rolling update arithmetic", () => {
  it("resolves int-or-percent like upstream (surge up, unavailable down)", () => {
    expect(resolveIntOrPercent("25%", 3, true, "25%")).toBe(1);
    expect(resolveIntOrPercent("25%", 3, false, "25%")).toBe(0);
    expect(resolveIntOrPercent(2, 3, false, "25%")).toBe(2);
    expect(resolveIntOrPercent(undefined, 10, true, "25%")).toBe(3);
    expect(surgeAndUnavailable(3)).toEqual({ surge: 1, unavailable: 0 });
    expect(surgeAndUnavailable(3, 0, 0)).toEqual({ surge: 0, unavailable: 1 });
  });

  it("scales the new ReplicaSet up within maxSurge", () => {
    const rs = (name: string, spec: number, avail: number, created = 0): RsState => ({ name, specReplicas: spec, availableReplicas: avail, created });
    const old = rs("old", 3, 3, 0);
    expect(newReplicaSetTarget(3, 1, rs("new", 0, 0, 1), [rs("new", 0, 0, 1), old])).toBe(1);
    expect(newReplicaSetTarget(3, 1, rs("new", 1, 0, 1), [rs("new", 1, 0, 1), old])).toBe(1);
  });

  it("waits for an old ReplicaSet's scale-down to happen before using the room it frees", () => {
    const newRs: RsState = { name: "new", specReplicas: 1, availableReplicas: 1, created: 1 };
    // old scaled 3 → 2, but its third pod is still active: no room yet
    expect(newReplicaSetTarget(3, 1, newRs, [newRs, { name: "old", specReplicas: 2, statusReplicas: 3, availableReplicas: 3, created: 0 }])).toBe(1);
    // once its status shows 2 active pods, the new one may grow
    expect(newReplicaSetTarget(3, 1, newRs, [newRs, { name: "old", specReplicas: 2, statusReplicas: 2, availableReplicas: 2, created: 0 }])).toBe(2);
  });

  it("scales old ReplicaSets down only as far as availability allows", () => {
    const newRs: RsState = { name: "new", specReplicas: 1, availableReplicas: 0, created: 1 };
    // New pod not yet available: nothing may go (maxUnavailable 0).
    expect(scaleDownOld(3, 0, newRs, [{ name: "old", specReplicas: 3, availableReplicas: 3, created: 0 }]).get("old")).toBe(3);
    // Once it is available, one old pod may go.
    expect(scaleDownOld(3, 0, { ...newRs, availableReplicas: 1 }, [{ name: "old", specReplicas: 3, availableReplicas: 3, created: 0 }]).get("old")).toBe(2);
    // Unavailable old pods go first; available ones stay while they are needed.
    expect(scaleDownOld(3, 0, { ...newRs, availableReplicas: 1 }, [{ name: "old", specReplicas: 3, availableReplicas: 2, created: 0 }]).get("old")).toBe(2);
    // Nothing goes while the new pod is itself unavailable and the floor is reached (upstream's budget).
    expect(scaleDownOld(3, 0, newRs, [{ name: "old", specReplicas: 3, availableReplicas: 2, created: 0 }]).get("old")).toBe(3);
  });
});

describe("pod-template-hash", () => {
  it("is FNV-1a in the vowel-free alphabet, stable across key order", () => {
    expect(fnv32a("")).toBe(0x811c9dc5);
    expect(fnv32a("a")).toBe(0xe40c292c);
    expect(safeEncode(0)).toBe("b");
    expect(templateHash({ b: 1, a: { y: 2, x: 1 } })).toBe(templateHash({ a: { x: 1, y: 2 }, b: 1 }));
    expect(templateHash({ a: 1 })).not.toBe(templateHash({ a: 2 }));
    expect(templateHash({ a: 1 })).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    // A template as kubectl rollout undo sends it back (Go's zero values) hashes as the stored one.
    const stored = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x" }] } };
    const fromGo = { metadata: { creationTimestamp: null, labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x", resources: {}, args: [] }], securityContext: {} } };
    expect(templateHash(fromGo)).toBe(templateHash(stored));
    expect(withoutUnset({ a: null, b: { c: {} }, d: [{}, 1], e: 0, f: "" })).toEqual({ d: [{}, 1], e: 0, f: "" });
  });
});

describe("scheduler", () => {
  it("spreads pods of one owner across nodes, then by total pods", () => {
    const nodes = [node("node-1"), node("node-2")];
    const existing = [pod("a", { nodeName: "node-1", owner: "rs1" }), pod("x", { nodeName: "node-2" }), pod("y", { nodeName: "node-2" })];
    expect(chooseNode(pod("b", { owner: "rs1" }), nodes, existing)).toEqual({ node: nodes[1] });
    expect(chooseNode(pod("c"), nodes, existing)).toEqual({ node: nodes[0] });
  });

  it("honours nodeSelector, readiness, unschedulable and resource requests", () => {
    const nodes = [node("node-1", { cpu: "1" }), node("node-2", { labels: { disk: "ssd" } }), node("node-3", { ready: false }), node("node-4", { unschedulable: true })];
    expect(chooseNode(pod("p", { nodeSelector: { disk: "ssd" } }), nodes, [])).toEqual({ node: nodes[1] });
    expect(chooseNode(pod("p", { cpu: "1500m" }), nodes, [])).toEqual({ node: nodes[1] });
    expect(chooseNode(pod("p", { nodeSelector: { disk: "nvme" } }), nodes, [])).toEqual({
      message: "0/4 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 1 node(s) were not ready, 1 node(s) were unschedulable.",
    });
    expect(chooseNode(pod("p", { cpu: "3" }), nodes.slice(0, 2), [])).toEqual({ message: "0/2 nodes are available: 2 Insufficient cpu." });
  });
});

describe("node IPAM", () => {
  it("hands out the lowest free /24 from index 1", () => {
    expect(nextFreeSubnet(new Set(), 256)).toBe(1);
    expect(nextFreeSubnet(new Set([1, 2, 4]), 256)).toBe(3);
    expect(nextFreeSubnet(new Set(Array.from({ length: 255 }, (_, i) => i + 1)), 256)).toBeUndefined();
  });
});

describe("replica set scale-down order", () => {
  it("deletes unscheduled, then pending, then unready, then most restarted, then newest pods first", () => {
    const pods = [
      pod("ready-old", { nodeName: "n", created: "2026-01-01T00:00:00Z" }),
      pod("ready-new", { nodeName: "n", created: "2026-01-02T00:00:00Z" }),
      pod("restarty", { nodeName: "n", restarts: 5 }),
      pod("unready", { nodeName: "n", ready: false }),
      pod("pending", { nodeName: "n", phase: "Pending", ready: false }),
      pod("unscheduled", { phase: "Pending", ready: false }),
    ];
    expect(rankForDeletion(pods).map((p) => p.metadata.name)).toEqual(["unscheduled", "pending", "unready", "restarty", "ready-new", "ready-old"]);
  });
});

describe("garbage collector", () => {
  const NODES = resourceByKind("Node")!;
  const PODS = resourceByKind("Pod")!;
  const DEPLOYMENTS = resourceByKind("Deployment")!;
  const REPLICASETS = resourceByKind("ReplicaSet")!;

  let running: GarbageCollector[] = [];
  afterEach(() => {
    running.forEach((c) => c.stop());
    running = [];
  });

  const server = (): ApiServer => withNamespaces();
  function collector(api: ApiServer): GarbageCollector {
    const gc = new GarbageCollector(api);
    running.push(gc);
    gc.start();
    return gc;
  }

  type Owner = Stored<KubeObject>;
  const ref = (o: Owner) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid });
  const template = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x" }] } };
  const deployment = (api: ApiServer, name: string): Owner =>
    api.create(DEPLOYMENTS, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: "default" }, spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template } });
  const replicaSet = (api: ApiServer, name: string, owners: Owner[] = []): Owner =>
    api.create(REPLICASETS, {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name, namespace: "default", ownerReferences: owners.map(ref) },
      spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template },
    });
  const ownedPod = (api: ApiServer, name: string, owners: { apiVersion: string; kind: string; name: string; uid: string }[], extra: Record<string, unknown> = {}): Owner =>
    api.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", ownerReferences: owners, ...extra }, spec: { containers: [{ name: "c", image: "x" }] } });
  const podNames = (api: ApiServer, ns?: string) => api.list(PODS, { namespace: ns }).items.map((p) => p.metadata.name);
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it("deletes dependents once their owner is gone, down the chain, from its indexes rather than by listing", async () => {
    const api = server();
    collector(api);
    const d = deployment(api, "web");
    const rs = replicaSet(api, "web-1", [d]);
    const keep = replicaSet(api, "keep");
    ownedPod(api, "a", [ref(rs)]);
    ownedPod(api, "b", [ref(rs)]);
    ownedPod(api, "c", [ref(keep)]);
    ownedPod(api, "free", []);
    await settle();
    expect(podNames(api)).toEqual(["a", "b", "c", "free"]);
    const list = vi.spyOn(api, "list");
    api.delete(DEPLOYMENTS, "default", "web");
    await until(() => expect(["a", "b"].map((n) => api.tryGet(PODS, "default", n))).toEqual([undefined, undefined]));
    expect(list).not.toHaveBeenCalled();
    expect(podNames(api)).toEqual(["c", "free"]);
    expect(api.list(REPLICASETS).items.map((r) => r.metadata.name)).toEqual(["keep"]);
  });

  it("deletes objects naming owners that never existed, including those there before it started", async () => {
    const api = server();
    const bogus = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "ghost", uid: "no-such-uid" };
    ownedPod(api, "before", [bogus]);
    collector(api);
    await until(() => expect(podNames(api)).toEqual([]));
    ownedPod(api, "after", [bogus]);
    await until(() => expect(podNames(api)).toEqual([]));
    // An owner reference changed to a missing owner counts too.
    const rs = replicaSet(api, "web");
    ownedPod(api, "moved", [ref(rs)]);
    await settle();
    api.patch(PODS, "default", "moved", { metadata: { ownerReferences: [bogus] } });
    await until(() => expect(podNames(api)).toEqual([]));
  });

  it("goes by uid: an owner recreated under the same name does not own the old dependents, nor a dead owner the new ones", async () => {
    const api = server();
    collector(api);
    const old = replicaSet(api, "web");
    ownedPod(api, "old-pod", [ref(old)]);
    ownedPod(api, "renamed", [ref(old)]);
    await settle();
    // All before the collector runs: the owner and a dependent replaced under their names.
    api.delete(REPLICASETS, "default", "web");
    const fresh = replicaSet(api, "web");
    api.delete(PODS, "default", "renamed");
    ownedPod(api, "renamed", [ref(fresh)]);
    ownedPod(api, "new-pod", [ref(fresh)]);
    await until(() => expect(podNames(api)).toEqual(["new-pod", "renamed"]));
    await settle();
    expect(podNames(api)).toEqual(["new-pod", "renamed"]);
    expect(api.get(PODS, "default", "renamed").metadata.ownerReferences?.[0]?.uid).toBe(fresh.metadata.uid);
  });

  it("keeps a dependent while any of its owners is left", async () => {
    const api = server();
    collector(api);
    const a = replicaSet(api, "a");
    const b = replicaSet(api, "b");
    ownedPod(api, "shared", [ref(a), ref(b)]);
    api.delete(REPLICASETS, "default", "a");
    await settle();
    expect(podNames(api)).toEqual(["shared"]);
    api.delete(REPLICASETS, "default", "b");
    await until(() => expect(podNames(api)).toEqual([]));
  });

  it("leaves orphaned dependents (propagationPolicy Orphan) and terminating ones alone", async () => {
    const api = server();
    collector(api);
    const rs = replicaSet(api, "web");
    ownedPod(api, "orphan", [ref(rs)]);
    ownedPod(api, "finalizing", [ref(rs)], { finalizers: ["example.com/hold"] });
    api.delete(PODS, "default", "finalizing");
    api.delete(REPLICASETS, "default", "web", { propagationPolicy: "Orphan" });
    await settle();
    expect(podNames(api)).toEqual(["finalizing", "orphan"]);
    expect(api.get(PODS, "default", "orphan").metadata.ownerReferences).toEqual([]);
    expect(api.get(PODS, "default", "finalizing").metadata.deletionTimestamp).toBeDefined();
  });

  it("collects the namespaced dependents of a cluster-scoped owner in every namespace", async () => {
    const api = server();
    collector(api);
    const node = api.create(NODES, { apiVersion: "v1", kind: "Node", metadata: { name: "n1" }, spec: {} });
    ownedPod(api, "mirror", [ref(node)]);
    api.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: "elsewhere", namespace: "other", ownerReferences: [ref(node)] }, spec: { containers: [{ name: "c", image: "x" }] } });
    await settle();
    expect(podNames(api)).toEqual(["mirror", "elsewhere"]);
    api.delete(NODES, undefined, "n1");
    await until(() => expect(podNames(api)).toEqual([]));
  });

  it("still sweeps the whole store periodically, for what its indexes never saw", () => {
    const api = server();
    class Sweeping extends GarbageCollector {
      sweepNow(): void {
        this.sync("");
      }
    }
    // Not started: no watches, nothing indexed.
    const gc = new Sweeping(api);
    const rs = replicaSet(api, "web");
    ownedPod(api, "owned", [ref(rs)]);
    ownedPod(api, "ghost", [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "x", uid: "no-such-uid" }]);
    gc.sweepNow();
    expect(podNames(api)).toEqual(["owned"]);
  });
});
