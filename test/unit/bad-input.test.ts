// The bad-input corpus (test/corpus/cases.yaml) against an in-process API
// server on a temporary unix socket: exact messages, and after every case an
// API that still answers with exactly the objects (and resourceVersions) it
// held before. test/integration/bad-input.test.ts runs the same table
// against a real cluster.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ApiServer } from "../../src/api/apiserver.js";
import { RestServer } from "../../src/api/server.js";
import { ApiClient } from "../../src/api/client.js";
import { resourceByKind } from "../../src/api/resources.js";
import { applyObjects, ApplyError } from "../../src/api/apply.js";
import { parseManifests, ManifestError } from "../../src/api/manifests.js";
import { ServiceAllocation, defaultKubernetesService } from "../../src/controllers/allocation/index.js";
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

const { cases, bases } = loadCorpus();

let dir: string;
let socket: string;
let api: ApiServer;
let rest: RestServer;
let client: ApiClient;

beforeAll(async () => {
  api = new ApiServer();
  api.addAdmission(new ServiceAllocation());
  for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
    api.create(resourceByKind("Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  }
  // The Services every cluster has: their addresses are taken.
  api.create(resourceByKind("Service")!, defaultKubernetesService("10.96.0.0/12"));
  api.create(resourceByKind("Service")!, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kube-dns", namespace: "kube-system" },
    spec: { clusterIP: "10.96.0.10", selector: { "k8s-app": "kube-dns" }, ports: [{ name: "dns", port: 53, protocol: "UDP" }] },
  });
  dir = mkdtempSync(join(tmpdir(), "kemu-corpus-"));
  socket = join(dir, "api.sock");
  rest = new RestServer(api);
  await rest.listen(socket);
  client = new ApiClient(socket);
});

afterAll(async () => {
  client?.close();
  await rest?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends a case's request; problems with the answer. */
async function viaRequest(c: CorpusCase): Promise<string[]> {
  const r = requestOf(c, bases);
  const g = c.request?.generate;
  if (g?.kind === "big") {
    const res = await bigRequest(socket, r.path, g.megabytes, g.declareLength);
    const problems = checkResponse(c, res);
    // Refused while reading: the server never took in more than the limit (and a socket buffer or two).
    if (res.sentBytes > 4 * 1024 * 1024) problems.push(`the client sent ${res.sentBytes} bytes before the answer`);
    return problems;
  }
  return checkResponse(c, await rawRequest(socket, r.method, r.path, r.body, r.contentType));
}

/** Applies a case's object or manifest as `kemu apply` does; problems with the outcome. */
async function viaApply(c: CorpusCase): Promise<string[]> {
  const text = c.object ? stringify(buildObject(c, bases)) : manifestText(c, bases);
  const source = sourceName(c);
  try {
    const applied = await applyObjects(client, parseManifests(text, source));
    return [`applied: ${applied.map((a) => `${a.object.kind}/${a.object.metadata.name} ${a.action}`).join(", ")}`];
  } catch (err) {
    const want = expectedApplyProblems(c);
    if (want === undefined) {
      if (!(err instanceof ManifestError)) return [`expected a ManifestError, got ${(err as Error).name}: ${(err as Error).message}`];
      return checkMessage(c, err.message);
    }
    if (!(err instanceof ApplyError)) return [`expected an ApplyError, got ${(err as Error).name}: ${(err as Error).message}`];
    if (c.pattern !== undefined) return err.problems.flatMap((p) => checkMessage(c, p));
    return JSON.stringify(err.problems) === JSON.stringify(want) ? [] : [`problems\n  ${JSON.stringify(err.problems)}\nexpected\n  ${JSON.stringify(want)}`];
  }
}

describe("bad-input corpus, in-process API server", () => {
  it("has at least 100 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  it.each(cases.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    const before = await listEverything(socket, true);
    const problems: string[] = [];
    if (c.object || c.request) {
      if (!c.via || c.via.includes("request")) problems.push(...(await viaRequest(c)).map((p) => `request: ${p}`));
    }
    if (!c.request && (!c.via || c.via.includes("apply"))) problems.push(...(await viaApply(c)).map((p) => `apply: ${p}`));
    const health = await rawRequest(socket, "GET", "/healthz");
    if (health.status !== 200) problems.push(`the API no longer answers /healthz (${health.status})`);
    const after = await listEverything(socket, true);
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      problems.push(`the objects changed: +${after.filter((o) => !before.includes(o)).join(" +")} -${before.filter((o) => !after.includes(o)).join(" -")}`);
    }
    expect(problems).toEqual([]);
  });
});
