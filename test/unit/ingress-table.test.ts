// The router's routing core for Ingress: translation to the route table and
// matching a request against it. Cases from the Kubernetes docs' Ingress
// page (K8S-DOC: "Examples" of path matching, "Hostname wildcards",
// "Multiple matches", "DefaultBackend") and from ingress-nginx's behaviour
// (../shared/reference/ingress.md §2–7), never from the code.
import { describe, expect, it } from "vitest";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IIngressClass } from "kubernetes-models/networking.k8s.io/v1/IngressClass";
import { RouteMatcher, hostOfHeader, pathOfUrl } from "../../src/ingress/match.js";
import { DEFAULT_ROUTE_OPTIONS, parseIngressAnnotations, parseNginxSize, servedIngresses, translateIngresses } from "../../src/ingress/translate-ingress.js";

type Ing = IIngress & { metadata: NonNullable<IIngress["metadata"]> };
type Cls = IIngressClass & { metadata: NonNullable<IIngressClass["metadata"]> };
type PathType = "Exact" | "Prefix" | "ImplementationSpecific";

const nginxClass: Cls = { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "nginx" }, spec: { controller: "k8s.io/ingress-nginx" } };
const otherClass: Cls = { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "traefik" }, spec: { controller: "traefik.io/ingress-controller" } };

let clock = 0;
function ingress(name: string, spec: Ing["spec"], opts: { annotations?: Record<string, string>; namespace?: string; age?: number } = {}): Ing {
  clock++;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name,
      namespace: opts.namespace ?? "default",
      creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, opts.age ?? clock)).toISOString(),
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    spec: { ingressClassName: "nginx", ...spec },
  };
}
const backend = (service: string, port: number | string = 80) => ({ service: { name: service, port: typeof port === "number" ? { number: port } : { name: port } } });
const paths = (...list: Array<[string, PathType, string]>) => ({ http: { paths: list.map(([path, pathType, svc]) => ({ path, pathType, backend: backend(svc) })) } });

/** Which Service answers (or 404) for each request path, with these paths on one host-less rule. */
function routeOf(rulePaths: Array<[string, PathType]>, request: string): string {
  const table = translateIngresses([ingress("ing", { rules: [paths(...rulePaths.map(([p, t]): [string, PathType, string] => [p, t, `${t}:${p}`]))] })], [nginxClass]);
  const d = new RouteMatcher(table).match("example.com", request);
  return d.kind === "route" ? d.route.backends[0]!.backend!.service : "404";
}

describe("path matching (K8S-DOC Ingress \"Examples\" table)", () => {
  const cases: Array<[Array<[string, PathType]>, string, string]> = [
    [[["/", "Prefix"]], "/anything/at/all", "Prefix:/"],
    [[["/foo", "Exact"]], "/foo", "Exact:/foo"],
    [[["/foo", "Exact"]], "/bar", "404"],
    [[["/foo", "Exact"]], "/foo/", "404"],
    [[["/foo/", "Exact"]], "/foo", "404"],
    [[["/foo", "Prefix"]], "/foo", "Prefix:/foo"],
    [[["/foo", "Prefix"]], "/foo/", "Prefix:/foo"],
    [[["/foo/", "Prefix"]], "/foo", "Prefix:/foo/"],
    [[["/foo/", "Prefix"]], "/foo/", "Prefix:/foo/"],
    [[["/aaa/bb", "Prefix"]], "/aaa/bbb", "404"],
    [[["/aaa/bbb", "Prefix"]], "/aaa/bbb", "Prefix:/aaa/bbb"],
    [[["/aaa/bbb/", "Prefix"]], "/aaa/bbb", "Prefix:/aaa/bbb/"],
    [[["/aaa/bbb", "Prefix"]], "/aaa/bbb/", "Prefix:/aaa/bbb"],
    [[["/aaa/bbb", "Prefix"]], "/aaa/bbb/ccc", "Prefix:/aaa/bbb"],
    [[["/aaa/bbb", "Prefix"]], "/aaa/bbbxyz", "404"],
    [[["/", "Prefix"], ["/aaa", "Prefix"]], "/aaa/ccc", "Prefix:/aaa"],
    [[["/", "Prefix"], ["/aaa", "Prefix"], ["/aaa/bbb", "Prefix"]], "/aaa/bbb", "Prefix:/aaa/bbb"],
    [[["/", "Prefix"], ["/aaa", "Prefix"], ["/aaa/bbb", "Prefix"]], "/ccc", "Prefix:/"],
    [[["/aaa", "Prefix"]], "/ccc", "404"],
    [[["/foo", "Prefix"], ["/foo", "Exact"]], "/foo", "Exact:/foo"],
    // K8S-API PathTypePrefix: with /foo and /foo/ both Prefix, the longer wins for /foo and /foo/.
    [[["/foo", "Prefix"], ["/foo/", "Prefix"]], "/foo", "Prefix:/foo/"],
    // Case-sensitive; the query string is not part of the path.
    [[["/foo", "Exact"]], "/FOO", "404"],
    [[["/foo", "Exact"]], "/foo?x=1", "Exact:/foo"],
    // ImplementationSpecific is nginx's plain string prefix (ingress-nginx): /foo also takes /foobar.
    [[["/foo", "ImplementationSpecific"]], "/foobar", "ImplementationSpecific:/foo"],
    [[["/foo", "ImplementationSpecific"], ["/foo/bar", "Prefix"]], "/foo/bar/x", "Prefix:/foo/bar"],
  ];
  for (const [rulePaths, request, expected] of cases) {
    it(`${rulePaths.map(([p, t]) => `${t} ${p}`).join(" + ")}: ${request} → ${expected}`, () => {
      expect(routeOf(rulePaths, request)).toBe(expected);
    });
  }
});

