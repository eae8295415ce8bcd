// DaemonSet, Job and CronJob as kube-apiserver defaults and validates them
// (pkg/apis/apps/v1 and batch/v1 defaults.go; pkg/apis/apps/validation
// ValidateDaemonSetSpec/ValidateRollingUpdateDaemonSet; pkg/apis/batch/validation
// validateJobSpec/ValidateJobSpec/validateCronJobSpec/validateScheduleFormat/
// validateTimeZone — cases after TestValidateJob, TestValidateCronJob* and
// TestValidateDaemonSet*), and the generated Job selector (registry/batch/job generateSelector).
import { describe, it, expect } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { withGeneratedSelector } from "../../src/api/validation/job.js";
import type { KubeObject } from "../../src/api/types.js";

const errs = (obj: KubeObject, old?: KubeObject) => validateObject(applyDefaults(obj), old && applyDefaults(old)).map(String);
const podSpec = (restartPolicy?: string) => ({ ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: "c", image: "busybox", command: ["sh", "-c", "exit 0"] }] });

const daemonSet = (spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "agent", namespace: "default" },
  spec: { selector: { matchLabels: { app: "agent" } }, template: { metadata: { labels: { app: "agent" } }, spec: podSpec() }, ...spec },
});
const job = (spec: Record<string, unknown> = {}, name = "pi"): KubeObject => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, namespace: "default" },
  spec: { template: { spec: podSpec("Never") }, ...spec },
});
const cronJob = (spec: Record<string, unknown> = {}, name = "hello"): KubeObject => ({
  apiVersion: "batch/v1",
  kind: "CronJob",
  metadata: { name, namespace: "default" },
  spec: { schedule: "*/5 * * * *", jobTemplate: { spec: { template: { spec: podSpec("OnFailure") } } }, ...spec },
});

describe("defaults (apps/v1 and batch/v1 defaults.go)", () => {
  it("DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, ten revisions", () => {
    const spec = applyDefaults(daemonSet()).spec as Record<string, unknown>;
    expect(spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(spec.revisionHistoryLimit).toBe(10);
    expect(applyDefaults(daemonSet({ updateStrategy: { type: "OnDelete" } })).spec).toMatchObject({ updateStrategy: { type: "OnDelete" } });
  });

  it("Job: completions and parallelism 1 when both absent, backoffLimit 6, NonIndexed, not suspended, TerminatingOrFailed; labels from the template", () => {
    const defaulted = applyDefaults(job({ template: { metadata: { labels: { app: "pi" } }, spec: podSpec("Never") } }));
    const spec = defaulted.spec as Record<string, unknown>;
    expect([spec.completions, spec.parallelism, spec.backoffLimit, spec.completionMode, spec.suspend, spec.podReplacementPolicy]).toEqual([1, 1, 6, "NonIndexed", false, "TerminatingOrFailed"]);
    expect(defaulted.metadata?.labels).toEqual({ app: "pi" });
    const parallelOnly = applyDefaults(job({ parallelism: 3 })).spec as Record<string, unknown>;
    expect([parallelOnly.completions, parallelOnly.parallelism]).toEqual([undefined, 3]);
    expect((applyDefaults(job({ backoffLimitPerIndex: 1, completionMode: "Indexed", completions: 2 })).spec as Record<string, unknown>).backoffLimit).toBe(2147483647);
  });

  it("CronJob: Allow, not suspended, history limits 3 and 1", () => {
    const spec = applyDefaults(cronJob()).spec as Record<string, unknown>;
    expect([spec.concurrencyPolicy, spec.suspend, spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit]).toEqual(["Allow", false, 3, 1]);
  });
});

describe("DaemonSet validation", () => {
  it("accepts a valid set and both update strategies", () => {
    expect(errs(daemonSet())).toEqual([]);
    expect(errs(daemonSet({ updateStrategy: { type: "OnDelete" } }))).toEqual([]);
    expect(errs(daemonSet({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "20%" } } }))).toEqual([]);
  });

  it("refuses surge and unavailability together, or neither", () => {
    expect(errs(daemonSet({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } }))).toEqual([
      "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero",
    ]);
    expect(errs(daemonSet({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }))).toEqual([
      "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0",
    ]);
    expect(errs(daemonSet({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "150%" } } }))).toEqual([
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
    ]);
  });

  it("refuses a strategy it does not know, restartPolicy other than Always, a selector that misses the template", () => {
    expect(errs(daemonSet({ updateStrategy: { type: "Recreate" } }))).toEqual(['spec.updateStrategy: Unsupported value: {"type":"Recreate"}: supported values: "RollingUpdate", "OnDelete"']);
    expect(errs(daemonSet({ template: { metadata: { labels: { app: "agent" } }, spec: podSpec("Never") } }))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
    expect(errs(daemonSet({ selector: { matchLabels: { app: "other" } } }))).toEqual(['spec.template.metadata.labels: Invalid value: {"app":"agent"}: `selector` does not match template `labels`']);
  });

  it("keeps the selector immutable", () => {
    const changed = daemonSet({ selector: { matchLabels: { app: "agent", tier: "x" } }, template: { metadata: { labels: { app: "agent", tier: "x" } }, spec: podSpec() } });
    expect(errs(changed, daemonSet())).toEqual(['spec.selector: Invalid value: {"matchLabels":{"app":"agent","tier":"x"}}: field is immutable']);
  });
});

