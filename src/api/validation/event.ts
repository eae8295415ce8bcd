// Events (core v1), as kube-apiserver validates them when written through
// /api/v1 (pkg/apis/core/validation/events.go: ValidateEventCreate and
// ValidateEventUpdate with the v1 request version, which run only
// legacyValidateEvent: the stricter events.k8s.io/v1 rules do not apply).
//
// legacyValidateEvent has two branches. An Event without eventTime (what
// client-go's core/v1 recorder writes) only has to agree with its object's
// namespace; an Event with eventTime ("new" Events) must also name its
// reporter, action and reason, and keep to the length limits. Upstream checks
// neither `type` nor the message length of an Event without eventTime.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { byteLength, isDNS1123Subdomain, isQualifiedName } from "./names.js";
import { obj, str } from "./util.js";

export const REPORTING_INSTANCE_LENGTH_LIMIT = 128;
export const ACTION_LENGTH_LIMIT = 128;
export const REASON_LENGTH_LIMIT = 128;
export const NOTE_LENGTH_LIMIT = 1024;

const NAMESPACE_DEFAULT = "default";
const NAMESPACE_SYSTEM = "kube-system";
const namespaceMismatch = "does not match event.namespace";

/** The body of a core/v1 Event (its metadata is checked by the caller); the same rules on create and update. */
export function validateEventBody(event: KubeObject): FieldError[] {
  return legacyValidateEvent(event, "reportingComponent");
}

/**
 * Upstream's legacyValidateEvent, which every write of an Event passes in
 * either group version. `reporterPath` names Go's ReportingController in the
 * errors: reportingComponent for /api/v1 requests, reportingController for
 * events.k8s.io/v1 (validation/event-v1.ts).
 */
export function legacyValidateEvent(event: KubeObject, reporterPath: "reportingComponent" | "reportingController"): FieldError[] {
  const errs: FieldError[] = [];
  const namespace = str(event.metadata?.namespace);
  const involved = obj(event.involvedObject);
  const involvedNamespace = str(involved.namespace);
  const mismatch = () => fieldErrors.invalid("involvedObject.namespace", involvedNamespace, namespaceMismatch);

  if (str(event.eventTime) === "") {
    // A cluster-scoped object's events live in "default" (or nowhere, for old clients).
    if (involvedNamespace === "") {
      if (namespace !== "" && namespace !== NAMESPACE_DEFAULT) errs.push(mismatch());
    } else if (namespace !== involvedNamespace) {
      errs.push(mismatch());
    }
  } else {
    if (involvedNamespace === "" && namespace !== NAMESPACE_DEFAULT && namespace !== NAMESPACE_SYSTEM) errs.push(mismatch());
    // Go's field is ReportingController; core/v1 calls it reportingComponent, and so do upstream's errors for /api/v1 requests.
    const controller = str(event.reportingComponent);
    if (controller === "") errs.push(fieldErrors.required(reporterPath));
    for (const msg of isQualifiedName(controller)) errs.push(fieldErrors.invalid(reporterPath, controller, msg));
    errs.push(...requiredWithin(str(event.reportingInstance), "reportingInstance", REPORTING_INSTANCE_LENGTH_LIMIT));
    errs.push(...requiredWithin(str(event.action), "action", ACTION_LENGTH_LIMIT));
    errs.push(...requiredWithin(str(event.reason), "reason", REASON_LENGTH_LIMIT));
    if (byteLength(str(event.message)) > NOTE_LENGTH_LIMIT) errs.push(tooManyCharacters("message", NOTE_LENGTH_LIMIT));
  }

  for (const msg of isDNS1123Subdomain(namespace)) errs.push(fieldErrors.invalid("namespace", namespace, msg));
  return errs;
}

function requiredWithin(value: string, path: string, limit: number): FieldError[] {
  if (value === "") return [fieldErrors.required(path)];
  return byteLength(value) > limit ? [tooManyCharacters(path, limit)] : [];
}

/** Upstream shows "" as the value of these (field.Invalid(path, "", ...)), not the long value. */
function tooManyCharacters(path: string, limit: number): FieldError {
  return fieldErrors.invalid(path, "", `can have at most ${limit} characters`);
}
