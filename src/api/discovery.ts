// Discovery documents, legacy and aggregated, built from the kinds kemu serves.
// Shapes follow kube-apiserver: legacy /api (APIVersions), /apis
// (APIGroupList), /apis/<group> (APIGroup), /api/v1 and /apis/<group>/<version>
// (APIResourceList, apimachinery meta/v1 types.go); aggregated discovery
// (apidiscovery.k8s.io/v2 APIGroupDiscoveryList, served by apiserver
// pkg/endpoints/discovery/aggregated) when the Accept header asks for it,
// as kubectl 1.32 does first (shared reference kubectl-api.md §2).
import { SERVED_RESOURCES, type ResourceInfo } from "./resources.js";
import { REVIEW_RESOURCES, REVIEW_VERBS } from "./authorization.js";

/** The verbs kemu serves on every kind (no deletecollection yet), sorted as upstream lists them. */
const VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];

interface Subresource {
  name: string;
  /** The kind the subresource answers with; the parent's kind when absent. */
  kind?: { group: string; version: string; kind: string };
  verbs: string[];
}

const STATUS: Subresource = { name: "status", verbs: ["get", "patch", "update"] };
/** autoscaling/v1 Scale, which kubectl scale's client finds here (client-go scale's discovery kind resolver). */
const SCALE: Subresource = { name: "scale", kind: { group: "autoscaling", version: "v1", kind: "Scale" }, verbs: ["get", "patch", "update"] };

/**
 * Subresources kemu serves, by "group/plural": status for the kinds whose
 * status upstream is a subresource (server.ts routes …/status for them), and
 * pods/log. Others are added here when server.ts routes them.
 */
const SUBRESOURCES = new Map<string, Subresource[]>([
  ["/pods", [
    { name: "attach", kind: { group: "", version: "v1", kind: "PodAttachOptions" }, verbs: ["create", "get"] },
    // kubectl drain looks for it here (CheckEvictionSupport) to pick policy/v1
    { name: "eviction", kind: { group: "policy", version: "v1", kind: "Eviction" }, verbs: ["create"] },
    { name: "exec", kind: { group: "", version: "v1", kind: "PodExecOptions" }, verbs: ["create", "get"] },
    { name: "log", verbs: ["get"] },
    { name: "portforward", kind: { group: "", version: "v1", kind: "PodPortForwardOptions" }, verbs: ["create", "get"] },
    STATUS,
  ]],
  ["/services", [STATUS]],
  ["/nodes", [STATUS]],
  ["/namespaces", [STATUS]],
  ["apps/deployments", [SCALE, STATUS]],
  ["apps/replicasets", [SCALE, STATUS]],
  ["apps/statefulsets", [SCALE, STATUS]],
  ["apps/daemonsets", [STATUS]],
  ["batch/jobs", [STATUS]],
  ["batch/cronjobs", [STATUS]],
  ["policy/poddisruptionbudgets", [STATUS]],
  ["autoscaling/horizontalpodautoscalers", [STATUS]],
  ["networking.k8s.io/ingresses", [STATUS]],
  ["policy.networking.k8s.io/clusternetworkpolicies", [STATUS]],
  ["gateway.networking.k8s.io/gatewayclasses", [STATUS]],
  ["gateway.networking.k8s.io/gateways", [STATUS]],
  ["gateway.networking.k8s.io/httproutes", [STATUS]],
]);

/**
 * Categories, by "group/plural": "all" is what `kubectl get all` lists
 * (upstream's pods, services, replicationcontrollers, deployments,
 * replicasets, statefulsets, daemonsets, jobs, cronjobs,
 * horizontalpodautoscalers); the Gateway API CRDs declare "gateway-api".
 */
