// CronJobs (k8s.io/kubernetes pkg/apis/batch/validation: ValidateCronJobCreate,
// validateCronJobSpec, validateScheduleFormat, validateTimeZone,
// validateConcurrencyPolicy, ValidateJobTemplateSpec). The schedule is parsed
// as kube-controller-manager parses it (api/cron-schedule.ts, shared with the CronJob controller).
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { CronParseError, isTimeZone, parseSchedule } from "../cron-schedule.js";
import { validateJobTemplateFields } from "./job.js";
import { child, obj, str, unset, validateNonnegative } from "./util.js";

/** 63 (a DNS-1035 label) less the 11 characters of the `-<minutes>` suffix of its Jobs' names. */
const MAX_NAME = 52;
const validTimeZoneCharacters = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateSchedule(schedule: string, allowTZInSchedule: boolean, timeZone: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  try {
    parseSchedule(schedule);
  } catch (err) {
    if (!(err instanceof CronParseError)) throw err;
    errs.push(fieldErrors.invalid(path, schedule, err.message));
  }
  if (allowTZInSchedule && schedule.includes("TZ") && !unset(timeZone)) {
    errs.push(fieldErrors.invalid(path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"));
  } else if (!allowTZInSchedule && schedule.includes("TZ")) {
    errs.push(fieldErrors.invalid(path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  }
  return errs;
}

/** validateTimeZone: absent, or an IANA zone name other than Local. */
export function validateTimeZone(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  const tz = str(value);
  if (tz === "") return [fieldErrors.invalid(path, value, "timeZone must be nil or non-empty string")];
  for (const part of tz.split("/")) {
    if (part === "." || part === ".." || part.startsWith("-") || !validTimeZoneCharacters.test(part)) {
      return [fieldErrors.invalid(path, value, `must be a valid time zone name, e.g. "America/New_York"; segment ${JSON.stringify(part)} is not valid`)];
    }
  }
  if (tz.toLowerCase() === "local") return [fieldErrors.invalid(path, value, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")];
  if (!isTimeZone(tz)) return [fieldErrors.invalid(path, value, `unknown time zone ${tz}`)];
  return [];
}

/** CronJob name and spec (the caller checks the rest of metadata); `old` turns on update rules. */
export function validateCronJobBody(cj: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(obj(cj.metadata).name);
  if (!old && name.length > MAX_NAME) errs.push(fieldErrors.invalid("metadata.name", name, `must be no more than ${MAX_NAME} characters`));
  const spec = obj(cj.spec);
  const oldSpec = old ? obj(old.spec) : undefined;
  const schedule = str(spec.schedule);
  if (schedule === "") errs.push(fieldErrors.required("spec.schedule"));
  else errs.push(...validateSchedule(schedule, oldSpec !== undefined && str(oldSpec.schedule).includes("TZ"), spec.timeZone, "spec.schedule"));
  errs.push(...validateNonnegative(spec.startingDeadlineSeconds, "spec.startingDeadlineSeconds"));
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone) errs.push(...validateTimeZone(spec.timeZone, "spec.timeZone"));
  const policy = spec.concurrencyPolicy;
  if (unset(policy)) errs.push(fieldErrors.required("spec.concurrencyPolicy"));
  else if (!["Allow", "Forbid", "Replace"].includes(str(policy))) errs.push(fieldErrors.notSupported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]));
  const jobTemplate = obj(spec.jobTemplate);
  const jobSpec = obj(jobTemplate.spec);
  const jtPath = "spec.jobTemplate";
  errs.push(...validateJobTemplateFields(jobSpec, child(jtPath, "spec")));
  if (jobSpec.selector !== undefined && jobSpec.selector !== null) {
    errs.push(fieldErrors.invalid(child(jtPath, "spec", "selector"), jobSpec.selector, "`selector` will be auto-generated"));
  }
  if (jobSpec.manualSelector === true) errs.push(fieldErrors.notSupported(child(jtPath, "spec", "manualSelector"), true, ["nil", "false"]));
  errs.push(...validateNonnegative(spec.successfulJobsHistoryLimit, "spec.successfulJobsHistoryLimit"));
  errs.push(...validateNonnegative(spec.failedJobsHistoryLimit, "spec.failedJobsHistoryLimit"));
  return errs;
}
