// Strategic merge patch, applied as kube-apiserver applies it: apimachinery
// pkg/util/strategicpatch/patch.go, StrategicMergeMapPatch (mergeMap with
// MergeParallelList and IgnoreUnmatchedNulls). Objects merge key by key and
// null deletes, as in a JSON merge patch; a list with the "merge" strategy
// merges its items by merge key (primitives as a set), any other list is
// replaced. Directives: `$patch: replace|delete` in an object, `$patch:
// replace|delete` as a list item, `$setElementOrder/<list>`, `$retainKeys`,
// `$deleteFromPrimitiveList/<list>`.
import type { FieldStrategy, PatchSchema } from "./strategy.js";

type Json = unknown;
type JsonObject = Record<string, Json>;

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER = "$setElementOrder";

/** A patch that cannot be applied; `unprocessable` ones are 422 upstream, the rest 400. */
export class StrategicPatchError extends Error {
  constructor(
    message: string,
    readonly unprocessable = false,
  ) {
    super(message);
    this.name = "StrategicPatchError";
  }
}

// The messages of apimachinery's mergepatch errors (pkg/util/mergepatch/errors.go).
const BAD_PRIMITIVE_LIST = "invalid patch format of primitive list";
const BAD_RETAIN_KEYS = "invalid patch format of retainKeys";
const BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list";
const NO_LIST_OF_LISTS = "lists of lists are not supported";

/** Applies `patch` to `original` with the patch strategies of `schema`; neither input is changed. */
export function applyStrategicMergePatch(original: JsonObject, patch: JsonObject, schema: PatchSchema): JsonObject {
  return mergeMap(structuredClone(original), structuredClone(patch), schema);
}

function mergeMap(original: JsonObject | undefined, patch: JsonObject, schema: PatchSchema): JsonObject {
  if (DIRECTIVE in patch) return directiveInMap(patch[DIRECTIVE], patch);
  const out = original ?? {};
  applyRetainKeys(out, patch);
  mergeOrderedLists(out, patch, schema);

  for (let [key, patchValue] of Object.entries(patch)) {
    let isDeleteList = false;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = suffixAfter(key, DELETE_FROM_PRIMITIVE_LIST, BAD_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchValue === null) {
      delete out[key];
      continue;
    }
    if (!(key in out)) {
      if (!isDeleteList) setCleaned(out, key, withoutNullFields(patchValue));
      continue;
    }
    const current = out[key];
    if (kindOf(current) !== kindOf(patchValue)) {
      if (!isDeleteList) setCleaned(out, key, withoutNullFields(patchValue));
      continue;
    }
    const field = schema[key];
    if (isObject(current)) {
      out[key] = field?.strategy === "replace" ? patchValue : mergeMap(current, patchValue as JsonObject, field?.schema ?? {});
    } else if (Array.isArray(current)) {
      out[key] = mergeListField(current, patchValue as Json[], field, isDeleteList);
    } else {
      setCleaned(out, key, patchValue);
    }
  }
  return out;
}

/** `$patch` in an object: replace keeps only the patch; delete leaves an empty object. */
function directiveInMap(directive: Json, patch: JsonObject): JsonObject {
  if (directive === "replace") {
    delete patch[DIRECTIVE];
    return patch;
  }
  if (directive === "delete") return {};
  throw new StrategicPatchError(`unknown patch type: ${String(directive)} in map: ${show(patch)}`);
}

