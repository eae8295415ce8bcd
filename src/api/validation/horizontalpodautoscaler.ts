// HorizontalPodAutoscaler (autoscaling/v2), as kube-apiserver 1.32 validates it
// (pkg/apis/autoscaling/validation: validateHorizontalPodAutoscalerSpec,
// validateMetricSpec and its sources, validateMetricTarget, validateBehavior).
// Stored only: kemu has no metrics pipeline and runs no HPA controller.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { parseQuantity, QuantityError } from "../quantity.js";
import { isDNS1123Label, isPathSegmentName } from "./names.js";
import { arr, asObj, child, index, isInt, obj, str, unset } from "./util.js";

/** MaxPeriodSeconds and MaxStabilizationWindowSeconds of upstream's validation. */
export const MAX_PERIOD_SECONDS = 1800;
export const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const METRIC_SOURCE_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"];
const SELECT_POLICIES = ["Disabled", "Max", "Min"];
const POLICY_TYPES = ["Percent", "Pods"];

type Obj = Record<string, unknown>;

export function validateHorizontalPodAutoscalerBody(hpa: KubeObject, old?: KubeObject): FieldError[] {
  const spec = obj(hpa.spec);
  // HPAScaleToZero is off (alpha): minReplicas 0 stays allowed only on an object that already has it.
  const lowerBound = old && obj(old.spec).minReplicas === 0 ? 0 : 1;
  const errs: FieldError[] = [];
  const min = spec.minReplicas;
  const max = isInt(spec.maxReplicas) ? spec.maxReplicas : 0;
  if (isInt(min) && min < lowerBound) errs.push(fieldErrors.invalid("spec.minReplicas", min, `must be greater than or equal to ${lowerBound}`));
  if (max < 1) errs.push(fieldErrors.invalid("spec.maxReplicas", max, "must be greater than 0"));
  if (isInt(min) && max < min) errs.push(fieldErrors.invalid("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`"));
  errs.push(...validateCrossVersionObjectReference(obj(spec.scaleTargetRef), "spec.scaleTargetRef"));
  const metrics = arr(spec.metrics);
  metrics.forEach((m, i) => errs.push(...validateMetricSpec(obj(m), index("spec.metrics", i))));
  if (min === 0 && !metrics.some((m) => ["Object", "External"].includes(str(obj(m).type)))) {
    errs.push(fieldErrors.forbidden("spec.metrics", "must specify at least one Object or External metric to support scaling to zero replicas"));
  }
  const behavior = asObj(spec.behavior);
  if (behavior) {
    for (const direction of ["scaleUp", "scaleDown"]) {
      const rules = asObj(behavior[direction]);
      if (rules) errs.push(...validateScalingRules(rules, child("spec.behavior", direction)));
    }
  }
  return errs;
}

/** kind and name required, each a valid path segment (apiVersion is not checked in 1.32). */
export function validateCrossVersionObjectReference(ref: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const field of ["kind", "name"]) {
    const value = str(ref[field]);
    if (value === "") errs.push(fieldErrors.required(child(path, field)));
    else errs.push(...isPathSegmentName(value).map((msg) => fieldErrors.invalid(child(path, field), value, msg)));
  }
  return errs;
}

/** The field of a MetricSpec that each type needs, in the order upstream looks at them. */
const SOURCE_FIELDS: [field: string, type: string][] = [
  ["object", "Object"],
  ["external", "External"],
  ["pods", "Pods"],
  ["resource", "Resource"],
  ["containerResource", "ContainerResource"],
];

function validateMetricSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(spec.type);
  if (type === "") errs.push(fieldErrors.required(child(path, "type"), "must specify a metric source type"));
  if (!METRIC_SOURCE_TYPES.includes(type)) errs.push(fieldErrors.notSupported(child(path, "type"), type, METRIC_SOURCE_TYPES));
  const present = SOURCE_FIELDS.filter(([field]) => asObj(spec[field]) !== undefined);
  // Only the first source present is validated, as upstream does.
  const first = present[0];
  if (first) errs.push(...validateSource(first[0], obj(spec[first[0]]), child(path, first[0])));
  const expected = SOURCE_FIELDS.find(([, t]) => t === type)?.[0];
  if (expected === undefined) {
    // Upstream's switch reports an unknown type a second time.
    errs.push(fieldErrors.notSupported(child(path, "type"), type, METRIC_SOURCE_TYPES));
  } else if (asObj(spec[expected]) === undefined) {
    errs.push(fieldErrors.required(child(path, expected), "must populate information for the given metric source"));
  }
  if (present.length !== 1) {
    for (const [field] of present) if (field !== expected) errs.push(fieldErrors.forbidden(child(path, field), "must populate the given metric source only"));
  }
  return errs;
}

