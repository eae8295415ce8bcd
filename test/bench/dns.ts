// Benchmark: the cluster DNS (kemu's resolver behind kube-dns) under dnsperf
// with a mix of cluster names — A hits, SRV, NXDOMAIN misses, NODATA (AAAA),
// a headless Service and kubernetes.default — against dnsmasq serving the
// same names and addresses (a hosts file and srv-host lines), measured in the
// same run from the same client pod, in alternating rounds. dnsmasq runs on
// the node that hosts the coredns pod (its network namespace, listening on
// the node's IP); the client pod runs on the other node, so both paths cross
// the underlay. p99 comes from dnsperf -v at a fixed rate. dnsmasq walks its
// srv-host list on every query, so each size is also measured without SRV
// (records and queries). Then the resolver's memory (RSS of the primary and
// its workers) and rate with 10,000 Services, against dnsmasq holding the
// same 10,000 names.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { Cluster, resourceByKind, type KubeObject, type Node, type Pod, type Service, type Stored } from "../../src/index.js";
import { run } from "../../src/linux/exec.js";

const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53";
const SERVICES = resourceByKind("Service")!;
const NODES = resourceByKind("Node")!;
const SMALL = 300;
const BIG = 10_000;
const HEADLESS_REPLICAS = 3;
const DURATION_S = 10;
const SHORT_S = 5;
const ROUNDS = 2;
const LATENCY_QPS = 5000;
const LATENCY_S = 5;
const LATENCY_ROUNDS = 3;
const DNSPERF = ["-c", "4", "-T", "2", "-q", "200"];
const DNS_IP = "10.96.0.10";
const ZONE = "default.svc.cluster.local";

interface PerfResult {
  qps: number;
  sent: number;
  lost: number;
  avgMs: number;
  maxMs: number;
  rcodes: string;
}

interface LatencyResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  n: number;
}

function services(prefix: string, count: number, selector?: Record<string, string>): KubeObject[] {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: `${prefix}-${i}`, namespace: "default" },
    spec: { ...(selector ? { selector } : {}), ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
  }));
}

function workload(): KubeObject[] {
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: {
        replicas: HEADLESS_REPLICAS,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "netexec", image: AGNHOST, args: ["netexec", "--http-port=8080", "--udp-port=8081"] }] },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web-headless", namespace: "default" },
      spec: { clusterIP: "None", selector: { app: "web" }, ports: [{ name: "http", port: 8080, protocol: "TCP" }] },
    },
  ];
}

/** The query mix, as perf-tests' dns query files: per Service an A hit, its SRV, an NXDOMAIN miss and a NODATA (AAAA); every 10th also the headless name and kubernetes.default. */
function queryFile(prefix: string, count: number, withSrv = true): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(`${prefix}-${i}.${ZONE} A`, ...(withSrv ? [`_http._tcp.${prefix}-${i}.${ZONE} SRV`] : []), `nope-${i}.${ZONE} A`, `${prefix}-${i}.${ZONE} AAAA`);
    if (i % 10 === 0) lines.push(`web-headless.${ZONE} A`, `kubernetes.${ZONE} A`);
  }
  return lines.join("\n") + "\n";
}

function parseDnsperf(out: string): PerfResult {
  const num = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) throw new Error(`could not parse dnsperf's output (${re}):\n${out}`);
    return Number(m[1]);
  };
  const lat = /Average Latency \(s\):\s+([\d.]+) \(min [\d.]+, max ([\d.]+)\)/.exec(out);
  if (!lat) throw new Error(`could not parse dnsperf's latency:\n${out}`);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    avgMs: Number(lat[1]) * 1000,
    maxMs: Number(lat[2]) * 1000,
    rcodes: /Response codes:\s+(.*)$/m.exec(out)?.[1]?.trim() ?? "",
  };
}

