// StatefulSets (k8s.io/kubernetes pkg/apis/apps/validation: ValidateStatefulSet,
// ValidateStatefulSetUpdate). The name rule (a DNS label, since pod names and
// hostnames derive from it) is applied by the dispatcher in index.ts.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject, LabelSelector } from "../types.js";
import { matchesRequirements, requirementsFromLabelSelector, validateLabelSelector, type Requirement } from "../selectors.js";
import { isDNS1123Label, isValidPercent } from "./names.js";
import { validatePositiveIntOrPercent } from "./deployment.js";
import { validatePodTemplateSpec } from "./pod.js";
import { arr, asObj, child, deepEqual, index, isInt, obj, str, strMap, unset, validateNonnegative, type Obj } from "./util.js";

const podManagementPolicies = ["OrderedReady", "Parallel"];
const retentionPolicies = ["Retain", "Delete"];
const accessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

export const statefulSetSpecUpdateForbiddenMsg =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/** Spec fields that may change after creation (everything else is compared). */
const mutableSpecFields = ["replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

/** Options that relax rules for values already stored (upstream's "ratcheting" on update). */
interface SpecOptions {
  allowInvalidServiceName: boolean;
  skipPodTemplate: boolean;
  skipVolumeClaimTemplates: boolean;
}

function validateUpdateStrategy(value: unknown, path: string): FieldError[] {
  const strategy = obj(value);
  // An absent type is defaulted to RollingUpdate.
  const type = unset(strategy.type) ? "RollingUpdate" : strategy.type;
  const rollingUpdate = strategy.rollingUpdate;
  const hasRollingUpdate = rollingUpdate !== undefined && rollingUpdate !== null;
  switch (type) {
    case "OnDelete":
      return hasRollingUpdate ? [fieldErrors.invalid(child(path, "rollingUpdate"), rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'")] : [];
    case "RollingUpdate": {
      if (!hasRollingUpdate) return [];
      const ru = obj(rollingUpdate);
      const ruPath = child(path, "rollingUpdate");
      const errs = validateNonnegative(ru.partition, child(ruPath, "partition"));
      const maxUnavailable = ru.maxUnavailable;
      if (maxUnavailable !== undefined && maxUnavailable !== null) {
        const muPath = child(ruPath, "maxUnavailable");
        errs.push(...validatePositiveIntOrPercent(maxUnavailable, muPath));
        const pct = typeof maxUnavailable === "string" && isValidPercent(maxUnavailable).length === 0 ? Number(maxUnavailable.slice(0, -1)) : undefined;
        const numeric = pct ?? (isInt(maxUnavailable) ? maxUnavailable : 0);
        if (numeric === 0) errs.push(fieldErrors.invalid(muPath, maxUnavailable, "cannot be 0"));
        if (pct !== undefined && pct > 100) errs.push(fieldErrors.invalid(muPath, maxUnavailable, "must not be greater than 100%"));
      }
      return errs;
    }
    default:
      return [fieldErrors.invalid(path, value, "must be 'RollingUpdate' or 'OnDelete'")];
  }
}

function validateRetentionPolicy(value: unknown, path: string): FieldError[] {
  const policy = asObj(value);
  if (!policy) return [];
  const errs: FieldError[] = [];
  for (const field of ["whenDeleted", "whenScaled"]) {
    // "" is defaulted to Retain.
    const v = policy[field];
    if (!unset(v) && !retentionPolicies.includes(str(v))) errs.push(fieldErrors.notSupported(child(path, field), v, retentionPolicies));
  }
  return errs;
}

/** The claim templates, as PersistentVolumeClaims that are never created by themselves: name, access modes, storage request. */
function validateVolumeClaimTemplates(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(value).forEach((raw, i) => {
    const claim = obj(raw);
    const cPath = index(path, i);
    const name = str(obj(claim.metadata).name);
    const namePath = child(cPath, "metadata", "name");
    if (name === "") errs.push(fieldErrors.required(namePath, "name or generateName is required"));
    else {
      errs.push(...isDNS1123Label(name).map((msg) => fieldErrors.invalid(namePath, name, msg)));
      if (seen.has(name)) errs.push(fieldErrors.duplicate(namePath, name));
      seen.add(name);
    }
    const spec = obj(claim.spec);
    const specPath = child(cPath, "spec");
    const modes = arr(spec.accessModes);
    if (modes.length === 0) errs.push(fieldErrors.required(child(specPath, "accessModes"), "at least 1 access mode is required"));
    modes.forEach((m) => {
      if (!accessModes.includes(str(m))) errs.push(fieldErrors.notSupported(child(specPath, "accessModes"), m, accessModes));
    });
    const requests = obj(obj(spec.resources).requests);
    if (requests.storage === undefined || requests.storage === null) errs.push(fieldErrors.required(`${child(specPath, "resources")}[storage]`));
  });
  return errs;
}

/**
 * The pod template with one volume per claim template added, so that volume
 * mounts naming a claim template validate (the pods get those volumes).
 */
function templateWithClaimVolumes(template: unknown, claims: unknown): unknown {
  const names = arr(claims).map((c) => str(obj(obj(c).metadata).name)).filter((n) => n !== "");
  if (names.length === 0) return template;
  const t = obj(template);
  const spec = obj(t.spec);
  const volumes = arr(spec.volumes);
  const present = new Set(volumes.map((v) => str(obj(v).name)));
  const extra = names.filter((n) => !present.has(n)).map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } }));
  return { ...t, spec: { ...spec, volumes: [...volumes, ...extra] } };
}

