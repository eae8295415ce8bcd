// Server-side apply's field ownership (API concepts "Server-Side Apply":
// managers, conflicts, force, removing fields a manager stops applying;
// apimachinery managedfields internal/conflict.go for the 409 message) and
// the Update entries ordinary writes record.
import { describe, expect, it } from "vitest";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";
import { ApiError } from "../../src/api/errors.js";
import { patchSchemaOf } from "../../src/api/patch/strategy.js";
import { fromFieldsV1, pathString, splitPath, toFieldsV1 } from "../../src/api/managedfields/fieldpath.js";
import { managedFieldsTime, managerFromUserAgent, ownedFieldsOf, type ManagedFieldsEntry } from "../../src/api/managedfields/managed-fields.js";
import type { KubeObject, Stored } from "../../src/api/types.js";

const DEPLOYMENTS = resourceByKind("Deployment")!;
const APPLY = "application/apply-patch+yaml";
const MERGE = "application/merge-patch+json";

const config = (spec: Record<string, unknown> = {}, labels: Record<string, string> = { app: "web" }) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "img", ports: [{ containerPort: 80 }] }] } },
    ...spec,
  },
});

const CONFIG_FIELDS = {
  "f:metadata": { "f:labels": { "f:app": {} } },
  "f:spec": {
    "f:replicas": {},
    "f:selector": { "f:matchLabels": { "f:app": {} } },
    "f:template": {
      "f:metadata": { "f:labels": { "f:app": {} } },
      "f:spec": {
        "f:containers": {
          'k:{"name":"c"}': { ".": {}, "f:image": {}, "f:name": {}, "f:ports": { 'k:{"containerPort":80}': { ".": {}, "f:containerPort": {} } } },
        },
      },
    },
  },
};

