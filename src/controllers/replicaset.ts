// ReplicaSet controller: keeps spec.replicas active pods that match the
// selector, creating from the template or deleting the least valuable pods.
import { Controller, R, splitKey } from "./controller.js";
import type { KubeObject, Pod, ReplicaSet, Stored } from "../api/types.js";
import { controllerOf, controllerRef, deepCopy, isControlledBy } from "../api/meta.js";
import { requirementsFromLabelSelector, matchesRequirements } from "../api/selectors.js";
import { isPodActive, isPodAvailable, isPodReady } from "./podutil.js";
import { ApiError } from "../api/errors.js";

export class ReplicaSetController extends Controller {
  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("replicaset-controller", api);
  }

  start(): void {
    this.watch(R.replicasets, (e) => [`${e.object.metadata.namespace}/${e.object.metadata.name}`]);
    this.watch(R.pods, (e) => {
      const owner = controllerOf(e.object);
      return owner?.kind === "ReplicaSet" ? [`${e.object.metadata.namespace}/${owner.name}`] : [];
    });
    this.enqueueAll(R.replicasets);
    // availableReplicas depends on time (minReadySeconds): resync now and then.
    const t = setInterval(() => this.enqueueAll(R.replicasets), 5_000);
    t.unref();
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const rs = this.api.tryGet(R.replicasets, namespace, name) as Stored<ReplicaSet> | undefined;
    if (!rs || rs.metadata.deletionTimestamp) return;
    const selector = requirementsFromLabelSelector(rs.spec.selector);
    const owned = (this.api.list(R.pods, { namespace }).items as Stored<Pod>[]).filter(
      (p) => isControlledBy(p, rs) && matchesRequirements(selector, p.metadata.labels),
    );
    const active = owned.filter(isPodActive);
    const want = rs.spec.replicas ?? 1;

    if (active.length < want) {
      for (let i = active.length; i < want; i++) this.createPod(rs);
    } else if (active.length > want) {
      for (const pod of rankForDeletion(active).slice(0, active.length - want)) {
        try {
          this.api.delete(R.pods, namespace, pod.metadata.name);
        } catch (err) {
          if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
        }
      }
    }
    this.updateStatus(rs, this.api.list(R.pods, { namespace }).items.filter((p) => isControlledBy(p, rs)) as Stored<Pod>[]);
  }

  private createPod(rs: Stored<ReplicaSet>): void {
    const template = deepCopy(rs.spec.template ?? {});
    const pod: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...(template.metadata ?? {}),
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        ownerReferences: [controllerRef(rs)],
      },
      spec: template.spec,
    };
    delete pod.metadata!.name;
    this.api.create(R.pods, pod, rs.metadata.namespace);
  }

  private updateStatus(rs: Stored<ReplicaSet>, pods: Stored<Pod>[]): void {
    const active = pods.filter(isPodActive);
    const minReady = rs.spec.minReadySeconds ?? 0;
    const selector = rs.spec.template?.metadata?.labels ?? {};
    const status = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, minReady)).length,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    const old = (rs.status ?? {}) as Record<string, unknown>;
    const changed = Object.entries(status).some(([k, v]) => (old[k] ?? 0) !== v);
    if (changed) this.api.update(R.replicasets, { ...rs, status: { ...old, ...status } }, rs.metadata.namespace, { subresource: "status" });
  }
}

/** Upstream's order of preference for scale-down: the pods least useful go first. */
export function rankForDeletion(pods: Stored<Pod>[]): Stored<Pod>[] {
  const phaseRank = (p: Pod) => (p.status?.phase === "Pending" ? 0 : p.status?.phase === "Unknown" ? 1 : 2);
  const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
  return [...pods].sort(
    (a, b) =>
      Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName)) ||
      phaseRank(a) - phaseRank(b) ||
      Number(isPodReady(a)) - Number(isPodReady(b)) ||
      restarts(b) - restarts(a) ||
      Date.parse(b.metadata.creationTimestamp) - Date.parse(a.metadata.creationTimestamp),
  );
}
