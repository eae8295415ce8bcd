// Benchmark: the in-process control plane at scale — the API server with the
// controllers the daemon runs (scheduler, ReplicaSet, Deployment, StatefulSet,
// garbage collector, namespace, EndpointSlice; not node IPAM, which needs
// Linux networking, and no REST server, agents or kubelets). For N Services:
// - create N Services, each selecting its own 1–3 pods whose IP and Ready
//   status are set through the status subresource, one Service (and its
//   pods) per turn of the event loop, until every Service has slices holding
//   all its pods as ready endpoints;
// - delete the N Services one by one until the garbage collector has removed
//   every slice;
// - then delete a namespace holding 1,000 Services and 3,000 pods (N's pods
//   still in default) until the namespace is gone.
// The reference, measured in the same run: the very same API writes and
// deletes with no controller running — the API server's own work, the floor
// of what the controllers add to. There is no kubelet, so the pods have
// terminationGracePeriodSeconds 0 and go at once, as the kubelet would remove
// them after stopping their containers.
//
// Each measurement runs in a fresh child process (`node --import tsx
// controlplane.ts --inner '<json>'`), so no run inherits another's heap, and
// its peak RSS (process.memoryUsage().rss, sampled) is the control plane's
// alone; REPS runs of each, the median reported.
import { fileURLToPath } from "node:url";
import { run } from "../../src/linux/exec.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { EndpointSlice, KubeObject, Pod, Stored } from "../../src/api/types.js";
import { ServiceAllocation } from "../../src/controllers/allocation/index.js";
import { GarbageCollector } from "../../src/controllers/garbagecollector.js";
import { NamespaceController } from "../../src/controllers/namespace.js";
import { EndpointSliceController, LABEL_SERVICE_NAME } from "../../src/controllers/endpointslice.js";
import { ReplicaSetController } from "../../src/controllers/replicaset.js";
import { DeploymentController } from "../../src/controllers/deployment.js";
import { StatefulSetController } from "../../src/controllers/statefulset.js";
import { Scheduler } from "../../src/controllers/scheduler.js";
import type { Controller } from "../../src/controllers/controller.js";

const SIZES = [1_000, 5_000];
const REPS = 5;
const NS_SERVICES = 1_000;
const NS_PODS_PER_SERVICE = 3;
const SELF = fileURLToPath(import.meta.url);

const SERVICES = resourceByKind("Service")!;
const PODS = resourceByKind("Pod")!;
const SLICES = resourceByKind("EndpointSlice")!;
const NAMESPACES = resourceByKind("Namespace")!;

// ---------------------------------------------------------------- inner half

interface InnerArgs {
  n: number;
  controllers: boolean;
}