async function dnsperf(cluster: Cluster, server: string, file: string, extra: string[] = [], seconds = DURATION_S): Promise<string> {
  const argv = ["dnsperf", "-s", server, "-d", file, "-l", String(seconds), ...DNSPERF, ...extra];
  const r = await cluster.exec("client", argv, { timeoutMs: (seconds + 30) * 1000 });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} exited with ${r.exitCode}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** p50/p99 at a fixed rate, from dnsperf -v (one line per answered query: "> RCODE name type seconds"). */
async function latency(cluster: Cluster, server: string, file: string): Promise<LatencyResult> {
  const out = await dnsperf(cluster, server, file, ["-v", "-Q", String(LATENCY_QPS)], LATENCY_S);
  const xs: number[] = [];
  for (const m of out.matchAll(/^> \S+ \S+ \S+ (\d+\.\d{6})$/gm)) xs.push(Number(m[1]) * 1000);
  if (xs.length < LATENCY_QPS) throw new Error(`dnsperf -v reported only ${xs.length} answers:\n${out.slice(-2000)}`);
  xs.sort((a, b) => a - b);
  const q = (p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  return { p50Ms: q(0.5), p99Ms: q(0.99), maxMs: xs[xs.length - 1]!, n: xs.length };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A process and every descendant (the resolver's workers are node:cluster children). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(root);
  return out;
}

function statusKib(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by a set of processes (utime + stime). */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone */
    }
  }
  return ticks / 100;
}

async function ensureTools(): Promise<void> {
  const missing = ["dnsperf", "dnsmasq"].filter((b) => !["/usr/bin", "/usr/sbin", "/bin", "/sbin"].some((d) => existsSync(`${d}/${b}`)));
  if (!missing.length) return;
  console.error(`… installing ${missing.join(", ")} (apt-get)`);
  // dnsmasq-base: the program without the system service.
  await run("apt-get", ["install", "-y", "-qq", "dnsperf", "dnsmasq-base"], { timeoutMs: 300_000 });
}

class Dnsmasq {
  private child: ChildProcess | undefined;
  constructor(
    private readonly netns: string,
    readonly ip: string,
    private readonly dir: string,
  ) {}

