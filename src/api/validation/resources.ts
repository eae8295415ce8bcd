// Container resource requirements: resource names, quantities, requests <= limits.
import { FieldError, fieldErrors } from "../errors.js";
import { parseQuantity, QuantityError } from "../quantity.js";
import { isNegativeErrorMsg, isQualifiedName } from "./names.js";
import { child, key, obj } from "./util.js";

const standardContainerResources = new Set(["cpu", "memory", "ephemeral-storage"]);
const standardResources = new Set([
  "cpu",
  "memory",
  "ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "pods",
  "services",
  "replicationcontrollers",
  "resourcequotas",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "storage",
  "requests.storage",
  "services.nodeports",
  "services.loadbalancers",
]);

const isHugePages = (name: string) => name.startsWith("hugepages-");
const isNative = (name: string) => !name.includes("/") || name.includes("kubernetes.io/");
export function isExtendedResourceName(name: string): boolean {
  return !isNative(name) && !name.startsWith("requests.") && isQualifiedName(`requests.${name}`).length === 0;
}
/** cpu, memory, ephemeral-storage may be overcommitted (requests < limits); hugepages and extended resources may not. */
const isOvercommitAllowed = (name: string) => isNative(name) && !isHugePages(name);

function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((msg) => fieldErrors.invalid(path, name, msg));
  if (errs.length > 0) return errs;
  if (!name.includes("/")) {
    if (!standardResources.has(name) && !isHugePages(name) && !name.startsWith("requests.hugepages-")) {
      errs.push(fieldErrors.invalid(path, name, "must be a standard resource type or fully qualified"));
    }
    if (!standardContainerResources.has(name) && !isHugePages(name)) {
      errs.push(fieldErrors.invalid(path, name, "must be a standard resource for containers"));
    }
  } else if (!isNative(name) && !isExtendedResourceName(name)) {
    errs.push(fieldErrors.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

interface Parsed {
  text: string;
  value: number;
}

function quantities(list: unknown, path: string, errs: FieldError[]): Map<string, Parsed> {
  const out = new Map<string, Parsed>();
  for (const [name, raw] of Object.entries(obj(list))) {
    const fieldPath = key(path, name);
    errs.push(...validateContainerResourceName(name, fieldPath));
    const text = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw : JSON.stringify(raw);
    let value: number;
    try {
      if (typeof raw !== "string" && typeof raw !== "number") throw new QuantityError(text, "must be a quantity (a string or a number)");
      value = parseQuantity(raw);
    } catch (e) {
      errs.push(fieldErrors.invalid(fieldPath, raw, e instanceof QuantityError ? e.reason : String(e)));
      continue;
    }
    if (value < 0) errs.push(fieldErrors.invalid(fieldPath, text, isNegativeErrorMsg));
    if (isExtendedResourceName(name) && Math.round(value * 1000) % 1000 !== 0) {
      errs.push(fieldErrors.invalid(fieldPath, text, "must be an integer"));
    }
    out.set(name, { text, value });
  }
  return out;
}

/**
 * `resources` of a container (path e.g. `spec.containers[0].resources`):
 * names must be standard container resources or extended resources,
 * quantities must parse and be non-negative, requests may not exceed limits
 * (and must equal them for hugepages and extended resources).
 */
export function validateResourceRequirements(resources: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = obj(resources);
  const limPath = child(path, "limits");
  const reqPath = child(path, "requests");
  const limits = quantities(r.limits, limPath, errs);
  const requests = quantities(r.requests, reqPath, errs);
  for (const [name, req] of requests) {
    const limit = limits.get(name);
    if (limit) {
      if (!isOvercommitAllowed(name) && req.value !== limit.value) {
        errs.push(fieldErrors.invalid(reqPath, req.text, `must be equal to ${name} limit of ${limit.text}`));
      } else if (req.value > limit.value) {
        errs.push(fieldErrors.invalid(reqPath, req.text, `must be less than or equal to ${name} limit of ${limit.text}`));
      }
    } else if (!isOvercommitAllowed(name) && !Object.prototype.hasOwnProperty.call(obj(r.limits), name)) {
      errs.push(fieldErrors.required(limPath, "Limit must be set for non overcommitable resources"));
    }
  }
  const names = [...Object.keys(obj(r.limits)), ...Object.keys(obj(r.requests))];
  if (names.some(isHugePages) && !names.some((n) => n === "cpu" || n === "memory")) {
    errs.push(fieldErrors.forbidden(path, "HugePages require cpu or memory"));
  }
  return errs;
}
