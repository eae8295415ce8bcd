// Benchmark: HTTP requests/s and p99 latency through a ClusterIP against
// straight to the pod IP (the reference, measured in the same run), with
// kube-proxy in iptables mode and in userspace mode. One agnhost netexec
// backend on node-2, a client pod on node-1 running wrk (Debian's `wrk`);
// after a short warm-up, the two targets are measured alternately, in
// rounds (which goes first alternates too); the ratios are the medians of
// each round's ClusterIP / pod IP pair.
import { randomBytes } from "node:crypto";
import { Cluster, resourceByKind, type Service, type StartOptions } from "../../src/index.js";

type ProxyMode = NonNullable<StartOptions["proxyMode"]>;

const ROUNDS = 5;
const DURATION_S = 4;
const WARMUP_S = 2;
export const CONNECTIONS = 50;
const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53";
const SERVICES = resourceByKind("Service")!;

const MANIFESTS = [
  `apiVersion: v1
kind: Pod
metadata: { name: backend, labels: { app: backend } }
spec:
  nodeName: node-2
  terminationGracePeriodSeconds: 0
  containers:
    - name: netexec
      image: ${AGNHOST}
      args: [netexec, --http-port=8080, --udp-port=-1]
      ports: [{ name: http, containerPort: 8080 }]
`,
  `apiVersion: v1
kind: Service
metadata: { name: backend }
spec:
  selector: { app: backend }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`,
  `apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  nodeName: node-1
  terminationGracePeriodSeconds: 0
  containers: [{ name: c, image: "${AGNHOST}", args: [pause] }]
`,
];

export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: string;
}

/** wrk's latency figures: "1.23ms", "456.00us", "1.02s". */
function toMs(figure: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(figure);
  if (!m) throw new Error(`unexpected wrk latency ${JSON.stringify(figure)}`);
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as "us" | "ms" | "s" | "m"];
}

function parseWrk(out: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  if (!rps || !p50 || !p99) throw new Error(`could not parse wrk's output:\n${out}`);
  const errors = [/^\s+Socket errors:.*$/m.exec(out)?.[0].trim(), /^\s+Non-2xx or 3xx responses:.*$/m.exec(out)?.[0].trim()].filter(Boolean).join("; ");
  return { rps: Number(rps[1]), p50Ms: toMs(p50[1]!), p99Ms: toMs(p99[1]!), errors };
}

export interface WrkOptions {
  /** where wrk runs: the "client" pod (default) or an emulated host (a node or "outside") */
  host?: string;
  headers?: Record<string, string>;
  connections?: number;
}