const CATEGORIES = new Map<string, string[]>([
  ["/pods", ["all"]],
  ["/services", ["all"]],
  ["/replicationcontrollers", ["all"]],
  ["apps/deployments", ["all"]],
  ["apps/replicasets", ["all"]],
  ["apps/statefulsets", ["all"]],
  ["apps/daemonsets", ["all"]],
  ["batch/jobs", ["all"]],
  ["batch/cronjobs", ["all"]],
  ["autoscaling/horizontalpodautoscalers", ["all"]],
  ["gateway.networking.k8s.io/gatewayclasses", ["gateway-api"]],
  ["gateway.networking.k8s.io/gateways", ["gateway-api"]],
  ["gateway.networking.k8s.io/httproutes", ["gateway-api"]],
  ["gateway.networking.k8s.io/referencegrants", ["gateway-api"]],
]);

const keyOf = (r: ResourceInfo) => `${r.group}/${r.plural}`;

/** Stored kinds and their views (resources.ts), then the create-only reviews (authorization.ts), which are not stored. */
const SERVED: readonly ResourceInfo[] = [...SERVED_RESOURCES, ...REVIEW_RESOURCES];
const verbsOf = (r: ResourceInfo): string[] => (REVIEW_RESOURCES.includes(r) ? [...REVIEW_VERBS] : VERBS);

function servedVersions(group: string): string[] {
  return [...new Set(SERVED.filter((r) => r.group === group).map((r) => r.version))];
}

/** The named groups kemu serves, in the order their kinds are listed. */
function namedGroups(): string[] {
  return [...new Set(SERVED.filter((r) => r.group).map((r) => r.group))];
}

function resourcesOf(group: string, version: string): ResourceInfo[] {
  return SERVED.filter((r) => r.group === group && r.version === version);
}

// ---------------------------------------------------------------------------
// Legacy discovery

export interface APIVersions {
  kind: "APIVersions";
  versions: string[];
  serverAddressByClientCIDRs: { clientCIDR: string; serverAddress: string }[];
}

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroup {
  kind?: "APIGroup";
  apiVersion?: "v1";
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  kind: "APIGroupList";
  apiVersion: "v1";
  groups: APIGroup[];
}

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

export interface APIResourceList {
  kind: "APIResourceList";
  apiVersion: "v1";
  groupVersion: string;
  resources: APIResource[];
}

/** GET /api */
export function legacyCoreVersions(): APIVersions {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] };
}

function groupEntry(group: string): APIGroup {
  const versions = servedVersions(group).map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions, preferredVersion: versions[0]! };
}

/** GET /apis */
export function legacyGroupList(): APIGroupList {
  return { kind: "APIGroupList", apiVersion: "v1", groups: namedGroups().map(groupEntry) };
}

/** GET /apis/<group>; undefined for a group kemu does not serve. */
export function legacyGroup(group: string): APIGroup | undefined {
  if (!group || servedVersions(group).length === 0) return undefined;
  return { kind: "APIGroup", apiVersion: "v1", ...groupEntry(group) };
}

/** GET /api/v1 or /apis/<group>/<version>; undefined for a group version kemu does not serve. */
export function legacyResourceList(group: string, version: string): APIResourceList | undefined {
  const kinds = resourcesOf(group, version);
  if (kinds.length === 0) return undefined;
  const resources: APIResource[] = [];
  for (const r of kinds) {
    const categories = CATEGORIES.get(keyOf(r));
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(categories ? { categories } : {}),
    });
    // Subresources follow their parent, named parent/sub, with an empty singular name (as upstream lists them).
    for (const sub of SUBRESOURCES.get(keyOf(r)) ?? []) {
      resources.push({
        name: `${r.plural}/${sub.name}`,
        singularName: "",
        namespaced: r.namespaced,
        // group and version only when the kind is another group's (as pods/eviction's policy/v1).
        ...(sub.kind && (sub.kind.group !== group || sub.kind.version !== version) ? { group: sub.kind.group, version: sub.kind.version } : {}),
        kind: sub.kind?.kind ?? r.kind,
        verbs: sub.verbs,
      });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}

