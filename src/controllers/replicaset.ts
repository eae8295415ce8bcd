// ReplicaSet controller: keeps spec.replicas active pods that match the
// selector, creating from the template or deleting the least valuable pods.
// As upstream, one sync creates or deletes at most burstReplicas (500) pods,
// and creates them in slow-start batches (1, 2, 4, …) that stop at the first
// error (a quota, kemu's pod limit): spec.replicas is an int32, and 2 billion
// is valid. Between batches the controller yields, so the API keeps answering.
import { Controller, R, splitKey } from "./controller.js";
import type { KubeObject, Pod, ReplicaSet, Stored } from "../api/types.js";
import { controllerOf, controllerRef, deepCopy, isControlledBy } from "../api/meta.js";
import { requirementsFromLabelSelector, matchesRequirements } from "../api/selectors.js";
import { isPodActive, isPodAvailable, isPodReady } from "../api/podutil.js";
import { ApiError } from "../api/errors.js";
import { backoffMs } from "./workqueue.js";

/** upstream's burstReplicas: pods one sync creates or deletes at most */
export const BURST_REPLICAS = 500;
/** upstream's SlowStartInitialBatchSize */
const SLOW_START_INITIAL_BATCH = 1;

/**
 * upstream's slowStartBatch: calls fn `count` times in batches of 1, 2, 4, …,
 * stopping after the first batch with a failure; yields between batches.
 * Returns how many calls succeeded and the first error.
 */
