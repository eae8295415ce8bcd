// The API's strictness, piece by piece: the schema type check and how its
// errors are worded, the size and nesting limits, body decoding, and the
// API server's own refusals (immortal namespaces, the pod limit, the object
// size limit). The bad-input corpus (bad-input.test.ts) runs them end to end.
import { describe, it, expect, vi } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import { withNamespaces } from "../support/fixtures.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { RestServer } from "../../src/api/server.js";
import { resourceByKind } from "../../src/api/resources.js";
import { abbreviate, beyondInt64, fieldPath, typeCheck, typeErrorsFrom, typeCheckedKinds, type SchemaError } from "../../src/api/typecheck.js";
import { MAX_NESTING_DEPTH, MAX_OBJECT_BYTES, nestingDepth } from "../../src/api/limits.js";
import { decodeBody, mediaType } from "../../src/api/body.js";
import { withoutNulls } from "../../src/api/meta.js";
import { supportedKinds } from "../../src/api/validation/index.js";
import type { KubeObject } from "../../src/api/types.js";
import { thrown } from "../support/api-errors.js";

const PODS = resourceByKind("Pod")!;
const NAMESPACES = resourceByKind("Namespace")!;

const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name },
  spec: { containers: [{ name: "c", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["pause"] }] },
  ...extra,
});


describe("type check against upstream's schema", () => {
  it("knows every kind the API validates", () => {
    expect(typeCheckedKinds).toEqual(supportedKinds);
  });

  it("finds nothing wrong with a well-typed object", () => {
    expect(typeCheck(pod("web"))).toEqual([]);
  });

  it("maps JSON pointers to Kubernetes field paths: list indexes and map keys in brackets", () => {
    const obj = { kind: "Pod", metadata: { labels: { "app.kubernetes.io/name": 1 } }, spec: { containers: [{ ports: [{}] }] } };
    expect(fieldPath("/spec/containers/0/ports/0/containerPort", obj)).toBe("spec.containers[0].ports[0].containerPort");
    expect(fieldPath("/metadata/labels/app.kubernetes.io~1name", obj)).toBe("metadata.labels[app.kubernetes.io/name]");
    expect(fieldPath("/spec/containers/0/resources/limits/cpu", obj)).toBe("spec.containers[0].resources.limits[cpu]");
    // A Service's selector is a map; a Deployment's is a LabelSelector with matchLabels.
    expect(fieldPath("/spec/selector/app", { kind: "Service" })).toBe("spec.selector[app]");
    expect(fieldPath("/spec/selector/matchLabels/app", { kind: "Deployment" })).toBe("spec.selector.matchLabels[app]");
  });

  it("keeps type and integer-range errors, leaves required and enum to kemu's validators", () => {
    const errors: SchemaError[] = [
      { instancePath: "/spec/replicas", keyword: "format", params: { format: "int32" } },
      { instancePath: "/spec", keyword: "required", params: {} },
      { instancePath: "/apiVersion", keyword: "enum", params: {} },
      { instancePath: "/spec/paused", keyword: "type", params: { type: "boolean" } },
    ];
    const obj = { kind: "Deployment", apiVersion: "x", spec: { replicas: 1e12, paused: "yes" } };
    expect(typeErrorsFrom(errors, obj).map(String)).toEqual([
      "spec.replicas: Invalid value: 1000000000000: must be an integer from -2147483648 to 2147483647 (32 bits)",
      'spec.paused: Invalid value: "yes": must be a boolean (true or false)',
    ]);
  });

  it("reports an int-or-string once, by the types it accepts, or by range when only the range is wrong", () => {
    const svc = (targetPort: unknown): KubeObject => ({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: 80, targetPort }] } });
    expect(typeCheck(svc(true)).map(String)).toEqual(["spec.ports[0].targetPort: Invalid value: true: must be an integer or a string"]);
    expect(typeCheck(svc(1e10)).map(String)).toEqual(["spec.ports[0].targetPort: Invalid value: 10000000000: must be an integer from -2147483648 to 2147483647 (32 bits)"]);
    expect(typeCheck(svc("http"))).toEqual([]);
    expect(typeCheck(svc(8080))).toEqual([]);
  });

  it("checks 64-bit ranges itself (the validators cannot)", () => {
    expect(beyondInt64({ a: [1, 2 ** 63], b: { c: -(2 ** 63), d: -(2 ** 64) } })).toEqual(["/a/1", "/b/d"]);
    expect(typeCheck(pod("p", { spec: { terminationGracePeriodSeconds: 1e19, containers: [{ name: "c", image: "i" }] } })).map(String)).toEqual([
      "spec.terminationGracePeriodSeconds: Invalid value: 10000000000000000000: must be an integer from -9223372036854775808 to 9223372036854775807 (64 bits)",
    ]);
  });

  it("cuts long values in messages", () => {
    expect(abbreviate("x".repeat(10))).toBe(`"${"x".repeat(10)}"`);
    const long = abbreviate({ labels: "y".repeat(500) });
    expect(long).toHaveLength(80);
    expect(long.endsWith("...")).toBe(true);
    expect(abbreviate(undefined)).toBe("null");
  });

  it("drops null fields before checking, as the API server's decoder leaves them unset", () => {
    expect(withoutNulls({ a: null, b: { c: null, d: 1 }, e: [null, { f: null }] })).toEqual({ b: { d: 1 }, e: [null, {}] });
    const api = withNamespaces();
    const created = api.create(PODS, pod("nulls", { metadata: { name: "nulls", creationTimestamp: null, labels: null }, status: null }));
    expect(created.metadata.name).toBe("nulls");
  });
});

