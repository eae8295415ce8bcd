// metadata.managedFields as the API server keeps them (apimachinery
// pkg/util/managedfields; API concepts "Server-Side Apply"): one entry per
// manager, operation (Apply or Update) and subresource, with the fields it
// owns as FieldsV1. An apply takes the fields its configuration sets — a
// 409 when another manager owns one with a different value, unless forced —
// and drops the fields it applied before but no longer does, when no one
// else owns them. An update owns the fields it changed, taking them from
// everyone else.
import { ApiError } from "../errors.js";
import type { PatchSchema } from "../patch/strategy.js";
import { fieldSetOf, fromFieldsV1, joinPath, jsonEqual, pathString, removeAt, SELF, splitPath, toFieldsV1, valueAt, type FieldSet } from "./fieldpath.js";

type JsonObject = Record<string, unknown>;

export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  fieldsType: "FieldsV1";
  fieldsV1: JsonObject;
  subresource?: string;
}

/** Who writes, how, and when. */
export interface Writer {
  manager: string;
  apiVersion: string;
  /** "" for the main resource, "status", "scale" */
  subresource: string;
  /** RFC 3339 seconds, as metav1.Time */
  time: string;
}

/** metav1.Time's format: seconds, UTC. */
export function managedFieldsTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * Fields no manager owns (upstream's strip-meta manager): the identity and
 * bookkeeping the server sets. A whole `metadata` with nothing else under it goes too.
 */
const STRIPPED = new Set(
  ["apiVersion", "kind", "metadata", "metadata.name", "metadata.namespace", "metadata.creationTimestamp", "metadata.selfLink", "metadata.uid", "metadata.generation", "metadata.managedFields", "metadata.resourceVersion", "metadata.deletionTimestamp", "metadata.deletionGracePeriodSeconds"].map((p) =>
    joinPath(p.split(".").map((f) => `f:${f}`)),
  ),
);

/**
 * The fields of obj a writer of this subresource can own: the main resource
 * never owns status (it is reset there), the status subresource owns only status.
 */
export function ownedFieldsOf(obj: JsonObject, schema: PatchSchema, subresource: string): FieldSet {
  const all = fieldSetOf(obj, schema);
  const out: FieldSet = new Set();
  for (const p of all) {
    if (STRIPPED.has(p) || p.startsWith(`${joinPath(["f:metadata", "f:managedFields"])}`)) continue;
    const isStatus = p === "f:status" || p.startsWith(`f:status\u0000`);
    if (subresource === "status" ? !isStatus : isStatus) continue;
    out.add(p);
  }
  return out;
}

function entryKey(e: Pick<ManagedFieldsEntry, "manager" | "operation" | "subresource">): string {
  return `${e.manager}\u0000${e.operation}\u0000${e.subresource ?? ""}`;
}

function entriesOf(obj: JsonObject): ManagedFieldsEntry[] {
  const meta = obj.metadata as { managedFields?: unknown } | undefined;
  return Array.isArray(meta?.managedFields) ? (meta.managedFields as ManagedFieldsEntry[]) : [];
}

function entry(writer: Writer, operation: "Apply" | "Update", set: FieldSet): ManagedFieldsEntry {
  return {
    manager: writer.manager,
    operation,
    apiVersion: writer.apiVersion,
    time: writer.time,
    fieldsType: "FieldsV1",
    fieldsV1: toFieldsV1(set),
    ...(writer.subresource ? { subresource: writer.subresource } : {}),
  };
}

/** The entries with empty sets dropped (a manager that owns nothing has no entry). */
function withoutEmpty(entries: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  return entries.filter((e) => Object.keys(e.fieldsV1).length > 0);
}

/**
 * How upstream's conflict message names a manager (printManager over the
 * manager identifier, which never carries the time, and for an applier not the apiVersion).
 */
function describeManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === "Update") s += ` using ${e.apiVersion}`;
  return s;
}

interface Conflict {
  owner: ManagedFieldsEntry;
  path: string;
}

/** 409 as upstream's NewConflictError words it: one conflict inline, several grouped by manager. */
export function conflictError(conflicts: Conflict[]): ApiError {
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0]!.owner)}: ${pathString(splitPath(conflicts[0]!.path))}`;
  } else {
    const byManager = new Map<string, { owner: ManagedFieldsEntry; paths: string[] }>();
    for (const c of conflicts) {
      const k = JSON.stringify([c.owner.manager, c.owner.operation, c.owner.subresource ?? ""]);
      const group = byManager.get(k) ?? { owner: c.owner, paths: [] };
      group.paths.push(pathString(splitPath(c.path)));
      byManager.set(k, group);
    }
    const lines: string[] = [];
    for (const k of [...byManager.keys()].sort()) {
      const g = byManager.get(k)!;
      lines.push(`conflicts with ${describeManager(g.owner)}:`, ...g.paths.map((p) => `- ${p}`));
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
  }
  return new ApiError("Conflict", message, {
    causes: conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${describeManager(c.owner)}`, field: pathString(splitPath(c.path)) })),
  });
}

