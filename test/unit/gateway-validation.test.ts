// The Gateway API kinds (gateway.networking.k8s.io, standard channel) as
// kube-apiserver defaults and validates them with kubernetes-sigs/
// gateway-api's CRDs (config/crd/standard/gateway.networking.k8s.io_
// {gatewayclasses,gateways,httproutes,referencegrants}.yaml, generated from
// apis/v1/*_types.go and apis/v1beta1/referencegrant_types.go): the schema's
// defaults, its keywords in kube-openapi's words, list-map keys, and the CEL
// rules (x-kubernetes-validations) with their own messages and the schema
// type as the value. Invalid cases follow the ones upstream keeps in
// hack/invalid-examples/standard/ (named in each test), which its CI applies
// to a real apiserver and expects refused.
import { describe, it, expect } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { parsePath } from "../../src/api/request-path.js";
import { groupVersions, resourceByKind, resourceByName } from "../../src/api/resources.js";
import { durationMs } from "../../src/api/validation/gateway-httproute.js";
import { renderTable } from "../../src/cli/printers.js";
import type { Gateway, GatewayClass, HTTPRoute, KubeObject } from "../../src/api/types.js";

type Json = Record<string, unknown>;
const V1 = "gateway.networking.k8s.io/v1";
const BLOCKED = '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

const route = (spec: unknown): KubeObject => ({ apiVersion: V1, kind: "HTTPRoute", metadata: { name: "r", namespace: "default" }, ...(spec === undefined ? {} : { spec }) });
const gateway = (spec: unknown): KubeObject => ({ apiVersion: V1, kind: "Gateway", metadata: { name: "g", namespace: "default" }, ...(spec === undefined ? {} : { spec }) });
const gatewayClass = (spec: unknown): KubeObject => ({ apiVersion: V1, kind: "GatewayClass", metadata: { name: "kemu" }, spec });
const grant = (spec: unknown): KubeObject => ({ apiVersion: "gateway.networking.k8s.io/v1beta1", kind: "ReferenceGrant", metadata: { name: "g", namespace: "default" }, spec });

/** Validation errors after the CRD's defaults, as the apiserver orders the two. */
const errs = (obj: KubeObject, old?: KubeObject): string[] => validateObject(applyDefaults(obj), old && applyDefaults(old)).map(String);
const routeErrs = (spec: unknown) => errs(route(spec));
const rule = (r: Json) => routeErrs({ parentRefs: [{ name: "gw" }], rules: [r] });
const gwErrs = (listeners: unknown[], extra: Json = {}) => errs(gateway({ gatewayClassName: "kemu", listeners, ...extra }));
const http = (name = "http", extra: Json = {}) => ({ name, port: 80, protocol: "HTTP", ...extra });
const filter = (type: string, body: Json = {}) => ({ type, ...body });
const cel = (path: string, type: string, message: string) => `${path}: Invalid value: "${type}": ${message}`;
const PREFIX = "when type one of ['Exact', 'PathPrefix']";

describe("defaults (the CRDs' `default`s, applied before validation)", () => {
  it("HTTPRoute: a rule matches every path; refs get their group and kind; a backend weighs 1", () => {
    const d = applyDefaults(route({ parentRefs: [{ name: "gw" }], rules: [{ backendRefs: [{ name: "web", port: 80 }] }] })) as HTTPRoute;
    expect(d.spec).toEqual({
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" }],
      rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ group: "", kind: "Service", name: "web", port: 80, weight: 1 }] }],
    });
  });

  it("HTTPRoute: no rules at all is one rule matching every path (spec.rules' default)", () => {
    expect((applyDefaults(route({})) as HTTPRoute).spec.rules).toEqual([{ matches: [{ path: { type: "PathPrefix", value: "/" } }] }]);
  });

  it("HTTPRoute matches: a path is a PathPrefix, a header or query match is Exact; a redirect is a 302; a mirror's fraction is of 100", () => {
    const d = applyDefaults(
      route({
        rules: [
          {
            matches: [{ path: { value: "/api" }, headers: [{ name: "x", value: "1" }], queryParams: [{ name: "q", value: "2" }] }, { method: "GET" }],
            filters: [filter("RequestRedirect", { requestRedirect: { scheme: "https" } }), filter("RequestMirror", { requestMirror: { backendRef: { name: "m", port: 8 }, fraction: { numerator: 5 } } })],
          },
        ],
      }),
    ) as HTTPRoute;
    const r = d.spec.rules[0]!;
    expect(r.matches).toEqual([
      { path: { type: "PathPrefix", value: "/api" }, headers: [{ type: "Exact", name: "x", value: "1" }], queryParams: [{ type: "Exact", name: "q", value: "2" }] },
      { method: "GET", path: { type: "PathPrefix", value: "/" } },
    ]);
    expect(r.filters![0]!.requestRedirect).toEqual({ scheme: "https", statusCode: 302 });
    expect(r.filters![1]!.requestMirror).toEqual({ backendRef: { group: "", kind: "Service", name: "m", port: 8 }, fraction: { numerator: 5, denominator: 100 } });
  });

  it("Gateway: a listener admits routes of its own namespace; TLS terminates; certificates are core Secrets; an address is an IPAddress", () => {
    const d = applyDefaults(
      gateway({
        gatewayClassName: "kemu",
        addresses: [{ value: "172.18.255.200" }],
        listeners: [http(), { name: "https", port: 443, protocol: "HTTPS", tls: { certificateRefs: [{ name: "cert" }] }, allowedRoutes: { kinds: [{ kind: "HTTPRoute" }] } }],
      }),
    ) as Gateway;
    expect(d.spec.addresses).toEqual([{ type: "IPAddress", value: "172.18.255.200" }]);
    expect(d.spec.listeners[0]!.allowedRoutes).toEqual({ namespaces: { from: "Same" } });
    expect(d.spec.listeners[1]).toEqual({
      name: "https",
      port: 443,
      protocol: "HTTPS",
      tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: "cert" }] },
      allowedRoutes: { namespaces: { from: "Same" }, kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }] },
    });
  });

  it("defaulting twice changes nothing", () => {
    const r = route({ parentRefs: [{ name: "gw" }], rules: [{ backendRefs: [{ name: "web", port: 80 }] }] });
    expect(applyDefaults(applyDefaults(r))).toEqual(applyDefaults(r));
  });
});

