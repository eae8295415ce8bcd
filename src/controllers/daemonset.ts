// DaemonSet controller: one pod per eligible node, as kube-controller-manager's
// (pkg/controller/daemon: daemon_controller.go manage/syncNodes/
// updateDaemonSetStatus, update.go rollingUpdate/constructHistory, and
// util/daemonset_util.go). A node is eligible when the pod would fit it by
// nodeSelector, required node affinity and taints (with the tolerations the
// controller adds to every daemon pod). Pods are not bound here: each gets a
// required node affinity on metadata.name and the scheduler binds it.
// Template history lives in ControllerRevisions named <set>-<hash>, which is
// what `kubectl rollout history/undo daemonset` reads.
import { Controller, R, splitKey } from "./controller.js";
import type { ControllerRevision, DaemonSet, KubeObject, Node, Pod, PodSpec, PodTemplateSpec, Stored } from "../api/types.js";
import type { Admission } from "../api/apiserver.js";
import type { ResourceInfo } from "../api/resources.js";
import { resourceByKind } from "../api/resources.js";
import { controllerOf, controllerRef, deepCopy, isControlledBy } from "../api/meta.js";
import { matchesRequirements, requirementsFromLabelSelector } from "../api/selectors.js";
import { ApiError } from "../api/errors.js";
import { templateHash } from "./hash.js";
import { isPodAvailable, isPodReady } from "../api/podutil.js";
import { resolveIntOrPercent } from "./rollout.js";
import { matchesNodeSelectorAndAffinity } from "./nodeaffinity.js";
import { untoleratedTaints, type Toleration } from "./nodelifecycle/taints.js";

export const DAEMONSETS = resourceByKind("DaemonSet")!;
export const CONTROLLER_REVISIONS = resourceByKind("ControllerRevision")!;

export const REVISION_HASH_LABEL = "controller-revision-hash";
export const TEMPLATE_GENERATION_LABEL = "pod-template-generation";
export const TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation";

