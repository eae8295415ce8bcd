// Jobs (k8s.io/kubernetes pkg/apis/batch/validation: validateJobSpec,
// ValidateJobSpec, validateGeneratedSelector, ValidateJobSpecUpdate) and the
// selector the Job strategy generates (pkg/registry/batch/job/strategy.go
// generateSelector). kemu validates before it assigns the uid, so a Job
// whose selector is to be generated is checked with a stand-in uid; the
// generation itself runs once the uid exists (controllers/job.ts admission).
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject, LabelSelector } from "../types.js";
import { matchesRequirements, requirementsFromLabelSelector, validateLabelSelector } from "../selectors.js";
import { fieldImmutableErrorMsg } from "./names.js";
import { validatePodTemplateSpec } from "./pod.js";
import { asObj, child, deepEqual, isInt, obj, str, strMap, unset, validateNonnegative, type Obj } from "./util.js";

export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
export const LEGACY_JOB_NAME_LABEL = "job-name";
export const CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
export const LEGACY_CONTROLLER_UID_LABEL = "controller-uid";

/** upstream maxParallelismForIndexedJob and maxCompletionsForIndexedJob */
const MAX_INDEXED = 100_000;

/**
 * generateSelector: the template gets job-name and controller-uid labels
 * (legacy and batch.kubernetes.io/ forms) unless given, and the selector
 * matches the controller-uid. Returns a copy of spec; a Job with
 * manualSelector true is returned as it is.
 */
export function withGeneratedSelector(spec: Obj, name: string, uid: string): Obj {
  if (spec.manualSelector === true) return spec;
  const template = { ...obj(spec.template) };
  const meta = { ...obj(template.metadata) };
  const labels: Record<string, unknown> = { ...obj(meta.labels) };
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(key in labels)) labels[key] = name;
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(key in labels)) labels[key] = uid;
  meta.labels = labels;
  template.metadata = meta;
  const selector = { ...obj(spec.selector) };
  const matchLabels = { ...obj(selector.matchLabels) };
  if (!(CONTROLLER_UID_LABEL in matchLabels)) matchLabels[CONTROLLER_UID_LABEL] = uid;
  selector.matchLabels = matchLabels;
  return { ...spec, template, selector };
}

/** validateGeneratedSelector: without manualSelector, the labels and the selector must carry this Job's uid. */
export function validateGeneratedSelector(spec: Obj, uid: string): FieldError[] {
  if (spec.manualSelector === true) return [];
  const labelsPath = "spec.template.metadata.labels";
  const labels = asObj(obj(obj(spec.template).metadata).labels);
  if (!labels) return [fieldErrors.required(labelsPath, "`controller-uid` must be specified if spec.manualSelector is not true")];
  const errs: FieldError[] = [];
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) {
    if (!(key in labels)) errs.push(fieldErrors.required(`${labelsPath}[${key}]`, "`controller-uid` must be specified if spec.manualSelector is not true"));
    else if (labels[key] !== uid) errs.push(fieldErrors.invalid(`${labelsPath}[${key}]`, labels[key], `must be '${uid}'`));
  }
  const selector = asObj(spec.selector);
  if (!selector) errs.push(fieldErrors.required("spec.selector"));
  else if (obj(selector.matchLabels)[CONTROLLER_UID_LABEL] !== uid) errs.push(fieldErrors.invalid("spec.selector", selector, "`selector` not auto-generated"));
  return errs;
}

