// Disruption controller, as kube-controller-manager's (pkg/controller/disruption):
// each PodDisruptionBudget's status says how many of its pods are healthy
// (ready and not terminating), how many must stay so, how many pods are
// expected, and from that how many may be disrupted now, with the
// DisruptionAllowed condition. Expected pods come from the pods' controllers'
// scale (a Deployment through its ReplicaSets, a ReplicaSet, a StatefulSet)
// when the budget is a percentage or maxUnavailable; from the pods themselves
// for an integer minAvailable. Eviction does not consult it yet.
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IPodDisruptionBudgetStatus } from "kubernetes-models/policy/v1/PodDisruptionBudgetStatus";
import { PodLabelHistory } from "./pod-label-history.js";
import { Controller, R, splitKey } from "./controller.js";
import { resourceByKind } from "../api/resources.js";
import type { KubeObject, LabelSelector, ObjectMeta, Pod, Stored, WatchEvent } from "../api/types.js";
import { controllerOf, timestamp } from "../api/meta.js";
import { matchesLabelSelector } from "../api/selectors.js";
import { ApiError } from "../api/errors.js";
import { deepEqual } from "../api/validation/util.js";
import { isPodReady } from "../api/podutil.js";

export type PodDisruptionBudget = Omit<IPodDisruptionBudget, "metadata"> & { metadata: ObjectMeta } & KubeObject;
export type PodDisruptionBudgetStatus = IPodDisruptionBudgetStatus;
type Condition = PodDisruptionBudgetStatus["conditions"] extends (infer C)[] | undefined ? C : never;

const PDBS = resourceByKind("PodDisruptionBudget")!;
const STATEFULSETS = resourceByKind("StatefulSet")!;
export const DISRUPTION_ALLOWED = "DisruptionAllowed";

/** A pod's controller with its desired scale (the Deployment above a ReplicaSet), or undefined when none is found. */
export type ScaleOf = (pod: Stored<Pod>) => { uid: string; replicas: number } | undefined;

/** intstr.GetScaledValueFromIntOrPercent with rounding up. */
export function scaledValue(value: number | string, total: number): number {
  if (typeof value === "number") return value;
  const m = /^(\d+)%$/.exec(value);
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number(value);
}

/** getExpectedScale: the sum of the scales of the pods' controllers, each counted once; pods without a controller are left out. */
export function expectedScale(pods: Stored<Pod>[], scaleOf: ScaleOf): number | { error: string } {
  const seen = new Map<string, number>();
  for (const pod of pods) {
    if (!controllerOf(pod)) continue;
    const scale = scaleOf(pod);
    if (!scale) return { error: `found no controllers for pod "${pod.metadata.name}"` };
    seen.set(scale.uid, scale.replicas);
  }
  let total = 0;
  for (const n of seen.values()) total += n;
  return total;
}

/** getExpectedPodCount: [expectedPods, desiredHealthy], or why they cannot be known. */
export function expectedAndDesired(pdb: PodDisruptionBudget, pods: Stored<Pod>[], scaleOf: ScaleOf): [number, number] | { error: string } {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const expected = expectedScale(pods, scaleOf);
    if (typeof expected !== "number") return expected;
    return [expected, Math.max(0, expected - scaledValue(spec.maxUnavailable, expected))];
  }
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    if (typeof spec.minAvailable === "number") return [pods.length, spec.minAvailable];
    const expected = expectedScale(pods, scaleOf);
    if (typeof expected !== "number") return expected;
    return [expected, scaledValue(spec.minAvailable, expected)];
  }
  return [0, 0];
}

/** Upstream's DeletionTimeout: how long an evicted pod may take to start going before it counts again. */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

/**
 * buildDisruptedPodMap: the evictions (pods/eviction) still waiting for their
 * pod to go — entries of pods that are gone, being deleted, or past the
 * deletion timeout are dropped; and when the earliest of them times out.
 */
export function pendingDisruptions(pdb: PodDisruptionBudget, pods: Stored<Pod>[], nowMs: number): { disruptedPods: Record<string, string>; recheckAtMs?: number } {
  const disruptedPods: Record<string, string> = {};
  let recheckAtMs: number | undefined;
  const recorded = pdb.status?.disruptedPods ?? {};
  for (const pod of pods) {
    const at = recorded[pod.metadata.name];
    if (at === undefined || pod.metadata.deletionTimestamp) continue;
    const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (expires < nowMs) continue;
    disruptedPods[pod.metadata.name] = at;
    recheckAtMs = recheckAtMs === undefined ? expires : Math.min(recheckAtMs, expires);
  }
  return recheckAtMs === undefined ? { disruptedPods } : { disruptedPods, recheckAtMs };
}

/** countHealthyPods: ready pods that are neither being deleted nor just evicted. */
export function countHealthy(pods: Stored<Pod>[], disruptedPods: Record<string, string> = {}): number {
  return pods.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name in disruptedPods) && isPodReady(p)).length;
}

/** meta.SetStatusCondition: the transition time moves only when the status changes. */
function setCondition(conditions: Condition[], next: Omit<Condition, "lastTransitionTime">, now: string): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now;
  const updated = { ...next, lastTransitionTime } as Condition;
  return old ? conditions.map((c) => (c.type === next.type ? updated : c)) : [...conditions, updated];
}

/**
 * Pure: the status the budget should have. Disruptions are allowed only
 * while more pods are healthy than desired and some pods are expected (a
 * budget that matches nothing yet stays safe); when the expected count cannot
 * be known, none are allowed and the condition says why (SyncFailed).
 */
