// The query parameters of list and watch requests, read and checked as
// upstream's ValidateListOptions (apimachinery pkg/apis/meta/internalversion/
// validation), and the continue tokens of paginated lists (apiserver
// storage's encodeContinue: opaque base64 of a version, a revision and the
// key to start after).
import { ApiError, fieldErrors, type FieldError } from "./errors.js";

export type ResourceVersionMatch = "Exact" | "NotOlderThan";

/** What a list request asks for, past the selectors. */
export interface ListRequestOptions {
  resourceVersion?: string;
  resourceVersionMatch?: ResourceVersionMatch;
  limit?: number;
  continue?: string;
}

/** What a watch request asks for, past the selectors. */
export interface WatchRequestOptions {
  resourceVersion?: string;
  /** true: the current objects first, then an initial-events-end bookmark; false: none; undefined: as resourceVersion says */
  sendInitialEvents?: boolean;
  allowWatchBookmarks: boolean;
  /** ends the watch after this many seconds */
  timeoutSeconds?: number;
}

const LIST_OPTIONS = { kind: "ListOptions", group: "meta.k8s.io" } as const;

function invalidListOptions(errors: FieldError[]): ApiError {
  return ApiError.invalid(LIST_OPTIONS.kind, LIST_OPTIONS.group, "", errors);
}

/** A boolean query parameter as Go's strconv.ParseBool reads it; undefined when absent. */
function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
  if (["0", "f", "F", "false", "FALSE", "False", ""].includes(v)) return false;
  throw new ApiError("BadRequest", `${name}: invalid value ${JSON.stringify(v)}: expected true or false`);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw new ApiError("BadRequest", `${name}: invalid value ${JSON.stringify(v)}: expected an integer`);
  return Number(v);
}

/** Whether the request is a watch (watch=true or watch=1). */
export function isWatch(q: URLSearchParams): boolean {
  return boolParam(q, "watch") === true;
}

/** A list's options from its query; 422 on ListOptions with upstream's words for a combination it forbids. */
export function parseListRequest(q: URLSearchParams): ListRequestOptions {
  const resourceVersion = q.get("resourceVersion") ?? "";
  const match = q.get("resourceVersionMatch") ?? "";
  const cont = q.get("continue") ?? "";
  const errors: FieldError[] = [];
  if (match) {
    if (!resourceVersion) errors.push(fieldErrors.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"));
    if (cont) errors.push(fieldErrors.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
    if (match !== "Exact" && match !== "NotOlderThan") errors.push(fieldErrors.notSupported("resourceVersionMatch", match, ["Exact", "NotOlderThan", ""]));
    if (match === "Exact" && resourceVersion === "0") errors.push(fieldErrors.forbidden("resourceVersionMatch", 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (q.has("sendInitialEvents")) errors.push(fieldErrors.forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
  if (errors.length) throw invalidListOptions(errors);
  const limit = intParam(q, "limit");
  return {
    ...(resourceVersion ? { resourceVersion } : {}),
    ...(match ? { resourceVersionMatch: match as ResourceVersionMatch } : {}),
    // Upstream treats a limit of 0 or less as no limit.
    ...(limit !== undefined && limit > 0 ? { limit } : {}),
    ...(cont ? { continue: cont } : {}),
  };
}

/** A watch's options from its query; 422 on ListOptions as upstream's validateWatchOptions. */
export function parseWatchRequest(q: URLSearchParams): WatchRequestOptions {
  const resourceVersion = q.get("resourceVersion") ?? "";
  const match = q.get("resourceVersionMatch") ?? "";
  const sendInitialEvents = boolParam(q, "sendInitialEvents");
  const errors: FieldError[] = [];
  if (sendInitialEvents !== undefined && match !== "NotOlderThan") {
    errors.push(fieldErrors.forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
  }
  if (match) {
    if (sendInitialEvents === undefined) errors.push(fieldErrors.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
    if (match !== "NotOlderThan") errors.push(fieldErrors.notSupported("resourceVersionMatch", match, ["NotOlderThan"]));
    if (q.get("continue")) errors.push(fieldErrors.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
  }
  if (errors.length) throw invalidListOptions(errors);
  const timeoutSeconds = intParam(q, "timeoutSeconds");
  return {
    ...(resourceVersion ? { resourceVersion } : {}),
    ...(sendInitialEvents !== undefined ? { sendInitialEvents } : {}),
    allowWatchBookmarks: boolParam(q, "allowWatchBookmarks") === true,
    ...(timeoutSeconds !== undefined && timeoutSeconds > 0 ? { timeoutSeconds } : {}),
  };
}

/**
 * Whether a watch starts with the current objects: when asked to
 * (sendInitialEvents=true), or, when not told either way, for a
 * resourceVersion of "" or "0" (API concepts, "Semantics for watch").
 */
export function startsWithInitialEvents(options: Pick<WatchRequestOptions, "resourceVersion" | "sendInitialEvents">): boolean {
  if (options.sendInitialEvents !== undefined) return options.sendInitialEvents;
  return !options.resourceVersion || options.resourceVersion === "0";
}

/** A resourceVersion as a revision number; 400 for anything but a non-negative integer. */
export function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv)) throw new ApiError("BadRequest", `resourceVersion: Invalid value: ${JSON.stringify(rv)}: must be a non-negative integer`);
  return Number(rv);
}

/** 504 for a resourceVersion the store has not reached (upstream's NewTooLargeResourceVersionError). */
export function tooLargeResourceVersion(wanted: number, current: number): ApiError {
  return new ApiError("Timeout", `Timeout: Too large resource version: ${wanted}, current: ${current}`, {
    causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version", field: "" }],
  });
}

/** Where a page ends: the revision its list was read at (-1: whatever is current) and the last object's namespace and name. */
export interface ContinueToken {
  rv: number;
  namespace: string;
  name: string;
}

const TOKEN_VERSION = "meta.k8s.io/v1";

export function encodeContinue(token: ContinueToken): string {
  const json = JSON.stringify({ v: TOKEN_VERSION, rv: token.rv, start: `${token.namespace}/${token.name}\u0000` });
  return Buffer.from(json, "utf8").toString("base64url");
}

/** A continue token back; 400 for one this server did not make. */
export function decodeContinue(text: string): ContinueToken {
  const bad = (why: string) => new ApiError("BadRequest", `continue key is not valid: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw bad("not a continue token this server issued");
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (typeof t !== "object" || t === null || t.v !== TOKEN_VERSION) throw bad(`incorrect encoded start resourceVersion (version ${TOKEN_VERSION})`);
  if (typeof t.rv !== "number" || !Number.isInteger(t.rv) || (t.rv < 0 && t.rv !== -1)) throw bad("incorrect encoded start resourceVersion");
  if (typeof t.start !== "string" || !t.start.endsWith("\u0000") || !t.start.includes("/")) throw bad("encoded start key is not valid");
  const key = t.start.slice(0, -1);
  const slash = key.indexOf("/");
  return { rv: t.rv, namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Upstream's inconsistentContinue message (apiserver storage etcd3 errors.go). */
export const INCONSISTENT_CONTINUE =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/** 410 Expired for a continue token whose revision is gone; its Status carries a token for the rest at the current revision. */
export class ExpiredContinueError extends ApiError {
  constructor(readonly nextContinue: string) {
    super("Expired", INCONSISTENT_CONTINUE);
  }

  override toStatus(): ReturnType<ApiError["toStatus"]> {
    // Status is a list type upstream: its ListMeta carries the token.
    return { ...super.toStatus(), metadata: { continue: this.nextContinue } as unknown as Record<string, never> };
  }
}
