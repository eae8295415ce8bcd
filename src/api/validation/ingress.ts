// Ingress (networking.k8s.io/v1), as kube-apiserver validates it
// (pkg/apis/networking/validation: ValidateIngressCreate/Update,
// ValidateIngressSpec, validateIngressRules, validateHTTPIngressPath,
// validateIngressBackend, validateIngressTLS).
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { parseIP } from "../../net/ip.js";
import { isDNS1123Subdomain, isValidPortName, isValidPortNum, isWildcardDNS1123Subdomain, nameIsDNS1035Label, nameIsDNSSubdomain } from "./names.js";
import { validateTypedReference } from "./ingressclass.js";
import { arr, asObj, child, index, obj, str, type Obj } from "./util.js";

/** The deprecated annotation that named a class before spec.ingressClassName. */
export const INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class";
export const PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"];
const invalidPathSequences = ["//", "/./", "/../", "%2f", "%2F"];
const invalidPathSuffixes = ["/..", "/."];

/**
 * Options upstream relaxes on update so stored objects that older releases
 * accepted stay editable.
 */
interface Options {
  allowInvalidSecretName: boolean;
  allowInvalidWildcardHostRule: boolean;
}

export function validateIngressBody(ing: KubeObject, old?: KubeObject): FieldError[] {
  const opts: Options = old
    ? { allowInvalidSecretName: hasInvalidSecretName(obj(old.spec)), allowInvalidWildcardHostRule: hasInvalidWildcardRule(obj(old.spec)) }
    : { allowInvalidSecretName: false, allowInvalidWildcardHostRule: false };
  const errs = validateIngressSpec(obj(ing.spec), "spec", opts);
  if (!old) {
    // Only on create: the annotation and the field may not disagree.
    const annotation = obj(ing.metadata?.annotations)[INGRESS_CLASS_ANNOTATION];
    const className = obj(ing.spec).ingressClassName;
    if (typeof annotation === "string" && typeof className === "string" && annotation !== className) {
      // Upstream's path really is annotations.<key>, without metadata.
      errs.push(fieldErrors.invalid(child("annotations", INGRESS_CLASS_ANNOTATION), annotation, "must match `ingressClassName` when both are specified"));
    }
  }
  return errs;
}

export function validateIngressSpec(spec: Obj, path: string, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const rules = arr(spec.rules);
  const defaultBackend = asObj(spec.defaultBackend);
  if (rules.length === 0 && !defaultBackend) errs.push(fieldErrors.invalid(path, spec.rules ?? null, "either `defaultBackend` or `rules` must be specified"));
  if (defaultBackend) errs.push(...validateBackend(defaultBackend, child(path, "defaultBackend")));
  rules.forEach((raw, i) => errs.push(...validateRule(obj(raw), index(child(path, "rules"), i), opts)));
  arr(spec.tls).forEach((raw, i) => errs.push(...validateTLS(obj(raw), index(child(path, "tls"), i), opts)));
  if (typeof spec.ingressClassName === "string") {
    const name = spec.ingressClassName;
    for (const msg of nameIsDNSSubdomain(name, false)) errs.push(fieldErrors.invalid(child(path, "ingressClassName"), name, msg));
  }
  return errs;
}

function validateRule(rule: Obj, path: string, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const host = str(rule.host);
  const hostPath = child(path, "host");
  let wildcard = false;
  if (host !== "") {
    if (parseIP(host)) errs.push(fieldErrors.invalid(hostPath, host, "must be a DNS name, not an IP address"));
    wildcard = host.includes("*");
    const msgs = wildcard ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
    for (const msg of msgs) errs.push(fieldErrors.invalid(hostPath, host, msg));
  }
  if (!wildcard || !opts.allowInvalidWildcardHostRule) errs.push(...validateRuleValue(rule, path));
  return errs;
}

function validateRuleValue(rule: Obj, path: string): FieldError[] {
  const http = asObj(rule.http);
  if (!http) return [];
  const httpPath = child(path, "http");
  const paths = arr(http.paths);
  const errs: FieldError[] = paths.length === 0 ? [fieldErrors.required(child(httpPath, "paths"))] : [];
  paths.forEach((raw, i) => errs.push(...validateHTTPPath(obj(raw), index(child(httpPath, "paths"), i))));
  return errs;
}

