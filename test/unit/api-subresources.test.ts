// The scale and status subresources (upstream: registry/apps/deployment
// storage ScaleREST, scaleUpdatedObjectInfo, autoscaling ValidateScale; the
// status strategies' PrepareForUpdate, which keep the stored status on the
// main resource and everything but the status on …/status).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiServer } from "../../src/api/apiserver.js";
import { RestServer } from "../../src/api/server.js";
import { resourceByKind } from "../../src/api/resources.js";
import { readScale, scaleOf } from "../../src/api/subresources.js";
import { ApiError } from "../../src/api/errors.js";
import type { KubeObject, Stored } from "../../src/api/types.js";

const DEPLOYMENTS = resourceByKind("Deployment")!;
const STATEFULSETS = resourceByKind("StatefulSet")!;

const deployment = (name: string, replicas = 2): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "default" },
  spec: {
    replicas,
    selector: { matchLabels: { app: name, tier: "web" }, matchExpressions: [{ key: "track", operator: "In", values: ["stable", "canary"] }] },
    template: { metadata: { labels: { app: name, tier: "web", track: "stable" } }, spec: { containers: [{ name: "c", image: "img" }] } },
  },
});

let dir: string;
let socketPath: string;
let api: ApiServer;
let rest: RestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kemu-sub-"));
  socketPath = join(dir, "api.sock");
  api = new ApiServer();
  api.create(resourceByKind("Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  rest = new RestServer(api);
  await rest.listen(socketPath);
});

afterAll(async () => {
  await rest?.close();
  rmSync(dir, { recursive: true, force: true });
});

function call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath, method, path, headers: text ? { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) } : {} }, (res) => {
      let b = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (b += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(b) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end(text);
  });
}

