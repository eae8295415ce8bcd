// Discovery documents as kube-apiserver serves them and kubectl 1.32 reads
// them (shared reference kubectl-api.md §2: the Accept header, the exact
// aggregated Content-Type, shortNames). Shapes: apimachinery meta/v1
// APIResourceList/APIGroupList and apidiscovery.k8s.io/v2 APIGroupDiscoveryList.
import { describe, expect, it } from "vitest";
import {
  aggregatedContentType,
  aggregatedDiscovery,
  discoveryResponse,
  legacyCoreVersions,
  legacyGroup,
  legacyResourceList,
  negotiateAggregated,
} from "../../src/api/discovery.js";

/** What kubectl 1.32 sends on /api and /apis (reference §2, seen at -v=8). */
const KUBECTL_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];
const STATUS_VERBS = ["get", "patch", "update"];

describe("content negotiation", () => {
  it("kubectl's Accept gets aggregated v2, with the exact Content-Type it needs", () => {
    expect(negotiateAggregated(KUBECTL_ACCEPT)).toBe("v2");
    expect(aggregatedContentType("v2")).toBe("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  });
  it("a client that only knows v2beta1 gets v2beta1", () => {
    expect(negotiateAggregated("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")).toBe("v2beta1");
  });
  it("plain JSON, no Accept, or JSON listed first get legacy discovery", () => {
    expect(negotiateAggregated("application/json")).toBeUndefined();
    expect(negotiateAggregated(undefined)).toBeUndefined();
    expect(negotiateAggregated("application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")).toBeUndefined();
  });
  it("protobuf ranges are skipped (kemu answers JSON only)", () => {
    expect(negotiateAggregated("application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," + KUBECTL_ACCEPT)).toBe("v2");
  });
});

describe("legacy discovery", () => {
  it("/api lists v1", () => {
    expect(legacyCoreVersions()).toEqual({ kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
  });

  it("/apis/apps/v1 lists each kind with verbs, short names and categories, then its scale (autoscaling/v1 Scale) and status subresources", () => {
    const entry = (name: string, kind: string, shortNames: string[]) => [
      { name, singularName: kind.toLowerCase(), namespaced: true, kind, verbs: VERBS, shortNames, categories: ["all"] },
      { name: `${name}/scale`, singularName: "", namespaced: true, group: "autoscaling", version: "v1", kind: "Scale", verbs: STATUS_VERBS },
      { name: `${name}/status`, singularName: "", namespaced: true, kind, verbs: STATUS_VERBS },
    ];
    expect(legacyResourceList("apps", "v1")).toEqual({
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: "apps/v1",
      resources: [
        { name: "controllerrevisions", singularName: "controllerrevision", namespaced: true, kind: "ControllerRevision", verbs: VERBS },
        { name: "daemonsets", singularName: "daemonset", namespaced: true, kind: "DaemonSet", verbs: VERBS, shortNames: ["ds"], categories: ["all"] },
        { name: "daemonsets/status", singularName: "", namespaced: true, kind: "DaemonSet", verbs: STATUS_VERBS },
        ...entry("deployments", "Deployment", ["deploy"]),
        ...entry("replicasets", "ReplicaSet", ["rs"]),
        ...entry("statefulsets", "StatefulSet", ["sts"]),
      ],
    });
  });

  it("/api/v1 has pods (po, category all) with pods/log and pods/status; events have no category", () => {
    const list = legacyResourceList("", "v1")!;
    expect(list.groupVersion).toBe("v1");
    const pods = list.resources.filter((r) => r.name.startsWith("pods"));
    expect(pods).toEqual([
      { name: "pods", singularName: "pod", namespaced: true, kind: "Pod", verbs: VERBS, shortNames: ["po"], categories: ["all"] },
      // upstream /api/v1: core kinds carry no group/version
      { name: "pods/attach", singularName: "", namespaced: true, kind: "PodAttachOptions", verbs: ["create", "get"] },
      { name: "pods/eviction", singularName: "", namespaced: true, group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] },
      { name: "pods/exec", singularName: "", namespaced: true, kind: "PodExecOptions", verbs: ["create", "get"] },
      { name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] },
      { name: "pods/portforward", singularName: "", namespaced: true, kind: "PodPortForwardOptions", verbs: ["create", "get"] },
      { name: "pods/status", singularName: "", namespaced: true, kind: "Pod", verbs: STATUS_VERBS },
    ]);
    expect(list.resources.find((r) => r.name === "events")).toEqual({ name: "events", singularName: "event", namespaced: true, kind: "Event", verbs: VERBS, shortNames: ["ev"] });
    // kubectl needs the short names for `get po`, `get svc`, `get ep` (reference §2).
    expect(list.resources.find((r) => r.name === "services")?.shortNames).toEqual(["svc"]);
  });

  it("a group kemu serves at two versions lists the preferred one first", () => {
    expect(legacyGroup("gateway.networking.k8s.io")).toEqual({
      kind: "APIGroup",
      apiVersion: "v1",
      name: "gateway.networking.k8s.io",
      versions: [
        { groupVersion: "gateway.networking.k8s.io/v1", version: "v1" },
        { groupVersion: "gateway.networking.k8s.io/v1beta1", version: "v1beta1" },
      ],
      preferredVersion: { groupVersion: "gateway.networking.k8s.io/v1", version: "v1" },
    });
    expect(legacyResourceList("gateway.networking.k8s.io", "v1beta1")!.resources).toEqual([
      { name: "referencegrants", singularName: "referencegrant", namespaced: true, kind: "ReferenceGrant", verbs: VERBS, shortNames: ["refgrant"], categories: ["gateway-api"] },
    ]);
  });

  it("groups and versions kemu does not serve are absent (a 404)", () => {
    expect(legacyGroup("example.com")).toBeUndefined();
    expect(legacyResourceList("apps", "v1beta1")).toBeUndefined();
    expect(discoveryResponse("/apis/example.com/v1", undefined)).toBeUndefined();
    expect(discoveryResponse("/apis/apps/v1/deployments", undefined)).toBeUndefined();
  });
});

describe("aggregated discovery (apidiscovery.k8s.io/v2)", () => {
  it("/api holds the core group alone; pods with their subresources", () => {
    const doc = aggregatedDiscovery("/api");
    expect(doc.kind).toBe("APIGroupDiscoveryList");
    expect(doc.apiVersion).toBe("apidiscovery.k8s.io/v2");
    expect(doc.items.map((g) => g.metadata.name)).toEqual([""]);
    const v1 = doc.items[0]!.versions;
    expect(v1.map((v) => [v.version, v.freshness])).toEqual([["v1", "Current"]]);
    const own = { group: "", version: "v1", kind: "Pod" };
    expect(v1[0]!.resources.find((r) => r.resource === "pods")).toEqual({
      resource: "pods",
      responseKind: own,
      scope: "Namespaced",
      singularResource: "pod",
      verbs: VERBS,
      shortNames: ["po"],
      categories: ["all"],
      subresources: [
        { subresource: "attach", responseKind: { group: "", version: "v1", kind: "PodAttachOptions" }, verbs: ["create", "get"] },
        { subresource: "eviction", responseKind: { group: "policy", version: "v1", kind: "Eviction" }, verbs: ["create"] },
        { subresource: "exec", responseKind: { group: "", version: "v1", kind: "PodExecOptions" }, verbs: ["create", "get"] },
        { subresource: "log", responseKind: own, verbs: ["get"] },
        { subresource: "portforward", responseKind: { group: "", version: "v1", kind: "PodPortForwardOptions" }, verbs: ["create", "get"] },
        { subresource: "status", responseKind: own, verbs: STATUS_VERBS },
      ],
    });
  });

  it("/apis holds the named groups; a cluster-scoped kind without status has no subresources", () => {
    const doc = aggregatedDiscovery("/apis");
    expect(doc.items.map((g) => g.metadata.name)).not.toContain("");
    const networking = doc.items.find((g) => g.metadata.name === "networking.k8s.io")!;
    expect(networking.versions[0]!.resources.find((r) => r.resource === "ingressclasses")).toEqual({
      resource: "ingressclasses",
      responseKind: { group: "networking.k8s.io", version: "v1", kind: "IngressClass" },
      scope: "Cluster",
      singularResource: "ingressclass",
      verbs: VERBS,
    });
    const gateway = doc.items.find((g) => g.metadata.name === "gateway.networking.k8s.io")!;
    expect(gateway.versions.map((v) => v.version)).toEqual(["v1", "v1beta1"]);
  });

  it("discoveryResponse answers /apis by the Accept header", () => {
    expect(discoveryResponse("/apis", KUBECTL_ACCEPT)).toEqual({ contentType: aggregatedContentType("v2"), body: aggregatedDiscovery("/apis") });
    expect(discoveryResponse("/apis", "application/json")!.contentType).toBe("application/json");
    expect(discoveryResponse("/apis/apps", KUBECTL_ACCEPT)!.body).toEqual(legacyGroup("apps"));
  });
});
