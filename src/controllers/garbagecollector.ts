// Garbage collector: objects whose owners are all gone are deleted
// (background cascading deletion), e.g. a deleted Deployment's ReplicaSets
// and then their pods.
import { Controller } from "./controller.js";
import { RESOURCES, type ResourceInfo } from "../api/resources.js";
import type { KubeObject, Stored } from "../api/types.js";
import { ApiError } from "../api/errors.js";

export class GarbageCollector extends Controller {
  private readonly dependentKinds = RESOURCES.filter((r) => r.namespaced);

  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("garbage-collector", api);
  }

  start(): void {
    for (const r of RESOURCES) this.watch(r, (e) => (e.type === "DELETED" || e.object.metadata.deletionTimestamp ? [e.object.metadata.namespace ?? ""] : []));
    const t = setInterval(() => this.queue.add(""), 30_000);
    t.unref();
  }

  /** key: a namespace to sweep ("" = all). */
  protected sync(namespace: string): void {
    const live = new Set<string>();
    for (const r of RESOURCES) for (const o of this.api.list(r).items) live.add(o.metadata.uid);
    for (const r of this.dependentKinds) {
      for (const obj of this.api.list(r, { namespace: namespace || undefined }).items) {
        const owners = obj.metadata.ownerReferences ?? [];
        if (owners.length > 0 && owners.every((o) => !live.has(o.uid))) this.remove(r, obj);
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


