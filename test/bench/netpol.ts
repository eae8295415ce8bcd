// Benchmark: NetworkPolicy.
//  1. The full reachability probe: 9 pods × 9 pods × {80,81} × {TCP,UDP},
//     against one single-cell probe (the floor: starting kemu-probe once).
//  2. Enforcement latency: from the API write (a pod label change that moves
//     it into a policy's peer set; a policy create) to the node's kernel
//     holding the change, seen by `nft monitor` in the node namespace, with
//     100 pods / 50 policies and 1,000 pods / 500 policies; the reference is
//     the same kind of change written straight with `nft` (process + kernel).
//  3. Data path: HTTP requests/s pod → pod with 50 policies selecting the
//     target against none, same run, alternating rounds (bar ≥ 0.9×).
import { randomBytes } from "node:crypto";
import { execa, type ResultPromise } from "execa";
import { Cluster, resourceByKind, type KubeObject } from "../../src/index.js";
import { topologyManifests, PODS } from "../support/netpol-scenarios.js";
import { median, wrk } from "./datapath.js";
import { AGNHOST } from "../support/workloads.js";

const PODS_RES = resourceByKind("Pod")!;
const NETPOLS = resourceByKind("NetworkPolicy")!;
const step = (what: string) => console.error(`… netpol: ${what}`);
const clusterName = () => `benchnp${randomBytes(2).toString("hex")}`;

export async function benchProbe(rows: Row[]): Promise<void> {
  step("probe: starting a 3-node cluster with the x/y/z × a/b/c topology");
  const cluster = await Cluster.start({ ingress: false, name: clusterName(), nodes: 3, timeoutMs: 120_000, manifests: topologyManifests({ nodes: ["node-1", "node-2", "node-3"] }) as KubeObject[] });
  try {
    await cluster.waitForPods({ namespace: "x", count: 3, condition: "Ready" });
    await cluster.waitForPods({ namespace: "y", count: 3, condition: "Ready" });
    await cluster.waitForPods({ namespace: "z", count: 3, condition: "Ready" });
    const opts = { namespaces: ["x", "y", "z"], ports: [80, 81], protocols: ["TCP", "UDP"] as Array<"TCP" | "UDP">, timeoutMs: 1000 };
    await cluster.probe(opts); // warm-up
    const full: number[] = [];
    const one: number[] = [];
    for (let i = 0; i < 7; i++) {
      let t = performance.now();
      const m = await cluster.probe(opts);
      full.push(performance.now() - t);
      if (m.cells.length !== PODS.length * PODS.length * 4) throw new Error(`expected ${PODS.length ** 2 * 4} cells, got ${m.cells.length}`);
      t = performance.now();
      await cluster.probe({ namespaces: ["x"], ports: [80], protocols: ["TCP"], timeoutMs: 1000 });
      one.push(performance.now() - t);
    }
    // With blocked cells a probe lasts its timeout (policy drops, as Calico's does): upstream's 1 s, and 300 ms.
    await cluster.apply({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "deny-x", namespace: "x" }, spec: { podSelector: {}, policyTypes: ["Ingress"] } });
    await cluster.waitFor(async () => (await cluster.probe({ ...opts, namespaces: ["x", "y"], ports: [80], protocols: ["TCP"], timeoutMs: 300 })).cells.some((c) => c.reachable === false), { timeoutMs: 10_000, what: () => "deny-x to be enforced" });
    const blocked: Record<number, number[]> = { 1000: [], 300: [] };
    for (let i = 0; i < 5; i++) {
      for (const timeoutMs of [1000, 300]) {
        const t = performance.now();
        await cluster.probe({ ...opts, timeoutMs });
        blocked[timeoutMs]!.push(performance.now() - t);
      }
    }
    const f = median(full);
    const o = median(one);
    for (const timeoutMs of [1000, 300]) {
      const b = median(blocked[timeoutMs]!);
      rows.push([`probe: same, x isolated (${(PODS.length - 3) * 3 * 4} cells blocked), --timeout ${timeoutMs}ms`, `${b.toFixed(0)} ms`, `${(b / timeoutMs).toFixed(2)}× the timeout; bar ≤ 3000 ms: ${b <= 3000 ? "meets" : "MISSES"}; goal ≤ 1000 ms: ${b <= 1000 ? "meets" : "misses"}`]);
    }
    rows.push([`probe: 9×9 pods × 4 port/protocols (${PODS.length ** 2 * 4} cells)`, `${f.toFixed(0)} ms`, `${(f / o).toFixed(1)}× a 3-pod, one-port probe (${o.toFixed(0)} ms); bar ≤ 3000 ms: ${f <= 3000 ? "meets" : "MISSES"}; goal ≤ 1000 ms: ${f <= 1000 ? "meets" : "misses"}`]);
  } finally {
    await cluster.stop();
  }
}

