// The generated protobuf schema (scripts/gen-proto-schema.mjs → schema.json)
// covers every built-in kind kemu serves, is closed (every message a field
// names is there), and agrees with upstream's generated.proto on fields that
// matter to kubectl; Go's text forms of durations and times.
import { describe, it, expect } from "vitest";
import { RESOURCES, apiVersionOf } from "../../src/api/resources.js";
import { SCHEMA } from "../../src/api/protobuf/schema.js";
import { messageForKind } from "../../src/api/protobuf/index.js";
import { SPECIAL_TYPES } from "../../src/api/protobuf/decode.js";
import { goDuration, rfc3339Micro, rfc3339Seconds } from "../../src/api/protobuf/go-format.js";

const SCALARS = new Set(["string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "double", "float"]);
/** Served by CRDs upstream, which take no protobuf (apiextensions-apiserver). */
const CRD_GROUPS = new Set(["gateway.networking.k8s.io", "policy.networking.k8s.io"]);

describe("protobuf schema", () => {
  it("names the upstream release it came from", () => {
    expect(SCHEMA.source).toMatch(/^kubernetes\/api v0\.32\.9 \([0-9a-f]{40}\) and kubernetes\/apimachinery v0\.32\.9 \([0-9a-f]{40}\)/);
  });

  it("has a message for every built-in kind kemu serves, and for the reviews kubectl posts", () => {
    const missing = RESOURCES.filter((r) => !CRD_GROUPS.has(r.group) && !messageForKind(apiVersionOf(r), r.kind)).map((r) => `${apiVersionOf(r)}/${r.kind}`);
    expect(missing).toEqual([]);
    expect(messageForKind("authorization.k8s.io/v1", "SelfSubjectAccessReview")).toBe("k8s.io.api.authorization.v1.SelfSubjectAccessReview");
    expect(messageForKind("authorization.k8s.io/v1", "SelfSubjectRulesReview")).toBe("k8s.io.api.authorization.v1.SelfSubjectRulesReview");
    expect(messageForKind("gateway.networking.k8s.io/v1", "Gateway")).toBeUndefined();
    for (const type of Object.values(SCHEMA.kinds)) expect(SCHEMA.messages[type], type).toBeDefined();
  });

  it("is closed: every field's type is a scalar or a message in the schema; flags are r, m, p, i only", () => {
    const problems: string[] = [];
    for (const [name, def] of Object.entries(SCHEMA.messages)) {
      for (const [number, [json, type, flags]] of Object.entries(def.fields)) {
        if (!/^[1-9]\d*$/.test(number)) problems.push(`${name}.${json}: field number ${number}`);
        if (!SCALARS.has(type) && !SCHEMA.messages[type]) problems.push(`${name}.${json}: no message ${type}`);
        if (!/^r?m?p?i?$/.test(flags)) problems.push(`${name}.${json}: flags ${flags}`);
      }
    }
    expect(problems).toEqual([]);
    for (const special of Object.values(SPECIAL_TYPES).filter((t) => t !== SPECIAL_TYPES.duration)) expect(SCHEMA.messages[special], special).toBeDefined();
  });

  it("carries upstream's numbers and the Go tags' names, pointers and inline fields (k8s.io/api core/v1 and apps/v1 generated.proto, types.go)", () => {
    expect(SCHEMA.messages["k8s.io.api.core.v1.ServicePort"]!.fields).toEqual({
      1: ["name", "string", ""],
      2: ["protocol", "string", ""],
      3: ["port", "int32", ""],
      4: ["targetPort", "k8s.io.apimachinery.pkg.util.intstr.IntOrString", ""],
      5: ["nodePort", "int32", ""],
      6: ["appProtocol", "string", "p"],
    });
    expect(SCHEMA.messages["k8s.io.api.core.v1.Volume"]!.fields).toEqual({ 1: ["name", "string", ""], 2: ["volumeSource", "k8s.io.api.core.v1.VolumeSource", "i"] });
    expect(SCHEMA.messages["k8s.io.api.apps.v1.DeploymentSpec"]!.fields[1]).toEqual(["replicas", "int32", "p"]);
    expect(SCHEMA.messages["k8s.io.api.core.v1.Secret"]!.fields[2]).toEqual(["data", "bytes", "m"]);
    // authorization's ExtraValue is a Go []string: its JSON is the list.
    expect(SCHEMA.messages["k8s.io.api.authorization.v1.ExtraValue"]).toEqual({ list: true, fields: { 1: ["items", "string", "r"] } });
  });

  it("Go's time.Duration.String() and metav1's RFC 3339 forms", () => {
    const cases: [bigint, string][] = [
      [0n, "0s"],
      [1n, "1ns"],
      [1500n, "1.5µs"],
      [250_000_000n, "250ms"],
      [1_000_000_000n, "1s"],
      [60_000_000_000n, "1m0s"],
      [3_600_000_000_000n, "1h0m0s"],
      [3_723_500_000_000n, "1h2m3.5s"],
      [-90_000_000_000n, "-1m30s"],
    ];
    expect(cases.map(([ns]) => goDuration(ns))).toEqual(cases.map(([, s]) => s));
    expect(rfc3339Seconds(0n)).toBe("1970-01-01T00:00:00Z");
    expect(rfc3339Seconds(1_700_000_000n)).toBe("2023-11-14T22:13:20Z");
    expect(rfc3339Micro(1_700_000_000n, 5_999)).toBe("2023-11-14T22:13:20.000005Z");
    expect(() => rfc3339Seconds(300_000_000_000n)).toThrow("time 300000000000s since the epoch is outside years 0000-9999");
  });
});
