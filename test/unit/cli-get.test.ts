// kemu get's kubectl habits, pure parts: KIND/NAME and kind1,kind2
// (cli-runtime resource.Builder), -o parsing, custom-columns (kubectl
// pkg/cmd/get/customcolumn.go and customcolumn_test.go's relaxed paths),
// --show-labels and -L columns (kubectl's formatLabelHeaders), and the
// `kubectl events` table (pkg/cmd/events: SortableEvents, getInterval).
import { describe, it, expect } from "vitest";
import { parseGetOutput, parseGetTargets } from "../../src/cli/get-args.js";
import { customColumnCell, parseCustomColumns, relaxedJsonPath, renderCustomColumns } from "../../src/cli/custom-columns.js";
import { formatTable, renderTable } from "../../src/cli/printers.js";
import { eventInterval, parseEventTypes, renderEvents, sortEvents } from "../../src/cli/events.js";
import type { Event, Pod } from "../../src/api/types.js";

describe("targets", () => {
  it("KIND, KIND NAME…, kind1,kind2 and KIND/NAME…", () => {
    expect(parseGetTargets(["pods"])).toEqual([{ kind: "pods", names: [] }]);
    expect(parseGetTargets(["po", "a", "b"])).toEqual([{ kind: "po", names: ["a", "b"] }]);
    expect(parseGetTargets(["pods,svc"])).toEqual([
      { kind: "pods", names: [] },
      { kind: "svc", names: [] },
    ]);
    expect(parseGetTargets(["pod/a", "pod/b", "svc/a"])).toEqual([
      { kind: "pod", names: ["a", "b"] },
      { kind: "svc", names: ["a"] },
    ]);
  });
  it("refuses mixed forms and half names, as kubectl does", () => {
    expect(() => parseGetTargets(["pods", "pod/a"])).toThrow("there is no need to specify a resource type as a separate argument");
    expect(() => parseGetTargets(["pod/"])).toThrow('arguments in resource/name form must have a single resource and name, got "pod/"');
    expect(() => parseGetTargets(["pods,"])).toThrow("an empty kind");
  });
});

describe("-o", () => {
  it("formats by name, jsonpath with or without quotes", () => {
    expect(parseGetOutput(undefined)).toEqual({ format: "table", wide: false });
    expect(parseGetOutput("wide")).toEqual({ format: "table", wide: true });
    expect(parseGetOutput("name")).toEqual({ format: "name" });
    const jp = parseGetOutput("jsonpath='{.metadata.name}'");
    expect(jp.format === "jsonpath" && jp.template.source).toBe("{.metadata.name}");
    const cc = parseGetOutput("custom-columns=NAME:.metadata.name,IP:status.podIP");
    expect(cc.format === "custom-columns" && cc.columns.map((c) => [c.header, c.template.source])).toEqual([
      ["NAME", "{.metadata.name}"],
      ["IP", "{.status.podIP}"],
    ]);
  });
  it("bad values name what was expected", () => {
    expect(() => parseGetOutput("xml")).toThrow('-o: unsupported output format "xml": expected one of wide, yaml, json, name, jsonpath=TEMPLATE, custom-columns=SPEC');
    expect(() => parseGetOutput("jsonpath={.a")).toThrow("error parsing jsonpath {.a");
    expect(() => parseGetOutput("custom-columns=NAME")).toThrow("unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>");
  });
});

describe("custom-columns", () => {
  it("relaxed paths, as RelaxedJSONPathExpression", () => {
    expect(relaxedJsonPath("metadata.name")).toBe("{.metadata.name}");
    expect(relaxedJsonPath(".metadata.name")).toBe("{.metadata.name}");
    expect(relaxedJsonPath("{metadata.name}")).toBe("{.metadata.name}");
    expect(relaxedJsonPath("{.metadata.name}")).toBe("{.metadata.name}");
    expect(() => relaxedJsonPath("{{foo}}")).toThrow("unexpected path string");
  });
  const pod = { metadata: { name: "web", labels: { app: "web" } }, spec: { containers: [{ name: "a", image: "x" }, { name: "b", image: "y" }] }, status: {} };
  it("cells: values joined with commas, <none> when missing, maps as fmt.Sprint", () => {
    const [name, containers, ip, labels] = parseCustomColumns("NAME:.metadata.name,C:.spec.containers[*].name,IP:.status.podIP,L:.metadata.labels");
    expect(customColumnCell(name!, pod)).toBe("web");
    expect(customColumnCell(containers!, pod)).toBe("a,b");
    expect(customColumnCell(ip!, pod)).toBe("<none>");
    expect(customColumnCell(labels!, pod)).toBe("map[app:web]");
  });
  it("the table: headers as given, kubectl's tab writer", () => {
    const columns = parseCustomColumns("NAME:.metadata.name,IMAGES:.spec.containers[*].image");
    expect(renderCustomColumns(columns, [pod])).toBe("NAME   IMAGES\nweb    x,y\n");
    expect(renderCustomColumns(columns, [pod], { noHeaders: true })).toBe("web   x,y\n");
  });
});

