// CronJob controller, as kube-controller-manager 1.32's (pkg/controller/cronjob
// cronjob_controllerv2.go syncCronJob/cleanupFinishedJobs, utils.go
// mostRecentScheduleTime/getJobFromTemplate2): at each scheduled time it
// creates a Job named <cronjob>-<scheduled minutes since the epoch>, honouring
// suspend, startingDeadlineSeconds and concurrencyPolicy (Allow, Forbid,
// Replace); it keeps status.active, lastScheduleTime and lastSuccessfulTime,
// and deletes finished Jobs beyond the history limits. Time comes from an
// injectable clock, so the decisions are tested without waiting a minute.
import { Controller, splitKey } from "./controller.js";
import type { CronJob, Job, KubeObject, Stored } from "../api/types.js";
import { resourceByKind } from "../api/resources.js";
import { controllerOf, controllerRef, deepCopy, isControlledBy } from "../api/meta.js";
import { ApiError } from "../api/errors.js";
import { parseSchedule, nextTime, wallClock, type CronSchedule } from "../api/cron-schedule.js";
import { JOBS, isJobFinished } from "./job.js";

export const CRONJOBS = resourceByKind("CronJob")!;

export const SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp";

/** A Job's name for a scheduled time: deterministic, so one time never makes two Jobs. */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