// ---------------------------------------------------------------------------
// Aggregated discovery (apidiscovery.k8s.io/v2, same shape as v2beta1)

export type AggregatedVersion = "v2" | "v2beta1";

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKind;
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: "Namespaced" | "Cluster";
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness: "Current";
}

export interface APIGroupDiscovery {
  metadata: { name: string };
  versions: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: "APIGroupDiscoveryList";
  apiVersion: string;
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

function resourceDiscovery(r: ResourceInfo): APIResourceDiscovery {
  const own: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
  const categories = CATEGORIES.get(keyOf(r));
  const subresources = (SUBRESOURCES.get(keyOf(r)) ?? []).map((sub) => ({ subresource: sub.name, responseKind: sub.kind ?? own, verbs: sub.verbs }));
  return {
    resource: r.plural,
    responseKind: own,
    scope: r.namespaced ? "Namespaced" : "Cluster",
    singularResource: r.singular,
    verbs: verbsOf(r),
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(categories ? { categories } : {}),
    ...(subresources.length > 0 ? { subresources } : {}),
  };
}

function groupDiscovery(group: string): APIGroupDiscovery {
  return {
    metadata: { name: group },
    // Preferred version first (APIGroupDiscovery: "Versions are in descending order of preference").
    versions: servedVersions(group).map((version) => ({ version, resources: resourcesOf(group, version).map(resourceDiscovery), freshness: "Current" })),
  };
}

/** GET /api (the core group alone) or /apis (the named groups), aggregated. */
export function aggregatedDiscovery(root: "/api" | "/apis", version: AggregatedVersion = "v2"): APIGroupDiscoveryList {
  const groups = root === "/api" ? [""] : namedGroups();
  return { kind: "APIGroupDiscoveryList", apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items: groups.map(groupDiscovery) };
}

/**
 * The exact Content-Type of an aggregated answer: kubectl reads a body with
 * any other type as legacy discovery and finds no resources (reference §2).
 */
export function aggregatedContentType(version: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

/**
 * Which document the Accept header asks for: the first media range kemu can
 * give wins; undefined means legacy discovery (plain JSON).
 */
export function negotiateAggregated(accept: string | undefined): AggregatedVersion | undefined {
  if (!accept) return undefined;
  for (const range of accept.split(",")) {
    const [mediaType = "", ...paramTexts] = range.split(";").map((s) => s.trim());
    if (mediaType !== "application/json" && mediaType !== "*/*" && mediaType !== "application/*") continue;
    const params = new Map(paramTexts.map((p) => p.split("=").map((s) => s.trim()) as [string, string]));
    const as = params.get("as");
    if (as === undefined) return undefined;
    const v = params.get("v");
    if (as === "APIGroupDiscoveryList" && params.get("g") === "apidiscovery.k8s.io" && (v === "v2" || v === "v2beta1")) return v;
  }
  return undefined;
}

export interface DiscoveryResponse {
  contentType: string;
  body: unknown;
}

/**
 * The answer to a discovery path (/api, /apis, /api/v1, /apis/<group>,
 * /apis/<group>/<version>) for this Accept header; undefined for any other
 * path, or a group or version kemu does not serve (a 404).
 */
export function discoveryResponse(pathname: string, accept: string | undefined): DiscoveryResponse | undefined {
  const json = (body: unknown | undefined) => (body === undefined ? undefined : { contentType: "application/json", body });
  if (pathname === "/api" || pathname === "/apis") {
    const aggregated = negotiateAggregated(accept);
    if (aggregated) return { contentType: aggregatedContentType(aggregated), body: aggregatedDiscovery(pathname, aggregated) };
    return json(pathname === "/api" ? legacyCoreVersions() : legacyGroupList());
  }
  if (pathname === "/api/v1") return json(legacyResourceList("", "v1"));
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (m === null) return undefined;
  return json(m[2] === undefined ? legacyGroup(m[1]!) : legacyResourceList(m[1]!, m[2]));
}