export async function wrk(cluster: Cluster, url: string, seconds = DURATION_S, options: WrkOptions = {}): Promise<WrkResult> {
  const headers = Object.entries(options.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const argv = ["wrk", "-t2", `-c${options.connections ?? CONNECTIONS}`, `-d${seconds}s`, "--latency", ...headers, url];
  const timeoutMs = (seconds + 30) * 1000;
  const r = options.host ? await cluster.execOnHost(options.host, argv, { timeoutMs }) : await cluster.exec("client", argv, { timeoutMs });
  if (r.exitCode !== 0) throw new Error(`wrk ${url} exited with ${r.exitCode}: ${r.stderr || r.stdout}`);
  return parseWrk(r.stdout);
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface ModeResult {
  direct: WrkResult[];
  clusterIP: WrkResult[];
}

async function measureMode(proxyMode: ProxyMode): Promise<ModeResult> {
  const step = (what: string) => console.error(`… ${proxyMode}: ${what}`);
  step("starting a 2-node cluster");
  const cluster = await Cluster.start({ ingress: false, name: `benchdp${randomBytes(2).toString("hex")}`, nodes: 2, proxyMode, manifests: MANIFESTS, timeoutMs: 120_000 });
  try {
    const podIP = (await cluster.pod("backend")).status?.podIP;
    const clusterIP = (await cluster.api.get<Service>(SERVICES, "default", "backend")).spec?.clusterIP;
    if (!podIP || !clusterIP) throw new Error(`no pod IP (${podIP}) or ClusterIP (${clusterIP})`);
    const direct = `http://${podIP}:8080/hostname`;
    const viaService = `http://${clusterIP}/hostname`;
    // The Service is programmed asynchronously: wait until it answers.
    await cluster.waitFor(async () => (await cluster.exec("client", ["curl", "-sS", "--max-time", "1", viaService])).stdout === "backend", {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: () => `${viaService} to answer from the client pod`,
    });
    step(`warming up (${WARMUP_S}s on each)`);
    for (const url of [direct, viaService]) await wrk(cluster, url, WARMUP_S);
    const result: ModeResult = { direct: [], clusterIP: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which target goes first.
      const order = round % 2 === 0 ? (["direct", "clusterIP"] as const) : (["clusterIP", "direct"] as const);
      for (const which of order) {
        step(`round ${round + 1}/${ROUNDS}: wrk ${DURATION_S}s → ${which === "direct" ? direct : viaService}`);
        result[which].push(await wrk(cluster, which === "direct" ? direct : viaService));
      }
    }
    return result;
  } finally {
    await cluster.stop();
  }
}

export async function benchDatapath(): Promise<void> {
  console.log(`\n## Data path: HTTP through a ClusterIP vs straight to the pod IP (wrk -t2 -c${CONNECTIONS} -d${DURATION_S}s, ${ROUNDS} rounds each, client on node-1, agnhost netexec on node-2)`);
  const rows: [string, string, string][] = [];
  for (const mode of ["iptables", "userspace"] as const) {
    const r = await measureMode(mode);
    const rps = { direct: median(r.direct.map((x) => x.rps)), clusterIP: median(r.clusterIP.map((x) => x.rps)) };
    const p99 = { direct: median(r.direct.map((x) => x.p99Ms)), clusterIP: median(r.clusterIP.map((x) => x.p99Ms)) };
    // Each round's pair ran back to back: the median of the pairs' ratios is less
    // sensitive to load drifting during the run than the ratio of the medians.
    const ratio = median(r.clusterIP.map((x, i) => x.rps / r.direct[i]!.rps));
    const p99Ratio = median(r.clusterIP.map((x, i) => x.p99Ms / r.direct[i]!.p99Ms));
    const targetNote = mode === "iptables" ? `; ${ratio >= 0.9 ? "meets" : "MISSES"} target (≥ 0.9)` : "";
    const errors = [...r.direct, ...r.clusterIP].map((x) => x.errors).filter(Boolean);
    rows.push(
      [`${mode} mode: requests/s via ClusterIP`, rps.clusterIP.toFixed(0), `${ratio.toFixed(2)}× straight to the pod IP (${rps.direct.toFixed(0)}/s)${targetNote}`],
      [`  each round: ClusterIP / pod IP`, "", r.clusterIP.map((x, i) => `${x.rps.toFixed(0)}/${r.direct[i]!.rps.toFixed(0)} = ${(x.rps / r.direct[i]!.rps).toFixed(2)}`).join("; ")],
      [`${mode} mode: p99 latency via ClusterIP`, `${p99.clusterIP.toFixed(2)} ms`, `${p99Ratio.toFixed(2)}× straight to the pod IP (${p99.direct.toFixed(2)} ms)`],
      [`  each round: ClusterIP / pod IP`, "", r.clusterIP.map((x, i) => `${x.p99Ms.toFixed(1)}/${r.direct[i]!.p99Ms.toFixed(1)}`).join("; ") + " ms"],
    );
    if (errors.length) rows.push([`  wrk reported`, "", errors.join(" / ")]);
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) console.log(`${k.padEnd(w)}  ${v.padStart(9)}  ${note}`);
}
