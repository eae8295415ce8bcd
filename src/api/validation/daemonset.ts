// DaemonSets (k8s.io/kubernetes pkg/apis/apps/validation: ValidateDaemonSetSpec,
// ValidateDaemonSetUpdateStrategy, ValidateRollingUpdateDaemonSet, ValidateDaemonSetUpdate).
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject, LabelSelector } from "../types.js";
import { matchesRequirements, requirementsFromLabelSelector, validateLabelSelector } from "../selectors.js";
import { fieldImmutableErrorMsg, isValidPercent } from "./names.js";
import { validatePositiveIntOrPercent } from "./deployment.js";
import { validatePodTemplateSpec } from "./pod.js";
import { arr, asObj, child, deepEqual, isInt, obj, strMap, unset, validateNonnegative } from "./util.js";

/** upstream getIntOrPercentValue: a percentage's number, an integer, else 0. */
function intOrPercentValue(value: unknown): number {
  if (typeof value === "string" && isValidPercent(value).length === 0) return Number(value.slice(0, -1));
  return isInt(value) ? value : 0;
}

function notMoreThan100Percent(value: unknown, path: string): FieldError[] {
  if (typeof value !== "string" || isValidPercent(value).length > 0) return [];
  return Number(value.slice(0, -1)) > 100 ? [fieldErrors.invalid(path, value, "must not be greater than 100%")] : [];
}

/** A rolling update moves one of maxUnavailable and maxSurge: exactly one is non-zero. */
function validateRollingUpdate(ru: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const muPath = child(path, "maxUnavailable");
  const msPath = child(path, "maxSurge");
  // Absent values are defaulted (1 and 0).
  const maxUnavailable = unset(ru.maxUnavailable) ? 1 : ru.maxUnavailable;
  const maxSurge = unset(ru.maxSurge) ? 0 : ru.maxSurge;
  errs.push(...validatePositiveIntOrPercent(maxUnavailable, muPath));
  errs.push(...validatePositiveIntOrPercent(maxSurge, msPath));
  errs.push(...notMoreThan100Percent(maxUnavailable, muPath));
  errs.push(...notMoreThan100Percent(maxSurge, msPath));
  const hasUnavailable = intOrPercentValue(maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(maxSurge) !== 0;
  if (hasUnavailable && hasSurge) errs.push(fieldErrors.invalid(msPath, maxSurge, "may not be set when maxUnavailable is non-zero"));
  if (!hasUnavailable && !hasSurge) errs.push(fieldErrors.required(muPath, "cannot be 0 when maxSurge is 0"));
  return errs;
}

function validateUpdateStrategy(value: unknown, path: string): FieldError[] {
  const strategy = obj(value);
  const type = unset(strategy.type) ? "RollingUpdate" : strategy.type;
  switch (type) {
    case "OnDelete":
      return [];
    case "RollingUpdate": {
      const ru = asObj(strategy.rollingUpdate);
      return ru ? validateRollingUpdate(ru, child(path, "rollingUpdate")) : [];
    }
    default:
      return [fieldErrors.notSupported(path, value, ["RollingUpdate", "OnDelete"])];
  }
}

/** DaemonSet spec (metadata is checked by the caller); `old` turns on update rules. */
export function validateDaemonSetSpec(ds: KubeObject, old?: KubeObject): FieldError[] {
  const spec = obj(ds.spec);
  const errs: FieldError[] = [];
  const selPath = "spec.selector";
  const sel = asObj(spec.selector) as LabelSelector | undefined;
  if (sel) errs.push(...validateLabelSelector(sel, selPath));
  const template = obj(spec.template);
  const templateLabels = obj(template.metadata).labels;
  // An absent selector selects nothing, so it does not match the template's labels either (LabelSelectorAsSelector(nil)).
  let matches = false;
  let converted = true;
  try {
    matches = sel !== undefined && matchesRequirements(requirementsFromLabelSelector(sel, selPath), strMap(templateLabels));
  } catch {
    converted = false;
  }
  if (converted && !matches) errs.push(fieldErrors.invalid("spec.template.metadata.labels", templateLabels, "`selector` does not match template `labels`"));
  if (sel && Object.keys(obj(sel.matchLabels)).length + arr(sel.matchExpressions).length === 0) {
    errs.push(fieldErrors.invalid(selPath, sel, "empty selector is invalid for daemonset"));
  }
  errs.push(...validatePodTemplateSpec(template, "spec.template"));
  const podSpec = obj(template.spec);
  // An absent restartPolicy is defaulted to Always.
  if (!unset(podSpec.restartPolicy) && podSpec.restartPolicy !== "Always") {
    errs.push(fieldErrors.notSupported("spec.template.spec.restartPolicy", podSpec.restartPolicy, ["Always"]));
  }
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(fieldErrors.invalid("spec.template.spec.activeDeadlineSeconds", podSpec.activeDeadlineSeconds, "activeDeadlineSeconds in DaemonSet is not Supported"));
  }
  errs.push(...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"));
  errs.push(...validateNonnegative(spec.templateGeneration, "spec.templateGeneration"));
  errs.push(...validateUpdateStrategy(spec.updateStrategy, "spec.updateStrategy"));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  if (old && !deepEqual(spec.selector, obj(old.spec).selector)) errs.push(fieldErrors.invalid(selPath, spec.selector, fieldImmutableErrorMsg));
  return errs;
}
