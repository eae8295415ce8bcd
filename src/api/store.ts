// In-memory object storage with a global resourceVersion and watch, the part
// of the API server that etcd plays. No validation here: see apiserver.ts.
import type { KubeObject, Stored, WatchEvent, WatchEventType } from "./types.js";
import type { ResourceInfo } from "./resources.js";
import { ApiError } from "./errors.js";

export type ObjectFilter = (obj: Stored<KubeObject>) => boolean;

export interface WatchOptions {
  namespace?: string;
  filter?: ObjectFilter;
  /** deliver events after this resourceVersion; "" or undefined = from now */
  resourceVersion?: string;
  /**
   * First an ADDED event for every object that matches now, then the changes
   * after now (upstream's "Get State and Start at Most Recent"); resourceVersion is then only a floor.
   */
  initialEvents?: boolean;
}

interface Recorded {
  rv: number;
  resource: ResourceInfo;
  event: WatchEvent;
  /** the object as it was before the event (undefined for ADDED): what a list at an older revision reads */
  prev?: Stored<KubeObject>;
}

interface Watcher {
  resource: ResourceInfo;
  options: WatchOptions;
  send: (event: WatchEvent) => void;
}

/** How many past events (at least) a watch may resume from before it gets 410 Expired. */
const HISTORY_LIMIT = 20_000;
const HISTORY_TRIM_BATCH = 2_000;

/** A slot for one object; an update replaces obj in place, keeping the slot's position. */
interface Entry {
  name: string;
  obj: Stored<KubeObject>;
}

/** One namespace's objects of a resource, by name and in list order. */
interface Bucket {
  byName: Map<string, Entry>;
  sorted: Entry[];
}

/**
 * A resource's objects: by key for get, and by namespace with names kept
 * sorted, so a list reads one namespace in order instead of scanning and
 * sorting the whole resource each time (every controller lists through here).
 */
interface Table {
  byKey: Map<string, Stored<KubeObject>>;
  buckets: Map<string, Bucket>;
  /** namespaces (metadata.namespace ?? "") that have a bucket, in list order */
  namespaces: string[];
}

/** Writes made inside a transaction: how to undo them, and their events until the commit. */
interface Transaction {
  revision: number;
  undo: (() => void)[];
  events: Recorded[];
}

export class Store {
  private revision = 0;
  private readonly tables = new Map<ResourceInfo, Table>();
  private readonly history: Recorded[] = [];
  /** The newest revision dropped from history: no watch or list can start before it (etcd's compacted revision). */
  private compacted = 0;
  private readonly watchers = new Set<Watcher>();
  private txn?: Transaction;

  get resourceVersion(): string {
    return String(this.revision);
  }

  /** The current revision, as a number. */
  get currentRevision(): number {
    return this.revision;
  }

  /** The oldest revision a watch may resume from or a list may read at. */
  get compactedRevision(): number {
    return this.compacted;
  }

  private table(resource: ResourceInfo): Table {
    let t = this.tables.get(resource);
    if (!t) {
      t = { byKey: new Map(), buckets: new Map(), namespaces: [] };
      this.tables.set(resource, t);
    }
    return t;
  }

  get(resource: ResourceInfo, namespace: string | undefined, name: string): Stored<KubeObject> | undefined {
    return this.table(resource).byKey.get(keyOf(resource, namespace, name));
  }

  /** How many objects of a resource are stored. */
  count(resource: ResourceInfo): number {
    return this.table(resource).byKey.size;
  }

