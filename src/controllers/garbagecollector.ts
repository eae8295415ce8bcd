// Garbage collector: objects whose owners are all gone are deleted
// (background cascading deletion), e.g. a deleted Deployment's ReplicaSets
// and then their pods.
//
// Like upstream's dependency graph, it keeps indexes from watch events
// (live uids, each owner's dependents), so an owner's deletion looks only at
// that owner's dependents instead of listing everything. A periodic sweep
// over the store stays as the safety net.
import { Controller } from "./controller.js";
import { RESOURCES, type ResourceInfo } from "../api/resources.js";
import type { KubeObject, Stored, WatchEvent } from "../api/types.js";
import { ApiError } from "../api/errors.js";

/** A namespaced object with ownerReferences (only those can be collected). */
interface Dependent {
  resource: ResourceInfo;
  namespace: string | undefined;
  name: string;
  owners: string[];
}

/** Queue key of the periodic sweep; every other key is a dependent's uid. */
const SWEEP = "";

const DELETES_PER_SWEEP = 500;

export class GarbageCollector extends Controller {
  private readonly dependentKinds = RESOURCES.filter((r) => r.namespaced);
  /** uids of every object in the store, of any resource */
  private readonly live = new Set<string>();
  /** dependent uid → where it is and whom it names as owners */
  private readonly dependents = new Map<string, Dependent>();
  /** owner uid → uids of the dependents naming it (kept after the owner is gone) */
  private readonly byOwner = new Map<string, Set<string>>();

  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("garbage-collector", api);
  }

  start(): void {
    for (const r of RESOURCES) this.watch(r, (e) => this.onEvent(r, e));
    // Watches first, then the list: nothing can be written in between (all of
    // this is synchronous), and later events arrive as upserts.
    const orphans: string[] = [];
    for (const r of RESOURCES) for (const o of this.api.list(r).items) this.index(r, o);
    for (const [uid, dep] of this.dependents) if (this.orphaned(dep)) orphans.push(uid);
    orphans.forEach((uid) => this.queue.add(uid));
    const t = setInterval(() => this.queue.add(SWEEP), 30_000);
    t.unref();
  }

  private onEvent(resource: ResourceInfo, e: WatchEvent): string[] {
    if (e.type === "BOOKMARK" || e.type === "ERROR") return [];
    const obj = e.object;
    const uid = obj.metadata.uid;
    if (e.type === "DELETED") {
      this.forget(uid);
      this.live.delete(uid);
      return [...(this.byOwner.get(uid) ?? [])];
    }
    this.index(resource, obj);
    // An object naming only owners that are gone (or never existed) goes too.
    const dep = this.dependents.get(uid);
    return dep && this.orphaned(dep) ? [uid] : [];
  }

  private index(resource: ResourceInfo, obj: Stored<KubeObject>): void {
    const uid = obj.metadata.uid;
    this.live.add(uid);
    if (!resource.namespaced) return;
    this.forget(uid);
    const refs: unknown = obj.metadata.ownerReferences;
    const owners = Array.isArray(refs) ? refs.map((o: { uid?: unknown }) => o?.uid).filter((u): u is string => typeof u === "string") : [];
    if (owners.length === 0) return;
    this.dependents.set(uid, { resource, namespace: obj.metadata.namespace, name: obj.metadata.name, owners });
    for (const owner of owners) {
      let deps = this.byOwner.get(owner);
      if (!deps) this.byOwner.set(owner, (deps = new Set()));
      deps.add(uid);
    }
  }

  /** Drops a dependent's entries (not its liveness). */
  private forget(uid: string): void {
    const dep = this.dependents.get(uid);
    if (!dep) return;
    this.dependents.delete(uid);
    for (const owner of dep.owners) {
      const deps = this.byOwner.get(owner);
      deps?.delete(uid);
      if (deps?.size === 0) this.byOwner.delete(owner);
    }
  }

  private orphaned(dep: Dependent): boolean {
    return dep.owners.every((o) => !this.live.has(o));
  }

  /** key: a dependent's uid, or SWEEP for a pass over everything in the store. */
  protected sync(key: string): void {
    if (key === SWEEP) return this.sweep();
    const dep = this.dependents.get(key);
    if (!dep || !this.orphaned(dep)) return;
    const obj = this.api.tryGet(dep.resource, dep.namespace, dep.name);
    // The name may already belong to a newer object.
    if (obj?.metadata.uid === key) this.remove(dep.resource, obj);
  }

  /**
   * The indexes' safety net: every object of the store, checked against every
   * live uid. At most DELETES_PER_SWEEP deletions at a time; the sweep queues
   * itself again for the rest.
   */
  private sweep(): void {
    const live = new Set<string>();
    for (const r of RESOURCES) for (const o of this.api.list(r).items) live.add(o.metadata.uid);
    let deleted = 0;
    for (const r of this.dependentKinds) {
      for (const obj of this.api.list(r).items) {
        const owners = Array.isArray(obj.metadata.ownerReferences) ? obj.metadata.ownerReferences : [];
        if (owners.length === 0 || obj.metadata.deletionTimestamp || !owners.every((o) => !live.has(o.uid))) continue;
        if (deleted === DELETES_PER_SWEEP) {
          this.queue.add(SWEEP);
          return;
        }
        this.remove(r, obj);
        deleted++;
      }
    }
  }

  private remove(resource: ResourceInfo, obj: Stored<KubeObject>): void {
    if (obj.metadata.deletionTimestamp) return;
    try {
      this.api.delete(resource, obj.metadata.namespace, obj.metadata.name);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
    }
  }
}
