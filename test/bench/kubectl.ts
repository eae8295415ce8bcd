// Benchmark: the real kubectl 1.32 against kemu's own CLI, on one cluster,
// in the same run (issue 12).
//  1. `get pods -A` with 1,000 pods in 4 namespaces, in kubectl's default
//     Table output and in `-o json`, through `kubectl` (HTTPS endpoint, the
//     kubeconfig Cluster.start writes, a warm discovery cache as a user has
//     after the first command) and through `kemu get` (the unix socket). The
//     pods ask for a node label no node has, so they stay Pending: what is
//     measured is the list, not 1,000 processes.
//  2. `apply -f` of a 200-object manifest (Services, ConfigMaps and
//     Deployments with 0 replicas) into a fresh, empty namespace each time,
//     through `kubectl apply` (client-side: a GET and a POST per object) and
//     `kemu apply` (one server-side transaction). The namespace is made
//     before and deleted after each run, outside the timing.
//  The floor: the API server's own time for the list alone — the same GETs
//  kubectl sends (`?limit=500` and its continue token, kubectl's Table
//  Accept header, or JSON), from this process on a kept-alive HTTPS
//  connection, so neither process start nor discovery nor printing counts.
// Each command runs as a whole process, WARMUP times first, then RUNS times
// taking turns with its counterpart (which goes first alternates); figures
// are medians, ratios the median of each pair's ratio. The control plane's
// CPU time (from /proc) during each command is reported too: where the time
// goes, the server's share against the client's.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, resourceByKind, type KubeObject } from "../../src/index.js";
import { readApiEndpoint } from "../../src/api/https.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { AGNHOST } from "../support/workloads.js";
import { median } from "./datapath.js";

const KUBECTL = "/usr/bin/kubectl";
const KEMU = join(PACKAGE_ROOT, "bin", "kemu");
const PODS = 1000;
const POD_NAMESPACES = ["bench-a", "bench-b", "bench-c", "bench-d"];
const OBJECTS = 200;
const WARMUP = 2;
const RUNS = 7;
const FLOOR_RUNS = 15;
const CREATE_CONCURRENCY = 16;
const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const R = {
  pods: resourceByKind("Pod")!,
  namespaces: resourceByKind("Namespace")!,
};
const step = (what: string) => console.error(`… kubectl: ${what}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function pendingPod(namespace: string, i: number): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `idle-${String(i).padStart(4, "0")}`, namespace, labels: { app: "idle", shard: String(i % 10) } },
    // No node carries this label: the scheduler leaves the pod Pending (PodScheduled False, Unschedulable).
    spec: { nodeSelector: { "bench.kemu.dev/nowhere": "true" }, containers: [{ name: "c", image: AGNHOST, args: ["pause"], ports: [{ containerPort: 8080 }] }] },
  };
}

/** A manifest of OBJECTS objects, a third each Services, ConfigMaps and Deployments with 0 replicas, in no namespace (apply -n names it). */
export function applyManifest(count = OBJECTS): string {
  const docs: string[] = [];
  for (let i = 0; docs.length < count; i++) {
    const app = `app-${String(i).padStart(3, "0")}`;
    const kinds = [
      `apiVersion: v1
kind: Service
metadata:
  name: ${app}
  labels: { app: ${app} }
spec:
  selector: { app: ${app} }
  ports:
  - { name: http, port: 80, targetPort: 8080 }`,
      `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${app}-config
  labels: { app: ${app} }
data:
  LOG_LEVEL: info
  greeting.txt: "hello from ${app}"`,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  labels: { app: ${app} }
spec:
  replicas: 0
  selector:
    matchLabels: { app: ${app} }
  template:
    metadata:
      labels: { app: ${app} }
    spec:
      containers:
      - name: web
        image: ${AGNHOST}
        args: [netexec, --http-port=8080]
        ports: [{ containerPort: 8080 }]
        envFrom: [{ configMapRef: { name: ${app}-config } }]`,
    ];
    for (const k of kinds) if (docs.length < count) docs.push(k);
  }
  return docs.join("\n---\n") + "\n";
}

interface Timed {
  ms: number;
  /** the control plane's user+system CPU during the command, ms (10 ms ticks) */
  serverCpuMs: number;
  stdout: string;
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of stat; here 0-based from field 3.
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

/** Runs argv as a whole process and times it from spawn to exit; a non-zero exit fails the benchmark. */
function timed(argv: string[], env: NodeJS.ProcessEnv, serverPid: number): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const cpu0 = cpuMs(serverPid);
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const serverCpuMs = cpuMs(serverPid) - cpu0;
      if (code !== 0) reject(new Error(`${argv.join(" ")} exited ${code}: ${Buffer.concat(err).toString().trim()}`));
      else resolve({ ms, serverCpuMs, stdout: Buffer.concat(out).toString() });
    });
  });
}

