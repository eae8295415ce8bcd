// The Job, CronJob and TTL-after-finished controllers (controllers/job.ts,
// cronjob.ts, ttlafterfinished.ts): pure decisions after upstream's
// job_controller_test.go, cronjob_controllerv2_test.go and utils_test.go
// cases, then the controllers in process with the kubelet's part played by
// the test (pods set Succeeded or Failed) and the CronJob clock injected.
import { describe, it, expect, afterEach } from "vitest";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { CronJob, Job, KubeObject, Pod, Stored } from "../../src/api/types.js";
import { JobController, JobSelectorGeneration, failureOf, formatIndexes, newJobPod, podBackoffMs, wantActive } from "../../src/controllers/job.js";
import { CronJobController, beyondHistoryLimit, decide, jobNameFor, mostRecentScheduleTime, rfc3339In } from "../../src/controllers/cronjob.js";
import { TtlAfterFinishedController, msUntilExpiry } from "../../src/controllers/ttlafterfinished.js";
import { parseSchedule } from "../../src/api/cron-schedule.js";
import type { Controller } from "../../src/controllers/controller.js";
import { withNamespaces, until } from "../support/fixtures.js";

const PODS = resourceByKind("Pod")!;
const JOBS = resourceByKind("Job")!;
const CRONJOBS = resourceByKind("CronJob")!;

const jobOf = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): Job =>
  ({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "pi" }, spec: { template: { spec: { restartPolicy: "Never", containers: [] } }, ...spec }, status }) as Job;