export function desiredStatus(pdb: Stored<PodDisruptionBudget>, pods: Stored<Pod>[], scaleOf: ScaleOf, now: string): PodDisruptionBudgetStatus {
  const { disruptedPods } = pendingDisruptions(pdb, pods, Date.parse(now));
  const old = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 };
  const counts = expectedAndDesired(pdb, pods, scaleOf);
  if (!Array.isArray(counts)) {
    const observedGeneration = old.observedGeneration ?? 0;
    const conditions = setCondition(old.conditions ?? [], { type: DISRUPTION_ALLOWED, status: "False", reason: "SyncFailed", message: counts.error, observedGeneration }, now);
    return { ...old, disruptionsAllowed: 0, conditions };
  }
  const [expectedPods, desiredHealthy] = counts;
  const currentHealthy = countHealthy(pods, disruptedPods);
  const allowed = currentHealthy - desiredHealthy;
  const disruptionsAllowed = expectedPods <= 0 || allowed <= 0 ? 0 : allowed;
  const observedGeneration = pdb.metadata.generation ?? 1;
  const condition =
    disruptionsAllowed > 0
      ? { type: DISRUPTION_ALLOWED, status: "True", reason: "SufficientPods", message: "", observedGeneration }
      : { type: DISRUPTION_ALLOWED, status: "False", reason: "InsufficientPods", message: "", observedGeneration };
  return {
    ...(Object.keys(disruptedPods).length ? { disruptedPods } : {}),
    observedGeneration,
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy,
    expectedPods,
    conditions: setCondition(old.conditions ?? [], condition, now),
  };
}

function selectedPods(pdb: PodDisruptionBudget, pods: Stored<Pod>[]): Stored<Pod>[] {
  // policy/v1: an empty selector selects every pod of the namespace, a missing one none.
  return pods.filter((p) => matchesLabelSelector(pdb.spec?.selector as LabelSelector | undefined, p.metadata.labels));
}

export class DisruptionController extends Controller {
  /** A relabelled pod concerns the budgets it left too. */
  private readonly podLabels = new PodLabelHistory();

  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("disruption-controller", api);
  }

  start(): void {
    this.watch(PDBS, (e) => (e.type === "BOOKMARK" || e.type === "ERROR" || e.type === "DELETED" ? [] : [`${e.object.metadata.namespace}/${e.object.metadata.name}`]));
    this.watch(R.pods, (e) => this.onPod(e));
    // A controller's scale is part of the expected count.
    for (const r of [R.deployments, R.replicasets, STATEFULSETS]) this.watch(r, (e) => this.budgetsIn(e.object.metadata.namespace ?? ""));
    this.enqueueAll(PDBS);
  }

  private budgetsIn(namespace: string, wanted: (pdb: PodDisruptionBudget) => boolean = () => true): string[] {
    return (this.api.list(PDBS, { namespace }).items as Stored<PodDisruptionBudget>[]).filter(wanted).map((p) => `${namespace}/${p.metadata.name}`);
  }

  private onPod(e: WatchEvent): string[] {
    const change = this.podLabels.observe(e);
    if (!change) return [];
    const selector = (pdb: PodDisruptionBudget) => pdb.spec?.selector as LabelSelector | undefined;
    return this.budgetsIn(change.namespace, (pdb) => matchesLabelSelector(selector(pdb), change.labels) || (change.before !== undefined && matchesLabelSelector(selector(pdb), change.before)));
  }

  /** The finders of upstream's controller: ReplicaSet (and the Deployment above it), StatefulSet. */
  private readonly scaleOf: ScaleOf = (pod) => {
    const ref = controllerOf(pod);
    const namespace = pod.metadata.namespace;
    if (!ref) return undefined;
    const found = (resource: typeof R.replicasets, name: string, uid: string) => {
      const obj = this.api.tryGet(resource, namespace, name);
      return obj && obj.metadata.uid === uid ? obj : undefined;
    };
    const replicas = (obj: KubeObject) => ((obj.spec as { replicas?: number } | undefined)?.replicas ?? 1);
    if (ref.kind === "ReplicaSet" && ref.apiVersion?.startsWith("apps/")) {
      const rs = found(R.replicasets, ref.name, ref.uid);
      if (!rs) return undefined;
      const owner = controllerOf(rs);
      if (owner?.kind === "Deployment") {
        const d = found(R.deployments, owner.name, owner.uid);
        if (d) return { uid: d.metadata.uid, replicas: replicas(d) };
      }
      return { uid: rs.metadata.uid, replicas: replicas(rs) };
    }
    if (ref.kind === "StatefulSet" && ref.apiVersion?.startsWith("apps/")) {
      const set = found(STATEFULSETS, ref.name, ref.uid);
      return set ? { uid: set.metadata.uid, replicas: replicas(set) } : undefined;
    }
    return undefined;
  };

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const pdb = this.api.tryGet(PDBS, namespace, name) as Stored<PodDisruptionBudget> | undefined;
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const pods = selectedPods(pdb, this.api.list(R.pods, { namespace }).items as Stored<Pod>[]);
    const now = timestamp();
    const status = desiredStatus(pdb, pods, this.scaleOf, now);
    // an eviction whose pod never goes counts again after the deletion timeout
    const { recheckAtMs } = pendingDisruptions(pdb, pods, Date.parse(now));
    if (recheckAtMs !== undefined) this.queue.addAfter(key, recheckAtMs - Date.parse(now) + 1000);
    if (deepEqual(status, pdb.status)) return;
    try {
      this.api.update(PDBS, { ...pdb, status } as KubeObject, namespace, { subresource: "status" });
    } catch (err) {
      // Deleted meanwhile, or changed: the watch brings it back if it still matters.
      if (err instanceof ApiError && (err.reason === "NotFound" || err.reason === "Conflict")) {
        if (err.reason === "Conflict") this.queue.add(key);
        return;
      }
      throw err;
    }
  }
}