describe("scaleOf and readScale", () => {
  it("a Scale has the parent's identity, spec.replicas (omitted at 0), status.replicas and the selector as a string", () => {
    const d = { ...deployment("web", 3), status: { replicas: 2 } } as Stored<KubeObject>;
    d.metadata = { ...d.metadata, name: "web", namespace: "default", uid: "u-1", resourceVersion: "7", creationTimestamp: "2026-01-01T00:00:00Z", labels: { x: "y" } };
    expect(scaleOf(d)).toEqual({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: "web", namespace: "default", uid: "u-1", resourceVersion: "7", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: { replicas: 3 },
      status: { replicas: 2, selector: "app=web,tier=web,track in (canary,stable)" },
    });
    const zero = { ...d, spec: { ...(d.spec as object), replicas: 0 }, status: {} } as Stored<KubeObject>;
    expect(scaleOf(zero).spec).toEqual({});
    expect(scaleOf(zero).status.replicas).toBe(0);
  });

  it("readScale checks the kind, the name and spec.replicas as ValidateScale", () => {
    expect(readScale({ spec: { replicas: 4 }, metadata: { resourceVersion: "9" } }, "web")).toEqual({ replicas: 4, resourceVersion: "9" });
    expect(readScale({ spec: {} }, "web")).toEqual({ replicas: 0 });
    const neg = (() => {
      try {
        readScale({ spec: { replicas: -1 } }, "web");
      } catch (e) {
        return e as ApiError;
      }
      throw new Error("no error");
    })();
    expect(neg.toStatus()).toMatchObject({ code: 422, message: 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' });
    expect(() => readScale({ metadata: { name: "other" }, spec: { replicas: 1 } }, "web")).toThrow("the name of the object (other) does not match the name on the URL (web)");
    expect(() => readScale({ kind: "Deployment", spec: { replicas: 1 } }, "web")).toThrow("does not match the subresource (Scale)");
  });
});

describe("the scale subresource over REST", () => {
  const BASE = "/apis/apps/v1/namespaces/default/deployments";

  it("GET, PATCH (merge, as kubectl scale sends) and PUT; the Deployment's spec.replicas and generation follow", async () => {
    api.create(DEPLOYMENTS, deployment("web"));
    const got = await call("GET", `${BASE}/web/scale`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 2 }, status: { replicas: 0, selector: "app=web,tier=web,track in (canary,stable)" } });
    const patched = await call("PATCH", `${BASE}/web/scale`, { spec: { replicas: 5 } }, "application/merge-patch+json");
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ kind: "Scale", spec: { replicas: 5 } });
    const d = api.get(DEPLOYMENTS, "default", "web");
    expect((d.spec as { replicas: number }).replicas).toBe(5);
    expect(d.metadata.generation).toBe(2);
    expect((patched.body.metadata as { resourceVersion: string }).resourceVersion).toBe(d.metadata.resourceVersion);
    const put = await call("PUT", `${BASE}/web/scale`, { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name: "web", resourceVersion: d.metadata.resourceVersion }, spec: { replicas: 1 } });
    expect(put.status).toBe(200);
    expect((api.get(DEPLOYMENTS, "default", "web").spec as { replicas: number }).replicas).toBe(1);
  });

  it("a stale resourceVersion is a 409 on the parent; a negative count is a 422; a JSON patch works too", async () => {
    const stale = await call("PUT", `${BASE}/web/scale`, { metadata: { name: "web", resourceVersion: "1" }, spec: { replicas: 3 } });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toBe('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');
    const neg = await call("PATCH", `${BASE}/web/scale`, { spec: { replicas: -2 } }, "application/merge-patch+json");
    expect(neg.status).toBe(422);
    const json = await call("PATCH", `${BASE}/web/scale`, [{ op: "replace", path: "/spec/replicas", value: 4 }], "application/json-patch+json");
    expect(json.body).toMatchObject({ spec: { replicas: 4 } });
  });

  it("StatefulSets scale too; kinds without a scale or status subresource answer 404", async () => {
    api.create(STATEFULSETS, { ...deployment("db"), kind: "StatefulSet", spec: { ...(deployment("db").spec as object), serviceName: "db" } });
    expect((await call("GET", "/apis/apps/v1/namespaces/default/statefulsets/db/scale")).body).toMatchObject({ kind: "Scale", spec: { replicas: 2 } });
    api.create(resourceByKind("ConfigMap")!, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: "default" } });
    expect((await call("GET", "/api/v1/namespaces/default/configmaps/cfg/scale")).status).toBe(404);
    expect((await call("GET", "/api/v1/namespaces/default/configmaps/cfg/status")).status).toBe(404);
    expect((await call("GET", `${BASE}/web/status`)).status).toBe(200);
  });
});

describe("status and the main resource", () => {
  const BASE = "/apis/apps/v1/namespaces/default/deployments";

  it("a PUT to the main resource keeps the stored status; a PUT to …/status changes only the status", async () => {
    const d = api.get(DEPLOYMENTS, "default", "web");
    await call("PUT", `${BASE}/web/status`, { ...d, status: { replicas: 3, observedGeneration: 9 } });
    const withStatus = api.get(DEPLOYMENTS, "default", "web");
    expect(withStatus.status).toEqual({ replicas: 3, observedGeneration: 9 });

    // Main resource: the status sent is ignored, the spec change taken.
    const main = await call("PUT", `${BASE}/web`, { ...withStatus, spec: { ...(withStatus.spec as object), replicas: 7 }, status: { replicas: 100 } });
    expect(main.status).toBe(200);
    expect(main.body.status).toEqual({ replicas: 3, observedGeneration: 9 });
    expect((main.body.spec as { replicas: number }).replicas).toBe(7);

    // Status: spec and labels sent are ignored, the status taken.
    const now = api.get(DEPLOYMENTS, "default", "web");
    const status = await call("PUT", `${BASE}/web/status`, { ...now, metadata: { ...now.metadata, labels: { sneaky: "yes" } }, spec: { ...(now.spec as object), replicas: 50 }, status: { replicas: 7 } });
    expect(status.status).toBe(200);
    expect((status.body.spec as { replicas: number }).replicas).toBe(7);
    expect((status.body.metadata as { labels?: unknown }).labels).toBeUndefined();
    expect(status.body.status).toEqual({ replicas: 7 });
  });
});