/** AddOrUpdateDaemonPodTolerations: daemon pods survive node problems and run on unschedulable nodes. */
export function addDaemonPodTolerations(spec: PodSpec): PodSpec {
  const wanted: Toleration[] = [
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
  ];
  if (spec.hostNetwork) wanted.push({ key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" });
  const tolerations = [...((spec.tolerations ?? []) as Toleration[])];
  for (const t of wanted) {
    // AddOrUpdateTolerationInPodSpec: one with the same key, operator, value and effect is replaced.
    const i = tolerations.findIndex((x) => (x.key ?? "") === t.key && (x.operator ?? "Equal") === t.operator && (x.value ?? "") === "" && (x.effect ?? "") === t.effect);
    if (i >= 0) tolerations[i] = t;
    else tolerations.push(t);
  }
  return { ...spec, tolerations } as PodSpec;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become the one term naming the node. */
export function withNodeNameAffinity(spec: PodSpec, nodeName: string): PodSpec {
  const term = { matchFields: [{ key: "metadata.name", operator: "In" as const, values: [nodeName] }] };
  const affinity = { ...(spec.affinity ?? {}) };
  const nodeAffinity = { ...(affinity.nodeAffinity ?? {}) };
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { ...(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution ?? {}), nodeSelectorTerms: [term] };
  affinity.nodeAffinity = nodeAffinity;
  return { ...spec, affinity };
}

/** GetTargetNodeName: the bound node, else the node the matchFields term names. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) if (f.key === "metadata.name" && f.operator === "In" && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

/**
 * NodeShouldRunDaemonPod: shouldRun when the daemon pod fits the node;
 * shouldContinueRunning when an existing pod may stay (it tolerates the
 * node's NoExecute taints). A node the pod does not select runs none.
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = addDaemonPodTolerations(deepCopy(ds.spec.template.spec ?? { containers: [] }));
  const pod = { apiVersion: "v1", kind: "Pod", metadata: {}, spec } as Pod;
  if (spec.nodeName && spec.nodeName !== node.metadata?.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!matchesNodeSelectorAndAffinity(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  if (untoleratedTaints(pod, node, ["NoSchedule", "NoExecute"]).length > 0) {
    return { shouldRun: false, shouldContinueRunning: untoleratedTaints(pod, node, ["NoExecute"]).length === 0 };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The hash of a set's template, as its pods and ControllerRevisions carry it (controller-revision-hash). */
export function daemonSetHash(ds: DaemonSet): string {
  return templateHash(ds.spec.template, ds.status?.collisionCount ?? 0);
}

/** The pod for one node (upstream CreatePodTemplate + ReplaceDaemonSetPodNodeNameNodeAffinity). */
export function newDaemonPod(ds: Stored<DaemonSet>, nodeName: string, hash: string): KubeObject {
  const template = deepCopy(ds.spec.template);
  const generation = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash };
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = generation;
  const metadata: KubeObject["metadata"] = {
    generateName: `${ds.metadata.name}-`,
    namespace: ds.metadata.namespace,
    labels,
    ownerReferences: [controllerRef(ds)],
  };
  if (template.metadata?.annotations) metadata.annotations = template.metadata.annotations;
  const spec = withNodeNameAffinity(addDaemonPodTolerations(template.spec ?? { containers: [] }), nodeName);
  return { apiVersion: "v1", kind: "Pod", metadata, spec };
}

function isUpdated(pod: Pod, hash: string): boolean {
  return pod.metadata?.labels?.[REVISION_HASH_LABEL] === hash;
}

function created(pod: Stored<Pod>): number {
  return Date.parse(pod.metadata.creationTimestamp);
}

/** What one node's pods say for a rolling update: its new and old pod, or not ok when there are several of either. */
function updatedPodsOnNode(pods: Stored<Pod>[], hash: string): { newPod?: Stored<Pod>; oldPod?: Stored<Pod>; ok: boolean } {
  let newPod: Stored<Pod> | undefined;
  let oldPod: Stored<Pod> | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    if (isUpdated(pod, hash)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { newPod, oldPod, ok: true };
}

export interface NodePlan {
  /** pods to delete, by name */
  deletePods: string[];
  /** nodes that get a new pod */
  createOnNodes: string[];
}

/** updatedDesiredNodeCounts: maxSurge and maxUnavailable against the desired count, rounded up; both 0 means one unavailable. */
export function surgeAndUnavailableOf(ds: DaemonSet, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec.updateStrategy?.type === "OnDelete" ? undefined : ds.spec.updateStrategy?.rollingUpdate;
  const maxSurge = ru ? resolveIntOrPercent(ru.maxSurge ?? 0, desired, true, "0") : 0;
  let maxUnavailable = ru ? resolveIntOrPercent(ru.maxUnavailable ?? 1, desired, true, "1") : 0;
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/**
 * upstream rollingUpdate, pure: which old pods go and which nodes get a new
 * pod now. Without surge, old pods are deleted (unavailable ones first, then
 * up to maxUnavailable); with surge, new pods start beside old ones (up to
 * maxSurge) and an old pod goes once its node's new pod is available.
 */
export function rollingUpdatePlan(
  ds: DaemonSet,
  nodeToPods: Map<string, Stored<Pod>[]>,
  shouldRun: (node: string) => boolean,
  desired: number,
  hash: string,
  now: number,
): NodePlan {
  const { maxSurge, maxUnavailable } = surgeAndUnavailableOf(ds, desired);
  const minReady = ds.spec.minReadySeconds ?? 0;
  const available = (p: Stored<Pod>) => isPodAvailable(p, minReady, now);
  const nodes = [...nodeToPods.keys()].sort();
  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowed: string[] = [];
    const candidates: string[] = [];
    for (const node of nodes) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(nodeToPods.get(node)!, hash);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) numUnavailable++;
      else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) allowed.push(oldPod.metadata.name);
        else if (numUnavailable < maxUnavailable) candidates.push(oldPod.metadata.name);
      }
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    return { deletePods: [...allowed, ...candidates.slice(0, remaining)], createOnNodes: [] };
  }
  let numSurge = 0;
  const deletePods: string[] = [];
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  for (const node of nodes) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(nodeToPods.get(node)!, hash);
    if (!ok || !oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun(node)) deletePods.push(oldPod.metadata.name);
        else allowedNew.push(node);
      } else if (numSurge < maxSurge) candidateNew.push(node);
    } else if (!available(newPod)) numSurge++;
    else deletePods.push(oldPod.metadata.name);
  }
  const remaining = Math.min(Math.max(0, maxSurge - numSurge), candidateNew.length);
  return { deletePods, createOnNodes: [...allowedNew, ...candidateNew.slice(0, remaining)] };
}

