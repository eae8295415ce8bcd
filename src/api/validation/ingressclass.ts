// IngressClass (networking.k8s.io/v1, cluster-scoped), as kube-apiserver
// validates it (pkg/apis/networking/validation: ValidateIngressClass,
// validateIngressClassSpec, validateIngressClassParametersReference).
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { byteLength, fieldImmutableErrorMsg, isDNS1123Subdomain, isDomainPrefixedPath, isPathSegmentName, nameIsDNSLabel } from "./names.js";
import { asObj, child, obj, str } from "./util.js";

/** maxLenIngressClassController */
export const MAX_CONTROLLER_LENGTH = 250;
const scopes = ["Cluster", "Namespace"];

/** The annotation that marks the class new Ingresses without one get (DefaultIngressClass admission). */
export const IS_DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";

export function validateIngressClassBody(ic: KubeObject, old?: KubeObject): FieldError[] {
  const spec = obj(ic.spec);
  const errs: FieldError[] = [];
  if (old) {
    const before = str(obj(old.spec).controller);
    if (str(spec.controller) !== before) errs.push(fieldErrors.invalid("spec.controller", spec.controller ?? "", fieldImmutableErrorMsg));
  }
  errs.push(...validateController(str(spec.controller), "spec.controller"));
  const params = asObj(spec.parameters);
  if (params) errs.push(...validateParametersReference(params, "spec.parameters"));
  return errs;
}

function validateController(controller: string, path: string): FieldError[] {
  if (controller === "") return [fieldErrors.required(path)];
  const errs: FieldError[] = [];
  if (byteLength(controller) > MAX_CONTROLLER_LENGTH) errs.push(fieldErrors.tooLong(path, "", MAX_CONTROLLER_LENGTH));
  for (const [shown, msg] of isDomainPrefixedPath(controller)) errs.push(fieldErrors.invalid(path, shown, msg));
  return errs;
}

/** apiGroup a DNS subdomain, kind and name path segments, scope Cluster (no namespace) or Namespace (with one). */
function validateParametersReference(params: Record<string, unknown>, path: string): FieldError[] {
  const errs = validateTypedReference(params, path);
  const scopePath = child(path, "scope");
  if (params.scope === undefined) {
    errs.push(fieldErrors.required(scopePath));
    return errs;
  }
  const scope = str(params.scope);
  if (!scopes.includes(scope)) {
    errs.push(fieldErrors.notSupported(scopePath, scope, scopes));
    return errs;
  }
  const nsPath = child(path, "namespace");
  if (scope === "Namespace") {
    if (params.namespace === undefined) errs.push(fieldErrors.required(nsPath, "`parameters.scope` is set to 'Namespace'"));
    else for (const msg of nameIsDNSLabel(str(params.namespace), false)) errs.push(fieldErrors.invalid(nsPath, params.namespace, msg));
  }
  if (scope === "Cluster" && params.namespace !== undefined) errs.push(fieldErrors.forbidden(nsPath, "`parameters.scope` is set to 'Cluster'"));
  return errs;
}

/** A TypedLocalObjectReference (also an Ingress backend's resource): apiGroup, kind, name. */
export function validateTypedReference(ref: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (ref.apiGroup !== undefined) {
    const group = str(ref.apiGroup);
    for (const msg of isDNS1123Subdomain(group)) errs.push(fieldErrors.invalid(child(path, "apiGroup"), group, msg));
  }
  for (const field of ["kind", "name"]) {
    const value = str(ref[field]);
    if (value === "") errs.push(fieldErrors.required(child(path, field)));
    else for (const msg of isPathSegmentName(value)) errs.push(fieldErrors.invalid(child(path, field), value, msg));
  }
  return errs;
}
