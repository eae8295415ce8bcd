// PodDisruptionBudget (policy/v1), as kube-apiserver validates it
// (pkg/apis/policy/validation: ValidatePodDisruptionBudgetSpec): one of
// minAvailable and maxUnavailable, each a non-negative integer or a percentage
// of at most 100%; a valid label selector; a known unhealthyPodEvictionPolicy.
// The spec may change after creation (since Kubernetes 1.15).
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject, LabelSelector } from "../types.js";
import { validateLabelSelector } from "../selectors.js";
import { validatePositiveIntOrPercent } from "./deployment.js";
import { isValidPercent } from "./names.js";
import { child, obj } from "./util.js";

export const UNHEALTHY_POD_EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"];

export function validatePodDisruptionBudgetBody(pdb: KubeObject): FieldError[] {
  const spec = obj(pdb.spec);
  const path = "spec";
  const errs: FieldError[] = [];
  const present = (v: unknown) => v !== undefined && v !== null;
  if (present(spec.minAvailable) && present(spec.maxUnavailable)) {
    errs.push(fieldErrors.invalid(path, spec, "minAvailable and maxUnavailable cannot be both set"));
  }
  for (const field of ["minAvailable", "maxUnavailable"]) {
    const value = spec[field];
    if (!present(value)) continue;
    errs.push(...validatePositiveIntOrPercent(value, child(path, field)), ...notMoreThan100Percent(value, child(path, field)));
  }
  errs.push(...validateLabelSelector(spec.selector as LabelSelector | undefined, child(path, "selector")));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (present(policy) && !UNHEALTHY_POD_EVICTION_POLICIES.includes(String(policy))) {
    errs.push(fieldErrors.notSupported(child(path, "unhealthyPodEvictionPolicy"), policy, UNHEALTHY_POD_EVICTION_POLICIES));
  }
  return errs;
}

/** apps validation's IsNotMoreThan100Percent: only a well-formed percentage is checked. */
function notMoreThan100Percent(value: unknown, path: string): FieldError[] {
  if (typeof value !== "string" || isValidPercent(value).length > 0) return [];
  return Number(value.slice(0, -1)) > 100 ? [fieldErrors.invalid(path, value, "must not be greater than 100%")] : [];
}