  /** Serves exactly the records given: A from a hosts file, SRV from srv-host lines; everything else under cluster.local is answered locally (NXDOMAIN/NODATA), nothing goes upstream. */
  async start(cluster: Cluster, hosts: [string, string][], srv: [string, string, number][], probe: string): Promise<void> {
    await this.stop();
    writeFileSync(`${this.dir}/hosts`, hosts.map(([ip, name]) => `${ip} ${name}`).join("\n") + "\n");
    const conf = [
      "no-resolv",
      "no-hosts",
      "no-poll",
      `addn-hosts=${this.dir}/hosts`,
      "local=/cluster.local/",
      "local-ttl=30",
      "port=53",
      `listen-address=${this.ip}`,
      "bind-interfaces",
      "user=root",
      "pid-file=",
      "log-facility=/dev/null",
      ...srv.map(([name, target, port]) => `srv-host=${name},${target},${port}`),
    ];
    writeFileSync(`${this.dir}/dnsmasq.conf`, conf.join("\n") + "\n");
    // nsenter execs dnsmasq: the child's PID is dnsmasq's.
    const child = spawn("nsenter", [`--net=/run/netns/${this.netns}`, "dnsmasq", "--keep-in-foreground", `--conf-file=${this.dir}/dnsmasq.conf`], { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    await cluster.waitFor(async () => (await cluster.exec("client", ["dig", "+short", "+time=1", "+tries=1", `@${this.ip}`, probe])).stdout.split("\n").some((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l)), {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: () => `dnsmasq on ${this.ip} to answer ${probe}`,
      abortIf: () => (child.exitCode !== null ? `dnsmasq exited with ${child.exitCode}: ${stderr}` : undefined),
    });
  }

  rssKib(): number {
    return this.child?.pid ? statusKib(this.child.pid, "VmRSS") : 0;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}

/** The records dnsmasq needs to answer the same names as kemu: each Service's ClusterIP (A), its _http._tcp SRV, the headless Service's endpoints, kubernetes.default. */
async function records(cluster: Cluster, prefix: string): Promise<{ hosts: [string, string][]; srv: [string, string, number][] }> {
  const list = (await cluster.api.list<Service>(SERVICES, { namespace: "default" })).items;
  const hosts: [string, string][] = [];
  const srv: [string, string, number][] = [];
  for (const s of list) {
    const name = s.metadata.name!;
    const fqdn = `${name}.${ZONE}`;
    if (name === "kubernetes" || name.startsWith(`${prefix}-`)) {
      hosts.push([s.spec!.clusterIP!, fqdn]);
      if (name !== "kubernetes") srv.push([`_http._tcp.${fqdn}`, fqdn, 80]);
    }
  }
  const pods = await cluster.pods({ labelSelector: "app=web" });
  for (const p of pods) hosts.push([p.status!.podIP!, `web-headless.${ZONE}`]);
  return { hosts, srv };
}

function corednsPid(pod: Stored<Pod>): number {
  const pid = Number(/^kemu:\/\/(\d+)$/.exec(pod.status?.containerStatuses?.[0]?.containerID ?? "")?.[1]);
  if (!pid) throw new Error(`no container PID for ${pod.metadata.name}`);
  return pid;
}

/** Until the control plane and node agents have digested a burst of changes (kube-proxy's rules, EndpointSlices…): < 5% of a CPU over a second, or 60 s. */
async function settle(pids: number[]): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < 60_000) {
    const a = cpuSeconds(pids);
    await new Promise((r) => setTimeout(r, 1000));
    if (cpuSeconds(pids) - a < 0.05) break;
  }
  return (performance.now() - t0) / 1000;
}

const step = (what: string) => console.error(`… ${what}`);

interface Pair {
  kemu: PerfResult[];
  ref: PerfResult[];
}

/** kemu and dnsmasq in alternating order, round after round (load drifting during the run hits both). */
async function compare(cluster: Cluster, servers: { kemu: string; ref: string }, file: string, seconds: number, what: string): Promise<Pair> {
  const pair: Pair = { kemu: [], ref: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (["kemu", "ref"] as const) : (["ref", "kemu"] as const);
    for (const which of order) {
      step(`${what}, round ${round + 1}/${ROUNDS}: dnsperf ${seconds}s → ${which === "kemu" ? "kemu" : "dnsmasq"} (${servers[which]})`);
      pair[which].push(parseDnsperf(await dnsperf(cluster, servers[which], file, [], seconds)));
    }
  }
  return pair;
}

async function warmUp(cluster: Cluster, servers: string[], file: string): Promise<void> {
  for (const server of servers) await dnsperf(cluster, server, file, [], 2);
}

type Row = [string, string, string];

/** Mean rate, the median of each round's kemu/dnsmasq ratio, each round, latency and losses. */
function pairRows(label: string, p: Pair, refName: string, target?: number): Row[] {
  const ratio = median(p.kemu.map((k, i) => k.qps / p.ref[i]!.qps));
  const lost = (xs: PerfResult[]) => `${xs.reduce((s, x) => s + x.lost, 0)} of ${xs.reduce((s, x) => s + x.sent, 0)}`;
  const targetNote = target === undefined ? "" : `; ${ratio >= target ? "meets" : "MISSES"} target (≥ ${target}×)`;
  return [
    [label, mean(p.kemu.map((x) => x.qps)).toFixed(0), `${ratio.toFixed(2)}× ${refName} (${mean(p.ref.map((x) => x.qps)).toFixed(0)}/s)${targetNote}`],
    [`  each round: kemu / dnsmasq`, "", p.kemu.map((k, i) => `${k.qps.toFixed(0)}/${p.ref[i]!.qps.toFixed(0)} = ${(k.qps / p.ref[i]!.qps).toFixed(2)}`).join("; ")],
    [
      `  average latency at full load, max`,
      `${mean(p.kemu.map((x) => x.avgMs)).toFixed(2)} ms`,
      `max ${Math.max(...p.kemu.map((x) => x.maxMs)).toFixed(1)} ms; dnsmasq ${mean(p.ref.map((x) => x.avgMs)).toFixed(2)} ms, max ${Math.max(...p.ref.map((x) => x.maxMs)).toFixed(1)} ms`,
    ],
    [`  queries lost`, lost(p.kemu), `dnsmasq ${lost(p.ref)}`],
  ];
}

export async function benchDns(): Promise<void> {
  console.log(
    `\n## Cluster DNS: dnsperf ${DNSPERF.join(" ")}, UDP unless said, a mix of A/SRV/NXDOMAIN/AAAA (NODATA)/headless names from a client pod on the other node; ` +
      `reference: dnsmasq serving the same records on the coredns pod's node; ${ROUNDS} alternating rounds per comparison`,
  );
  await ensureTools();
  const loadBefore = loadavg()[0]!;
  const name = `benchdns${randomBytes(2).toString("hex")}`;
  const dir = `/var/tmp/kemu-${name}`;
  mkdirSync(dir, { recursive: true });
  step(`starting a 2-node cluster (${name})`);
  const cluster = await Cluster.start({ ingress: false, name, nodes: 2, timeoutMs: 120_000 });
  let dnsmasq: Dnsmasq | undefined;
  try {
    step(`applying ${SMALL} Services, a headless Service and a ${HEADLESS_REPLICAS}-pod Deployment`);
    await cluster.apply([...services("svc", SMALL, { app: "web" }), ...workload()]);
    await cluster.waitForWorkloads(120_000);
    const [coredns] = await cluster.pods({ namespace: "kube-system", labelSelector: "k8s-app=kube-dns" });
    if (!coredns?.spec.nodeName) throw new Error("no coredns pod");
    const dnsNode = coredns.spec.nodeName;
    const clientNode = dnsNode === "node-1" ? "node-2" : "node-1";
    await cluster.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "client", namespace: "default" },
      spec: { nodeName: clientNode, terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["pause"] }] },
    });
    await cluster.waitFor(async () => (await cluster.pod("client")).status?.phase === "Running", { what: () => "the client pod", timeoutMs: 60_000 });
    const node = await cluster.api.get<Node>(NODES, undefined, dnsNode);
    const nodeIP = node.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
    if (!nodeIP) throw new Error(`no InternalIP on ${dnsNode}`);
    const servers = { kemu: DNS_IP, ref: nodeIP };
    const lastSmall = `svc-${SMALL - 1}.${ZONE}`;
    await cluster.waitFor(async () => (await cluster.exec("client", ["dig", "+short", "+time=1", "+tries=1", `@${DNS_IP}`, lastSmall])).stdout.split("\n").some((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l)), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: () => `${lastSmall} to resolve from the client pod`,
    });

    // 300 Services: the full mix, latency at a fixed rate, the mix without SRV, TCP.
    const smallFile = `${dir}/queries-${SMALL}.txt`;
    const smallFileNoSrv = `${dir}/queries-${SMALL}-nosrv.txt`;
    writeFileSync(smallFile, queryFile("svc", SMALL));
    writeFileSync(smallFileNoSrv, queryFile("svc", SMALL, false));
    dnsmasq = new Dnsmasq(`kemu-${name}-${dnsNode}`, nodeIP, dir);
    const smallRecords = await records(cluster, "svc");
    step(`dnsmasq on ${dnsNode} (${nodeIP}:53) with ${smallRecords.hosts.length} A and ${smallRecords.srv.length} SRV records; client pod on ${clientNode}`);
    await dnsmasq.start(cluster, smallRecords.hosts, smallRecords.srv, lastSmall);
    step("warming up (2 s on each)");
    await warmUp(cluster, [DNS_IP, nodeIP], smallFile);
    const small = await compare(cluster, servers, smallFile, DURATION_S, `${SMALL} Services`);
    const kemuLat: LatencyResult[] = [];
    const refLat: LatencyResult[] = [];
    for (let round = 0; round < LATENCY_ROUNDS; round++) {
      step(`round ${round + 1}/${LATENCY_ROUNDS}: latency at ${LATENCY_QPS} queries/s (${LATENCY_S}s each, dnsperf -v)`);
      const order = round % 2 === 0 ? ([DNS_IP, nodeIP] as const) : ([nodeIP, DNS_IP] as const);
      for (const server of order) (server === DNS_IP ? kemuLat : refLat).push(await latency(cluster, server, smallFile));
    }
    // dnsmasq walks its whole list of srv-host records on every query
    // (answer_request resets each record's offset, then compares the name
    // with each): measure it also without them, on the mix without SRV.
    const dnsmasqRssSmall = dnsmasq.rssKib();
    step("dnsmasq without srv-host records");
    await dnsmasq.start(cluster, smallRecords.hosts, [], lastSmall);
    await warmUp(cluster, [nodeIP], smallFileNoSrv);
    const smallNoSrv = await compare(cluster, servers, smallFileNoSrv, SHORT_S, `${SMALL} Services, no SRV`);
    step(`dnsperf -m tcp ${SHORT_S}s → kemu`);
    const kemuTcp = parseDnsperf(await dnsperf(cluster, DNS_IP, smallFile, ["-m", "tcp"], SHORT_S));
    const kemuRssSmall = processTree(corednsPid(coredns)).map((p) => statusKib(p, "VmRSS"));

    // 10,000 Services through the API, 200 requests at a time. Without
    // selectors: a ClusterIP Service's A and SRV records do not need
    // endpoints, and 10,000 selectors would make this a benchmark of the
    // EndpointSlice controller and kube-proxy instead (minutes).
    const existing = (await cluster.api.list<Service>(SERVICES)).items.length;
    const bulk = services("big", BIG - existing);
    step(`creating ${bulk.length} more Services (${BIG} in all) through the API`);
    const t0 = performance.now();
    for (let i = 0; i < bulk.length; i += 200) await Promise.all(bulk.slice(i, i + 200).map((s) => cluster.api.create(SERVICES, s)));
    const createS = (performance.now() - t0) / 1000;
    const lastBig = `big-${bulk.length - 1}.${ZONE}`;
    await cluster.waitFor(async () => (await cluster.exec("client", ["dig", "+short", "+time=1", "+tries=1", `@${DNS_IP}`, lastBig])).stdout.split("\n").some((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l)), {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: () => `${lastBig} to resolve from the client pod`,
    });
    const resolvedS = (performance.now() - t0) / 1000;
    const info = JSON.parse(readFileSync(`/run/kemu/${name}/cluster.json`, "utf8")) as { pid: number };
    const agents = ["node-1", "node-2"].map((n) => Number(readFileSync(`/run/kemu/${name}/pids/agent-${n}`, "utf8")));
    step("waiting for the control plane, agents and resolver to go quiet");
    const settleS = await settle([info.pid, ...agents.flatMap(processTree), ...processTree(corednsPid(coredns))]);
    const kemuRssBigIdle = processTree(corednsPid(coredns)).map((p) => statusKib(p, "VmRSS"));

    const bigFile = `${dir}/queries-${BIG}.txt`;
    const bigFileNoSrv = `${dir}/queries-${BIG}-nosrv.txt`;
    writeFileSync(bigFile, queryFile("big", bulk.length));
    writeFileSync(bigFileNoSrv, queryFile("big", bulk.length, false));
    const bigRecords = await records(cluster, "big");
    step(`dnsmasq with ${bigRecords.hosts.length} A records and no SRV`);
    await dnsmasq.start(cluster, bigRecords.hosts, [], lastBig);
    await warmUp(cluster, [DNS_IP, nodeIP], bigFileNoSrv);
    const bigNoSrv = await compare(cluster, servers, bigFileNoSrv, SHORT_S, `${BIG} Services, no SRV`);
    const dnsmasqRssBig = dnsmasq.rssKib();
    step(`dnsmasq with ${bigRecords.hosts.length} A and ${bigRecords.srv.length} SRV records`);
    await dnsmasq.start(cluster, bigRecords.hosts, bigRecords.srv, lastBig);
    await warmUp(cluster, [DNS_IP, nodeIP], bigFile);
    const big = await compare(cluster, servers, bigFile, SHORT_S, `${BIG} Services`);
    const dnsmasqRssBigSrv = dnsmasq.rssKib();
    const kemuRssBigQueried = processTree(corednsPid(coredns)).map((p) => statusKib(p, "VmRSS"));
    await dnsmasq.stop();
    const loadAfter = loadavg()[0]!;

    const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
    const rss = (xs: number[]) => `${xs.map((k) => mib(k)).join(" + ")}`;
    const p99K = median(kemuLat.map((x) => x.p99Ms));
    const p99R = median(refLat.map((x) => x.p99Ms));
    const fmtLat = (x: LatencyResult) => `${x.p50Ms.toFixed(2)} / ${x.p99Ms.toFixed(2)} / ${x.maxMs.toFixed(1)} ms`;
    const rows: Row[] = [
      ...pairRows(`queries/s, ${SMALL} Services, full mix (${DURATION_S} s runs)`, small, "dnsmasq", 0.5),
      [`  response codes`, "", `kemu ${small.kemu[0]!.rcodes}; dnsmasq ${small.ref[0]!.rcodes}`],
      [`p99 latency at ${LATENCY_QPS} queries/s (median of ${LATENCY_ROUNDS})`, `${p99K.toFixed(2)} ms`, `${(p99K / p99R).toFixed(2)}× dnsmasq (${p99R.toFixed(2)} ms)`],
      [`  each round: p50 / p99 / max, kemu; dnsmasq`, "", kemuLat.map((k, i) => `${fmtLat(k)}; ${fmtLat(refLat[i]!)}`).join(" | ")],
      ...pairRows(`queries/s, ${SMALL} Services, mix without SRV (${SHORT_S} s)`, smallNoSrv, "dnsmasq without srv-host records"),
      [`queries/s over TCP (-m tcp, ${SHORT_S} s)`, kemuTcp.qps.toFixed(0), `${(kemuTcp.qps / mean(small.kemu.map((x) => x.qps))).toFixed(2)}× kemu's UDP; avg ${kemuTcp.avgMs.toFixed(2)} ms; lost ${kemuTcp.lost} of ${kemuTcp.sent}`],
      [`resolver RSS, ${SMALL} Services, after the queries (primary + workers)`, mib(kemuRssSmall.reduce((s, x) => s + x, 0)), `${rss(kemuRssSmall)}; dnsmasq ${mib(dnsmasqRssSmall)}`],
      [`${BIG} Services (no selectors): create through the API`, `${createS.toFixed(1)} s`, `last name resolves ${resolvedS.toFixed(1)} s after the first create; control plane, agents and resolver quiet ${settleS.toFixed(0)} s later`],
      [`resolver RSS, ${BIG} Services, synced, before queries`, mib(kemuRssBigIdle.reduce((s, x) => s + x, 0)), rss(kemuRssBigIdle)],
      [`resolver RSS, ${BIG} Services, after the queries below`, mib(kemuRssBigQueried.reduce((s, x) => s + x, 0)), `${rss(kemuRssBigQueried)}; dnsmasq ${mib(dnsmasqRssBig)} (${mib(dnsmasqRssBigSrv)} with the SRV records)`],
      ...pairRows(`queries/s, ${BIG} Services, mix without SRV (${SHORT_S} s)`, bigNoSrv, "dnsmasq without srv-host records"),
      ...pairRows(`queries/s, ${BIG} Services, full mix (${SHORT_S} s)`, big, `dnsmasq with ${bigRecords.srv.length} srv-host records`),
      [`host load average (1 min), before / after`, "", `${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)} (${cpus().length} CPUs, shared with the client, both servers and the cluster)`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v, note] of rows) console.log(`${k.padEnd(w)}  ${v.padStart(9)}  ${note}`);
  } finally {
    await dnsmasq?.stop();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
