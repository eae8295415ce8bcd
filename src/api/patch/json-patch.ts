// JSON patch (RFC 6902): a list of operations — add, remove, replace, move,
// copy, test — on paths written as JSON pointers (RFC 6901: "/a/b", "~1" is
// "/", "~0" is "~", "-" is the end of a list). All or nothing: the input is
// never changed. kube-apiserver applies these with evanphx/json-patch
// (handlers/patch.go applyJSPatch): a malformed patch is 400, an operation
// that does not apply is 422, and more than 10,000 operations 413.

type Json = unknown;
type JsonObject = Record<string, Json>;

/** upstream's maxJSONPatchOperations (apiserver handlers/patch.go). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

export type JsonPatchErrorKind = "malformed" | "failed" | "tooLarge";

export class JsonPatchError extends Error {
  constructor(
    readonly kind: JsonPatchErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "JsonPatchError";
  }
}

interface Operation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string[];
  from?: string[];
  value?: Json;
  /** "operation 2 (replace /spec/replicas)", for messages. */
  label: string;
}

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/** Applies a JSON patch to a document and returns the new document. */
export function applyJsonPatch(document: Json, patch: unknown): Json {
  const ops = parseOperations(patch);
  let doc = structuredClone(document);
  for (const op of ops) doc = applyOperation(doc, op);
  return doc;
}

function parseOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) throw new JsonPatchError("malformed", "a JSON patch must be a list of operations");
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new JsonPatchError("tooLarge", `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  return patch.map((raw, index) => {
    const where = `json patch operation ${index}`;
    if (!isObject(raw)) throw new JsonPatchError("malformed", `${where}: must be an object with "op" and "path"`);
    const { op, path, from } = raw;
    if (typeof op !== "string" || !OPS.has(op)) {
      throw new JsonPatchError("malformed", `${where}: "op" must be one of add, remove, replace, move, copy, test (got ${JSON.stringify(op) ?? "nothing"})`);
    }
    if (typeof path !== "string") throw new JsonPatchError("malformed", `${where} (${op}): "path" must be a string`);
    const label = `${where} (${op} ${path})`;
    const parsed: Operation = { op: op as Operation["op"], path: parsePointer(path, label, "path"), label };
    if (op === "move" || op === "copy") {
      if (typeof from !== "string") throw new JsonPatchError("malformed", `${label}: "from" must be a string`);
      parsed.from = parsePointer(from, label, "from");
    }
    if (op === "add" || op === "replace" || op === "test") {
      if (!("value" in raw)) throw new JsonPatchError("malformed", `${label}: "value" is required`);
      parsed.value = raw.value;
    }
    return parsed;
  });
}

/** RFC 6901: "" is the whole document; every other pointer starts with "/". */
export function parsePointer(pointer: string, label: string, field: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new JsonPatchError("malformed", `${label}: "${field}" must be empty or start with "/" (got ${JSON.stringify(pointer)})`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      if (/~[^01]|~$/.test(token)) throw new JsonPatchError("malformed", `${label}: "${field}" has a "~" not followed by 0 or 1`);
      return token.replace(/~1/g, "/").replace(/~0/g, "~");
    });
}

function applyOperation(doc: Json, op: Operation): Json {
  switch (op.op) {
    case "add":
      return add(doc, op.path, structuredClone(op.value), op.label);
    case "remove":
      return remove(doc, op.path, op.label).doc;
    case "replace": {
      get(doc, op.path, op.label);
      if (op.path.length === 0) return structuredClone(op.value);
      return add(remove(doc, op.path, op.label).doc, op.path, structuredClone(op.value), op.label);
    }
    case "move": {
      const from = op.from!;
      if (from.length < op.path.length && from.every((t, i) => t === op.path[i])) {
        throw new JsonPatchError("failed", `${op.label}: a value cannot be moved into one of its own children`);
      }
      const taken = remove(doc, from, op.label);
      return add(taken.doc, op.path, taken.value, op.label);
    }
    case "copy":
      return add(doc, op.path, structuredClone(get(doc, op.from!, op.label)), op.label);
    case "test": {
      const actual = get(doc, op.path, op.label);
      if (!deepEqual(actual, op.value)) {
        throw new JsonPatchError("failed", `${op.label}: test failed: the value is ${JSON.stringify(actual)}, not ${JSON.stringify(op.value)}`);
      }
      return doc;
    }
  }
}

function get(doc: Json, path: string[], label: string): Json {
  let at = doc;
  for (const [i, token] of path.entries()) {
    if (Array.isArray(at)) {
      const index = arrayIndex(token, at.length - 1, label);
      at = at[index];
    } else if (isObject(at) && Object.hasOwn(at, token)) {
      at = at[token];
    } else {
      throw missing(label, path, i);
    }
  }
  return at;
}

/** The container holding the last token of `path`. */
function parentOf(doc: Json, path: string[], label: string): Json {
  return get(doc, path.slice(0, -1), label);
}

function add(doc: Json, path: string[], value: Json, label: string): Json {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path, label);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : arrayIndex(last, parent.length, label);
    parent.splice(index, 0, value);
  } else if (isObject(parent)) {
    parent[last] = value;
  } else {
    throw new JsonPatchError("failed", `${label}: ${pointerText(path.slice(0, -1))} is neither an object nor a list`);
  }
  return doc;
}

function remove(doc: Json, path: string[], label: string): { doc: Json; value: Json } {
  if (path.length === 0) throw new JsonPatchError("failed", `${label}: the whole document cannot be removed`);
  const parent = parentOf(doc, path, label);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const index = arrayIndex(last, parent.length - 1, label);
    const [value] = parent.splice(index, 1);
    return { doc, value };
  }
  if (isObject(parent) && Object.hasOwn(parent, last)) {
    const value = parent[last];
    delete parent[last];
    return { doc, value };
  }
  throw missing(label, path, path.length - 1);
}

/** A list index: digits without leading zeros, at most `max`. */
function arrayIndex(token: string, max: number, label: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new JsonPatchError("failed", `${label}: ${JSON.stringify(token)} is not a list index`);
  const index = Number(token);
  if (index > max) throw new JsonPatchError("failed", `${label}: index ${index} is out of bounds`);
  return index;
}

function missing(label: string, path: string[], depth: number): JsonPatchError {
  return new JsonPatchError("failed", `${label}: ${pointerText(path.slice(0, depth + 1))} does not exist`);
}

function pointerText(path: string[]): string {
  return path.length === 0 ? "the document" : `/${path.map((t) => t.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function isObject(value: Json): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
