// events.k8s.io/v1 Event, a second view of the stored core/v1 Events:
// the conversion both ways (pkg/apis/events/v1/conversion.go), the field
// selector labels (AddFieldLabelConversionsForEvent), the events.k8s.io/v1
// create and update rules (pkg/apis/core/validation/events.go
// ValidateEventCreate/ValidateEventUpdate), and the API server serving one
// set of Events through both group versions (list, get, watch, create,
// update, patch, delete), its discovery entry and its Table.
import { describe, expect, it } from "vitest";
import { ApiServer } from "../../src/api/apiserver.js";
import { ApiError } from "../../src/api/errors.js";
import { eventFromV1, eventToV1, fieldRequirementsToCore, fieldSelectorText, unknownV1Fields } from "../../src/api/events-v1.js";
import { resourceByKind, resourceByName, resourceByPlural } from "../../src/api/resources.js";
import { parseFieldSelector } from "../../src/api/selectors.js";
import { validateEventV1Create, validateEventV1Update } from "../../src/api/validation/event-v1.js";
import { discoveryResponse } from "../../src/api/discovery.js";
import { toTable } from "../../src/api/table/index.js";
import type { KubeObject, WatchEvent } from "../../src/api/types.js";

const CORE = resourceByKind("Event", "v1")!;
const V1 = resourceByKind("Event", "events.k8s.io/v1")!;
const NAMESPACES = resourceByKind("Namespace")!;

const REF = { kind: "Pod", namespace: "default", name: "web", uid: "u-1", apiVersion: "v1", resourceVersion: "7", fieldPath: "spec.containers{web}" };

/** A core/v1 Event with every field that has a new name in events.k8s.io/v1. */
const coreEvent: KubeObject = {
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "web.1", namespace: "default" },
  involvedObject: REF,
  reason: "Pulled",
  message: "Container image already present",
  source: { component: "kubelet", host: "node-1" },
  firstTimestamp: "2025-01-01T00:00:00Z",
  lastTimestamp: "2025-01-01T00:01:00Z",
  count: 2,
  type: "Normal",
  eventTime: "2025-01-01T00:00:00.000000Z",
  series: { count: 2, lastObservedTime: "2025-01-01T00:01:00.000000Z" },
  action: "Pulling",
  related: { kind: "Node", name: "node-1" },
  reportingComponent: "kubelet",
  reportingInstance: "node-1",
};

const v1Event: KubeObject = {
  apiVersion: "events.k8s.io/v1",
  kind: "Event",
  metadata: { name: "web.1", namespace: "default" },
  regarding: REF,
  reason: "Pulled",
  note: "Container image already present",
  deprecatedSource: { component: "kubelet", host: "node-1" },
  deprecatedFirstTimestamp: "2025-01-01T00:00:00Z",
  deprecatedLastTimestamp: "2025-01-01T00:01:00Z",
  deprecatedCount: 2,
  type: "Normal",
  eventTime: "2025-01-01T00:00:00.000000Z",
  series: { count: 2, lastObservedTime: "2025-01-01T00:01:00.000000Z" },
  action: "Pulling",
  related: { kind: "Node", name: "node-1" },
  reportingController: "kubelet",
  reportingInstance: "node-1",
};