interface InnerResult {
  pods: number;
  /** create N Services + pods: until the last write (floor) or until every slice is ready */
  createMs: number;
  /** create N Services + pods: until the last write */
  createWritesMs: number;
  /** delete the N Services one by one: until the last delete (floor) or until no slice is left */
  deleteMs: number;
  /** populate the big namespace until its slices are ready (controllers only) */
  nsPopulateMs?: number;
  /** delete the big namespace until it is gone (controllers only) */
  nsDeleteMs?: number;
  peakRssBytes: number;
  /** RSS once the controllers started, before any object */
  startRssBytes: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

async function until(what: string, done: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

let podSeq = 0;

/** One Service selecting its own `pods` pods, each created, then given an IP and Ready through the status subresource. */
function createService(api: ApiServer, ns: string, name: string, pods: number): void {
  api.create(SERVICES, { apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } });
  for (let j = 0; j < pods; j++) {
    const pod = api.create(PODS, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `${name}-p${j}`, namespace: ns, labels: { app: name } },
      spec: { nodeName: "node-1", terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "x", ports: [{ containerPort: 8080 }] }] },
    }) as Stored<Pod>;
    const i = ++podSeq;
    const ip = `10.${244 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    api.update(PODS, { ...pod, status: { phase: "Running", podIP: ip, podIPs: [{ ip }], conditions: [{ type: "Ready", status: "True" }] } } as KubeObject, ns, { subresource: "status" });
  }
}

/** Creates the Services, one (with its pods) per turn of the event loop, as separate requests would arrive; returns the expected ready endpoints per Service. */
async function populate(api: ApiServer, ns: string, services: number, podsOf: (i: number) => number): Promise<Map<string, number>> {
  const expected = new Map<string, number>();
  for (let i = 0; i < services; i++) {
    const name = `svc-${i}`;
    createService(api, ns, name, podsOf(i));
    expected.set(name, podsOf(i));
    await tick();
  }
  return expected;
}

/** Every Service has slices that hold all its pods, ready. */
function slicesReady(api: ApiServer, ns: string, expected: Map<string, number>): boolean {
  const ready = new Map<string, number>();
  for (const s of api.list(SLICES, { namespace: ns }).items as Stored<EndpointSlice>[]) {
    const svc = s.metadata.labels?.[LABEL_SERVICE_NAME];
    if (!svc) continue;
    let n = 0;
    for (const e of s.endpoints ?? []) if (e.conditions?.ready) n++;
    ready.set(svc, (ready.get(svc) ?? 0) + n);
  }
  for (const [svc, n] of expected) if (ready.get(svc) !== n) return false;
  return true;
}

async function inner({ n, controllers: withControllers }: InnerArgs): Promise<InnerResult> {
  const sampler = setInterval(sampleRss, 10);
  const api = new ApiServer();
  api.addAdmission(new ServiceAllocation({ serviceCidr: "10.96.0.0/12" }));
  for (const name of ["default", "big"]) api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  const controllers: Controller[] = withControllers
    ? [
        new Scheduler(api),
        new ReplicaSetController(api),
        new DeploymentController(api),
        new StatefulSetController(api),
        new GarbageCollector(api),
        new NamespaceController(api),
        new EndpointSliceController(api),
      ]
    : [];
  for (const c of controllers) c.start();
  sampleRss();
  const startRssBytes = process.memoryUsage().rss;

  let t0 = performance.now();
  const expected = await populate(api, "default", n, (i) => 1 + (i % 3));
  const createWritesMs = performance.now() - t0;
  if (withControllers) await until("every slice ready", () => slicesReady(api, "default", expected));
  const createMs = performance.now() - t0;
  const pods = [...expected.values()].reduce((a, b) => a + b, 0);
  sampleRss();

  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    api.delete(SERVICES, "default", `svc-${i}`);
    await tick(); // one request at a time
  }
  if (withControllers) await until("every slice collected", () => api.list(SLICES, { namespace: "default" }).items.length === 0);
  const deleteMs = performance.now() - t0;
  sampleRss();

  let nsPopulateMs: number | undefined;
  let nsDeleteMs: number | undefined;
  if (withControllers) {
    t0 = performance.now();
    const big = await populate(api, "big", NS_SERVICES, () => NS_PODS_PER_SERVICE);
    await until("the namespace's slices ready", () => slicesReady(api, "big", big));
    nsPopulateMs = performance.now() - t0;
    sampleRss();
    t0 = performance.now();
    api.delete(NAMESPACES, undefined, "big");
    await until("the namespace gone", () => !api.tryGet(NAMESPACES, undefined, "big"));
    nsDeleteMs = performance.now() - t0;
    if (api.list(PODS, { namespace: "default" }).items.length !== pods) throw new Error("pods outside the deleted namespace went too");
  }
  sampleRss();
  clearInterval(sampler);
  for (const c of controllers) c.stop();
  return { pods, createMs, createWritesMs, deleteMs, nsPopulateMs, nsDeleteMs, peakRssBytes: peakRss, startRssBytes };
}

// ---------------------------------------------------------------- outer half

async function measure(args: InnerArgs): Promise<InnerResult> {
  const out = await run(process.execPath, ["--import", "tsx", SELF, "--inner", JSON.stringify(args)], { timeoutMs: 600_000 });
  return JSON.parse(out.trim().split("\n").pop()!) as InnerResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fmt = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 10 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const num = (x: number) => x.toLocaleString("en-US");
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const spread = (xs: number[]) => `runs ${xs.map(fmt).join(" / ")}`;

export async function benchControlPlane(): Promise<void> {
  console.log(`\n## Control plane in-process: API server + controllers (no node IPAM, no Linux networking), median of ${REPS} runs`);
  const step = (what: string) => console.error(`… ${what}`);
  const rows: [string, string, string][] = [];
  const vsFloor = (x: number, floor: number, what: string) => `${(x / floor).toFixed(2)}× the same ${what} with no controllers (${fmt(floor)})`;
  for (const n of SIZES) {
    const floors: InnerResult[] = [];
    const runs: InnerResult[] = [];
    // Alternated, so that drift in the machine's load falls on both alike.
    for (let r = 0; r < REPS; r++) {
      step(`${num(n)} Services: reference (no controllers), run ${r + 1}/${REPS}`);
      floors.push(await measure({ n, controllers: false }));
      step(`${num(n)} Services: with the controllers, run ${r + 1}/${REPS}`);
      runs.push(await measure({ n, controllers: true }));
    }
    const pick = (rs: InnerResult[], f: (r: InnerResult) => number) => median(rs.map(f));
    const create = pick(runs, (r) => r.createMs);
    const del = pick(runs, (r) => r.deleteMs);
    const nsDelete = pick(runs, (r) => r.nsDeleteMs!);
    const pods = runs[0]!.pods;
    rows.push(
      [`${num(n)} Services, ${num(pods)} pods`, "", ""],
      [`  create → every slice ready`, fmt(create), `${vsFloor(create, pick(floors, (r) => r.createMs), "API writes")}; ${spread(runs.map((r) => r.createMs))}`],
      [`    of which until the last write`, fmt(pick(runs, (r) => r.createWritesMs)), ""],
      [`  delete the Services one by one → every slice collected`, fmt(del), `${vsFloor(del, pick(floors, (r) => r.deleteMs), "deletes")}; ${spread(runs.map((r) => r.deleteMs))}`],
      [`  namespace of ${num(NS_SERVICES)} Services + ${num(NS_SERVICES * NS_PODS_PER_SERVICE)} pods: populate → slices ready (context)`, fmt(pick(runs, (r) => r.nsPopulateMs!)), ""],
      [`  delete that namespace → gone`, fmt(nsDelete), `${spread(runs.map((r) => r.nsDeleteMs!))}`],
      [`  control plane peak RSS (sampled)`, mib(pick(runs, (r) => r.peakRssBytes)), `the API server alone with the same writes: ${mib(pick(floors, (r) => r.peakRssBytes))}; before any object: ${mib(pick(runs, (r) => r.startRssBytes))} (under tsx)`],
    );
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) console.log(v || note ? `${k.padEnd(w)}  ${v.padStart(9)}  ${note}` : `${k}:`);
}

if (process.argv[1] === SELF && process.argv[2] === "--inner") {
  console.log(JSON.stringify(await inner(JSON.parse(process.argv[3]!) as InnerArgs)));
  process.exit(0);
}
