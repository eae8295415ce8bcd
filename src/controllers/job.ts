// Job controller, as kube-controller-manager 1.32 runs it (pkg/controller/job
// job_controller.go syncJob/manageJob/trackJobStatusAndRemoveFinalizers,
// indexed_job_utils.go): runs up to parallelism pods until completions of
// them succeed; counts failures against backoffLimit and the Job's age against
// activeDeadlineSeconds; NonIndexed or Indexed completion. As in 1.32 (with
// JobPodReplacementPolicy on), a Job first gets the interim condition
// (SuccessCriteriaMet or FailureTarget) and the terminal one (Complete or
// Failed) once none of its pods is still terminating.
//
// Upstream counts finished pods through a tracking finalizer on each pod and
// status.uncountedTerminatedPods; kemu's control plane is one process with an
// in-memory store, so it remembers which pods it counted instead (a pod
// deleted after it finished still counts, as upstream).
import { Controller, R, splitKey } from "./controller.js";
import type { Admission } from "../api/apiserver.js";
import type { ResourceInfo } from "../api/resources.js";
import { resourceByKind } from "../api/resources.js";
import type { Job, KubeObject, Pod, Stored } from "../api/types.js";
import { controllerOf, controllerRef, deepCopy, isControlledBy, timestamp } from "../api/meta.js";
import { matchesRequirements, requirementsFromLabelSelector } from "../api/selectors.js";
import { ApiError, type FieldError } from "../api/errors.js";
import { validateGeneratedSelector, withGeneratedSelector } from "../api/validation/job.js";
import { isPodReady } from "../api/podutil.js";
import { rankForDeletion } from "./replicaset.js";

export const JOBS = resourceByKind("Job")!;

export const COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index";
export const COMPLETION_INDEX_LABEL = "batch.kubernetes.io/job-completion-index";

/** upstream DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff */
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 10 * 60_000;

export interface JobCondition {
  type: string;
  status: string;
  lastProbeTime: string;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export type JobStatusShape = NonNullable<Job["status"]> & { conditions?: JobCondition[] };

/** A finished Job: a Complete or Failed condition that is True. */
export function isJobFinished(job: Job): { type: "Complete" | "Failed"; at: string } | undefined {
  for (const c of (job.status?.conditions ?? []) as JobCondition[]) {
    if ((c.type === "Complete" || c.type === "Failed") && c.status === "True") return { type: c.type, at: c.lastTransitionTime };
  }
  return undefined;
}

function hasCondition(job: Job, type: string): JobCondition | undefined {
  return ((job.status?.conditions ?? []) as JobCondition[]).find((c) => c.type === type && c.status === "True");
}

function newCondition(type: string, reason: string, message: string, now: string): JobCondition {
  return { type, status: "True", lastProbeTime: now, lastTransitionTime: now, reason, message };
}

/** The completion index a pod carries, or undefined. */
export function completionIndexOf(pod: Pod): number | undefined {
  const text = pod.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION];
  if (text === undefined || !/^[0-9]+$/.test(text)) return undefined;
  return Number(text);
}

/** Indexes as status.completedIndexes writes them: "0-2,4" (three or more in a row as a range). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(",");
}

/**
 * How many pods should be running (manageJob's wantActive): without
 * completions, parallelism until one succeeds; with them, what is left to
 * succeed, at most parallelism. A suspended Job runs none.
 */
export function wantActive(job: Job, succeeded: number, active: number): number {
  if (job.spec.suspend) return 0;
  const parallelism = job.spec.parallelism ?? 1;
  const completions = job.spec.completions;
  if (completions === undefined || completions === null) return succeeded > 0 ? active : parallelism;
  return Math.max(0, Math.min(completions - succeeded, parallelism));
}

/** The pod creation back-off after failures: 10 s, doubled per failure since the last success, at most 10 minutes. */
export function podBackoffMs(failuresAfterLastSuccess: number): number {
  if (failuresAfterLastSuccess <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failuresAfterLastSuccess - 1));
}

