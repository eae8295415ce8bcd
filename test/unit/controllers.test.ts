import { describe, it, expect } from "vitest";
import { newReplicaSetTarget, resolveIntOrPercent, scaleDownOld, surgeAndUnavailable, type RsState } from "../../src/controllers/rollout.js";
import { fnv32a, safeEncode, templateHash } from "../../src/controllers/hash.js";
import { chooseNode } from "../../src/controllers/scheduler.js";
import { nextFreeSubnet } from "../../src/controllers/nodeipam.js";
import { rankForDeletion } from "../../src/controllers/replicaset.js";
import type { Node, Pod, Stored } from "../../src/api/types.js";

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