/** `nft monitor` in a node's namespace: resolves when a line matching `re` appears. */
class NftMonitor {
  private readonly child: ResultPromise;
  private buffer = "";
  private waiters: Array<{ re: RegExp; resolve: (t: number) => void }> = [];

  constructor(cluster: Cluster, node: string) {
    // stdbuf: nft block-buffers a pipe, and each event must arrive when it happens.
    const argv = cluster.hostArgv(node, ["stdbuf", "-oL", "nft", "monitor"]);
    this.child = execa(argv[0]!, argv.slice(1), { reject: false, buffer: false });
    this.child.stdout!.on("data", (chunk: Buffer) => {
      const now = performance.now();
      this.buffer += chunk.toString();
      const lines = this.buffer.split("\n");
      this.buffer = lines.pop()!;
      for (const line of lines) {
        this.waiters = this.waiters.filter((w) => {
          if (!w.re.test(line)) return true;
          w.resolve(now);
          return false;
        });
      }
    });
  }

  next(re: RegExp, timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nft monitor: no line matching ${re} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ re, resolve: (t) => (clearTimeout(timer), resolve(t)) });
    });
  }

  /**
   * When the kernel got the change: the time of the first nft transaction
   * after which `done()` holds. (nft monitor announces every transaction;
   * its own rendering of set elements is unreliable once sets change, so
   * the content is checked by listing it.)
   */
  async transactionUntil(done: () => Promise<boolean>, timeoutMs = 30_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const t = await this.next(/^# new generation \d+ by process \d+ \(nft\)/, Math.max(1, deadline - performance.now()));
      if (await done()) return t;
    }
  }

  stop(): void {
    this.child.kill();
  }
}

/** Nodes for `pods` pods: a node's /24 holds 253 pods; keep well under it. */
const nodesFor = (pods: number) => Math.max(3, Math.ceil(pods / 200));

/**
 * `pods` pause pods over the nodes in namespace "bench", labelled group=g<i % policies>;
 * `policies` NetworkPolicies: group gN accepts ingress only from pods labelled client=gN.
 */
function scaleManifests(pods: number, policies: number): KubeObject[] {
  const nodes = nodesFor(pods);
  const objects: KubeObject[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } }];
  for (let i = 0; i < pods; i++) {
    objects.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `p${i}`, namespace: "bench", labels: { group: `g${i % policies}` } },
      spec: { nodeName: `node-${(i % nodes) + 1}`, terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["pause"] }] },
    });
  }
  for (let g = 0; g < policies; g++) {
    objects.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: `np-g${g}`, namespace: "bench" },
      spec: { podSelector: { matchLabels: { group: `g${g}` } }, ingress: [{ from: [{ podSelector: { matchLabels: { client: `g${g}` } } }], ports: [{ port: 80 }] }] },
    });
  }
  return objects;
}

export async function benchLatency(rows: Row[], pods: number, policies: number, trials: number): Promise<void> {
  step(`latency: starting a ${nodesFor(pods)}-node cluster with ${pods} pods and ${policies} policies`);
  const cluster = await Cluster.start({ ingress: false, name: clusterName(), nodes: nodesFor(pods), timeoutMs: 600_000, manifests: scaleManifests(pods, policies) });
  const monitor = new NftMonitor(cluster, "node-1");
  try {
    await cluster.waitForPods({ namespace: "bench", count: pods, condition: "Running", timeoutMs: 600_000 });
    await new Promise((r) => setTimeout(r, 2000)); // let the last syncs settle
    const label: number[] = [];
    const create: number[] = [];
    const direct: number[] = [];
    for (let t = 0; t < trials; t++) {
      // A pod on node-2 becomes a client of group g0, whose pods include p0 on node-1: node-1's set for {client=g0} gains its IP.
      const mover = `p${nodesFor(pods) * (t + 1) + 1}`;
      const ip = (await cluster.pod(mover, "bench")).status!.podIP!;
      const inKernel = async (what: string[], text: string) => (await cluster.execOnHost("node-1", ["nft", "list", ...what])).stdout.includes(text);
      let t0 = performance.now();
      await cluster.api.patch(PODS_RES, "bench", mover, { metadata: { labels: { client: "g0" } } });
      label.push((await monitor.transactionUntil(() => inKernel(["table", "inet", "kemu-policy"], ip))) - t0);

      // A new policy selecting p0 (node-1): its rule appears in p0's chain.
      t0 = performance.now();
      await cluster.api.create(NETPOLS, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: `extra-${t}`, namespace: "bench" }, spec: { podSelector: { matchLabels: { group: "g0" } }, ingress: [{ ports: [{ port: 81 + t }] }] } }, "bench");
      create.push((await monitor.transactionUntil(() => inKernel(["chain", "inet", "kemu-policy", "pod-ingress-bench/p0"], `bench/extra-${t} `))) - t0);

      // Reference: the same kind of kernel change written directly.
      const t2 = performance.now();
      await cluster.execOnHost("node-1", ["nft", "add", "element", "inet", "kemu-policy", "pod-ingress", `{ "bench${t}" : jump pod-ingress-bench/p0 }`]);
      direct.push(performance.now() - t2);
      await cluster.execOnHost("node-1", ["nft", "delete", "element", "inet", "kemu-policy", "pod-ingress", `{ "bench${t}" }`]);
      await new Promise((r) => setTimeout(r, 200));
    }
    const l = median(label);
    const c = median(create);
    const d = median(direct);
    const bar = pods <= 100 ? `; bar ≤ 200 ms: ${l <= 200 && c <= 200 ? "meets" : "MISSES"}; goal ≤ 50 ms: ${l <= 50 && c <= 50 ? "meets" : "misses"}` : " (reported)";
    rows.push([`latency, ${pods} pods / ${policies} policies: label change → kernel`, `${l.toFixed(1)} ms`, `${(l / d).toFixed(1)}× a direct nft write (${d.toFixed(1)} ms)${bar}`]);
    rows.push([`latency, ${pods} pods / ${policies} policies: policy create → kernel`, `${c.toFixed(1)} ms`, `${(c / d).toFixed(1)}× a direct nft write; trials: ${label.map((x) => x.toFixed(0)).join("/")} | ${create.map((x) => x.toFixed(0)).join("/")} ms`]);
  } finally {
    monitor.stop();
    await cluster.stop();
  }
}