/** `$retainKeys`: the object keeps only the keys listed; every key the patch sets must be listed. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!(RETAIN_KEYS in patch)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw new StrategicPatchError(BAD_RETAIN_KEYS);
  const keep = new Set(retain);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(key)) throw new StrategicPatchError(BAD_RETAIN_KEYS);
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
}

/**
 * `$setElementOrder/<list>`: merges the list (if the patch has it) and then
 * orders it — the directive's order first, then the live order
 * (mergePatchIntoOriginal). The list is then taken out of the patch.
 */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, schema: PatchSchema): void {
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    delete patch[key];
    if (!Array.isArray(order)) throw new StrategicPatchError(`${key}: expected a list, got ${show(order)}`);
    const listKey = suffixAfter(key, SET_ELEMENT_ORDER, BAD_SET_ELEMENT_ORDER);
    const field = schema[listKey];
    const mergeKey = field?.mergeKey ?? "";
    const hasOriginal = listKey in original;
    const hasPatch = listKey in patch;
    const originalList = hasOriginal ? asList(original[listKey], listKey) : [];
    const patchList = hasPatch ? asList(patch[listKey], listKey) : [];
    checkOrderMatches(patchList, order, mergeKey);

    let merged: Json[];
    // What upstream reads as the live order afterwards: its merge edits the live list in place (see LiveView).
    const live: LiveView = { list: originalList };
    if (hasOriginal && !hasPatch) merged = originalList;
    else if (!hasOriginal && hasPatch) merged = withoutDirectiveItems(patchList);
    else if (hasOriginal && hasPatch) merged = mergeListField(originalList, patchList, field, false, live);
    else continue;

    const kind = elementKind(live.list, patchList);
    const byKey = kind === "object" ? mergeKey : "";
    const [inOrder, serverOnly] = partitionByPresence(merged, order, byKey);
    original[listKey] = normalizeOrder(inOrder, serverOnly, order, live.list, byKey);
    delete patch[listKey];
  }
}

