// Gateway API → the route table: exact tables, and one test per Gateway API
// core conformance test with a routing or status aspect that can be checked
// without a network (../shared/reference/ingress.md §8). Each names the
// upstream test and its manifest (kubernetes-sigs/gateway-api
// conformance/tests/<file>.yaml and .go); the objects are those manifests'
// (conformance/base/manifests.yaml for the shared Gateways), written here as
// the API server stores them (CRD defaults applied). Requests go through
// the routing core's matcher, as the router's do.
import { describe, expect, it } from "vitest";
import type { IncomingHttpHeaders } from "node:http";
import type { Gateway, GatewayListener, HTTPBackendRef, HTTPRoute, HTTPRouteFilter, HTTPRouteMatch, Namespace, ParentReference, ReferenceGrant, Service } from "../../src/api/types.js";
import { RouteMatcher } from "../../src/ingress/match.js";
import { GATEWAY_ROUTE_OPTIONS, KEMU_GATEWAY_CONTROLLER, intersectHostnames, translateGateways } from "../../src/ingress/translate-gateway.js";
import type { GatewayTranslation, GatewayWorld } from "../../src/ingress/translate-gateway.js";
import type { GatewayClass } from "../../src/ingress/gateway-types.js";

const INFRA = "gateway-conformance-infra";
const WEB = "gateway-conformance-web-backend";
const APP = "gateway-conformance-app-backend";
const GROUP = "gateway.networking.k8s.io";
const ADDRESS = "172.18.255.200";

let clock = 0;
const meta = (namespace: string | undefined, name: string, generation = 1) => ({
  name,
  ...(namespace ? { namespace } : {}),
  generation,
  creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, ++clock)).toISOString(),
});

const kemuClass: GatewayClass = { apiVersion: `${GROUP}/v1`, kind: "GatewayClass", metadata: meta(undefined, "kemu", 3), spec: { controllerName: KEMU_GATEWAY_CONTROLLER } };
const otherClass: GatewayClass = { apiVersion: `${GROUP}/v1`, kind: "GatewayClass", metadata: meta(undefined, "other"), spec: { controllerName: "example.com/other" } };

function listener(name: string, port: number, opts: Partial<GatewayListener> = {}): GatewayListener {
  return { name, port, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } }, ...opts };
}
function gateway(name: string, listeners: GatewayListener[], opts: { namespace?: string; className?: string; addresses?: Gateway["spec"]["addresses"]; generation?: number } = {}): Gateway {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: "Gateway",
    metadata: meta(opts.namespace ?? INFRA, name, opts.generation ?? 1),
    spec: { gatewayClassName: opts.className ?? "kemu", listeners, ...(opts.addresses ? { addresses: opts.addresses } : {}) },
  };
}

// conformance/base/manifests.yaml
const sameNamespace = () => gateway("same-namespace", [listener("http", 80)]);
const allNamespaces = () => gateway("all-namespaces", [listener("http", 80, { allowedRoutes: { namespaces: { from: "All" } } })]);
const backendNamespaces = () =>
  gateway("backend-namespaces", [listener("http", 80, { allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { "gateway-conformance": "backend" } } } } })]);
const httpsCert = { mode: "Terminate" as const, certificateRefs: [{ group: "", kind: "Secret", name: "tls-validity-checks-certificate", namespace: INFRA }] };
const sameNamespaceWithHttps = () =>
  gateway("same-namespace-with-https-listener", [
    listener("https", 443, { protocol: "HTTPS", tls: httpsCert }),
    listener("https-with-hostname", 443, { protocol: "HTTPS", hostname: "second-example.org", tls: httpsCert }),
    listener("https-with-wildcard-hostname", 443, { protocol: "HTTPS", hostname: "*.wildcard.org", tls: httpsCert }),
    listener("https-with-hostname-matching-wildcard", 443, { protocol: "HTTPS", hostname: "fourth-example.wildcard.org", tls: httpsCert }),
  ]);

type RefIn = Partial<ParentReference> & { name: string };
type BackendIn = Partial<HTTPBackendRef> & { name: string };
type MatchIn = Partial<Omit<HTTPRouteMatch, "headers" | "queryParams">> & {
  headers?: Array<{ name: string; value: string; type?: "Exact" | "RegularExpression" }>;
  queryParams?: Array<{ name: string; value: string; type?: "Exact" | "RegularExpression" }>;
};
interface RuleIn {
  matches?: MatchIn[];
  filters?: HTTPRouteFilter[];
  backendRefs?: BackendIn[];
  timeouts?: { request?: string; backendRequest?: string };
}

/** An HTTPRoute as stored: the CRD's defaults (group, kind, weight, a PathPrefix "/" match) filled in. */
function route(name: string, spec: { parentRefs: RefIn[]; hostnames?: string[]; rules: RuleIn[] }, opts: { namespace?: string; generation?: number } = {}): HTTPRoute {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: "HTTPRoute",
    metadata: meta(opts.namespace ?? INFRA, name, opts.generation ?? 1),
    spec: {
      parentRefs: spec.parentRefs.map((p) => ({ group: GROUP, kind: "Gateway", ...p })),
      ...(spec.hostnames ? { hostnames: spec.hostnames } : {}),
      rules: spec.rules.map((r) => ({
        matches: (r.matches ?? [{}]).map(({ headers, queryParams, ...m }): HTTPRouteMatch => ({
          ...m,
          path: m.path ?? { type: "PathPrefix", value: "/" },
          ...(headers ? { headers: headers.map((h) => ({ ...h, type: h.type ?? "Exact" })) } : {}),
          ...(queryParams ? { queryParams: queryParams.map((h) => ({ ...h, type: h.type ?? "Exact" })) } : {}),
        })),
        ...(r.filters ? { filters: r.filters } : {}),
        ...(r.backendRefs ? { backendRefs: r.backendRefs.map((b) => ({ group: "", kind: "Service", weight: 1, ...b })) } : {}),
        ...(r.timeouts ? { timeouts: r.timeouts } : {}),
      })),
    },
  };
}
const to = (name: string, port = 8080, more: Partial<BackendIn> = {}): BackendIn => ({ name, port, ...more });

function grant(namespace: string, name: string, from: Array<{ group: string; kind: string; namespace: string }>, toList: Array<{ group: string; kind: string; name?: string }>): ReferenceGrant {
  return { apiVersion: `${GROUP}/v1beta1`, kind: "ReferenceGrant", metadata: meta(namespace, name), spec: { from, to: toList } };
}

