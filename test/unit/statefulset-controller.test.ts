// The StatefulSet controller against an in-process API server. Nothing runs
// the pods: the tests play scheduler and kubelet by hand (bind = set
// nodeName, so that deletion is graceful; ready = Running + Ready; gone =
// the kubelet's final delete with grace 0).
import { describe, it, expect, afterEach } from "vitest";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject, Pod, StatefulSet, Stored } from "../../src/api/types.js";
import { StatefulSetController, POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL, revisionName, computeStatus } from "../../src/controllers/statefulset.js";

const PODS = resourceByKind("Pod")!;
const STS = resourceByKind("StatefulSet")!;
const NAMESPACES = resourceByKind("Namespace")!;
const NS = "default";

type Json = Record<string, unknown>;

const running: { api: ApiServer; controller: StatefulSetController }[] = [];

afterEach(() => {
  for (const r of running.splice(0)) r.controller.stop();
});

function setup(): { api: ApiServer; controller: StatefulSetController } {
  const api = new ApiServer();
  api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  const controller = new StatefulSetController(api);
  controller.start();
  const r = { api, controller };
  running.push(r);
  return r;
}

function statefulSet(spec: Json = {}, image = "registry.k8s.io/e2e-test-images/agnhost:2.53"): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web", namespace: NS },
    spec: {
      serviceName: "nginx",
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" }, annotations: { note: "n" } }, spec: { containers: [{ name: "c", image, args: ["pause"] }] } },
      ...spec,
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Lets the controller react to everything that happened (several queue rounds). */
const settle = () => sleep(60);

function pods(api: ApiServer): Stored<Pod>[] {
  return (api.list(PODS, { namespace: NS }).items as Stored<Pod>[]).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}
const names = (api: ApiServer) => pods(api).map((p) => p.metadata.name);
const terminating = (api: ApiServer) => pods(api).filter((p) => p.metadata.deletionTimestamp).map((p) => p.metadata.name);
const pod = (api: ApiServer, name: string) => api.tryGet(PODS, NS, name) as Stored<Pod> | undefined;
const getSet = (api: ApiServer) => api.get(STS, NS, "web") as Stored<StatefulSet>;

/** The scheduler's part: a node, so that deletion is graceful. */
function bind(api: ApiServer, name: string): void {
  const p = pod(api, name)!;
  api.update(PODS, { ...p, spec: { ...p.spec, nodeName: "node-1" } });
}

/** The kubelet's part: Running and Ready (or not ready). */
function setReady(api: ApiServer, name: string, ready = true): void {
  const p = pod(api, name)!;
  api.update(
    PODS,
    { ...p, status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: new Date().toISOString() }] } },
    NS,
    { subresource: "status" },
  );
}

function bindAndReady(api: ApiServer, name: string): void {
  bind(api, name);
  setReady(api, name);
}

/** The kubelet's final delete once the containers have stopped. */
function gone(api: ApiServer, name: string): void {
  api.delete(PODS, NS, name, { gracePeriodSeconds: 0 });
}

/** Brings up all replicas of an OrderedReady set, one at a time. */
async function bringUp(api: ApiServer, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await waitFor(`web-${i}`, () => pod(api, `web-${i}`));
    bindAndReady(api, `web-${i}`);
  }
  await waitFor("all ready in status", () => (getSet(api).status?.readyReplicas ?? 0) === count);
}

function updateSet(api: ApiServer, change: (spec: Json) => Json): void {
  const set = getSet(api);
  api.update(STS, { ...set, spec: change(set.spec as unknown as Json) });
}

const revisionOfPod = (api: ApiServer, name: string) => pod(api, name)?.metadata.labels?.[REVISION_LABEL];