/** The interim failure condition, if the Job has failed: backoffLimit passed, or activeDeadlineSeconds (upstream's order). */
export function failureOf(job: Job, failed: number, restartsOfActive: number, now: number): { reason: string; message: string } | undefined {
  const limit = job.spec.backoffLimit ?? 6;
  const onFailure = job.spec.template.spec?.restartPolicy === "OnFailure";
  const pastOnFailure = onFailure && (limit === 0 ? restartsOfActive > 0 : restartsOfActive >= limit);
  if (failed > limit || pastOnFailure) return { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" };
  const deadline = job.spec.activeDeadlineSeconds;
  const start = job.status?.startTime ? Date.parse(job.status.startTime) : undefined;
  if (deadline !== undefined && deadline !== null && start !== undefined && !job.spec.suspend && now - start >= deadline * 1000) {
    return { reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" };
  }
  return undefined;
}

/** The pod for a Job (upstream's pod template plus, when Indexed, the index in an annotation, a label, the hostname and JOB_COMPLETION_INDEX). */
export function newJobPod(job: Stored<Job>, index?: number): KubeObject {
  const template = deepCopy(job.spec.template);
  const spec = { ...(template.spec ?? { containers: [] }) };
  const metadata: KubeObject["metadata"] = {
    generateName: index === undefined ? `${job.metadata.name}-` : `${job.metadata.name}-${index}-`,
    namespace: job.metadata.namespace,
    labels: { ...(template.metadata?.labels ?? {}) },
    ownerReferences: [controllerRef(job)],
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  if (index !== undefined) {
    metadata.annotations = { ...(metadata.annotations ?? {}), [COMPLETION_INDEX_ANNOTATION]: String(index) };
    metadata.labels = { ...(metadata.labels ?? {}), [COMPLETION_INDEX_LABEL]: String(index) };
    spec.hostname ??= `${job.metadata.name}-${index}`;
    const env = { name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } } };
    const withIndex = <T extends { env?: unknown[] }>(c: T): T => ({ ...c, env: [...(c.env ?? []).filter((e) => (e as { name?: string }).name !== "JOB_COMPLETION_INDEX"), env] });
    spec.containers = spec.containers.map(withIndex);
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndex);
  }
  return { apiVersion: "v1", kind: "Pod", metadata, spec };
}

/** The selector the Job strategy generates on create (validation/job.ts), refused when the labels carry another uid. */
export class JobSelectorGeneration implements Admission {
  admitCreate(resource: ResourceInfo, obj: Stored<KubeObject>): FieldError[] | void {
    if (resource !== JOBS) return;
    obj.spec = withGeneratedSelector((obj.spec ?? {}) as Record<string, unknown>, obj.metadata.name, obj.metadata.uid);
    // SetDefaults_Job copies the template's labels to a Job without labels when it is read back.
    const labels = (obj.spec as Job["spec"]).template.metadata?.labels;
    if (labels && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...labels };
    const errs = validateGeneratedSelector(obj.spec as Record<string, unknown>, obj.metadata.uid);
    return errs.length > 0 ? errs : undefined;
  }
}

interface Tracking {
  /** uids of finished pods already counted */
  counted: Set<string>;
  failuresAfterLastSuccess: number;
  lastFailure: number;
}