/** pathType is required (v1 has no default); Exact and Prefix paths are absolute and clean; ImplementationSpecific only absolute. */
function validateHTTPPath(p: Obj, path: string): FieldError[] {
  if (p.pathType === undefined) return [fieldErrors.required(child(path, "pathType"), "pathType must be specified")];
  const errs: FieldError[] = [];
  const pathType = str(p.pathType);
  const value = str(p.path);
  const valuePath = child(path, "path");
  switch (pathType) {
    case "Exact":
    case "Prefix":
      if (!value.startsWith("/")) errs.push(fieldErrors.invalid(valuePath, value, "must be an absolute path"));
      for (const seq of invalidPathSequences) if (value.includes(seq)) errs.push(fieldErrors.invalid(valuePath, value, `must not contain '${seq}'`));
      for (const suffix of invalidPathSuffixes) if (value.endsWith(suffix)) errs.push(fieldErrors.invalid(valuePath, value, `cannot end with '${suffix}'`));
      break;
    case "ImplementationSpecific":
      if (value !== "" && !value.startsWith("/")) errs.push(fieldErrors.invalid(valuePath, value, "must be an absolute path"));
      break;
    default:
      errs.push(fieldErrors.notSupported(child(path, "pathType"), pathType, PATH_TYPES));
  }
  errs.push(...validateBackend(obj(p.backend), child(path, "backend")));
  return errs;
}

/** Exactly one of service and resource; a service has a DNS-1035 name and exactly one of port name and number. */
export function validateBackend(backend: Obj, path: string): FieldError[] {
  const resource = asObj(backend.resource);
  const service = asObj(backend.service);
  if (resource && service) return [fieldErrors.invalid(path, "", "cannot set both resource and service backends")];
  if (resource) return validateTypedReference(resource, child(path, "resource"));
  if (!service) return [fieldErrors.invalid(path, "", "resource or service backend is required")];
  const errs: FieldError[] = [];
  const name = str(service.name);
  const namePath = child(path, "service", "name");
  if (name === "") errs.push(fieldErrors.required(namePath));
  else for (const msg of nameIsDNS1035Label(name, false)) errs.push(fieldErrors.invalid(namePath, name, msg));
  const port = obj(service.port);
  const portName = str(port.name);
  const portNumber = typeof port.number === "number" ? port.number : 0;
  if (portName !== "" && portNumber !== 0) errs.push(fieldErrors.invalid(path, "", "cannot set both port name & port number"));
  else if (portName !== "") for (const msg of isValidPortName(portName)) errs.push(fieldErrors.invalid(child(path, "service", "port", "name"), portName, msg));
  else if (portNumber !== 0) for (const msg of isValidPortNum(portNumber)) errs.push(fieldErrors.invalid(child(path, "service", "port", "number"), portNumber, msg));
  else errs.push(fieldErrors.required(path, "port name or number is required"));
  return errs;
}

/** TLS hosts are DNS subdomains (or one-label wildcards); secretName, when set, a Secret's name. */
function validateTLS(tls: Obj, path: string, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  arr(tls.hosts).forEach((raw, i) => {
    const host = str(raw);
    const msgs = host.includes("*") ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
    for (const msg of msgs) errs.push(fieldErrors.invalid(index(child(path, "hosts"), i), host, msg));
  });
  if (!opts.allowInvalidSecretName) {
    for (const msg of secretNameProblems(tls.secretName)) errs.push(fieldErrors.invalid(child(path, "secretName"), tls.secretName, msg));
  }
  return errs;
}

function secretNameProblems(value: unknown): string[] {
  const name = str(value);
  return name === "" ? [] : nameIsDNSSubdomain(name, false);
}

function hasInvalidSecretName(oldSpec: Obj): boolean {
  return arr(oldSpec.tls).some((t) => secretNameProblems(obj(t).secretName).length > 0);
}

function hasInvalidWildcardRule(oldSpec: Obj): boolean {
  return arr(oldSpec.rules).some((r) => str(obj(r).host).includes("*") && validateRuleValue(obj(r), "").length > 0);
}