describe("valid objects", () => {
  it("an HTTPRoute using every standard-channel field", () => {
    expect(
      routeErrs({
        parentRefs: [{ name: "gw", sectionName: "http" }, { name: "gw", sectionName: "https" }, { name: "other", namespace: "infra", port: 443 }],
        hostnames: ["example.com", "*.example.com"],
        rules: [
          {
            name: "api",
            matches: [{ path: { type: "Exact", value: "/api/v1" }, headers: [{ name: "X-Version", value: "2" }, { type: "RegularExpression", name: "ua", value: ".*" }], queryParams: [{ name: "debug", value: "1" }], method: "POST" }],
            filters: [
              filter("RequestHeaderModifier", { requestHeaderModifier: { set: [{ name: "a", value: "1" }], add: [{ name: "b", value: "2" }], remove: ["c"] } }),
              filter("ResponseHeaderModifier", { responseHeaderModifier: { add: [{ name: "d", value: "4" }] } }),
              filter("URLRewrite", { urlRewrite: { hostname: "internal.example", path: { type: "ReplaceFullPath", replaceFullPath: "/v1" } } }),
            ],
            backendRefs: [{ name: "api", port: 8080, weight: 90 }, { name: "api-canary", port: 8080, weight: 10 }],
            timeouts: { request: "10s", backendRequest: "2s" },
          },
          { matches: [{ path: { type: "PathPrefix", value: "/old" } }], filters: [filter("RequestRedirect", { requestRedirect: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" }, statusCode: 301 } })] },
          { matches: [{ path: { type: "RegularExpression", value: "^/(a|b)+$" } }], backendRefs: [{ name: "re", port: 80 }] },
        ],
      }),
    ).toEqual([]);
  });

  it("a Gateway with HTTP and HTTPS listeners, and a GatewayClass", () => {
    expect(gwErrs([http(), http("http-b", { hostname: "b.example.com" }), { name: "https", port: 443, protocol: "HTTPS", hostname: "*.example.com", tls: { certificateRefs: [{ name: "cert" }] } }])).toEqual([]);
    expect(errs(gatewayClass({ controllerName: "kemu.dev/router", description: "kemu's router" }))).toEqual([]);
  });

  it("a ReferenceGrant", () => {
    expect(errs(grant({ from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "apps" }], to: [{ group: "", kind: "Service" }, { group: "", kind: "Secret", name: "cert" }] }))).toEqual([]);
  });
});

describe("HTTPRoute: the schema", () => {
  it("spec is required (root `required`), and then the CEL rules are skipped", () => {
    expect(routeErrs(undefined)).toEqual(["spec: Required value", BLOCKED]);
  });

  it("hostnames: the Hostname pattern (lower case, one leading `*.` label), at most 16 (hack/invalid-examples: invalid-hostname)", () => {
    expect(routeErrs({ hostnames: ["Example.com"] })).toEqual([
      String.raw`spec.hostnames[0]: Invalid value: "Example.com": spec.hostnames[0] in body should match '^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`,
    ]);
    expect(routeErrs({ hostnames: ["a.*.example.com"] })).toHaveLength(1);
    expect(routeErrs({ hostnames: ["*.example.com", "example.com"] })).toEqual([]);
    expect(routeErrs({ hostnames: Array.from({ length: 17 }, (_, i) => `h${i}.example`) })).toEqual(["spec.hostnames: Too many: 17: must have at most 16 items", BLOCKED]);
  });

  it("rules: at least 1 (an explicit empty list is not defaulted), at most 16", () => {
    expect(routeErrs({ rules: [] })).toEqual(["spec.rules: Invalid value: 0: spec.rules in body should have at least 1 items"]);
    expect(routeErrs({ rules: Array.from({ length: 17 }, () => ({})) })).toEqual(["spec.rules: Too many: 17: must have at most 16 items", BLOCKED]);
  });

  it("parentRefs: name required; port 1-65535; sectionName a DNS subdomain; at most 32", () => {
    expect(routeErrs({ parentRefs: [{ sectionName: "http" }] })).toEqual(["spec.parentRefs[0].name: Required value", BLOCKED]);
    expect(routeErrs({ parentRefs: [{ name: "gw", port: 0 }] })).toEqual(["spec.parentRefs[0].port: Invalid value: 0: spec.parentRefs[0].port in body should be greater than or equal to 1"]);
    expect(routeErrs({ parentRefs: [{ name: "gw", sectionName: "HTTP" }] })).toEqual([
      String.raw`spec.parentRefs[0].sectionName: Invalid value: "HTTP": spec.parentRefs[0].sectionName in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`,
    ]);
    expect(routeErrs({ parentRefs: Array.from({ length: 33 }, (_, i) => ({ name: `gw${i}` })) })).toEqual(["spec.parentRefs: Too many: 33: must have at most 32 items", BLOCKED]);
  });

  it("a wrong JSON type is named with its path, and skips the CEL rules", () => {
    expect(rule({ backendRefs: [{ name: "web", port: "80" }] })).toEqual([
      'spec.rules[0].backendRefs[0].port: Invalid value: "string": spec.rules[0].backendRefs[0].port in body must be of type integer: "string"',
      BLOCKED,
    ]);
  });

  it("enums: method, path type, filter type, redirect scheme and status code", () => {
    expect(rule({ matches: [{ method: "get" }] })).toEqual([
      'spec.rules[0].matches[0].method: Unsupported value: "get": supported values: "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"',
      BLOCKED,
    ]);
    expect(rule({ matches: [{ path: { type: "Prefix", value: "/" } }] })).toEqual([
      'spec.rules[0].matches[0].path.type: Unsupported value: "Prefix": supported values: "Exact", "PathPrefix", "RegularExpression"',
      BLOCKED,
    ]);
    expect(rule({ filters: [{ type: "Rewrite" }] })[0]).toBe(
      'spec.rules[0].filters[0].type: Unsupported value: "Rewrite": supported values: "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef", "CORS"',
    );
    expect(rule({ filters: [filter("RequestRedirect", { requestRedirect: { statusCode: 300 } })] })).toEqual([
      'spec.rules[0].filters[0].requestRedirect.statusCode: Unsupported value: 300: supported values: "301", "302", "303", "307", "308"',
      BLOCKED,
    ]);
  });

  it("headers and query params: a token name; values 1-4096 (1-1024 for query); names unique (list-map keys) (hack/invalid-examples: invalid-header-name, duplicate-header-match)", () => {
    expect(rule({ matches: [{ headers: [{ name: "x:y", value: "1" }] }] })).toEqual([
      String.raw`spec.rules[0].matches[0].headers[0].name: Invalid value: "x:y": spec.rules[0].matches[0].headers[0].name in body should match '^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$'`,
    ]);
    expect(rule({ matches: [{ headers: [{ name: "x", value: "" }] }] })).toEqual([
      'spec.rules[0].matches[0].headers[0].value: Invalid value: "": spec.rules[0].matches[0].headers[0].value in body should be at least 1 chars long',
    ]);
    expect(rule({ matches: [{ queryParams: [{ name: "q", value: "v".repeat(1025) }] }] })).toEqual([
      "spec.rules[0].matches[0].queryParams[0].value: Too long: may not be more than 1024 bytes",
      BLOCKED,
    ]);
    expect(rule({ matches: [{ headers: [{ name: "x", value: "1" }, { name: "x", value: "2" }] }] })).toEqual([
      'spec.rules[0].matches[0].headers[1]: Duplicate value: map[string]interface {}{"name":"x"}',
    ]);
  });

  it("backendRefs: weight 0-1000000; a Service needs a port (CEL `Must have port for Service reference`) (hack/invalid-examples: invalid-backend-port, httproute-portless-service)", () => {
    expect(rule({ backendRefs: [{ name: "web", port: 80, weight: 1000001 }] })).toEqual([
      "spec.rules[0].backendRefs[0].weight: Invalid value: 1000001: spec.rules[0].backendRefs[0].weight in body should be less than or equal to 1000000",
    ]);
    expect(rule({ backendRefs: [{ name: "web", port: 800080 }] })).toEqual([
      "spec.rules[0].backendRefs[0].port: Invalid value: 800080: spec.rules[0].backendRefs[0].port in body should be less than or equal to 65535",
    ]);
    expect(rule({ backendRefs: [{ name: "web" }] })).toEqual([cel("spec.rules[0].backendRefs[0]", "object", "Must have port for Service reference")]);
    expect(rule({ backendRefs: [{ group: "example.com", kind: "Bucket", name: "b" }] })).toEqual([]);
  });

  it("timeouts: GEP-2257 durations; backendRequest not longer than request unless request is 0s", () => {
    expect(rule({ timeouts: { request: "1.5s" } })).toEqual([
      String.raw`spec.rules[0].timeouts.request: Invalid value: "1.5s": spec.rules[0].timeouts.request in body should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'`,
    ]);
    expect(rule({ timeouts: { request: "1s", backendRequest: "1001ms" } })).toEqual([cel("spec.rules[0].timeouts", "object", "backendRequest timeout cannot be longer than request timeout")]);
    expect(rule({ timeouts: { request: "0s", backendRequest: "1h" } })).toEqual([]);
    expect(rule({ timeouts: { request: "1m30s", backendRequest: "90s" } })).toEqual([]);
    expect(durationMs("1h2m3s4ms")).toBe(3_723_004);
  });
});

describe("HTTPRoute: the CEL rules", () => {
  const path = (type: string, value: string) => rule({ matches: [{ path: { type, value } }] });
  const at = "spec.rules[0].matches[0].path";

  it("an Exact or PathPrefix value is an absolute, normalised path (HTTPPathMatch's rules; hack/invalid-examples: invalid-path-*)", () => {
    expect(path("PathPrefix", "foo")).toEqual([cel(at, "object", `value must be an absolute path and start with '/' ${PREFIX}`)]);
    expect(path("Exact", "/a//b")).toEqual([cel(at, "object", `must not contain '//' ${PREFIX}`)]);
    expect(path("Exact", "/a/./b")).toEqual([cel(at, "object", `must not contain '/./' ${PREFIX}`)]);
    expect(path("Exact", "/a/../b")).toEqual([cel(at, "object", `must not contain '/../' ${PREFIX}`)]);
    expect(path("Exact", "/a%2fb")).toEqual([cel(at, "object", `must not contain '%2f' ${PREFIX}`)]);
    expect(path("Exact", "/a%2Fb")).toEqual([cel(at, "object", `must not contain '%2F' ${PREFIX}`)]);
    expect(path("Exact", "/a#b")).toEqual([
      cel(at, "object", `must not contain '#' ${PREFIX}`),
      cel(at, "object", `must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']`),
    ]);
    expect(path("PathPrefix", "/a/..")).toEqual([cel(at, "object", `must not end with '/..' ${PREFIX}`)]);
    expect(path("PathPrefix", "/a/.")).toEqual([cel(at, "object", `must not end with '/.' ${PREFIX}`)]);
    expect(path("Exact", "/a b")).toEqual([cel(at, "object", `must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']`)]);
    expect(path("PathPrefix", "/a%zz")).toHaveLength(1);
  });

  it("a RegularExpression path is not checked by those rules", () => {
    expect(path("RegularExpression", "no-slash//here")).toEqual([]);
  });

  it("RequestRedirect cannot go with backendRefs (hack/invalid-examples: invalid-request-redirect-with-backendref)", () => {
    expect(rule({ filters: [filter("RequestRedirect", { requestRedirect: { scheme: "https" } })], backendRefs: [{ name: "web", port: 80 }] })).toEqual([
      cel("spec.rules[0]", "object", "RequestRedirect filter must not be used together with backendRefs"),
    ]);
  });

  it("replacePrefixMatch needs exactly one PathPrefix match (rule and backendRef filters)", () => {
    const redirect = filter("RequestRedirect", { requestRedirect: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/x" } } });
    const rewrite = filter("URLRewrite", { urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/x" } } });
    expect(rule({ matches: [{ path: { type: "Exact", value: "/a" } }], filters: [redirect] })).toEqual([
      cel("spec.rules[0]", "object", "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
    ]);
    expect(rule({ matches: [{ path: { value: "/a" } }, { path: { value: "/b" } }], filters: [rewrite], backendRefs: [{ name: "w", port: 80 }] })).toEqual([
      cel("spec.rules[0]", "object", "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
    ]);
    expect(rule({ matches: [{ path: { type: "Exact", value: "/a" } }], backendRefs: [{ name: "w", port: 80, filters: [rewrite] }] })).toEqual([
      cel("spec.rules[0]", "object", "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
    ]);
    expect(rule({ matches: [{ path: { type: "Exact", value: "/a" } }], backendRefs: [{ name: "w", port: 80, filters: [redirect] }] })).toEqual([
      cel("spec.rules[0]", "object", "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
    ]);
    // The default match is one PathPrefix "/".
    expect(rule({ filters: [rewrite], backendRefs: [{ name: "w", port: 80 }] })).toEqual([]);
  });

  it("a path modifier's type names its one field", () => {
    const at = "spec.rules[0].filters[0].urlRewrite.path";
    const rw = (p: Json) => rule({ filters: [filter("URLRewrite", { urlRewrite: { path: p } })] });
    expect(rw({ type: "ReplaceFullPath" })).toEqual([cel(at, "object", "replaceFullPath must be specified when type is set to 'ReplaceFullPath'")]);
    expect(rw({ type: "ReplaceFullPath", replacePrefixMatch: "/a" })).toEqual([
      cel(at, "object", "replaceFullPath must be specified when type is set to 'ReplaceFullPath'"),
      cel(at, "object", "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set"),
    ]);
    expect(rw({ type: "ReplacePrefixMatch", replaceFullPath: "/a" })).toEqual([
      cel(at, "object", "type must be 'ReplaceFullPath' when replaceFullPath is set"),
      cel(at, "object", "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'"),
    ]);
  });

  it("a filter's type names its one field (hack/invalid-examples: invalid-filter-empty, invalid-filter-wrong-field)", () => {
    const at = "spec.rules[0].filters[0]";
    expect(rule({ filters: [filter("RequestHeaderModifier")] })).toEqual([cel(at, "object", "filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type")]);
    expect(rule({ filters: [filter("URLRewrite", { urlRewrite: {}, requestHeaderModifier: {} })] })).toEqual([
      cel(at, "object", "filter.requestHeaderModifier must be nil if the filter.type is not RequestHeaderModifier"),
    ]);
    expect(rule({ filters: [filter("ExtensionRef", { extensionRef: { group: "example.com", kind: "Auth", name: "a" } })] })).toEqual([]);
  });

  it("filter lists: RequestRedirect and URLRewrite exclude each other; no filter type twice", () => {
    const at = "spec.rules[0].filters";
    expect(rule({ filters: [filter("RequestRedirect", { requestRedirect: {} }), filter("URLRewrite", { urlRewrite: {} })] })).toEqual([
      cel(at, "array", "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both"),
    ]);
    const hm = filter("RequestHeaderModifier", { requestHeaderModifier: { set: [{ name: "a", value: "1" }] } });
    expect(rule({ filters: [hm, hm] })).toEqual([cel(at, "array", "RequestHeaderModifier filter cannot be repeated")]);
    const mirror = filter("RequestMirror", { requestMirror: { backendRef: { name: "m", port: 80 } } });
    expect(rule({ filters: [mirror, mirror] })).toEqual([]);
  });

  it("a mirror: percent or fraction, not both; numerator ≤ denominator", () => {
    const m = (body: Json) => rule({ filters: [filter("RequestMirror", { requestMirror: { backendRef: { name: "m", port: 80 }, ...body } })] });
    expect(m({ percent: 10, fraction: { numerator: 1 } })).toEqual([cel("spec.rules[0].filters[0].requestMirror", "object", "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter")]);
    expect(m({ fraction: { numerator: 3, denominator: 2 } })).toEqual([cel("spec.rules[0].filters[0].requestMirror.fraction", "object", "numerator must be less than or equal to denominator")]);
  });

  it("parentRefs: two references to one parent need distinct sectionNames", () => {
    expect(routeErrs({ parentRefs: [{ name: "gw" }, { name: "gw", sectionName: "http" }] })).toEqual([
      cel("spec.parentRefs", "array", "sectionName must be specified when parentRefs includes 2 or more references to the same parent"),
    ]);
    expect(routeErrs({ parentRefs: [{ name: "gw", sectionName: "http" }, { name: "gw", sectionName: "http" }] })).toEqual([
      cel("spec.parentRefs", "array", "sectionName must be unique when parentRefs includes 2 or more references to the same parent"),
    ]);
    expect(routeErrs({ parentRefs: [{ name: "gw" }, { name: "gw", namespace: "other" }] })).toEqual([]);
  });

  it("at most 128 matches across the rules", () => {
    const matches = Array.from({ length: 43 }, (_, i) => ({ path: { value: `/p${i}` } }));
    expect(routeErrs({ rules: [{ matches }, { matches }, { matches }] })).toEqual([
      cel("spec.rules", "array", "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128"),
    ]);
    expect(routeErrs({ rules: [{ matches }, { matches }, { matches: matches.slice(1) }] })).toEqual([]);
  });
});

describe("Gateway", () => {
  it("gatewayClassName and listeners are required; at least 1 listener", () => {
    expect(errs(gateway({}))).toEqual(["spec.gatewayClassName: Required value", "spec.listeners: Required value", BLOCKED]);
    expect(gwErrs([])).toEqual(["spec.listeners: Invalid value: 0: spec.listeners in body should have at least 1 items"]);
  });

  it("a listener: name a DNS subdomain, port 1-65535, protocol required (hack/invalid-examples: invalid-listener-name, invalid-listener-port)", () => {
    expect(gwErrs([http("HTTP")])).toEqual([
      String.raw`spec.listeners[0].name: Invalid value: "HTTP": spec.listeners[0].name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`,
    ]);
    expect(gwErrs([http("http", { port: 65536 })])).toEqual(["spec.listeners[0].port: Invalid value: 65536: spec.listeners[0].port in body should be less than or equal to 65535"]);
    expect(gwErrs([{ name: "a", port: 80 }])).toEqual(["spec.listeners[0].protocol: Required value", BLOCKED]);
  });

  it("listener names unique (list-map key and CEL), and port+protocol+hostname unique (hack/invalid-examples: duplicate-listeners)", () => {
    expect(gwErrs([http("a"), http("a", { port: 8080 })])).toEqual([
      'spec.listeners[1]: Duplicate value: map[string]interface {}{"name":"a"}',
      cel("spec.listeners", "array", "Listener name must be unique within the Gateway"),
    ]);
    expect(gwErrs([http("a"), http("b")])).toEqual([cel("spec.listeners", "array", "Combination of port, protocol and hostname must be unique for each listener")]);
    expect(gwErrs([http("a"), http("b", { hostname: "b.example" })])).toEqual([]);
  });

  it("TLS: not on HTTP/TCP/UDP; Terminate for HTTPS; set for TLS; Terminate needs certificates or options", () => {
    expect(gwErrs([http("a", { tls: { certificateRefs: [{ name: "c" }] } })])).toEqual([cel("spec.listeners", "array", "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']")]);
    expect(gwErrs([{ name: "s", port: 443, protocol: "HTTPS", tls: { mode: "Passthrough" } }])).toEqual([cel("spec.listeners", "array", "tls mode must be Terminate for protocol HTTPS")]);
    expect(gwErrs([{ name: "t", port: 443, protocol: "TLS" }])).toEqual([cel("spec.listeners", "array", "tls mode must be set for protocol TLS")]);
    expect(gwErrs([{ name: "s", port: 443, protocol: "HTTPS", tls: {} }])).toEqual([cel("spec.listeners[0].tls", "object", "certificateRefs or options must be specified when mode is Terminate")]);
    expect(gwErrs([{ name: "t", port: 443, protocol: "TLS", tls: { mode: "Passthrough" } }])).toEqual([]);
  });

  it("no hostname on TCP or UDP listeners (hack/invalid-examples: hostname-tcp, hostname-udp)", () => {
    expect(gwErrs([{ name: "t", port: 5000, protocol: "TCP", hostname: "a.example" }])).toEqual([cel("spec.listeners", "array", "hostname must not be specified for protocols ['TCP', 'UDP']")]);
  });

  it("allowedRoutes: from is All, Selector or Same; kinds need a kind", () => {
    expect(gwErrs([http("a", { allowedRoutes: { namespaces: { from: "None" } } })])).toEqual([
      'spec.listeners[0].allowedRoutes.namespaces.from: Unsupported value: "None": supported values: "All", "Selector", "Same"',
      BLOCKED,
    ]);
    expect(gwErrs([http("a", { allowedRoutes: { kinds: [{ group: "gateway.networking.k8s.io" }] } })])).toEqual(["spec.listeners[0].allowedRoutes.kinds[0].kind: Required value", BLOCKED]);
  });

  it("addresses: unique values of a type; a Hostname address is a hostname (hack/invalid-examples: invalid-addresses)", () => {
    const ip = { type: "IPAddress", value: "10.0.0.1" };
    expect(gwErrs([http()], { addresses: [ip, ip] })).toEqual([cel("spec.addresses", "array", "IPAddress values must be unique")]);
    expect(gwErrs([http()], { addresses: [{ type: "Hostname", value: "Bad_Host" }] })).toEqual([
      cel("spec.addresses[0]", "object", String.raw`Hostname value must be empty or contain only valid characters (matching ^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)`),
    ]);
  });

  it("infrastructure: label keys as Kubernetes label keys, at most 8 labels", () => {
    expect(gwErrs([http()], { infrastructure: { labels: { "-bad": "x" } } })).toEqual([
      cel("spec.infrastructure.labels", "object", "Label keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters."),
    ]);
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`l${i}`, "v"]));
    expect(gwErrs([http()], { infrastructure: { labels: nine } })).toEqual(["spec.infrastructure.labels: Too many: 9: must have at most 8 items", BLOCKED]);
  });
});

describe("GatewayClass", () => {
  it("controllerName is required and a domain-prefixed path (hack/invalid-examples: invalid-controller)", () => {
    expect(errs(gatewayClass({}))).toEqual(["spec.controllerName: Required value", BLOCKED]);
    expect(errs(gatewayClass({ controllerName: "kemu" }))).toEqual([
      String.raw`spec.controllerName: Invalid value: "kemu": spec.controllerName in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$'`,
    ]);
  });

  it("controllerName is immutable (the CRD's transition rule `self == oldSelf`); description at most 64 bytes", () => {
    expect(errs(gatewayClass({ controllerName: "kemu.dev/b" }), gatewayClass({ controllerName: "kemu.dev/a" }))).toEqual([cel("spec.controllerName", "string", "field is immutable")]);
    expect(errs(gatewayClass({ controllerName: "kemu.dev/a", description: "d" }), gatewayClass({ controllerName: "kemu.dev/a" }))).toEqual([]);
    expect(errs(gatewayClass({ controllerName: "kemu.dev/a", description: "d".repeat(65) }))).toEqual(["spec.description: Too long: may not be more than 64 bytes", BLOCKED]);
  });

  it("is cluster-scoped", () => {
    expect(errs({ ...gatewayClass({ controllerName: "kemu.dev/a" }), metadata: { name: "kemu", namespace: "default" } })).toEqual(["metadata.namespace: Forbidden: not allowed on this type"]);
  });
});

describe("ReferenceGrant", () => {
  it("from and to: 1 to 16 entries; from needs group, kind and namespace", () => {
    expect(errs(grant({ from: [], to: [{ group: "", kind: "Service" }] }))).toEqual(["spec.from: Invalid value: 0: spec.from in body should have at least 1 items"]);
    expect(errs(grant({ from: [{ kind: "HTTPRoute" }], to: [{ group: "", kind: "Service" }] }))).toEqual(["spec.from[0].group: Required value", "spec.from[0].namespace: Required value", BLOCKED]);
    const to = Array.from({ length: 17 }, () => ({ group: "", kind: "Service" }));
    expect(errs(grant({ from: [{ group: "", kind: "Pod", namespace: "a" }], to }))).toEqual(["spec.to: Too many: 17: must have at most 16 items", BLOCKED]);
  });

  it("written as gateway.networking.k8s.io/v1 (gateway-api v1.6's version) it is stored as v1beta1", () => {
    const api = new ApiServer();
    api.create(resourceByKind("Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
    const stored = api.create(resourceByKind("ReferenceGrant", V1)!, { ...grant({ from: [{ group: V1.split("/")[0], kind: "HTTPRoute", namespace: "apps" }], to: [{ group: "", kind: "Service" }] }), apiVersion: V1 });
    expect(stored.apiVersion).toBe("gateway.networking.k8s.io/v1beta1");
  });
});

describe("serving: names, paths, discovery versions", () => {
  it("short names as the CRDs give them: gc, gtw, refgrant (HTTPRoute has none)", () => {
    expect(resourceByName("gc")?.kind).toBe("GatewayClass");
    expect(resourceByName("gtw")?.kind).toBe("Gateway");
    expect(resourceByName("refgrant")?.kind).toBe("ReferenceGrant");
    expect(resourceByName("httproutes.gateway.networking.k8s.io")?.kind).toBe("HTTPRoute");
    expect(resourceByKind("HTTPRoute")?.shortNames).toEqual([]);
  });

  it("v1beta1 GatewayClass, Gateway and HTTPRoute (the same types upstream: apis/v1beta1 aliases apis/v1) are accepted and stored as v1", () => {
    const api = new ApiServer();
    api.create(resourceByKind("Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
    const beta = { ...route({ parentRefs: [{ name: "gw" }] }), apiVersion: "gateway.networking.k8s.io/v1beta1" };
    const stored = api.create(resourceByKind("HTTPRoute", beta.apiVersion)!, beta) as HTTPRoute;
    expect(stored.apiVersion).toBe(V1);
    expect(stored.spec.rules).toEqual([{ matches: [{ path: { type: "PathPrefix", value: "/" } }] }]);
    expect(resourceByKind("Gateway", "gateway.networking.k8s.io/v1beta1")?.version).toBe("v1");
    expect(resourceByKind("HTTPRoute", "gateway.networking.k8s.io/v1alpha2")).toBeUndefined();
  });

  it("paths: v1 for GatewayClass, Gateway and HTTPRoute; v1beta1 for ReferenceGrant; the group lists both versions", () => {
    expect(parsePath("/apis/gateway.networking.k8s.io/v1/namespaces/a/httproutes/r")).toMatchObject({ namespace: "a", name: "r", resource: { kind: "HTTPRoute" } });
    expect(parsePath("/apis/gateway.networking.k8s.io/v1/gatewayclasses")).toMatchObject({ resource: { kind: "GatewayClass" } });
    expect(parsePath("/apis/gateway.networking.k8s.io/v1beta1/namespaces/a/referencegrants")).toMatchObject({ resource: { kind: "ReferenceGrant" } });
    expect(parsePath("/apis/gateway.networking.k8s.io/v1beta1/namespaces/a/httproutes")).toBeUndefined();
    expect(groupVersions("gateway.networking.k8s.io")).toEqual(["v1", "v1beta1"]);
  });
});

describe("kemu get: the CRDs' additionalPrinterColumns", () => {
  const NOW = Date.parse("2024-06-01T12:00:00Z");
  const opts = { wide: false, withNamespace: false, now: NOW };
  const ago = (ms: number) => new Date(NOW - ms).toISOString();
  const lines = (...l: string[]) => l.map((x) => `${x}\n`).join("");
  const cond = (type: string, status: "True" | "False") => ({ type, status, reason: "R", message: "", lastTransitionTime: ago(0) });

  it("gatewayclass: CONTROLLER, ACCEPTED (the Accepted condition's status), DESCRIPTION with -o wide", () => {
    const gc = (name: string, status?: GatewayClass["status"]): GatewayClass => ({
      apiVersion: V1,
      kind: "GatewayClass",
      metadata: { name, creationTimestamp: ago(5 * 60_000) },
      spec: { controllerName: "kemu.dev/gateway-controller", ...(name === "kemu" ? { description: "kemu's router" } : {}) },
      ...(status ? { status } : {}),
    });
    const items = [gc("kemu", { conditions: [cond("Accepted", "True")] }), gc("other")];
    expect(renderTable("gc", items, opts)).toBe(
      lines("NAME    CONTROLLER                    ACCEPTED   AGE", "kemu    kemu.dev/gateway-controller   True       5m", "other   kemu.dev/gateway-controller   <none>     5m"),
    );
    expect(renderTable("gatewayclasses", items, { ...opts, wide: true })).toBe(
      lines(
        "NAME    CONTROLLER                    ACCEPTED   AGE   DESCRIPTION",
        "kemu    kemu.dev/gateway-controller   True       5m    kemu's router",
        "other   kemu.dev/gateway-controller   <none>     5m    <none>",
      ),
    );
  });

  it("gateway: CLASS, ADDRESS (the first status address), PROGRAMMED", () => {
    const gw: Gateway = {
      apiVersion: V1,
      kind: "Gateway",
      metadata: { name: "web", creationTimestamp: ago(5 * 3_600_000) },
      spec: { gatewayClassName: "kemu", listeners: [] },
      status: { addresses: [{ type: "IPAddress", value: "172.18.255.200" }, { type: "IPAddress", value: "172.18.255.201" }], conditions: [cond("Programmed", "False")] },
    };
    expect(renderTable("gtw", [gw], opts)).toBe(lines("NAME   CLASS   ADDRESS          PROGRAMMED   AGE", "web    kemu    172.18.255.200   False        5h"));
  });

  it("httproute: HOSTNAMES as the JSON list, <none> without", () => {
    const r = (name: string, hostnames?: string[]): HTTPRoute => ({
      apiVersion: V1,
      kind: "HTTPRoute",
      metadata: { name, creationTimestamp: ago(30_000) },
      spec: { rules: [], ...(hostnames ? { hostnames } : {}) },
    });
    expect(renderTable("httproute", [r("foo", ["foo.example.com", "bar.example.com"]), r("any")], opts)).toBe(
      lines("NAME   HOSTNAMES                               AGE", 'foo    ["foo.example.com","bar.example.com"]   30s', "any    <none>                                  30s"),
    );
  });

  it("referencegrant: NAME and AGE", () => {
    const g = { ...grant({}), metadata: { name: "allow", namespace: "default", creationTimestamp: ago(86_400_000) } };
    expect(renderTable("refgrant", [g], opts)).toBe(lines("NAME    AGE", "allow   24h"));
  });
});