describe("Job validation", () => {
  it("accepts a Job whose selector is to be generated", () => {
    expect(errs(job())).toEqual([]);
    expect(errs(job({ completions: 3, parallelism: 2, backoffLimit: 0, activeDeadlineSeconds: 30, ttlSecondsAfterFinished: 0 }))).toEqual([]);
  });

  it("requires restartPolicy OnFailure or Never (Always is the pod default)", () => {
    expect(errs(job({ template: { spec: podSpec() } }))).toEqual(['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
    expect(errs(job({ template: { spec: podSpec("Always") } }))).toEqual(['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  });

  it("refuses negative counts and an unknown completion mode; Indexed needs completions", () => {
    expect(errs(job({ completions: -1, parallelism: -2, backoffLimit: -1 }))).toEqual([
      "spec.parallelism: Invalid value: -2: must be greater than or equal to 0",
      "spec.completions: Invalid value: -1: must be greater than or equal to 0",
      "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
    ]);
    expect(errs(job({ completionMode: "Random" }))).toEqual(['spec.completionMode: Unsupported value: "Random": supported values: "NonIndexed", "Indexed"']);
    expect(errs(job({ completionMode: "Indexed", parallelism: 2 }))).toEqual(["spec.completions: Required value: when completion mode is Indexed"]);
  });

  it("with manualSelector, needs a selector that matches the template", () => {
    expect(errs(job({ manualSelector: true }))).toEqual(["spec.selector: Required value"]);
    expect(errs(job({ manualSelector: true, selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "c" } }, spec: podSpec("Never") } }))).toEqual([
      'spec.template.metadata.labels: Invalid value: {"a":"c"}: `selector` does not match template `labels`',
    ]);
  });

  it("generates the selector and labels as generateSelector does", () => {
    expect(withGeneratedSelector({ template: { metadata: { labels: { app: "pi" } } } }, "pi", "u-1")).toEqual({
      template: { metadata: { labels: { app: "pi", "job-name": "pi", "batch.kubernetes.io/job-name": "pi", "controller-uid": "u-1", "batch.kubernetes.io/controller-uid": "u-1" } } },
      selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "u-1" } },
    });
  });

  it("keeps the template and completions immutable (an elastic Indexed Job may change completions with parallelism)", () => {
    const stored = applyDefaults(job({ completions: 2 }));
    stored.metadata!.uid = "u-1";
    stored.spec = withGeneratedSelector(stored.spec as Record<string, unknown>, "pi", "u-1");
    const changed = structuredClone(stored);
    (changed.spec as Record<string, unknown>).completions = 3;
    expect(validateObject(changed, stored).map(String)).toEqual(["spec.completions: Invalid value: 3: field is immutable"]);
    const indexed = applyDefaults(job({ completionMode: "Indexed", completions: 2, parallelism: 2 }));
    indexed.metadata!.uid = "u-2";
    indexed.spec = withGeneratedSelector(indexed.spec as Record<string, unknown>, "pi", "u-2");
    const scaled = structuredClone(indexed);
    Object.assign(scaled.spec as Record<string, unknown>, { completions: 4, parallelism: 4 });
    expect(validateObject(scaled, indexed).map(String)).toEqual([]);
  });
});

describe("CronJob validation", () => {
  it("accepts schedules with ranges, steps, names and descriptors, and a time zone", () => {
    for (const schedule of ["* * * * *", "0 */2 * * MON-FRI", "30 6-16/4 1,15 JAN,jul *", "@hourly", "@every 1h30m"]) expect(errs(cronJob({ schedule }))).toEqual([]);
    expect(errs(cronJob({ timeZone: "Europe/Berlin" }))).toEqual([]);
  });

  it("words a bad schedule as the cron library does", () => {
    expect(errs(cronJob({ schedule: "* * *" }))).toEqual(['spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]']);
    expect(errs(cronJob({ schedule: "60 * * * *" }))).toEqual(['spec.schedule: Invalid value: "60 * * * *": end of range (60) above maximum (59): 60']);
    expect(errs(cronJob({ schedule: "@fortnightly" }))).toEqual(['spec.schedule: Invalid value: "@fortnightly": unrecognized descriptor: @fortnightly']);
    expect(errs(cronJob({ schedule: "" }))).toEqual(["spec.schedule: Required value"]);
  });

  it("refuses TZ in the schedule, an unknown or Local time zone", () => {
    expect(errs(cronJob({ schedule: "TZ=UTC 0 * * * *" }))).toEqual(['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
    expect(errs(cronJob({ timeZone: "Mars/Olympus" }))).toEqual(['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']);
    expect(errs(cronJob({ timeZone: "Local" }))).toEqual(['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']);
  });

  it("refuses a concurrency policy it does not know, a template selector, and names over 52 characters", () => {
    expect(errs(cronJob({ concurrencyPolicy: "Sometimes" }))).toEqual(['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']);
    expect(errs(cronJob({ jobTemplate: { spec: { selector: { matchLabels: { a: "b" } }, template: { spec: podSpec("Never") } } } }))).toEqual([
      'spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated',
    ]);
    const long = "c".repeat(53);
    expect(errs(cronJob({}, long))).toEqual([`metadata.name: Invalid value: "${long}": must be no more than 52 characters`]);
  });
});