export async function slowStartBatch(count: number, fn: () => void, yieldBetween: () => Promise<void>): Promise<{ done: number; error?: unknown }> {
  let done = 0;
  for (let batch = Math.min(count, SLOW_START_INITIAL_BATCH); batch > 0; batch = Math.min(2 * batch, count - done)) {
    let error: unknown;
    for (let i = 0; i < batch; i++) {
      try {
        fn();
        done++;
      } catch (err) {
        error ??= err;
      }
    }
    if (error !== undefined) return { done, error };
    if (done < count) await yieldBetween();
  }
  return { done };
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ReplicaSetController extends Controller {
  /** What the controller last saw of each pod a ReplicaSet controls (podFingerprint), by uid. */
  private readonly seen = new Map<string, string>();
  /** Sets whose pod creations were refused, with when to try again and how often it failed: events do not cut the back-off short. */
  private readonly refused = new Map<string, { until: number; failures: number }>();

  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("replicaset-controller", api);
  }

  start(): void {
    this.watch(R.replicasets, (e) => [`${e.object.metadata.namespace}/${e.object.metadata.name}`]);
    this.watch(R.pods, (e) => {
      const owner = controllerOf(e.object);
      const uid = e.object.metadata.uid;
      if (owner?.kind !== "ReplicaSet") {
        this.seen.delete(uid);
        return [];
      }
      const key = `${e.object.metadata.namespace}/${owner.name}`;
      if (e.type === "DELETED") {
        this.seen.delete(uid);
        return [key];
      }
      // As upstream's updatePod: a change the set cannot see (a scheduling condition, say) does not wake it.
      const seen = podFingerprint(e.object as Stored<Pod>);
      if (this.seen.get(uid) === seen) return [];
      this.seen.set(uid, seen);
      return [key];
    });
    this.enqueueAll(R.replicasets);
    // availableReplicas depends on time (minReadySeconds): resync now and then.
    const t = setInterval(() => this.enqueueAll(R.replicasets), 5_000);
    t.unref();
  }

  protected async sync(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const rs = this.api.tryGet(R.replicasets, namespace, name) as Stored<ReplicaSet> | undefined;
    if (!rs || rs.metadata.deletionTimestamp) {
      this.refused.delete(key);
      return;
    }
    const selector = requirementsFromLabelSelector(rs.spec.selector);
    const owned = (this.api.list(R.pods, { namespace }).items as Stored<Pod>[]).filter(
      (p) => isControlledBy(p, rs) && matchesRequirements(selector, p.metadata.labels),
    );
    const active = owned.filter(isPodActive);
    const want = rs.spec.replicas ?? 1;

    let failure: unknown;
    const refused = this.refused.get(key);
    if (active.length < want && refused && Date.now() < refused.until) {
      this.queue.addAfter(key, refused.until - Date.now());
    } else if (active.length < want) {
      const diff = Math.min(want - active.length, BURST_REPLICAS);
      // The set may be deleted or changed while the batches yield: then the rest is left to its next sync.
      const current = () => this.api.tryGet(R.replicasets, namespace, name)?.metadata.resourceVersion === rs.metadata.resourceVersion;
      const { done, error } = await slowStartBatch(diff, () => (current() ? this.createPod(rs) : undefined), nextTick);
      failure = error;
      if (failure !== undefined) {
        const failures = (refused?.failures ?? 0) + 1;
        this.refused.set(key, { until: Date.now() + backoffMs(failures), failures });
      } else {
        this.refused.delete(key);
        if (want - active.length > done) this.queue.add(key);
      }
    } else if (active.length > want) {
      const diff = Math.min(active.length - want, BURST_REPLICAS);
      for (const pod of rankForDeletion(active).slice(0, diff)) {
        try {
          this.api.delete(R.pods, namespace, pod.metadata.name);
          // controller_utils.go DeletePod
          void this.events.normal(rs, "SuccessfulDelete", `Deleted pod: ${pod.metadata.name}`);
        } catch (err) {
          if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
        }
      }
      if (active.length - want > diff) this.queue.add(key);
    }
    const latest = this.api.tryGet(R.replicasets, namespace, name) as Stored<ReplicaSet> | undefined;
    if (latest && latest.metadata.uid === rs.metadata.uid) {
      // Unchanged pods (nothing created or deleted): the list already read serves.
      const changed = active.length !== want;
      this.updateStatus(latest, changed ? (this.api.list(R.pods, { namespace }).items.filter((p) => isControlledBy(p, latest)) as Stored<Pod>[]) : owned);
    }
    // A refused create (kemu's pod limit, say) is logged and retried after the back-off.
    if (failure !== undefined) {
      this.queue.addAfter(key, this.refused.get(key)!.until - Date.now());
      throw failure;
    }
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
    const created = this.api.create(R.pods, pod, rs.metadata.namespace);
    // controller_utils.go CreatePods
    void this.events.normal(rs, "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
  }

  private updateStatus(rs: Stored<ReplicaSet>, pods: Stored<Pod>[]): void {
    const minReady = rs.spec.minReadySeconds ?? 0;
    const templateLabels = Object.entries(rs.spec.template?.metadata?.labels ?? {});
    const now = Date.now();
    // One pass: a ReplicaSet may own 20,000 pods.
    let replicas = 0;
    let fullyLabeled = 0;
    let ready = 0;
    let available = 0;
    for (const p of pods) {
      if (!isPodActive(p)) continue;
      replicas++;
      const labels = p.metadata.labels;
      if (templateLabels.every(([k, v]) => labels?.[k] === v)) fullyLabeled++;
      if (isPodReady(p)) ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
    const status = {
      replicas,
      fullyLabeledReplicas: fullyLabeled,
      readyReplicas: ready,
      availableReplicas: available,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    const old = (rs.status ?? {}) as Record<string, unknown>;
    const changed = Object.entries(status).some(([k, v]) => (old[k] ?? 0) !== v);
    if (changed) this.api.update(R.replicasets, { ...rs, status: { ...old, ...status } }, rs.metadata.namespace, { subresource: "status" });
  }
}

/**
 * What a ReplicaSet's sync counts of a pod: owner, labels, active or not,
 * readiness (with its time, for availability). A pod going from no phase to
 * Pending, a scheduling condition, a new IP change none of it.
 */
export function podFingerprint(pod: Stored<Pod>): string {
  const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
  return JSON.stringify([controllerOf(pod)?.uid, pod.metadata.labels, isPodActive(pod), ready?.status, ready?.lastTransitionTime]);
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