describe("Job decisions", () => {
  it("wantActive: parallelism bounded by what is left to succeed; without completions, until one succeeds", () => {
    expect(wantActive(jobOf({ completions: 3, parallelism: 2 }), 0, 0)).toBe(2);
    expect(wantActive(jobOf({ completions: 3, parallelism: 2 }), 2, 1)).toBe(1);
    expect(wantActive(jobOf({ parallelism: 4 }), 0, 0)).toBe(4);
    expect(wantActive(jobOf({ parallelism: 4 }), 1, 3)).toBe(3);
    expect(wantActive(jobOf({ completions: 3, parallelism: 2, suspend: true }), 0, 2)).toBe(0);
  });

  it("fails past backoffLimit (failed > limit), on OnFailure restarts, and past activeDeadlineSeconds", () => {
    expect(failureOf(jobOf({ backoffLimit: 1 }), 1, 0, 0)).toBeUndefined();
    expect(failureOf(jobOf({ backoffLimit: 1 }), 2, 0, 0)).toEqual({ reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" });
    const onFailure = jobOf({ backoffLimit: 2, template: { spec: { restartPolicy: "OnFailure", containers: [] } } });
    expect([failureOf(onFailure, 0, 1, 0), failureOf(onFailure, 0, 2, 0)?.reason]).toEqual([undefined, "BackoffLimitExceeded"]);
    const deadline = jobOf({ activeDeadlineSeconds: 10 }, { startTime: "2024-01-01T00:00:00Z" });
    expect(failureOf(deadline, 0, 0, Date.parse("2024-01-01T00:00:09Z"))).toBeUndefined();
    expect(failureOf(deadline, 0, 0, Date.parse("2024-01-01T00:00:10Z"))).toEqual({ reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" });
  });

  it("backs pod creation off 10 s, doubling, at most 10 minutes", () => {
    expect([0, 1, 2, 3, 7, 20].map(podBackoffMs)).toEqual([0, 10_000, 20_000, 40_000, 600_000, 600_000]);
  });

  it("writes completed indexes as upstream (ranges of three or more)", () => {
    expect(formatIndexes([5, 0, 1, 2, 7, 8])).toBe("0-2,5,7,8");
  });

  it("an Indexed pod carries its index: annotation, label, hostname, JOB_COMPLETION_INDEX", () => {
    const job = { ...jobOf({ completionMode: "Indexed", completions: 3, template: { metadata: { labels: { app: "pi" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } }), metadata: { name: "pi", namespace: "default", uid: "u", resourceVersion: "1", creationTimestamp: "" } } as Stored<Job>;
    const pod = newJobPod(job, 2) as Pod;
    expect(pod.metadata).toMatchObject({ generateName: "pi-2-", annotations: { "batch.kubernetes.io/job-completion-index": "2" }, labels: { app: "pi", "batch.kubernetes.io/job-completion-index": "2" } });
    expect(pod.spec.hostname).toBe("pi-2");
    expect(pod.spec.containers[0]!.env).toEqual([{ name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
  });
});

const cron = (spec: Record<string, unknown>, status: Record<string, unknown> = {}, created = "2024-03-01T10:00:30Z"): CronJob =>
  ({ apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "hello", creationTimestamp: created }, spec: { concurrencyPolicy: "Allow", jobTemplate: { spec: {} }, ...spec }, status }) as CronJob;
const every5 = parseSchedule("*/5 * * * *");
const at = (iso: string) => Date.parse(iso);

describe("CronJob decisions (injected time)", () => {
  it("waits before the first time, then creates the Job of the most recent time", () => {
    const cj = cron({ schedule: "*/5 * * * *" });
    expect(decide(cj, every5, at("2024-03-01T10:04:59Z"))).toEqual({ action: "wait", reason: "no-unmet-time" });
    expect(decide(cj, every5, at("2024-03-01T10:05:00Z"))).toEqual({ action: "create", scheduled: at("2024-03-01T10:05:00Z"), replaceActive: false });
    // Several missed: only the most recent runs.
    expect(mostRecentScheduleTime(cj, every5, at("2024-03-01T10:31:00Z"))).toEqual({ time: at("2024-03-01T10:30:00Z"), missed: 6 });
    expect(jobNameFor("hello", at("2024-03-01T10:05:00Z"))).toBe("hello-28488125");
  });

  it("does not make a time's Job twice, skips a time past startingDeadlineSeconds, and honours suspend", () => {
    const done = cron({ schedule: "*/5 * * * *" }, { lastScheduleTime: "2024-03-01T10:05:00Z" });
    expect(decide(done, every5, at("2024-03-01T10:07:00Z"))).toEqual({ action: "wait", reason: "no-unmet-time" });
    const late = cron({ schedule: "*/5 * * * *", startingDeadlineSeconds: 30 });
    expect(decide(late, every5, at("2024-03-01T10:05:31Z"))).toEqual({ action: "wait", reason: "no-unmet-time" });
    expect(decide(late, every5, at("2024-03-01T10:05:20Z"))).toMatchObject({ action: "create" });
    expect(decide(cron({ schedule: "*/5 * * * *", suspend: true }), every5, at("2024-03-01T10:05:00Z"))).toEqual({ action: "wait", reason: "suspended" });
  });

  it("Forbid skips while a Job runs; Replace deletes the running ones first", () => {
    const active = { active: [{ kind: "Job", name: "hello-28490700", uid: "x" }] };
    expect(decide(cron({ schedule: "*/5 * * * *", concurrencyPolicy: "Forbid" }, active), every5, at("2024-03-01T10:05:00Z"))).toEqual({ action: "skip", reason: "JobAlreadyActive", scheduled: at("2024-03-01T10:05:00Z") });
    expect(decide(cron({ schedule: "*/5 * * * *", concurrencyPolicy: "Replace" }, active), every5, at("2024-03-01T10:05:00Z"))).toEqual({ action: "create", scheduled: at("2024-03-01T10:05:00Z"), replaceActive: true });
  });

  it("writes the scheduled time in the CronJob's zone, and keeps the newest finished Jobs", () => {
    expect(rfc3339In(at("2024-03-01T10:05:00Z"))).toBe("2024-03-01T10:05:00Z");
    expect(rfc3339In(at("2024-03-01T10:05:00Z"), "Europe/Berlin")).toBe("2024-03-01T11:05:00+01:00");
    const finished = ["2024-01-03", "2024-01-01", "2024-01-02"].map((d, i) => ({ metadata: { name: `j${i}` }, status: { startTime: `${d}T00:00:00Z` } }) as Job);
    expect(beyondHistoryLimit(finished, 1).map((j) => j.metadata.name)).toEqual(["j1", "j2"]);
    expect(beyondHistoryLimit(finished, 3)).toEqual([]);
  });

  it("TTL: a finished Job expires ttlSecondsAfterFinished after its terminal condition", () => {
    const finished = jobOf({ ttlSecondsAfterFinished: 60 }, { conditions: [{ type: "Complete", status: "True", lastTransitionTime: "2024-01-01T00:00:00Z" }] });
    expect(msUntilExpiry(finished, at("2024-01-01T00:00:30Z"))).toBe(30_000);
    expect(msUntilExpiry(finished, at("2024-01-01T00:02:00Z"))).toBe(0);
    expect(msUntilExpiry(jobOf({ ttlSecondsAfterFinished: 60 }), 0)).toBeUndefined();
  });
});

describe("in process", () => {
  const running: Controller[] = [];
  afterEach(() => running.splice(0).forEach((c) => c.stop()));
  const start = (api: ApiServer, ...controllers: Controller[]) => controllers.forEach((c) => (c.start(), running.push(c)));
  const pods = (api: ApiServer) => (api.list(PODS, { namespace: "default" }).items as Stored<Pod>[]).filter((p) => !p.metadata.deletionTimestamp);
  const finish = (api: ApiServer, p: Stored<Pod>, phase: "Succeeded" | "Failed") => api.update(PODS, { ...p, status: { phase } }, "default", { subresource: "status" });
  const job = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "pi", namespace: "default" }, spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", command: ["sh", "-c", "exit 0"] }] } }, ...spec } });
  const conditions = (api: ApiServer) => ((api.get(JOBS, "default", "pi") as Stored<Job>).status?.conditions ?? []).map((c) => [c.type, c.reason ?? "", c.message ?? ""]);

  it("completions 3, parallelism 2: two pods, then one, then SuccessCriteriaMet and Complete with the counts", async () => {
    const api = withNamespaces();
    api.addAdmission(new JobSelectorGeneration());
    start(api, new JobController(api));
    const created = api.create(JOBS, job({ completions: 3, parallelism: 2 }), "default") as Stored<Job>;
    expect(created.spec.selector).toEqual({ matchLabels: { "batch.kubernetes.io/controller-uid": created.metadata.uid } });
    expect(created.metadata.labels).toEqual({ "batch.kubernetes.io/controller-uid": created.metadata.uid, "batch.kubernetes.io/job-name": "pi", "controller-uid": created.metadata.uid, "job-name": "pi" });
    await until(() => expect(pods(api).filter((p) => !p.status?.phase).length).toBe(2));
    for (const p of pods(api)) finish(api, p, "Succeeded");
    await until(() => expect(pods(api).filter((p) => !p.status?.phase).length).toBe(1));
    for (const p of pods(api).filter((p) => !p.status?.phase)) finish(api, p, "Succeeded");
    await until(() => expect(conditions(api)).toEqual([
      ["SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"],
      ["Complete", "CompletionsReached", "Reached expected number of succeeded pods"],
    ]));
    const status = (api.get(JOBS, "default", "pi") as Stored<Job>).status!;
    expect({ succeeded: status.succeeded, active: status.active, ready: status.ready, terminating: status.terminating, uncounted: status.uncountedTerminatedPods }).toEqual({ succeeded: 3, active: undefined, ready: 0, terminating: 0, uncounted: {} });
    expect(status.startTime && status.completionTime).toBeTruthy();
  });

  it("backoffLimit 0: the first failed pod fails the Job (FailureTarget, then Failed)", async () => {
    const api = withNamespaces();
    api.addAdmission(new JobSelectorGeneration());
    start(api, new JobController(api));
    api.create(JOBS, job({ backoffLimit: 0 }), "default");
    await until(() => expect(pods(api).length).toBe(1));
    finish(api, pods(api)[0]!, "Failed");
    await until(() => expect(conditions(api)).toEqual([
      ["FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"],
      ["Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"],
    ]));
    expect((api.get(JOBS, "default", "pi") as Stored<Job>).status?.failed).toBe(1);
  });

  it("the TTL controller deletes a finished Job with ttlSecondsAfterFinished 0", async () => {
    const api = withNamespaces();
    api.addAdmission(new JobSelectorGeneration());
    start(api, new JobController(api), new TtlAfterFinishedController(api));
    api.create(JOBS, job({ ttlSecondsAfterFinished: 0 }), "default");
    await until(() => expect(pods(api).length).toBe(1));
    finish(api, pods(api)[0]!, "Succeeded");
    await until(() => expect(api.tryGet(JOBS, "default", "pi")).toBeUndefined());
  });

  it("the CronJob controller makes the Job of a scheduled time (clock injected), named and annotated as upstream", async () => {
    const api = withNamespaces();
    api.addAdmission(new JobSelectorGeneration());
    const cj: KubeObject = { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "hello", namespace: "default" }, spec: { schedule: "* * * * *", jobTemplate: { metadata: { labels: { app: "hello" } }, spec: job({}).spec } } };
    const stored = api.create(CRONJOBS, cj, "default") as Stored<CronJob>;
    const firstRun = Math.floor(Date.parse(stored.metadata.creationTimestamp) / 60_000) * 60_000 + 60_000;
    start(api, new CronJobController(api, () => firstRun + 1_000));
    const name = jobNameFor("hello", firstRun);
    await until(() => expect(api.tryGet(JOBS, "default", name)).toBeDefined());
    const made = api.get(JOBS, "default", name) as Stored<Job>;
    expect(made.metadata.annotations).toEqual({ "batch.kubernetes.io/cronjob-scheduled-timestamp": new Date(firstRun).toISOString().replace(".000Z", "Z") });
    expect(made.metadata.ownerReferences?.[0]).toMatchObject({ kind: "CronJob", name: "hello", controller: true });
    await until(() => expect((api.get(CRONJOBS, "default", "hello") as Stored<CronJob>).status).toEqual({
      active: [{ kind: "Job", namespace: "default", name, uid: made.metadata.uid, apiVersion: "batch/v1", resourceVersion: made.metadata.resourceVersion }],
      lastScheduleTime: new Date(firstRun).toISOString().replace(".000Z", "Z"),
    }));
  });
});