export class JobController extends Controller {
  /** Per Job uid: the finished pods it counted (upstream's tracking finalizers) and its back-off. */
  private readonly tracking = new Map<string, Tracking>();

  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("job-controller", api);
  }

  start(): void {
    this.watch(JOBS, (e) => {
      if (e.type === "DELETED") this.tracking.delete(e.object.metadata.uid);
      return [`${e.object.metadata.namespace}/${e.object.metadata.name}`];
    });
    this.watch(R.pods, (e) => {
      const owner = controllerOf(e.object);
      return owner?.kind === "Job" ? [`${e.object.metadata.namespace}/${owner.name}`] : [];
    });
    this.enqueueAll(JOBS);
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const job = this.api.tryGet(JOBS, namespace, name) as Stored<Job> | undefined;
    if (!job || job.metadata.deletionTimestamp || !job.spec.selector) return;
    let selector;
    try {
      selector = requirementsFromLabelSelector(job.spec.selector);
    } catch {
      return;
    }
    const pods = (this.api.list(R.pods, { namespace }).items as Stored<Pod>[]).filter((p) => isControlledBy(p, job) && matchesRequirements(selector, p.metadata.labels));
    const tracking = this.trackingOf(job);
    const nowMs = Date.now();
    const now = timestamp();
    const status: JobStatusShape = deepCopy((job.status ?? {}) as JobStatusShape);
    const finished = isJobFinished(job);
    const indexed = job.spec.completionMode === "Indexed";
    const completions = job.spec.completions ?? undefined;

    // Count pods that finished since the last sync.
    const succeededIndexes = new Set(indexed ? parseIndexes(status.completedIndexes ?? "") : []);
    let succeeded = status.succeeded ?? 0;
    let failed = status.failed ?? 0;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if ((phase !== "Succeeded" && phase !== "Failed") || tracking.counted.has(pod.metadata.uid)) continue;
      tracking.counted.add(pod.metadata.uid);
      if (phase === "Succeeded") {
        tracking.failuresAfterLastSuccess = 0;
        const ix = completionIndexOf(pod);
        if (!indexed) succeeded++;
        else if (ix !== undefined && completions !== undefined && ix < completions) succeededIndexes.add(ix);
      } else {
        failed++;
        tracking.failuresAfterLastSuccess++;
        tracking.lastFailure = finishTime(pod) ?? nowMs;
      }
    }
    if (indexed) succeeded = succeededIndexes.size;

    const terminating = pods.filter((p) => p.metadata.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    let active = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    if (!status.startTime && !job.spec.suspend) status.startTime = now;
    const conditions = [...(status.conditions ?? [])];

    if (!finished) {
      const interimFailure = hasCondition(job, "FailureTarget");
      const interimSuccess = hasCondition(job, "SuccessCriteriaMet");
      const failure = interimFailure ? undefined : failureOf({ ...job, status } as Job, failed, restarts(active), nowMs);
      if (!interimFailure && !interimSuccess && failure) conditions.push(newCondition("FailureTarget", failure.reason, failure.message, now));
      const complete =
        !interimFailure &&
        !failure &&
        (indexed ? completions !== undefined && succeeded === completions : completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions && active.length === 0);
      if (!interimSuccess && complete) conditions.push(newCondition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", now));
      const doomed = conditions.find((c) => c.type === "FailureTarget" && c.status === "True");
      const done = conditions.find((c) => c.type === "SuccessCriteriaMet" && c.status === "True");
      if (doomed) {
        // Every pod still running fails with the Job.
        failed += active.length;
        for (const pod of active) tracking.counted.add(pod.metadata.uid);
        this.deletePods(active);
        terminating.push(...active);
        active = [];
        if (terminating.length === 0) conditions.push(newCondition("Failed", doomed.reason ?? "", doomed.message ?? "", now));
      } else if (done) {
        this.deletePods(active);
        terminating.push(...active);
        active = [];
        if (terminating.length === 0) {
          conditions.push(newCondition("Complete", done.reason ?? "", done.message ?? "", now));
          status.completionTime = now;
        }
      } else {
        active = this.manage(key, job, active, succeeded, succeededIndexes, tracking, nowMs);
      }
    }

    status.conditions = conditions.length > 0 ? conditions : undefined;
    status.active = active.length || undefined;
    status.succeeded = succeeded || undefined;
    status.failed = failed || undefined;
    status.terminating = terminating.length;
    status.ready = active.filter((p) => isPodReady(p)).length;
    status.uncountedTerminatedPods = {};
    if (indexed) status.completedIndexes = formatIndexes(succeededIndexes);
    this.writeStatus(job, status);

    // activeDeadlineSeconds is a matter of time: look again when it passes.
    const deadline = job.spec.activeDeadlineSeconds;
    if (!isJobFinished({ ...job, status } as Job) && deadline !== undefined && deadline !== null && status.startTime) {
      this.queue.addAfter(key, Math.max(0, Date.parse(status.startTime) + deadline * 1000 - nowMs) + 50);
    }
  }

  private trackingOf(job: Stored<Job>): Tracking {
    let t = this.tracking.get(job.metadata.uid);
    if (!t) {
      t = { counted: new Set(), failuresAfterLastSuccess: 0, lastFailure: 0 };
      this.tracking.set(job.metadata.uid, t);
    }
    return t;
  }

  /** manageJob: creates or deletes pods towards wantActive; new pods wait out the failure back-off. Returns the active pods. */
  private manage(key: string, job: Stored<Job>, active: Stored<Pod>[], succeeded: number, succeededIndexes: Set<number>, tracking: Tracking, now: number): Stored<Pod>[] {
    const want = wantActive(job, succeeded, active.length);
    if (active.length > want) {
      const surplus = rankForDeletion(active).slice(0, active.length - want);
      this.deletePods(surplus);
      return active.filter((p) => !surplus.includes(p));
    }
    if (active.length === want) return active;
    const waitUntil = tracking.lastFailure + podBackoffMs(tracking.failuresAfterLastSuccess);
    if (waitUntil > now) {
      this.queue.addAfter(key, waitUntil - now + 50);
      return active;
    }
    const created: Stored<Pod>[] = [];
    if (job.spec.completionMode === "Indexed") {
      const running = new Set(active.map(completionIndexOf));
      const completions = job.spec.completions ?? 0;
      for (let ix = 0; ix < completions && active.length + created.length < want; ix++) {
        if (succeededIndexes.has(ix) || running.has(ix)) continue;
        created.push(this.api.create(R.pods, newJobPod(job, ix), job.metadata.namespace) as Stored<Pod>);
      }
    } else {
      for (let i = active.length; i < want; i++) created.push(this.api.create(R.pods, newJobPod(job), job.metadata.namespace) as Stored<Pod>);
    }
    return [...active, ...created];
  }

  private deletePods(pods: Stored<Pod>[]): void {
    for (const pod of pods) {
      try {
        this.api.delete(R.pods, pod.metadata.namespace, pod.metadata.name);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
      }
    }
  }

  private writeStatus(job: Stored<Job>, status: JobStatusShape): void {
    const clean = JSON.parse(JSON.stringify(status)) as JobStatusShape;
    if (JSON.stringify(clean) === JSON.stringify(job.status ?? {})) return;
    const latest = this.api.tryGet(JOBS, job.metadata.namespace, job.metadata.name);
    if (!latest || latest.metadata.uid !== job.metadata.uid) return;
    this.api.update(JOBS, { ...latest, status: clean }, job.metadata.namespace, { subresource: "status" });
  }
}

function restarts(pods: Stored<Pod>[]): number {
  return pods.reduce((n, p) => n + [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((m, c) => m + (c.restartCount ?? 0), 0), 0);
}

/** When a pod's last container finished, or undefined. */
function finishTime(pod: Pod): number | undefined {
  const times = (pod.status?.containerStatuses ?? []).map((c) => c.state?.terminated?.finishedAt).filter((t): t is string => typeof t === "string").map(Date.parse);
  return times.length > 0 ? Math.max(...times) : undefined;
}

/** status.completedIndexes back into numbers. */
export function parseIndexes(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",")) {
    if (part === "") continue;
    const [a, b] = part.split("-").map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.push(i);
  }
  return out;
}