describe("hosts (K8S-DOC \"Hostname wildcards\", name-based virtual hosting; ingress-nginx server selection)", () => {
  const table = translateIngresses(
    [
      ingress("vhosts", {
        rules: [
          { host: "first.bar.com", ...paths(["/", "Prefix", "first"]) },
          { host: "*.bar.com", ...paths(["/", "Prefix", "wildcard"]) },
          { host: "only-api.com", ...paths(["/api", "Prefix", "api"]) },
          paths(["/", "Prefix", "any-host"]),
        ],
      }),
    ],
    [nginxClass],
  );
  const m = new RouteMatcher(table);
  const to = (host: string, path = "/") => {
    const d = m.match(host, path);
    return d.kind === "route" ? d.route.backends[0]!.backend!.service : "404";
  };

  it("orders virtual hosts exact, wildcard, catch-all", () => {
    expect(table.hosts.map((h) => (h.host.kind === "exact" ? h.host.host : h.host.kind === "wildcard" ? `*${h.host.suffix}` : "(any)"))).toEqual(["first.bar.com", "only-api.com", "*.bar.com", "(any)"]);
  });
  it("an exact host beats the wildcard; the Host header's port and case are ignored", () => {
    expect(to("first.bar.com")).toBe("first");
    expect(to("First.Bar.Com:8080")).toBe("first");
  });
  it("a wildcard takes exactly one label: bar.foo.com yes, baz.bar.foo.com and foo.com no", () => {
    expect(to("second.bar.com")).toBe("wildcard");
    expect(to("baz.second.bar.com")).toBe("any-host");
    expect(to("bar.com")).toBe("any-host");
  });
  it("other hosts, and requests without a Host, go to the host-less rule", () => {
    expect(to("unknown.example")).toBe("any-host");
    expect(to("")).toBe("any-host");
  });
  it("a host with its own rules never falls through to the host-less rule (ingress-nginx's servers): unmatched paths are 404", () => {
    expect(to("only-api.com", "/api/x")).toBe("api");
    expect(to("only-api.com", "/other")).toBe("404");
  });
  it("reads Host and path as sent", () => {
    expect(hostOfHeader("[::1]:80")).toBe("[::1]");
    expect(pathOfUrl("/a%2Fb?x#y")).toBe("/a%2Fb");
    expect(pathOfUrl("")).toBe("/");
  });
});

describe("which Ingresses are served (IngressClass; ingress-nginx v1's class rules)", () => {
  const a = ingress("a", { ingressClassName: "nginx", rules: [paths(["/", "Prefix", "a"])] });
  const b = ingress("b", { ingressClassName: "traefik", rules: [paths(["/", "Prefix", "b"])] });
  const legacy = ingress("legacy", { ingressClassName: undefined, rules: [paths(["/", "Prefix", "c"])] }, { annotations: { "kubernetes.io/ingress.class": "nginx" } });
  const classless = ingress("classless", { ingressClassName: undefined, rules: [paths(["/", "Prefix", "d"])] });
  it("serves its own classes and ingress-nginx's, by spec.ingressClassName or the old annotation; ignores others", () => {
    expect(servedIngresses([a, b, legacy, classless], [nginxClass, otherClass]).map((i) => i.metadata.name)).toEqual(["a", "legacy"]);
  });
  it("serves class-less Ingresses only when one of its classes is the default", () => {
    const defaultNginx: Cls = { ...nginxClass, metadata: { name: "nginx", annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } } };
    expect(servedIngresses([classless], [defaultNginx]).map((i) => i.metadata.name)).toEqual(["classless"]);
    expect(servedIngresses([classless], [nginxClass]).map((i) => i.metadata.name)).toEqual([]);
  });
  it("serves nothing for a class that does not exist (ICC ingress_class)", () => {
    expect(servedIngresses([a], [otherClass])).toEqual([]);
  });
});