/** GETs path and every continue page after it, as kubectl's chunked list does; returns ms and bytes. */
async function rawList(agent: https.Agent, server: string, token: string, path: string, accept: string): Promise<{ ms: number; bytes: number; items: number }> {
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  let items = 0;
  let next: string | undefined = path;
  while (next) {
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${server}${next}`, { agent, headers: { Accept: accept, Authorization: `Bearer ${token}` } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`GET ${next}: HTTP ${res.statusCode}`))));
          res.on("error", reject);
        })
        .on("error", reject);
    });
    bytes += body.length;
    const parsed = JSON.parse(body) as { items?: unknown[]; rows?: unknown[]; metadata?: { continue?: string } };
    items += (parsed.rows ?? parsed.items ?? []).length;
    const cont = parsed.metadata?.continue;
    next = cont && path.includes("limit=") ? `${path}&continue=${encodeURIComponent(cont)}` : undefined;
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes, items };
}

async function inBatches<T>(items: T[], size: number, each: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

interface Pair {
  label: string;
  kubectl: Timed[];
  kemu: Timed[];
}

export async function benchKubectl(): Promise<void> {
  if (!existsSync(KUBECTL)) throw new Error(`${KUBECTL} is missing: this benchmark runs the real kubectl 1.32`);
  const dir = mkdtempSync(join(tmpdir(), "kemu-bench-kubectl-"));
  const kubeconfig = join(dir, "config");
  // HOME too: the dispatcher in front of kubectl caches /version under ~/.kube/cache.
  const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir };
  const cacheDir = join(dir, "cache");
  const name = `benchkc${randomBytes(2).toString("hex")}`;
  step(`starting a 1-node cluster ${name}`);
  const cluster = await Cluster.start({ name, nodes: 1, ingress: false, timeoutMs: 150_000, kubeconfig });
  const rows: [string, string, string][] = [];
  let kubectlVersion = "";
  try {
    const serverPid = (JSON.parse(readFileSync(cluster.paths.config, "utf8")) as { pid: number }).pid;
    const kubectl = (...args: string[]) => [KUBECTL, ...args, "--cache-dir", cacheDir];
    const kemu = (...args: string[]) => [KEMU, ...args, "--name", name];
    kubectlVersion = /Client Version: (\S+)/.exec((await timed(kubectl("version"), env, serverPid)).stdout)?.[1] ?? "?";

    step(`creating ${PODS} pods in ${POD_NAMESPACES.length} namespaces through the API client`);
    for (const ns of POD_NAMESPACES) await cluster.api.create(R.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const pods = Array.from({ length: PODS }, (_, i) => pendingPod(POD_NAMESPACES[i % POD_NAMESPACES.length]!, i));
    await inBatches(pods, CREATE_CONCURRENCY, (p) => cluster.api.create(R.pods, p));
    await cluster.waitFor(
      async () => {
        const list = await cluster.api.list<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(R.pods, { labelSelector: "app=idle" });
        return list.items.length === PODS && list.items.every((p) => p.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status === "False"));
      },
      { timeoutMs: 120_000, intervalMs: 500, what: () => `${PODS} pods marked Unschedulable by the scheduler` },
    );
    await sleep(2000); // the scheduler's events and the controllers settle

    // The floor: the API server's list alone, as kubectl asks for it.
    const { server, token, caPem } = readApiEndpoint(cluster.paths.dir);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: caPem });
    const floor = async (path: string, accept: string) => {
      for (let i = 0; i < WARMUP; i++) await rawList(agent, server, token, path, accept);
      const runs: { ms: number; bytes: number; items: number }[] = [];
      for (let i = 0; i < FLOOR_RUNS; i++) runs.push(await rawList(agent, server, token, path, accept));
      if (runs.some((r) => r.items < PODS)) throw new Error(`GET ${path} listed ${runs.map((r) => r.items).join(", ")} items, expected at least ${PODS}`);
      return { ms: median(runs.map((r) => r.ms)), bytes: runs[0]!.bytes, all: runs.map((r) => r.ms) };
    };
    step("the API server's list alone (raw GETs)");
    const floorTable = await floor("/api/v1/pods?limit=500", TABLE_ACCEPT);
    const floorJson = await floor("/api/v1/pods?limit=500", "application/json");
    const floorTableWhole = await floor("/api/v1/pods", TABLE_ACCEPT);
    agent.destroy();

    // Warm kubectl's discovery (and the dispatcher's /version) cache once, as any first command does.
    step("warming kubectl's discovery cache");
    const cold = await timed(kubectl("get", "pods", "-A"), env, serverPid);

    const pair = async (label: string, a: string[], b: string[], check: (t: Timed, which: "kubectl" | "kemu") => void): Promise<Pair> => {
      const result: Pair = { label, kubectl: [], kemu: [] };
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const order: ("kubectl" | "kemu")[] = i % 2 === 0 ? ["kubectl", "kemu"] : ["kemu", "kubectl"];
        for (const which of order) {
          step(`${label}: ${i < WARMUP ? "warm-up" : `run ${i - WARMUP + 1}/${RUNS}`}, ${which}`);
          const t = await timed(which === "kubectl" ? a : b, env, serverPid);
          check(t, which);
          if (i >= WARMUP) result[which].push(t);
        }
      }
      return result;
    };
    const lines = (t: Timed, re: RegExp) => t.stdout.split("\n").filter((l) => re.test(l)).length;
    const expectLines = (re: RegExp, n: number) => (t: Timed, which: string) => {
      if (lines(t, re) !== n) throw new Error(`${which} printed ${lines(t, re)} lines matching ${re}, expected ${n}:\n${t.stdout.slice(0, 500)}`);
    };
    const expectItems = (t: Timed, which: string) => {
      const n = (JSON.parse(t.stdout) as { items: KubeObject[] }).items.filter((p) => p.metadata?.labels?.app === "idle").length;
      if (n !== PODS) throw new Error(`${which} -o json listed ${n} bench pods, expected ${PODS}`);
    };

    const pairs: Pair[] = [];
    pairs.push(await pair("get pods -A", kubectl("get", "pods", "-A"), kemu("get", "pods", "-A"), expectLines(/^bench-\S+\s+idle-\d{4}\s/, PODS)));
    pairs.push(await pair("get pods -A -o json", kubectl("get", "pods", "-A", "-o", "json"), kemu("get", "pods", "-A", "-o", "json"), expectItems));

    const manifest = join(dir, "manifest.yaml");
    writeFileSync(manifest, applyManifest());
    let applyRun = 0;
    let ns = "";
    const freshNamespace = async () => {
      ns = `apply-${++applyRun}`;
      await cluster.api.create(R.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    };
    const dropNamespace = async () => {
      await cluster.api.delete(R.namespaces, undefined, ns);
      await cluster.waitFor(async () => (await cluster.api.tryGet(R.namespaces, undefined, ns)) === undefined, { timeoutMs: 60_000, intervalMs: 100, what: () => `namespace ${ns} to be gone` });
      await sleep(500);
    };
    // The namespace is named at run time: the argv is built inside the pair.
    const applyPair = async (): Promise<Pair> => {
      const result: Pair = { label: `apply -f (${OBJECTS} objects, new namespace)`, kubectl: [], kemu: [] };
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const order: ("kubectl" | "kemu")[] = i % 2 === 0 ? ["kubectl", "kemu"] : ["kemu", "kubectl"];
        for (const which of order) {
          step(`${result.label}: ${i < WARMUP ? "warm-up" : `run ${i - WARMUP + 1}/${RUNS}`}, ${which}`);
          await freshNamespace();
          const t = await timed(which === "kubectl" ? kubectl("apply", "-f", manifest, "-n", ns) : kemu("apply", "-f", manifest, "-n", ns), env, serverPid);
          expectLines(/^\S+ created$/, OBJECTS)(t, which);
          await dropNamespace();
          if (i >= WARMUP) result[which].push(t);
        }
      }
      return result;
    };
    pairs.push(await applyPair());

    const ms = (x: number) => `${x.toFixed(0)} ms`;
    rows.push([`kubectl get pods -A, first run (discovery fetched)`, ms(cold.ms), "then cached on disk for 6 h, as kubectl does; every figure below has the warm cache"]);
    for (const p of pairs) {
      const k = median(p.kubectl.map((t) => t.ms));
      const c = median(p.kemu.map((t) => t.ms));
      const ratio = median(p.kubectl.map((t, i) => t.ms / p.kemu[i]!.ms));
      const spread = (ts: Timed[]) => `${ms(Math.min(...ts.map((t) => t.ms)))}–${ms(Math.max(...ts.map((t) => t.ms)))}`;
      const cpu = (ts: Timed[]) => ms(median(ts.map((t) => t.serverCpuMs)));
      rows.push([`kubectl ${p.label}`, ms(k), `${ratio.toFixed(2)}× kemu's CLI; runs ${spread(p.kubectl)}; control-plane CPU ${cpu(p.kubectl)}`]);
      rows.push([`kemu ${p.label}`, ms(c), `runs ${spread(p.kemu)}; control-plane CPU ${cpu(p.kemu)}`]);
    }
    const floorRow = (label: string, f: { ms: number; bytes: number; all: number[] }) =>
      rows.push([label, ms(f.ms), `${(f.bytes / 1024).toFixed(0)} KiB; runs ${ms(Math.min(...f.all))}–${ms(Math.max(...f.all))}`]);
    floorRow("floor: GET /api/v1/pods?limit=500 + continue, Table", floorTable);
    floorRow("floor: the same, JSON", floorJson);
    floorRow("floor: GET /api/v1/pods (one page), Table", floorTableWhole);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`\n## kubectl ${kubectlVersion} vs kemu's CLI (${PODS} Pending pods in ${POD_NAMESPACES.length} namespaces; a ${OBJECTS}-object manifest; ${RUNS} runs each after ${WARMUP} warm-ups, taking turns, median)`);
  console.log("kubectl reaches the HTTPS endpoint with the kubeconfig kemu writes (warm discovery cache); kemu's CLI the unix socket. The floor: the same GETs from this process on a kept-alive connection.");
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) console.log(`${k.padEnd(w)}  ${v.padStart(8)}  ${note}`);
}
