import { describe, it, expect } from "vitest";
import {
  labelSelectorToString,
  matchesFieldSelector,
  matchesLabelSelector,
  matchesRequirements,
  parseFieldSelector,
  parseLabelSelector,
  requirementsFromLabelSelector,
  requirementsToString,
  validateLabelSelector,
  type Requirement,
} from "../../src/api/selectors.js";
import type { KubeObject, LabelSelector } from "../../src/api/types.js";

describe("parseLabelSelector", () => {
  it("parses every operator", () => {
    expect(parseLabelSelector("a=b,c==d,e!=f,g in (y,x),h notin (z),i,!j")).toEqual<Requirement[]>([
      { key: "a", operator: "Equals", values: ["b"] },
      { key: "c", operator: "Equals", values: ["d"] },
      { key: "e", operator: "NotEquals", values: ["f"] },
      { key: "g", operator: "In", values: ["x", "y"] },
      { key: "h", operator: "NotIn", values: ["z"] },
      { key: "i", operator: "Exists", values: [] },
      { key: "j", operator: "DoesNotExist", values: [] },
    ]);
  });

  it("tolerates whitespace and sorts by key", () => {
    expect(parseLabelSelector("  tier in ( web , db ) ,  app = shop , ! canary ")).toEqual<Requirement[]>([
      { key: "app", operator: "Equals", values: ["shop"] },
      { key: "canary", operator: "DoesNotExist", values: [] },
      { key: "tier", operator: "In", values: ["db", "web"] },
    ]);
  });

  it("gives [] for the empty selector", () => {
    expect(parseLabelSelector("")).toEqual([]);
    expect(parseLabelSelector("   ")).toEqual([]);
  });

  it("accepts prefixed keys, empty values and keyword values", () => {
    expect(parseLabelSelector("example.com/role=,x=in,y in (notin,)")).toEqual<Requirement[]>([
      { key: "example.com/role", operator: "Equals", values: [""] },
      { key: "x", operator: "Equals", values: ["in"] },
      { key: "y", operator: "In", values: ["", "notin"] },
    ]);
  });

  it.each([
    ["a=b,", 'invalid label selector "a=b,": expected a requirement after the trailing \',\''],
    ["a b", "invalid label selector \"a b\": expected an operator (=, ==, !=, in, notin), ',' or end of input after key \"a\", found 'b' at position 2"],
    ["a in x", "invalid label selector \"a in x\": expected '(' after 'in', found 'x' at position 5"],
    ["a in (x", "invalid label selector \"a in (x\": missing ')' to close the value list"],
    ["a in (x y)", "invalid label selector \"a in (x y)\": expected ',' or ')' in the value list, found 'y' at position 8"],
    ["=b", "invalid label selector \"=b\": expected a label key, found '=' at position 0"],
    ["a>1", "invalid label selector \"a>1\": operator '>' at position 1 is not supported"],
    ["a=b=c", "invalid label selector \"a=b=c\": expected ',' or end of input after a requirement, found '=' at position 3"],
    ["!", 'invalid label selector "!": expected a label key, found end of input'],
  ])("rejects %j", (text, message) => {
    expect(() => parseLabelSelector(text)).toThrow(message);
  });

  it("rejects bad keys and values, naming them", () => {
    expect(() => parseLabelSelector("Bad_Key-=x")).toThrow(
      "invalid label selector \"Bad_Key-=x\": invalid label key \"Bad_Key-\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
    expect(() => parseLabelSelector("app=-web")).toThrow('invalid label value "-web" for key "app"');
  });
});

describe("requirementsFromLabelSelector", () => {
  it("converts matchLabels and matchExpressions", () => {
    const sel: LabelSelector = {
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["b", "a", "b"] },
        { key: "env", operator: "NotIn", values: ["prod"] },
        { key: "canary", operator: "DoesNotExist" },
        { key: "team", operator: "Exists" },
      ],
    };
    expect(requirementsFromLabelSelector(sel)).toEqual<Requirement[]>([
      { key: "app", operator: "Equals", values: ["web"] },
      { key: "canary", operator: "DoesNotExist", values: [] },
      { key: "env", operator: "NotIn", values: ["prod"] },
      { key: "team", operator: "Exists", values: [] },
      { key: "tier", operator: "In", values: ["a", "b"] },
    ]);
  });

  it("gives [] for {}", () => {
    expect(requirementsFromLabelSelector({})).toEqual([]);
  });

  it("throws with the field path", () => {
    expect(() => requirementsFromLabelSelector({ matchExpressions: [{ key: "a", operator: "Foo" }] })).toThrow(
      'spec.selector.matchExpressions[0].operator: "Foo" is not a valid label selector operator',
    );
    expect(() => requirementsFromLabelSelector({ matchExpressions: [{ key: "a", operator: "In", values: [] }] }, "spec.podSelector")).toThrow(
      "spec.podSelector.matchExpressions[0].values: for 'in', 'notin' operators, values set can't be empty",
    );
    expect(() => requirementsFromLabelSelector({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] })).toThrow(
      "spec.selector.matchExpressions[0].values: values set must be empty for exists and does not exist",
    );
    expect(() => requirementsFromLabelSelector({ matchLabels: { "a/b/c": "x" } })).toThrow('spec.selector.matchLabels: invalid label key "a/b/c"');
  });
});

