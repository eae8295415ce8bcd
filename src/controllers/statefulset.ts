// StatefulSet controller: pods with stable names <set>-<ordinal>, hostnames
// and subdomains, created in order and removed in reverse order
// (OrderedReady) or all at once (Parallel), and replaced from the highest
// ordinal down on a template change (RollingUpdate, honouring partition).
// Upstream: pkg/controller/statefulset (stateful_set_control.go, stateful_set_utils.go).
//
// Revisions are named <set>-<hash of the template> as upstream names its
// ControllerRevisions; kemu serves no ControllerRevision kind, so the
// templates of past revisions are kept in this controller's memory (which
// lives as long as the in-memory store does).
import { Controller, R, splitKey } from "./controller.js";
import type { KubeObject, Pod, PodTemplateSpec, StatefulSet, Stored } from "../api/types.js";
import { controllerOf, controllerRef, deepCopy, isControlledBy } from "../api/meta.js";
import { resourceByKind } from "../api/resources.js";
import { matchesRequirements, requirementsFromLabelSelector, type Requirement } from "../api/selectors.js";
import { ApiError } from "../api/errors.js";
import { templateHash } from "./hash.js";

export const STATEFULSETS = resourceByKind("StatefulSet")!;

export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
export const REVISION_LABEL = "controller-revision-hash";

const statefulPodName = /^(.*)-([0-9]+)$/;

/** Pods a sync creates at most (upstream's controllers cap a sync's creations at burstReplicas, 500). */
export const BURST_PODS = 500;

/** The parent set's name and the ordinal in a pod's name; ordinal -1 when the name has none. */
export function parentAndOrdinal(podName: string): { parent: string; ordinal: number } {
  const m = statefulPodName.exec(podName);
  if (!m) return { parent: "", ordinal: -1 };
  const ordinal = Number(m[2]);
  // Upstream parses an int32.
  return { parent: m[1]!, ordinal: Number.isSafeInteger(ordinal) && ordinal <= 2147483647 ? ordinal : -1 };
}

/** The name of the revision a template belongs to, as pods carry it in controller-revision-hash. */
export function revisionName(setName: string, template: PodTemplateSpec | undefined): string {
  return `${setName}-${templateHash(template ?? {})}`;
}

export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === "Running" && (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** Milliseconds until a running and ready pod counts as available (0: it is; Infinity: it is not ready). */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now = Date.now()): number {
  if (!isRunningAndReady(pod)) return Infinity;
  if (minReadySeconds <= 0) return 0;
  const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
  const since = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  if (Number.isNaN(since)) return 0;
  return Math.max(0, since + minReadySeconds * 1000 - now);
}

function isAvailable(pod: Pod, minReadySeconds: number): boolean {
  return msUntilAvailable(pod, minReadySeconds) === 0;
}

function isTerminating(pod: Stored<Pod>): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

function isHealthy(pod: Stored<Pod>, minReadySeconds: number): boolean {
  return !isTerminating(pod) && isAvailable(pod, minReadySeconds);
}

function revisionOf(pod: Stored<Pod>): string {
  return pod.metadata.labels?.[REVISION_LABEL] ?? "";
}

interface Revisions {
  current: string;
  currentTemplate: PodTemplateSpec;
  update: string;
  updateTemplate: PodTemplateSpec;
}

/** The status upstream writes, with its JSON shape (zero counts of omitempty fields left out). */
export interface StatefulSetStatusShape {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount: number;
  availableReplicas: number;
}

/**
 * Pure: the status of a set from its pods, completing a rolling update once
 * every pod is updated and ready (upstream computeReplicaStatus +
 * completeRollingUpdate).
 */
