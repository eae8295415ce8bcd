// The resource kinds kemu serves, with their REST names, as the API server's
// discovery documents them. A new kind is added here (and to validation,
// typecheck and defaults where it has rules of its own).

export interface ResourceInfo {
  kind: string;
  listKind: string;
  /** lower-case plural used in URLs: /api/v1/namespaces/{ns}/pods */
  plural: string;
  singular: string;
  shortNames: string[];
  /** "" for the core group */
  group: string;
  version: string;
  namespaced: boolean;
  /**
   * Other versions of the kind a manifest may be written in, with the same
   * schema: kemu converts them to `version` on write (by their apiVersion alone).
   */
  alsoAccepts?: string[];
}

function resource(kind: string, plural: string, group: string, namespaced: boolean, shortNames: string[] = [], version = "v1"): ResourceInfo {
  return { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames, group, version, namespaced };
}

export const RESOURCES: readonly ResourceInfo[] = [
  resource("Namespace", "namespaces", "", false, ["ns"]),
  resource("Node", "nodes", "", false, ["no"]),
  resource("Pod", "pods", "", true, ["po"]),
  resource("Service", "services", "", true, ["svc"]),
  resource("Secret", "secrets", "", true),
  resource("Event", "events", "", true, ["ev"]),
  resource("ConfigMap", "configmaps", "", true, ["cm"]),
  resource("ServiceAccount", "serviceaccounts", "", true, ["sa"]),
  resource("Endpoints", "endpoints", "", true, ["ep"]),
  // apps kinds in upstream's discovery order (alphabetical). ControllerRevisions are DaemonSets' template
  // history (what `kubectl rollout history/undo daemonset` reads).
  resource("ControllerRevision", "controllerrevisions", "apps", true),
  resource("DaemonSet", "daemonsets", "apps", true, ["ds"]),
  resource("Deployment", "deployments", "apps", true, ["deploy"]),
  resource("ReplicaSet", "replicasets", "apps", true, ["rs"]),
  resource("StatefulSet", "statefulsets", "apps", true, ["sts"]),
  resource("CronJob", "cronjobs", "batch", true, ["cj"]),
  resource("Job", "jobs", "batch", true),
  resource("EndpointSlice", "endpointslices", "discovery.k8s.io", true),
  resource("Lease", "leases", "coordination.k8s.io", true),
  resource("PodDisruptionBudget", "poddisruptionbudgets", "policy", true, ["pdb"]),
  // Stored and validated only: no metrics pipeline, no autoscaler (docs/kubectl-api-behaviours.md).
  resource("HorizontalPodAutoscaler", "horizontalpodautoscalers", "autoscaling", true, ["hpa"], "v2"),
  resource("NetworkPolicy", "networkpolicies", "networking.k8s.io", true, ["netpol"]),
  resource("Ingress", "ingresses", "networking.k8s.io", true, ["ing"]),
  resource("IngressClass", "ingressclasses", "networking.k8s.io", false),
  // The CRD of kubernetes-sigs/network-policy-api (standard channel, v0.2.0), served built in.
  resource("ClusterNetworkPolicy", "clusternetworkpolicies", "policy.networking.k8s.io", false, ["cnp"], "v1alpha2"),
  // The standard channel of kubernetes-sigs/gateway-api's CRDs, served built in (short names as the CRDs give them).
  // Their v1beta1 versions are the same types (apis/v1beta1 aliases apis/v1), so older manifests apply unchanged.
  { ...resource("GatewayClass", "gatewayclasses", "gateway.networking.k8s.io", false, ["gc"]), alsoAccepts: ["v1beta1"] },
  { ...resource("Gateway", "gateways", "gateway.networking.k8s.io", true, ["gtw"]), alsoAccepts: ["v1beta1"] },
  { ...resource("HTTPRoute", "httproutes", "gateway.networking.k8s.io", true), alsoAccepts: ["v1beta1"] },
  // gateway-api v1.6 promoted ReferenceGrant to v1 with the same schema; v1beta1 stays its stored version.
  { ...resource("ReferenceGrant", "referencegrants", "gateway.networking.k8s.io", true, ["refgrant"], "v1beta1"), alsoAccepts: ["v1"] },
];

/**
 * Group versions served as a second view of a stored resource, as upstream
 * serves one storage in several group versions: the objects are the stored
 * ones, converted on every read and write (resource-views.ts). Not in
 * RESOURCES, which lists what the store holds and what controllers walk.
 */
export const RESOURCE_VIEWS: readonly ResourceInfo[] = [
  // events.k8s.io/v1 Events are the core/v1 Events (pkg/registry/core/event storage; short name ev in both).
  resource("Event", "events", "events.k8s.io", true, ["ev"]),
];

/** Everything the REST API serves: the stored kinds, then the views (the stored kind wins a lookup by name). */
export const SERVED_RESOURCES: readonly ResourceInfo[] = [...RESOURCES, ...RESOURCE_VIEWS];

export function apiVersionOf(info: ResourceInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** The URL prefix of a resource's collection, e.g. /apis/apps/v1/namespaces/default/deployments. */
export function collectionPath(info: ResourceInfo, namespace?: string): string {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  return info.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${info.plural}` : `${base}/${info.plural}`;
}

export function resourceByKind(kind: string, apiVersion?: string): ResourceInfo | undefined {
  return SERVED_RESOURCES.find((r) => r.kind === kind && (apiVersion === undefined || acceptedApiVersions(r).includes(apiVersion)));
}

/** The apiVersions a manifest of this kind may carry: the served one first. */
export function acceptedApiVersions(info: ResourceInfo): string[] {
  return [apiVersionOf(info), ...(info.alsoAccepts ?? []).map((v) => (info.group ? `${info.group}/${v}` : v))];
}

/** Accepts what kubectl accepts on the command line: pods, pod, po, Pod, deployments.apps. */
export function resourceByName(name: string): ResourceInfo | undefined {
  const lower = name.toLowerCase();
  const [base, group] = lower.includes(".") ? [lower.slice(0, lower.indexOf(".")), lower.slice(lower.indexOf(".") + 1)] : [lower, undefined];
  return SERVED_RESOURCES.find(
    (r) =>
      (group === undefined || r.group === group) &&
      (r.plural === base || r.singular === base || r.shortNames.includes(base)),
  );
}

export function resourceByPlural(group: string, plural: string, version?: string): ResourceInfo | undefined {
  return SERVED_RESOURCES.find((r) => r.group === group && r.plural === plural && (version === undefined || r.version === version));
}

/** The versions kemu serves of an API group ("" is the core group), preferred first; [] for a group it does not serve. */
export function groupVersions(group: string): string[] {
  return [...new Set(SERVED_RESOURCES.filter((r) => r.group === group).map((r) => r.version))];
}