  /**
   * Runs fn as one all-or-nothing change: if it throws, every write it made
   * is undone (resourceVersions included) and no watcher hears of any; if it
   * returns, watchers get its events in order. A transaction inside another
   * is part of the outer one.
   */
  transaction<T>(fn: () => T): T {
    if (this.txn) return fn();
    const txn: Transaction = { revision: this.revision, undo: [], events: [] };
    this.txn = txn;
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.txn = undefined;
      for (const undo of txn.undo.reverse()) undo();
      this.revision = txn.revision;
      throw err;
    }
    this.txn = undefined;
    for (const rec of txn.events) this.deliver(rec);
    return result;
  }

  /** Objects sorted by namespace, then name (the order kubectl get shows). */
  list(resource: ResourceInfo, namespace?: string, filter?: ObjectFilter): Stored<KubeObject>[] {
    const t = this.table(resource);
    const out: Stored<KubeObject>[] = [];
    const add = (bucket: Bucket | undefined): void => {
      if (!bucket) return;
      if (!filter) {
        for (const e of bucket.sorted) out.push(e.obj);
        return;
      }
      // The filter visits objects in the order they were stored, which reads a
      // big table measurably faster than name order; the matches are put in name order after.
      const matched: Entry[] = [];
      for (const e of bucket.byName.values()) if (filter(e.obj)) matched.push(e);
      if (matched.length === 0) return;
      if (matched.length * 8 < bucket.sorted.length) {
        // Stable: names that compare equal stay in the order they were stored, as in bucket.sorted.
        for (const e of matched.sort((a, b) => a.name.localeCompare(b.name))) out.push(e.obj);
        return;
      }
      const keep = new Set(matched);
      for (const e of bucket.sorted) if (keep.has(e)) out.push(e.obj);
    };
    if (namespace && resource.namespaced) add(t.buckets.get(namespace));
    else for (const ns of t.namespaces) add(t.buckets.get(ns));
    return out;
  }

  /** Stores obj (already complete apart from resourceVersion) and notifies watchers. */
  put(resource: ResourceInfo, obj: Stored<KubeObject>, type: "ADDED" | "MODIFIED"): Stored<KubeObject> {
    this.revision += 1;
    obj.metadata.resourceVersion = String(this.revision);
    const t = this.table(resource);
    if (this.txn) {
      const before = t.byKey.get(keyOf(resource, obj.metadata.namespace, obj.metadata.name));
      this.txn.undo.push(() => (before ? this.file(t, resource, before) : this.unfile(t, resource, obj)));
    }
    const prev = t.byKey.get(keyOf(resource, obj.metadata.namespace, obj.metadata.name));
    this.file(t, resource, obj);
    this.emit(resource, type, obj, prev);
    return obj;
  }

  remove(resource: ResourceInfo, obj: Stored<KubeObject>): Stored<KubeObject> {
    this.revision += 1;
    const removed = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.revision) } };
    const t = this.table(resource);
    if (this.txn) {
      const before = t.byKey.get(keyOf(resource, obj.metadata.namespace, obj.metadata.name));
      if (before) this.txn.undo.push(() => this.file(t, resource, before));
    }
    const prev = t.byKey.get(keyOf(resource, obj.metadata.namespace, obj.metadata.name));
    this.unfile(t, resource, obj);
    this.emit(resource, "DELETED", removed, prev);
    return removed;
  }

  private file(t: Table, resource: ResourceInfo, obj: Stored<KubeObject>): void {
    const key = keyOf(resource, obj.metadata.namespace, obj.metadata.name);
    const old = t.byKey.get(key);
    // Only a cluster-scoped object could change namespace under the same key (the API server forbids one there).
    if (old && bucketOf(old) !== bucketOf(obj)) this.unfile(t, resource, old);
    t.byKey.set(key, obj);
    const ns = bucketOf(obj);
    let bucket = t.buckets.get(ns);
    if (!bucket) {
      bucket = { byName: new Map(), sorted: [] };
      t.buckets.set(ns, bucket);
      t.namespaces.splice(upperBound(t.namespaces, ns, (x) => x), 0, ns);
    }
    const entry = bucket.byName.get(obj.metadata.name);
    if (entry) {
      entry.obj = obj;
      return;
    }
    const added: Entry = { name: obj.metadata.name, obj };
    bucket.byName.set(added.name, added);
    bucket.sorted.splice(upperBound(bucket.sorted, added.name, (e) => e.name), 0, added);
  }

  private unfile(t: Table, resource: ResourceInfo, obj: Stored<KubeObject>): void {
    const key = keyOf(resource, obj.metadata.namespace, obj.metadata.name);
    const stored = t.byKey.get(key);
    if (!stored) return;
    t.byKey.delete(key);
    const ns = bucketOf(stored);
    const bucket = t.buckets.get(ns)!;
    const entry = bucket.byName.get(stored.metadata.name)!;
    bucket.byName.delete(entry.name);
    removeSorted(bucket.sorted, entry, (e) => e.name);
    if (bucket.byName.size === 0) {
      t.buckets.delete(ns);
      removeSorted(t.namespaces, ns, (x) => x);
    }
  }

  private emit(resource: ResourceInfo, type: WatchEventType, object: Stored<KubeObject>, prev: Stored<KubeObject> | undefined): void {
    const rec: Recorded = { rv: this.revision, resource, event: { type, object }, ...(prev ? { prev } : {}) };
    if (this.txn) this.txn.events.push(rec);
    else this.deliver(rec);
  }

  private deliver(rec: Recorded): void {
    const { resource, event } = rec;
    const object = event.object;
    this.history.push(rec);
    // Trimmed in batches: dropping one entry per write moves all 20,000 each time.
    if (this.history.length > HISTORY_LIMIT + HISTORY_TRIM_BATCH) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT);
      this.compacted = dropped[dropped.length - 1]!.rv;
    }
    for (const w of this.watchers) {
      if (w.resource !== resource) continue;
      // One watcher that throws (a bug, an object it did not expect) must not keep the event from the others, nor fail the write.
      try {
        if (matches(w, object)) w.send(event);
      } catch (err) {
        console.error(`store: a watcher of ${resource.plural} failed on ${event.type} ${object.metadata.namespace ?? ""}/${object.metadata.name}: ${(err as Error)?.stack ?? err}`);
      }
    }
  }

  /**
   * Subscribes to changes. With a resourceVersion the events since then are
   * replayed first (or 410 Expired if they are no longer kept), as the API server does.
   */
  watch(resource: ResourceInfo, options: WatchOptions, send: (event: WatchEvent) => void): () => void {
    const watcher: Watcher = { resource, options, send };
    if (options.initialEvents) {
      // The current state is at least as new as any resourceVersion asked for (kemu's store is never behind).
      for (const obj of this.list(resource, options.namespace, options.filter)) send({ type: "ADDED", object: obj });
    } else {
      const from = options.resourceVersion ? Number(options.resourceVersion) : NaN;
      if (Number.isFinite(from) && from < this.revision) {
        this.requireRetained(from);
        for (const rec of this.history) {
          if (rec.rv > from && rec.resource === resource && matches(watcher, rec.event.object)) send(rec.event);
        }
      }
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** 410 Expired when the changes since revision are no longer kept (the watch cache's message). */
  private requireRetained(revision: number): void {
    if (revision < this.compacted) throw new ApiError("Expired", `too old resource version: ${revision} (${this.compacted})`);
  }

  /**
   * The objects as they were at an older revision, in list order: the current
   * ones with every later change undone from the history (etcd's read at a
   * revision). 410 Expired when that revision is no longer kept.
   */
  listAt(resource: ResourceInfo, revision: number, namespace?: string, filter?: ObjectFilter): Stored<KubeObject>[] {
    if (revision >= this.revision) return this.list(resource, namespace, filter);
    if (revision < this.compacted) throw new ApiError("Expired", "The resourceVersion for the provided list is too old.");
    const byKey = new Map<string, Stored<KubeObject> | undefined>();
    for (const obj of this.list(resource, namespace)) byKey.set(keyOf(resource, obj.metadata.namespace, obj.metadata.name), obj);
    // Newest first, so that the earliest change after revision is undone last and its prev wins.
    for (let i = this.history.length - 1; i >= 0 && this.history[i]!.rv > revision; i--) {
      const rec = this.history[i]!;
      if (rec.resource !== resource) continue;
      const obj = rec.event.object;
      if (namespace && resource.namespaced && obj.metadata.namespace !== namespace) continue;
      byKey.set(keyOf(resource, obj.metadata.namespace, obj.metadata.name), rec.prev);
    }
    const out: Stored<KubeObject>[] = [];
    for (const obj of byKey.values()) if (obj && (!filter || filter(obj))) out.push(obj);
    return out.sort(compareListOrder);
  }
}

/** The order lists come in: by namespace, then name. */
export function compareListOrder(a: Stored<KubeObject>, b: Stored<KubeObject>): number {
  return (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") || a.metadata.name.localeCompare(b.metadata.name);
}

function matches(w: Watcher, obj: Stored<KubeObject>): boolean {
  if (w.options.namespace && w.resource.namespaced && obj.metadata.namespace !== w.options.namespace) return false;
  return !w.options.filter || w.options.filter(obj);
}

function keyOf(resource: ResourceInfo, namespace: string | undefined, name: string): string {
  return resource.namespaced ? `${namespace ?? ""}/${name}` : name;
}

function bucketOf(obj: Stored<KubeObject>): string {
  return obj.metadata.namespace ?? "";
}

/**
 * Index of the first element that sorts after s. Inserting there keeps
 * strings that compare equal in insertion order, as the stable sort of a
 * whole table did.
 */
function upperBound<T>(sorted: T[], s: string, nameOf: (x: T) => string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (nameOf(sorted[mid]!).localeCompare(s) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function removeSorted<T>(sorted: T[], x: T, nameOf: (x: T) => string): void {
  // x sits just before its upper bound, or among equal-comparing names before it.
  const s = nameOf(x);
  for (let i = upperBound(sorted, s, nameOf) - 1; i >= 0 && nameOf(sorted[i]!).localeCompare(s) === 0; i--) {
    if (sorted[i] === x) {
      sorted.splice(i, 1);
      return;
    }
  }
}
