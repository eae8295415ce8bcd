// kemu's apply on the server: every object of one request created or updated
// in order, with its admission (ClusterIP, NodePort, load-balancer IP), as one
// transaction of the API server. Any problem undoes everything — stored
// objects, allocations, resourceVersions — and no watcher hears of it; every
// problem is reported, each naming the file and document it came from.
import type { ApiServer } from "./apiserver.js";
import { ApiError, type StatusReason } from "./errors.js";
import { resourceByKind } from "./resources.js";
import type { KubeObject } from "./types.js";
import { typeCheck } from "./typecheck.js";
import { APPLY_PATH, APPLY_PROBLEMS, annotateLastApplied, applyOrder, mergeOverCurrent, noMatchMessage, unchangedSinceLastApply, type AppliedObject } from "./apply-plan.js";

export { APPLY_PATH };

export interface ApplyItem {
  /** where the object came from: "file.yaml (document 2)" */
  source: string;
  object: KubeObject;
}

export interface ApplyRequest {
  /** namespace of namespaced objects that name none */
  namespace: string;
  items: ApplyItem[];
}

export interface ApplyResult {
  kind: "ApplyResult";
  apiVersion: "kemu/v1";
  items: AppliedObject[];
}

/** The request body, checked: 400 naming the first field that is not what it should be. */
export function parseApplyRequest(body: unknown): ApplyRequest {
  const bad = (field: string, expected: string) => new ApiError("BadRequest", `apply request: ${field}: expected ${expected}`);
  if (!isObject(body)) throw bad("body", "a JSON object with items");
  const namespace = body.namespace ?? "default";
  if (typeof namespace !== "string") throw bad("namespace", "a string");
  if (!Array.isArray(body.items)) throw bad("items", "a list");
  const items = body.items.map((raw: unknown, i: number): ApplyItem => {
    if (!isObject(raw)) throw bad(`items[${i}]`, "an object with source and object");
    if (typeof raw.source !== "string") throw bad(`items[${i}].source`, "a string");
    if (!isObject(raw.object)) throw bad(`items[${i}].object`, "a JSON object");
    return { source: raw.source, object: raw.object as KubeObject };
  });
  return { namespace, items };
}

class Rejected extends Error {
  constructor(readonly problems: { source: string; error: unknown }[]) {
    super("apply rejected");
  }
}

/** Applies every item or none; throws an ApiError listing every problem. */
export function applyAll(api: ApiServer, request: ApplyRequest): ApplyResult {
  try {
    const items = api.transaction(() => {
      const results: AppliedObject[] = [];
      const problems: { source: string; error: unknown }[] = [];
      const failedNamespaces = new Set<string>();
      for (const item of applyOrder(request.items)) {
        try {
          results.push(applyOne(api, item, request.namespace));
        } catch (error) {
          const ns = item.object.metadata?.namespace ?? request.namespace;
          // Its namespace's own failure is already reported.
          if (error instanceof ApiError && error.reason === "NotFound" && failedNamespaces.has(ns)) continue;
          if (item.object.kind === "Namespace" && typeof item.object.metadata?.name === "string") failedNamespaces.add(item.object.metadata.name);
          // Not an API error: a bug; its stack goes to the daemon log, the client gets its message.
          if (!(error instanceof ApiError)) console.error(`apply: ${item.source}: ${(error as Error)?.stack ?? String(error)}`);
          problems.push({ source: item.source, error });
        }
      }
      if (problems.length) throw new Rejected(problems);
      return results;
    });
    return { kind: "ApplyResult", apiVersion: "kemu/v1", items };
  } catch (err) {
    if (err instanceof Rejected) throw rejection(err.problems);
    throw err;
  }
}

function applyOne(api: ApiServer, { object }: ApplyItem, defaultNamespace: string): AppliedObject {
  const resource = resourceByKind(object.kind, object.apiVersion);
  if (!resource) throw new ApiError("BadRequest", noMatchMessage(object.kind, object.apiVersion));
  // The types first: what follows reads metadata as an object.
  const typeErrors = typeCheck(object);
  if (typeErrors.length) {
    const name = typeof object.metadata?.name === "string" ? object.metadata.name : "";
    throw ApiError.invalid(resource.kind, resource.group, name, typeErrors);
  }
  const obj: KubeObject = { ...object, metadata: { ...(object.metadata ?? {}) } };
  if (resource.namespaced) obj.metadata!.namespace ??= defaultNamespace;
  const namespace = obj.metadata!.namespace;
  const name = obj.metadata!.name;
  const current = name ? api.tryGet(resource, namespace, name) : undefined;
  const withLast = annotateLastApplied(obj);
  if (!current) return { object: api.create(resource, withLast, namespace), action: "created" };
  if (unchangedSinceLastApply(withLast, current)) return { object: structuredClone(current), action: "unchanged" };
  return { object: api.update(resource, mergeOverCurrent(withLast, current)), action: "configured" };
}

/** One Status for all problems: their common reason (Invalid when they differ), each as a cause naming its source. */
function rejection(problems: { source: string; error: unknown }[]): ApiError {
  const lines = problems.map((p) => `${p.source}: ${p.error instanceof Error ? p.error.message : String(p.error)}`);
  const reasons = new Set(problems.map((p) => (p.error instanceof ApiError ? p.error.reason : "InternalError")));
  const reason: StatusReason = reasons.size === 1 ? [...reasons][0]! : "Invalid";
  return new ApiError(reason, lines.join("\n"), {
    kind: APPLY_PROBLEMS,
    causes: problems.map((p, i) => ({ reason: p.error instanceof ApiError ? p.error.reason : "InternalError", message: lines[i]!, field: p.source })),
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
