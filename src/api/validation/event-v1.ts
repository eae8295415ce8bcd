// Events written through events.k8s.io/v1, as kube-apiserver validates them
// (pkg/apis/core/validation/events.go, ValidateEventCreate and
// ValidateEventUpdate with the events.k8s.io/v1 request version): the legacy
// rules every Event passes, then the strict ones of the new API. Upstream runs
// them on the internal (core) Event, so the field paths are core's —
// `message`, `firstTimestamp`, `count`, `source` — except the reporter,
// which Go calls reportingController. The caller converts the v1 object first
// (events-v1.ts eventFromV1).
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { legacyValidateEvent } from "./event.js";
import { isDNS1123Subdomain } from "./names.js";
import { deepEqual, obj, str } from "./util.js";

const EVENT_TYPES = ["Normal", "Warning"];

/** A create through events.k8s.io/v1 (`event` in core/v1 form, its namespace filled in). */
export function validateEventV1Create(event: KubeObject): FieldError[] {
  const errs = legacyValidateEvent(event, "reportingController");
  // ValidateObjectMeta with NameIsDNSSubdomain (core/v1 only asks for a path segment).
  const meta = obj(event.metadata);
  for (const field of ["name", "generateName"] as const) {
    const value = str(meta[field]);
    if (value === "") continue;
    // A generateName is checked as the prefix it is (NameIsDNSSubdomain with prefix: one trailing "-" allowed).
    const checked = field === "generateName" ? value.replace(/-$/, "a") : value;
    for (const msg of isDNS1123Subdomain(checked)) errs.push(fieldErrors.invalid(`metadata.${field}`, value, msg));
  }
  errs.push(...validateSeries(event));
  if (str(event.eventTime) === "") errs.push(fieldErrors.required("eventTime"));
  const type = str(event.type);
  if (!EVENT_TYPES.includes(type)) errs.push(fieldErrors.invalid("type", "", `has invalid value: ${type}`));
  for (const field of ["firstTimestamp", "lastTimestamp", "count"]) {
    if (!isUnset(event[field])) errs.push(fieldErrors.invalid(field, "", "needs to be unset"));
  }
  const source = obj(event.source);
  if (str(source.component) !== "" || str(source.host) !== "") errs.push(fieldErrors.invalid("source", "", "needs to be unset"));
  return errs;
}

/** core/v1 field → the path upstream names it by (Go's names). */
const IMMUTABLE: ReadonlyArray<readonly [field: string, path: string]> = [
  ["involvedObject", "involvedObject"],
  ["reason", "reason"],
  ["message", "message"],
  ["source", "source"],
  ["firstTimestamp", "firstTimestamp"],
  ["lastTimestamp", "lastTimestamp"],
  ["count", "count"],
  ["type", "type"],
  ["eventTime", "eventTime"],
  ["action", "action"],
  ["related", "related"],
  ["reportingComponent", "reportingController"],
  ["reportingInstance", "reportingInstance"],
];

/** An update through events.k8s.io/v1: only the series (and metadata, checked by the caller) may change. */
export function validateEventV1Update(event: KubeObject, old: KubeObject): FieldError[] {
  const errs = legacyValidateEvent(event, "reportingController");
  if (!same(event.series, old.series)) errs.push(...validateSeries(event));
  for (const [field, path] of IMMUTABLE) {
    if (!same(event[field], old[field])) errs.push(fieldErrors.invalid(path, event[field] ?? "", "field is immutable"));
  }
  return errs;
}

function validateSeries(event: KubeObject): FieldError[] {
  if (event.series === undefined || event.series === null) return [];
  const series = obj(event.series);
  const errs: FieldError[] = [];
  const count = typeof series.count === "number" ? series.count : 0;
  if (count < 2) errs.push(fieldErrors.invalid("series.count", "", "should be at least 2"));
  if (str(series.lastObservedTime) === "") errs.push(fieldErrors.required("series.lastObservedTime"));
  return errs;
}

/** Go's zero values: an absent field, "", 0 and an empty struct are all unset. */
function isUnset(v: unknown): boolean {
  return v === undefined || v === null || v === "" || v === 0 || (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);
}

function same(a: unknown, b: unknown): boolean {
  return (isUnset(a) && isUnset(b)) || deepEqual(a, b);
}
