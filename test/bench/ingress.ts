// Benchmark: kemu's Ingress router (issue 11) against nginx.
//  1. HTTP requests/s and p50/p99 latency from the outside host (wrk) through
//     the router's LoadBalancer address, through nginx configured as the
//     equivalent reverse proxy (test/bench/nginx.ts) behind its own
//     LoadBalancer Service, and straight to the backend pods through a
//     LoadBalancer Service (the kernel's DNAT only: the ceiling). The router
//     and nginx run as pods on the same node, with the same number of
//     processes, and proxy to the same two agnhost pods on the other node;
//     the three Services keep the client's address (externalTrafficPolicy
//     Local), so the outside host routes each address to its pods' node.
//     Targets take turns in rounds (which goes first rotates); the ratios are
//     medians of each round's router / nginx pair.
//  2. The router's memory (RSS of the primary and its workers) with the
//     benchmark's one Ingress and with 1,000 more.
//  3. Route-table rebuild after one change: from `apply` of one changed
//     Ingress (a new host) to that host answering 200 at the router, polled
//     from the outside host on new connections every ~2 ms; with few
//     Ingresses and with 1,000.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { execa } from "execa";
import { Cluster, resourceByKind, type KubeObject, type Service } from "../../src/index.js";
import { AGNHOST } from "../support/workloads.js";
import { CONNECTIONS, median, wrk, type WrkResult } from "./datapath.js";
import { nginxBinary, nginxPod, nginxProxyConfig } from "./nginx.js";

const ROUNDS = 5;
const DURATION_S = 4;
const WARMUP_S = 2;
const WORKERS = 2; // the router's (src/daemon/addons.ts), and so nginx's worker_processes
const MANY = 1000;
const REBUILDS = 5;
const HOST = "bench.example";
const SERVICES = resourceByKind("Service")!;
const INGRESSES = resourceByKind("Ingress")!;
const step = (what: string) => console.error(`… ingress: ${what}`);

type Target = "router" | "nginx" | "direct";
const TARGETS: Target[] = ["router", "nginx", "direct"];

function ingress(name: string, host: string): KubeObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name },
    spec: { ingressClassName: "nginx", rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] },
  };
}

function backends(node: string): KubeObject[] {
  const pods = ["web-1", "web-2"].map((name) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: "web" } },
    spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["netexec", "--http-port=8080", "--udp-port=-1"], ports: [{ name: "http", containerPort: 8080 }] }] },
  }));
  const lb = (name: string, selector: Record<string, string>, targetPort: number): KubeObject => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name },
    spec: { type: "LoadBalancer", externalTrafficPolicy: "Local", selector, ports: [{ name: "http", port: 80, targetPort }] },
  });
  return [
    ...pods,
    { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
    lb("web-direct", { app: "web" }, 8080),
    lb("nginx-ref", { app: "nginx-ref" }, 80),
    ingress("bench", HOST),
  ];
}

async function loadBalancerIP(cluster: Cluster, namespace: string, name: string): Promise<string> {
  let ip = "";
  await cluster.waitFor(
    async () => {
      ip = (await cluster.api.get<Service>(SERVICES, namespace, name)).status?.loadBalancer?.ingress?.[0]?.ip ?? "";
      return ip !== "";
    },
    { timeoutMs: 20_000, intervalMs: 100, what: () => `a LoadBalancer address for ${namespace}/${name}` },
  );
  return ip;
}

/** Polls http://IP/ with Host HOST from the outside host on new connections until it answers 200; prints "ready" after its first answer, then "ok <epoch ms>". */
const POLLER = `
const http = require("http");
const [, ip, host, limitMs] = process.argv;
const end = Date.now() + Number(limitMs);
let announced = false;
const next = () => { if (Date.now() > end) { console.log("timeout"); process.exit(1); } setTimeout(once, 2); };
function once() {
  const req = http.get({ host: ip, path: "/", headers: { Host: host }, agent: false }, (res) => {
    res.resume();
    res.on("end", () => {
      if (res.statusCode === 200) { console.log("ok " + Date.now()); process.exit(0); }
      if (!announced) { announced = true; console.log("ready"); }
      next();
    });
  });
  req.setTimeout(2000, () => req.destroy());
  req.on("error", next);
}
once();`;