describe("matching", () => {
  const labels = { app: "web", tier: "frontend" };

  it.each([
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app=db", false],
    ["app!=db", true],
    ["app!=web", false],
    ["missing!=x", true],
    ["tier in (frontend,backend)", true],
    ["tier in (backend)", false],
    ["missing in (x)", false],
    ["tier notin (backend)", true],
    ["tier notin (frontend)", false],
    ["missing notin (x)", true],
    ["app", true],
    ["missing", false],
    ["!missing", true],
    ["!app", false],
    ["app=web,tier=backend", false],
  ])("%j against app=web,tier=frontend is %s", (text, expected) => {
    expect(matchesRequirements(parseLabelSelector(text), labels)).toBe(expected);
  });

  it("treats undefined labels as no labels", () => {
    expect(matchesRequirements(parseLabelSelector("!app"), undefined)).toBe(true);
    expect(matchesRequirements(parseLabelSelector("app"), undefined)).toBe(false);
  });

  it("matchesLabelSelector: {} matches everything, undefined/null nothing", () => {
    expect(matchesLabelSelector({}, labels)).toBe(true);
    expect(matchesLabelSelector({}, undefined)).toBe(true);
    expect(matchesLabelSelector(undefined, labels)).toBe(false);
    expect(matchesLabelSelector(null, labels)).toBe(false);
  });

  it("matchesLabelSelector uses matchLabels and matchExpressions together", () => {
    const sel: LabelSelector = { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["frontend"] }] };
    expect(matchesLabelSelector(sel, labels)).toBe(true);
    expect(matchesLabelSelector(sel, { app: "web", tier: "db" })).toBe(false);
    expect(matchesLabelSelector(sel, { tier: "frontend" })).toBe(false);
  });

  it("an unconvertible selector matches nothing", () => {
    expect(matchesLabelSelector({ matchExpressions: [{ key: "app", operator: "Bogus" }] }, labels)).toBe(false);
  });
});

describe("labelSelectorToString", () => {
  it("prints as kubectl does", () => {
    expect(
      labelSelectorToString({
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["b", "a"] },
          { key: "env", operator: "NotIn", values: ["prod"] },
          { key: "canary", operator: "DoesNotExist" },
          { key: "zone", operator: "Exists" },
        ],
      }),
    ).toBe("app=web,!canary,env notin (prod),tier in (a,b),zone");
  });

  it("prints <none> for absent or empty and <error> for unconvertible selectors", () => {
    expect(labelSelectorToString(undefined)).toBe("<none>");
    expect(labelSelectorToString({})).toBe("<none>");
    expect(labelSelectorToString({ matchExpressions: [{ key: "a", operator: "In", values: [] }] })).toBe("<error>");
  });

  it("round-trips through parseLabelSelector", () => {
    const text = "app=web,!canary,env notin (prod),tier in (a,b),x!=y,zone";
    expect(requirementsToString(parseLabelSelector(text))).toBe(text);
  });
});