function server(): ApiServer {
  const api = new ApiServer();
  api.create(resourceByKind("Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  return api;
}

const entries = (obj: Stored<KubeObject>) => (obj.metadata.managedFields ?? []) as unknown as ManagedFieldsEntry[];
const summary = (obj: Stored<KubeObject>) => entries(obj).map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ""}`);
const fieldsOf = (obj: Stored<KubeObject>, manager: string) => entries(obj).find((e) => e.manager === manager)?.fieldsV1;

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error("no error");
}

describe("field sets", () => {
  it("a configuration's fields as FieldsV1: leaves, associative list items by merge key with `.`, no identity fields", () => {
    expect(toFieldsV1(ownedFieldsOf(config(), patchSchemaOf("Deployment"), ""))).toEqual(CONFIG_FIELDS);
  });

  it("set lists by value, status only on the status subresource; FieldsV1 goes round", () => {
    const obj = { metadata: { name: "x", finalizers: ["a/b"] }, spec: { x: 1 }, status: { replicas: 1 } };
    expect(toFieldsV1(ownedFieldsOf(obj, patchSchemaOf("Deployment"), ""))).toEqual({ "f:metadata": { "f:finalizers": { 'v:"a/b"': {} } }, "f:spec": { "f:x": {} } });
    expect(toFieldsV1(ownedFieldsOf(obj, patchSchemaOf("Deployment"), "status"))).toEqual({ "f:status": { "f:replicas": {} } });
    expect(toFieldsV1(fromFieldsV1(CONFIG_FIELDS))).toEqual(CONFIG_FIELDS);
  });

  it("paths print as upstream's fieldpath.Path", () => {
    expect(pathString(splitPath(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image'].join("\u0000")))).toBe('.spec.template.spec.containers[name="c"].image');
    expect(pathString(["f:metadata", "f:finalizers", 'v:"a/b"'])).toBe('.metadata.finalizers[="a/b"]');
  });

  it("the default manager is the User-Agent's product; times are whole seconds", () => {
    expect(managerFromUserAgent("kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd")).toBe("kubectl");
    expect(managerFromUserAgent(undefined)).toBe("unknown");
    expect(managedFieldsTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe("2026-01-02T03:04:05Z");
  });
});

describe("server-side apply", () => {
  it("a create by apply records one Apply entry with the configuration's fields", () => {
    const api = server();
    const out = api.patchWithResult(DEPLOYMENTS, "default", "web", config(), APPLY, { fieldManager: "kubectl" });
    expect(out.created).toBe(true);
    expect(entries(out.object)).toEqual([{ manager: "kubectl", operation: "Apply", apiVersion: "apps/v1", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), fieldsType: "FieldsV1", fieldsV1: CONFIG_FIELDS }]);
  });

  it("another manager's different value is a 409 naming it and the field; force takes the field over", () => {
    const api = server();
    api.patch(DEPLOYMENTS, "default", "web", config(), APPLY, { fieldManager: "kubectl" });
    api.patch(DEPLOYMENTS, "default", "web", { spec: { replicas: 5 } }, MERGE, { fieldManager: "kubectl-edit" });
    const edited = api.get(DEPLOYMENTS, "default", "web");
    expect(summary(edited)).toEqual(["kubectl/Apply", "kubectl-edit/Update"]);
    expect(fieldsOf(edited, "kubectl-edit")).toEqual({ "f:spec": { "f:replicas": {} } });
    // An update takes the field from the applier.
    expect((fieldsOf(edited, "kubectl") as { "f:spec": Record<string, unknown> })["f:spec"]["f:replicas"]).toBeUndefined();

    const conflict = thrown(() => api.patch(DEPLOYMENTS, "default", "web", config({ replicas: 3 }), APPLY, { fieldManager: "kubectl" }));
    expect(conflict.toStatus()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas',
      reason: "Conflict",
      details: { causes: [{ reason: "FieldManagerConflict", message: 'conflict with "kubectl-edit" using apps/v1', field: ".spec.replicas" }] },
      code: 409,
    });
    // The same value is shared ownership, no conflict.
    expect(api.patch(DEPLOYMENTS, "default", "web", config({ replicas: 5 }), APPLY, { fieldManager: "kubectl" }).metadata.name).toBe("web");

    const forced = api.patch(DEPLOYMENTS, "default", "web", config({ replicas: 3 }), APPLY, { fieldManager: "kubectl", force: true });
    expect((forced.spec as { replicas: number }).replicas).toBe(3);
    expect(summary(forced)).toEqual(["kubectl/Apply"]);
    expect(fieldsOf(forced, "kubectl")).toEqual(CONFIG_FIELDS);
  });

  it("conflicts with several managers are grouped by manager, one field a line", () => {
    const api = server();
    api.patch(DEPLOYMENTS, "default", "web", config(), APPLY, { fieldManager: "kubectl" });
    api.patch(DEPLOYMENTS, "default", "web", { spec: { replicas: 4 } }, MERGE, { fieldManager: "b-scaler" });
    api.patch(DEPLOYMENTS, "default", "web", { metadata: { labels: { app: "other" } } }, MERGE, { fieldManager: "a-labeler" });
    const err = thrown(() => api.patch(DEPLOYMENTS, "default", "web", config({ replicas: 2 }), APPLY, { fieldManager: "kubectl" }));
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "a-labeler" using apps/v1:\n- .metadata.labels.app\nconflicts with "b-scaler" using apps/v1:\n- .spec.replicas',
    );
  });

  it("fields a manager stops applying are removed, unless another manager owns them", () => {
    const api = server();
    api.patch(DEPLOYMENTS, "default", "web", config({}, { app: "web", tier: "front", team: "a" }), APPLY, { fieldManager: "kubectl" });
    // Another manager sets team to the same value: shared.
    api.patch(DEPLOYMENTS, "default", "web", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", labels: { team: "a" } } }, APPLY, { fieldManager: "ops" });
    const out = api.patch(DEPLOYMENTS, "default", "web", config(), APPLY, { fieldManager: "kubectl" });
    expect(out.metadata.labels).toEqual({ app: "web", team: "a" });
    expect(fieldsOf(out, "ops")).toEqual({ "f:metadata": { "f:labels": { "f:team": {} } } });
  });

  it("a container dropped from the configuration goes; kubectl's metadata-only second apply leaves the spec alone", () => {
    const api = server();
    const two = config();
    (two.spec.template.spec.containers as unknown[]).push({ name: "sidecar", image: "side" });
    api.patch(DEPLOYMENTS, "default", "web", two, APPLY, { fieldManager: "kubectl" });
    const one = api.patch(DEPLOYMENTS, "default", "web", config(), APPLY, { fieldManager: "kubectl" });
    expect(((one.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers).map((c) => c.name)).toEqual(["c"]);
    const meta = api.patch(DEPLOYMENTS, "default", "web", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", annotations: { a: "b" } } }, APPLY, { fieldManager: "kubectl-last-applied" });
    expect((meta.spec as { replicas: number }).replicas).toBe(2);
    expect(summary(meta)).toEqual(["kubectl/Apply", "kubectl-last-applied/Apply"]);
  });
});

describe("Update entries", () => {
  it("a create with a manager owns every field it set (defaults included); in-process writes keep managedFields as they are", () => {
    const api = server();
    const created = api.create(DEPLOYMENTS, { ...config(), metadata: { name: "web", namespace: "default" } } as KubeObject, "default", { fieldManager: "kubectl-create" });
    expect(summary(created)).toEqual(["kubectl-create/Update"]);
    const fields = fieldsOf(created, "kubectl-create") as { "f:spec": Record<string, unknown> };
    expect(Object.keys(fields["f:spec"])).toEqual(expect.arrayContaining(["f:replicas", "f:selector", "f:template", "f:revisionHistoryLimit"]));
    // A controller's update (no manager): managedFields unchanged.
    const next = structuredClone({ ...created, spec: { ...(created.spec as object), paused: true } });
    delete (next.metadata as { managedFields?: unknown }).managedFields;
    expect(entries(api.update(DEPLOYMENTS, next))).toEqual(entries(created));
  });

  it("managedFields sent with a write replace the stored ones (kubectl's move from client-side to server-side apply); sent empty, the stored stay", () => {
    const api = server();
    const created = api.create(DEPLOYMENTS, { ...config(), metadata: { name: "web", namespace: "default" } } as KubeObject, "default", { fieldManager: "kubectl-client-side-apply" });
    const moved = [{ ...entries(created)[0]!, manager: "kubectl", operation: "Apply" }];
    const patched = api.patch(DEPLOYMENTS, "default", "web", [{ op: "replace", path: "/metadata/managedFields", value: moved }], "application/json-patch+json", { fieldManager: "kubectl" });
    expect(summary(patched)).toEqual(["kubectl/Apply"]);
    const emptied = api.update(DEPLOYMENTS, { ...structuredClone(patched), metadata: { ...structuredClone(patched.metadata), managedFields: [] } }, "default", { fieldManager: "kubectl-replace" });
    expect(summary(emptied)).toEqual(["kubectl/Apply"]);
  });

  it("status and scale writes are recorded under their subresource", () => {
    const api = server();
    const created = api.create(DEPLOYMENTS, { ...config(), metadata: { name: "web", namespace: "default" } } as KubeObject, "default", { fieldManager: "kubectl" });
    api.update(DEPLOYMENTS, { ...created, status: { replicas: 2 } }, "default", { subresource: "status", fieldManager: "kube-controller-manager" });
    api.updateScale(DEPLOYMENTS, "default", "web", { spec: { replicas: 6 } }, { fieldManager: "kubectl-scale", managedSubresource: "scale" });
    const out = api.get(DEPLOYMENTS, "default", "web");
    expect(summary(out)).toEqual(["kubectl/Update", "kube-controller-manager/Update/status", "kubectl-scale/Update/scale"]);
    expect(fieldsOf(out, "kube-controller-manager")).toEqual({ "f:status": { "f:replicas": {} } });
    expect(fieldsOf(out, "kubectl-scale")).toEqual({ "f:spec": { "f:replicas": {} } });
  });
});
