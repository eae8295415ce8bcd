// The scheduler as a controller: which pods it retries when room frees up,
// how often and in what order (chooseNode itself is in controllers.test.ts).
import { describe, it, expect, afterEach, vi } from "vitest";
import { until, withNamespaces } from "../support/fixtures.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject, Node, Pod, Stored } from "../../src/api/types.js";
import { Scheduler } from "../../src/controllers/scheduler.js";

const NODES = resourceByKind("Node")!;
const PODS = resourceByKind("Pod")!;

/** Records the keys it syncs, in order. */
class RecordingScheduler extends Scheduler {
  readonly synced: string[] = [];
  protected override sync(key: string): void {
    this.synced.push(key);
    super.sync(key);
  }
}

let running: Scheduler[] = [];
afterEach(() => {
  running.forEach((s) => s.stop());
  running = [];
  vi.restoreAllMocks();
});

const server = (): ApiServer => withNamespaces();
function scheduler(api: ApiServer): RecordingScheduler {
  const s = new RecordingScheduler(api);
  running.push(s);
  s.start();
  return s;
}
const node = (name: string, pods: string, ready = true): KubeObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name },
  status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }], allocatable: { cpu: "8", memory: "8Gi", pods } },
});
/** A pod, bound to nodeName if given; grace 0 so that deleting it removes it at once. */
const pod = (api: ApiServer, name: string, opts: { namespace?: string; nodeName?: string } = {}): Stored<KubeObject> =>
  api.create(PODS, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: opts.namespace ?? "default" },
    spec: { nodeName: opts.nodeName, terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "x" }] },
  });
const get = (api: ApiServer, key: string): Stored<Pod> => {
  const [ns, name] = key.split("/") as [string, string];
  return api.get(PODS, ns, name) as Stored<Pod>;
};
const nodeOf = (api: ApiServer, key: string) => get(api, key).spec.nodeName;
const scheduled = (api: ApiServer, key: string) => get(api, key).status?.conditions?.find((c) => c.type === "PodScheduled");
const settle = () => new Promise((r) => setTimeout(r, 20));