describe("limits", () => {
  it("measures nesting without recursion, stopping once past the limit", () => {
    expect(nestingDepth(5)).toBe(0);
    expect(nestingDepth({})).toBe(1);
    expect(nestingDepth({ a: [{ b: [] }] })).toBe(4);
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(nestingDepth(deep, MAX_NESTING_DEPTH)).toBe(MAX_NESTING_DEPTH + 1);
    expect(nestingDepth(deep)).toBe(200_001);
  });

  it("decodes only JSON media types, and refuses bad JSON and deep nesting", () => {
    expect(mediaType("application/json; charset=utf-8")).toBe("application/json");
    expect(decodeBody("", "application/json", "POST")).toBeUndefined();
    expect(decodeBody('{"a":1}', undefined, "POST")).toEqual({ a: 1 });
    expect(decodeBody('{"a":1}', "application/merge-patch+json", "PATCH")).toEqual({ a: 1 });
    expect(thrown(() => decodeBody("a: 1", "application/yaml", "POST")).code).toBe(415);
    expect(decodeBody("[]", "application/json-patch+json", "PATCH")).toEqual([]);
    expect(decodeBody("kind: Pod\nmetadata: {name: p}", "application/apply-patch+yaml", "PATCH")).toEqual({ kind: "Pod", metadata: { name: "p" } });
    expect(thrown(() => decodeBody("a: 1\na: 2", "application/apply-patch+yaml", "PATCH")).code).toBe(400);
    expect(thrown(() => decodeBody("{}", "application/json", "PATCH")).message).toBe(
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml",
    );
    expect(thrown(() => decodeBody("{", "application/json", "POST")).code).toBe(400);
    const deep = `${"[".repeat(MAX_NESTING_DEPTH + 1)}${"]".repeat(MAX_NESTING_DEPTH + 1)}`;
    expect(thrown(() => decodeBody(deep, "application/json", "POST")).message).toBe("the object nests more than 100 levels deep (kemu's limit on JSON nesting)");
    const atLimit = `${"[".repeat(MAX_NESTING_DEPTH)}${"]".repeat(MAX_NESTING_DEPTH)}`;
    expect(nestingDepth(decodeBody(atLimit, "application/json", "POST"))).toBe(MAX_NESTING_DEPTH);
  });
});