/**
 * upstream manage, pure: a pod for each node that should run one and has
 * none; failed pods and surplus pods (the oldest stays) deleted; pods on
 * nodes that may not keep them, or on nodes that are gone, deleted.
 */
export function managePlan(nodes: Node[], ds: DaemonSet, nodeToPods: Map<string, Stored<Pod>[]>, hash: string): NodePlan {
  const deletePods: string[] = [];
  const createOnNodes: string[] = [];
  const allowsSurge = surgeAndUnavailableOf(ds, 1).maxSurge > 0;
  const known = new Set<string>();
  for (const node of nodes) {
    const name = node.metadata?.name ?? "";
    known.add(name);
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodeToPods.get(name) ?? [];
    if (shouldRun && pods.length === 0) {
      createOnNodes.push(name);
    } else if (shouldRun) {
      const live: Stored<Pod>[] = [];
      for (const pod of pods) {
        if (pod.metadata.deletionTimestamp) continue;
        if (pod.status?.phase === "Failed") deletePods.push(pod.metadata.name);
        else live.push(pod);
      }
      if (live.length === 0 && !pods.some((p) => p.metadata.deletionTimestamp)) createOnNodes.push(name);
      // Surplus daemon pods: the oldest stays (with surge, the oldest of each revision).
      const sorted = [...live].sort((a, b) => created(a) - created(b));
      if (allowsSurge) {
        const keptOld = sorted.find((p) => !isUpdated(p, hash));
        const keptNew = sorted.find((p) => isUpdated(p, hash));
        for (const p of sorted) if (p !== keptOld && p !== keptNew) deletePods.push(p.metadata.name);
      } else {
        for (const p of sorted.slice(1)) deletePods.push(p.metadata.name);
      }
    } else if (!shouldContinueRunning) {
      for (const pod of pods) if (!pod.metadata.deletionTimestamp) deletePods.push(pod.metadata.name);
    }
  }
  // A node that is gone takes its daemon pod with it (upstream leaves that to the pod GC).
  for (const [name, pods] of nodeToPods) {
    if (!known.has(name)) for (const pod of pods) if (!pod.metadata.deletionTimestamp) deletePods.push(pod.metadata.name);
  }
  return { deletePods, createOnNodes };
}

/** The status upstream writes (DaemonSetStatus: the four counts always, the others when non-zero). */
export interface DaemonSetStatusShape {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
}

/** updateDaemonSetStatus, pure: each node's oldest pod counts for it. */
export function computeDaemonSetStatus(ds: Stored<DaemonSet>, nodes: Node[], nodeToPods: Map<string, Stored<Pod>[]>, hash: string, now: number): DaemonSetStatusShape {
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let updated = 0;
  let available = 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = [...(nodeToPods.get(node.metadata?.name ?? "") ?? [])].sort((a, b) => created(a) - created(b));
    const scheduled = pods.length > 0;
    if (shouldRun) {
      desired++;
      if (!scheduled) continue;
      current++;
      const pod = pods[0]!;
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, ds.spec.minReadySeconds ?? 0, now)) available++;
      }
      if (isUpdated(pod, hash)) updated++;
    } else if (scheduled) {
      misscheduled++;
    }
  }
  const status: DaemonSetStatusShape = { currentNumberScheduled: current, numberMisscheduled: misscheduled, desiredNumberScheduled: desired, numberReady: ready };
  if (ds.metadata.generation) status.observedGeneration = ds.metadata.generation;
  if (updated) status.updatedNumberScheduled = updated;
  if (available) status.numberAvailable = available;
  if (desired - available > 0) status.numberUnavailable = desired - available;
  if (ds.status?.collisionCount) status.collisionCount = ds.status.collisionCount;
  return status;
}

