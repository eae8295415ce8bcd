// The router's data plane for Gateway API routes, against real sockets on
// 127.0.0.1: a Gateway server on a port of its own, matches on method,
// headers and query, weighted backends, 500 for invalid ones, and the
// HTTPRoute filters (RequestRedirect, URLRewrite, Request/Response header
// modifiers). Tables are written by hand here; translate-gateway's own
// tests check what HTTPRoutes translate into. Expected behaviour: the
// godoc of Gateway API's httproute_types.go and the conformance tests named.
import { afterEach, describe, expect, it } from "vitest";
import http from "node:http";
import net from "node:net";
import { IngressRouter, type Resolution } from "../../src/ingress/proxy/router.js";
import { applyHeaderEdits, modifiedPath, redirectLocation } from "../../src/ingress/proxy/gateway-filters.js";
import { DEFAULT_ROUTE_OPTIONS } from "../../src/ingress/translate-ingress.js";
import type { GatewayServer, PathMatch, RequestConditions, Route, RouteOptions, ServiceBackend, WeightedBackend } from "../../src/ingress/table.js";
import { closers, echoPod, request } from "../support/http-echo.js";

const services = new Map<string, Resolution>();
const resolve = (b: ServiceBackend): Resolution => services.get(b.service) ?? { error: `service ${b.namespace}/${b.service} not found` };
let router: IngressRouter | undefined;

afterEach(async () => {
  await router?.stop();
  router = undefined;
  services.clear();
  for (const close of closers.splice(0)) await close();
});

