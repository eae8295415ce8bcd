// core/v1 Event as kube-apiserver serves it through /api/v1: validation is
// legacyValidateEvent (pkg/apis/core/validation/events.go; ValidateEventCreate and
// ValidateEventUpdate stop there for the v1 request version), names are only
// path segments (the generic registry's ValidatePathSegmentName), no defaults, no
// generation. Cases follow events_test.go: TestValidateEventForCoreV1Events (test1–
// test14, create and update) and TestValidateEventForNewV1beta1Events (whose request
// version also stops at legacyValidateEvent, so they hold for /api/v1 too; the
// reporter's field path is reportingComponent there). `kemu get events` is kubectl's
// printEvent (pkg/printers/internalversion/printers.go).
import { describe, expect, it } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import { typeCheck } from "../../src/api/typecheck.js";
import { renderTable } from "../../src/cli/printers.js";
import type { KubeObject } from "../../src/api/types.js";
import { withNamespaces } from "../support/fixtures.js";
import { thrown } from "../support/api-errors.js";

const EVENTS = resourceByKind("Event")!;
const SOME_TIME = "2017-09-19T13:49:16.000000Z"; // time.Unix(1505828956, 0), as the upstream cases use

function event(name: string, namespace: string, involvedObject: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: "v1", kind: "Event", metadata: { name, namespace }, involvedObject, ...extra };
}

function errs(obj: KubeObject, old?: KubeObject): string[] {
  return validateObject(applyDefaults(obj), old && applyDefaults(old)).map(String);
}