/** The relative order of the patch's items must agree with `$setElementOrder` (validatePatchWithSetOrderList). */
function checkOrderMatches(patchList: Json[], order: Json[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? patchList.filter((item) => !(isObject(item) && item[DIRECTIVE] === "delete")) : patchList;
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p];
    if (isObject(item) && DIRECTIVE in item) {
      p++;
      continue;
    }
    if (sameItem(item, order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length) {
    throw new StrategicPatchError(`the order in the patch list ${show(patchList)} doesn't match the ${SET_ELEMENT_ORDER} list ${show(order)}`);
  }
}

function sameItem(left: Json, right: Json, mergeKey: string): boolean {
  if (!mergeKey) return left === right;
  if (!isObject(left) || !(mergeKey in left)) throw noMergeKey(left, mergeKey);
  if (!isObject(right) || !(mergeKey in right)) throw noMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

/** A list field: merged when its strategy says so (or it is a deletion list), else the patch replaces it. */
function mergeListField(original: Json[], patch: Json[], field: FieldStrategy | undefined, isDeleteList: boolean, live?: LiveView): Json[] {
  if (field?.strategy === "merge" || isDeleteList) return mergeList(original, patch, field?.mergeKey ?? "", field?.schema ?? {}, isDeleteList, live);
  return patch;
}

/**
 * The live list as upstream sees it after merging a list of objects. Go's
 * merge deletes items by shifting the rest down inside the live list's
 * array and appends new items into the freed places, so the live list that
 * `$setElementOrder` then orders against reads: the items kept, then the
 * items added (or, if fewer were added than deleted, stale copies of the
 * last items). Upstream's own cases depend on it ("add map and delete map
 * from merging list" in strategicpatch/patch_test.go).
 */
interface LiveView {
  list: Json[];
}

function mergeList(original: Json[], patch: Json[], mergeKey: string, itemSchema: PatchSchema, isDeleteList: boolean, live?: LiveView): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  let merged: Json[];
  let base = original;
  let patchItems = patch;
  if (kind !== "object") {
    if (isDeleteList) {
      const drop = new Set(patch);
      return original.filter((v) => !drop.has(v));
    }
    merged = unique([...original, ...patch]);
  } else {
    if (!mergeKey) throw new StrategicPatchError("cannot merge lists without merge key");
    const backing = [...original];
    let replaced: boolean;
    [base, patchItems, replaced] = applyListDirectives(backing, patch, mergeKey);
    merged = mergeByKey([...base], patchItems, mergeKey, itemSchema);
    if (live) {
      if (!replaced) merged.slice(base.length).forEach((item, n) => base.length + n < backing.length && (backing[base.length + n] = item));
      live.list = backing;
    }
  }
  const byKey = kind === "object" ? mergeKey : "";
  const [fromPatch, serverOnly] = partitionByPresence(merged, patchItems, byKey);
  return normalizeOrder(fromPatch, serverOnly, patchItems, base, byKey);
}

/**
 * List items that are directives (mergeSliceWithSpecialElements): `{$patch:
 * delete, <key>: v}` removes every item with that key; `{$patch: replace}`
 * makes the other items the whole list. Returns the base list, the items left to merge, and whether the list was replaced.
 */
function applyListDirectives(backing: Json[], patch: Json[], mergeKey: string): [Json[], Json[], boolean] {
  const plain: Json[] = [];
  let length = backing.length;
  let replace = false;
  for (const item of patch) {
    const typed = item as JsonObject;
    if (!(DIRECTIVE in typed)) {
      plain.push(item);
      continue;
    }
    switch (typed[DIRECTIVE]) {
      case "delete":
        if (!(mergeKey in typed)) throw noMergeKey(typed, mergeKey);
        // Removed in place, the rest shifted down (`backing` is changed: see LiveView).
        for (let at = 0; at < length; ) {
          const v = backing[at];
          if (!(isObject(v) && mergeKey in v && v[mergeKey] === typed[mergeKey])) {
            at++;
            continue;
          }
          backing.copyWithin(at, at + 1, length);
          length--;
        }
        break;
      case "replace":
        replace = true;
        break;
      case "merge":
        throw new StrategicPatchError("merging lists cannot yet be specified in the patch");
      default:
        throw new StrategicPatchError(`unknown patch type: ${String(typed[DIRECTIVE])} in map: ${show(typed)}`);
    }
  }
  const base = backing.slice(0, length);
  return replace ? [plain, [], true] : [base, plain, false];
}

/** Each patch item merges into the live item with the same merge key, or is appended. */
function mergeByKey(base: Json[], patch: Json[], mergeKey: string, itemSchema: PatchSchema): Json[] {
  for (const item of patch) {
    const typed = item as JsonObject;
    if (!(mergeKey in typed)) throw noMergeKey(typed, mergeKey);
    const at = base.findIndex((v) => isObject(v) && mergeKey in v && v[mergeKey] === typed[mergeKey]);
    if (at >= 0) base[at] = mergeMap(base[at] as JsonObject, typed, itemSchema);
    else base.push(item);
  }
  return base;
}

/** Splits `list` into the items found in `by` (by merge key, or by value) and the rest. */
function partitionByPresence(list: Json[], by: Json[], mergeKey: string): [Json[], Json[]] {
  const found: Json[] = [];
  const rest: Json[] = [];
  for (const item of list) {
    if (mergeKey && (!isObject(item) || !(mergeKey in item))) throw noMergeKey(item, mergeKey);
    (indexOf(by, item, mergeKey) >= 0 ? found : rest).push(item);
  }
  return [found, rest];
}

/**
 * Orders a merged list (normalizeElementOrder + mergeSortedSlice): the patch's
 * items in the patch's order, the server-only items in the live order, and
 * each server-only item placed before the first patch item that comes after
 * it in the live list. An item new to the list goes where the patch put it.
 */
function normalizeOrder(fromPatch: Json[], serverOnly: Json[], patchOrder: Json[], serverOrder: Json[], mergeKey: string): Json[] {
  const right = sortBy(fromPatch, patchOrder, mergeKey);
  const left = sortBy(serverOnly, serverOrder, mergeKey);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]);
    else if (i >= left.length) out.push(right[j++]);
    else {
      const li = indexOf(serverOrder, left[i], mergeKey);
      const ri = indexOf(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** A stable sort by position in `order`; `$patch: delete` items go last (normalizeSliceOrder). */
function sortBy(items: Json[], order: Json[], mergeKey: string): Json[] {
  let keep = items;
  let deletions: Json[] = [];
  if (mergeKey) {
    for (const item of [...items, ...order]) if (!isObject(item) || !(mergeKey in item)) throw noMergeKey(item, mergeKey);
    keep = items.filter((v) => (v as JsonObject)[DIRECTIVE] !== "delete");
    deletions = items.filter((v) => (v as JsonObject)[DIRECTIVE] === "delete");
  }
  const position = (v: Json) => {
    const at = indexOf(order, v, mergeKey);
    return at < 0 ? -1 : at;
  };
  const sorted = keep.map((v, n) => ({ v, n, at: position(v) })).sort((a, b) => a.at - b.at || a.n - b.n);
  return [...sorted.map((e) => e.v), ...deletions];
}

function indexOf(list: Json[], item: Json, mergeKey: string): number {
  const keyOf = (v: Json) => (mergeKey ? (isObject(v) ? v[mergeKey] : undefined) : v);
  const wanted = keyOf(item);
  return list.findIndex((v) => keyOf(v) === wanted);
}

/** The one JSON kind of every item of the lists (sliceElementType); lists of lists are refused. */
function elementKind(...lists: Json[][]): string {
  let kind: string | undefined;
  for (const list of lists) {
    for (const item of list) {
      const k = kindOf(item);
      if (kind === undefined) {
        if (k === "array") throw new StrategicPatchError(NO_LIST_OF_LISTS, true);
        kind = k;
      } else if (k !== kind) {
        throw new StrategicPatchError(`list element types are not identical: ${lists.map(show).join(" ")}`);
      }
    }
  }
  if (kind === undefined) throw new StrategicPatchError("no elements in any of the given slices");
  return kind;
}

/** Sets a value taken from the patch, dropping `$patch` objects inside it (removeDirectives). */
function setCleaned(target: JsonObject, key: string, value: Json): void {
  const [clean, keep] = removeDirectives(value);
  if (keep) target[key] = clean;
  else delete target[key];
}

function removeDirectives(value: Json): [Json, boolean] {
  if (isObject(value)) {
    if (DIRECTIVE in value) return [undefined, false];
    for (const [k, v] of Object.entries(value)) {
      const [clean, keep] = removeDirectives(v);
      if (keep) value[k] = clean;
      else delete value[k];
    }
    return [value, true];
  }
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const v of value) {
      const [clean, keep] = removeDirectives(v);
      if (keep) out.push(clean);
    }
    return [out, true];
  }
  return [value, true];
}

/** Null fields in a value new to the object mean nothing (discardNullValuesFromPatch). */
function withoutNullFields(value: Json): Json {
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === null) delete value[k];
      else withoutNullFields(v);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) withoutNullFields(v);
  }
  return value;
}

function withoutDirectiveItems(list: Json[]): Json[] {
  return removeDirectives(list)[0] as Json[];
}

function unique(list: Json[]): Json[] {
  return [...new Set(list)];
}

function suffixAfter(key: string, prefix: string, error: string): string {
  const slash = key.indexOf("/");
  if (slash < 0 || key.slice(0, slash) !== prefix) throw new StrategicPatchError(error);
  return key.slice(slash + 1);
}

function asList(value: Json, key: string): Json[] {
  if (!Array.isArray(value)) throw new StrategicPatchError(`${key}: expected a list, got ${show(value)}`);
  return value;
}

function noMergeKey(item: Json, mergeKey: string): StrategicPatchError {
  return new StrategicPatchError(`map: ${show(item)} does not contain declared merge key: ${mergeKey}`);
}

function kindOf(value: Json): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function isObject(value: Json): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: Json): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
