// Deployment controller: one ReplicaSet per pod template (named by its
// pod-template-hash), rolled by the RollingUpdate or Recreate strategy.
import { Controller, R, splitKey } from "./controller.js";
import type { Deployment, KubeObject, Pod, ReplicaSet, Stored } from "../api/types.js";
import { controllerOf, controllerRef, deepCopy, isControlledBy, timestamp } from "../api/meta.js";
import { templateHash } from "./hash.js";
import { newReplicaSetTarget, scaleDownOld, surgeAndUnavailable, type RsState } from "./rollout.js";

const REVISION = "deployment.kubernetes.io/revision";
const HASH_LABEL = "pod-template-hash";

/**
 * Annotations that stay where they are: the controller's own, and kubectl's
 * last-applied (deployment util annotationsToSkip; kubectl's rollback skips
 * the same when it copies a ReplicaSet's annotations back).
 */
const NOT_COPIED = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION,
  "deployment.kubernetes.io/revision-history",
  "deployment.kubernetes.io/desired-replicas",
  "deployment.kubernetes.io/max-replicas",
  "deprecated.deployment.rollback.to",
]);

/**
 * The new ReplicaSet's annotations: the Deployment's own copied on (so that
 * kubernetes.io/change-cause reaches `rollout history`) and its revision
 * raised to `revision` when lower (SetNewReplicaSetAnnotations); undefined
 * when nothing changes. Annotations the Deployment no longer has stay.
 */
export function newReplicaSetAnnotations(
  deployment: Record<string, string> | undefined,
  replicaSet: Record<string, string> | undefined,
  revision: number,
): Record<string, string> | undefined {
  const next = { ...(replicaSet ?? {}) };
  for (const [k, v] of Object.entries(deployment ?? {})) if (!NOT_COPIED.has(k)) next[k] = v;
  if (Number(next[REVISION] ?? 0) < revision) next[REVISION] = String(revision);
  return JSON.stringify(next) === JSON.stringify(replicaSet ?? {}) ? undefined : next;
}

/**
 * The Deployment's annotations carrying its new ReplicaSet's revision
 * (SetDeploymentRevision): kubectl rollout undo replaces /metadata/annotations
 * with a JSON patch, which needs them to exist. Undefined when already so.
 */
export function deploymentRevisionAnnotations(annotations: Record<string, string> | undefined, revision: string): Record<string, string> | undefined {
  return annotations?.[REVISION] === revision ? undefined : { ...(annotations ?? {}), [REVISION]: revision };
}

