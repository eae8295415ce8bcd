// PATCH through the API server: each patch type on a real object, with the
// options upstream checks (apiserver handlers/patch.go, ValidatePatchOptions).
import { describe, expect, it } from "vitest";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject } from "../../src/api/types.js";
import { thrown } from "../support/api-errors.js";

const NAMESPACES = resourceByKind("Namespace")!;
const DEPLOYMENTS = resourceByKind("Deployment")!;
const CONFIG = { apiVersion: "apps/v1", kind: "Deployment" };
const GATEWAY_CLASSES = resourceByKind("GatewayClass")!;
const SMP = "application/strategic-merge-patch+json";
const APPLY = "application/apply-patch+yaml";
const JSON_PATCH = "application/json-patch+json";

type Container = { name: string; image: string; args?: string[]; ports?: unknown[]; env?: unknown[] };
const containersOf = (d: KubeObject) => (d.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;

function server(): ApiServer {
  const api = new ApiServer();
  api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  return api;
}

const deployment = (): KubeObject => ({
  ...CONFIG,
  metadata: { name: "web" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: "agnhost:2.52", args: ["netexec"], ports: [{ containerPort: 8080 }], env: [{ name: "A", value: "1" }] }] },
    },
  },
});

describe("PATCH through the API server", () => {
  it("kubectl set image (a strategic merge patch) changes the image only and bumps the generation", () => {
    const api = server();
    api.create(DEPLOYMENTS, deployment());
    const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "web" }], containers: [{ image: "agnhost:2.53", name: "web" }] } } } };
    const out = api.patch(DEPLOYMENTS, "default", "web", patch, SMP);
    expect(containersOf(out)).toEqual([
      { name: "web", image: "agnhost:2.53", args: ["netexec"], ports: [{ containerPort: 8080, protocol: "TCP" }], env: [{ name: "A", value: "1" }], ...defaultsOf(out) },
    ]);
    expect(out.metadata.generation).toBe(2);
    expect(JSON.stringify(out)).not.toContain("$setElementOrder");
  });

  it("a JSON patch scales a Deployment; one that fails changes nothing (422)", () => {
    const api = server();
    api.create(DEPLOYMENTS, deployment());
    const out = api.patch(DEPLOYMENTS, "default", "web", [{ op: "replace", path: "/spec/replicas", value: 3 }], JSON_PATCH);
    expect((out.spec as { replicas: number }).replicas).toBe(3);
    const err = thrown(() => api.patch(DEPLOYMENTS, "default", "web", [{ op: "replace", path: "/spec/replicas", value: 5 }, { op: "test", path: "/spec/paused", value: true }], JSON_PATCH));
    expect([err.code, err.message]).toEqual([422, "json patch operation 1 (test /spec/paused): /spec/paused does not exist"]);
    expect((api.get(DEPLOYMENTS, "default", "web").spec as { replicas: number }).replicas).toBe(3);
  });

  it("server-side apply creates the object when absent (created) and merges when present", () => {
    const api = server();
    const first = api.patchWithResult(DEPLOYMENTS, "default", "web", deployment(), APPLY, { fieldManager: "kubectl" });
    expect([first.created, first.object.metadata.generation]).toEqual([true, 1]);
    // Another manager (forced: kubectl owns replicas): kubectl's fields stay. The same manager would drop what it no longer applies (api-managed-fields.test.ts).
    const again = api.patchWithResult(DEPLOYMENTS, "default", "web", { ...CONFIG, metadata: { name: "web" }, spec: { replicas: 2 } }, APPLY, { fieldManager: "scaler", force: true });
    expect(again.created).toBe(false);
    expect((again.object.spec as { replicas: number }).replicas).toBe(2);
    expect(containersOf(again.object)[0]!.args).toEqual(["netexec"]);
  });

  it("kubectl's second apply, carrying only metadata, leaves the spec alone (kubectl-api.md §4)", () => {
    const api = server();
    api.create(DEPLOYMENTS, deployment());
    const metadataOnly = { ...CONFIG, metadata: { name: "web", namespace: "default", annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } } };
    const out = api.patch(DEPLOYMENTS, "default", "web", metadataOnly, APPLY, { fieldManager: "kubectl-last-applied" });
    expect(out.metadata.annotations).toEqual({ "kubectl.kubernetes.io/last-applied-configuration": "{}" });
    expect(containersOf(out)[0]!.image).toBe("agnhost:2.52");
    expect(out.metadata.generation).toBe(1);
  });

  it("apply needs a fieldManager; force is for apply only (422 on PatchOptions, as ValidatePatchOptions)", () => {
    const api = server();
    api.create(DEPLOYMENTS, deployment());
    const noManager = thrown(() => api.patch(DEPLOYMENTS, "default", "web", deployment(), APPLY));
    expect([noManager.code, noManager.message]).toEqual([422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch']);
    const forced = thrown(() => api.patch(DEPLOYMENTS, "default", "web", { spec: {} }, SMP, { force: true }));
    expect([forced.code, forced.message]).toEqual([422, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch']);
    expect(api.patch(DEPLOYMENTS, "default", "web", deployment(), APPLY, { fieldManager: "kubectl", force: true }).metadata.name).toBe("web");
  });

  it("refuses an apply configuration of another version, with managedFields, or with directives (400)", () => {
    const api = server();
    const wrongVersion = thrown(() => api.patch(DEPLOYMENTS, "default", "web", { ...deployment(), apiVersion: "apps/v1beta1" }, APPLY, { fieldManager: "m" }));
    expect([wrongVersion.code, wrongVersion.message]).toEqual([400, "Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1"]);
    const managed = thrown(() => api.patch(DEPLOYMENTS, "default", "web", { ...CONFIG, metadata: { name: "web", managedFields: [{}] } }, APPLY, { fieldManager: "m" }));
    expect(managed.message).toBe("metadata.managedFields must be nil");
    const directive = thrown(() => api.patch(DEPLOYMENTS, "default", "web", { ...CONFIG, spec: { $patch: "replace" } }, APPLY, { fieldManager: "m" }));
    expect(directive.message).toBe("spec.$patch: an apply configuration may not carry strategic merge patch directives");
  });

  it("refuses a strategic merge patch on a CRD-backed kind (415 with the CR handler's types) and a rename (400)", () => {
    const api = server();
    const crd = thrown(() => api.patch(GATEWAY_CLASSES, undefined, "gc", { spec: {} }, SMP));
    expect([crd.code, crd.message]).toEqual([
      415,
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
    ]);
    api.create(DEPLOYMENTS, deployment());
    const renamed = thrown(() => api.patch(DEPLOYMENTS, "default", "web", { metadata: { name: "other" } }, SMP));
    expect([renamed.code, renamed.message]).toEqual([400, "the name of the object (other) does not match the name on the URL (web)"]);
  });
});

/** The container fields defaulting adds (kept out of the expectation's literal). */
function defaultsOf(d: KubeObject): Record<string, unknown> {
  const { name: _n, image: _i, args: _a, ports: _p, env: _e, ...rest } = containersOf(d)[0]! as Container & Record<string, unknown>;
  return rest;
}
