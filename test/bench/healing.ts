// Benchmark: nodes that heal. From a client pod on node-1, 50 HTTP requests
// a second through a ClusterIP whose pods are spread over three nodes, while
// (a) nothing happens (the reference), (b) node-3's agent is killed with
// kill -9 (the supervisor restarts it and it adopts its pods), and (c) node-3
// goes silent — agent frozen and its cable pulled — at the default node
// monitor grace period (40 s), until its endpoints have moved away.
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { EndpointSlice, Node, Pod, Service } from "../../src/index.js";
import { netexecDeployment, pausePod } from "../support/workloads.js";
import { pacedLoadScript, type PacedLoadResult } from "../support/load.js";

const RATE = 50;

function load(cluster: Cluster, ip: string, seconds: number): Promise<PacedLoadResult> {
  return cluster
    .exec("client", [process.execPath, "-e", pacedLoadScript(`http://${ip}/hostname`, RATE, seconds)], { timeoutMs: (seconds + 10) * 1000 })
    .then((r) => JSON.parse(r.stdout) as PacedLoadResult);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const describeErrors = (r: PacedLoadResult) => (r.failed ? `  (${Object.entries(r.errors).map(([k, v]) => `${v}× ${k}`).join(", ")})` : "");

export async function benchHealing(): Promise<void> {
  console.log(`\n## Nodes that heal: ${RATE} HTTP requests/s from a client pod on node-1 through a ClusterIP (6 pods over 3 nodes); node-3 is the one that fails`);
  const name = `benchheal${randomBytes(2).toString("hex")}`;
  const cluster = await Cluster.start({
    ingress: false,
    name,
    nodes: 3,
    timeoutMs: 90_000,
    manifests: [
      netexecDeployment("web", 6),
      "apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }\n",
      pausePod("client", "node-1"),
    ],
  });
  try {
    const ip = (await cluster.api.get<Service>(resourceByKind("Service")!, "default", "web")).spec!.clusterIP!;
    const agentPid = () => Number(readFileSync(`/run/kemu/${name}/pids/agent-node-3`, "utf8").trim());
    const readyOn3 = async () =>
      (await cluster.pods({ labelSelector: "app=web" })).filter((p: Pod) => p.spec.nodeName === "node-3").every((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    const rows: string[] = [];

    const steady = await load(cluster, ip, 10);
    rows.push(`steady state, 10 s (reference)                 ${steady.ok} ok, ${steady.failed} failed${describeErrors(steady)}`);

    // (b) kill -9 of node-3's agent.
    const killed = load(cluster, ip, 10);
    await new Promise((r) => setTimeout(r, 2_000));
    const old = agentPid();
    const t0 = Date.now();
    process.kill(old, "SIGKILL");
    await cluster.waitFor(() => agentPid() !== old, { timeoutMs: 30_000, what: () => "a new agent", intervalMs: 5 });
    const restartedMs = Date.now() - t0;
    await cluster.waitFor(async () => (await cluster.api.get<Node>(resourceByKind("Node")!, undefined, "node-3")).status?.conditions?.some((c) => c.type === "Ready" && c.status === "True" && Date.parse(c.lastHeartbeatTime ?? "") >= t0 - 1000) ?? false, {
      timeoutMs: 30_000,
      what: () => "node-3 to post Ready again",
      intervalMs: 10,
    });
    const reportedMs = Date.now() - t0;
    await cluster.waitFor(readyOn3, { timeoutMs: 30_000, what: () => "node-3's pods Ready", intervalMs: 10 });
    const servingMs = Date.now() - t0;
    const k = await killed;
    rows.push(`kill -9 of node-3's agent, 10 s                 ${k.ok} ok, ${k.failed} failed${describeErrors(k)}; new agent after ${seconds(restartedMs)}, node status re-posted after ${seconds(reportedMs)}, its pods Ready after ${seconds(servingMs)}`);

    // (c) node-3 goes silent: agent frozen, cable pulled.
    const grace = 40;
    const silent = load(cluster, ip, grace + 15);
    await new Promise((r) => setTimeout(r, 2_000));
    const agent = agentPid();
    const cut = Date.now();
    process.kill(agent, "SIGSTOP");
    spawnSync("ip", ["-n", `kemu-${name}-net`, "link", "set", "uplink-3", "down"]);
    let notReadyMs = 0;
    let movedMs = 0;
    try {
      await cluster.waitFor(
        async () => (await cluster.api.get<Node>(resourceByKind("Node")!, undefined, "node-3")).status?.conditions?.some((c) => c.type === "Ready" && c.status === "Unknown") ?? false,
        { timeoutMs: (grace + 20) * 1000, what: () => "node-3 NotReady", intervalMs: 20 },
      );
      notReadyMs = Date.now() - cut;
      const node3IPs = new Set((await cluster.pods({ labelSelector: "app=web" })).filter((p) => p.spec.nodeName === "node-3").map((p) => p.status?.podIP));
      await cluster.waitFor(
        async () => {
          const slices = (await cluster.api.list<EndpointSlice>(resourceByKind("EndpointSlice")!, { namespace: "default", labelSelector: "kubernetes.io/service-name=web" })).items;
          return slices.every((s) => (s.endpoints ?? []).every((e) => !node3IPs.has(e.addresses[0]) || e.conditions?.ready === false));
        },
        { timeoutMs: 20_000, what: () => "node-3's endpoints to leave the Service", intervalMs: 20 },
      );
      movedMs = Date.now() - cut;
    } finally {
      spawnSync("ip", ["-n", `kemu-${name}-net`, "link", "set", "uplink-3", "up"]);
      process.kill(agent, "SIGCONT");
    }
    const s = await silent;
    const lastFailure = s.failures.length ? Math.max(...s.failures) + s.startedAt - cut : 0;
    rows.push(
      `node-3 silent (agent frozen + cable pulled), ${grace + 15} s  ${s.ok} ok, ${s.failed} failed${describeErrors(s)}; NotReady after ${seconds(notReadyMs)} ` +
        `(${(notReadyMs / (grace * 1000)).toFixed(2)}× the ${grace} s grace period), endpoints not ready after ${seconds(movedMs)}, last failed request sent ${seconds(lastFailure)} after the cut`,
    );
    for (const r of rows) console.log(r);
  } finally {
    await cluster.stop();
  }
}
