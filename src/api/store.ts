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
}

interface Recorded {
  rv: number;
  resource: ResourceInfo;
  event: WatchEvent;
}

interface Watcher {
  resource: ResourceInfo;
  options: WatchOptions;
  send: (event: WatchEvent) => void;
}

/** How many past events (at least) a watch may resume from before it gets 410 Gone. */
const HISTORY_LIMIT = 20_000;
const HISTORY_TRIM_BATCH = 2_000;

export class Store {
  private revision = 0;
  private readonly tables = new Map<ResourceInfo, Map<string, Stored<KubeObject>>>();
  private readonly history: Recorded[] = [];
  private readonly watchers = new Set<Watcher>();

  get resourceVersion(): string {
    return String(this.revision);
  }

  private table(resource: ResourceInfo): Map<string, Stored<KubeObject>> {
    let t = this.tables.get(resource);
    if (!t) {
      t = new Map();
      this.tables.set(resource, t);
    }
    return t;
  }

  get(resource: ResourceInfo, namespace: string | undefined, name: string): Stored<KubeObject> | undefined {
    return this.table(resource).get(keyOf(resource, namespace, name));
  }

  list(resource: ResourceInfo, namespace?: string, filter?: ObjectFilter): Stored<KubeObject>[] {
    const out: Stored<KubeObject>[] = [];
    for (const obj of this.table(resource).values()) {
      if (namespace && resource.namespaced && obj.metadata.namespace !== namespace) continue;
      if (filter && !filter(obj)) continue;
      out.push(obj);
    }
    return out.sort(compareByNamespaceAndName);
  }

  /** Stores obj (already complete apart from resourceVersion) and notifies watchers. */
  put(resource: ResourceInfo, obj: Stored<KubeObject>, type: "ADDED" | "MODIFIED"): Stored<KubeObject> {
    this.revision += 1;
    obj.metadata.resourceVersion = String(this.revision);
    this.table(resource).set(keyOf(resource, obj.metadata.namespace, obj.metadata.name), obj);
    this.emit(resource, type, obj);
    return obj;
  }

  remove(resource: ResourceInfo, obj: Stored<KubeObject>): Stored<KubeObject> {
    this.revision += 1;
    const removed = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.revision) } };
    this.table(resource).delete(keyOf(resource, obj.metadata.namespace, obj.metadata.name));
    this.emit(resource, "DELETED", removed);
    return removed;
  }

  private emit(resource: ResourceInfo, type: WatchEventType, object: Stored<KubeObject>): void {
    const event: WatchEvent = { type, object };
    this.history.push({ rv: this.revision, resource, event });
    // Trimmed in batches: dropping one entry per write moves all 20,000 each time.
    if (this.history.length > HISTORY_LIMIT + HISTORY_TRIM_BATCH) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    for (const w of this.watchers) if (w.resource === resource && matches(w, object)) w.send(event);
  }

  /**
   * Subscribes to changes. With a resourceVersion the events since then are
   * replayed first (or 410 Gone if they are no longer kept), as the API server does.
   */
  watch(resource: ResourceInfo, options: WatchOptions, send: (event: WatchEvent) => void): () => void {
    const watcher: Watcher = { resource, options, send };
    const from = options.resourceVersion ? Number(options.resourceVersion) : NaN;
    if (Number.isFinite(from) && from < this.revision) {
      const oldest = this.history[0]?.rv ?? this.revision + 1;
      if (from + 1 < oldest) throw new ApiError("Gone", `too old resource version: ${from} (${oldest - 1})`);
      for (const rec of this.history) {
        if (rec.rv > from && rec.resource === resource && matches(watcher, rec.event.object)) send(rec.event);
      }
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }
}

function matches(w: Watcher, obj: Stored<KubeObject>): boolean {
  if (w.options.namespace && w.resource.namespaced && obj.metadata.namespace !== w.options.namespace) return false;
  return !w.options.filter || w.options.filter(obj);
}

function keyOf(resource: ResourceInfo, namespace: string | undefined, name: string): string {
  return resource.namespaced ? `${namespace ?? ""}/${name}` : name;
}

function compareByNamespaceAndName(a: Stored<KubeObject>, b: Stored<KubeObject>): number {
  const ns = (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "");
  return ns !== 0 ? ns : a.metadata.name.localeCompare(b.metadata.name);
}