describe("the API server's own refusals", () => {
  it("refuses to delete the immortal namespaces with upstream's NamespaceLifecycle message (403), kube-node-lease included", () => {
    const api = withNamespaces();
    for (const name of ["kube-system", "kube-public", "kube-node-lease"]) api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
      const err = thrown(() => api.delete(NAMESPACES, undefined, name));
      expect(err.code).toBe(403);
      expect(err.message).toBe(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
      expect(api.get(NAMESPACES, undefined, name).metadata.deletionTimestamp).toBeUndefined();
    }
    // Any other namespace goes as before.
    expect(api.delete(NAMESPACES, undefined, "other").metadata.deletionTimestamp).toBeDefined();
  });

  it("holds at most maxPods pods and says so (403) naming the limit", () => {
    const api = withNamespaces(new ApiServer({ maxPods: 2 }));
    api.create(PODS, pod("a"));
    api.create(PODS, pod("b"));
    const err = thrown(() => api.create(PODS, pod("c")));
    expect(err.code).toBe(403);
    expect(err.message).toBe('pods "c" is forbidden: the cluster already holds 2 pods, kemu\'s limit (every pod runs as processes on this host)');
    api.delete(PODS, "default", "a");
    expect(api.create(PODS, pod("c")).metadata.name).toBe("c");
  });

  it("stores no object larger than etcd's request limit (413)", () => {
    const api = withNamespaces();
    // 30,000 valid labels: 1.6 MB in all (upstream has no limit on their number, only etcd's on the object).
    const labels: Record<string, string> = {};
    for (let i = 0; i < 30_000; i++) labels[`label-number-${i}`] = `value-number-${i}-abcdefghijkl`;
    const err = thrown(() => api.create(PODS, pod("huge", { metadata: { name: "huge", labels } })));
    expect(err.code).toBe(413);
    expect(err.message).toMatch(new RegExp(`^Pod "huge" is too large to store: \\d+ bytes, more than the limit of ${MAX_OBJECT_BYTES} \\(etcd's default request size\\)$`));
    expect(api.tryGet(PODS, "default", "huge")).toBeUndefined();
  });

  it("type-checks updates, merge patches and status writes too", () => {
    const api = withNamespaces();
    const p = api.create(PODS, pod("p"));
    expect(thrown(() => api.update(PODS, { ...p, metadata: { ...p.metadata, labels: "x" as never } })).message).toBe(
      'Pod "p" is invalid: metadata.labels: Invalid value: "x": must be an object',
    );
    expect(thrown(() => api.patch(PODS, "default", "p", { spec: { containers: "x" } })).message).toBe(
      'Pod "p" is invalid: spec.containers: Invalid value: "x": must be a list',
    );
    expect(thrown(() => api.patch(PODS, "default", "p", { metadata: "x" })).message).toBe('Pod "" is invalid: metadata: Invalid value: "x": must be an object');
    expect(thrown(() => api.patch(PODS, "default", "p", ["x"])).code).toBe(400);
    expect(thrown(() => api.update(PODS, { ...p, status: { phase: 3 } }, "default", { subresource: "status" })).message).toBe(
      'Pod "p" is invalid: status.phase: Invalid value: 3: must be a string',
    );
    expect(api.get(PODS, "default", "p").metadata.resourceVersion).toBe(p.metadata.resourceVersion);
  });

  it("draws a generated name again when it is taken (upstream's RetryGenerateName)", () => {
    const api = withNamespaces();
    // The next create's first draw is made to collide with an existing pod.
    const taken = api.create(PODS, { ...pod(""), metadata: { generateName: "web-" } });
    let draws = 0;
    const store = api.store;
    const originalGet = store.get.bind(store);
    store.get = (resource, namespace, name) => {
      if (resource === PODS && name.startsWith("web-")) draws++;
      // The first draw of the next create collides.
      return draws === 1 ? taken : originalGet(resource, namespace, name);
    };
    const next = api.create(PODS, { ...pod(""), metadata: { generateName: "web-" } });
    expect(draws).toBeGreaterThanOrEqual(2);
    expect(next.metadata.name).not.toBe(taken.metadata.name);
  });

  it("answers an unexpected error with one line (500) and keeps the stack for the daemon log", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    class Broken extends ApiServer {
      override list(): never {
        throw new TypeError("cannot read properties of undefined\n    at somewhere (file.js:1:1)");
      }
    }
    const dir = mkdtempSync(join(tmpdir(), "kemu-500-"));
    const rest = new RestServer(new Broken());
    await rest.listen(join(dir, "api.sock"));
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ socketPath: join(dir, "api.sock"), path: "/api/v1/pods" }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
      });
      expect(status).toBe(500);
      expect(JSON.parse(body)).toMatchObject({ kind: "Status", reason: "InternalError", code: 500, message: "Internal error occurred: cannot read properties of undefined" });
      expect(body).not.toMatch(/ at /);
      expect(logged.mock.calls.some((c) => String(c[0]).includes("GET /api/v1/pods: TypeError: cannot read properties of undefined"))).toBe(true);
    } finally {
      logged.mockRestore();
      await rest.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