/** RFC 3339 of an instant in a zone's wall clock, as Go's Format(time.RFC3339) writes it ("Z" for UTC). */
export function rfc3339In(ms: number, timeZone?: string): string {
  const w = wallClock(ms, timeZone);
  const seconds = Math.floor(ms / 1000) % 60;
  const wallMs = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, seconds);
  const offsetMin = Math.round((wallMs - Math.floor(ms / 1000) * 1000) / 60_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const date = `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(seconds)}`;
  if (offsetMin === 0) return `${date}Z`;
  const sign = offsetMin < 0 ? "-" : "+";
  return `${date}${sign}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
}

/**
 * mostRecentScheduleTime: the latest scheduled time in (earliest, now], where
 * earliest is the last schedule time (or creation), moved up to now minus
 * startingDeadlineSeconds; with how many were missed (roughly, as upstream).
 */
export function mostRecentScheduleTime(cj: CronJob, sched: CronSchedule, now: number): { time?: number; missed: number } {
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata?.creationTimestamp ?? "") || now;
  const deadline = cj.spec.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) earliest = Math.max(earliest, now - deadline * 1000);
  const tz = cj.spec.timeZone ?? undefined;
  const t1 = nextTime(sched, earliest, tz);
  if (t1 === undefined || now < t1) return { missed: 0 };
  const t2 = nextTime(sched, t1, tz);
  if (t2 === undefined || now < t2) return { time: t1, missed: 1 };
  const interval = Math.max(1000, Math.round((t2 - t1) / 1000) * 1000);
  const missed = Math.floor((now - t1) / interval) + 1;
  let t = nextTime(sched, t1 + (missed - 2) * interval, tz);
  let latest: number | undefined;
  while (t !== undefined && t <= now) {
    latest = t;
    t = nextTime(sched, t, tz);
  }
  return { time: latest, missed };
}

export type CronDecision =
  | { action: "wait"; reason: "suspended" | "no-unmet-time" | "already-processed" }
  | { action: "skip"; reason: "MissSchedule" | "JobAlreadyActive"; scheduled: number }
  | { action: "create"; scheduled: number; replaceActive: boolean };

/** syncCronJob's decision for now, pure: wait, skip this time (and why), or create its Job (first deleting the active ones, under Replace). */
export function decide(cj: CronJob, sched: CronSchedule, now: number): CronDecision {
  if (cj.spec.suspend) return { action: "wait", reason: "suspended" };
  const { time } = mostRecentScheduleTime(cj, sched, now);
  if (time === undefined) return { action: "wait", reason: "no-unmet-time" };
  const deadline = cj.spec.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null && time + deadline * 1000 < now) return { action: "skip", reason: "MissSchedule", scheduled: time };
  const name = jobNameFor(cj.metadata?.name ?? "", time);
  const active = cj.status?.active ?? [];
  if (active.some((ref) => ref.name === name) || Date.parse(cj.status?.lastScheduleTime ?? "") === time) return { action: "wait", reason: "already-processed" };
  if (cj.spec.concurrencyPolicy === "Forbid" && active.length > 0) return { action: "skip", reason: "JobAlreadyActive", scheduled: time };
  return { action: "create", scheduled: time, replaceActive: cj.spec.concurrencyPolicy === "Replace" && active.length > 0 };
}

/** getJobFromTemplate2: the Job for a scheduled time, with the template's labels and annotations and the scheduled-timestamp annotation. */
export function jobFromTemplate(cj: Stored<CronJob>, scheduled: number): KubeObject {
  const template = deepCopy(cj.spec.jobTemplate);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobNameFor(cj.metadata.name, scheduled),
      namespace: cj.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: { ...(template.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339In(scheduled, cj.spec.timeZone ?? undefined) },
      ownerReferences: [controllerRef(cj)],
    },
    spec: template.spec ?? {},
  };
}

function jobRef(job: Stored<KubeObject>): { kind: string; namespace?: string; name: string; uid: string; apiVersion: string; resourceVersion: string } {
  return { kind: "Job", namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: "batch/v1", resourceVersion: job.metadata.resourceVersion };
}

/** The finished Jobs to delete beyond a history limit: oldest start first (never-started ones count as newest). */
export function beyondHistoryLimit(jobs: Job[], limit: number | undefined | null): Job[] {
  if (limit === undefined || limit === null || jobs.length <= limit) return [];
  const start = (j: Job) => (j.status?.startTime ? Date.parse(j.status.startTime) : Infinity);
  return [...jobs].sort((a, b) => start(a) - start(b) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "")).slice(0, jobs.length - limit);
}

export class CronJobController extends Controller {
  constructor(
    api: ConstructorParameters<typeof Controller>[1],
    private readonly now: () => number = Date.now,
  ) {
    super("cronjob-controller", api);
  }

  start(): void {
    this.watch(CRONJOBS, (e) => (e.type === "DELETED" ? [] : [`${e.object.metadata.namespace}/${e.object.metadata.name}`]));
    this.watch(JOBS, (e) => {
      const owner = controllerOf(e.object);
      return owner?.kind === "CronJob" ? [`${e.object.metadata.namespace}/${owner.name}`] : [];
    });
    this.enqueueAll(CRONJOBS);
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const found = this.api.tryGet(CRONJOBS, namespace, name) as Stored<CronJob> | undefined;
    if (!found || found.metadata.deletionTimestamp) return;
    const cj = deepCopy(found);
    const before = JSON.stringify(cj.status ?? {});
    const status = (cj.status ??= {});
    const jobs = (this.api.list(JOBS, { namespace }).items as Stored<Job>[]).filter((j) => isControlledBy(j, cj));
    this.reconcileActive(cj, jobs);
    this.cleanupFinishedJobs(cj, jobs);

    let sched: CronSchedule | undefined;
    try {
      sched = parseSchedule(cj.spec.schedule);
    } catch {
      sched = undefined; // refused by validation; nothing to run
    }
    const now = this.now();
    if (sched) {
      const decision = decide(cj, sched, now);
      if (decision.action === "create") {
        if (decision.replaceActive) {
          for (const ref of status.active ?? []) this.deleteJob(namespace, ref.name ?? "");
          status.active = [];
        }
        let created: Stored<KubeObject> | undefined;
        try {
          created = this.api.create(JOBS, jobFromTemplate(cj, decision.scheduled), namespace);
        } catch (err) {
          if (!(err instanceof ApiError && err.reason === "AlreadyExists")) throw err;
        }
        if (created) status.active = [...(status.active ?? []), jobRef(created)];
        status.lastScheduleTime = new Date(decision.scheduled).toISOString().replace(/\.\d{3}Z$/, "Z");
      }
      // Look again at the next scheduled time (upstream adds 100 ms).
      const next = nextTime(sched, now, cj.spec.timeZone ?? undefined);
      if (next !== undefined && !cj.spec.suspend) this.queue.addAfter(key, next - now + 100);
    }
    if (status.active?.length === 0) delete status.active;
    if (JSON.stringify(status) !== before) {
      const latest = this.api.tryGet(CRONJOBS, namespace, name);
      if (latest && latest.metadata.uid === cj.metadata.uid) this.api.update(CRONJOBS, { ...latest, status }, namespace, { subresource: "status" });
    }
  }

  /** Active Jobs: finished ones leave (a completed one sets lastSuccessfulTime), running ones of ours the list forgot join, gone ones leave. */
  private reconcileActive(cj: Stored<CronJob>, jobs: Stored<Job>[]): void {
    const status = cj.status!;
    const active = [...(status.active ?? [])];
    for (const job of jobs) {
      const listed = active.some((ref) => ref.uid === job.metadata.uid);
      const finished = isJobFinished(job);
      if (!listed && !finished) active.push(jobRef(job));
      if (listed && finished) {
        active.splice(active.findIndex((ref) => ref.uid === job.metadata.uid), 1);
        if (finished.type === "Complete" && job.status?.completionTime) {
          const last = Date.parse(status.lastSuccessfulTime ?? "");
          if (Number.isNaN(last) || Date.parse(job.status.completionTime) > last) status.lastSuccessfulTime = job.status.completionTime;
        }
      }
    }
    status.active = active.filter((ref) => jobs.some((j) => j.metadata.uid === ref.uid));
  }

  private cleanupFinishedJobs(cj: Stored<CronJob>, jobs: Stored<Job>[]): void {
    const succeeded = jobs.filter((j) => isJobFinished(j)?.type === "Complete");
    const failed = jobs.filter((j) => isJobFinished(j)?.type === "Failed");
    for (const job of [...beyondHistoryLimit(succeeded, cj.spec.successfulJobsHistoryLimit), ...beyondHistoryLimit(failed, cj.spec.failedJobsHistoryLimit)]) {
      this.deleteJob(cj.metadata.namespace, job.metadata?.name ?? "");
    }
  }

  private deleteJob(namespace: string | undefined, name: string): void {
    try {
      this.api.delete(JOBS, namespace, name);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
    }
  }
}
