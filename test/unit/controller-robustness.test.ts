// Controllers that never block the API nor take the control plane down: scale
// work in bounded, yielding batches (upstream's burstReplicas and slow start),
// back-off when the API refuses, and a bad stored object logged and skipped.
import { describe, it, expect, afterEach, vi } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until, withNamespaces } from "../support/fixtures.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { RestServer } from "../../src/api/server.js";
import { ApiClient } from "../../src/api/client.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject, Stored } from "../../src/api/types.js";
import { WorkQueue, backoffMs, MAX_BACKOFF_MS } from "../../src/controllers/workqueue.js";
import { Controller, R } from "../../src/controllers/controller.js";
import { BURST_REPLICAS, ReplicaSetController, slowStartBatch } from "../../src/controllers/replicaset.js";
import { DeploymentController } from "../../src/controllers/deployment.js";
import { StatefulSetController } from "../../src/controllers/statefulset.js";
import { NamespaceController, DELETES_PER_SYNC } from "../../src/controllers/namespace.js";
import { GarbageCollector } from "../../src/controllers/garbagecollector.js";

const PODS = resourceByKind("Pod")!;
const RS = resourceByKind("ReplicaSet")!;
const STS = resourceByKind("StatefulSet")!;
const DEPLOYMENTS = resourceByKind("Deployment")!;
const NAMESPACES = resourceByKind("Namespace")!;

const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  vi.restoreAllMocks();
});

function started<C extends { start(): void; stop(): void }>(c: C): C {
  c.start();
  stops.push(() => c.stop());
  return c;
}

const template = { metadata: { labels: { app: "big" } }, spec: { containers: [{ name: "c", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["pause"] }] } };
const replicaSet = (replicas: number): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "big" },
  spec: { replicas, selector: { matchLabels: { app: "big" } }, template },
});

const quietLogs = () => vi.spyOn(console, "error").mockImplementation(() => undefined);

describe("work queue", () => {
  it("backs off exponentially, capped at 5 s", () => {
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([15, 25, 45, 85]);
    expect(backoffMs(10)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(10_000)).toBe(MAX_BACKOFF_MS);
  });

  it("lets timers and I/O in during a long drain (every ~10 ms)", async () => {
    const busy = (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        /* a sync that takes a while */
      }
    };
    let processed = 0;
    const queue = new WorkQueue("test", () => {
      busy(2);
      processed++;
    });
    stops.push(() => queue.close());
    const start = Date.now();
    for (let i = 0; i < 100; i++) queue.add(`k${i}`);
    const firedAfter = await new Promise<number>((resolve) => setTimeout(() => resolve(Date.now() - start), 0));
    // Without yielding the timer would wait for all 100 keys (≥ 200 ms).
    expect(firedAfter).toBeLessThan(100);
    expect(processed).toBeLessThan(100);
    await until(() => expect(processed).toBe(100), 5000);
  });

  it("survives a sync and a logger that throw", async () => {
    let calls = 0;
    const queue = new WorkQueue(
      "test",
      (key) => {
        calls++;
        if (key === "bad") throw new Error("bad key");
      },
      () => {
        throw new Error("logger down");
      },
    );
    stops.push(() => queue.close());
    queue.add("bad");
    queue.add("good");
    await until(() => expect(calls).toBeGreaterThanOrEqual(3));
  });
});