const service = (namespace: string, name: string, ports = [8080]): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace },
  spec: { ports: ports.map((port) => ({ port, protocol: "TCP" })) },
});
const services = [
  service(INFRA, "infra-backend-v1", [8080, 8081, 8082]),
  service(INFRA, "infra-backend-v2", [8080, 8081, 8082]),
  service(INFRA, "infra-backend-v3", [8080, 8081, 8082]),
  service(WEB, "web-backend"),
  service(APP, "app-backend-v1"),
  service(APP, "app-backend-v2"),
];
const namespace = (name: string, labels: Record<string, string>): Namespace => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
const namespaces = [namespace(INFRA, { "gateway-conformance": "infra" }), namespace(WEB, { "gateway-conformance": "backend" }), namespace(APP, { "gateway-conformance": "backend" })];
const tlsSecret = { type: "kubernetes.io/tls", data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5" } };

interface WorldIn {
  gateways: Gateway[];
  routes?: HTTPRoute[];
  grants?: ReferenceGrant[];
  secrets?: Record<string, { type?: string; data?: Record<string, string> }>;
  /** Gateways whose Service does not exist yet */
  noPorts?: string[];
  addresses?: string[];
}
function world(w: WorldIn): GatewayWorld {
  return {
    gatewayClasses: [kemuClass, otherClass],
    gateways: w.gateways,
    routes: w.routes ?? [],
    grants: w.grants ?? [],
    namespaces,
    service: (ns, name) => services.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
    secret: (ns, name) => (w.secrets ?? ({ [`${INFRA}/tls-validity-checks-certificate`]: tlsSecret } as NonNullable<WorldIn["secrets"]>))[`${ns}/${name}`],
    internalPort: (ns, name, port) => ((w.noPorts ?? []).includes(name) ? undefined : 20000 + port),
    addresses: () => w.addresses ?? [ADDRESS],
  };
}

/** What a request gets: the one backend's Service, "500" for an invalid one or none, "404", or the redirect. */
function answer(t: GatewayTranslation, gw: string, port: number, host: string, url: string, headers: IncomingHttpHeaders = {}, method = "GET"): string {
  const server = t.servers.find((s) => s.source === `Gateway ${INFRA}/${gw} port ${port}`);
  if (!server) return "no server";
  const d = new RouteMatcher(server.table).match(host, url, { method, headers });
  if (d.kind === "not-found") return "404";
  if (d.route.options.redirect) return `redirect ${d.route.options.redirect.status}`;
  const live = d.route.backends.filter((b) => b.weight > 0);
  if (live.length === 0) return "500";
  if (live.length > 1) return `split ${live.map((b) => b.backend?.service ?? "invalid").join(",")}`;
  return live[0]!.backend?.service ?? "500";
}

type Brief = [type: string, status: string, reason: string];
const brief = (cs: Array<{ type: string; status: string; reason: string }>): Brief[] => cs.map((c) => [c.type, c.status, c.reason]);
function routeConditions(t: GatewayTranslation, name: string, ns = INFRA, parent = 0): Brief[] {
  const r = t.routes.find((x) => x.namespace === ns && x.name === name);
  if (!r) throw new Error(`no status for HTTPRoute ${ns}/${name}`);
  return brief(r.parents[parent]!.conditions);
}
function listenerOf(t: GatewayTranslation, gw: string, name: string) {
  const l = t.gateways.find((g) => g.name === gw)?.status.listeners.find((x) => x.name === name);
  if (!l) throw new Error(`no listener ${gw}/${name}`);
  return l;
}

const ACCEPTED: Brief = ["Accepted", "True", "Accepted"];
const RESOLVED: Brief = ["ResolvedRefs", "True", "ResolvedRefs"];

// ---------------------------------------------------------------------------

describe("the table (exact)", () => {
  it("one Gateway, one route: a server per listener port, the route's rules in precedence order, options and statuses", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("web", {
            parentRefs: [{ name: "same-namespace" }],
            hostnames: ["Example.COM"],
            rules: [
              { matches: [{ path: { type: "PathPrefix", value: "/api" } }], backendRefs: [to("infra-backend-v1", 8080, { weight: 3 }), to("infra-backend-v2")] },
              { matches: [{ path: { type: "Exact", value: "/api/health" }, method: "GET", headers: [{ name: "X-Probe", value: "yes" }] }], backendRefs: [to("infra-backend-v3")] },
            ],
          }),
        ],
      }),
    );
    expect(t.warnings).toEqual([]);
    expect(t.servers).toEqual([
      {
        source: `Gateway ${INFRA}/same-namespace port 80`,
        port: 20080,
        listenerPort: 80,
        scheme: "http",
        certificates: [],
        table: {
          warnings: [],
          hosts: [
            {
              host: { kind: "exact", host: "example.com" },
              routes: [
                {
                  source: `HTTPRoute ${INFRA}/web rules[1].matches[0]`,
                  path: { kind: "exact", path: "/api/health" },
                  conditions: { method: "GET", headers: [{ name: "x-probe", match: { kind: "exact", value: "yes" } }], query: [] },
                  backends: [{ weight: 1, backend: { namespace: INFRA, service: "infra-backend-v3", port: { number: 8080 } } }],
                  options: GATEWAY_ROUTE_OPTIONS,
                },
                {
                  source: `HTTPRoute ${INFRA}/web rules[0].matches[0]`,
                  path: { kind: "prefix", path: "/api" },
                  backends: [
                    { weight: 3, backend: { namespace: INFRA, service: "infra-backend-v1", port: { number: 8080 } } },
                    { weight: 1, backend: { namespace: INFRA, service: "infra-backend-v2", port: { number: 8080 } } },
                  ],
                  options: GATEWAY_ROUTE_OPTIONS,
                },
              ],
            },
          ],
        },
      },
    ]);
    expect(t.gatewayClasses).toEqual([
      { name: "kemu", status: { conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "kemu's router serves this class", observedGeneration: 3 }] } },
    ]);
    expect(t.gateways).toEqual([
      {
        namespace: INFRA,
        name: "same-namespace",
        status: {
          addresses: [{ type: "IPAddress", value: ADDRESS }],
          conditions: [
            { type: "Accepted", status: "True", reason: "Accepted", message: "accepted", observedGeneration: 1 },
            { type: "Programmed", status: "True", reason: "Programmed", message: "programmed", observedGeneration: 1 },
          ],
          listeners: [
            {
              name: "http",
              supportedKinds: [{ group: GROUP, kind: "HTTPRoute" }],
              attachedRoutes: 1,
              conditions: [
                { type: "Accepted", status: "True", reason: "Accepted", message: "accepted", observedGeneration: 1 },
                { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs", message: "all references resolved", observedGeneration: 1 },
                { type: "Programmed", status: "True", reason: "Programmed", message: "programmed", observedGeneration: 1 },
                { type: "Conflicted", status: "False", reason: "NoConflicts", message: "no conflicts", observedGeneration: 1 },
              ],
            },
          ],
        },
      },
    ]);
    expect(t.routes).toEqual([
      {
        namespace: INFRA,
        name: "web",
        parents: [
          {
            parentRef: { group: GROUP, kind: "Gateway", name: "same-namespace" },
            controllerName: KEMU_GATEWAY_CONTROLLER,
            conditions: [
              { type: "Accepted", status: "True", reason: "Accepted", message: "accepted", observedGeneration: 1 },
              { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs", message: "all references resolved", observedGeneration: 1 },
            ],
          },
        ],
      },
    ]);
  });

  it("ignores classes, Gateways and parentRefs that are not ours", () => {
    const theirs = gateway("theirs", [listener("http", 80)], { className: "other" });
    const t = translateGateways(
      world({
        gateways: [theirs, gateway("unknown-class", [listener("http", 80)], { className: "nope" })],
        routes: [route("r", { parentRefs: [{ name: "theirs" }], rules: [{ backendRefs: [to("infra-backend-v1")] }] })],
      }),
    );
    expect(t).toEqual({ servers: [], gatewayClasses: [expect.objectContaining({ name: "kemu" })], gateways: [], routes: [], warnings: [] });
  });

  it("filters: header edits (names lower-cased), redirect (302 by default, path modifiers), URL rewrite; timeouts", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("f", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              {
                matches: [{ path: { type: "PathPrefix", value: "/edit" } }],
                filters: [
                  { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "X-Set", value: "a" }], add: [{ name: "X-Add", value: "b" }], remove: ["X-Gone"] } },
                  { type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "X-Resp", value: "c" }] } },
                ],
                backendRefs: [to("infra-backend-v1")],
                timeouts: { request: "10s", backendRequest: "1m30s" },
              },
              {
                matches: [{ path: { type: "PathPrefix", value: "/old" } }],
                filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" }, statusCode: 302 } }],
              },
              {
                matches: [{ path: { type: "PathPrefix", value: "/full" } }],
                filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "example.org", port: 8443, path: { type: "ReplaceFullPath", replaceFullPath: "/x" }, statusCode: 308 } }],
              },
              {
                matches: [{ path: { type: "PathPrefix", value: "/rw" } }],
                filters: [{ type: "URLRewrite", urlRewrite: { hostname: "internal.example", path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }],
                backendRefs: [to("infra-backend-v2")],
                timeouts: { request: "0s" },
              },
            ],
          }),
        ],
      }),
    );
    const routes = t.servers[0]!.table.hosts[0]!.routes;
    const bySource = (r: number) => routes.find((x) => x.source.includes(`rules[${r}]`))!.options;
    expect(bySource(0)).toEqual({
      ...GATEWAY_ROUTE_OPTIONS,
      readTimeoutMs: 90_000,
      requestHeaders: { set: [{ name: "x-set", value: "a" }], add: [{ name: "x-add", value: "b" }], remove: ["x-gone"] },
      responseHeaders: { set: [{ name: "x-resp", value: "c" }], add: [], remove: [] },
    });
    expect(bySource(1)).toEqual({ ...GATEWAY_ROUTE_OPTIONS, redirect: { scheme: "https", path: { kind: "prefix", prefix: "/new" }, status: 302 } });
    expect(bySource(2)).toEqual({ ...GATEWAY_ROUTE_OPTIONS, redirect: { hostname: "example.org", port: 8443, path: { kind: "full", path: "/x" }, status: 308 } });
    expect(bySource(3)).toEqual({ ...GATEWAY_ROUTE_OPTIONS, readTimeoutMs: 0, urlRewrite: { hostname: "internal.example", path: { kind: "prefix", prefix: "/" } } });
    expect(routeConditions(t, "f")).toEqual([ACCEPTED, RESOLVED]);
  });

  it("unsupported filters (RequestMirror, CORS, ExtensionRef, backendRef filters): the route is not Accepted (UnsupportedValue, naming them) and not served", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("mirror", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              { filters: [{ type: "RequestMirror", requestMirror: { backendRef: { group: "", kind: "Service", name: "infra-backend-v2", port: 8080 } } }], backendRefs: [to("infra-backend-v1")] },
              { matches: [{ path: { type: "PathPrefix", value: "/b" } }], backendRefs: [to("infra-backend-v1", 8080, { filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "a", value: "b" }] } }] })] },
            ],
          }),
        ],
      }),
    );
    const parent = t.routes[0]!.parents[0]!;
    expect(brief(parent.conditions)).toEqual([["Accepted", "False", "UnsupportedValue"], RESOLVED]);
    expect(parent.conditions[0]!.message).toBe(
      "rules[0].filters[0]: filter RequestMirror is not supported by kemu's router; rules[1].backendRefs[0].filters: filters on a backendRef are not supported by kemu's router",
    );
    expect(answer(t, "same-namespace", 80, "example.com", "/")).toBe("404");
    expect(listenerOf(t, "same-namespace", "http").attachedRoutes).toBe(0);
  });

  it("regular expressions: paths and values full-match, after prefixes; one that JavaScript cannot compile is UnsupportedValue", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("re", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              { matches: [{ path: { type: "RegularExpression", value: "/v[0-9]+/.*" } }], backendRefs: [to("infra-backend-v1")] },
              { matches: [{ path: { type: "PathPrefix", value: "/" }, headers: [{ name: "Env", type: "RegularExpression", value: "can.*" }] }], backendRefs: [to("infra-backend-v2")] },
              { matches: [{ path: { type: "PathPrefix", value: "/v1" } }], backendRefs: [to("infra-backend-v3")] },
            ],
          }),
        ],
      }),
    );
    expect(t.servers[0]!.table.hosts[0]!.routes.map((r) => r.path)).toEqual([
      { kind: "prefix", path: "/v1" },
      { kind: "prefix", path: "/" },
      { kind: "regex", source: "^(?:/v[0-9]+/.*)$", caseInsensitive: false },
    ]);
    expect(answer(t, "same-namespace", 80, "h", "/v2/x")).toBe("infra-backend-v1");
    expect(answer(t, "same-namespace", 80, "h", "/v1/x")).toBe("infra-backend-v3");
    expect(answer(t, "same-namespace", 80, "h", "/x", { env: "canary" })).toBe("infra-backend-v2");
    expect(answer(t, "same-namespace", 80, "h", "/x", { env: "xcanary" })).toBe("404");

    const bad = translateGateways(
      world({ gateways: [sameNamespace()], routes: [route("bad", { parentRefs: [{ name: "same-namespace" }], rules: [{ matches: [{ path: { type: "RegularExpression", value: "/(unclosed" } }], backendRefs: [to("infra-backend-v1")] }] })] }),
    );
    expect(routeConditions(bad, "bad")[0]).toEqual(["Accepted", "False", "UnsupportedValue"]);
    expect(bad.servers[0]!.table.hosts).toEqual([]);
  });

  it("precedence: method, then most headers, then most query parameters, then the oldest route, then namespace/name (GW httproute_types.go)", () => {
    const older = route("b-older", { parentRefs: [{ name: "all-namespaces", namespace: INFRA }], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/p" } }], backendRefs: [to("infra-backend-v1")] }] });
    const newer = route("a-newer", {
      parentRefs: [{ name: "all-namespaces", namespace: INFRA }],
      rules: [
        { matches: [{ path: { type: "PathPrefix", value: "/p" } }], backendRefs: [to("infra-backend-v2")] },
        { matches: [{ path: { type: "PathPrefix", value: "/p" }, queryParams: [{ name: "q", value: "1" }] }], backendRefs: [to("infra-backend-v2")] },
        { matches: [{ path: { type: "PathPrefix", value: "/p" }, headers: [{ name: "h", value: "1" }, { name: "H", value: "2" }] }], backendRefs: [to("infra-backend-v3")] },
        { matches: [{ path: { type: "PathPrefix", value: "/p" }, headers: [{ name: "h", value: "1" }], queryParams: [{ name: "q", value: "1" }, { name: "r", value: "1" }] }], backendRefs: [to("infra-backend-v3")] },
        { matches: [{ path: { type: "PathPrefix", value: "/p" }, method: "POST" }], backendRefs: [to("infra-backend-v1")] },
      ],
    });
    const sameAge = route("c-same-age", { parentRefs: [{ name: "all-namespaces", namespace: INFRA }], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/p" } }], backendRefs: [to("infra-backend-v3")] }] }, { namespace: WEB });
    sameAge.metadata.creationTimestamp = older.metadata.creationTimestamp;
    const t = translateGateways(world({ gateways: [allNamespaces()], routes: [newer, sameAge, older] }));
    expect(t.servers[0]!.table.hosts[0]!.routes.map((r) => r.source)).toEqual([
      `HTTPRoute ${INFRA}/a-newer rules[4].matches[0]`, // method
      `HTTPRoute ${INFRA}/a-newer rules[3].matches[0]`, // one header (two query parameters do not outrank a header)
      `HTTPRoute ${INFRA}/a-newer rules[2].matches[0]`, // one header: the second "h" does not count (first of a name only)
      `HTTPRoute ${INFRA}/a-newer rules[1].matches[0]`, // a query parameter
      `HTTPRoute ${INFRA}/b-older rules[0].matches[0]`, // oldest route
      `HTTPRoute ${WEB}/c-same-age rules[0].matches[0]`, // same age: namespace/name
      `HTTPRoute ${INFRA}/a-newer rules[0].matches[0]`,
    ]);
    expect(answer(t, "all-namespaces", 80, "h", "/p", { h: "2" })).toBe("infra-backend-v1"); // "h: 2" matches nothing: the second "h" of rules[2] does not count
  });

  it("hostname intersection (GW httproute_types.go Hostnames godoc)", () => {
    expect(intersectHostnames(undefined, undefined)).toEqual([{ kind: "any" }]);
    expect(intersectHostnames("*.example.com", undefined)).toEqual([{ kind: "wildcard", suffix: ".example.com", labels: "any" }]);
    expect(intersectHostnames(undefined, ["A.example.com", "*.b.com"])).toEqual([
      { kind: "exact", host: "a.example.com" },
      { kind: "wildcard", suffix: ".b.com", labels: "any" },
    ]);
    expect(intersectHostnames("very.specific.com", ["non.matching.com", "*.specific.com"])).toEqual([{ kind: "exact", host: "very.specific.com" }]);
    expect(intersectHostnames("*.wildcard.io", ["wildcard.io", "foo.wildcard.io", "foo.bar.wildcard.io"])).toEqual([
      { kind: "exact", host: "foo.wildcard.io" },
      { kind: "exact", host: "foo.bar.wildcard.io" },
    ]);
    expect(intersectHostnames("*.example.com", ["*.foo.example.com", "*.com"])).toEqual([
      { kind: "wildcard", suffix: ".foo.example.com", labels: "any" },
      { kind: "wildcard", suffix: ".example.com", labels: "any" },
    ]);
    expect(intersectHostnames("*.foo.com", ["foo.com"])).toEqual([]);
  });

  it("within a listener a host tries its own routes, then those of less specific hostnames (precedence by hostname first)", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("exact", { parentRefs: [{ name: "same-namespace" }], hostnames: ["foo.example.com"], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/a" } }], backendRefs: [to("infra-backend-v1")] }] }),
          route("wild", { parentRefs: [{ name: "same-namespace" }], hostnames: ["*.example.com"], rules: [{ backendRefs: [to("infra-backend-v2")] }] }),
          route("any", { parentRefs: [{ name: "same-namespace" }], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/z" } }], backendRefs: [to("infra-backend-v3")] }] }),
        ],
      }),
    );
    expect(t.servers[0]!.table.hosts.map((h) => [h.host, h.routes.map((r) => r.source.split(" ")[1])])).toEqual([
      [{ kind: "exact", host: "foo.example.com" }, [`${INFRA}/exact`, `${INFRA}/wild`, `${INFRA}/any`]],
      [{ kind: "wildcard", suffix: ".example.com", labels: "any" }, [`${INFRA}/wild`, `${INFRA}/any`]],
      [{ kind: "any" }, [`${INFRA}/any`]],
    ]);
    expect(answer(t, "same-namespace", 80, "foo.example.com", "/a")).toBe("infra-backend-v1");
    expect(answer(t, "same-namespace", 80, "foo.example.com", "/b")).toBe("infra-backend-v2");
    expect(answer(t, "same-namespace", 80, "other.org", "/a")).toBe("404");
  });

  it("a listener with no routes yet, and a Gateway whose Service does not exist: Programmed False Pending, no server", () => {
    const t = translateGateways(world({ gateways: [sameNamespace()], noPorts: ["same-namespace"] }));
    expect(t.servers).toEqual([]);
    const st = t.gateways[0]!.status;
    expect(brief(st.conditions)).toEqual([ACCEPTED, ["Programmed", "False", "Pending"]]);
    expect(brief(st.listeners[0]!.conditions)).toEqual([ACCEPTED, RESOLVED, ["Programmed", "False", "Pending"], ["Conflicted", "False", "NoConflicts"]]);
    const noAddress = translateGateways(world({ gateways: [sameNamespace()], addresses: [] }));
    expect(noAddress.gateways[0]!.status.addresses).toEqual([]);
    expect(brief(noAddress.gateways[0]!.status.conditions)[1]).toEqual(["Programmed", "False", "AddressNotAssigned"]);
  });

  it("spec.addresses: Accepted False UnsupportedAddress (kemu's address is its Service's), nothing served", () => {
    const t = translateGateways(world({ gateways: [gateway("fixed", [listener("http", 80)], { addresses: [{ type: "IPAddress", value: "10.0.0.1" }] })] }));
    expect(t.servers).toEqual([]);
    expect(brief(t.gateways[0]!.status.conditions)).toEqual([
      ["Accepted", "False", "UnsupportedAddress"],
      ["Programmed", "False", "Invalid"],
    ]);
  });

  it("listeners: unsupported protocol, protocol and hostname conflicts, invalid route kinds", () => {
    const t = translateGateways(
      world({
        gateways: [
          gateway("gw", [
            listener("tcp", 9000, { protocol: "TCP" }),
            listener("a", 80, { hostname: "a.example.com" }),
            listener("a-again", 80, { hostname: "a.example.com" }),
            listener("b", 80, { hostname: "b.example.com" }),
            listener("plain", 8443),
            listener("tls", 8443, { protocol: "HTTPS", tls: httpsCert }),
            listener("kinds", 81, { allowedRoutes: { namespaces: { from: "Same" }, kinds: [{ group: GROUP, kind: "HTTPRoute" }, { group: GROUP, kind: "TCPRoute" }] } }),
            listener("no-kinds", 82, { allowedRoutes: { namespaces: { from: "Same" }, kinds: [{ group: GROUP, kind: "GRPCRoute" }] } }),
          ]),
        ],
      }),
    );
    const l = (name: string) => listenerOf(t, "gw", name);
    expect(brief(l("tcp").conditions)).toEqual([["Accepted", "False", "UnsupportedProtocol"], RESOLVED, ["Programmed", "False", "Invalid"], ["Conflicted", "False", "NoConflicts"]]);
    expect(l("tcp").supportedKinds).toEqual([]);
    for (const name of ["a", "a-again"]) expect(brief(l(name).conditions)).toEqual([["Accepted", "False", "HostnameConflict"], RESOLVED, ["Programmed", "False", "Invalid"], ["Conflicted", "True", "HostnameConflict"]]);
    expect(brief(l("b").conditions)).toEqual([ACCEPTED, RESOLVED, ["Programmed", "True", "Programmed"], ["Conflicted", "False", "NoConflicts"]]);
    for (const name of ["plain", "tls"]) expect(brief(l(name).conditions)[3]).toEqual(["Conflicted", "True", "ProtocolConflict"]);
    expect(brief(l("kinds").conditions)[1]).toEqual(["ResolvedRefs", "False", "InvalidRouteKinds"]);
    expect(l("kinds").supportedKinds).toEqual([{ group: GROUP, kind: "HTTPRoute" }]);
    expect(l("no-kinds").supportedKinds).toEqual([]);
    expect(brief(t.gateways[0]!.status.conditions)[0]).toEqual(["Accepted", "True", "ListenersNotValid"]);
    // port 80 still serves listener b; 8443 (conflicted), 9000 (TCP), 81/82 (route kinds) serve nothing
    expect(t.servers.map((s) => s.listenerPort)).toEqual([80]);
  });

  it("HTTPS certificates: a missing Secret, a wrong type, a cross-namespace Secret without and with a ReferenceGrant", () => {
    const cert = (name: string, namespace?: string) => ({ mode: "Terminate" as const, certificateRefs: [{ group: "", kind: "Secret", name, ...(namespace ? { namespace } : {}) }] });
    const gws = [
      gateway("gw", [
        listener("missing", 443, { protocol: "HTTPS", hostname: "m.example.com", tls: cert("nope") }),
        listener("opaque", 443, { protocol: "HTTPS", hostname: "o.example.com", tls: cert("opaque") }),
        listener("cross", 443, { protocol: "HTTPS", hostname: "c.example.com", tls: cert("shared", WEB) }),
      ]),
    ];
    const secrets = { [`${INFRA}/opaque`]: { type: "Opaque", data: { "tls.crt": "x", "tls.key": "y" } }, [`${WEB}/shared`]: tlsSecret };
    const t = translateGateways(world({ gateways: gws, secrets }));
    expect(brief(listenerOf(t, "gw", "missing").conditions)[1]).toEqual(["ResolvedRefs", "False", "InvalidCertificateRef"]);
    expect(brief(listenerOf(t, "gw", "opaque").conditions)[1]).toEqual(["ResolvedRefs", "False", "InvalidCertificateRef"]);
    expect(brief(listenerOf(t, "gw", "cross").conditions)[1]).toEqual(["ResolvedRefs", "False", "RefNotPermitted"]);
    expect(t.servers).toEqual([]);
    const granted = translateGateways(
      world({ gateways: gws, secrets, grants: [grant(WEB, "certs", [{ group: GROUP, kind: "Gateway", namespace: INFRA }], [{ group: "", kind: "Secret" }])] }),
    );
    expect(brief(listenerOf(granted, "gw", "cross").conditions)).toEqual([ACCEPTED, RESOLVED, ["Programmed", "True", "Programmed"], ["Conflicted", "False", "NoConflicts"]]);
    expect(granted.servers.map((s) => [s.scheme, s.certificates])).toEqual([["https", [{ host: { kind: "exact", host: "c.example.com" }, secret: `${WEB}/shared` }]]]);
  });
});

// ---------------------------------------------------------------------------
// Gateway API core conformance (GATEWAY-HTTP profile), one test each.

describe("Gateway API core conformance", () => {
  // conformance/tests/httproute-simple-same-namespace.yaml
  it("HTTPRouteSimpleSameNamespace: a route in the Gateway's namespace is Accepted and serves /", () => {
    const t = translateGateways(world({ gateways: [sameNamespace()], routes: [route("gateway-conformance-infra-test", { parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [to("infra-backend-v1")] }] })] }));
    expect(routeConditions(t, "gateway-conformance-infra-test")).toEqual([ACCEPTED, RESOLVED]);
    expect(answer(t, "same-namespace", 80, "example.com", "/")).toBe("infra-backend-v1");
  });

  // conformance/tests/httproute-cross-namespace.yaml (Gateway backend-namespaces: from Selector gateway-conformance=backend)
  it("HTTPRouteCrossNamespace: a route in a selected namespace attaches and serves its own namespace's Service", () => {
    const t = translateGateways(
      world({ gateways: [backendNamespaces()], routes: [route("cross-namespace", { parentRefs: [{ name: "backend-namespaces", namespace: INFRA }], rules: [{ backendRefs: [to("web-backend")] }] }, { namespace: WEB })] }),
    );
    expect(routeConditions(t, "cross-namespace", WEB)).toEqual([ACCEPTED, RESOLVED]);
    expect(answer(t, "backend-namespaces", 80, "example.com", "/")).toBe("web-backend");
  });

  // conformance/tests/httproute-matching.yaml
  it("HTTPRouteMatching: matches are ORed; prefix / or version=one → v1, prefix /v2 or version=two → v2; /v2example stays on /", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("matching", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              { matches: [{ path: { type: "PathPrefix", value: "/" } }, { headers: [{ name: "version", value: "one" }] }], backendRefs: [to("infra-backend-v1")] },
              { matches: [{ path: { type: "PathPrefix", value: "/v2" } }, { headers: [{ name: "version", value: "two" }] }], backendRefs: [to("infra-backend-v2")] },
            ],
          }),
        ],
      }),
    );
    const cases: Array<[string, IncomingHttpHeaders, string]> = [
      ["/", {}, "infra-backend-v1"],
      ["/example", {}, "infra-backend-v1"],
      ["/", { version: "one" }, "infra-backend-v1"],
      ["/v2", {}, "infra-backend-v2"],
      ["/v2/example", {}, "infra-backend-v2"],
      ["/", { version: "two" }, "infra-backend-v2"],
      ["/v2/", {}, "infra-backend-v2"],
      ["/v2example", {}, "infra-backend-v1"],
      ["/foo/v2/example", {}, "infra-backend-v1"],
    ];
    for (const [path, headers, want] of cases) expect([path, headers, answer(t, "same-namespace", 80, "example.com", path, headers)]).toEqual([path, headers, want]);
  });

  // conformance/tests/httproute-exact-path-matching.yaml
  it("HTTPRouteExactPathMatching: /one and /two only; /, /one/example, /two/, /Two → 404", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("exact-matching", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              { matches: [{ path: { type: "Exact", value: "/one" } }], backendRefs: [to("infra-backend-v1")] },
              { matches: [{ path: { type: "Exact", value: "/two" } }], backendRefs: [to("infra-backend-v2")] },
            ],
          }),
        ],
      }),
    );
    const got = ["/one", "/two", "/", "/one/example", "/two/", "/Two"].map((p) => answer(t, "same-namespace", 80, "example.com", p));
    expect(got).toEqual(["infra-backend-v1", "infra-backend-v2", "404", "404", "404", "404"]);
  });

  // conformance/tests/httproute-path-match-order.yaml
  it("HTTPRoutePathMatchOrder: Exact beats PathPrefix, the longest prefix wins", () => {
    const rule = (type: "Exact" | "PathPrefix", value: string, svc: string): RuleIn => ({ matches: [{ path: { type, value } }], backendRefs: [to(svc)] });
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("path-matching-order", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              rule("Exact", "/match", "infra-backend-v1"),
              rule("Exact", "/match/exact", "infra-backend-v2"),
              rule("Exact", "/match/exact/one", "infra-backend-v3"),
              rule("PathPrefix", "/match/", "infra-backend-v3"),
              rule("PathPrefix", "/match/prefix/", "infra-backend-v1"),
              rule("PathPrefix", "/match/prefix/one", "infra-backend-v2"),
            ],
          }),
        ],
      }),
    );
    const cases: Array<[string, string]> = [
      ["/match/exact/one", "infra-backend-v3"],
      ["/match/exact", "infra-backend-v2"],
      ["/match", "infra-backend-v1"],
      ["/match/prefix/one/any", "infra-backend-v2"],
      ["/match/prefix/any", "infra-backend-v1"],
      ["/match/any", "infra-backend-v3"],
    ];
    expect(cases.map(([p]) => [p, answer(t, "same-namespace", 80, "example.com", p)])).toEqual(cases);
  });

  // conformance/tests/httproute-matching-across-routes.yaml
  it("HTTPRouteMatchingAcrossRoutes: two routes on example.com merge by precedence; example.net only has the first", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("matching-part1", {
            parentRefs: [{ name: "same-namespace" }],
            hostnames: ["example.com", "example.net"],
            rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }, { headers: [{ name: "version", value: "one" }] }], backendRefs: [to("infra-backend-v1")] }],
          }),
          route("matching-part2", {
            parentRefs: [{ name: "same-namespace" }],
            hostnames: ["example.com"],
            rules: [{ matches: [{ path: { type: "PathPrefix", value: "/v2" } }, { headers: [{ name: "version", value: "two" }] }], backendRefs: [to("infra-backend-v2")] }],
          }),
        ],
      }),
    );
    const cases: Array<[string, string, IncomingHttpHeaders, string]> = [
      ["example.com", "/", {}, "infra-backend-v1"],
      ["example.com", "/example", {}, "infra-backend-v1"],
      ["example.net", "/example", {}, "infra-backend-v1"],
      ["example.com", "/example", { version: "one" }, "infra-backend-v1"],
      ["example.com", "/v2", {}, "infra-backend-v2"],
      ["example.net", "/v2", {}, "infra-backend-v1"],
      ["example.com", "/v2/example", {}, "infra-backend-v2"],
      ["example.com", "/", { version: "two" }, "infra-backend-v2"],
    ];
    expect(cases.map(([h, p, hd]) => [h, p, hd, answer(t, "same-namespace", 80, h, p, hd)])).toEqual(cases);
  });

  // conformance/tests/httproute-header-matching.yaml
  it("HTTPRouteHeaderMatching: exact header values, AND within a match, OR across matches, most headers first, then rule order", () => {
    const h = (name: string, value: string) => ({ name, value });
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("header-matching", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              { matches: [{ headers: [h("version", "one")] }], backendRefs: [to("infra-backend-v1")] },
              { matches: [{ headers: [h("version", "two")] }], backendRefs: [to("infra-backend-v2")] },
              { matches: [{ headers: [h("version", "two"), h("color", "orange")] }], backendRefs: [to("infra-backend-v1")] },
              { matches: [{ headers: [h("color", "blue")] }, { headers: [h("color", "green")] }], backendRefs: [to("infra-backend-v1")] },
              { matches: [{ headers: [h("color", "red")] }, { headers: [h("color", "yellow")] }], backendRefs: [to("infra-backend-v2")] },
            ],
          }),
        ],
      }),
    );
    const cases: Array<[IncomingHttpHeaders, string]> = [
      [{ version: "one" }, "infra-backend-v1"],
      [{ version: "two" }, "infra-backend-v2"],
      [{ version: "two", color: "orange" }, "infra-backend-v1"],
      [{ version: "two", color: "blue" }, "infra-backend-v2"],
      [{ color: "orange" }, "404"],
      [{ "some-other-header": "one" }, "404"],
      [{ color: "blue" }, "infra-backend-v1"],
      [{ color: "green" }, "infra-backend-v1"],
      [{ color: "red" }, "infra-backend-v2"],
      [{ color: "yellow" }, "infra-backend-v2"],
      [{ color: "purple" }, "404"],
    ];
    expect(cases.map(([hd]) => [hd, answer(t, "same-namespace", 80, "example.com", "/", hd)])).toEqual(cases);
  });

  // conformance/tests/httproute-hostname-intersection.yaml
  it("HTTPRouteHostnameIntersection: route hostnames narrowed by listener hostnames; no intersection → NoMatchingListenerHostname and 404; attachedRoutes counts accepted routes only", () => {
    const gw = gateway("httproute-hostname-intersection", [
      listener("listener-1", 80, { hostname: "very.specific.com" }),
      listener("listener-2", 80, { hostname: "*.wildcard.io" }),
      listener("listener-3", 80, { hostname: "*.anotherwildcard.io" }),
    ]);
    const gwAll = gateway("httproute-hostname-intersection-all", [listener("listener-1", 80)]);
    const parent = [{ name: "httproute-hostname-intersection", namespace: INFRA }];
    const prefix = (p: string, svc: string): RuleIn => ({ matches: [{ path: { type: "PathPrefix", value: p } }], backendRefs: [to(svc)] });
    const t = translateGateways(
      world({
        gateways: [gw, gwAll],
        routes: [
          route("specific-host-matches-listener-specific-host", { parentRefs: parent, hostnames: ["non.matching.com", "*.nonmatchingwildcard.io", "very.specific.com"], rules: [prefix("/s1", "infra-backend-v1")] }),
          route("specific-host-matches-listener-wildcard-host", {
            parentRefs: parent,
            hostnames: ["non.matching.com", "wildcard.io", "foo.wildcard.io", "bar.wildcard.io", "foo.bar.wildcard.io"],
            rules: [prefix("/s2", "infra-backend-v2")],
          }),
          route("wildcard-host-matches-listener-specific-host", { parentRefs: parent, hostnames: ["non.matching.com", "*.specific.com"], rules: [prefix("/s3", "infra-backend-v3")] }),
          route("wildcard-host-matches-listener-wildcard-host", { parentRefs: parent, hostnames: ["*.anotherwildcard.io"], rules: [prefix("/s4", "infra-backend-v1")] }),
          route("no-intersecting-hosts", { parentRefs: parent, hostnames: ["specific.but.wrong.com", "wildcard.io"], rules: [prefix("/s5", "infra-backend-v2")] }),
          route("httproute-hostname-intersection-all", {
            parentRefs: [{ name: "httproute-hostname-intersection-all", namespace: INFRA }],
            hostnames: ["first.com", "sub.first.com", "second.com", "sub.second.com"],
            rules: [{ backendRefs: [to("infra-backend-v2")] }],
          }),
        ],
      }),
    );
    const a = (host: string, path: string) => answer(t, "httproute-hostname-intersection", 80, host, path);
    const cases: Array<[string, string, string]> = [
      ["very.specific.com", "/s1", "infra-backend-v1"],
      ["very.specific.com:1234", "/s1", "infra-backend-v1"],
      ["non.matching.com", "/s1", "404"],
      ["foo.nonmatchingwildcard.io", "/s1", "404"],
      ["foo.wildcard.io", "/s1", "404"],
      ["very.specific.com", "/non-matching-prefix", "404"],
      ["foo.wildcard.io", "/s2", "infra-backend-v2"],
      ["bar.wildcard.io", "/s2", "infra-backend-v2"],
      ["foo.bar.wildcard.io", "/s2", "infra-backend-v2"],
      ["non.matching.com", "/s2", "404"],
      ["wildcard.io", "/s2", "404"],
      ["very.specific.com", "/s2", "404"],
      ["foo.wildcard.io", "/non-matching-prefix", "404"],
      ["very.specific.com", "/s3", "infra-backend-v3"],
      ["non.matching.com", "/s3", "404"],
      ["foo.specific.com", "/s3", "404"],
      ["foo.wildcard.io", "/s3", "404"],
      ["foo.anotherwildcard.io", "/s4", "infra-backend-v1"],
      ["bar.anotherwildcard.io", "/s4", "infra-backend-v1"],
      ["foo.bar.anotherwildcard.io", "/s4", "infra-backend-v1"],
      ["anotherwildcard.io", "/s4", "404"],
      ["foo.wildcard.io", "/s4", "404"],
      ["very.specific.com", "/s4", "404"],
      ["foo.anotherwildcard.io", "/non-matching-prefix", "404"],
      ["specific.but.wrong.com", "/s5", "404"],
      ["wildcard.io", "/s5", "404"],
    ];
    expect(cases.map(([h, p]) => [h, p, a(h, p)])).toEqual(cases);
    expect(routeConditions(t, "no-intersecting-hosts")[0]).toEqual(["Accepted", "False", "NoMatchingListenerHostname"]);
    expect(routeConditions(t, "wildcard-host-matches-listener-wildcard-host")).toEqual([ACCEPTED, RESOLVED]);
    expect(["listener-1", "listener-2", "listener-3"].map((l) => listenerOf(t, "httproute-hostname-intersection", l).attachedRoutes)).toEqual([2, 1, 1]);
    expect(listenerOf(t, "httproute-hostname-intersection-all", "listener-1").attachedRoutes).toBe(1);
    expect(answer(t, "httproute-hostname-intersection-all", 80, "sub.second.com", "/")).toBe("infra-backend-v2");
  });

  // conformance/tests/httproute-listener-hostname-matching.yaml
  it("HTTPRouteListenerHostnameMatching: sectionName picks the listener; its hostname decides; wildcards take several labels", () => {
    const parent = (sectionName: string) => ({ name: "httproute-listener-hostname-matching", namespace: INFRA, sectionName });
    const t = translateGateways(
      world({
        gateways: [
          gateway("httproute-listener-hostname-matching", [
            listener("listener-1", 80, { hostname: "bar.com" }),
            listener("listener-2", 80, { hostname: "foo.bar.com" }),
            listener("listener-3", 80, { hostname: "*.bar.com" }),
            listener("listener-4", 80, { hostname: "*.foo.com" }),
          ]),
        ],
        routes: [
          route("backend-v1", { parentRefs: [parent("listener-1")], rules: [{ backendRefs: [to("infra-backend-v1")] }] }),
          route("backend-v2", { parentRefs: [parent("listener-2")], rules: [{ backendRefs: [to("infra-backend-v2")] }] }),
          route("backend-v3", { parentRefs: [parent("listener-3"), parent("listener-4")], rules: [{ backendRefs: [to("infra-backend-v3")] }] }),
        ],
      }),
    );
    const cases: Array<[string, string]> = [
      ["bar.com", "infra-backend-v1"],
      ["foo.bar.com", "infra-backend-v2"],
      ["baz.bar.com", "infra-backend-v3"],
      ["boo.bar.com", "infra-backend-v3"],
      ["multiple.prefixes.bar.com", "infra-backend-v3"],
      ["multiple.prefixes.foo.com", "infra-backend-v3"],
      ["foo.com", "404"],
      ["no.matching.host", "404"],
    ];
    expect(cases.map(([h]) => [h, answer(t, "httproute-listener-hostname-matching", 80, h, "/")])).toEqual(cases);
    expect(t.routes.find((r) => r.name === "backend-v3")!.parents.map((p) => brief(p.conditions))).toEqual([
      [ACCEPTED, RESOLVED],
      [ACCEPTED, RESOLVED],
    ]);
  });

  // conformance/tests/httproute-https-listener.yaml (Gateway same-namespace-with-https-listener)
  it("HTTPRouteHTTPSListener: example.org on the host-less listener, second-example.org by sectionName, others 404; certificates by hostname", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespaceWithHttps()],
        routes: [
          route("httproute-https-test", { parentRefs: [{ name: "same-namespace-with-https-listener" }], hostnames: ["example.org"], rules: [{ backendRefs: [to("infra-backend-v1")] }] }),
          route("httproute-https-test-no-hostname", { parentRefs: [{ name: "same-namespace-with-https-listener", sectionName: "https-with-hostname" }], rules: [{ backendRefs: [to("infra-backend-v2")] }] }),
        ],
      }),
    );
    const gw = "same-namespace-with-https-listener";
    expect([["example.org"], ["unknown-example.org"], ["second-example.org"]].map(([h]) => answer(t, gw, 443, h!, "/"))).toEqual(["infra-backend-v1", "404", "infra-backend-v2"]);
    expect(routeConditions(t, "httproute-https-test")).toEqual([ACCEPTED, RESOLVED]);
    expect(routeConditions(t, "httproute-https-test-no-hostname")).toEqual([ACCEPTED, RESOLVED]);
    const server = t.servers[0]!;
    const secret = `${INFRA}/tls-validity-checks-certificate`;
    expect(server.scheme).toBe("https");
    expect(server.table.hosts.map((h) => [h.host, h.tlsSecret])).toEqual([
      [{ kind: "exact", host: "example.org" }, secret],
      [{ kind: "exact", host: "second-example.org" }, secret],
    ]);
    expect(server.certificates).toEqual([
      { host: { kind: "exact", host: "fourth-example.wildcard.org" }, secret },
      { host: { kind: "exact", host: "second-example.org" }, secret },
      { host: { kind: "wildcard", suffix: ".wildcard.org", labels: "any" }, secret },
      { host: { kind: "any" }, secret },
    ]);
  });

  // conformance/tests/httproute-multiple-gateways.yaml
  it("HTTPRouteMultipleGateways: one route shared by two Gateways, each with its own dedicated route", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace(), allNamespaces()],
        routes: [
          route("multiple-gateways-shared-route", { parentRefs: [{ name: "same-namespace" }, { name: "all-namespaces" }], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/shared" } }], backendRefs: [to("infra-backend-v1")] }] }),
          route("same-namespace-dedicated-route", { parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [to("infra-backend-v2")] }] }),
          route("all-namespaces-dedicated-route", { parentRefs: [{ name: "all-namespaces" }], rules: [{ backendRefs: [to("infra-backend-v3")] }] }),
        ],
      }),
    );
    expect([answer(t, "same-namespace", 80, "h", "/shared"), answer(t, "same-namespace", 80, "h", "/")]).toEqual(["infra-backend-v1", "infra-backend-v2"]);
    expect([answer(t, "all-namespaces", 80, "h", "/shared"), answer(t, "all-namespaces", 80, "h", "/")]).toEqual(["infra-backend-v1", "infra-backend-v3"]);
    expect(t.routes.find((r) => r.name === "multiple-gateways-shared-route")!.parents.map((p) => [p.parentRef.name, brief(p.conditions)])).toEqual([
      ["same-namespace", [ACCEPTED, RESOLVED]],
      ["all-namespaces", [ACCEPTED, RESOLVED]],
    ]);
  });

  // conformance/tests/gateway-with-attached-routes.yaml
  it("GatewayWithAttachedRoutes: attachedRoutes 1 and 2 (a route with a foreign hostname is not counted), and 1 on a listener whose certificate is missing", () => {
    const selector = { namespaces: { from: "Selector" as const, selector: { matchLabels: { "kubernetes.io/metadata.name": INFRA } } }, kinds: [{ group: GROUP, kind: "HTTPRoute" }] };
    const t = translateGateways(
      world({
        gateways: [
          gateway("gateway-with-one-attached-route", [listener("http", 80, { allowedRoutes: selector })]),
          gateway("gateway-with-two-attached-routes", [listener("http", 80, { hostname: "foo.example.com", allowedRoutes: selector })]),
          gateway("unresolved-gateway-with-one-attached-unresolved-route", [
            listener("tls", 443, { protocol: "HTTPS", allowedRoutes: selector, tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: "does-not-exist" }] } }),
          ]),
        ],
        routes: [
          route("http-route-1", { parentRefs: [{ name: "gateway-with-one-attached-route", namespace: INFRA }], rules: [{ backendRefs: [to("infra-backend-v1")] }] }),
          route("http-route-2", { parentRefs: [{ name: "gateway-with-two-attached-routes", namespace: INFRA }], rules: [{ backendRefs: [to("infra-backend-v1")] }] }),
          route("http-route-3", { parentRefs: [{ name: "gateway-with-two-attached-routes", namespace: INFRA }], rules: [{ backendRefs: [to("infra-backend-v1")] }] }),
          route("http-route-not-accepted", { parentRefs: [{ name: "gateway-with-two-attached-routes", namespace: INFRA }], hostnames: ["not-accepted.test.com"], rules: [{ backendRefs: [to("infra-backend-v1")] }] }),
          route("http-route-4", {
            parentRefs: [{ name: "unresolved-gateway-with-one-attached-unresolved-route", namespace: INFRA, sectionName: "tls" }],
            rules: [{ backendRefs: [to("does-not-exist")] }],
          }),
        ],
      }),
    );
    const one = listenerOf(t, "gateway-with-one-attached-route", "http");
    expect([one.attachedRoutes, brief(one.conditions).slice(0, 2)]).toEqual([1, [ACCEPTED, RESOLVED]]);
    const two = listenerOf(t, "gateway-with-two-attached-routes", "http");
    expect([two.attachedRoutes, brief(two.conditions).slice(0, 2)]).toEqual([2, [ACCEPTED, RESOLVED]]);
    expect(routeConditions(t, "http-route-not-accepted")[0]).toEqual(["Accepted", "False", "NoMatchingListenerHostname"]);
    const unresolved = listenerOf(t, "unresolved-gateway-with-one-attached-unresolved-route", "tls");
    expect([unresolved.attachedRoutes, brief(unresolved.conditions).slice(1, 3)]).toEqual([
      1,
      [
        ["ResolvedRefs", "False", "InvalidCertificateRef"],
        ["Programmed", "False", "Invalid"],
      ],
    ]);
    expect(routeConditions(t, "http-route-4")[1]).toEqual(["ResolvedRefs", "False", "BackendNotFound"]);
  });

  // conformance/tests/httproute-weight.yaml
  it("HTTPRouteWeight: 70/30/0 kept as weights in the table (the split itself is the proxy's)", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("weighted-backends", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [{ backendRefs: [to("infra-backend-v1", 8080, { weight: 70 }), to("infra-backend-v2", 8080, { weight: 30 }), to("infra-backend-v3", 8080, { weight: 0 })] }],
          }),
        ],
      }),
    );
    expect(t.servers[0]!.table.hosts[0]!.routes[0]!.backends.map((b) => [b.backend?.service, b.weight])).toEqual([
      ["infra-backend-v1", 70],
      ["infra-backend-v2", 30],
      ["infra-backend-v3", 0],
    ]);
    expect(answer(t, "same-namespace", 80, "h", "/")).toBe("split infra-backend-v1,infra-backend-v2");
  });

  // conformance/tests/httproute-request-header-modifier.yaml
  it("HTTPRouteRequestHeaderModifier: set, add and remove per rule, names lower-cased", () => {
    const mod = (value: string, m: { set?: Array<[string, string]>; add?: Array<[string, string]>; remove?: string[] }): RuleIn => ({
      matches: [{ path: { type: "PathPrefix", value } }],
      filters: [
        {
          type: "RequestHeaderModifier",
          requestHeaderModifier: {
            ...(m.set ? { set: m.set.map(([name, v]) => ({ name, value: v })) } : {}),
            ...(m.add ? { add: m.add.map(([name, v]) => ({ name, value: v })) } : {}),
            ...(m.remove ? { remove: m.remove } : {}),
          },
        },
      ],
      backendRefs: [to("infra-backend-v1")],
    });
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("request-header-modifier", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              mod("/set", { set: [["X-Header-Set", "set-overwrites-values"]] }),
              mod("/add", { add: [["X-Header-Add", "add-appends-values"]] }),
              mod("/remove", { remove: ["X-Header-Remove"] }),
              mod("/multiple", { set: [["X-Header-Set-1", "header-set-1"], ["X-Header-Set-2", "header-set-2"]], add: [["X-Header-Add-1", "header-add-1"]], remove: ["X-Header-Remove-1"] }),
            ],
          }),
        ],
      }),
    );
    const edits = (path: string) => {
      const d = new RouteMatcher(t.servers[0]!.table).match("h", path);
      return d.kind === "route" ? d.route.options.requestHeaders : undefined;
    };
    expect(edits("/set")).toEqual({ set: [{ name: "x-header-set", value: "set-overwrites-values" }], add: [], remove: [] });
    expect(edits("/add")).toEqual({ set: [], add: [{ name: "x-header-add", value: "add-appends-values" }], remove: [] });
    expect(edits("/remove")).toEqual({ set: [], add: [], remove: ["x-header-remove"] });
    expect(edits("/multiple")).toEqual({
      set: [
        { name: "x-header-set-1", value: "header-set-1" },
        { name: "x-header-set-2", value: "header-set-2" },
      ],
      add: [{ name: "x-header-add-1", value: "header-add-1" }],
      remove: ["x-header-remove-1"],
    });
  });

  // conformance/tests/httproute-redirect-host-and-status.yaml
  it("HTTPRouteRedirectHostAndStatus: hostname redirect with the default 302, and with 301", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("redirect-host-and-status", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              { matches: [{ path: { type: "PathPrefix", value: "/hostname-redirect" } }], filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "example.org", statusCode: 302 } }] },
              { matches: [{ path: { type: "PathPrefix", value: "/host-and-status" } }], filters: [{ type: "RequestRedirect", requestRedirect: { statusCode: 301, hostname: "example.org" } }] },
            ],
          }),
        ],
      }),
    );
    const redirect = (path: string) => {
      const d = new RouteMatcher(t.servers[0]!.table).match("h", path);
      return d.kind === "route" ? d.route.options.redirect : undefined;
    };
    expect(redirect("/hostname-redirect")).toEqual({ hostname: "example.org", status: 302 });
    expect(redirect("/host-and-status")).toEqual({ hostname: "example.org", status: 301 });
    expect(routeConditions(t, "redirect-host-and-status")).toEqual([ACCEPTED, RESOLVED]);
  });

  // conformance/tests/httproute-service-types.yaml (headless and hand-written EndpointSlices: the table only names the Service and port)
  it("HTTPRouteServiceTypes: a headless Service is a valid backend (its endpoints are the proxy's concern)", () => {
    const headless = service(INFRA, "infra-backend-v1");
    headless.spec!.clusterIP = "None";
    const w = world({ gateways: [sameNamespace()], routes: [route("service-types", { parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [to("infra-backend-v1")] }] })] });
    const t = translateGateways({ ...w, service: (ns, name) => (name === "infra-backend-v1" ? headless : w.service(ns, name)) });
    expect(routeConditions(t, "service-types")).toEqual([ACCEPTED, RESOLVED]);
    expect(answer(t, "same-namespace", 80, "h", "/")).toBe("infra-backend-v1");
  });

  // conformance/tests/httproute-omitted-backendrefs.yaml (HTTPRouteNoBackendRefs)
  it("HTTPRouteNoBackendRefs: rules with omitted or empty backendRefs answer 500; the route is Accepted with resolved refs", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [
          route("omitted-backendrefs", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              { matches: [{ path: { type: "Exact", value: "/omitted-no-forward" } }] },
              { matches: [{ path: { type: "Exact", value: "/empty-no-forward" } }], backendRefs: [] },
              { matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [to("infra-backend-v1")] },
            ],
          }),
        ],
      }),
    );
    expect(["/forward", "/omitted-no-forward", "/empty-no-forward"].map((p) => answer(t, "same-namespace", 80, "h", p))).toEqual(["infra-backend-v1", "500", "500"]);
    expect(routeConditions(t, "omitted-backendrefs")).toEqual([ACCEPTED, RESOLVED]);
  });

  // conformance/tests/httproute-invalid-nonexistent-backendref.yaml
  it("HTTPRouteInvalidNonExistentBackendRef: ResolvedRefs False BackendNotFound, the route stays Accepted, / answers 500", () => {
    const t = translateGateways(
      world({ gateways: [sameNamespace()], routes: [route("invalid-nonexistent-backend-ref", { parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [to("nonexistent", 8080, { namespace: INFRA })] }] })] }),
    );
    expect(routeConditions(t, "invalid-nonexistent-backend-ref")).toEqual([ACCEPTED, ["ResolvedRefs", "False", "BackendNotFound"]]);
    expect(t.servers[0]!.table.hosts[0]!.routes[0]!.backends).toEqual([{ weight: 1, invalid: `service ${INFRA}/nonexistent not found` }]);
    expect(answer(t, "same-namespace", 80, "h", "/")).toBe("500");
  });

  // conformance/tests/httproute-invalid-backendref-unknown-kind.yaml
  it("HTTPRouteInvalidBackendRefUnknownKind: ResolvedRefs False InvalidKind, /v2 answers 500", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [route("invalid-backend-ref-unknown-kind", { parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [to("infra-backend-v1", 8080, { group: "unknownkind.example.com", kind: "NonExistent" })] }] })],
      }),
    );
    expect(routeConditions(t, "invalid-backend-ref-unknown-kind")).toEqual([ACCEPTED, ["ResolvedRefs", "False", "InvalidKind"]]);
    expect(answer(t, "same-namespace", 80, "h", "/v2")).toBe("500");
  });

  // conformance/tests/httproute-invalid-cross-namespace-parent-ref.yaml
  it("HTTPRouteInvalidCrossNamespaceParentRef: a route from another namespace on a Same listener: Accepted False NotAllowedByListeners, 0 attached", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [route("invalid-cross-namespace-parent-ref", { parentRefs: [{ name: "same-namespace", namespace: INFRA }], rules: [{ backendRefs: [to("web-backend")] }] }, { namespace: WEB })],
      }),
    );
    expect(routeConditions(t, "invalid-cross-namespace-parent-ref", WEB)).toEqual([["Accepted", "False", "NotAllowedByListeners"], RESOLVED]);
    expect(listenerOf(t, "same-namespace", "http").attachedRoutes).toBe(0);
    expect(t.servers[0]!.table.hosts).toEqual([]);
  });

  // conformance/tests/httproute-invalid-parentref-not-matching-section-name.yaml
  it("HTTPRouteInvalidParentRefNotMatchingSectionName: sectionName http1 on port 80: Accepted False NoMatchingParent, 0 attached", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        routes: [route("httproute-listener-not-matching-section-name", { parentRefs: [{ name: "same-namespace", namespace: INFRA, port: 80, sectionName: "http1" }], rules: [{ backendRefs: [to("infra-backend-v1")] }] })],
      }),
    );
    expect(routeConditions(t, "httproute-listener-not-matching-section-name")[0]).toEqual(["Accepted", "False", "NoMatchingParent"]);
    expect(listenerOf(t, "same-namespace", "http").attachedRoutes).toBe(0);
  });

  // conformance/tests/httproute-invalid-parentref-not-matching-listener-port.yaml
  it("HTTPRouteInvalidParentRefNotMatchingListenerPort: parentRef port 81 with no listener there: NoMatchingParent", () => {
    const t = translateGateways(world({ gateways: [sameNamespace()], routes: [route("r", { parentRefs: [{ name: "same-namespace", port: 81 }], rules: [{ backendRefs: [to("infra-backend-v1")] }] })] }));
    expect(routeConditions(t, "r")[0]).toEqual(["Accepted", "False", "NoMatchingParent"]);
  });

  // conformance/tests/httproute-observed-generation-bump.yaml
  it("HTTPRouteObservedGenerationBump: every condition carries the object's generation, and follows it", () => {
    const r1 = route("observed-generation-bump", { parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [to("infra-backend-v1")] }] });
    const r2 = { ...r1, metadata: { ...r1.metadata, generation: 2 }, spec: { ...r1.spec, rules: [{ ...r1.spec.rules[0]!, backendRefs: [{ ...r1.spec.rules[0]!.backendRefs![0]!, name: "infra-backend-v2" }] }] } };
    const gens = (r: HTTPRoute) => translateGateways(world({ gateways: [sameNamespace()], routes: [r] })).routes[0]!.parents[0]!.conditions.map((c) => [c.type, c.status, c.observedGeneration]);
    expect(gens(r1)).toEqual([
      ["Accepted", "True", 1],
      ["ResolvedRefs", "True", 1],
    ]);
    expect(gens(r2)).toEqual([
      ["Accepted", "True", 2],
      ["ResolvedRefs", "True", 2],
    ]);
  });

  // conformance/tests/httproute-reference-grant.yaml
  it("HTTPRouteReferenceGrant: a ReferenceGrant in the Service's namespace allows the cross-namespace backendRef", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        grants: [grant(WEB, "reference-grant", [{ group: GROUP, kind: "HTTPRoute", namespace: INFRA }], [{ group: "", kind: "Service", name: "web-backend" }])],
        routes: [route("reference-grant", { parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [to("web-backend", 8080, { namespace: WEB })] }] })],
      }),
    );
    expect(routeConditions(t, "reference-grant")).toEqual([ACCEPTED, RESOLVED]);
    expect(answer(t, "same-namespace", 80, "h", "/")).toBe("web-backend");
  });

  // conformance/tests/httproute-invalid-reference-grant.yaml
  it("HTTPRouteInvalidReferenceGrant: grants in the wrong namespace, or with the wrong from/to group, kind, namespace or name: RefNotPermitted and 500", () => {
    const from = { group: GROUP, kind: "HTTPRoute", namespace: INFRA };
    const toSvc = { group: "", kind: "Service", name: "web-backend" };
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        grants: [
          grant(INFRA, "reference-grant-wrong-namespace", [from], [toSvc]),
          grant(WEB, "reference-grant-wrong-from-group", [{ ...from, group: "not-the-group-youre-looking-for" }], [toSvc]),
          grant(WEB, "reference-grant-wrong-from-kind", [{ ...from, kind: "Gateway" }], [toSvc]),
          grant(WEB, "reference-grant-wrong-from-namespace", [{ ...from, namespace: "not-the-namespace-youre-looking-for" }], [toSvc]),
          grant(WEB, "reference-grant-wrong-to-group", [from], [{ ...toSvc, group: "not-the-group-youre-looking-for" }]),
          grant(WEB, "reference-grant-wrong-to-kind", [from], [{ ...toSvc, kind: "Secret" }]),
          grant(WEB, "reference-grant-wrong-to-name", [from], [{ group: "", kind: "Secret", name: "not-the-service-youre-looking-for" }]),
        ],
        routes: [route("reference-grant", { parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [to("web-backend", 8080, { namespace: WEB })] }] })],
      }),
    );
    expect(routeConditions(t, "reference-grant")).toEqual([ACCEPTED, ["ResolvedRefs", "False", "RefNotPermitted"]]);
    expect(answer(t, "same-namespace", 80, "h", "/")).toBe("500");
  });

  // conformance/tests/httproute-invalid-cross-namespace-backend-ref.yaml
  it("HTTPRouteInvalidCrossNamespaceBackendRef: no ReferenceGrant: RefNotPermitted and 500", () => {
    const t = translateGateways(
      world({ gateways: [sameNamespace()], routes: [route("invalid-cross-namespace-backend-ref", { parentRefs: [{ name: "same-namespace" }], rules: [{ backendRefs: [to("web-backend", 8080, { namespace: WEB })] }] })] }),
    );
    expect(routeConditions(t, "invalid-cross-namespace-backend-ref")).toEqual([ACCEPTED, ["ResolvedRefs", "False", "RefNotPermitted"]]);
    expect(answer(t, "same-namespace", 80, "h", "/")).toBe("500");
  });

  // conformance/tests/httproute-partially-invalid-via-invalid-reference-grant.yaml
  it("HTTPRoutePartiallyInvalidViaInvalidReferenceGrant: /v2 (not granted) answers 500, / (granted) is served", () => {
    const t = translateGateways(
      world({
        gateways: [sameNamespace()],
        grants: [grant(APP, "invalid-reference-grant", [{ group: GROUP, kind: "HTTPRoute", namespace: INFRA }], [{ group: "", kind: "Service", name: "app-backend-v1" }])],
        routes: [
          route("invalid-reference-grant", {
            parentRefs: [{ name: "same-namespace" }],
            rules: [
              { matches: [{ path: { type: "PathPrefix", value: "/v2" } }], backendRefs: [to("app-backend-v2", 8080, { namespace: APP })] },
              { backendRefs: [to("app-backend-v1", 8080, { namespace: APP })] },
            ],
          }),
        ],
      }),
    );
    expect(routeConditions(t, "invalid-reference-grant")).toEqual([ACCEPTED, ["ResolvedRefs", "False", "RefNotPermitted"]]);
    expect([answer(t, "same-namespace", 80, "h", "/v2"), answer(t, "same-namespace", 80, "h", "/")]).toEqual(["500", "app-backend-v1"]);
  });
});