function validateSpec(specValue: unknown, path: string, options: SpecOptions): FieldError[] {
  const spec = obj(specValue);
  const errs: FieldError[] = [];

  const policy = spec.podManagementPolicy;
  if (!unset(policy) && !podManagementPolicies.includes(str(policy))) {
    errs.push(fieldErrors.invalid(child(path, "podManagementPolicy"), policy, "must be 'OrderedReady' or 'Parallel'"));
  }
  errs.push(...validateUpdateStrategy(spec.updateStrategy, child(path, "updateStrategy")));
  errs.push(...validateRetentionPolicy(spec.persistentVolumeClaimRetentionPolicy, child(path, "persistentVolumeClaimRetentionPolicy")));
  errs.push(...validateNonnegative(spec.replicas, child(path, "replicas")));
  errs.push(...validateNonnegative(spec.minReadySeconds, child(path, "minReadySeconds")));
  const ordinals = asObj(spec.ordinals);
  if (ordinals) errs.push(...validateNonnegative(ordinals.start, child(path, "ordinals.start")));

  const serviceName = str(spec.serviceName);
  if (serviceName !== "" && !options.allowInvalidServiceName) {
    errs.push(...isDNS1123Label(serviceName).map((msg) => fieldErrors.invalid(child(path, "serviceName"), serviceName, msg)));
  }

  const selPath = child(path, "selector");
  const sel = asObj(spec.selector) as LabelSelector | undefined;
  if (!sel) {
    errs.push(fieldErrors.required(selPath));
  } else {
    errs.push(...validateLabelSelector(sel, selPath));
    if (Object.keys(obj(sel.matchLabels)).length + arr(sel.matchExpressions).length === 0) {
      errs.push(fieldErrors.invalid(selPath, sel, "empty selector is invalid for statefulset"));
    }
  }
  // An absent selector selects nothing; one that does not convert skips the template check, as upstream.
  let reqs: Requirement[] | null = null;
  let converted = true;
  if (sel) {
    try {
      reqs = requirementsFromLabelSelector(sel, selPath);
    } catch {
      converted = false;
      errs.push(fieldErrors.invalid(selPath, sel, "invalid label selector"));
    }
  }
  const templatePath = child(path, "template");
  const template = obj(spec.template);
  const templateMeta = obj(template.metadata);
  if (converted) {
    if (reqs !== null && reqs.length > 0 && !matchesRequirements(reqs, strMap(templateMeta.labels))) {
      errs.push(fieldErrors.invalid(child(templatePath, "metadata", "labels"), templateMeta.labels, "`selector` does not match template `labels`"));
    }
    if (!options.skipPodTemplate) errs.push(...validatePodTemplateSpec(templateWithClaimVolumes(template, spec.volumeClaimTemplates), templatePath));
  }
  const podSpec = obj(template.spec);
  // An absent restartPolicy is defaulted to Always.
  if (!unset(podSpec.restartPolicy) && podSpec.restartPolicy !== "Always") {
    errs.push(fieldErrors.notSupported(child(templatePath, "spec", "restartPolicy"), podSpec.restartPolicy, ["Always"]));
  }
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(fieldErrors.forbidden(child(templatePath, "spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in StatefulSet is not Supported"));
  }
  if (!options.skipVolumeClaimTemplates) errs.push(...validateVolumeClaimTemplates(spec.volumeClaimTemplates, child(path, "volumeClaimTemplates")));
  return errs;
}

/** Drops what Go would decode as zero values (null, "", [], {}), so absent and empty compare equal as under apiequality.Semantic. */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  const o = asObj(value);
  if (!o) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    const cleaned = withoutEmpty(v);
    if (cleaned === undefined || cleaned === null || cleaned === "") continue;
    if (Array.isArray(cleaned) && cleaned.length === 0) continue;
    if (asObj(cleaned) && Object.keys(cleaned as Obj).length === 0) continue;
    out[k] = cleaned;
  }
  return out;
}

/** Only the mutable fields may change: everything else of the spec is compared as a whole. */
function validateSpecUpdate(specValue: unknown, oldSpecValue: unknown): FieldError[] {
  const now: Obj = { ...obj(specValue) };
  const before: Obj = { ...obj(oldSpecValue) };
  for (const field of mutableSpecFields) {
    delete now[field];
    delete before[field];
  }
  return deepEqual(withoutEmpty(now), withoutEmpty(before)) ? [] : [fieldErrors.forbidden("spec", statefulSetSpecUpdateForbiddenMsg)];
}

/** StatefulSet spec (metadata is checked by the caller); `old` turns on update rules. */
export function validateStatefulSetSpec(ss: KubeObject, old?: KubeObject): FieldError[] {
  const full: SpecOptions = { allowInvalidServiceName: false, skipPodTemplate: false, skipVolumeClaimTemplates: false };
  if (!old) return validateSpec(ss.spec, "spec", full);
  // On update, rules a stored object already broke are not held against it.
  const oldSpec = obj(old.spec);
  const oldTemplatePath = "spec.template";
  const options: SpecOptions = {
    allowInvalidServiceName: str(oldSpec.serviceName) !== "" && isDNS1123Label(str(oldSpec.serviceName)).length > 0,
    skipPodTemplate: validatePodTemplateSpec(templateWithClaimVolumes(oldSpec.template, oldSpec.volumeClaimTemplates), oldTemplatePath).length > 0,
    skipVolumeClaimTemplates: validateVolumeClaimTemplates(oldSpec.volumeClaimTemplates, "spec.volumeClaimTemplates").length > 0,
  };
  return [...validateSpec(ss.spec, "spec", options), ...validateSpecUpdate(ss.spec, old.spec)];
}