describe("several Ingresses, defaultBackend, TLS (ingress-nginx docs/how-it-works.md; K8S-DOC DefaultBackend, TLS)", () => {
  it("merges Ingresses of one host; the oldest wins a duplicate host and path, and the newer one is named in a warning", () => {
    const older = ingress("older", { rules: [{ host: "a.com", ...paths(["/x", "Prefix", "old"]) }] }, { age: 1 });
    const newer = ingress("newer", { rules: [{ host: "a.com", ...paths(["/x", "Prefix", "new"], ["/y", "Prefix", "y"]) }] }, { age: 2 });
    const table = translateIngresses([newer, older], [nginxClass]);
    expect(table.hosts).toHaveLength(1);
    expect(table.hosts[0]!.routes.map((r) => [r.path, r.backends[0]!.backend!.service, r.source])).toEqual([
      [{ kind: "prefix", path: "/x" }, "old", "Ingress default/older rules[0].http.paths[0]"],
      [{ kind: "prefix", path: "/y" }, "y", "Ingress default/newer rules[0].http.paths[1]"],
    ]);
    expect(table.warnings).toEqual(['Ingress default/newer rules[0].http.paths[0]: host "a.com" and path "/x" are already defined by Ingress default/older rules[0].http.paths[0]; the older one is used']);
  });

  it("a defaultBackend without rules serves every unknown host; with rules, only what its own hosts leave unmatched (kubernetes/ingress-nginx#9030)", () => {
    const catchAll = ingress("catch-all", { defaultBackend: backend("fallback") });
    const withRules = ingress("with-rules", { defaultBackend: backend("own-default"), rules: [{ host: "b.com", ...paths(["/api", "Prefix", "api"]) }] });
    const m = new RouteMatcher(translateIngresses([catchAll, withRules], [nginxClass]));
    const to = (host: string, path: string) => {
      const d = m.match(host, path);
      return d.kind === "route" ? `${d.route.backends[0]!.backend!.service}${d.fallback ? " (fallback)" : ""}` : "404";
    };
    expect(to("b.com", "/api")).toBe("api");
    expect(to("b.com", "/else")).toBe("own-default (fallback)");
    expect(to("unknown.com", "/")).toBe("fallback (fallback)");
  });

  it("TLS hosts get their Secret (the oldest Ingress's) and an HTTPS redirect 308 unless ssl-redirect is false; force-ssl-redirect without TLS", () => {
    const tls = ingress("tls", { tls: [{ hosts: ["s.com"], secretName: "s-cert" }], rules: [{ host: "s.com", ...paths(["/", "Prefix", "secure"]) }] });
    const noRedirect = ingress("no-redirect", { rules: [{ host: "s.com", ...paths(["/plain", "Prefix", "plain"]) }] }, { annotations: { "nginx.ingress.kubernetes.io/ssl-redirect": "false" } });
    const forced = ingress("forced", { rules: [{ host: "f.com", ...paths(["/", "Prefix", "forced"]) }] }, { annotations: { "nginx.ingress.kubernetes.io/force-ssl-redirect": "true" } });
    const table = translateIngresses([tls, noRedirect, forced], [nginxClass]);
    const s = table.hosts.find((h) => h.host.kind === "exact" && h.host.host === "s.com")!;
    expect(s.tlsSecret).toBe("default/s-cert");
    expect(s.routes.map((r) => [r.backends[0]!.backend!.service, r.options.httpsRedirect])).toEqual([
      ["plain", undefined],
      ["secure", 308],
    ]);
    expect(table.hosts.find((h) => h.host.kind === "exact" && h.host.host === "f.com")!.routes[0]!.options.httpsRedirect).toBe(308);
  });

  it("backends name the Service port by number or by name (never the container port)", () => {
    const ing = ingress("ports", { rules: [{ http: { paths: [{ path: "/n", pathType: "Prefix", backend: backend("web", 8080) }, { path: "/s", pathType: "Prefix", backend: backend("web", "http") }] } }] });
    expect(translateIngresses([ing], [nginxClass]).hosts[0]!.routes.map((r) => r.backends[0]!.backend)).toEqual([
      { namespace: "default", service: "web", port: { number: 8080 } },
      { namespace: "default", service: "web", port: { name: "http" } },
    ]);
  });
});