describe("conversion (Convert_core_Event_To_v1_Event, Convert_v1_Event_To_core_Event)", () => {
  it("core/v1 → events.k8s.io/v1 renames involvedObject, message, source, first/lastTimestamp, count, reportingComponent", () => {
    expect(eventToV1(coreEvent)).toEqual(v1Event);
  });

  it("events.k8s.io/v1 → core/v1 is the inverse", () => {
    expect(eventFromV1(v1Event)).toEqual(coreEvent);
  });

  it("only the fields present are renamed: an old-style Event has no eventTime, series or reporter in either form", () => {
    const old: KubeObject = { apiVersion: "v1", kind: "Event", metadata: { name: "a" }, involvedObject: { kind: "Node", name: "n" }, message: "m", count: 1 };
    expect(eventToV1(old)).toEqual({ apiVersion: "events.k8s.io/v1", kind: "Event", metadata: { name: "a" }, regarding: { kind: "Node", name: "n" }, note: "m", deprecatedCount: 1 });
  });

  it("names core/v1's fields as unknown to events.k8s.io/v1", () => {
    expect(unknownV1Fields({ ...v1Event, message: "x", involvedObject: {}, bogus: 1 } as KubeObject)).toEqual(["message", "involvedObject", "bogus"]);
    expect(unknownV1Fields(v1Event)).toEqual([]);
  });

  it("field selector labels: regarding.* → involvedObject.*, reportingController → reportingComponent, others unchanged; values stay escaped", () => {
    const reqs = fieldRequirementsToCore(parseFieldSelector("regarding.kind=Pod,regarding.name!=a\\,b,reportingController=kubelet,type=Warning,metadata.name=x"));
    expect(reqs.map(({ field, operator, value }) => ({ field, operator, value }))).toEqual([
      { field: "involvedObject.kind", operator: "=", value: "Pod" },
      { field: "involvedObject.name", operator: "!=", value: "a,b" },
      { field: "reportingComponent", operator: "=", value: "kubelet" },
      { field: "type", operator: "=", value: "Warning" },
      { field: "metadata.name", operator: "=", value: "x" },
    ]);
    expect(fieldSelectorText(reqs)).toBe("involvedObject.kind=Pod,involvedObject.name!=a\\,b,reportingComponent=kubelet,type=Warning,metadata.name=x");
  });
});

/** A valid create through events.k8s.io/v1, in core form (what validateEventV1Create is given). */
const newEvent = (extra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "web.17f", namespace: "default" },
    involvedObject: { kind: "Pod", namespace: "default", name: "web" },
    eventTime: "2025-01-01T00:00:00.000000Z",
    reportingComponent: "k8s.io/my-controller",
    reportingInstance: "node-1",
    action: "Scheduling",
    reason: "Scheduled",
    type: "Normal",
    ...extra,
  }) as KubeObject;

const messages = (errs: { toString(): string }[]) => errs.map(String);