describe("Event: TestValidateEventForCoreV1Events's cases (no eventTime)", () => {
  const cases: [KubeObject, boolean][] = [
    [event("test1", "foo", { namespace: "bar", kind: "Pod" }), false],
    [event("test2", "aoeu-_-aoeu", { namespace: "aoeu-_-aoeu", kind: "Pod" }), false],
    [event("test3", "default", { apiVersion: "v1", kind: "Node" }), true],
    [event("test4", "default", { apiVersion: "v1", kind: "Namespace" }), true],
    [event("test5", "default", { apiVersion: "apps/v1", kind: "NoKind", namespace: "default" }), true],
    [event("test6", "default", { apiVersion: "batch/v1", kind: "Job", namespace: "foo" }), false],
    [event("test7", "default", { apiVersion: "batch/v1", kind: "Job", namespace: "default" }), true],
    [event("test8", "default", { apiVersion: "other/v1beta1", kind: "Job", namespace: "foo" }), false],
    [event("test9", "foo", { apiVersion: "other/v1beta1", kind: "Job", namespace: "foo" }), true],
    [event("test10", "default", { apiVersion: "batch", kind: "Job", namespace: "foo" }), false],
    [event("test11", "foo", { apiVersion: "batch/v1", kind: "Job", namespace: "foo" }), true],
    [event("test12", "foo", { apiVersion: "other/v1beta1", kind: "FooBar", namespace: "bar" }), false],
    // test13 has no namespace: on a namespaced kind the request's fills it in ("default" here), still not "bar".
    [event("test13", "", { apiVersion: "other/v1beta1", kind: "FooBar", namespace: "bar" }), false],
    [event("test14", "foo", { apiVersion: "other/v1beta1", kind: "FooBar", namespace: "" }), false],
  ];
  for (const [ev, valid] of cases) {
    it(`${ev.metadata!.name}: ${valid ? "valid" : "invalid"} on create and on update`, () => {
      const withNs = ev.metadata!.namespace ? ev : { ...ev, metadata: { ...ev.metadata, namespace: "default" } };
      expect(errs(withNs).length === 0).toBe(valid);
      expect(errs(withNs, withNs).length === 0).toBe(valid);
    });
  }

  it("words the namespace mismatch as upstream, with the involved object's namespace as the value", () => {
    expect(errs(event("test1", "foo", { namespace: "bar", kind: "Pod" }))).toEqual(['involvedObject.namespace: Invalid value: "bar": does not match event.namespace']);
    expect(errs(event("test14", "foo", { kind: "FooBar" }))).toEqual(['involvedObject.namespace: Invalid value: "": does not match event.namespace']);
  });

  it("checks the event's namespace as a DNS subdomain under the path `namespace`, besides metadata's own check", () => {
    const out = errs(event("test2", "aoeu-_-aoeu", { namespace: "aoeu-_-aoeu", kind: "Pod" }));
    expect(out).toContain(
      `namespace: Invalid value: "aoeu-_-aoeu": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
    expect(out.some((e) => e.startsWith('metadata.namespace: Invalid value: "aoeu-_-aoeu"'))).toBe(true);
  });

  it("checks neither type, reason nor the message's length without eventTime (upstream's v1 rules)", () => {
    const loose = event("loose", "default", { kind: "Pod", name: "p", namespace: "default" }, { type: "Sideways", message: "x".repeat(5000) });
    expect(errs(loose)).toEqual([]);
  });
});

describe("Event: TestValidateEventForNewV1beta1Events's cases (eventTime set)", () => {
  const node = { apiVersion: "v1", kind: "Node" };
  const full = { eventTime: SOME_TIME, reportingComponent: "k8s.io/my-controller", reportingInstance: "node-xyz", action: "Do", reason: "Because" };

  it("Old Event with EventTime should trigger new validation and fail", () => {
    expect(errs(event("test", "default", node, { eventTime: SOME_TIME }))).toEqual([
      "reportingComponent: Required value",
      `reportingComponent: Invalid value: "": name part must be non-empty`,
      `reportingComponent: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      "reportingInstance: Required value",
      "action: Required value",
      "reason: Required value",
    ]);
  });

  it("Valid new Event (in kube-system, about a cluster-scoped object)", () => {
    expect(errs(event("test", "kube-system", node, full))).toEqual([]);
    // The new branch also allows "default" for a cluster-scoped object, and no other namespace.
    expect(errs(event("test", "default", node, full))).toEqual([]);
    expect(errs(event("test", "other", node, full))).toEqual(['involvedObject.namespace: Invalid value: "": does not match event.namespace']);
  });

  it("not qualified reportingController", () => {
    expect(errs(event("test", "kube-system", node, { ...full, reportingComponent: "my-contr@ller" }))).toEqual([
      `reportingComponent: Invalid value: "my-contr@ller": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ]);
  });

  it("too long reporting instance (at most 128 bytes; the value shown is \"\", as upstream)", () => {
    expect(errs(event("test", "kube-system", node, { ...full, reportingInstance: `node-${"z".repeat(124)}` }))).toEqual([
      'reportingInstance: Invalid value: "": can have at most 128 characters',
    ]);
    expect(errs(event("test", "kube-system", node, { ...full, reportingInstance: `node-${"z".repeat(123)}` }))).toEqual([]);
  });

  it("missing reason, missing action", () => {
    const { reason: _r, ...noReason } = full;
    const { action: _a, ...noAction } = full;
    expect(errs(event("test", "kube-system", node, noReason))).toEqual(["reason: Required value"]);
    expect(errs(event("test", "kube-system", node, noAction))).toEqual(["action: Required value"]);
  });

  it("too long message (at most 1024 bytes), reason and action (at most 128)", () => {
    expect(errs(event("test", "kube-system", node, { ...full, message: "z".repeat(1025) }))).toEqual(['message: Invalid value: "": can have at most 1024 characters']);
    expect(errs(event("test", "kube-system", node, { ...full, message: "é".repeat(512) }))).toEqual([]);
    expect(errs(event("test", "kube-system", node, { ...full, message: `${"é".repeat(512)}z` }))).toEqual(['message: Invalid value: "": can have at most 1024 characters']);
    expect(errs(event("test", "kube-system", node, { ...full, reason: "R".repeat(129), action: "A".repeat(129) }))).toEqual([
      'action: Invalid value: "": can have at most 128 characters',
      'reason: Invalid value: "": can have at most 128 characters',
    ]);
  });
});

describe("Event: names, types and the API", () => {
  it("a name is only a path segment (ValidatePathSegmentName): not '.', '..', nor containing '/' or '%'", () => {
    const ok = { kind: "Pod", name: "p", namespace: "default" };
    expect(errs(event("Upper_Case.not-a-subdomain", "default", ok))).toEqual([]);
    expect(errs(event("..", "default", ok))).toEqual([`metadata.name: Invalid value: "..": may not be '..'`]);
    expect(errs(event("a/b%c", "default", ok))).toEqual([`metadata.name: Invalid value: "a/b%c": may not contain '/'`, `metadata.name: Invalid value: "a/b%c": may not contain '%'`]);
    expect(errs({ ...event("", "default", ok), metadata: { generateName: "..", namespace: "default" } })).toEqual([]);
  });

  it("type-checks the fields kubernetes-models knows (count is an int32)", () => {
    expect(typeCheck(event("e", "default", { kind: "Pod" }, { count: "2", message: 3 })).map(String)).toEqual([
      'count: Invalid value: "2": must be an integer',
      "message: Invalid value: 3: must be a string",
    ]);
    expect(typeCheck(event("e", "default", { kind: "Pod" }, { count: 2 ** 31 })).map(String)).toEqual([
      "count: Invalid value: 2147483648: must be an integer from -2147483648 to 2147483647 (32 bits)",
    ]);
  });

  it("is served as events (ev), namespaced, core v1; stored without generation; counts can be patched", () => {
    expect(resourceByName("ev")).toBe(EVENTS);
    expect(resourceByName("events")).toBe(EVENTS);
    expect(EVENTS).toMatchObject({ group: "", version: "v1", namespaced: true, plural: "events" });
    const api = withNamespaces();
    const created = api.create(EVENTS, event("web.17f0", "default", { kind: "Ingress", name: "web", namespace: "default" }, { type: "Warning", reason: "UnknownAnnotation", count: 1 }));
    expect(created.metadata.generation).toBeUndefined();
    const patched = api.patch(EVENTS, "default", "web.17f0", { count: 2, lastTimestamp: "2026-01-01T00:00:00Z" });
    expect(patched).toMatchObject({ count: 2, lastTimestamp: "2026-01-01T00:00:00Z", reason: "UnknownAnnotation" });
    expect(api.list(EVENTS, { namespace: "default", fieldSelector: "involvedObject.name=web" }).items.map((e) => e.metadata.name)).toEqual(["web.17f0"]);
  });

  it("refuses an Event in another namespace than its object's, naming the field", () => {
    const api = withNamespaces();
    const err = thrown(() => api.create(EVENTS, event("x", "default", { kind: "Pod", name: "p", namespace: "other" })));
    expect(err.reason).toBe("Invalid");
    expect(err.message).toBe('Event "x" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace');
  });
});

describe("renderTable: events (kubectl's printEvent)", () => {
  const NOW = Date.parse("2026-06-01T12:00:00Z");
  const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const ev = (name: string, rest: Record<string, unknown>): KubeObject => ({ apiVersion: "v1", kind: "Event", metadata: { name, namespace: "default" }, ...rest });
  const items = [
    ev("web.17f0a", {
      involvedObject: { kind: "Ingress", name: "web", namespace: "default" },
      type: "Warning",
      reason: "UnknownAnnotation",
      message: '  annotation nginx.ingress.kubernetes.io/foo is not supported: ignored\n',
      source: { component: "kemu-ingress" },
      firstTimestamp: ago(600),
      lastTimestamp: ago(30),
      count: 7,
    }),
    // A new-style Event: no timestamps but eventTime, no count (1), the source from reportingComponent/Instance.
    ev("node-1.17f0b", { involvedObject: { kind: "Node", name: "node-1" }, type: "Normal", reason: "Starting", eventTime: ago(90), reportingComponent: "kubelet", reportingInstance: "node-1" }),
    // A series: its lastObservedTime and count win; an object without a name prints its kind alone.
    ev("x.17f0c", { involvedObject: { kind: "Namespace", fieldPath: "spec" }, type: "Normal", reason: "Tick", firstTimestamp: ago(7200), series: { count: 12, lastObservedTime: ago(5) }, source: { component: "c", host: "h" } }),
    ev("bare.17f0d", {}),
  ];

  it("LAST SEEN, TYPE, REASON, OBJECT (lower-case kind/name), MESSAGE (trimmed)", () => {
    expect(renderTable("events", items, { wide: false, withNamespace: false, now: NOW })).toBe(
      [
        "LAST SEEN   TYPE      REASON              OBJECT        MESSAGE",
        "30s         Warning   UnknownAnnotation   ingress/web   annotation nginx.ingress.kubernetes.io/foo is not supported: ignored",
        "90s         Normal    Starting            node/node-1   ",
        "5s          Normal    Tick                namespace     ",
        "<unknown>                                               ",
        "",
      ].join("\n"),
    );
    expect(renderTable("ev", items.slice(0, 1), { wide: false, withNamespace: true, now: NOW }).split("\n")[0]).toBe(
      "NAMESPACE   LAST SEEN   TYPE      REASON              OBJECT        MESSAGE",
    );
  });

  it("-o wide: SUBOBJECT, SOURCE between OBJECT and MESSAGE, then FIRST SEEN, COUNT, NAME", () => {
    expect(renderTable("ev", items, { wide: true, withNamespace: false, now: NOW })).toBe(
      [
        "LAST SEEN   TYPE      REASON              OBJECT        SUBOBJECT   SOURCE            MESSAGE                                                                FIRST SEEN   COUNT   NAME",
        "30s         Warning   UnknownAnnotation   ingress/web               kemu-ingress      annotation nginx.ingress.kubernetes.io/foo is not supported: ignored   10m          7       web.17f0a",
        "90s         Normal    Starting            node/node-1               kubelet, node-1                                                                          90s          1       node-1.17f0b",
        "5s          Normal    Tick                namespace     spec        c, h                                                                                     120m         12      x.17f0c",
        "<unknown>                                                                                                                                                    <unknown>    1       bare.17f0d",
        "",
      ].join("\n"),
    );
  });
});
