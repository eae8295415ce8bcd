// Benchmark: kemu flows under load. A client pod opens 1,000 new TCP
// connections per second for 5 s to a ClusterIP Service (3 agnhost netexec
// endpoints on 2 nodes; each connection: handshake, close), paced by a small
// Node.js loader inside the pod's namespace (curl in a loop reaches ~200/s on
// 2 cores; wrk keeps connections open). watchFlows runs meanwhile; the figure
// is flows shown against connections made, and the loss the readers reported.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Pod, Service } from "../../src/api/types.js";
import { netnsOfPod } from "../../src/probe/execute.js";
import type { Flow, FlowNotice } from "../../src/observe/flows/model.js";
import { watchFlows } from "../../src/observe/flows/watch.js";
import { PACKAGE_ROOT } from "../../src/paths.js";

const RATE = 1000;
const SECONDS = 5;
const step = (what: string) => console.error(`… flows: ${what}`);

// Paced: every 10 ms, RATE/100 new connections; prints how many completed the handshake.
const LOADER = `
import net from "node:net";
const [ip, port, rate, seconds] = process.argv.slice(2).map((v, i) => (i === 0 ? v : Number(v)));
let made = 0, failed = 0, started = 0;
const total = rate * seconds, perTick = rate / 100;
const t0 = Date.now();
await new Promise((done) => {
  const tick = setInterval(() => {
    const due = Math.min(total, Math.round(((Date.now() - t0) / 1000) * rate));
    while (started < due) {
      started++;
      const s = net.connect({ host: ip, port });
      s.setTimeout(3000, () => { failed++; s.destroy(); });
      s.on("connect", () => { made++; s.end(); });
      s.on("error", () => { failed++; });
    }
    if (started >= total) { clearInterval(tick); setTimeout(done, 3000); }
  }, 10);
});
console.log(JSON.stringify({ made, failed, seconds: (Date.now() - t0 - 3000) / 1000 }));
`;

export async function benchFlows(): Promise<void> {
  const name = `benchfl${randomBytes(2).toString("hex")}`;
  step("starting a 2-node cluster with the quickstart (client, 3 web pods, Service web)");
  const cluster = await Cluster.start({ ingress: false, name, nodes: 2, timeoutMs: 150_000, files: [join(PACKAGE_ROOT, "examples", "quickstart")] });
  try {
    const pods = await cluster.api.list<Pod>(resourceByKind("Pod")!, { namespace: "default" });
    const client = pods.items.find((p) => p.metadata.name === "client")!;
    const web = await cluster.api.get<Service>(resourceByKind("Service")!, "default", "web");
    const netns = netnsOfPod(name, client);
    if (!netns) throw new Error("the client pod has no network namespace");
    const script = join(tmpdir(), `kemu-flows-load-${name}.mjs`);
    writeFileSync(script, LOADER);

    const flows: Flow[] = [];
    const notices: FlowNotice[] = [];
    const watch = await watchFlows(cluster, { pod: "client" }, (f) => flows.push(f), { onNotice: (n) => notices.push(n) });
    step(`loading: ${RATE} connections/s for ${SECONDS} s to ${web.spec!.clusterIP}:80`);
    const cpuBefore = process.cpuUsage();
    const result = await new Promise<{ made: number; failed: number; seconds: number }>((resolve, reject) => {
      const child = spawn("nsenter", [`--net=${netns}`, process.execPath, script, web.spec!.clusterIP!, "80", String(RATE), String(SECONDS)], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.on("error", reject);
      child.on("close", () => {
        try {
          resolve(JSON.parse(out.trim().split("\n").pop()!));
        } catch {
          reject(new Error(`the loader printed ${JSON.stringify(out)}`));
        }
      });
    });
    await new Promise((r) => setTimeout(r, 1000));
    await watch.stop();
    const cpu = process.cpuUsage(cpuBefore);
    const opened = flows.filter((f) => f.state === "new" && f.destination.name === "default/web" && f.protocol === "TCP");
    const closed = flows.filter((f) => f.state === "closed" && f.destination.name === "default/web" && f.protocol === "TCP");
    const lost = notices.filter((n) => n.kind === "lost");
    const rate = result.made / result.seconds;
    console.log(`\n## kemu flows: ${RATE} new connections/s for ${SECONDS} s, client pod → ClusterIP Service (3 endpoints, 2 nodes)`);
    const rows: Array<[string, string, string]> = [
      ["connections made (handshake completed)", `${result.made}`, `${result.failed} failed; ${rate.toFixed(0)}/s achieved`],
      ["flows shown (new, Service → endpoint)", `${opened.length}`, `${((opened.length / Math.max(1, result.made)) * 100).toFixed(1)}% of connections; missing ${Math.max(0, result.made - opened.length)}`],
      ["closes shown", `${closed.length}`, `${((closed.length / Math.max(1, result.made)) * 100).toFixed(1)}% of connections`],
      ["loss reported by the readers", `${lost.length}`, lost.length ? lost.map((n) => `${n.node} ${n.source}${n.count !== undefined ? ` ${n.count}` : ""}`).join(", ") : "none"],
      ["watcher CPU (this process)", `${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`, `over ${(result.seconds + 1).toFixed(1)} s`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v, note] of rows) console.log(`${k.padEnd(w)}  ${v.padStart(9)}  ${note}`);
  } finally {
    await cluster.stop();
  }
}
