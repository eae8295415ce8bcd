// Field paths and field sets as server-side apply keeps them
// (sigs.k8s.io/structured-merge-diff fieldpath, serialized as FieldsV1):
// a path is a list of elements — `f:name` (a field), `k:{"name":"c"}` (the
// item of an associative list with those keys), `v:"x"` (a value of a set
// list), `.` (the item itself) — and a set is the leaves a manager owns.
// Which lists are associative (and by which key) comes from kemu's patch
// strategy table (patch/strategy.ts); a list without a strategy is atomic.
import type { FieldStrategy, PatchSchema } from "../patch/strategy.js";

type Json = unknown;
type JsonObject = Record<string, unknown>;

/** One path, its elements in order. */
export type FieldPath = readonly string[];

/** A set of paths, each joined with SEP (a string set keeps the set operations trivial). */
export type FieldSet = Set<string>;

const SEP = "\u0000";

export const SELF = ".";

export function joinPath(path: FieldPath): string {
  return path.join(SEP);
}

export function splitPath(key: string): string[] {
  return key === "" ? [] : key.split(SEP);
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `k:{…}` for an item of a list merged by mergeKey (keys sorted, as structured-merge-diff writes them). */
function keyElement(item: JsonObject, mergeKey: string): string {
  return `k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`;
}

/**
 * The leaves a value sets below `prefix`: every primitive, atomic list and
 * empty object; for an associative list item, the item itself (`.`) and its
 * fields; for a set list, each value.
 */
export function fieldSetOf(value: JsonObject, schema: PatchSchema, prefix: FieldPath = []): FieldSet {
  const out: FieldSet = new Set();
  const visitObject = (obj: JsonObject, sch: PatchSchema | undefined, path: string[]): void => {
    for (const [key, v] of Object.entries(obj)) {
      if (v === null || v === undefined) continue;
      visitField(v, sch?.[key], [...path, `f:${key}`]);
    }
  };
  const visitField = (v: Json, strategy: FieldStrategy | undefined, path: string[]): void => {
    if (Array.isArray(v) && strategy?.strategy === "merge") {
      if (strategy.mergeKey) {
        const mk = strategy.mergeKey;
        for (const item of v) {
          if (!isObject(item) || item[mk] === undefined) continue;
          const itemPath = [...path, keyElement(item, mk)];
          out.add(joinPath([...itemPath, SELF]));
          visitObject(item, strategy.schema, itemPath);
        }
      } else {
        for (const item of v) out.add(joinPath([...path, `v:${JSON.stringify(item)}`]));
      }
      return;
    }
    if (isObject(v) && Object.keys(v).length > 0 && strategy?.strategy !== "replace") {
      visitObject(v, strategy?.schema, path);
      return;
    }
    out.add(joinPath(path));
  };
  visitObject(value, schema, [...prefix]);
  return out;
}

/** The value a path leads to in obj (undefined when it is not there); `.` is the list item itself. */
export function valueAt(obj: Json, path: FieldPath): Json {
  let cur: Json = obj;
  for (const el of path) {
    if (el === SELF) continue;
    if (el.startsWith("f:")) {
      if (!isObject(cur)) return undefined;
      cur = cur[el.slice(2)];
    } else if (el.startsWith("k:")) {
      if (!Array.isArray(cur)) return undefined;
      const keys = JSON.parse(el.slice(2)) as JsonObject;
      cur = cur.find((item) => isObject(item) && Object.entries(keys).every(([k, v]) => jsonEqual(item[k], v)));
    } else if (el.startsWith("v:")) {
      if (!Array.isArray(cur)) return undefined;
      const want = JSON.parse(el.slice(2)) as Json;
      cur = cur.find((item) => jsonEqual(item, want));
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Removes what a path leads to from obj (in place): a field, a list item (`k:…/.`), or a set value. */
export function removeAt(obj: JsonObject, path: FieldPath): void {
  const last = path[path.length - 1];
  if (last === undefined) return;
  if (last === SELF) {
    // The whole item: remove the k: element from its list.
    return removeAt(obj, path.slice(0, -1));
  }
  const parent = valueAt(obj, path.slice(0, -1));
  if (last.startsWith("f:")) {
    if (isObject(parent)) delete parent[last.slice(2)];
  } else if (Array.isArray(parent)) {
    const item = valueAt(obj, path);
    const i = parent.indexOf(item);
    if (item !== undefined && i >= 0) parent.splice(i, 1);
  }
}

export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as Json[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

/** A field set as FieldsV1 JSON: a tree of path elements, `{}` at each leaf. */
export function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  for (const key of [...set].sort()) {
    let node = root;
    for (const el of splitPath(key)) {
      if (!isObject(node[el])) node[el] = {};
      node = node[el] as JsonObject;
    }
  }
  return sortTree(root);
}

/** FieldsV1 back to a field set (leaves are the empty objects, and every `.`). */
export function fromFieldsV1(tree: unknown): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: unknown, path: string[]): void => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) out.add(joinPath(path));
    for (const k of keys) walk(node[k], [...path, k]);
  };
  walk(tree, []);
  return out;
}

/** `.` first, then the rest in order, at every level (as the API server writes FieldsV1). */
function sortTree(node: JsonObject): JsonObject {
  const out: JsonObject = {};
  const keys = Object.keys(node).sort((a, b) => (a === SELF ? -1 : b === SELF ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const k of keys) out[k] = sortTree(node[k] as JsonObject);
  return out;
}

/** A path as upstream's fieldpath.Path prints it: `.spec.containers[name="c"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(path: FieldPath): string {
  let s = "";
  for (const el of path) {
    if (el === SELF) continue;
    if (el.startsWith("f:")) s += `.${el.slice(2)}`;
    else if (el.startsWith("k:")) {
      const keys = JSON.parse(el.slice(2)) as JsonObject;
      s += `[${Object.entries(keys)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(",")}]`;
    } else if (el.startsWith("v:")) s += `[=${el.slice(2)}]`;
    else s += `[${el}]`;
  }
  return s;
}