describe("a bad stored object", () => {
  it("is logged and skipped by a controller's watch; the controller keeps working", async () => {
    const errors = quietLogs();
    const api = withNamespaces();
    const synced: string[] = [];
    class Picky extends Controller {
      constructor() {
        super("picky", api);
      }
      start(): void {
        this.watch(R.pods, (e) => {
          if (e.object.metadata.name === "poison") throw new TypeError("ownerReferences?.find is not a function");
          return [e.object.metadata.name];
        });
      }
      protected sync(key: string): void {
        synced.push(key);
      }
    }
    started(new Picky());
    // Straight into the store, as if an older API had let it through.
    api.store.put(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: "poison", namespace: "default", uid: "u", resourceVersion: "", creationTimestamp: "", ownerReferences: "x" as never } }, "ADDED");
    api.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: "fine" }, spec: template.spec });
    await until(() => expect(synced).toEqual(["fine"]));
    expect(errors.mock.calls.some((c) => String(c[0]).startsWith("picky: skipped a ADDED event of pods default/poison: ownerReferences?.find is not a function"))).toBe(true);
  });

  it("in the ReplicaSet controller's way does not stop it", async () => {
    quietLogs();
    const api = withNamespaces();
    started(new ReplicaSetController(api));
    api.store.put(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: "poison", namespace: "default", uid: "u", resourceVersion: "", creationTimestamp: "", ownerReferences: "x" as never } }, "ADDED");
    api.create(RS, replicaSet(2));
    await until(() => expect(api.list(PODS).items.filter((p) => p.metadata.name.startsWith("big-"))).toHaveLength(2));
  });

  it("that throws in a store watcher does not fail the write nor keep the event from other watchers", () => {
    quietLogs();
    const api = withNamespaces();
    const seen: string[] = [];
    api.watch(PODS, {}, () => {
      throw new Error("watcher bug");
    });
    api.watch(PODS, {}, (e) => seen.push(e.object.metadata.name));
    expect(api.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: template.spec }).metadata.name).toBe("p");
    expect(seen).toEqual(["p"]);
  });
});