describe("table extras", () => {
  const now = Date.parse("2026-01-01T00:10:00Z");
  const pod = (name: string, labels?: Record<string, string>): Pod =>
    ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", labels, creationTimestamp: "2026-01-01T00:00:00Z" }, spec: { containers: [{ name: "c", image: "i" }] }, status: { phase: "Pending" } }) as Pod;
  it("--show-labels and -L (header is the key's last segment, upper case), --no-headers, KIND/ prefix", () => {
    const pods = [pod("a", { app: "web", "app.kubernetes.io/tier": "front" }), pod("b")];
    expect(renderTable("pods", pods, { wide: false, withNamespace: false, now, labelColumns: ["app.kubernetes.io/tier"], showLabels: true })).toBe(
      "NAME   READY   STATUS    RESTARTS   AGE   TIER    LABELS\n" + "a      0/1     Pending   0          10m   front   app=web,app.kubernetes.io/tier=front\n" + "b      0/1     Pending   0          10m           <none>\n",
    );
    expect(renderTable("pods", [pods[1]!], { wide: false, withNamespace: false, now, noHeaders: true, kindPrefix: "pod" })).toBe("pod/b   0/1   Pending   0     10m\n");
  });
  it("formatTable keeps the widths it is given (a watch's later rows)", () => {
    expect(formatTable([["a", "b", "c"]], [10, 4])).toBe("a         b   c\n");
  });
});

describe("events", () => {
  const now = Date.parse("2026-01-01T01:00:00Z");
  const ev = (name: string, last: string, extra: Partial<Event> = {}): Event =>
    ({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: "default" },
      involvedObject: { kind: "Pod", name: "web" },
      type: "Normal",
      reason: "Started",
      message: ` started ${name} `,
      firstTimestamp: last,
      lastTimestamp: last,
      count: 1,
      ...extra,
    }) as Event;
  it("sorted oldest first by series, lastTimestamp, else eventTime", () => {
    const events = [ev("b", "2026-01-01T00:59:00Z"), ev("a", "2026-01-01T00:58:00Z"), ev("c", "", { lastTimestamp: undefined, firstTimestamp: undefined, eventTime: "2026-01-01T00:57:00.000000Z" })];
    expect(sortEvents(events).map((e) => e.metadata.name)).toEqual(["c", "a", "b"]);
  });
  it("the interval: one time, or (xN over T)", () => {
    expect(eventInterval(ev("a", "2026-01-01T00:59:30Z"), now)).toBe("30s");
    expect(eventInterval(ev("a", "2026-01-01T00:59:30Z", { count: 3, firstTimestamp: "2026-01-01T00:50:00Z" }), now)).toBe("30s (x3 over 10m)");
  });
  it("the table of kubectl events", () => {
    expect(renderEvents([ev("a", "2026-01-01T00:59:00Z")], { now })).toBe("LAST SEEN   TYPE     REASON    OBJECT    MESSAGE\n60s         Normal   Started   Pod/web   started a\n");
    expect(renderEvents([ev("a", "2026-01-01T00:59:00Z")], { now, allNamespaces: true, noHeaders: true })).toBe("default   60s   Normal   Started   Pod/web   started a\n");
  });
  it("--types: Normal or Warning, any case", () => {
    expect(parseEventTypes("Warning,normal")).toEqual(["warning", "normal"]);
    expect(() => parseEventTypes("Error")).toThrow("valid --types are Normal or Warning");
  });
});
