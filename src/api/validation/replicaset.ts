// ReplicaSets, and the selector/template rules Deployments share with them.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { matchesRequirements, requirementsFromLabelSelector, validateLabelSelector, type Requirement } from "../selectors.js";
import type { LabelSelector } from "../types.js";
import { fieldImmutableErrorMsg } from "./names.js";
import { validatePodTemplateSpec } from "./pod.js";
import { asObj, child, deepEqual, obj, strMap, unset, validateNonnegative } from "./util.js";

/**
 * spec.selector and spec.template of a ReplicaSet or Deployment: the selector
 * is required and non-empty, the template's labels must match it, the
 * template must be a valid pod template that restarts Always.
 */
export function validateSelectorAndTemplate(specValue: unknown, path: string): FieldError[] {
  const spec = obj(specValue);
  const errs: FieldError[] = [];
  const selPath = child(path, "selector");
  const sel = asObj(spec.selector) as LabelSelector | undefined;
  if (!sel) {
    errs.push(fieldErrors.required(selPath));
  } else {
    errs.push(...validateLabelSelector(sel, selPath));
    if (Object.keys(obj(sel.matchLabels)).length + (Array.isArray(sel.matchExpressions) ? sel.matchExpressions.length : 0) === 0) {
      errs.push(fieldErrors.invalid(selPath, sel, "empty selector is invalid for deployment"));
    }
  }
  // An absent selector selects nothing; one that does not convert stops here, as upstream.
  let reqs: Requirement[] | null = null;
  if (sel) {
    try {
      reqs = requirementsFromLabelSelector(sel, selPath);
    } catch {
      errs.push(fieldErrors.invalid(selPath, sel, "invalid label selector"));
      return errs;
    }
  }
  const templatePath = child(path, "template");
  const template = obj(spec.template);
  const templateMeta = obj(template.metadata);
  if (reqs === null || (reqs.length > 0 && !matchesRequirements(reqs, strMap(templateMeta.labels)))) {
    errs.push(fieldErrors.invalid(child(templatePath, "metadata", "labels"), templateMeta.labels, "`selector` does not match template `labels`"));
  }
  errs.push(...validatePodTemplateSpec(template, templatePath));
  const podSpec = obj(template.spec);
  if (!unset(podSpec.restartPolicy) && podSpec.restartPolicy !== "Always") {
    errs.push(fieldErrors.notSupported(child(templatePath, "spec", "restartPolicy"), podSpec.restartPolicy, ["Always"]));
  }
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(fieldErrors.forbidden(child(templatePath, "spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicaSet is not Supported"));
  }
  return errs;
}

/** apps/v1 forbids changing spec.selector after creation. */
export function validateSelectorImmutable(spec: unknown, oldSpec: unknown, path = "spec"): FieldError[] {
  const now = obj(spec).selector;
  const before = obj(oldSpec).selector;
  return deepEqual(now, before) ? [] : [fieldErrors.invalid(child(path, "selector"), now, fieldImmutableErrorMsg)];
}

/** ReplicaSet spec (metadata is checked by the caller); `old` turns on update rules. */
export function validateReplicaSetSpec(rs: KubeObject, old?: KubeObject): FieldError[] {
  const spec = obj(rs.spec);
  const errs: FieldError[] = [];
  errs.push(...validateNonnegative(spec.replicas, "spec.replicas"));
  errs.push(...validateNonnegative(spec.minReadySeconds, "spec.minReadySeconds"));
  errs.push(...validateSelectorAndTemplate(spec, "spec"));
  if (old) errs.push(...validateSelectorImmutable(rs.spec, old.spec));
  return errs;
}
