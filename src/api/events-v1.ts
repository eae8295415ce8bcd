// events.k8s.io/v1 Event: a second view of the core/v1 Events kemu stores.
// Upstream keeps one Event storage (pkg/registry/core/event) and serves it in
// both group versions, converting through the internal type
// (pkg/apis/events/v1/conversion.go): the same fields under other names.
// Pure: the API server (apiserver.ts) calls these on read and write.
import type { KubeObject } from "./types.js";
import type { FieldRequirement } from "./selectors.js";

export const EVENTS_V1_API_VERSION = "events.k8s.io/v1";
export const CORE_EVENT_API_VERSION = "v1";

/**
 * core/v1 name → events.k8s.io/v1 name, in core/v1's field order
 * (Convert_core_Event_To_v1_Event). core/v1's reportingComponent is Go's
 * ReportingController, which events.k8s.io/v1 spells as Go does.
 */
const RENAMED: ReadonlyArray<readonly [core: string, v1: string]> = [
  ["involvedObject", "regarding"],
  ["message", "note"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
  ["reportingComponent", "reportingController"],
];
const TO_V1 = new Map(RENAMED);
const TO_CORE = new Map(RENAMED.map(([core, v1]) => [v1, core]));

/** The top-level fields of events.k8s.io/v1 Event (k8s.io/api/events/v1 types.go). */
export const EVENTS_V1_FIELDS: ReadonlySet<string> = new Set([
  "apiVersion",
  "kind",
  "metadata",
  "eventTime",
  "series",
  "reportingController",
  "reportingInstance",
  "action",
  "reason",
  "regarding",
  "related",
  "note",
  "type",
  "deprecatedSource",
  "deprecatedFirstTimestamp",
  "deprecatedLastTimestamp",
  "deprecatedCount",
]);

function renamed(obj: KubeObject, names: ReadonlyMap<string, string>, apiVersion: string): KubeObject {
  const out: Record<string, unknown> = { apiVersion, kind: "Event" };
  for (const [key, value] of Object.entries(obj)) {
    if (key === "apiVersion" || key === "kind") continue;
    out[names.get(key) ?? key] = value;
  }
  return out as unknown as KubeObject;
}

/** A stored core/v1 Event as events.k8s.io/v1 shows it. Only the fields present are renamed (see the behaviours doc). */
export function eventToV1<T extends KubeObject>(event: T): T {
  return renamed(event, TO_V1, EVENTS_V1_API_VERSION) as T;
}

/** An events.k8s.io/v1 Event as core/v1 stores it. Fields events.k8s.io/v1 does not have are the caller's to drop first (unknownV1Fields). */
export function eventFromV1<T extends KubeObject>(event: T): T {
  return renamed(event, TO_CORE, CORE_EVENT_API_VERSION) as T;
}

/** Top-level keys an events.k8s.io/v1 Event does not have (core/v1's names among them: `message`, `involvedObject`…). */
export function unknownV1Fields(event: KubeObject): string[] {
  return Object.keys(event).filter((k) => !EVENTS_V1_FIELDS.has(k));
}

/**
 * Field selector terms of events.k8s.io/v1 in the names the stored Events
 * carry (AddFieldLabelConversionsForEvent: regarding.* → involvedObject.*,
 * reportingController → reportingComponent); the others are the same.
 */
export function fieldRequirementsToCore(reqs: readonly FieldRequirement[]): FieldRequirement[] {
  return reqs.map((r) => {
    const [head, ...rest] = r.field.split(".");
    const core = TO_CORE.get(head!);
    return core ? { ...r, field: [core, ...rest].join(".") } : r;
  });
}

/** A field selector in its text form again (values escaped as parseFieldSelector unescapes them). */
export function fieldSelectorText(reqs: readonly FieldRequirement[]): string {
  return reqs.map((r) => `${r.field}${r.operator}${r.value.replace(/[\\,=]/g, (c) => `\\${c}`)}`).join(",");
}
