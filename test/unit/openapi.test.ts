// OpenAPI v3 as `kubectl apply` reads it with its default validation (shared
// reference kubectl-api.md §3): every group version of a manifest listed in
// /openapi/v3, and in its document the PATCH operation's
// x-kubernetes-group-version-kind with a fieldValidation parameter.
import { describe, expect, it } from "vitest";
import { SERVED_RESOURCES as RESOURCES } from "../../src/api/resources.js";
import { openApiDocument, openApiIndex, servedOpenApiDocument } from "../../src/api/openapi.js";

describe("/openapi/v3", () => {
  // kube-openapi handler3: the index keys sorted, each URL's hash the upper-case hex SHA-512 of its document.
  it("lists every served group version with its document's hash", () => {
    const index = openApiIndex();
    const expected = [...new Set(RESOURCES.map((r) => (r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`)))].sort();
    expect(Object.keys(index.paths)).toEqual(expected);
    expect(index.paths["api/v1"]).toEqual({ serverRelativeURL: `/openapi/v3/api/v1?hash=${servedOpenApiDocument("api/v1")!.hash}` });
    expect(servedOpenApiDocument("api/v1")!.hash).toMatch(/^[0-9A-F]{128}$/);
    expect(servedOpenApiDocument("apis/apps/v1")!.hash).not.toBe(servedOpenApiDocument("api/v1")!.hash);
  });

  it("a namespaced kind has its collection, item and all-namespaces paths; PATCH names its kind and takes fieldValidation", () => {
    const doc = openApiDocument("apis/apps/v1")!;
    expect(doc.openapi).toBe("3.0.0");
    expect(doc.components.schemas["io.k8s.api.apps.v1.Deployment"]!["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", kind: "Deployment", version: "v1" }]);
    expect(Object.keys(doc.paths).filter((p) => p.includes("/deployments"))).toEqual([
      "/apis/apps/v1/namespaces/{namespace}/deployments",
      "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
      "/apis/apps/v1/deployments",
    ]);
    const patch = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!.patch!;
    expect(patch.operationId).toBe("patchAppsV1NamespacedDeployment");
    expect(patch["x-kubernetes-action"]).toBe("patch");
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({ group: "apps", version: "v1", kind: "Deployment" });
    expect(patch.parameters!.map((p) => p.name)).toEqual(["dryRun", "fieldManager", "fieldValidation", "force"]);
    expect(doc.paths["/apis/apps/v1/deployments"]!.get!.operationId).toBe("listAppsV1DeploymentForAllNamespaces");
  });

  it("core and cluster-scoped kinds; Gateway API kinds keep their whole group in operation ids", () => {
    const core = openApiDocument("api/v1")!;
    expect(core.paths["/api/v1/namespaces/{name}"]!.patch!["x-kubernetes-group-version-kind"]).toEqual({ group: "", version: "v1", kind: "Namespace" });
    expect(core.paths["/api/v1/namespaces/{namespace}/pods/{name}"]!.patch!.operationId).toBe("patchCoreV1NamespacedPod");
    const gw = openApiDocument("apis/gateway.networking.k8s.io/v1")!;
    expect(gw.paths["/apis/gateway.networking.k8s.io/v1/gatewayclasses/{name}"]!.patch!.operationId).toBe("patchGatewayNetworkingK8sIoV1GatewayClass");
    expect(openApiDocument("apis/gateway.networking.k8s.io/v1beta1")!.paths["/apis/gateway.networking.k8s.io/v1beta1/namespaces/{namespace}/referencegrants/{name}"]).toBeDefined();
  });

  it("a group version kemu does not serve has no document", () => {
    expect(openApiDocument("apis/batch/v1beta1")).toBeUndefined();
    expect(servedOpenApiDocument("apis/example.com/v1")).toBeUndefined();
  });
});