describe("scheduler retries", () => {
  it("schedules a pending pod once a pod deletion frees capacity", async () => {
    const api = server();
    api.create(NODES, node("node-1", "1"));
    const s = scheduler(api);
    pod(api, "first");
    await until(() => expect(nodeOf(api, "default/first")).toBe("node-1"));
    pod(api, "second");
    await until(() => expect(scheduled(api, "default/second")).toMatchObject({ status: "False", reason: "Unschedulable", message: "0/1 nodes are available: 1 Too many pods." }));
    expect(get(api, "default/second").status?.phase).toBe("Pending");

    s.synced.length = 0;
    api.delete(PODS, "default", "first", { gracePeriodSeconds: 0 });
    await until(() => expect(nodeOf(api, "default/second")).toBe("node-1"));
    expect(scheduled(api, "default/second")).toMatchObject({ status: "True" });
    expect(s.synced).toEqual(["default/second"]);
  });

  it("schedules pending pods when a node is added or becomes ready", async () => {
    const api = server();
    scheduler(api);
    pod(api, "a");
    await until(() => expect(scheduled(api, "default/a")).toMatchObject({ status: "False", message: "0/0 nodes are available." }));
    api.create(NODES, node("node-1", "10", false));
    await until(() => expect(scheduled(api, "default/a")?.message).toBe("0/1 nodes are available: 1 node(s) were not ready."));
    const n = api.get(NODES, undefined, "node-1") as Stored<Node>;
    n.status!.conditions = [{ type: "Ready", status: "True" }];
    api.update(NODES, n, undefined, { subresource: "status" });
    await until(() => expect(nodeOf(api, "default/a")).toBe("node-1"));
  });

  it("retries each pending pod once after a burst of deletions, in list order, without listing per deletion", async () => {
    const api = server();
    api.create(NODES, node("node-1", "30"));
    for (let i = 0; i < 30; i++) pod(api, `filler-${i}`, { nodeName: "node-1" });
    // Unschedulable pods there before the scheduler starts, and some after, out of name order.
    pod(api, "wait-c");
    pod(api, "wait-a", { namespace: "other" });
    const s = scheduler(api);
    pod(api, "wait-b");
    pod(api, "wait.a");
    pod(api, "gone");
    pod(api, "wait-0", { namespace: "other" });
    const pending = ["default/wait-c", "other/wait-a", "default/wait-b", "default/wait.a", "default/gone", "other/wait-0"];
    await until(() => expect(pending.map((k) => scheduled(api, k)?.reason)).toEqual(Array(6).fill("Unschedulable")));
    api.delete(PODS, "default", "gone");
    await settle();
    // The order a list of unscheduled pods gives (namespace, then name), as retried before the index.
    const waiting = api.list(PODS, { fieldSelector: "spec.nodeName=" }).items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    expect(waiting).toEqual(["default/wait-b", "default/wait-c", "default/wait.a", "other/wait-0", "other/wait-a"]);

    const list = vi.spyOn(api, "list");
    s.synced.length = 0;
    for (let i = 0; i < 30; i++) api.delete(PODS, "default", `filler-${i}`, { gracePeriodSeconds: 0 });
    await until(() => expect(waiting.map((k) => nodeOf(api, k))).toEqual(Array(5).fill("node-1")));
    await settle();
    // Each once, in that order.
    expect(s.synced).toEqual(waiting);
    // Only the five syncs list (the nodes; bound pods come from the scheduler's own index), not each of the 30 deletions.
    expect(list).toHaveBeenCalledTimes(5);
    expect(list.mock.calls.filter(([, options]) => options?.fieldSelector)).toEqual([]);
  });

  it("stops retrying pods once bound or deleted, and after stop()", async () => {
    const api = server();
    api.create(NODES, node("node-1", "1"));
    const s = scheduler(api);
    pod(api, "held", { nodeName: "node-1" });
    pod(api, "leaves");
    pod(api, "stays");
    await until(() => expect(scheduled(api, "default/stays")?.reason).toBe("Unschedulable"));
    api.delete(PODS, "default", "leaves");
    // Bound by someone else (a pod with its nodeName set skips the scheduler).
    const bound = get(api, "default/stays");
    bound.spec.nodeName = "node-1";
    api.update(PODS, bound);
    await settle();

    s.synced.length = 0;
    api.delete(PODS, "default", "held", { gracePeriodSeconds: 0 });
    await settle();
    expect(s.synced).toEqual([]);

    pod(api, "late");
    await until(() => expect(scheduled(api, "default/late")?.reason).toBe("Unschedulable"));
    s.stop();
    s.synced.length = 0;
    api.delete(PODS, "default", "stays", { gracePeriodSeconds: 0 });
    await settle();
    expect(s.synced).toEqual([]);
    expect(nodeOf(api, "default/late")).toBeUndefined();
  });
});

describe("scheduler with many pending pods", () => {
  it("retries pending pods when a bound pod goes, not when another pending pod does (upstream's AssignedPodDelete)", async () => {
    const api = server();
    api.create(NODES, node("node-1", "1"));
    pod(api, "runs", { nodeName: "node-1" });
    const s = scheduler(api);
    for (const n of ["p-1", "p-2", "p-3"]) pod(api, n);
    await until(() => expect(["p-1", "p-2", "p-3"].map((n) => scheduled(api, `default/${n}`)?.reason)).toEqual(Array(3).fill("Unschedulable")));
    await settle();
    s.synced.length = 0;
    api.delete(PODS, "default", "p-3");
    await settle();
    expect(s.synced).toEqual([]);
    api.delete(PODS, "default", "runs");
    await until(() => expect(nodeOf(api, "default/p-1")).toBe("node-1"));
    expect(s.synced).toEqual(["default/p-1", "default/p-2"]);
  });
});