describe("validateEventV1Create (ValidateEventCreate, events.k8s.io/v1)", () => {
  it("accepts a new-style Event", () => {
    expect(validateEventV1Create(newEvent())).toEqual([]);
  });

  it("requires eventTime, a reporter (named reportingController), action, reason and a Normal or Warning type", () => {
    const bare = { apiVersion: "v1", kind: "Event", metadata: { name: "x", namespace: "default" }, involvedObject: { kind: "Pod", namespace: "default", name: "web" } } as KubeObject;
    expect(messages(validateEventV1Create(bare))).toEqual(["eventTime: Required value", 'type: Invalid value: "": has invalid value: ']);
    expect(messages(validateEventV1Create(newEvent({ reportingComponent: undefined, action: "", reason: "", type: "Info" })))).toEqual([
      "reportingController: Required value",
      `reportingController: Invalid value: "": name part must be non-empty`,
      `reportingController: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      "action: Required value",
      "reason: Required value",
      'type: Invalid value: "": has invalid value: Info',
    ]);
  });

  it("the note is at most 1024 bytes (reported as message, the internal name)", () => {
    expect(messages(validateEventV1Create(newEvent({ message: "x".repeat(1025) })))).toEqual(['message: Invalid value: "": can have at most 1024 characters']);
  });

  it("the deprecated fields must be unset; a series needs a count of 2 or more and a lastObservedTime", () => {
    expect(
      messages(validateEventV1Create(newEvent({ firstTimestamp: "2025-01-01T00:00:00Z", lastTimestamp: "2025-01-01T00:00:00Z", count: 1, source: { component: "c" }, series: { count: 1 } }))),
    ).toEqual([
      'series.count: Invalid value: "": should be at least 2',
      "series.lastObservedTime: Required value",
      'firstTimestamp: Invalid value: "": needs to be unset',
      'lastTimestamp: Invalid value: "": needs to be unset',
      'count: Invalid value: "": needs to be unset',
      'source: Invalid value: "": needs to be unset',
    ]);
  });

  it("the name is a DNS subdomain (core/v1 only asks for a path segment)", () => {
    expect(messages(validateEventV1Create(newEvent({ metadata: { name: "Web_1", namespace: "default" } })))).toEqual([
      `metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });
});

describe("validateEventV1Update (ValidateEventUpdate, events.k8s.io/v1)", () => {
  it("a new series may be written; what the Event says may not change", () => {
    const old = newEvent();
    expect(validateEventV1Update(newEvent({ series: { count: 2, lastObservedTime: "2025-01-01T00:01:00.000000Z" } }), old)).toEqual([]);
    expect(messages(validateEventV1Update(newEvent({ message: "changed", reportingComponent: "other", series: { count: 1, lastObservedTime: "t" } }), old))).toEqual([
      'series.count: Invalid value: "": should be at least 2',
      'message: Invalid value: "changed": field is immutable',
      'reportingController: Invalid value: "other": field is immutable',
    ]);
  });
});

function cluster(): ApiServer {
  const api = new ApiServer();
  for (const name of ["default", "kube-system"]) api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return api;
}

/** The object without the fields the server sets. */
function body(obj: KubeObject): Record<string, unknown> {
  const { metadata, ...rest } = obj as KubeObject & { metadata: Record<string, unknown> };
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, ...meta } = metadata;
  return { ...rest, metadata: meta };
}

describe("the API server serves one set of Events in both group versions", () => {
  it("resolves events.k8s.io Events by plural, by kind and apiVersion, and by kubectl's name; the core kind wins a bare name", () => {
    expect(resourceByPlural("events.k8s.io", "events", "v1")).toBe(V1);
    expect(resourceByName("events.events.k8s.io")).toBe(V1);
    expect(resourceByName("events")).toBe(CORE);
    expect(resourceByName("ev")).toBe(CORE);
    expect(resourceByKind("Event")).toBe(CORE);
  });

  it("an Event created through core/v1 is read, listed and selected through events.k8s.io/v1, converted", () => {
    const api = cluster();
    const created = api.create(CORE, coreEvent);
    const read = api.get(V1, "default", "web.1");
    expect(body(read)).toEqual(v1Event);
    expect(read.metadata.uid).toBe(created.metadata.uid);
    expect(read.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(api.list(V1, { namespace: "default" }).items.map((e) => e.metadata.name)).toEqual(["web.1"]);
    expect(api.list(V1, { fieldSelector: "regarding.name=web,reportingController=kubelet" }).items.map((e) => e.metadata.name)).toEqual(["web.1"]);
    expect(api.list(V1, { fieldSelector: "regarding.name=other" }).items).toEqual([]);
  });

  it("an Event created through events.k8s.io/v1 is stored as core/v1 and answered as events.k8s.io/v1", () => {
    const api = cluster();
    const written = eventToV1(newEvent());
    const answer = api.create(V1, written, "default");
    expect(body(answer)).toEqual(written);
    expect(body(api.get(CORE, "default", "web.17f"))).toEqual(newEvent());
  });

  it("a create through events.k8s.io/v1 is validated with its own rules, as Event.events.k8s.io", () => {
    const api = cluster();
    let err: unknown;
    try {
      api.create(V1, eventToV1(coreEvent), "default");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe(
      'Event.events.k8s.io "web.1" is invalid: [firstTimestamp: Invalid value: "": needs to be unset, lastTimestamp: Invalid value: "": needs to be unset, count: Invalid value: "": needs to be unset, source: Invalid value: "": needs to be unset]',
    );
    // The same Event through core/v1 passes the legacy rules only.
    expect(() => api.create(CORE, coreEvent)).not.toThrow();
  });

  it("core/v1's field names are unknown to events.k8s.io/v1: refused under Strict, warned and dropped under Warn", () => {
    const api = cluster();
    const written = { ...eventToV1(newEvent()), message: "core's name" } as KubeObject;
    expect(() => api.create(V1, written, "default", { fieldValidation: "Strict" })).toThrow(
      'Event in version "v1" cannot be handled as a Event: strict decoding error: unknown field "message"',
    );
    const warnings: string[] = [];
    const created = api.create(V1, written, "default", { fieldValidation: "Warn", warnings });
    expect(warnings).toEqual(['unknown field "message"']);
    expect(created).not.toHaveProperty("note");
  });

  it("another apiVersion in the body is refused", () => {
    expect(() => cluster().create(V1, { ...eventToV1(newEvent()), apiVersion: "v1" } as KubeObject, "default")).toThrow(
      "apiVersion v1 is not served for events.events.k8s.io; use events.k8s.io/v1",
    );
  });

  it("update and merge patch through events.k8s.io/v1: a series may be added, the note may not change", () => {
    const api = cluster();
    api.create(V1, eventToV1(newEvent()), "default");
    const series = { count: 3, lastObservedTime: "2025-01-01T00:05:00.000000Z" };
    const patched = api.patch(V1, "default", "web.17f", { series }, "application/merge-patch+json");
    expect(patched.series).toEqual(series);
    expect((api.get(CORE, "default", "web.17f") as KubeObject & { series?: unknown }).series).toEqual(series);
    expect(() => api.patch(V1, "default", "web.17f", { note: "changed" }, "application/merge-patch+json")).toThrow(
      'Event.events.k8s.io "web.17f" is invalid: message: Invalid value: "changed": field is immutable',
    );
    const current = api.get(V1, "default", "web.17f");
    const updated = api.update(V1, { ...current, series: { count: 4, lastObservedTime: "2025-01-01T00:06:00.000000Z" } } as KubeObject, "default");
    expect(updated.series).toEqual({ count: 4, lastObservedTime: "2025-01-01T00:06:00.000000Z" });
    expect(updated.apiVersion).toBe("events.k8s.io/v1");
  });

  it("an update through core/v1 keeps the legacy rules: the message may change there", () => {
    const api = cluster();
    api.create(V1, eventToV1(newEvent()), "default");
    expect(api.patch(CORE, "default", "web.17f", { message: "changed" }).message).toBe("changed");
    expect(api.get(V1, "default", "web.17f").note).toBe("changed");
  });

  it("watch through events.k8s.io/v1 sees core/v1 writes, converted; delete through either removes the one Event", () => {
    const api = cluster();
    const seen: WatchEvent[] = [];
    const stop = api.watch(V1, { namespace: "default", fieldSelector: "regarding.name=web" }, (e) => seen.push(e));
    api.create(CORE, coreEvent);
    api.create(CORE, { ...coreEvent, metadata: { name: "other.1", namespace: "default" }, involvedObject: { ...REF, name: "other" } } as KubeObject);
    const deleted = api.delete(V1, "default", "web.1");
    stop();
    expect(deleted.apiVersion).toBe("events.k8s.io/v1");
    expect(seen.map((e) => [e.type, e.object.apiVersion, e.object.metadata.name, (e.object as KubeObject & { note?: string }).note])).toEqual([
      ["ADDED", "events.k8s.io/v1", "web.1", "Container image already present"],
      ["DELETED", "events.k8s.io/v1", "web.1", "Container image already present"],
    ]);
    expect(api.tryGet(CORE, "default", "web.1")).toBeUndefined();
    expect(() => api.get(V1, "default", "web.1")).toThrow('events.events.k8s.io "web.1" not found');
  });

  it("discovery lists events.k8s.io/v1 events (short name ev, every verb)", () => {
    const found = discoveryResponse("/apis/events.k8s.io/v1", "application/json");
    const list = found!.body as { groupVersion: string; resources: { name: string; kind: string; shortNames?: string[]; verbs: string[]; namespaced: boolean }[] };
    expect(list.groupVersion).toBe("events.k8s.io/v1");
    expect(list.resources.map(({ name, kind, shortNames, verbs, namespaced }) => ({ name, kind, shortNames, verbs, namespaced }))).toEqual([
      { name: "events", kind: "Event", shortNames: ["ev"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], namespaced: true },
    ]);
  });

  it("prints the same Table columns and cells as core/v1 (printEvent on the internal type)", () => {
    const now = Date.parse("2025-01-01T00:02:00Z");
    const request = { version: "v1" as const, includeObject: "None" as const };
    const core = toTable(CORE, [coreEvent], {}, request, now);
    const v1 = toTable(V1, [v1Event], {}, request, now);
    expect(v1.columnDefinitions).toEqual(core.columnDefinitions);
    expect(v1.rows.map((r) => r.cells)).toEqual(core.rows.map((r) => r.cells));
    // LAST SEEN, TYPE, REASON, OBJECT, then (wide) SUBOBJECT before MESSAGE.
    expect(v1.rows[0]!.cells.slice(0, 6)).toEqual(["60s", "Normal", "Pulled", "pod/web", "spec.containers{web}", "kubelet, node-1"]);
    expect(v1.rows[0]!.cells).toContain("Container image already present");
  });
});