function validateSource(field: string, src: Obj, path: string): FieldError[] {
  const target = obj(src.target);
  const targetPath = child(path, "target");
  const errs: FieldError[] = [];
  const has = (f: string) => !unset(target[f]);
  switch (field) {
    case "object":
      errs.push(...validateCrossVersionObjectReference(obj(src.describedObject), child(path, "describedObject")));
      errs.push(...validateMetricIdentifier(obj(src.metric), child(path, "metric")), ...validateMetricTarget(target, targetPath));
      if (!has("value") && !has("averageValue")) errs.push(fieldErrors.required(child(targetPath, "averageValue"), "must set either a target value or averageValue"));
      break;
    case "external":
      errs.push(...validateMetricIdentifier(obj(src.metric), child(path, "metric")), ...validateMetricTarget(target, targetPath));
      if (!has("value") && !has("averageValue")) errs.push(fieldErrors.required(child(targetPath, "averageValue"), "must set either a target value for metric or a per-pod target"));
      if (has("value") && has("averageValue")) errs.push(fieldErrors.forbidden(child(targetPath, "value"), "may not set both a target value for metric and a per-pod target"));
      break;
    case "pods":
      errs.push(...validateMetricIdentifier(obj(src.metric), child(path, "metric")), ...validateMetricTarget(target, targetPath));
      if (!has("averageValue")) errs.push(fieldErrors.required(child(targetPath, "averageValue"), "must specify a positive target averageValue"));
      break;
    case "resource":
    case "containerResource": {
      if (str(src.name) === "") errs.push(fieldErrors.required(child(path, "name"), "must specify a resource name"));
      if (field === "containerResource") {
        const container = str(src.container);
        if (container === "") errs.push(fieldErrors.required(child(path, "container"), "must specify a container"));
        else errs.push(...isDNS1123Label(container).map((msg) => fieldErrors.invalid(child(path, "container"), container, msg)));
      }
      errs.push(...validateMetricTarget(target, targetPath));
      if (!has("averageUtilization") && !has("averageValue")) {
        errs.push(fieldErrors.required(child(targetPath, "averageUtilization"), "must set either a target raw value or a target utilization"));
      }
      if (has("averageUtilization") && has("averageValue")) {
        errs.push(fieldErrors.forbidden(child(targetPath, "averageValue"), "may not set both a target raw value and a target utilization"));
      }
      break;
    }
  }
  return errs;
}

function validateMetricTarget(target: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(target.type);
  if (type === "") errs.push(fieldErrors.required(child(path, "type"), "must specify a metric target type"));
  if (!["Utilization", "Value", "AverageValue"].includes(type)) errs.push(fieldErrors.invalid(child(path, "type"), type, "must be either Utilization, Value, or AverageValue"));
  for (const field of ["value", "averageValue"]) {
    if (unset(target[field])) continue;
    errs.push(...positiveQuantity(target[field], child(path, field)));
  }
  const utilization = target.averageUtilization;
  if (isInt(utilization) && utilization < 1) errs.push(fieldErrors.invalid(child(path, "averageUtilization"), utilization, "must be greater than 0"));
  return errs;
}

function positiveQuantity(value: unknown, path: string): FieldError[] {
  try {
    const n = parseQuantity(value as string | number);
    return n > 0 ? [] : [fieldErrors.invalid(path, value, "must be positive")];
  } catch (err) {
    if (err instanceof QuantityError) return [fieldErrors.invalid(path, value, err.reason)];
    throw err;
  }
}

function validateMetricIdentifier(id: Obj, path: string): FieldError[] {
  const name = str(id.name);
  if (name === "") return [fieldErrors.required(child(path, "name"), "must specify a metric name")];
  return isPathSegmentName(name).map((msg) => fieldErrors.invalid(child(path, "name"), name, msg));
}

function validateScalingRules(rules: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const window = rules.stabilizationWindowSeconds;
  if (isInt(window) && window < 0) errs.push(fieldErrors.invalid(child(path, "stabilizationWindowSeconds"), window, "must be greater than or equal to zero"));
  if (isInt(window) && window > MAX_STABILIZATION_WINDOW_SECONDS) {
    errs.push(fieldErrors.invalid(child(path, "stabilizationWindowSeconds"), window, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  }
  if (!unset(rules.selectPolicy) && !SELECT_POLICIES.includes(str(rules.selectPolicy))) {
    errs.push(fieldErrors.notSupported(child(path, "selectPolicy"), rules.selectPolicy, SELECT_POLICIES));
  }
  const policies = arr(rules.policies);
  if (policies.length === 0) errs.push(fieldErrors.required(child(path, "policies"), "must specify at least one Policy"));
  policies.forEach((raw, i) => {
    const p = obj(raw);
    const pPath = index(child(path, "policies"), i);
    if (!POLICY_TYPES.includes(str(p.type))) errs.push(fieldErrors.notSupported(child(pPath, "type"), str(p.type), POLICY_TYPES));
    const value = isInt(p.value) ? p.value : 0;
    if (value <= 0) errs.push(fieldErrors.invalid(child(pPath, "value"), value, "must be greater than zero"));
    const period = isInt(p.periodSeconds) ? p.periodSeconds : 0;
    if (period <= 0) errs.push(fieldErrors.invalid(child(pPath, "periodSeconds"), period, "must be greater than zero"));
    if (period > MAX_PERIOD_SECONDS) errs.push(fieldErrors.invalid(child(pPath, "periodSeconds"), period, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}