describe("StatefulSet controller: OrderedReady", () => {
  it("creates pod N only when 0..N-1 are Running and Ready, with the set's identity", async () => {
    const { api } = setup();
    api.create(STS, statefulSet());
    await waitFor("web-0", () => pod(api, "web-0"));
    await settle();
    expect(names(api)).toEqual(["web-0"]);

    const p0 = pod(api, "web-0")!;
    const set = getSet(api);
    const revision = revisionName("web", set.spec.template);
    expect(p0.metadata.labels).toEqual({ app: "web", [POD_NAME_LABEL]: "web-0", [POD_INDEX_LABEL]: "0", [REVISION_LABEL]: revision });
    expect(p0.metadata.annotations).toEqual({ note: "n" });
    expect(p0.metadata.generateName).toBe("web-");
    expect(p0.spec.hostname).toBe("web-0");
    expect(p0.spec.subdomain).toBe("nginx");
    expect(p0.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "StatefulSet", name: "web", uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);

    // Running but not Ready is not enough.
    bind(api, "web-0");
    setReady(api, "web-0", false);
    await settle();
    expect(names(api)).toEqual(["web-0"]);

    setReady(api, "web-0");
    await waitFor("web-1", () => pod(api, "web-1"));
    await settle();
    expect(names(api)).toEqual(["web-0", "web-1"]);

    bindAndReady(api, "web-1");
    await waitFor("web-2", () => pod(api, "web-2"));
    bindAndReady(api, "web-2");
    const status = await waitFor("status", () => {
      const s = getSet(api).status;
      return s?.readyReplicas === 3 ? s : undefined;
    });
    expect(status).toEqual({
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
      availableReplicas: 3,
    });
  });

  it("scales down from the highest ordinal, one at a time, waiting for each to be gone", async () => {
    const { api } = setup();
    api.create(STS, statefulSet());
    await bringUp(api, 3);

    updateSet(api, (spec) => ({ ...spec, replicas: 1 }));
    await waitFor("web-2 terminating", () => terminating(api).includes("web-2"));
    await settle();
    // web-1 stays while web-2 is still terminating.
    expect(terminating(api)).toEqual(["web-2"]);

    gone(api, "web-2");
    await waitFor("web-1 terminating", () => terminating(api).includes("web-1"));
    gone(api, "web-1");
    await settle();
    expect(names(api)).toEqual(["web-0"]);
    expect(terminating(api)).toEqual([]);
    await waitFor("status replicas 1", () => getSet(api).status?.replicas === 1);
  });

  it("does not scale down while a remaining pod is unhealthy", async () => {
    const { api } = setup();
    api.create(STS, statefulSet());
    await bringUp(api, 3);
    setReady(api, "web-0", false);
    updateSet(api, (spec) => ({ ...spec, replicas: 2 }));
    await settle();
    expect(terminating(api)).toEqual([]);
    setReady(api, "web-0");
    await waitFor("web-2 terminating", () => terminating(api).includes("web-2"));
  });

  it("recreates a deleted pod with the same name once the old one is gone", async () => {
    const { api } = setup();
    api.create(STS, statefulSet());
    await bringUp(api, 3);
    const oldUid = pod(api, "web-1")!.metadata.uid;

    api.delete(PODS, NS, "web-1");
    await settle();
    // Still terminating: no second web-1, and nothing else is touched.
    expect(pod(api, "web-1")!.metadata.uid).toBe(oldUid);
    expect(names(api)).toEqual(["web-0", "web-1", "web-2"]);

    gone(api, "web-1");
    const fresh = await waitFor("new web-1", () => {
      const p = pod(api, "web-1");
      return p && p.metadata.uid !== oldUid ? p : undefined;
    });
    expect(fresh.spec.hostname).toBe("web-1");
    expect(fresh.metadata.labels?.[POD_NAME_LABEL]).toBe("web-1");
  });

  it("replaces a Failed pod", async () => {
    const { api } = setup();
    api.create(STS, statefulSet({ replicas: 1 }));
    await bringUp(api, 1);
    const oldUid = pod(api, "web-0")!.metadata.uid;
    const p = pod(api, "web-0")!;
    api.update(PODS, { ...p, status: { phase: "Failed" } }, NS, { subresource: "status" });
    await waitFor("new web-0", () => pod(api, "web-0") && pod(api, "web-0")!.metadata.uid !== oldUid);
  });

  it("honours ordinals.start", async () => {
    const { api } = setup();
    api.create(STS, statefulSet({ replicas: 2, ordinals: { start: 5 } }));
    await waitFor("web-5", () => pod(api, "web-5"));
    bindAndReady(api, "web-5");
    await waitFor("web-6", () => pod(api, "web-6"));
    expect(pod(api, "web-6")!.metadata.labels?.[POD_INDEX_LABEL]).toBe("6");
    expect(names(api)).toEqual(["web-5", "web-6"]);
  });
});