describe("validateLabelSelector", () => {
  it("accepts a valid selector", () => {
    expect(
      validateLabelSelector({ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["a"] }] }, "spec.selector"),
    ).toEqual([]);
    expect(validateLabelSelector(undefined, "spec.selector")).toEqual([]);
  });

  it("reports each rule", () => {
    const errs = validateLabelSelector(
      {
        matchLabels: { "bad key": "v", ok: "-bad" },
        matchExpressions: [
          { key: "a", operator: "In" },
          { key: "b", operator: "Exists", values: ["x"] },
          { key: "c", operator: "Gt", values: ["1"] },
          { key: "d/e/f", operator: "NotIn", values: ["ok", "not ok"] },
        ],
      },
      "spec.selector",
    );
    expect(errs.map(String)).toEqual([
      "spec.selector.matchLabels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      "spec.selector.matchLabels: Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Gt": not a valid selector operator',
      "spec.selector.matchExpressions[3].key: Invalid value: \"d/e/f\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      "spec.selector.matchExpressions[3].values[1]: Invalid value: \"not ok\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
  });
});

describe("field selectors", () => {
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-1", namespace: "shop" },
    spec: { nodeName: "node-a", hostNetwork: false, priority: 5 },
    status: { phase: "Running" },
  };

  it("parses =, == and !=", () => {
    expect(parseFieldSelector("metadata.name=web-1,status.phase==Running,spec.nodeName!=")).toEqual([
      { field: "metadata.name", operator: "=", value: "web-1" },
      { field: "status.phase", operator: "=", value: "Running" },
      { field: "spec.nodeName", operator: "!=", value: "" },
    ]);
    expect(parseFieldSelector("")).toEqual([]);
  });

  it("unescapes values", () => {
    expect(parseFieldSelector("metadata.name=a\\,b\\=c\\\\d,x=y")).toEqual([
      { field: "metadata.name", operator: "=", value: "a,b=c\\d" },
      { field: "x", operator: "=", value: "y" },
    ]);
  });

  it.each([
    ["metadata.name", "can't understand 'metadata.name'"],
    ["=x", "missing field name in '=x'"],
    ["a=b\\q", "unrecognized escape sequence"],
  ])("rejects %j", (text, message) => {
    expect(() => parseFieldSelector(text)).toThrow(message);
  });

  it.each([
    ["metadata.name=web-1", true],
    ["metadata.name=web-2", false],
    ["metadata.namespace=shop", true],
    ["metadata.namespace!=shop", false],
    ["spec.nodeName=node-a", true],
    ["spec.nodeName!=", true],
    ["status.phase=Running,spec.nodeName=node-a", true],
    ["status.phase=Pending", false],
    ["status.podIP=", true],
    ["spec.hostNetwork=false", true],
    ["spec.priority=5", true],
    ["metadata.name.deeper=", true],
    ["", true],
  ])("%j is %s", (text, expected) => {
    expect(matchesFieldSelector(parseFieldSelector(text), pod)).toBe(expected);
  });
  it("matches requirements built by hand or changed after parsing, not only parsed ones", () => {
    expect(matchesFieldSelector([{ field: "spec.nodeName", operator: "=", value: "node-a" }], pod)).toBe(true);
    expect(matchesFieldSelector([{ field: "status.phase", operator: "!=", value: "Running" }], pod)).toBe(false);
    const reqs = parseFieldSelector("spec.nodeName=node-a");
    expect(matchesFieldSelector(reqs, pod)).toBe(true);
    reqs[0]!.field = "status.phase";
    expect(matchesFieldSelector(reqs, pod)).toBe(false);
    reqs[0]!.value = "Running";
    expect(matchesFieldSelector(reqs, pod)).toBe(true);
  });

  it("reuses one parsed selector across objects", () => {
    const reqs = parseFieldSelector("spec.nodeName=");
    const pods = [pod, { ...pod, spec: {} }, { ...pod, spec: { nodeName: "" } }, { ...pod, spec: null }];
    expect(pods.map((p) => matchesFieldSelector(reqs, p as KubeObject))).toEqual([false, true, true, true]);
  });
});
