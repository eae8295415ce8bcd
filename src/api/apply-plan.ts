// What kemu's apply writes for one object, decided without I/O: the
// last-applied annotation (as kubectl records it), whether a re-apply changed
// anything, and how a manifest is merged over the stored object.
import type { KubeObject, Stored } from "./types.js";
import { apiVersionOf, resourceByKind, type ResourceInfo } from "./resources.js";

export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** kemu's apply route: all objects of one apply in one request (./apply-all.ts serves it). */
export const APPLY_PATH = "/kemu/v1/apply";

/** Marks a Status as an apply's list of problems (details.kind); each cause is one problem naming its source. */
export const APPLY_PROBLEMS = "ApplyProblems";

export type ApplyAction = "created" | "configured" | "unchanged";

export interface AppliedObject {
  object: Stored<KubeObject>;
  action: ApplyAction;
}

/** Why an object of a kind kemu does not serve (in this version) cannot be applied, as kubectl words it. */
export function noMatchMessage(kind: string, apiVersion: string): string {
  const known = resourceByKind(kind);
  return known
    ? `no matches for kind "${kind}" in version "${apiVersion}" (use apiVersion: ${apiVersionOf(known)})`
    : `no matches for kind "${kind}" in version "${apiVersion}": kemu does not serve this kind`;
}

/** `deployment.apps/web`, as kubectl names an object in its output. */
export function describeObject(resource: ResourceInfo, obj: KubeObject): string {
  return `${resource.group ? `${resource.singular}.${resource.group}` : resource.singular}/${obj.metadata?.name ?? obj.metadata?.generateName ?? ""}`;
}

/** The object with its own manifest recorded in the last-applied annotation (without that annotation). */
export function annotateLastApplied(obj: KubeObject): KubeObject {
  const copy: KubeObject = structuredClone(obj);
  const { [LAST_APPLIED]: _drop, ...annotations } = copy.metadata?.annotations ?? {};
  void _drop;
  const recorded = JSON.stringify({ ...copy, metadata: { ...copy.metadata, annotations: Object.keys(annotations).length ? annotations : undefined } });
  copy.metadata = { ...copy.metadata, annotations: { ...annotations, [LAST_APPLIED]: recorded } };
  return copy;
}

/** Whether the stored object was last applied from this very manifest (annotateLastApplied'd). */
export function unchangedSinceLastApply(annotated: KubeObject, current: Stored<KubeObject>): boolean {
  return current.metadata.annotations?.[LAST_APPLIED] === annotated.metadata?.annotations?.[LAST_APPLIED];
}

/** The manifest replaces spec, labels and annotations; identity, status and system fields stay. */
export function mergeOverCurrent(obj: KubeObject, current: Stored<KubeObject>): KubeObject {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      resourceVersion: current.metadata.resourceVersion,
      ownerReferences: obj.metadata?.ownerReferences ?? current.metadata.ownerReferences,
      finalizers: obj.metadata?.finalizers ?? current.metadata.finalizers,
    },
    spec: preserveAllocated(current.kind, obj.spec, current.spec),
  };
}

/** Fields the system fills in (a Service's clusterIP, a pod's nodeName) survive a re-apply that leaves them out. */
function preserveAllocated(kind: string, spec: unknown, current: unknown): unknown {
  if (!spec || typeof spec !== "object" || !current || typeof current !== "object") return spec;
  const wanted = spec as { type?: string; externalTrafficPolicy?: string };
  const keep: Record<string, string[]> = {
    // A Service keeps its ClusterIP across type changes, except to ExternalName; the health-check port only while it is still needed.
    Service: [
      ...(wanted.type === "ExternalName" ? [] : ["clusterIP", "clusterIPs"]),
      ...(wanted.type === "LoadBalancer" && wanted.externalTrafficPolicy === "Local" ? ["healthCheckNodePort"] : []),
    ],
    Pod: ["nodeName"],
    Node: ["podCIDR", "podCIDRs"],
  };
  const out = { ...(spec as Record<string, unknown>) };
  for (const field of keep[kind] ?? []) if (out[field] === undefined && (current as Record<string, unknown>)[field] !== undefined) out[field] = (current as Record<string, unknown>)[field];
  return out;
}

/** Namespaces first (so that objects in a new namespace find it), then the rest in the order given. */
export function applyOrder<T extends { object: KubeObject }>(items: T[]): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => Number(b.item.object.kind === "Namespace") - Number(a.item.object.kind === "Namespace") || a.i - b.i)
    .map(({ item }) => item);
}
