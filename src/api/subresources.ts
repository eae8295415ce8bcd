// The status and scale subresources: which kinds have them, and the
// autoscaling/v1 Scale a scalable kind answers with (upstream's
// registry/apps/deployment/storage ScaleREST and its kin: name, namespace,
// uid, resourceVersion and creationTimestamp of the parent, spec.replicas,
// status.replicas and the selector as a string).
import { ApiError, fieldErrors } from "./errors.js";
import type { KubeObject, Stored } from "./types.js";
import type { ResourceInfo } from "./resources.js";
import { labelSelectorToString } from "./selectors.js";
import type { LabelSelector } from "./types.js";

/**
 * Kinds whose status is a subresource upstream (…/status takes only the
 * status, the main resource keeps the stored status). The others — ConfigMap,
 * Secret, Endpoints, EndpointSlice, Lease, Event, ServiceAccount,
 * IngressClass, NetworkPolicy, ReferenceGrant — have no …/status.
 */
const STATUS_KINDS: ReadonlySet<string> = new Set([
  "Pod",
  "Service",
  "Node",
  "Namespace",
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "PodDisruptionBudget",
  "HorizontalPodAutoscaler",
  "Ingress",
  "ClusterNetworkPolicy",
  "GatewayClass",
  "Gateway",
  "HTTPRoute",
]);

/** Kinds with a scale subresource (apps/v1's Deployment, ReplicaSet, StatefulSet). */
const SCALE_KINDS: ReadonlySet<string> = new Set(["Deployment", "ReplicaSet", "StatefulSet"]);

export function hasStatusSubresource(resource: Pick<ResourceInfo, "kind">): boolean {
  return STATUS_KINDS.has(resource.kind);
}

export function hasScaleSubresource(resource: Pick<ResourceInfo, "kind">): boolean {
  return SCALE_KINDS.has(resource.kind);
}

/** autoscaling/v1 Scale; spec.replicas and status.selector are omitted when empty, as their Go tags say. */
export interface Scale {
  kind: "Scale";
  apiVersion: "autoscaling/v1";
  metadata: { name: string; namespace?: string; uid: string; resourceVersion: string; creationTimestamp: string };
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

export const SCALE_API_VERSION = "autoscaling/v1";

interface ScalableSpec {
  replicas?: number;
  selector?: LabelSelector;
}

/** The Scale of a Deployment, ReplicaSet or StatefulSet. */
export function scaleOf(obj: Stored<KubeObject>): Scale {
  const spec = (obj.spec ?? {}) as ScalableSpec;
  const status = (obj.status ?? {}) as { replicas?: number };
  const selector = spec.selector ? labelSelectorToString(spec.selector) : "";
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  return {
    kind: "Scale",
    apiVersion: SCALE_API_VERSION,
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}), uid, resourceVersion, creationTimestamp },
    spec: spec.replicas ? { replicas: spec.replicas } : {},
    status: { replicas: status.replicas ?? 0, ...(selector && selector !== "<none>" && selector !== "<error>" ? { selector } : {}) },
  };
}

/** What a written Scale asks for: the replicas, and the resourceVersion it was read at (a precondition when set). */
export interface ScaleRequest {
  replicas: number;
  resourceVersion?: string;
}

/**
 * A Scale sent with PUT (or the result of a patch), checked as upstream's
 * ValidateScale: spec.replicas a non-negative integer, the name as on the URL.
 */
export function readScale(body: unknown, name: string): ScaleRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError("BadRequest", "the request body must be a Scale object");
  const scale = body as { kind?: unknown; apiVersion?: unknown; metadata?: { name?: unknown; resourceVersion?: unknown }; spec?: { replicas?: unknown } };
  if (scale.kind !== undefined && scale.kind !== "Scale") throw new ApiError("BadRequest", `the kind of the provided object (${String(scale.kind)}) does not match the subresource (Scale)`);
  if (scale.apiVersion !== undefined && scale.apiVersion !== SCALE_API_VERSION) {
    throw new ApiError("BadRequest", `apiVersion ${String(scale.apiVersion)} is not served for Scale; use ${SCALE_API_VERSION}`);
  }
  const given = scale.metadata?.name;
  if (given !== undefined && given !== name) throw new ApiError("BadRequest", `the name of the object (${String(given)}) does not match the name on the URL (${name})`);
  const replicas = scale.spec?.replicas ?? 0;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas > 2 ** 31 - 1) {
    throw ApiError.invalid("Scale", "autoscaling", name, [fieldErrors.invalid("spec.replicas", replicas, "must be an integer (int32)")]);
  }
  if (replicas < 0) throw ApiError.invalid("Scale", "autoscaling", name, [fieldErrors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")]);
  const rv = scale.metadata?.resourceVersion;
  return { replicas, ...(typeof rv === "string" && rv !== "" ? { resourceVersion: rv } : {}) };
}