const svc = (service: string, weight = 1): WeightedBackend => ({ weight, backend: { namespace: "default", service, port: { number: 80 } } });
const options = (extra: Partial<RouteOptions> = {}): RouteOptions => ({ ...DEFAULT_ROUTE_OPTIONS, maxBodyBytes: 0, ...extra });
const route = (path: PathMatch, backends: WeightedBackend[], extra: { conditions?: RequestConditions; options?: Partial<RouteOptions> } = {}): Route => ({
  source: `HTTPRoute default/r ${JSON.stringify(path)}`,
  path,
  ...(extra.conditions ? { conditions: extra.conditions } : {}),
  backends,
  options: options(extra.options),
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function gatewayServer(routes: Route[], listenerPort = 8080): Promise<GatewayServer> {
  return { source: "Gateway default/gw port 8080", port: await freePort(), listenerPort, scheme: "http", certificates: [], table: { hosts: [{ host: { kind: "any" }, routes }], warnings: [] } };
}

async function serve(...servers: GatewayServer[]): Promise<void> {
  router = new IngressRouter({ resolve, http: { host: "127.0.0.1", port: 0 } });
  await router.start();
  await router.setGatewayServers(servers);
}

async function pods(...names: string[]): Promise<void> {
  for (const name of names) services.set(name, { endpoints: [await echoPod(name)] });
}

describe("a Gateway server on its own port", () => {
  it("is opened by setGatewayServers, serves its table (X-Forwarded-Port is the listener's), and is closed when it goes", async () => {
    await pods("web");
    const gw = await gatewayServer([route({ kind: "prefix", path: "/" }, [svc("web")])], 8080);
    await serve(gw);
    const r = await request(gw.port, "/x");
    expect(r.echo?.name).toBe("web");
    expect(r.echo?.headers["x-forwarded-port"]).toBe("8080");
    // the Ingress port knows nothing of it
    await router!.setGatewayServers([]);
    await expect(request(gw.port, "/x")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("a new table for the same port applies to new requests without reopening it", async () => {
    await pods("a", "b");
    const gw = await gatewayServer([route({ kind: "prefix", path: "/" }, [svc("a")])]);
    await serve(gw);
    expect((await request(gw.port, "/")).echo?.name).toBe("a");
    await router!.setGatewayServers([{ ...gw, table: { hosts: [{ host: { kind: "any" }, routes: [route({ kind: "prefix", path: "/" }, [svc("b")])] }], warnings: [] } }]);
    expect((await request(gw.port, "/")).echo?.name).toBe("b");
  });
});

describe("matches beyond the path (HTTPRouteHeaderMatching, HTTPRouteQueryParamMatching, HTTPRouteMethodMatching)", () => {
  it("method, headers (names case-insensitive, exact or regex) and query parameters must all hold; else the next route", async () => {
    await pods("post", "hdr", "query", "rest");
    const gw = await gatewayServer([
      route({ kind: "prefix", path: "/" }, [svc("post")], { conditions: { method: "POST", headers: [], query: [] } }),
      route({ kind: "prefix", path: "/" }, [svc("hdr")], { conditions: { headers: [{ name: "version", match: { kind: "exact", value: "two" } }, { name: "color", match: { kind: "regex", source: "^(red|blue)$" } }], query: [] } }),
      route({ kind: "prefix", path: "/" }, [svc("query")], { conditions: { headers: [], query: [{ name: "animal", match: { kind: "exact", value: "whale" } }] } }),
      route({ kind: "prefix", path: "/" }, [svc("rest")]),
    ]);
    await serve(gw);
    const who = async (url: string, o: Parameters<typeof request>[2] = {}) => (await request(gw.port, url, o)).echo?.name;
    expect(await who("/", { method: "POST", body: "x" })).toBe("post");
    expect(await who("/", { headers: { Version: "two", color: "blue" } })).toBe("hdr");
    expect(await who("/", { headers: { version: "two", color: "green" } })).toBe("rest");
    expect(await who("/", { headers: { version: "Two", color: "red" } })).toBe("rest"); // values are case-sensitive
    expect(await who("/?animal=whale")).toBe("query");
    expect(await who("/?animal=dolphin&animal=whale")).toBe("rest"); // the first value counts
    expect(await who("/?Animal=whale")).toBe("rest"); // names are case-sensitive
  });
});

describe("backends (HTTPRouteWeight, HTTPRouteInvalidNonExistentBackendRef, HTTPRouteNoBackendRefs)", () => {
  it("splits by weight; weight 0 gets nothing", async () => {
    await pods("v1", "v2", "never");
    const gw = await gatewayServer([route({ kind: "prefix", path: "/" }, [svc("v1", 70), svc("v2", 30), svc("never", 0)])]);
    await serve(gw);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const name = (await request(gw.port, "/")).echo!.name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts.never).toBeUndefined();
    // 400 draws at p=0.7: 280 ± 4.6σ
    expect(counts.v1).toBeGreaterThan(238);
    expect(counts.v1).toBeLessThan(322);
  });

  it("an invalid backendRef's share, and a rule without backends, is 500; a valid one without endpoints is 503", async () => {
    await pods("ok");
    services.set("empty", { endpoints: [] });
    const gw = await gatewayServer([
      route({ kind: "exact", path: "/invalid" }, [{ weight: 1, invalid: "Service default/missing not found" }]),
      route({ kind: "exact", path: "/none" }, []),
      route({ kind: "exact", path: "/empty" }, [svc("empty")]),
      route({ kind: "exact", path: "/half" }, [svc("ok"), { weight: 1, invalid: "kind Foo is not supported" }]),
    ]);
    await serve(gw);
    expect((await request(gw.port, "/invalid")).status).toBe(500);
    expect((await request(gw.port, "/none")).status).toBe(500);
    expect((await request(gw.port, "/empty")).status).toBe(503);
    const statuses = new Set<number>();
    for (let i = 0; i < 40; i++) statuses.add((await request(gw.port, "/half")).status);
    expect([...statuses].sort()).toEqual([200, 500]);
  });
});

describe("filters", () => {
  it("RequestHeaderModifier (HTTPRouteRequestHeaderModifier): set replaces, add appends, remove deletes", async () => {
    await pods("web");
    const gw = await gatewayServer([
      route({ kind: "prefix", path: "/" }, [svc("web")], { options: { requestHeaders: { set: [{ name: "x-header-set", value: "set-overwrites-values" }], add: [{ name: "x-header-add", value: "add-appends-values" }], remove: ["x-header-remove"] } } }),
    ]);
    await serve(gw);
    const r = await request(gw.port, "/", { headers: { "X-Header-Set": "some-other-value", "X-Header-Add": "add-value", "X-Header-Remove": "gone" } });
    expect(r.echo?.headers["x-header-set"]).toBe("set-overwrites-values");
    expect(r.echo?.headers["x-header-add"]).toBe("add-value, add-appends-values");
    expect(r.echo?.headers["x-header-remove"]).toBeUndefined();
  });

  it("ResponseHeaderModifier (HTTPRouteResponseHeaderModifier) edits the backend's response", async () => {
    await pods("web");
    const gw = await gatewayServer([route({ kind: "prefix", path: "/" }, [svc("web")], { options: { responseHeaders: { set: [{ name: "x-set", value: "1" }], add: [], remove: ["content-type"] } } })]);
    await serve(gw);
    const r = await request(gw.port, "/");
    expect(r.headers["x-set"]).toBe("1");
    expect(r.headers["content-type"]).toBeUndefined();
  });

  it("URLRewrite (HTTPRouteRewritePath, HTTPRouteRewriteHost): the prefix is replaced, the query kept, Host replaced", async () => {
    await pods("web");
    const gw = await gatewayServer([
      route({ kind: "prefix", path: "/prefix/one" }, [svc("web")], { options: { urlRewrite: { path: { kind: "prefix", prefix: "/one" } } } }),
      route({ kind: "prefix", path: "/strip" }, [svc("web")], { options: { urlRewrite: { path: { kind: "prefix", prefix: "/" } } } }),
      route({ kind: "prefix", path: "/full" }, [svc("web")], { options: { urlRewrite: { path: { kind: "full", path: "/one" }, hostname: "one.example.org" } } }),
    ]);
    await serve(gw);
    expect((await request(gw.port, "/prefix/one/two?a=b")).echo?.url).toBe("/one/two?a=b");
    expect((await request(gw.port, "/strip/two")).echo?.url).toBe("/two");
    expect((await request(gw.port, "/strip")).echo?.url).toBe("/");
    const full = await request(gw.port, "/full/x/y");
    expect(full.echo?.url).toBe("/one");
    expect(full.echo?.headers.host).toBe("one.example.org");
  });

  it("RequestRedirect (HTTPRouteRedirectHostAndStatus, -Scheme, -Port, -Path) answers without a backend", async () => {
    const gw = await gatewayServer(
      [
        route({ kind: "prefix", path: "/hostname-redirect" }, [], { options: { redirect: { hostname: "example.org", status: 302 } } }),
        route({ kind: "prefix", path: "/host-and-status" }, [], { options: { redirect: { hostname: "example.org", status: 301 } } }),
        route({ kind: "prefix", path: "/scheme" }, [], { options: { redirect: { scheme: "https", status: 302 } } }),
        route({ kind: "prefix", path: "/port" }, [], { options: { redirect: { port: 8083, status: 302 } } }),
        route({ kind: "prefix", path: "/prefix" }, [], { options: { redirect: { path: { kind: "prefix", prefix: "/replacement" }, status: 302 } } }),
      ],
      8080,
    );
    await serve(gw);
    const loc = async (url: string) => {
      const r = await request(gw.port, url, { host: "example.com:8080" });
      return [r.status, r.headers.location];
    };
    expect(await loc("/hostname-redirect")).toEqual([302, "http://example.org:8080/hostname-redirect"]);
    expect(await loc("/host-and-status")).toEqual([301, "http://example.org:8080/host-and-status"]);
    expect(await loc("/scheme?x=1")).toEqual([302, "https://example.com/scheme?x=1"]);
    expect(await loc("/port")).toEqual([302, "http://example.com:8083/port"]);
    expect(await loc("/prefix/one")).toEqual([302, "http://example.com:8080/replacement/one"]);
  });
});

describe("filters, pure", () => {
  // httproute_types.go HTTPPathModifier ReplacePrefixMatch table
  it.each([
    ["/foo", "/foo/bar", "/xyz", "/xyz/bar"],
    ["/foo", "/foo", "/xyz", "/xyz"],
    ["/foo/", "/foo/", "/xyz", "/xyz/"],
    ["/foo", "/foo/bar", "/", "/bar"],
    ["/foo", "/foo", "/", "/"],
    ["/", "/foo", "/xyz", "/xyz/foo"],
    ["/foo", "/foo/bar", "/xyz/", "/xyz/bar"],
  ])("ReplacePrefixMatch: prefix %s, request %s, replacement %s → %s", (prefix, path, replacement, expected) => {
    expect(modifiedPath({ kind: "prefix", prefix: replacement }, { kind: "prefix", path: prefix }, path)).toBe(expected);
  });

  it("a redirect leaves out the scheme's well-known port, keeps the listener's otherwise", () => {
    const at = (scheme: "http" | "https", listenerPort: number) => ({ scheme, host: "a.test:9", url: "/p", listenerPort });
    expect(redirectLocation({ status: 302 }, { kind: "prefix", path: "/" }, at("http", 80))).toBe("http://a.test/p");
    expect(redirectLocation({ status: 302, scheme: "https" }, { kind: "prefix", path: "/" }, at("http", 8080))).toBe("https://a.test/p");
    expect(redirectLocation({ status: 302, scheme: "http" }, { kind: "prefix", path: "/" }, at("https", 443))).toBe("http://a.test/p");
    expect(redirectLocation({ status: 302, scheme: "https", port: 8443 }, { kind: "prefix", path: "/" }, at("http", 80))).toBe("https://a.test:8443/p");
  });

  it("header edits on a header sent several times join its values", () => {
    const h: http.IncomingHttpHeaders = { "set-cookie": ["a=1", "b=2"] };
    expect(applyHeaderEdits(h, { set: [], add: [{ name: "set-cookie", value: "c=3" }], remove: [] })["set-cookie"]).toBe("a=1, b=2, c=3");
  });
});