export function computeStatus(set: Stored<StatefulSet>, pods: Stored<Pod>[], currentRevision: string, updateRevision: string): StatefulSetStatusShape {
  const minReady = set.spec.minReadySeconds ?? 0;
  let ready = 0;
  let available = 0;
  let current = 0;
  let updated = 0;
  for (const pod of pods) {
    if (isRunningAndReady(pod)) {
      ready++;
      if (isAvailable(pod, minReady)) available++;
    }
    if (!isTerminating(pod)) {
      if (revisionOf(pod) === currentRevision) current++;
      if (revisionOf(pod) === updateRevision) updated++;
    }
  }
  let currentName = currentRevision;
  if ((set.spec.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate" && updated === pods.length && ready === pods.length) {
    current = updated;
    currentName = updateRevision;
  }
  const status: StatefulSetStatusShape = { replicas: pods.length, collisionCount: 0, availableReplicas: available };
  if (set.metadata.generation) status.observedGeneration = set.metadata.generation;
  if (ready) status.readyReplicas = ready;
  if (current) status.currentReplicas = current;
  if (updated) status.updatedReplicas = updated;
  if (currentName) status.currentRevision = currentName;
  if (updateRevision) status.updateRevision = updateRevision;
  return status;
}

/** Pure: the pod of ordinal `ordinal` for a set at a revision (upstream newStatefulSetPod + setPodRevision). */
export function newStatefulSetPod(set: Stored<StatefulSet>, template: PodTemplateSpec, revision: string, ordinal: number): KubeObject {
  const t = deepCopy(template);
  const name = `${set.metadata.name}-${ordinal}`;
  const spec = { ...(t.spec ?? { containers: [] }) };
  spec.hostname = name;
  if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
  else delete spec.subdomain;
  // One volume per claim template, named after the template, claiming <claim>-<set>-<ordinal>.
  const claims = (set.spec.volumeClaimTemplates ?? []).map((c) => c.metadata?.name ?? "").filter((n) => n !== "");
  if (claims.length > 0) {
    const others = (spec.volumes ?? []).filter((v) => !claims.includes(v.name));
    spec.volumes = [
      ...claims.map((claim) => ({ name: claim, persistentVolumeClaim: { claimName: `${claim}-${set.metadata.name}-${ordinal}` } })),
      ...others,
    ];
  }
  const metadata: KubeObject["metadata"] = {
    name,
    generateName: `${set.metadata.name}-`,
    namespace: set.metadata.namespace,
    labels: { ...(t.metadata?.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_LABEL]: revision },
    ownerReferences: [controllerRef(set)],
  };
  if (t.metadata?.annotations) metadata.annotations = t.metadata.annotations;
  if (t.metadata?.finalizers) metadata.finalizers = t.metadata.finalizers;
  return { apiVersion: "v1", kind: "Pod", metadata, spec };
}

export class StatefulSetController extends Controller {
  /** Templates by `<namespace>/<revision name>`, oldest first. */
  private readonly revisions = new Map<string, PodTemplateSpec>();

  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("statefulset-controller", api);
  }

  start(): void {
    this.watch(STATEFULSETS, (e) => [`${e.object.metadata.namespace}/${e.object.metadata.name}`]);
    this.watch(R.pods, (e) => {
      const ns = e.object.metadata.namespace;
      const owner = controllerOf(e.object);
      if (owner) return owner.kind === "StatefulSet" ? [`${ns}/${owner.name}`] : [];
      // An orphan may be adopted by the set its name points at.
      const { parent, ordinal } = parentAndOrdinal(e.object.metadata.name);
      return ordinal >= 0 && this.api.tryGet(STATEFULSETS, ns, parent) ? [`${ns}/${parent}`] : [];
    });
    this.enqueueAll(STATEFULSETS);
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const set = this.api.tryGet(STATEFULSETS, namespace, name) as Stored<StatefulSet> | undefined;
    if (!set) {
      this.forget(namespace ?? "", name);
      return;
    }
    let selector: Requirement[];
    try {
      selector = requirementsFromLabelSelector(set.spec.selector);
    } catch {
      return;
    }
    const pods = this.claimPods(set, selector);
    const revisions = this.revisionsOf(set);
    // A Parallel set creates at most BURST_PODS pods per sync; the rest come on the next one.
    if (!set.metadata.deletionTimestamp && this.reconcile(set, pods, revisions) === "more") this.queue.add(key);
    const after = this.ownedPods(set, selector);
    this.updateStatus(set, after, revisions);
    this.truncateHistory(set, after, revisions);
    this.requeueForAvailability(key, set, after);
  }

  /** The set's pods: adopts orphans that match its selector and name, releases pods that no longer do (upstream ClaimPods). */
  private claimPods(set: Stored<StatefulSet>, selector: Requirement[]): Stored<Pod>[] {
    const owned: Stored<Pod>[] = [];
    for (const pod of this.api.list(R.pods, { namespace: set.metadata.namespace }).items as Stored<Pod>[]) {
      const matches = matchesRequirements(selector, pod.metadata.labels) && parentAndOrdinal(pod.metadata.name).parent === set.metadata.name;
      const owner = controllerOf(pod);
      if (owner?.uid === set.metadata.uid) {
        if (matches) owned.push(pod);
        else this.setOwner(pod, (refs) => refs.filter((r) => r.uid !== set.metadata.uid));
      } else if (!owner && matches && !pod.metadata.deletionTimestamp && !set.metadata.deletionTimestamp) {
        const adopted = this.setOwner(pod, (refs) => [...refs, controllerRef(set)]);
        if (adopted) owned.push(adopted);
      }
    }
    return owned;
  }

  private ownedPods(set: Stored<StatefulSet>, selector: Requirement[]): Stored<Pod>[] {
    return (this.api.list(R.pods, { namespace: set.metadata.namespace }).items as Stored<Pod>[]).filter(
      (p) => isControlledBy(p, set) && matchesRequirements(selector, p.metadata.labels) && parentAndOrdinal(p.metadata.name).parent === set.metadata.name,
    );
  }

  private setOwner(pod: Stored<Pod>, change: (refs: NonNullable<Pod["metadata"]["ownerReferences"]>) => NonNullable<Pod["metadata"]["ownerReferences"]>): Stored<Pod> | undefined {
    const next = deepCopy(pod);
    next.metadata.ownerReferences = change(next.metadata.ownerReferences ?? []);
    try {
      return this.api.update(R.pods, next) as Stored<Pod>;
    } catch (err) {
      if (err instanceof ApiError && (err.reason === "NotFound" || err.reason === "Conflict")) return undefined;
      throw err;
    }
  }

  /** The current and update revisions: the update revision is the live template; an unknown current revision becomes it. */
  private revisionsOf(set: Stored<StatefulSet>): Revisions {
    const ns = set.metadata.namespace ?? "";
    const updateTemplate = set.spec.template;
    const update = revisionName(set.metadata.name, updateTemplate);
    const updateKey = `${ns}/${update}`;
    // Re-inserted so the map stays ordered by last use.
    this.revisions.delete(updateKey);
    this.revisions.set(updateKey, deepCopy(updateTemplate));
    const stored = set.status?.currentRevision;
    const known = stored ? this.revisions.get(`${ns}/${stored}`) : undefined;
    return known && stored
      ? { current: stored, currentTemplate: known, update, updateTemplate }
      : { current: update, currentTemplate: updateTemplate, update, updateTemplate };
  }

  /** Keeps the live revisions (current, update, those of existing pods) and revisionHistoryLimit others. */
  private truncateHistory(set: Stored<StatefulSet>, pods: Stored<Pod>[], revisions: Revisions): void {
    const ns = set.metadata.namespace ?? "";
    const prefix = `${ns}/${set.metadata.name}-`;
    const live = new Set([revisions.current, revisions.update, ...pods.map(revisionOf)].map((r) => `${ns}/${r}`));
    const history = [...this.revisions.keys()].filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes("-") && !live.has(k));
    const limit = set.spec.revisionHistoryLimit ?? 10;
    if (limit < 0) return;
    for (const k of history.slice(0, Math.max(0, history.length - limit))) this.revisions.delete(k);
  }

  private forget(namespace: string, name: string): void {
    const prefix = `${namespace}/${name}-`;
    for (const k of [...this.revisions.keys()]) if (k.startsWith(prefix) && !k.slice(prefix.length).includes("-")) this.revisions.delete(k);
  }

  /** Pod of an ordinal at the revision it should have: the current one below the partition, else the update one. */
  private versionedPod(set: Stored<StatefulSet>, revisions: Revisions, ordinal: number): KubeObject {
    const strategy = set.spec.updateStrategy ?? {};
    const rollingUpdate = strategy.rollingUpdate;
    const useCurrent =
      ((strategy.type ?? "RollingUpdate") === "RollingUpdate" && !rollingUpdate && ordinal < (set.status?.currentReplicas ?? 0)) ||
      (rollingUpdate !== undefined && rollingUpdate !== null && ordinal < (rollingUpdate.partition ?? 0));
    return useCurrent
      ? newStatefulSetPod(set, revisions.currentTemplate, revisions.current, ordinal)
      : newStatefulSetPod(set, revisions.updateTemplate, revisions.update, ordinal);
  }

  /**
   * One pass of upstream's updateStatefulSet: create/repair replicas, remove
   * condemned pods, roll out the update revision. Work is bounded by the pods
   * that exist, not by spec.replicas (an int32: 2 billion replicas is valid):
   * every loop over ordinals stops at the first missing pod, or once
   * BURST_PODS pods were created ("more": sync again).
   */
  private reconcile(set: Stored<StatefulSet>, pods: Stored<Pod>[], revisions: Revisions): "done" | "more" {
    const start = set.spec.ordinals?.start ?? 0;
    const count = set.spec.replicas ?? 1;
    const minReady = set.spec.minReadySeconds ?? 0;
    const monotonic = set.spec.podManagementPolicy !== "Parallel";
    const replicas = new Map<number, Stored<Pod> | undefined>();
    const condemned: Stored<Pod>[] = [];
    for (const pod of pods) {
      const { ordinal } = parentAndOrdinal(pod.metadata.name);
      if (ordinal >= start && ordinal < start + count) replicas.set(ordinal - start, pod);
      else if (ordinal >= 0) condemned.push(pod);
    }
    // Highest ordinal first.
    condemned.sort((a, b) => parentAndOrdinal(b.metadata.name).ordinal - parentAndOrdinal(a.metadata.name).ordinal);

    // The first unhealthy pod: a missing or unavailable replica, else the lowest unavailable condemned pod.
    let firstUnhealthy: Stored<Pod> | "missing" | undefined;
    for (let i = 0; i < count; i++) {
      const pod = replicas.get(i);
      if (!pod || !isHealthy(pod, minReady)) {
        firstUnhealthy = pod ?? "missing";
        break;
      }
    }
    if (firstUnhealthy === undefined) {
      for (let i = condemned.length - 1; i >= 0; i--) {
        if (!isHealthy(condemned[i]!, minReady)) {
          firstUnhealthy = condemned[i];
          break;
        }
      }
    }

    // Replicas, in ordinal order.
    let created = 0;
    for (let i = 0; i < count; i++) {
      const pod = replicas.get(i);
      if (pod && (pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded")) {
        // Recreated on a later sync, once this one is gone.
        if (!isTerminating(pod)) this.deletePod(set, pod);
        if (monotonic) return "done";
        continue;
      }
      if (!pod) {
        if (created === BURST_PODS) return "more";
        replicas.set(i, this.createPod(set, this.versionedPod(set, revisions, start + i)));
        created++;
        if (monotonic) return "done";
        continue;
      }
      if (isTerminating(pod)) {
        if (monotonic) return "done";
        continue;
      }
      if (monotonic && !isRunningAndReady(pod)) return "done";
      if (monotonic && !isAvailable(pod, minReady)) return "done";
      this.repairIdentity(pod);
    }

    // Condemned pods, highest ordinal first.
    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (monotonic) return "done";
        continue;
      }
      if (monotonic && pod !== firstUnhealthy && (!isRunningAndReady(pod) || !isAvailable(pod, minReady))) return "done";
      this.deletePod(set, pod);
      if (monotonic) return "done";
    }

    if (set.spec.updateStrategy?.type === "OnDelete") return "done";

    // Rolling update: replace the highest pod not at the update revision, then wait for it.
    const rollingUpdate = set.spec.updateStrategy?.rollingUpdate;
    const updateMin = rollingUpdate ? (rollingUpdate.partition ?? 0) : 0;
    for (let target = count - 1; target >= updateMin; target--) {
      const pod = replicas.get(target);
      if (!pod) return "done";
      if (revisionOf(pod) !== revisions.update && !isTerminating(pod)) {
        this.deletePod(set, pod);
        return "done";
      }
      if (!isHealthy(pod, minReady)) return "done";
    }
    return "done";
  }

  private createPod(set: Stored<StatefulSet>, pod: KubeObject): Stored<Pod> | undefined {
    try {
      const created = this.api.create(R.pods, pod, set.metadata.namespace) as Stored<Pod>;
      // stateful_pod_control.go recordPodEvent
      void this.events.normal(set, "SuccessfulCreate", `create Pod ${created.metadata.name} in StatefulSet ${set.metadata.name} successful`);
      return created;
    } catch (err) {
      // A pod of that name that is not ours (yet) is still there: wait for it to go.
      if (err instanceof ApiError && err.reason === "AlreadyExists") return undefined;
      throw err;
    }
  }

  private deletePod(set: Stored<StatefulSet>, pod: Stored<Pod>): void {
    try {
      this.api.delete(R.pods, pod.metadata.namespace, pod.metadata.name);
      void this.events.normal(set, "SuccessfulDelete", `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
    }
  }

  /** Restores the identity labels of a pod someone relabelled (upstream identityMatches / UpdateStatefulPod). */
  private repairIdentity(pod: Stored<Pod>): void {
    const { ordinal } = parentAndOrdinal(pod.metadata.name);
    const labels = pod.metadata.labels ?? {};
    if (labels[POD_NAME_LABEL] === pod.metadata.name && labels[POD_INDEX_LABEL] === String(ordinal)) return;
    const next = deepCopy(pod);
    next.metadata.labels = { ...labels, [POD_NAME_LABEL]: pod.metadata.name, [POD_INDEX_LABEL]: String(ordinal) };
    try {
      this.api.update(R.pods, next);
    } catch (err) {
      if (!(err instanceof ApiError && (err.reason === "NotFound" || err.reason === "Conflict"))) throw err;
    }
  }

  private updateStatus(set: Stored<StatefulSet>, pods: Stored<Pod>[], revisions: Revisions): void {
    const status = computeStatus(set, pods, revisions.current, revisions.update);
    const old = (set.status ?? {}) as Record<string, unknown>;
    const keys = new Set([...Object.keys(old).filter((k) => k !== "conditions"), ...Object.keys(status)]);
    const changed = [...keys].some((k) => old[k] !== (status as unknown as Record<string, unknown>)[k]);
    if (!changed) return;
    const next = { ...status, ...(old.conditions ? { conditions: old.conditions } : {}) };
    this.api.update(STATEFULSETS, { ...set, status: next }, set.metadata.namespace, { subresource: "status" });
  }

  /** With minReadySeconds, a ready pod becomes available later: look again then. */
  private requeueForAvailability(key: string, set: Stored<StatefulSet>, pods: Stored<Pod>[]): void {
    const minReady = set.spec.minReadySeconds ?? 0;
    if (minReady <= 0) return;
    const waits = pods.map((p) => msUntilAvailable(p, minReady)).filter((ms) => ms > 0 && ms !== Infinity);
    if (waits.length > 0) this.queue.addAfter(key, Math.min(...waits) + 50);
  }
}
