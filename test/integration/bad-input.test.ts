// The bad-input corpus (test/corpus/cases.yaml) against one real cluster:
// every object and manifest through `kemu apply` as a user runs it, every
// request raw on the cluster's API socket. After each case the daemon must
// still answer and hold the same objects as before (nothing half-applied).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { Cluster } from "../../src/cluster.js";
import { rootOnly, uniqueClusterName } from "../support/host.js";
import {
  bigRequest,
  buildObject,
  checkMessage,
  checkResponse,
  expectedApplyProblems,
  listEverything,
  loadCorpus,
  manifestText,
  rawRequest,
  requestOf,
  sourceName,
  type CorpusCase,
} from "../corpus/corpus.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");
const { cases, bases } = loadCorpus();

describe.skipIf(!rootOnly())("bad-input corpus against a real cluster", () => {
  const name = uniqueClusterName("bad");
  const dir = mkdtempSync(join(tmpdir(), "kemu-bad-input-"));
  let cluster: Cluster;
  let socket: string;

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 90_000 });
    socket = cluster.api.socketPath;
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  async function viaRequest(c: CorpusCase): Promise<string[]> {
    const r = requestOf(c, bases);
    const g = c.request?.generate;
    if (g?.kind === "big") return checkResponse(c, await bigRequest(socket, r.path, g.megabytes, g.declareLength));
    return checkResponse(c, await rawRequest(socket, r.method, r.path, r.body, r.contentType));
  }

  /** `kemu apply -f <source>` from a directory holding the case's manifest under its source name. */
  function viaKemuApply(c: CorpusCase): string[] {
    const source = sourceName(c);
    const file = join(dir, source);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, c.object ? stringify(buildObject(c, bases)) : manifestText(c, bases));
    const run = spawnSync(KEMU, ["apply", "--name", name, "-f", source], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    const problems: string[] = [];
    if (run.status !== 1) problems.push(`kemu apply exited with ${run.status}: ${run.stdout}${run.stderr}`);
    if (/\n\s+at /.test(run.stderr)) problems.push(`a stack trace reached the user:\n${run.stderr}`);
    const want = expectedApplyProblems(c);
    if (want === undefined) {
      // A ManifestError: one line, "error: <message>".
      const line = run.stderr.replace(/^error: /, "").replace(/\n$/, "");
      problems.push(...checkMessage(c, line));
    } else if (c.pattern !== undefined) {
      if (!new RegExp(c.pattern.replace(/^\^/, "").replace(/\$$/, "")).test(run.stderr)) problems.push(`stderr does not match /${c.pattern}/:\n${run.stderr}`);
    } else {
      for (const p of want) if (!run.stderr.includes(p)) problems.push(`stderr lacks\n  ${p}\nstderr:\n${run.stderr}`);
    }
    return problems;
  }

  it.each(cases.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    const before = await listEverything(socket, false);
    const problems: string[] = [];
    if (c.object || c.request) {
      if (!c.via || c.via.includes("request")) problems.push(...(await viaRequest(c)).map((p) => `request: ${p}`));
    }
    if (!c.request && (!c.via || c.via.includes("apply"))) problems.push(...viaKemuApply(c).map((p) => `kemu apply: ${p}`));
    const health = await rawRequest(socket, "GET", "/healthz");
    if (health.status !== 200) problems.push(`the daemon no longer answers /healthz (${health.status})`);
    const after = await listEverything(socket, false);
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      problems.push(`the objects changed: +${after.filter((o) => !before.includes(o)).join(" +")} -${before.filter((o) => !after.includes(o)).join(" -")}`);
    }
    expect(problems).toEqual([]);
  });

  it("leaves the cluster working: cluster DNS still answers and kube-system is still there", async () => {
    const ns = await rawRequest(socket, "GET", "/api/v1/namespaces/kube-system");
    expect(ns.status).toBe(200);
    expect((ns.body as { metadata: { deletionTimestamp?: string } }).metadata.deletionTimestamp).toBeUndefined();
    const dns = await cluster.pods({ namespace: "kube-system" });
    expect(dns.map((p) => `${p.metadata.name.split("-")[0]} ${p.status?.phase}`)).toContain("coredns Running");
  });

  // Valid upstream (replicas is an int32), and it hung kemu's API for minutes (issue 9).
  it("survives a Deployment of a billion replicas: the API answers within a second, pods stop at kemu's limit, the cluster stops in seconds", async () => {
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "billion" },
      spec: { replicas: 1_000_000_000, selector: { matchLabels: { app: "billion" } }, template: { metadata: { labels: { app: "billion" } }, spec: { containers: [{ name: "c", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["pause"] }] } } },
    };
    await cluster.apply(deployment);
    let worst = 0;
    let pods = 0;
    const until = Date.now() + 25_000;
    while (Date.now() < until) {
      const start = Date.now();
      const res = await rawRequest(socket, "GET", "/apis/apps/v1/namespaces/default/deployments/billion");
      worst = Math.max(worst, Date.now() - start);
      expect(res.status).toBe(200);
      pods = (res.body as { status?: { replicas?: number } }).status?.replicas ?? 0;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(worst).toBeLessThan(1000);
    expect(pods).toBeGreaterThan(0);
    expect(pods).toBeLessThanOrEqual(20_000);
    const start = Date.now();
    await cluster.stop();
    const stopMs = Date.now() - start;
    console.log(`billion replicas: slowest API answer ${worst} ms, ${pods} pods at the end, stop ${stopMs} ms`);
    expect(stopMs).toBeLessThan(20_000);
  }, 120_000);
});
