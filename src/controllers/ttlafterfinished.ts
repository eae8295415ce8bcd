// TTL-after-finished controller (pkg/controller/ttlafterfinished): a Job with
// spec.ttlSecondsAfterFinished is deleted that many seconds after it finished
// (its Complete or Failed condition), with its pods (background propagation:
// the garbage collector takes them).
import { Controller, splitKey } from "./controller.js";
import type { Job, Stored } from "../api/types.js";
import { ApiError } from "../api/errors.js";
import { JOBS, isJobFinished } from "./job.js";

/** Milliseconds until the Job expires (0: now), or undefined when it has no TTL or has not finished. */
export function msUntilExpiry(job: Job, now: number): number | undefined {
  const ttl = job.spec.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null) return undefined;
  const finished = isJobFinished(job);
  if (!finished) return undefined;
  const at = Date.parse(finished.at);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at + ttl * 1000 - now);
}

export class TtlAfterFinishedController extends Controller {
  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("ttl-after-finished-controller", api);
  }

  start(): void {
    this.watch(JOBS, (e) => (e.type === "DELETED" ? [] : [`${e.object.metadata.namespace}/${e.object.metadata.name}`]));
    this.enqueueAll(JOBS);
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const job = this.api.tryGet(JOBS, namespace, name) as Stored<Job> | undefined;
    if (!job || job.metadata.deletionTimestamp) return;
    const wait = msUntilExpiry(job, Date.now());
    if (wait === undefined) return;
    if (wait > 0) {
      this.queue.addAfter(key, wait + 50);
      return;
    }
    try {
      this.api.delete(JOBS, namespace, name);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
    }
  }
}