describe("StatefulSet controller: Parallel", () => {
  it("creates and deletes without waiting", async () => {
    const { api } = setup();
    api.create(STS, statefulSet({ podManagementPolicy: "Parallel" }));
    await waitFor("3 pods", () => names(api).length === 3);
    expect(names(api)).toEqual(["web-0", "web-1", "web-2"]);
    for (const n of names(api)) bind(api, n);

    // Scaled up with nothing ready: created at once.
    updateSet(api, (spec) => ({ ...spec, replicas: 5 }));
    await waitFor("5 pods", () => names(api).length === 5);
    for (const n of ["web-3", "web-4"]) bind(api, n);

    updateSet(api, (spec) => ({ ...spec, replicas: 1 }));
    await waitFor("4 terminating", () => terminating(api).length === 4);
    expect(terminating(api)).toEqual(["web-1", "web-2", "web-3", "web-4"]);

    // A deleted pod is recreated as soon as it is gone, nothing else needs to be ready.
    const oldUid = pod(api, "web-0")!.metadata.uid;
    api.delete(PODS, NS, "web-0");
    gone(api, "web-0");
    await waitFor("new web-0", () => pod(api, "web-0") && pod(api, "web-0")!.metadata.uid !== oldUid);
  });
});

describe("StatefulSet controller: RollingUpdate", () => {
  it("replaces pods from the highest ordinal down, each Ready before the next", async () => {
    const { api } = setup();
    api.create(STS, statefulSet());
    await bringUp(api, 3);
    const oldRevision = getSet(api).status!.currentRevision!;

    updateSet(api, (spec) => statefulSet({}, "registry.k8s.io/e2e-test-images/agnhost:2.54").spec as Json);
    const newRevision = revisionName("web", getSet(api).spec.template);
    expect(newRevision).not.toBe(oldRevision);

    const order: string[] = [];
    for (const name of ["web-2", "web-1", "web-0"]) {
      await waitFor(`${name} terminating`, () => terminating(api).includes(name));
      await settle();
      // Only this one is being replaced.
      expect(terminating(api)).toEqual([name]);
      order.push(name);
      gone(api, name);
      await waitFor(`${name} recreated at the new revision`, () => revisionOfPod(api, name) === newRevision);
      expect(pod(api, name)!.spec.containers[0]!.image).toBe("registry.k8s.io/e2e-test-images/agnhost:2.54");
      await settle();
      // Nothing further happens until it is Ready.
      expect(terminating(api)).toEqual([]);
      const s = getSet(api).status!;
      if (name !== "web-0") expect(s.currentRevision).toBe(oldRevision);
      expect(s.updateRevision).toBe(newRevision);
      bindAndReady(api, name);
    }
    expect(order).toEqual(["web-2", "web-1", "web-0"]);
    const status = await waitFor("rollout complete", () => {
      const s = getSet(api).status;
      return s?.currentRevision === newRevision && s.readyReplicas === 3 ? s : undefined;
    });
    expect(status).toMatchObject({ observedGeneration: 2, replicas: 3, currentReplicas: 3, updatedReplicas: 3, updateRevision: newRevision });
  });

  it("leaves ordinals below the partition at the current revision, even when recreated", async () => {
    const { api } = setup();
    api.create(STS, statefulSet({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } }));
    await bringUp(api, 3);
    const oldRevision = getSet(api).status!.currentRevision!;

    updateSet(api, (spec) => ({ ...spec, template: { ...(spec.template as Json), metadata: { labels: { app: "web", v: "2" } } } }));
    await waitFor("web-2 terminating", () => terminating(api).includes("web-2"));
    gone(api, "web-2");
    const newRevision = await waitFor("web-2 at the new revision", () => {
      const r = revisionOfPod(api, "web-2");
      return r && r !== oldRevision ? r : undefined;
    });
    bindAndReady(api, "web-2");
    await waitFor("status", () => getSet(api).status?.updatedReplicas === 1 && getSet(api).status?.readyReplicas === 3);
    await settle();
    expect(terminating(api)).toEqual([]);
    expect(revisionOfPod(api, "web-0")).toBe(oldRevision);
    expect(revisionOfPod(api, "web-1")).toBe(oldRevision);
    expect(getSet(api).status).toMatchObject({ currentRevision: oldRevision, updateRevision: newRevision, currentReplicas: 2, updatedReplicas: 1 });

    // A pod below the partition comes back at the current revision, with the current template.
    api.delete(PODS, NS, "web-0");
    gone(api, "web-0");
    await waitFor("web-0 back", () => pod(api, "web-0"));
    expect(revisionOfPod(api, "web-0")).toBe(oldRevision);
    expect(pod(api, "web-0")!.metadata.labels?.v).toBeUndefined();
    bindAndReady(api, "web-0");

    // Lowering the partition rolls on.
    updateSet(api, (spec) => ({ ...spec, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } } }));
    await waitFor("web-1 terminating", () => terminating(api).includes("web-1"));
    expect(terminating(api)).toEqual(["web-1"]);
  });

  it("OnDelete: a template change replaces nothing; a deleted pod comes back at the new revision", async () => {
    const { api } = setup();
    api.create(STS, statefulSet({ replicas: 2, updateStrategy: { type: "OnDelete" } }));
    await bringUp(api, 2);
    const oldRevision = revisionOfPod(api, "web-1");
    updateSet(api, (spec) => ({ ...spec, template: { ...(spec.template as Json), metadata: { labels: { app: "web", v: "2" } } } }));
    await settle();
    expect(terminating(api)).toEqual([]);
    api.delete(PODS, NS, "web-1");
    gone(api, "web-1");
    await waitFor("web-1 at the new revision", () => {
      const r = revisionOfPod(api, "web-1");
      return r && r !== oldRevision;
    });
    expect(revisionOfPod(api, "web-0")).toBe(oldRevision);
  });
});

