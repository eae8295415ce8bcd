// Benchmark: HTTP load through a Service during a rolling update and its
// rollback. Reference in the same run: the same load with no rollout, and a
// Deployment without the precautions (no readiness probe, no preStop).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Deployment, Service } from "../../src/index.js";
import { rolloutStatus, rolloutUndo } from "../../src/cli/commands/rollout.js";
import { ROLLING_APP, pausePod } from "../support/workloads.js";
import { loadScript, type LoadResult } from "../support/load.js";

const DEPLOYMENTS = resourceByKind("Deployment")!;

async function underLoad(cluster: Cluster, ip: string, dir: string, tag: string, during: () => Promise<void>): Promise<LoadResult & { seconds: number }> {
  const stop = join(dir, `stop-${tag}`);
  const t0 = Date.now();
  const load = cluster.exec("client", [process.execPath, "-e", loadScript(`http://${ip}/hostname`, stop)]);
  await new Promise((r) => setTimeout(r, 500));
  await during();
  writeFileSync(stop, "");
  return { ...(JSON.parse((await load).stdout) as LoadResult), seconds: (Date.now() - t0) / 1000 };
}

async function rollAndBack(cluster: Cluster): Promise<void> {
  const d = await cluster.api.get<Deployment>(DEPLOYMENTS, "default", "app");
  const v2 = structuredClone(d);
  v2.spec.template.spec!.containers[0]!.env = [{ name: "VERSION", value: `v${Date.now()}` }];
  await cluster.api.update(DEPLOYMENTS, v2);
  await rolloutStatus(cluster, "app", "default", 90_000);
  await rolloutUndo(cluster, "app");
  await rolloutStatus(cluster, "app", "default", 90_000);
  // Let the old pods finish terminating while the load still runs.
  await new Promise((r) => setTimeout(r, 4_000));
}

export async function benchRollout(): Promise<void> {
  console.log("\n## Zero-downtime rollout: load through a ClusterIP during a rolling update + rollback (3 replicas, maxSurge 1, maxUnavailable 0)");
  const dir = mkdtempSync("/var/tmp/kemu-bench-roll-");
  const naive = ROLLING_APP.replace(/ +readinessProbe:.*\n/, "").replace(/ +lifecycle:.*\n/, "").replace("maxUnavailable: 0", "maxUnavailable: 1");
  const rows: [string, LoadResult & { seconds: number }][] = [];
  try {
    for (const [label, manifest] of [["with readiness probe + preStop", ROLLING_APP], ["without them (reference)", naive]] as const) {
      const cluster = await Cluster.start({ ingress: false, name: `benchroll${randomBytes(2).toString("hex")}`, nodes: 2, manifests: [manifest, pausePod("client", "node-1")], timeoutMs: 60_000 });
      try {
        const ip = (await cluster.api.get<Service>(resourceByKind("Service")!, "default", "app")).spec!.clusterIP!;
        await cluster.waitFor(async () => (await cluster.exec("client", ["curl", "-s", "--max-time", "1", `http://${ip}/`])).exitCode === 0, { timeoutMs: 8_000, what: () => "service" });
        if (rows.length === 0) rows.push(["steady state, no rollout (reference)", await underLoad(cluster, ip, dir, "steady", () => new Promise((r) => setTimeout(r, 5_000)))]);
        rows.push([`rollout + rollback, ${label}`, await underLoad(cluster, ip, dir, `roll-${rows.length}`, () => rollAndBack(cluster))]);
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const base = rows[0]![1];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [label, r] of rows) {
    const rps = r.ok / r.seconds;
    console.log(`${label.padEnd(w)}  ${String(r.ok).padStart(6)} ok  ${String(r.failed).padStart(4)} failed  ${rps.toFixed(0).padStart(5)} req/s  p99 ${r.p99.toFixed(1)} ms (${(r.p99 / base.p99).toFixed(2)}× steady)${r.failed ? `  errors: ${JSON.stringify(r.errors)}` : ""}`);
  }
}