describe("annotations (ingress-nginx docs/user-guide/nginx-configuration/annotations.md)", () => {
  it("rewrite-target (or use-regex) turns every path of the host into a case-insensitive regex, longest first (docs/examples/rewrite)", () => {
    const rewrite = ingress("rewrite", { rules: [{ host: "r.com", ...paths(["/something(/|$)(.*)", "ImplementationSpecific", "svc"]) }] }, { annotations: { "nginx.ingress.kubernetes.io/rewrite-target": "/$2" } });
    const other = ingress("other", { rules: [{ host: "r.com", ...paths(["/x", "Prefix", "x"]) }] });
    const table = translateIngresses([rewrite, other], [nginxClass]);
    expect(table.hosts[0]!.routes.map((r) => r.path)).toEqual([
      { kind: "regex", source: "^/something(/|$)(.*)", caseInsensitive: true },
      { kind: "regex", source: "^/x", caseInsensitive: true },
    ]);
    const m = new RouteMatcher(table);
    const d = m.match("r.com", "/SOMETHING/new");
    expect(d.kind === "route" && d.route.options.rewriteTarget).toBe("/$2");
    expect((m.match("r.com", "/xyz") as { route: { backends: Array<{ backend: { service: string } }> } }).route.backends[0]!.backend.service).toBe("x");
  });

  it("cookie affinity with its settings; defaults (INGRESSCOOKIE, balanced)", () => {
    expect(parseIngressAnnotations({ "nginx.ingress.kubernetes.io/affinity": "cookie" }, "x").options.affinity).toEqual({ name: "INGRESSCOOKIE", mode: "balanced" });
    expect(
      parseIngressAnnotations(
        {
          "nginx.ingress.kubernetes.io/affinity": "cookie",
          "nginx.ingress.kubernetes.io/session-cookie-name": "route",
          "nginx.ingress.kubernetes.io/session-cookie-path": "/app",
          "nginx.ingress.kubernetes.io/session-cookie-max-age": "172800",
          "nginx.ingress.kubernetes.io/session-cookie-expires": "172800",
          "nginx.ingress.kubernetes.io/affinity-mode": "persistent",
        },
        "x",
      ).options.affinity,
    ).toEqual({ name: "route", path: "/app", maxAgeSeconds: 172800, expiresSeconds: 172800, mode: "persistent" });
  });

  it("timeouts, body size, backend protocol, source ranges; bad values and unknown annotations are warnings, never errors", () => {
    const p = parseIngressAnnotations(
      {
        "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
        "nginx.ingress.kubernetes.io/proxy-connect-timeout": "soon",
        "nginx.ingress.kubernetes.io/proxy-body-size": "8m",
        "nginx.ingress.kubernetes.io/backend-protocol": "GRPC",
        "nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8, 172.18.0.1/32",
        "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers x",
        "example.com/other": "not ours",
      },
      "Ingress default/web",
    );
    expect(p.options).toEqual({ ...DEFAULT_ROUTE_OPTIONS, readTimeoutMs: 3_600_000, maxBodyBytes: 8 * 1024 * 1024, allowSourceRanges: ["10.0.0.0/8", "172.18.0.1/32"] });
    expect(p.warnings).toEqual([
      'Ingress default/web: annotation nginx.ingress.kubernetes.io/proxy-connect-timeout: "soon" is not a number of seconds; using 5',
      'Ingress default/web: annotation nginx.ingress.kubernetes.io/backend-protocol: "GRPC" is not supported by kemu (HTTP, HTTPS); using HTTP',
      "Ingress default/web: annotation nginx.ingress.kubernetes.io/configuration-snippet is not supported by kemu's router; ignored",
    ]);
    expect([parseNginxSize("0"), parseNginxSize("512k"), parseNginxSize("1g"), parseNginxSize("100"), parseNginxSize("1.5m")]).toEqual([0, 524288, 1073741824, 100, undefined]);
  });
});
