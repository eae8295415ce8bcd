// Benchmark: the time of one `kemu trace` (bar: ≤ 2 s, issue 13), from the
// library call to the assembled result, for the common paths: a pod to a
// ClusterIP by name (with the DNS step), a pod to a pod IP, and the outside
// host to a LoadBalancer. The reference, measured in the same run, is the
// same connection made without tracing (`kemu exec … curl` / the prober),
// which is the floor a trace cannot go below.
import { spawnSync } from "node:child_process";
import { Cluster, type KubeObject } from "../../src/index.js";
import { runTrace } from "../../src/observe/trace/run.js";
import { AGNHOST } from "../support/workloads.js";
import { median } from "./datapath.js";

const RUNS = 7;
const step = (what: string) => console.error(`… trace: ${what}`);

function pod(name: string, node: string, labels: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, labels }, spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: AGNHOST, args: ["netexec", "--http-port=8080"], ports: [{ name: "http", containerPort: 8080 }] }] } };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function benchTrace(): Promise<void> {
  const cluster = await Cluster.start({
    name: `btrace${process.pid}`,
    nodes: 2,
    ingress: false,
    timeoutMs: 120_000,
    manifests: [
      pod("client", "node-1", { app: "client" }),
      pod("web-a", "node-2", { app: "web" }),
      { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { type: "LoadBalancer", selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }] } },
    ],
  });
  try {
    const webIP = (await cluster.pod("web-a")).status!.podIP!;
    const cases: { label: string; trace: () => Promise<unknown>; plain: () => Promise<unknown> }[] = [
      {
        label: "pod → ClusterIP by name (DNS + 2 nodes)",
        trace: () => runTrace(cluster, { from: "client", target: "http://web/hostname" }),
        plain: async () => spawnSync("sh", ["-c", (await cluster.execArgv("client", ["curl", "-s", "-o", "/dev/null", "http://web/hostname"])).map((a) => `'${a}'`).join(" ")]),
      },
      {
        label: "pod → pod IP on the other node",
        trace: () => runTrace(cluster, { from: "client", target: `${webIP}:8080` }),
        plain: async () => spawnSync("sh", ["-c", (await cluster.execArgv("client", ["curl", "-s", "-o", "/dev/null", `http://${webIP}:8080/`])).map((a) => `'${a}'`).join(" ")]),
      },
      {
        label: "outside → LoadBalancer",
        trace: () => runTrace(cluster, { from: "outside", target: "web" }),
        plain: async () => cluster.execOnHost("outside", ["curl", "-s", "-o", "/dev/null", `http://${(await cluster.api.get<KubeObject & { status: { loadBalancer: { ingress: { ip: string }[] } } }>((await import("../../src/index.js")).resourceByKind("Service")!, "default", "web")).status.loadBalancer.ingress[0]!.ip}/`]),
      },
    ];
    console.log(`\nkemu trace, median of ${RUNS} (after one warm-up), against the same connection untraced:`);
    console.log(`  ${"path".padEnd(42)} ${"trace".padStart(8)} ${"untraced".padStart(9)} ${"ratio".padStart(7)}   bar ≤ 2000 ms`);
    for (const c of cases) {
      step(c.label);
      await c.trace();
      await c.plain();
      const traced: number[] = [];
      const plain: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        traced.push(await timed(c.trace));
        plain.push(await timed(c.plain));
      }
      const t = median(traced);
      const p = median(plain);
      console.log(`  ${c.label.padEnd(42)} ${`${t.toFixed(0)} ms`.padStart(8)} ${`${p.toFixed(0)} ms`.padStart(9)} ${`${(t / p).toFixed(1)}×`.padStart(7)}   ${t <= 2000 ? "met" : "MISSED"}`);
    }
  } finally {
    await cluster.stop();
  }
}
