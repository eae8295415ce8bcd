// Nodes: taints, pod CIDRs, resource quantities in status.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { parseQuantity, QuantityError } from "../quantity.js";
import { isNegativeErrorMsg, isValidLabelValue } from "./names.js";
import { validateLabelName } from "./labels.js";
import { cidrFamilyOf, validateCIDR } from "./net.js";
import { validateTaintEffect } from "./pod.js";
import { arr, child, duplicateWithDetail, index, obj, str } from "./util.js";

function validateTaints(taints: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  taints.forEach((raw, i) => {
    const t = obj(raw);
    const idx = index(path, i);
    const k = str(t.key);
    errs.push(...validateLabelName(k, child(idx, "key")));
    const value = str(t.value);
    const msgs = isValidLabelValue(value);
    if (msgs.length > 0) errs.push(fieldErrors.invalid(child(idx, "value"), value, msgs.join(";")));
    errs.push(...validateTaintEffect(t.effect, false, child(idx, "effect")));
    const unique = `${str(t.effect)}\u0000${k}`;
    if (seen.has(unique)) {
      errs.push(duplicateWithDetail(idx, raw, "taints must be unique by key and effect pair"));
      return;
    }
    seen.add(unique);
  });
  return errs;
}

function podCIDRs(spec: Record<string, unknown>): string[] {
  const list = arr(spec.podCIDRs).map(str);
  if (list.length > 0) return list;
  const single = str(spec.podCIDR);
  return single === "" ? [] : [single];
}

function validateResourceList(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, raw] of Object.entries(obj(list))) {
    // Upstream joins these paths with dots: status.capacity.cpu
    const rPath = child(path, name);
    try {
      if (typeof raw !== "string" && typeof raw !== "number") throw new QuantityError(String(raw), "must be a quantity (a string or a number)");
      if (parseQuantity(raw) < 0) errs.push(fieldErrors.invalid(rPath, String(raw), isNegativeErrorMsg));
    } catch (e) {
      errs.push(fieldErrors.invalid(rPath, raw, e instanceof QuantityError ? e.reason : String(e)));
    }
  }
  return errs;
}

/** Node spec and status (metadata is checked by the caller); `old` turns on update rules. */
export function validateNodeBody(node: KubeObject, old?: KubeObject): FieldError[] {
  const spec = obj(node.spec);
  const status = obj(node.status);
  const errs: FieldError[] = [];
  // Upstream reports taints under metadata.taints (sic), and so do we.
  errs.push(...validateTaints(arr(spec.taints), "metadata.taints"));
  errs.push(...validateResourceList(status.capacity, "status.capacity"));
  errs.push(...validateResourceList(status.allocatable, "status.allocatable"));
  const cidrs = podCIDRs(spec);
  cidrs.forEach((c, i) => errs.push(...validateCIDR(index("spec.podCIDRs", i), c)));
  if (cidrs.length > 1) {
    const families = cidrs.map(cidrFamilyOf);
    if (families.every((f) => f !== undefined)) {
      if (cidrs.length > 2 || families[0] === families[1]) {
        errs.push(fieldErrors.invalid("spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family"));
      }
    }
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(fieldErrors.duplicate(index("spec.podCIDRs", i), c));
      seen.add(c);
    });
  }
  if (old) {
    const oldSpec = obj(old.spec);
    const before = podCIDRs(oldSpec);
    if (before.length > 0 && (before.length !== cidrs.length || before.some((c, i) => c !== cidrs[i]))) {
      errs.push(fieldErrors.forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'));
    }
    const providerID = str(oldSpec.providerID);
    if (providerID !== "" && providerID !== str(spec.providerID)) {
      errs.push(fieldErrors.forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'));
    }
  }
  return errs;
}
