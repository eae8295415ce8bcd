// `apply` as kemu does it: every object is checked first (locally, then by a
// server dry run) and nothing is written unless all of them pass, so a file
// with one bad object changes nothing. Then create-or-replace in order,
// namespaces first.
import type { ApiClient } from "./client.js";
import { ApiError } from "./errors.js";
import { resourceByKind, apiVersionOf, type ResourceInfo } from "./resources.js";
import type { KubeObject, Stored } from "./types.js";
import type { SourcedObject } from "./manifests.js";
import { applyDefaults } from "./defaults.js";
import { validateObject } from "./validation/index.js";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export class ApplyError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ApplyError";
  }
}

export interface AppliedObject {
  object: Stored<KubeObject>;
  action: "created" | "configured" | "unchanged";
}

function describe(resource: ResourceInfo, obj: KubeObject): string {
  return `${resource.group ? `${resource.singular}.${resource.group}` : resource.singular}/${obj.metadata?.name ?? obj.metadata?.generateName ?? ""}`;
}

export async function applyObjects(api: ApiClient, inputs: SourcedObject[], defaultNamespace = "default"): Promise<AppliedObject[]> {
  const problems: string[] = [];
  const planned: { resource: ResourceInfo; obj: KubeObject; source: string }[] = [];
  for (const { object, source } of inputs) {
    const resource = resourceByKind(object.kind, object.apiVersion) ?? undefined;
    if (!resource) {
      const known = resourceByKind(object.kind);
      problems.push(
        known
          ? `${source}: no matches for kind "${object.kind}" in version "${object.apiVersion}" (use apiVersion: ${apiVersionOf(known)})`
          : `${source}: no matches for kind "${object.kind}" in version "${object.apiVersion}": kemu does not serve this kind`,
      );
      continue;
    }
    const obj: KubeObject = { ...object, metadata: { ...(object.metadata ?? {}) } };
    if (resource.namespaced) obj.metadata!.namespace ??= defaultNamespace;
    const errors = validateObject(applyDefaults(obj));
    if (errors.length) problems.push(`${source}: ${ApiError.invalid(resource.kind, resource.group, obj.metadata?.name ?? "", errors).message}`);
    planned.push({ resource, obj, source });
  }
  if (problems.length) throw new ApplyError(problems);

  // Namespaces first, then the rest in the order given.
  planned.sort((a, b) => Number(b.resource.kind === "Namespace") - Number(a.resource.kind === "Namespace"));
  const newNamespaces = new Set(planned.filter((p) => p.resource.kind === "Namespace").map((p) => p.obj.metadata!.name));

  const existing = await Promise.all(planned.map((p) => (p.obj.metadata?.name ? api.tryGet(p.resource, p.obj.metadata.namespace, p.obj.metadata.name) : undefined)));
  for (const [i, p] of planned.entries()) {
    try {
      const current = existing[i];
      if (current) await api.update(p.resource, merged(p.obj, current), { dryRun: true });
      else await api.create(p.resource, p.obj, p.obj.metadata?.namespace, { dryRun: true });
    } catch (err) {
      const missingNewNamespace = err instanceof ApiError && err.reason === "NotFound" && newNamespaces.has(p.obj.metadata?.namespace ?? "");
      if (!missingNewNamespace) problems.push(`${p.source}: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new ApplyError(problems);

  const results: AppliedObject[] = [];
  for (const [i, p] of planned.entries()) {
    const current = existing[i];
    const withLast = annotateLastApplied(p.obj);
    if (current) {
      const unchanged = current.metadata.annotations?.[LAST_APPLIED] === withLast.metadata?.annotations?.[LAST_APPLIED];
      const object = unchanged ? current : await api.update(p.resource, merged(withLast, current));
      results.push({ object, action: unchanged ? "unchanged" : "configured" });
    } else {
      results.push({ object: await api.create(p.resource, withLast, p.obj.metadata?.namespace), action: "created" });
    }
  }
  return results;
}

export function describeApplied(r: AppliedObject): string {
  const resource = resourceByKind(r.object.kind)!;
  return `${describe(resource, r.object)} ${r.action}`;
}

function annotateLastApplied(obj: KubeObject): KubeObject {
  const copy: KubeObject = structuredClone(obj);
  const { [LAST_APPLIED]: _drop, ...annotations } = copy.metadata?.annotations ?? {};
  void _drop;
  const recorded = JSON.stringify({ ...copy, metadata: { ...copy.metadata, annotations: Object.keys(annotations).length ? annotations : undefined } });
  copy.metadata = { ...copy.metadata, annotations: { ...annotations, [LAST_APPLIED]: recorded } };
  return copy;
}

/** The manifest replaces spec, labels and annotations; identity, status and system fields stay. */
function merged(obj: KubeObject, current: Stored<KubeObject>): KubeObject {
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