describe("StatefulSet controller: ownership", () => {
  it("adopts a matching orphan and releases a pod that no longer matches", async () => {
    const { api } = setup();
    api.create(PODS, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web-0", namespace: NS, labels: { app: "web" } },
      spec: { containers: [{ name: "c", image: "x", command: ["sleep", "1"] }] },
    });
    const set = api.create(STS, statefulSet({ replicas: 1 }));
    await waitFor("adopted", () => pod(api, "web-0")!.metadata.ownerReferences?.[0]?.uid === set.metadata.uid);
    // Relabelled out of the selector: released, and a new web-0 cannot be created while the name is taken.
    const p = pod(api, "web-0")!;
    api.update(PODS, { ...p, metadata: { ...p.metadata, labels: { app: "other" } } });
    await waitFor("released", () => (pod(api, "web-0")!.metadata.ownerReferences ?? []).length === 0);
    await settle();
    expect(names(api)).toEqual(["web-0"]);
  });
});

describe("computeStatus", () => {
  it("counts current and updated revisions and completes a rollout", () => {
    const set = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "web", uid: "u", resourceVersion: "1", creationTimestamp: "2026-01-01T00:00:00Z", generation: 4 },
      spec: { template: {}, selector: {}, updateStrategy: { type: "RollingUpdate" } },
    } as unknown as Stored<StatefulSet>;
    const mk = (name: string, revision: string, ready: boolean, deleting = false): Stored<Pod> =>
      ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, uid: name, resourceVersion: "1", creationTimestamp: "2026-01-01T00:00:00Z", labels: { [REVISION_LABEL]: revision }, ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
        spec: { containers: [] },
        status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
      }) as Stored<Pod>;
    expect(computeStatus(set, [mk("web-0", "a", true), mk("web-1", "b", false), mk("web-2", "a", true, true)], "a", "b")).toEqual({
      observedGeneration: 4,
      replicas: 3,
      readyReplicas: 2,
      currentReplicas: 1,
      updatedReplicas: 1,
      currentRevision: "a",
      updateRevision: "b",
      collisionCount: 0,
      availableReplicas: 2,
    });
    expect(computeStatus(set, [mk("web-0", "b", true), mk("web-1", "b", true)], "a", "b")).toMatchObject({ currentReplicas: 2, updatedReplicas: 2, currentRevision: "b" });
    expect(computeStatus(set, [], "a", "a")).toEqual({ observedGeneration: 4, replicas: 0, collisionCount: 0, availableReplicas: 0, currentRevision: "a", updateRevision: "a" });
  });
});