export async function benchDatapath(rows: Row[]): Promise<void> {
  step("data path: starting a 2-node cluster (server on node-2, client on node-1)");
  const manifests: KubeObject[] = [
    { apiVersion: "v1", kind: "Pod", metadata: { name: "server", labels: { app: "server", group: "g0" } }, spec: { nodeName: "node-2", terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["netexec", "--http-port=8080", "--udp-port=-1"] }] } },
    { apiVersion: "v1", kind: "Pod", metadata: { name: "client", labels: { role: "client" } }, spec: { nodeName: "node-1", terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["pause"] }] } },
  ];
  const cluster = await Cluster.start({ ingress: false, name: clusterName(), nodes: 2, timeoutMs: 120_000, manifests });
  try {
    await cluster.waitForPods({ count: 2, condition: "Ready" });
    const url = `http://${(await cluster.pod("server")).status!.podIP}:8080/hostname`;
    // 50 policies select the server; the last of them lets the client in (the others allow other peers and ports).
    const policies: KubeObject[] = Array.from({ length: 50 }, (_, i) => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: `p${i}` },
      spec: {
        podSelector: { matchLabels: { app: "server" } },
        ingress: [i === 49 ? { from: [{ podSelector: { matchLabels: { role: "client" } } }], ports: [{ port: 8080 }] } : { from: [{ podSelector: { matchLabels: { role: `other-${i}` } } }], ports: [{ port: 9000 + i }] }],
      },
    }));
    const rounds = 5;
    const withPolicies: number[] = [];
    const without: number[] = [];
    await wrk(cluster, url, 2);
    for (let r = 0; r < rounds; r++) {
      for (const withP of r % 2 === 0 ? [false, true] : [true, false]) {
        if (withP) await cluster.apply(policies);
        else for (const p of policies) await cluster.api.delete(NETPOLS, "default", p.metadata!.name!).catch(() => undefined);
        await cluster.waitFor(async () => (await cluster.exec("client", ["curl", "-sS", "--max-time", "1", url])).exitCode === 0, { timeoutMs: 10_000, intervalMs: 50, what: () => "the server to answer" });
        await new Promise((res) => setTimeout(res, 300));
        step(`round ${r + 1}/${rounds}: ${withP ? "50 policies" : "no policy"}`);
        (withP ? withPolicies : without).push((await wrk(cluster, url)).rps);
      }
    }
    const ratio = median(withPolicies.map((x, i) => x / without[i]!));
    rows.push([`data path: HTTP req/s with 50 policies selecting the server`, `${median(withPolicies).toFixed(0)}/s`, `${ratio.toFixed(2)}× no policy (${median(without).toFixed(0)}/s); bar ≥ 0.9: ${ratio >= 0.9 ? "meets" : "MISSES"}; rounds ${withPolicies.map((x, i) => `${x.toFixed(0)}/${without[i]!.toFixed(0)}`).join(", ")}`]);
  } finally {
    await cluster.stop();
  }
}

type Row = [string, string, string];

export async function benchNetpol(): Promise<void> {
  console.log(`\n## NetworkPolicy: probe time, enforcement latency, data-path cost`);
  const rows: Row[] = [];
  const print = () => {
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v, note] of rows.splice(0)) console.log(`${k.padEnd(w)}  ${v.padStart(9)}  ${note}`);
  };
  await benchProbe(rows);
  print();
  await benchLatency(rows, 100, 50, 7);
  print();
  await benchLatency(rows, 1000, 500, 5);
  print();
  await benchDatapath(rows);
  print();
}
