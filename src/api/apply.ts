// `apply` as kemu does it: every object is checked locally first (kind, JSON
// types, validation: errors name the file without a round trip), then all of
// them go to the API server in one request, which creates or updates them in
// order with their allocations as one transaction (./apply-all.ts): a file
// with one bad object, or two objects asking for the same ClusterIP, changes
// nothing.
import type { ApiClient } from "./client.js";
import { ApiError } from "./errors.js";
import { resourceByKind } from "./resources.js";
import type { KubeObject } from "./types.js";
import type { SourcedObject } from "./manifests.js";
import { applyDefaults } from "./defaults.js";
import { validateObject } from "./validation/index.js";
import { APPLY_PATH, APPLY_PROBLEMS, describeObject, noMatchMessage, type AppliedObject } from "./apply-plan.js";
import { MAX_REQUEST_BODY_BYTES } from "./limits.js";

export type { AppliedObject } from "./apply-plan.js";

export class ApplyError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ApplyError";
  }
}

export async function applyObjects(api: ApiClient, inputs: SourcedObject[], defaultNamespace = "default"): Promise<AppliedObject[]> {
  // The schema validators take a moment to load: only commands that apply pay for them.
  const { typeCheck } = await import("./typecheck.js");
  const problems: string[] = [];
  for (const { object, source } of inputs) {
    const resource = resourceByKind(object.kind, object.apiVersion) ?? undefined;
    if (!resource) {
      problems.push(`${source}: ${noMatchMessage(object.kind, object.apiVersion)}`);
      continue;
    }
    const name = typeof object.metadata?.name === "string" ? object.metadata.name : "";
    const typeErrors = typeCheck(object);
    if (typeErrors.length) {
      problems.push(`${source}: ${ApiError.invalid(resource.kind, resource.group, name, typeErrors).message}`);
      continue;
    }
    const obj: KubeObject = { ...object, metadata: { ...(object.metadata ?? {}) } };
    if (resource.namespaced) obj.metadata!.namespace ??= defaultNamespace;
    const errors = validateObject(applyDefaults(obj));
    if (errors.length) problems.push(`${source}: ${ApiError.invalid(resource.kind, resource.group, name, errors).message}`);
  }
  if (problems.length) throw new ApplyError(problems);

  const request = { kind: "ApplyRequest", apiVersion: "kemu/v1", namespace: defaultNamespace, items: inputs.map(({ object, source }) => ({ source, object })) };
  const bytes = Buffer.byteLength(JSON.stringify(request));
  if (bytes > MAX_REQUEST_BODY_BYTES) {
    throw new ApplyError([`the manifests make a request of ${bytes} bytes, more than the API's limit of ${MAX_REQUEST_BODY_BYTES}: apply them in smaller parts`]);
  }
  try {
    const result = await api.request<{ items: AppliedObject[] }>("POST", APPLY_PATH, request);
    return result.items;
  } catch (err) {
    if (err instanceof ApiError && err.details?.kind === APPLY_PROBLEMS) throw new ApplyError((err.details.causes ?? []).map((c) => c.message));
    throw err;
  }
}

export function describeApplied(r: AppliedObject): string {
  const resource = resourceByKind(r.object.kind)!;
  return `${describeObject(resource, r.object)} ${r.action}`;
}
