// The patch strategies and merge keys of the kinds kemu serves, as upstream
// declares them in its Go struct tags (`patchStrategy`, `patchMergeKey`;
// published as `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`
// in OpenAPI). Sources: k8s.io/api core/v1, apps/v1 types.go and
// k8s.io/apimachinery meta/v1 types.go. A field not listed here has no
// strategy: an object merges key by key, a list is replaced whole.

/** How one field is patched, and the schema of its value (or of its list's items). */
export interface FieldStrategy {
  /** "merge": a list merges item by item (by mergeKey, or by value for primitives); "replace": an object is replaced whole. */
  readonly strategy?: "merge" | "replace";
  /** The field also takes a `$retainKeys` directive (kubectl sends it; the server honours it wherever it appears). */
  readonly retainKeys?: boolean;
  readonly mergeKey?: string;
  readonly schema?: PatchSchema;
}

/** Field name → how it is patched. */
export type PatchSchema = Readonly<Record<string, FieldStrategy>>;

const merge = (mergeKey: string, schema?: PatchSchema): FieldStrategy => ({ strategy: "merge", mergeKey, ...(schema ? { schema } : {}) });
/** A list of primitives merged as a set (finalizers, podCIDRs). */
const mergeSet: FieldStrategy = { strategy: "merge" };
const object = (schema: PatchSchema): FieldStrategy => ({ schema });

/** metav1.ObjectMeta: finalizers merge as a set; ownerReferences by uid. */
const OBJECT_META: PatchSchema = {
  finalizers: mergeSet,
  ownerReferences: merge("uid"),
};

/** core/v1 Container (and EphemeralContainerCommon, which has the same tags). */
const CONTAINER: PatchSchema = {
  ports: merge("containerPort"),
  env: merge("name"),
  volumeMounts: merge("mountPath"),
  volumeDevices: merge("devicePath"),
};

/** core/v1 PodSpec. Tolerations, resourceClaims' siblings without tags, etc. are replaced whole. */
const POD_SPEC: PatchSchema = {
  volumes: { ...merge("name"), retainKeys: true },
  initContainers: merge("name", CONTAINER),
  containers: merge("name", CONTAINER),
  ephemeralContainers: merge("name", CONTAINER),
  imagePullSecrets: merge("name"),
  hostAliases: merge("ip"),
  topologySpreadConstraints: merge("topologyKey"),
  schedulingGates: merge("name"),
  resourceClaims: { ...merge("name"), retainKeys: true },
};

const CONTAINER_STATUS: PatchSchema = {
  volumeMounts: merge("mountPath"),
  allocatedResourcesStatus: merge("name"),
};

const POD_STATUS: PatchSchema = {
  conditions: merge("type"),
  hostIPs: merge("ip"),
  podIPs: merge("ip"),
  resourceClaimStatuses: { ...merge("name"), retainKeys: true },
  // Each kind of container status carries volumeMounts merged by mountPath.
  containerStatuses: object(CONTAINER_STATUS),
  initContainerStatuses: object(CONTAINER_STATUS),
  ephemeralContainerStatuses: object(CONTAINER_STATUS),
};

const POD_TEMPLATE: PatchSchema = { metadata: object(OBJECT_META), spec: object(POD_SPEC) };
const CONDITIONS_STATUS: PatchSchema = { conditions: merge("type") };

/** Kind → its schema below the top level (metadata is added to every kind). */
const KIND_SCHEMAS: Readonly<Record<string, PatchSchema>> = {
  Pod: {
    spec: object(POD_SPEC),
    status: object(POD_STATUS),
  },
  Service: { spec: object({ ports: merge("port") }), status: object(CONDITIONS_STATUS) },
  Node: {
    spec: object({ podCIDRs: mergeSet }),
    status: object({ conditions: merge("type"), addresses: merge("type") }),
  },
  Namespace: { status: object(CONDITIONS_STATUS) },
  ServiceAccount: { secrets: merge("name") },
  ReplicationController: { spec: object({ template: object(POD_TEMPLATE) }), status: object(CONDITIONS_STATUS) },
  Deployment: {
    spec: object({ template: object(POD_TEMPLATE), strategy: { retainKeys: true } }),
    status: object(CONDITIONS_STATUS),
  },
  ReplicaSet: { spec: object({ template: object(POD_TEMPLATE) }), status: object(CONDITIONS_STATUS) },
  StatefulSet: { spec: object({ template: object(POD_TEMPLATE) }), status: object(CONDITIONS_STATUS) },
  DaemonSet: { spec: object({ template: object(POD_TEMPLATE) }), status: object(CONDITIONS_STATUS) },
  Job: { spec: object({ template: object(POD_TEMPLATE) }) },
  CronJob: { spec: object({ jobTemplate: object({ metadata: object(OBJECT_META), spec: object({ template: object(POD_TEMPLATE) }) }) }) },
};

/**
 * The schema of a whole object of this kind. A kind without list strategies
 * of its own (Secret, ConfigMap, Event, EndpointSlice, Lease, NetworkPolicy,
 * Ingress, IngressClass…) still merges metadata's finalizers and ownerReferences.
 */
export function patchSchemaOf(kind: string): PatchSchema {
  return { metadata: object(OBJECT_META), ...(KIND_SCHEMAS[kind] ?? {}) };
}

/**
 * API groups whose kinds are CustomResourceDefinitions upstream (gateway-api,
 * network-policy-api). Their objects have no Go types, so no patch
 * strategies: upstream's CR handler refuses strategic merge patches (415).
 */
const CUSTOM_RESOURCE_GROUPS: ReadonlySet<string> = new Set(["gateway.networking.k8s.io", "policy.networking.k8s.io"]);

export function isCustomResourceGroup(group: string): boolean {
  return CUSTOM_RESOURCE_GROUPS.has(group);
}
