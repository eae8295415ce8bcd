// Namespace controller: a terminating namespace has its content deleted, and
// is removed once nothing is left in it. One sync issues at most
// DELETES_PER_SYNC deletions and queues itself again, so that emptying a
// namespace of 20,000 pods never holds the API server up.
import { Controller, R } from "./controller.js";
import { RESOURCES } from "../api/resources.js";
import { ApiError } from "../api/errors.js";

export const DELETES_PER_SYNC = 500;

/**
 * How long a terminating namespace's content is left alone, as upstream's
 * namespace controller waits (namespace_controller.go
 * namespaceDeletionGracePeriod, 5 s): `kubectl delete -f app.yaml` deletes
 * the Namespace first and then each object in it, which a real cluster
 * still has.
 */
export const NAMESPACE_DELETION_GRACE_MS = 5_000;

export class NamespaceController extends Controller {
  private readonly deletionGraceMs: number;

  /** deletionGraceMs: 0 unless given (the control plane gives NAMESPACE_DELETION_GRACE_MS). */
  constructor(api: ConstructorParameters<typeof Controller>[1], options: { deletionGraceMs?: number } = {}) {
    super("namespace-controller", api);
    this.deletionGraceMs = options.deletionGraceMs ?? 0;
  }

  start(): void {
    this.watch(R.namespaces, (e) => (e.object.metadata.deletionTimestamp && e.type !== "DELETED" ? [e.object.metadata.name] : []));
    for (const r of RESOURCES) {
      if (r.namespaced) this.watch(r, (e) => (e.type === "DELETED" && this.isTerminating(e.object.metadata.namespace) ? [e.object.metadata.namespace!] : []));
    }
  }

  private isTerminating(name: string | undefined): boolean {
    return Boolean(name && this.api.tryGet(R.namespaces, undefined, name)?.metadata.deletionTimestamp);
  }

  protected sync(name: string): void {
    const ns = this.api.tryGet(R.namespaces, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    const waited = Date.now() - Date.parse(ns.metadata.deletionTimestamp);
    if (waited < this.deletionGraceMs) {
      this.queue.addAfter(name, this.deletionGraceMs - waited);
      return;
    }
    let left = 0;
    let deleted = 0;
    for (const r of RESOURCES.filter((x) => x.namespaced)) {
      for (const obj of this.api.list(r, { namespace: name }).items) {
        left++;
        if (obj.metadata.deletionTimestamp) continue;
        if (deleted === DELETES_PER_SYNC) {
          this.queue.add(name);
          return;
        }
        deleted++;
        try {
          this.api.delete(r, name, obj.metadata.name);
        } catch (err) {
          if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
        }
      }
    }
    if (left === 0) this.api.finalize(R.namespaces, undefined, name);
  }
}