export class DeploymentController extends Controller {
  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("deployment-controller", api);
  }

  start(): void {
    this.watch(R.deployments, (e) => [`${e.object.metadata.namespace}/${e.object.metadata.name}`]);
    this.watch(R.replicasets, (e) => {
      const owner = controllerOf(e.object);
      return owner?.kind === "Deployment" ? [`${e.object.metadata.namespace}/${owner.name}`] : [];
    });
    this.enqueueAll(R.deployments);
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const found = this.api.tryGet(R.deployments, namespace, name) as Stored<Deployment> | undefined;
    if (!found || found.metadata.deletionTimestamp) return;
    let d = found;
    const owned = (this.api.list(R.replicasets, { namespace }).items as Stored<ReplicaSet>[]).filter((rs) => isControlledBy(rs, d));
    const hash = templateHash(d.spec.template);
    let current = owned.find((rs) => rs.metadata.labels?.[HASH_LABEL] === hash);
    const olds = owned.filter((rs) => rs !== current);
    const replicas = d.spec.replicas ?? 1;

    if (!d.spec.paused) {
      if (!current) current = this.createReplicaSet(d, hash, olds, d.spec.strategy?.type === "Recreate" ? 0 : undefined);
      else current = this.syncNewReplicaSetAnnotations(d, current, olds);
      d = this.recordRevision(d, current);
      if (d.spec.strategy?.type === "Recreate") this.recreate(d, current, olds, replicas);
      else this.rollingUpdate(d, current, olds, replicas);
      this.cleanupHistory(d, olds);
    }
    this.updateStatus(d, current, olds);
  }

  private createReplicaSet(d: Stored<Deployment>, hash: string, olds: Stored<ReplicaSet>[], initial?: number): Stored<ReplicaSet> {
    const template = deepCopy(d.spec.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash } };
    const total = olds.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
    const replicas = d.spec.replicas ?? 1;
    const { surge } = surgeAndUnavailable(replicas, d.spec.strategy?.rollingUpdate?.maxSurge, d.spec.strategy?.rollingUpdate?.maxUnavailable);
    const start = initial ?? (olds.length === 0 ? replicas : Math.max(0, Math.min(replicas, replicas + surge - total)));
    const rs: KubeObject = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        annotations: {
          ...newReplicaSetAnnotations(d.metadata.annotations, undefined, maxRevision(olds) + 1),
          "deployment.kubernetes.io/desired-replicas": String(replicas),
        },
        ownerReferences: [controllerRef(d)],
      },
      spec: {
        replicas: start,
        minReadySeconds: d.spec.minReadySeconds,
        selector: { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [HASH_LABEL]: hash } },
        template,
      },
    };
    const created = this.api.create(R.replicasets, rs, d.metadata.namespace) as Stored<ReplicaSet>;
    if (start > 0) void this.events.normal(d, "ScalingReplicaSet", `Scaled up replica set ${created.metadata.name} to ${start} from 0`);
    return created;
  }

  /**
   * The Deployment's annotations follow it onto its new ReplicaSet; rolling
   * back to an older template makes that ReplicaSet the newest revision again.
   */
  private syncNewReplicaSetAnnotations(d: Stored<Deployment>, current: Stored<ReplicaSet>, olds: Stored<ReplicaSet>[]): Stored<ReplicaSet> {
    const newest = maxRevision(olds);
    const mine = Number(current.metadata.annotations?.[REVISION] ?? 0);
    const annotations = newReplicaSetAnnotations(d.metadata.annotations, current.metadata.annotations, mine > newest ? mine : newest + 1);
    if (!annotations) return current;
    const next = deepCopy(current);
    next.metadata.annotations = annotations;
    return this.api.update(R.replicasets, next) as Stored<ReplicaSet>;
  }

  /** The Deployment carries its new ReplicaSet's revision, as upstream's (sync.go getNewReplicaSet). */
  private recordRevision(d: Stored<Deployment>, current: Stored<ReplicaSet>): Stored<Deployment> {
    const annotations = deploymentRevisionAnnotations(d.metadata.annotations, current.metadata.annotations?.[REVISION] ?? "0");
    if (!annotations) return d;
    return this.api.update(R.deployments, { ...d, metadata: { ...d.metadata, annotations } }, d.metadata.namespace) as Stored<Deployment>;
  }

  private rollingUpdate(d: Stored<Deployment>, current: Stored<ReplicaSet>, olds: Stored<ReplicaSet>[], replicas: number): void {
    const { surge, unavailable } = surgeAndUnavailable(replicas, d.spec.strategy?.rollingUpdate?.maxSurge, d.spec.strategy?.rollingUpdate?.maxUnavailable);
    const state = (rs: Stored<ReplicaSet>): RsState => ({
      name: rs.metadata.name,
      specReplicas: rs.spec.replicas ?? 0,
      statusReplicas: rs.status?.replicas ?? 0,
      availableReplicas: rs.status?.availableReplicas ?? 0,
      created: Date.parse(rs.metadata.creationTimestamp),
    });
    const newState = state(current);
    const oldStates = olds.map(state);
    const target = olds.length === 0 ? replicas : newReplicaSetTarget(replicas, surge, newState, [newState, ...oldStates]);
    if (target !== newState.specReplicas) {
      this.scale(d, current, target);
      newState.specReplicas = target;
    }
    const scaled = scaleDownOld(replicas, unavailable, newState, oldStates);
    for (const rs of olds) {
      const want = scaled.get(rs.metadata.name)!;
      if (want !== (rs.spec.replicas ?? 0)) this.scale(d, rs, want);
    }
  }

  private recreate(d: Stored<Deployment>, current: Stored<ReplicaSet>, olds: Stored<ReplicaSet>[], replicas: number): void {
    for (const rs of olds) if ((rs.spec.replicas ?? 0) !== 0) this.scale(d, rs, 0);
    // The new pods start only after every old pod is gone.
    const oldPodsLeft = (this.api.list(R.pods, { namespace: d.metadata.namespace }).items as Stored<Pod>[]).some((p) =>
      olds.some((rs) => isControlledBy(p, rs)),
    );
    if (!oldPodsLeft && (current.spec.replicas ?? 0) !== replicas) this.scale(d, current, replicas);
  }

  private scale(d: Stored<Deployment>, rs: Stored<ReplicaSet>, replicas: number): void {
    const from = rs.spec.replicas ?? 0;
    const next = deepCopy(rs);
    next.spec.replicas = replicas;
    this.api.update(R.replicasets, next);
    // deployment sync.go scaleReplicaSet
    void this.events.normal(d, "ScalingReplicaSet", `Scaled ${replicas > from ? "up" : "down"} replica set ${rs.metadata.name} to ${replicas} from ${from}`);
  }

  private cleanupHistory(d: Stored<Deployment>, olds: Stored<ReplicaSet>[]): void {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const idle = olds
      .filter((rs) => (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0)
      .sort((a, b) => Number(a.metadata.annotations?.[REVISION] ?? 0) - Number(b.metadata.annotations?.[REVISION] ?? 0));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) this.api.delete(R.replicasets, rs.metadata.namespace, rs.metadata.name);
  }

  private updateStatus(d: Stored<Deployment>, current: Stored<ReplicaSet> | undefined, olds: Stored<ReplicaSet>[]): void {
    const all = current ? [current, ...olds] : olds;
    const sum = (f: (rs: Stored<ReplicaSet>) => number | undefined) => all.reduce((n, rs) => n + (f(rs) ?? 0), 0);
    const replicas = d.spec.replicas ?? 1;
    const available = sum((rs) => rs.status?.availableReplicas);
    const { unavailable: maxUnavailable } = surgeAndUnavailable(replicas, d.spec.strategy?.rollingUpdate?.maxSurge, d.spec.strategy?.rollingUpdate?.maxUnavailable);
    const updated = current?.status?.replicas ?? 0;
    const complete = updated === replicas && available === replicas && olds.every((rs) => (rs.status?.replicas ?? 0) === 0);
    const old = (d.status ?? {}) as { conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastUpdateTime?: string }[] };
    const condition = (type: string, ok: boolean, reason: string, message: string) => {
      const prev = old.conditions?.find((c) => c.type === type);
      const status = ok ? "True" : "False";
      const sameState = prev?.status === status && prev.reason === reason;
      return {
        type,
        status,
        lastUpdateTime: sameState ? prev!.lastUpdateTime : timestamp(),
        lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : timestamp(),
        reason,
        message,
      };
    };
    const status = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas: sum((rs) => rs.status?.replicas),
      updatedReplicas: updated,
      readyReplicas: sum((rs) => rs.status?.readyReplicas),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, replicas - available),
      conditions: [
        available >= replicas - maxUnavailable
          ? condition("Available", true, "MinimumReplicasAvailable", "Deployment has minimum availability.")
          : condition("Available", false, "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
        complete
          ? condition("Progressing", true, "NewReplicaSetAvailable", `ReplicaSet "${current?.metadata.name}" has successfully progressed.`)
          : condition("Progressing", true, "ReplicaSetUpdated", `ReplicaSet "${current?.metadata.name}" is progressing.`),
      ],
    };
    const comparable = (s: unknown) => JSON.stringify(s, (k, v) => (k === "lastUpdateTime" || k === "lastTransitionTime" ? undefined : v));
    if (comparable(status) !== comparable(d.status)) this.api.update(R.deployments, { ...d, status }, d.metadata.namespace, { subresource: "status" });
  }
}

function maxRevision(rss: Stored<ReplicaSet>[]): number {
  return rss.reduce((m, rs) => Math.max(m, Number(rs.metadata.annotations?.[REVISION] ?? 0)), 0);
}
