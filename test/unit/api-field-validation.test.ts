// Field validation (API concepts, "Field validation"; apiserver handlers'
// fieldValidation): unknown fields are dropped under Ignore, dropped with a
// `Warning: 299 - "unknown field \"spec.foo\""` header under Warn (the
// default), and a 400 `<Kind> in version "<v>" cannot be handled as a <Kind>:
// strict decoding error: unknown field "…"` under Strict (what kubectl sends).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiServer } from "../../src/api/apiserver.js";
import { RestServer, warningHeader } from "../../src/api/server.js";
import { resourceByKind } from "../../src/api/resources.js";
import { unknownFields } from "../../src/api/typecheck.js";
import { findUnknownFields } from "../../src/api/unknown-fields.js";
import { duplicateFields } from "../../src/api/duplicate-fields.js";
import type { KubeObject } from "../../src/api/types.js";

const deployment = (extra: Record<string, unknown> = {}, containerExtra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "c", image: "img", ports: [{ containerPort: 80 }], resources: { limits: { cpu: "1" } }, ...containerExtra }] },
      },
      ...extra,
    },
  }) as KubeObject;

describe("unknownFields", () => {
  it("names every field the schema lacks, in document order, with Kubernetes paths; maps take any key", () => {
    const obj = { ...deployment({ foo: { bar: 1 } }, { imagee: "x" }), template: 1 } as KubeObject;
    (obj.metadata as Record<string, unknown>).colour = "red";
    expect(unknownFields(obj).map((f) => f.path)).toEqual(["metadata.colour", "spec.template.spec.containers[0].imagee", "spec.foo", "template"]);
    expect(unknownFields(deployment())).toEqual([]);
  });

  it("free-form objects (no declared properties) are left alone", () => {
    const found = findUnknownFields({ known: 1, raw: { anything: { goes: true } }, other: 2 }, (o) => {
      const r = o as Record<string, unknown>;
      void r.known;
      void r.raw;
    });
    expect(found.map((f) => f.path)).toEqual(["other"]);
  });

  it("kinds with no schema have none; the CRD kinds have their metadata checked", () => {
    expect(unknownFields({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { x: 1 } } as KubeObject)).toEqual([]);
    const gw = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "g", bogus: 1 }, spec: { whatever: 1 } } as KubeObject;
    expect(unknownFields(gw).map((f) => f.path)).toEqual(["metadata.bogus"]);
  });
});

describe("duplicateFields", () => {
  it("names each repeated key with its path, in document order; escapes and nesting are read right", () => {
    expect(duplicateFields('{"a":1,"b":{"c":[{"d":1,"d":2}],"c":3},"a":"x\\"y","e":[1,"]",{"f":{}}]}')).toEqual(["b.c[0].d", "b.c", "a"]);
    expect(duplicateFields('{"a":{},"b":[]}')).toEqual([]);
    expect(duplicateFields("not json")).toEqual([]);
  });
});

describe("fieldValidation over REST", () => {
  let dir: string;
  let socketPath: string;
  let api: ApiServer;
  let rest: RestServer;
  const DEPLOYMENTS = resourceByKind("Deployment")!;
  const BASE = "/apis/apps/v1/namespaces/default/deployments";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kemu-fv-"));
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

  function call(method: string, path: string, body: unknown, contentType = "application/json"): Promise<{ status: number; warning: string | string[] | undefined; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      const req = http.request({ socketPath, method, path, headers: { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) } }, (res) => {
        let b = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (b += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, warning: res.headers.warning, body: JSON.parse(b) as Record<string, unknown> }));
      });
      req.on("error", reject);
      req.end(text);
    });
  }

  it("Strict: a 400 naming every unknown field, as upstream's strict decoder words it; nothing stored", async () => {
    const r = await call("POST", `${BASE}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict`, deployment({ foo: 1 }, { imagee: "x" }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].imagee", unknown field "spec.foo"',
      reason: "BadRequest",
      code: 400,
    });
    expect(api.tryGet(DEPLOYMENTS, "default", "web")).toBeUndefined();
  });

  it("Warn (the default): created without the fields, one Warning header each", async () => {
    const r = await call("POST", BASE, deployment({ foo: 1 }, { imagee: "x" }));
    expect(r.status).toBe(201);
    expect(r.warning).toBe(`${warningHeader('unknown field "spec.template.spec.containers[0].imagee"')}, ${warningHeader('unknown field "spec.foo"')}`);
    expect(warningHeader('unknown field "spec.foo"')).toBe('299 - "unknown field \\"spec.foo\\""');
    const stored = api.get(DEPLOYMENTS, "default", "web");
    expect((stored.spec as Record<string, unknown>).foo).toBeUndefined();
  });

  it("Ignore: dropped silently; the same rules on PATCH (strategic merge) and PUT", async () => {
    const patched = await call("PATCH", `${BASE}/web?fieldValidation=Ignore`, { spec: { bar: 2 } }, "application/strategic-merge-patch+json");
    expect(patched.status).toBe(200);
    expect(patched.warning).toBeUndefined();
    expect((patched.body.spec as Record<string, unknown>).bar).toBeUndefined();
    const strict = await call("PATCH", `${BASE}/web?fieldValidation=Strict`, { spec: { bar: 2 } }, "application/merge-patch+json");
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.bar"');
    const current = api.get(DEPLOYMENTS, "default", "web");
    const put = await call("PUT", `${BASE}/web`, { ...current, spec: { ...(current.spec as object), baz: 3 } });
    expect(put.status).toBe(200);
    expect(put.warning).toBe(warningHeader('unknown field "spec.baz"'));
  });

  it("duplicate fields: a warning each under Warn (the last value kept), in the 400 under Strict", async () => {
    const text = (name: string) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}","namespace":"default"},"data":{"k":"1","k":"2"}}`;
    const warned = await call("POST", "/api/v1/namespaces/default/configmaps", text("dup"));
    expect(warned.status).toBe(201);
    expect(warned.warning).toBe(warningHeader('duplicate field "data.k"'));
    expect(warned.body.data).toEqual({ k: "2" });
    const strict = await call("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", text("dup2"));
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data.k"');
  });

  it("a fieldValidation value other than Ignore, Warn or Strict is a 422 on the options", async () => {
    const r = await call("POST", `${BASE}?fieldValidation=Loud`, deployment());
    expect(r.status).toBe(422);
    expect(r.body.message).toBe('CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"');
  });

  it("in-process writes (no fieldValidation) keep the object as given", () => {
    const cms = resourceByKind("ConfigMap")!;
    const stored = api.create(cms, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "default" }, extra: 1 } as KubeObject);
    expect((stored as unknown as Record<string, unknown>).extra).toBe(1);
  });
});