/** validateJobSpec: what a Job and a CronJob's job template share. */
export function validateJobTemplateFields(specValue: unknown, path: string): FieldError[] {
  const spec = obj(specValue);
  const errs: FieldError[] = [];
  for (const field of ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"]) {
    errs.push(...validateNonnegative(spec[field], child(path, field)));
  }
  const mode = spec.completionMode;
  if (!unset(mode)) {
    if (mode !== "NonIndexed" && mode !== "Indexed") errs.push(fieldErrors.notSupported(child(path, "completionMode"), mode, ["NonIndexed", "Indexed"]));
    if (mode === "Indexed") {
      if (unset(spec.completions)) errs.push(fieldErrors.required(child(path, "completions"), "when completion mode is Indexed"));
      if (isInt(spec.parallelism) && spec.parallelism > MAX_INDEXED) {
        errs.push(fieldErrors.invalid(child(path, "parallelism"), spec.parallelism, `must be less than or equal to ${MAX_INDEXED} when completion mode is Indexed`));
      }
      if (isInt(spec.completions) && spec.completions > MAX_INDEXED) {
        errs.push(fieldErrors.invalid(child(path, "completions"), spec.completions, `must be less than or equal to ${MAX_INDEXED} when completion mode is Indexed`));
      }
    }
  }
  if (!unset(spec.backoffLimitPerIndex) && mode !== "Indexed") {
    errs.push(fieldErrors.invalid(child(path, "backoffLimitPerIndex"), spec.backoffLimitPerIndex, "requires indexed completion mode"));
  }
  const replacement = spec.podReplacementPolicy;
  if (!unset(replacement) && replacement !== "TerminatingOrFailed" && replacement !== "Failed") {
    errs.push(fieldErrors.notSupported(child(path, "podReplacementPolicy"), replacement, ["TerminatingOrFailed", "Failed"]));
  }
  const templatePath = child(path, "template");
  errs.push(...validatePodTemplateSpec(spec.template, templatePath));
  // The pod defaults make an absent restartPolicy Always: both are refused alike.
  const restartPolicy = obj(obj(spec.template).spec).restartPolicy;
  const rpPath = child(templatePath, "spec", "restartPolicy");
  if (unset(restartPolicy) || restartPolicy === "Always") errs.push(fieldErrors.required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (restartPolicy !== "OnFailure" && restartPolicy !== "Never") errs.push(fieldErrors.notSupported(rpPath, restartPolicy, ["OnFailure", "Never"]));
  return errs;
}

/** ValidateJobSpec plus the generated-selector rules; `old` turns on update rules. */
export function validateJobBody(job: KubeObject, old?: KubeObject): FieldError[] {
  const meta = obj(job.metadata);
  // On create the uid does not exist yet: the selector is checked as it will be generated.
  const uid = str(meta.uid) || str(obj(old?.metadata).uid) || "00000000-0000-0000-0000-000000000000";
  const given = obj(job.spec);
  const spec = old ? given : withGeneratedSelector(given, str(meta.name), uid);
  const errs = validateJobTemplateFields(spec, "spec");
  const sel = asObj(spec.selector) as LabelSelector | undefined;
  if (!sel) errs.push(fieldErrors.required("spec.selector"));
  else errs.push(...validateLabelSelector(sel, "spec.selector"));
  if (sel) {
    const templateLabels = obj(obj(spec.template).metadata).labels;
    try {
      if (!matchesRequirements(requirementsFromLabelSelector(sel, "spec.selector"), strMap(templateLabels))) {
        errs.push(fieldErrors.invalid("spec.template.metadata.labels", templateLabels, "`selector` does not match template `labels`"));
      }
    } catch {
      // validateLabelSelector has reported it.
    }
  }
  errs.push(...validateGeneratedSelector(spec, uid));
  if (old) errs.push(...validateJobSpecUpdate(spec, obj(old.spec)));
  return errs;
}

/** ValidateJobSpecUpdate: what may not change once the Job exists (completions may, for an elastic Indexed Job). */
function validateJobSpecUpdate(spec: Obj, oldSpec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const immutable = (field: string) => {
    if (!deepEqual(spec[field], oldSpec[field])) errs.push(fieldErrors.invalid(child("spec", field), spec[field], fieldImmutableErrorMsg));
  };
  const elastic = spec.completionMode === "Indexed" && spec.completions === spec.parallelism && oldSpec.completions === oldSpec.parallelism;
  if (!elastic) immutable("completions");
  for (const field of ["selector", "template", "completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"]) immutable(field);
  return errs;
}