/** ms from the start of `change()` to HOST answering 200 at the router. */
async function timeToServe(cluster: Cluster, ip: string, host: string, change: () => Promise<unknown>, limitMs = 60_000): Promise<number> {
  const argv = cluster.hostArgv("outside", [process.execPath, "-e", POLLER, ip, host, String(limitMs)]);
  const poller = execa(argv[0]!, argv.slice(1), { reject: false, buffer: false });
  let out = "";
  const waiters: Array<() => void> = [];
  poller.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters) w();
  });
  const ended = poller.then(() => undefined);
  const seen = async (re: RegExp): Promise<RegExpExecArray> => {
    const found = new Promise<void>((resolve) => waiters.push(() => re.test(out) && resolve()));
    if (!re.test(out)) await Promise.race([found, ended]);
    const m = re.exec(out);
    if (!m) throw new Error(`poller for ${host} ended: ${out.trim() || "no output"}`);
    return m;
  };
  await seen(/^ready$/m);
  const t0 = Date.now();
  await change();
  const ok = await seen(/^ok (\d+)$/m);
  await poller;
  return Number(ok[1]) - t0;
}

/** VmRSS (KiB) of PID and of each of its children, from /proc. */
function rssTree(pid: number): { pid: number; kib: number }[] {
  const rss = (p: number) => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
  const children = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${d}/status`, "utf8"))?.[1] === String(pid);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
  return [pid, ...children].map((p) => ({ pid: p, kib: rss(p) }));
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const describeRss = (tree: { kib: number }[]) => `${mib(tree.reduce((s, t) => s + t.kib, 0))} (${tree.map((t, i) => `${i === 0 ? "primary" : "worker"} ${mib(t.kib)}`).join(", ")})`;

export async function benchIngress(): Promise<void> {
  const nginx = await nginxBinary(step);
  const nginxVersion = (await execa(nginx, ["-v"])).stderr.trim().replace(/^nginx version: /, "");
  step("starting a 2-node cluster with the router");
  const cluster = await Cluster.start({ name: `benching${randomBytes(2).toString("hex")}`, nodes: 2, ingress: true, timeoutMs: 120_000 });
  const rows: [string, string, string][] = [];
  try {
    const routerPod = (await cluster.pods({ namespace: "kemu-system", labelSelector: "app.kubernetes.io/name=ingress-router" }))[0];
    const routerNode = routerPod?.spec?.nodeName;
    if (!routerPod || !routerNode) throw new Error("no scheduled kemu-system/ingress-router pod");
    const backendNode = routerNode === "node-1" ? "node-2" : "node-1";
    step(`router on ${routerNode}; backends on ${backendNode}`);
    await cluster.apply(backends(backendNode));
    await cluster.waitForPods({ labelSelector: "app=web", count: 2, condition: "Ready" });
    const endpoints = (await cluster.pods({ labelSelector: "app=web" })).map((p) => `${p.status!.podIP}:8080`);
    await cluster.apply(nginxPod("nginx-ref", { app: "nginx-ref" }, routerNode, nginx, nginxProxyConfig({ upstreams: endpoints, workers: WORKERS })));
    await cluster.waitForPods({ labelSelector: "app=nginx-ref", count: 1, condition: "Ready" });
    const ip: Record<Target, string> = {
      router: await loadBalancerIP(cluster, "kemu-system", "ingress-router"),
      nginx: await loadBalancerIP(cluster, "default", "nginx-ref"),
      direct: await loadBalancerIP(cluster, "default", "web-direct"),
    };
    const url = (t: Target) => `http://${ip[t]}/hostname`;
    for (const t of TARGETS) {
      await cluster.waitFor(async () => /^web-\d$/.test((await cluster.execOnHost("outside", ["curl", "-sS", "--max-time", "1", "-H", `Host: ${HOST}`, url(t)])).stdout), {
        timeoutMs: 20_000,
        intervalMs: 200,
        what: () => `${url(t)} (${t}) to answer from the outside host`,
      });
    }
    const load = (t: Target, seconds = DURATION_S) => wrk(cluster, url(t), seconds, { host: "outside", headers: { Host: HOST } });

    step(`warming up (${WARMUP_S}s on each)`);
    for (const t of TARGETS) await load(t, WARMUP_S);
    const results: Record<Target, WrkResult[]> = { router: [], nginx: [], direct: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length]!);
      for (const t of order) {
        step(`round ${round + 1}/${ROUNDS}: wrk ${DURATION_S}s → ${t} (${url(t)})`);
        results[t].push(await load(t));
      }
    }
    const rps = (t: Target) => median(results[t].map((x) => x.rps));
    const p50 = (t: Target) => median(results[t].map((x) => x.p50Ms));
    const p99 = (t: Target) => median(results[t].map((x) => x.p99Ms));
    const rateRatio = median(results.router.map((x, i) => x.rps / results.nginx[i]!.rps));
    const p99Ratio = median(results.router.map((x, i) => x.p99Ms / results.nginx[i]!.p99Ms));
    const p50Ratio = median(results.router.map((x, i) => x.p50Ms / results.nginx[i]!.p50Ms));
    rows.push(
      ["requests/s: kemu router", rps("router").toFixed(0), `${rateRatio.toFixed(2)}× nginx; bar ≥ 0.7×: ${rateRatio >= 0.7 ? "PASS" : "BELOW"}; goal parity: ${rateRatio >= 1 ? "meets" : "misses"}`],
      ["requests/s: nginx", rps("nginx").toFixed(0), `${(rps("nginx") / rps("direct")).toFixed(2)}× direct`],
      ["requests/s: direct to the pods (ceiling)", rps("direct").toFixed(0), `router ${(rps("router") / rps("direct")).toFixed(2)}× direct`],
      ["  each round: router / nginx / direct", "", results.router.map((x, i) => `${x.rps.toFixed(0)}/${results.nginx[i]!.rps.toFixed(0)}/${results.direct[i]!.rps.toFixed(0)}`).join("; ")],
      ["p99 latency: kemu router", `${p99("router").toFixed(2)} ms`, `${p99Ratio.toFixed(2)}× nginx; bar ≤ 1.5×: ${p99Ratio <= 1.5 ? "PASS" : "BELOW"}`],
      ["p99 latency: nginx", `${p99("nginx").toFixed(2)} ms`, ""],
      ["p99 latency: direct", `${p99("direct").toFixed(2)} ms`, ""],
      ["p50 latency: router / nginx / direct", `${p50("router").toFixed(2)} ms`, `${p50Ratio.toFixed(2)}× nginx (${p50("nginx").toFixed(2)} ms); direct ${p50("direct").toFixed(2)} ms`],
    );
    const errors = TARGETS.flatMap((t) => results[t].map((x) => x.errors && `${t}: ${x.errors}`)).filter(Boolean);
    if (errors.length) rows.push(["  wrk reported", "", errors.join(" / ")]);

    const routerPid = await cluster.containerPid(routerPod.metadata.name!, { namespace: "kemu-system" });
    const nginxPid = await cluster.containerPid("nginx-ref");
    rows.push(["router memory (RSS), 1 Ingress", "", describeRss(rssTree(routerPid))]);
    // nginx's container PID 1 is the shell that exec'd nginx: the master.
    rows.push(["  nginx memory (RSS), for scale", "", describeRss(rssTree(nginxPid))]);

    const rebuilds = async (label: string) => {
      const times: number[] = [];
      for (let i = 0; i < REBUILDS; i++) {
        const host = `flip-${label}-${i}.example`;
        times.push(await timeToServe(cluster, ip.router, host, () => cluster.apply(ingress("flip", host))));
      }
      return times;
    };
    step(`rebuild after one change (${REBUILDS}×), 2 Ingresses`);
    const few = await rebuilds("few");
    rows.push(["rebuild: apply → new host served, 2 Ingresses", `${median(few).toFixed(0)} ms`, `median of ${few.map((t) => t.toFixed(0)).join(", ")} ms`]);

    step(`applying ${MANY} Ingresses (one host each) in one apply`);
    const many = Array.from({ length: MANY }, (_, i) => ingress(`load-${i}`, `h${i}.load.example`));
    const firstServed = await timeToServe(cluster, ip.router, `h${MANY - 1}.load.example`, () => cluster.apply(many), 120_000);
    rows.push([`${MANY} more Ingresses: apply → last host served`, `${firstServed.toFixed(0)} ms`, ""]);
    // The router writes each served Ingress's status.loadBalancer; each write is a change it watches.
    const t0 = Date.now();
    await cluster.waitFor(
      async () => (await cluster.api.list<KubeObject & { status?: { loadBalancer?: { ingress?: unknown[] } } }>(INGRESSES, { namespace: "default" })).items.every((i) => (i.status?.loadBalancer?.ingress?.length ?? 0) > 0),
      { timeoutMs: 180_000, intervalMs: 500, what: () => `status.loadBalancer on all ${MANY} Ingresses` },
    );
    rows.push([`${MANY} more Ingresses: then every status written`, `${(firstServed + Date.now() - t0).toFixed(0)} ms`, "from the apply"]);
    await new Promise((r) => setTimeout(r, 3000));
    rows.push([`router memory (RSS), ${MANY + 2} Ingresses`, "", describeRss(rssTree(routerPid))]);

    step(`rebuild after one change (${REBUILDS}×), ${MANY + 2} Ingresses`);
    const big = await rebuilds("many");
    rows.push([`rebuild: apply → new host served, ${MANY + 2} Ingresses`, `${median(big).toFixed(0)} ms`, `median of ${big.map((t) => t.toFixed(0)).join(", ")} ms`]);

    step(`one more round, router and nginx, with ${MANY + 2} Ingresses`);
    const r = await load("router");
    const n = await load("nginx");
    // Another host of the big table: what finding a virtual host among 1,000 costs.
    const lastHost = `h${MANY - 1}.load.example`;
    const rLast = await wrk(cluster, url("router"), DURATION_S, { host: "outside", headers: { Host: lastHost } });
    rows.push([`requests/s with ${MANY + 2} Ingresses: router / nginx`, r.rps.toFixed(0), `${(r.rps / n.rps).toFixed(2)}× nginx (${n.rps.toFixed(0)}/s); p99 ${r.p99Ms.toFixed(2)} / ${n.p99Ms.toFixed(2)} ms (one run each)`]);
    rows.push([`  router, Host: ${lastHost}`, rLast.rps.toFixed(0), `${(rLast.rps / r.rps).toFixed(2)}× Host: ${HOST}; p99 ${rLast.p99Ms.toFixed(2)} ms${rLast.errors ? `; wrk reported ${rLast.errors}` : ""}`]);
  } finally {
    await cluster.stop();
  }

  console.log(`\n## Ingress router vs nginx ${nginxVersion} (wrk -t2 -c${CONNECTIONS} -d${DURATION_S}s from the outside host, Host: ${HOST}, GET /hostname, keep-alive, no TLS; ${ROUNDS} rounds, median)`);
  console.log(`Topology: outside host → LoadBalancer address (externalTrafficPolicy Local) → a pod on the router's node: kemu's router (${WORKERS} workers) or nginx (${WORKERS} workers, upstream keep-alive, round robin) → 2 agnhost netexec pods on the other node; "direct" is a LoadBalancer Service straight to those pods (kernel DNAT only).`);
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) console.log(`${k.padEnd(w)}  ${v.padStart(9)}  ${note}`);
}
