// Deployments: replicas, selector/template (shared with ReplicaSets), strategy.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { isNegativeErrorMsg, isValidPercent } from "./names.js";
import { validateSelectorAndTemplate, validateSelectorImmutable } from "./replicaset.js";
import { asObj, child, isInt, obj, unset, validateNonnegative } from "./util.js";

/** An int-or-percent (`maxSurge`, `maxUnavailable`): a non-negative integer or `N%`. */
export function validatePositiveIntOrPercent(value: unknown, path: string): FieldError[] {
  if (typeof value === "string") return isValidPercent(value).map((msg) => fieldErrors.invalid(path, value, msg));
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return [fieldErrors.invalid(path, value, "must be an integer or percentage (e.g '5%%')")];
    return value < 0 ? [fieldErrors.invalid(path, value, isNegativeErrorMsg)] : [];
  }
  return [fieldErrors.invalid(path, value, "must be an integer or percentage (e.g '5%%')")];
}

function percentValue(value: unknown): number | undefined {
  return typeof value === "string" && isValidPercent(value).length === 0 ? Number(value.slice(0, -1)) : undefined;
}

/** The value used for the "both zero" rule; like upstream, an unparsable string counts as 0. */
function intOrPercentValue(value: unknown): number {
  const pct = percentValue(value);
  if (pct !== undefined) return pct;
  if (isInt(value)) return value;
  if (typeof value === "string" && /^-?[0-9]+$/.test(value)) return Number(value);
  return 0;
}

function validateRollingUpdate(ru: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  // Absent values are defaulted to 25%.
  const maxUnavailable = ru.maxUnavailable === undefined || ru.maxUnavailable === null ? "25%" : ru.maxUnavailable;
  const maxSurge = ru.maxSurge === undefined || ru.maxSurge === null ? "25%" : ru.maxSurge;
  errs.push(...validatePositiveIntOrPercent(maxUnavailable, child(path, "maxUnavailable")));
  errs.push(...validatePositiveIntOrPercent(maxSurge, child(path, "maxSurge")));
  if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
    errs.push(fieldErrors.invalid(child(path, "maxUnavailable"), maxUnavailable, "may not be 0 when `maxSurge` is 0"));
  }
  const pct = percentValue(maxUnavailable);
  if (pct !== undefined && pct > 100) {
    errs.push(fieldErrors.invalid(child(path, "maxUnavailable"), maxUnavailable, "must not be greater than 100%"));
  }
  return errs;
}

/** spec.strategy: Recreate (without rollingUpdate) or RollingUpdate (the default). */
export function validateDeploymentStrategy(strategyValue: unknown, path: string): FieldError[] {
  const strategy = obj(strategyValue);
  const type = unset(strategy.type) ? "RollingUpdate" : strategy.type;
  switch (type) {
    case "Recreate":
      return strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null
        ? [fieldErrors.forbidden(child(path, "rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")]
        : [];
    case "RollingUpdate":
      return validateRollingUpdate(asObj(strategy.rollingUpdate) ?? {}, child(path, "rollingUpdate"));
    default:
      return [fieldErrors.notSupported(path, strategyValue, ["Recreate", "RollingUpdate"])];
  }
}

/** Deployment spec (metadata is checked by the caller); `old` turns on update rules. */
export function validateDeploymentSpec(d: KubeObject, old?: KubeObject): FieldError[] {
  const spec = obj(d.spec);
  const errs: FieldError[] = [];
  errs.push(...validateNonnegative(spec.replicas, "spec.replicas"));
  errs.push(...validateSelectorAndTemplate(spec, "spec"));
  errs.push(...validateDeploymentStrategy(spec.strategy, "spec.strategy"));
  errs.push(...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  const pds = spec.progressDeadlineSeconds;
  if (pds !== undefined && pds !== null) {
    errs.push(...validateNonnegative(pds, "spec.progressDeadlineSeconds"));
    const minReady = isInt(spec.minReadySeconds) ? spec.minReadySeconds : 0;
    if (isInt(pds) && pds <= minReady) {
      errs.push(fieldErrors.invalid("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"));
    }
  }
  if (old) errs.push(...validateSelectorImmutable(d.spec, old.spec));
  return errs;
}