/**
 * Server-side apply's field bookkeeping. `merged` is the live object with
 * the configuration merged in (by the kind's merge keys); this checks
 * conflicts against `live`, removes from `merged` the fields the manager
 * stopped applying that no one else owns, and sets merged's managedFields.
 */
export function applyManagedFields(live: JsonObject, config: JsonObject, merged: JsonObject, schema: PatchSchema, writer: Writer, force: boolean): JsonObject {
  const entries = entriesOf(live);
  const mine = (e: ManagedFieldsEntry) => entryKey(e) === entryKey({ manager: writer.manager, operation: "Apply", subresource: writer.subresource });
  const applied = ownedFieldsOf(config, schema, writer.subresource);
  const before = entries.find(mine);
  const previously = before ? fromFieldsV1(before.fieldsV1) : new Set<string>();

  const others = entries.filter((e) => !mine(e)).map((e) => ({ e, set: fromFieldsV1(e.fieldsV1) }));
  const conflicts: Conflict[] = [];
  for (const o of others) {
    for (const p of applied) {
      if (!o.set.has(p) || p.endsWith(SELF)) continue;
      if (!jsonEqual(valueAt(config, splitPath(p)), valueAt(live, splitPath(p)))) conflicts.push({ owner: o.e, path: p });
    }
  }
  if (conflicts.length && !force) throw conflictError(conflicts);
  // Forced: the fields move to this manager.
  for (const c of conflicts) others.find((o) => o.e === c.owner)!.set.delete(c.path);

  const ownedByOthers = (p: string) => others.some((o) => o.set.has(p));
  // Deepest first, so that an item's fields go before the item.
  const dropped = [...previously].filter((p) => !applied.has(p) && !ownedByOthers(p)).sort((a, b) => splitPath(b).length - splitPath(a).length);
  for (const p of dropped) removeAt(merged, splitPath(p));

  const next: ManagedFieldsEntry[] = [];
  let placed = false;
  for (const e of entries) {
    if (mine(e)) {
      next.push(entry(writer, "Apply", applied));
      placed = true;
    } else {
      const o = others.find((x) => x.e === e)!;
      next.push({ ...e, fieldsV1: toFieldsV1(o.set) });
    }
  }
  if (!placed) next.push(entry(writer, "Apply", applied));
  setEntries(merged, withoutEmpty(next));
  return merged;
}

/**
 * An update's bookkeeping (create, PUT, a non-apply PATCH): the writer owns
 * every field whose value it changed or added, and no one else owns those
 * any more; fields that are gone leave every set. The entries start from
 * next's own managedFields (the caller puts the stored ones there, or keeps
 * those the request sent); `old` is undefined on create.
 */
export function updateManagedFields(old: JsonObject | undefined, next: JsonObject, schema: PatchSchema, writer: Writer): JsonObject {
  const entries = entriesOf(next);
  const now = ownedFieldsOf(next, schema, writer.subresource);
  const changed = new Set<string>();
  for (const p of now) if (!old || !jsonEqual(valueAt(old, splitPath(p)), valueAt(next, splitPath(p)))) changed.add(p);
  const key = entryKey({ manager: writer.manager, operation: "Update", subresource: writer.subresource });
  const result: ManagedFieldsEntry[] = [];
  let placed = false;
  for (const e of entries) {
    const set = fromFieldsV1(e.fieldsV1);
    for (const p of [...set]) if (changed.has(p) || valueAt(next, splitPath(p)) === undefined) set.delete(p);
    if (entryKey(e) === key) {
      for (const p of changed) set.add(p);
      placed = true;
      // Only a write that changed something moves the entry's time.
      result.push(changed.size ? entry(writer, "Update", set) : { ...e, fieldsV1: toFieldsV1(set) });
    } else result.push({ ...e, fieldsV1: toFieldsV1(set) });
  }
  if (!placed && changed.size) result.push(entry(writer, "Update", changed));
  setEntries(next, withoutEmpty(result));
  return next;
}

function setEntries(obj: JsonObject, entries: ManagedFieldsEntry[]): void {
  const meta = (obj.metadata ?? (obj.metadata = {})) as JsonObject;
  if (entries.length) meta.managedFields = entries;
  else delete meta.managedFields;
}

/** The User-Agent's product name, upstream's default field manager (`kubectl/v1.32.4 (linux/amd64) …` → `kubectl`). */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const name = (userAgent ?? "").split("/")[0]!.trim();
  return name.slice(0, 128) || "unknown";
}