/** upstream getPatch: the revision's data replaces spec.template when rolled back to. */
export function revisionData(template: PodTemplateSpec): { spec: { template: PodTemplateSpec & { $patch: "replace" } } } {
  return { spec: { template: { ...deepCopy(template), $patch: "replace" } } };
}

/**
 * The DaemonSet strategy's template generation (PrepareForCreate/Update): 1 on
 * create, one more each time the template changes, kept in the annotation
 * pods copy into their pod-template-generation label.
 */
export class DaemonSetTemplateGeneration implements Admission {
  admitCreate(resource: ResourceInfo, obj: Stored<KubeObject>): void {
    if (resource !== DAEMONSETS) return;
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: "1" };
  }

  admitUpdate(resource: ResourceInfo, obj: Stored<KubeObject>, old: Stored<KubeObject>): void {
    if (resource !== DAEMONSETS) return;
    const before = Number(old.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? 0) || 0;
    const changed = JSON.stringify((obj.spec as DaemonSet["spec"]).template) !== JSON.stringify((old.spec as DaemonSet["spec"]).template);
    const generation = changed ? before + 1 : before;
    if (generation > 0) obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: String(generation) };
  }
}

export class DaemonSetController extends Controller {
  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("daemonset-controller", api);
  }

  start(): void {
    this.watch(DAEMONSETS, (e) => [`${e.object.metadata.namespace}/${e.object.metadata.name}`]);
    this.watch(R.pods, (e) => {
      const owner = controllerOf(e.object);
      return owner?.kind === "DaemonSet" ? [`${e.object.metadata.namespace}/${owner.name}`] : [];
    });
    // A node added, removed, relabelled or tainted changes where every set runs.
    this.watch(R.nodes, () => this.api.list(DAEMONSETS).items.map((ds) => `${ds.metadata.namespace}/${ds.metadata.name}`));
    this.enqueueAll(DAEMONSETS);
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const ds = this.api.tryGet(DAEMONSETS, namespace, name) as Stored<DaemonSet> | undefined;
    if (!ds || ds.metadata.deletionTimestamp) return;
    let selector;
    try {
      selector = requirementsFromLabelSelector(ds.spec.selector);
    } catch {
      return;
    }
    const hash = daemonSetHash(ds);
    const revisions = this.constructHistory(ds, hash);
    const nodes = this.api.list(R.nodes).items as Stored<Node>[];
    const byNode = () => {
      const map = new Map<string, Stored<Pod>[]>();
      for (const pod of this.api.list(R.pods, { namespace }).items as Stored<Pod>[]) {
        if (!isControlledBy(pod, ds) || !matchesRequirements(selector, pod.metadata.labels)) continue;
        const node = targetNodeName(pod);
        if (node === undefined) continue;
        map.set(node, [...(map.get(node) ?? []), pod]);
      }
      return map;
    };
    const now = Date.now();
    this.apply(ds, managePlan(nodes, ds, byNode(), hash), hash);
    if (ds.spec.updateStrategy?.type !== "OnDelete") {
      const shouldRun = new Map(nodes.map((n) => [n.metadata.name, nodeShouldRunDaemonPod(n, ds).shouldRun]));
      const desired = [...shouldRun.values()].filter(Boolean).length;
      this.apply(ds, rollingUpdatePlan(ds, byNode(), (n) => shouldRun.get(n) ?? false, desired, hash, now), hash);
    }
    this.cleanupHistory(ds, revisions, byNode(), hash);
    this.updateStatus(ds, nodes, byNode(), hash, now);
    // minReadySeconds makes availability a matter of time: look again then.
    if ((ds.spec.minReadySeconds ?? 0) > 0) this.queue.addAfter(key, (ds.spec.minReadySeconds ?? 0) * 1000 + 50);
  }

  private apply(ds: Stored<DaemonSet>, plan: NodePlan, hash: string): void {
    for (const node of plan.createOnNodes) this.api.create(R.pods, newDaemonPod(ds, node, hash), ds.metadata.namespace);
    for (const pod of plan.deletePods) {
      try {
        this.api.delete(R.pods, ds.metadata.namespace, pod);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
      }
    }
  }

  /** constructHistory: the set's ControllerRevisions, with the current template's made (or renumbered newest, on a rollback). */
  private constructHistory(ds: Stored<DaemonSet>, hash: string): Stored<ControllerRevision>[] {
    const all = (this.api.list(CONTROLLER_REVISIONS, { namespace: ds.metadata.namespace }).items as Stored<ControllerRevision>[]).filter((r) => isControlledBy(r, ds));
    const max = all.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
    const name = `${ds.metadata.name.slice(0, 223)}-${hash}`;
    const current = all.find((r) => r.metadata.name === name);
    if (current) {
      if ((current.revision ?? 0) < max) {
        const next = deepCopy(current);
        next.revision = max + 1;
        const updated = this.api.update(CONTROLLER_REVISIONS, next) as Stored<ControllerRevision>;
        return all.map((r) => (r === current ? updated : r));
      }
      return all;
    }
    const revision: KubeObject = {
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      metadata: {
        name,
        namespace: ds.metadata.namespace,
        labels: { ...(ds.spec.template.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
        ...(ds.metadata.annotations ? { annotations: ds.metadata.annotations } : {}),
        ownerReferences: [controllerRef(ds)],
      },
      data: revisionData(ds.spec.template),
      revision: max + 1,
    };
    try {
      return [...all, this.api.create(CONTROLLER_REVISIONS, revision, ds.metadata.namespace) as Stored<ControllerRevision>];
    } catch (err) {
      if (err instanceof ApiError && err.reason === "AlreadyExists") return all;
      throw err;
    }
  }

  /** cleanupHistory: revisions no pod runs beyond revisionHistoryLimit go, oldest first. */
  private cleanupHistory(ds: Stored<DaemonSet>, revisions: Stored<ControllerRevision>[], nodeToPods: Map<string, Stored<Pod>[]>, hash: string): void {
    const live = new Set([hash, ...[...nodeToPods.values()].flat().map((p) => p.metadata.labels?.[REVISION_HASH_LABEL] ?? "")]);
    const idle = revisions.filter((r) => !live.has(r.metadata.labels?.[REVISION_HASH_LABEL] ?? "")).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
    const limit = ds.spec.revisionHistoryLimit ?? 10;
    for (const r of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        this.api.delete(CONTROLLER_REVISIONS, r.metadata.namespace, r.metadata.name);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
      }
    }
  }

  private updateStatus(ds: Stored<DaemonSet>, nodes: Node[], nodeToPods: Map<string, Stored<Pod>[]>, hash: string, now: number): void {
    const latest = this.api.tryGet(DAEMONSETS, ds.metadata.namespace, ds.metadata.name) as Stored<DaemonSet> | undefined;
    if (!latest || latest.metadata.uid !== ds.metadata.uid) return;
    const status = computeDaemonSetStatus(latest, nodes, nodeToPods, hash, now);
    const old = (latest.status ?? {}) as Record<string, unknown>;
    const next = { ...status, ...(old.conditions ? { conditions: old.conditions } : {}) };
    if (JSON.stringify(next) === JSON.stringify(old)) return;
    this.api.update(DAEMONSETS, { ...latest, status: next }, latest.metadata.namespace, { subresource: "status" });
  }
}