describe("scale work is bounded", () => {
  it("slow start: batches of 1, 2, 4, … stopping after the first batch with a failure", async () => {
    const batches: number[] = [];
    let inBatch = 0;
    let calls = 0;
    const result = await slowStartBatch(
      20,
      () => {
        calls++;
        inBatch++;
        if (calls === 9) throw new Error("quota");
      },
      async () => {
        batches.push(inBatch);
        inBatch = 0;
      },
    );
    // 1 + 2 + 4 succeed; the batch of 8 has a failure (its other 7 calls are made, as upstream's goroutines are).
    expect(batches).toEqual([1, 2, 4]);
    expect(result.done).toBe(14);
    expect((result.error as Error).message).toBe("quota");
    const all = await slowStartBatch(5, () => undefined, async () => undefined);
    expect(all).toEqual({ done: 5 });
  });

  it("a ReplicaSet creates at most burstReplicas pods per sync and gets there over several", async () => {
    const api = withNamespaces();
    const controller = started(new ReplicaSetController(api));
    const perSync: number[] = [];
    const sync = (controller as unknown as { sync(key: string): Promise<void> }).sync.bind(controller);
    vi.spyOn(controller as unknown as { sync(key: string): Promise<void> }, "sync").mockImplementation(async (key: string) => {
      const before = api.store.count(PODS);
      await sync(key);
      perSync.push(api.store.count(PODS) - before);
    });
    api.create(RS, replicaSet(1200));
    await until(() => expect(api.store.count(PODS)).toBe(1200), 20_000);
    expect(Math.max(...perSync)).toBe(BURST_REPLICAS);
    expect(perSync.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
  });

  it("a ReplicaSet refused by the pod limit backs off instead of retrying on every event", async () => {
    const errors = quietLogs();
    const api = withNamespaces(new ApiServer({ maxPods: 50 }));
    const controller = started(new ReplicaSetController(api));
    const create = vi.spyOn(api, "create");
    api.create(RS, replicaSet(1_000_000_000));
    await until(() => expect(api.store.count(PODS)).toBe(50), 5000);
    const attempts = () => create.mock.calls.filter((c) => c[0] === PODS).length;
    await until(() => expect(errors.mock.calls.some((c) => String(c[0]).includes("kemu's limit"))).toBe(true));
    const settled = attempts();
    // Readiness flips wake the set (each one is a change it counts); its creations still wait for the back-off.
    const pods = api.list(PODS).items;
    for (let round = 0; round < 4; round++) {
      for (const [i, pod] of pods.entries()) {
        const ready = (round + i) % 2 === 0 ? "True" : "False";
        api.update(PODS, { ...api.get(PODS, "default", pod.metadata.name), status: { phase: "Running", conditions: [{ type: "Ready", status: ready, lastTransitionTime: `2026-01-01T00:00:0${round}Z` }] } }, "default", { subresource: "status" });
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(attempts() - settled).toBeLessThanOrEqual(3);
    void controller;
  });

  it("a Deployment of a billion replicas leaves the API answering within a second, and its pods within the limit", async () => {
    quietLogs();
    const api = withNamespaces(new ApiServer({ maxPods: 3000 }));
    const dir = mkdtempSync(join(tmpdir(), "kemu-scale-"));
    const rest = new RestServer(api);
    await rest.listen(join(dir, "api.sock"));
    const client = new ApiClient(join(dir, "api.sock"));
    stops.push(async () => {
      client.close();
      await rest.close();
      rmSync(dir, { recursive: true, force: true });
    });
    started(new ReplicaSetController(api));
    started(new DeploymentController(api));
    started(new GarbageCollector(api));
    await client.create(DEPLOYMENTS, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "big" }, spec: { replicas: 1_000_000_000, selector: { matchLabels: { app: "big" } }, template } });
    let worst = 0;
    const deadline = Date.now() + 20_000;
    while (api.store.count(PODS) < 3000 && Date.now() < deadline) {
      const start = Date.now();
      await client.list(NAMESPACES);
      worst = Math.max(worst, Date.now() - start);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(api.store.count(PODS)).toBe(3000);
    expect(worst).toBeLessThan(1000);
    // Deleting it takes its pods with it (through the garbage collector), in bounded passes.
    await client.delete(DEPLOYMENTS, "default", "big");
    await until(() => expect(api.store.count(PODS)).toBe(0), 20_000);
  }, 60_000);

  it("a StatefulSet of two billion replicas allocates nothing of that size: OrderedReady makes pod 0, Parallel makes 500 per sync", async () => {
    quietLogs();
    const api = withNamespaces(new ApiServer({ maxPods: 1200 }));
    started(new StatefulSetController(api));
    const sts = (name: string, policy: string): KubeObject => ({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name },
      spec: { replicas: 2_000_000_000, podManagementPolicy: policy, serviceName: name, selector: { matchLabels: { app: name } }, template: { ...template, metadata: { labels: { app: name } } } },
    });
    api.create(STS, sts("ordered", "OrderedReady"));
    await until(() => expect(api.list(PODS).items.map((p) => p.metadata.name)).toEqual(["ordered-0"]));
    api.create(STS, sts("parallel", "Parallel"));
    await until(() => expect(api.store.count(PODS)).toBe(1200), 20_000);
    const ordinals = api.list(PODS).items.filter((p) => p.metadata.name.startsWith("parallel-")).map((p) => Number(p.metadata.name.slice("parallel-".length)));
    expect(Math.max(...ordinals)).toBe(1198);
  }, 30_000);

  it("the namespace controller deletes at most DELETES_PER_SYNC objects per sync and still empties the namespace", async () => {
    const api = withNamespaces();
    api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "crowded" } });
    for (let i = 0; i < 1100; i++) api.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: `p-${i}`, namespace: "crowded" }, spec: template.spec });
    const controller = started(new NamespaceController(api));
    const perSync: number[] = [];
    const sync = (controller as unknown as { sync(key: string): void }).sync.bind(controller);
    vi.spyOn(controller as unknown as { sync(key: string): void }, "sync").mockImplementation((key: string) => {
      const before = api.store.count(PODS);
      sync(key);
      perSync.push(before - api.store.count(PODS));
    });
    api.delete(NAMESPACES, undefined, "crowded");
    await until(() => expect(api.tryGet(NAMESPACES, undefined, "crowded")).toBeUndefined(), 10_000);
    expect(Math.max(...perSync)).toBe(DELETES_PER_SYNC);
    expect(perSync.reduce((a, b) => a + b, 0)).toBe(1100);
  });
});

void ({} as Stored<KubeObject>);
