// Zero-downtime rollout: HTTP load through a Service while the Deployment's
// template changes (RollingUpdate with maxSurge/maxUnavailable, readiness
// probe, preStop), and while it is rolled back: no request may fail.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cluster, resourceByKind } from "../../src/index.js";
import type { Deployment, ReplicaSet, Service } from "../../src/index.js";
import { rolloutStatus, rolloutUndo } from "../../src/cli/commands/rollout.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { ROLLING_APP, pausePod } from "../support/workloads.js";
import { loadScript, type LoadResult } from "../support/load.js";

const SERVICES = resourceByKind("Service")!;
const DEPLOYMENTS = resourceByKind("Deployment")!;
const REPLICASETS = resourceByKind("ReplicaSet")!;

describe.skipIf(!rootOnly())("zero-downtime rollout", () => {
  const name = uniqueClusterName("roll");
  let cluster: Cluster;
  const dir = mkdtempSync("/var/tmp/kemu-roll-");

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 2, timeoutMs: 60_000, manifests: [ROLLING_APP, pausePod("client", "node-1")] });
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(leftovers(name)).toEqual(NONE);
  });

  it("serves every request during a rolling update and during the rollback", async () => {
    const ip = (await cluster.api.get<Service>(SERVICES, "default", "app")).spec!.clusterIP!;
    await cluster.waitFor(async () => (await cluster.exec("client", ["curl", "-s", "--max-time", "1", `http://${ip}/hostname`])).exitCode === 0, { timeoutMs: 8_000, what: () => "the service" });
    const stop = join(dir, "stop");
    const load = cluster.exec("client", [process.execPath, "-e", loadScript(`http://${ip}/hostname`, stop)]);
    await new Promise((r) => setTimeout(r, 1_000));

    // Roll out v2, watching that the surge and unavailability limits hold throughout.
    let maxPods = 0;
    let minReady = Infinity;
    const watch = setInterval(() => {
      void cluster.api.get<Deployment>(DEPLOYMENTS, "default", "app").then((d) => {
        maxPods = Math.max(maxPods, d.status?.replicas ?? 0);
        minReady = Math.min(minReady, d.status?.availableReplicas ?? 0);
      });
    }, 100);
    const d = await cluster.api.get<Deployment>(DEPLOYMENTS, "default", "app");
    const v2 = structuredClone(d);
    v2.spec.template.spec!.containers[0]!.env = [{ name: "VERSION", value: "v2" }];
    await cluster.api.update(DEPLOYMENTS, v2);
    await rolloutStatus(cluster, "app", "default", 90_000);
    const rss = (await cluster.api.list<ReplicaSet>(REPLICASETS, { namespace: "default" })).items;
    expect(rss).toHaveLength(2);

    // Roll back to v1 (kemu rollout undo).
    const revision = await rolloutUndo(cluster, "app");
    expect(revision).toBe(1);
    await rolloutStatus(cluster, "app", "default", 90_000);
    clearInterval(watch);
    const back = await cluster.api.get<Deployment>(DEPLOYMENTS, "default", "app");
    expect(back.spec.template.spec!.containers[0]!.env).toEqual([{ name: "VERSION", value: "v1" }]);

    writeFileSync(stop, "");
    const result = JSON.parse((await load).stdout) as LoadResult;
    console.log(`rollout + rollback under load: ${result.ok} requests served, ${result.failed} failed, p99 ${result.p99.toFixed(1)} ms`);
    expect(result.errors).toEqual({});
    expect(result.failed).toBe(0);
    expect(result.ok).toBeGreaterThan(100);
    expect(maxPods).toBeLessThanOrEqual(4);
    expect(minReady).toBeGreaterThanOrEqual(3);
  });
});
