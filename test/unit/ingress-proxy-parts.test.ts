// The router's pure decisions, exactly: upstream headers (ingress-nginx's
// nginx.tmpl, reference §7), rewrite-target (nginx `rewrite` replaces the
// whole URI, keeps the arguments), source ranges, round robin with retries,
// affinity keys and cookies.
import { describe, expect, it } from "vitest";
import { AffinityKeys, affinityCookie, cookieValue } from "../../src/ingress/proxy/affinity.js";
import { RoundRobin } from "../../src/ingress/proxy/balancer.js";
import { declaredTooLarge } from "../../src/ingress/proxy/body.js";
import { clientAddress, peerAddress, upstreamHeaders } from "../../src/ingress/proxy/headers.js";
import { statusPage } from "../../src/ingress/proxy/responses.js";
import { httpsLocation, locationPath, rewriteUrl } from "../../src/ingress/proxy/rewrite.js";
import { compileRanges, sourceAllowed } from "../../src/ingress/proxy/source-ranges.js";
import { DEFAULT_ROUTE_OPTIONS } from "../../src/ingress/translate-ingress.js";
import type { PathMatch, Route } from "../../src/ingress/table.js";

const route = (path: PathMatch, rewriteTarget?: string): Route => ({
  source: "test",
  path,
  backends: [{ weight: 1, backend: { namespace: "default", service: "s", port: { number: 80 } } }],
  options: { ...DEFAULT_ROUTE_OPTIONS, ...(rewriteTarget !== undefined ? { rewriteTarget } : {}) },
});

describe("upstream headers", () => {
  const http = { scheme: "http" as const, port: 80 };
  it("replaces X-Forwarded-For and keeps the incoming value aside", () => {
    const h = upstreamHeaders({ host: "a.test", "x-forwarded-for": "9.9.9.9", proxy: "x", expect: "100-continue", connection: "close", "keep-alive": "timeout=5", te: "trailers" }, "10.0.0.7", http, false, false, () => "id");
    expect(h).toMatchObject({ host: "a.test", "x-real-ip": "10.0.0.7", "x-forwarded-for": "10.0.0.7", "x-original-forwarded-for": "9.9.9.9", "x-forwarded-host": "a.test", "x-forwarded-port": "80", "x-forwarded-proto": "http", "x-forwarded-scheme": "http", "x-scheme": "http", "x-request-id": "id" });
    expect(h.proxy).toBeUndefined();
    expect(h.expect).toBeUndefined();
    expect(h.connection).toBeUndefined();
    expect(h["keep-alive"]).toBeUndefined();
    expect(h.te).toBeUndefined();
  });
  it("a websocket handshake keeps Upgrade with Connection: upgrade", () => {
    const h = upstreamHeaders({ host: "a", upgrade: "websocket", connection: "keep-alive, Upgrade" }, "10.0.0.7", http, false, true);
    expect(h).toMatchObject({ upgrade: "websocket", connection: "upgrade" });
  });
  it("a client cannot forge X-Original-Forwarded-For", () => {
    expect(upstreamHeaders({ host: "a", "x-original-forwarded-for": "6.6.6.6" }, "10.0.0.7", http, false)["x-original-forwarded-for"]).toBeUndefined();
  });
  it("an empty X-Request-ID is replaced by a generated one", () => {
    expect(upstreamHeaders({ host: "a", "x-request-id": "" }, "1.1.1.1", http, false, false, () => "gen")["x-request-id"]).toBe("gen");
  });
  it("trusted forwarded headers: the leftmost valid address is the client, the peer is appended", () => {
    expect(clientAddress({ "x-forwarded-for": "1.2.3.4, 5.6.7.8" }, "10.0.0.1", true)).toBe("1.2.3.4");
    expect(clientAddress({ "x-forwarded-for": "garbage" }, "10.0.0.1", true)).toBe("10.0.0.1");
    expect(clientAddress({ "x-forwarded-for": "1.2.3.4" }, "10.0.0.1", false)).toBe("10.0.0.1");
    const h = upstreamHeaders({ host: "a", "x-forwarded-for": "1.2.3.4" }, "10.0.0.1", { scheme: "https", port: 443 }, true);
    expect(h["x-forwarded-for"]).toBe("1.2.3.4, 10.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("https");
  });
  it("an IPv4-mapped peer is shown as IPv4", () => {
    expect(peerAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(peerAddress("fd00::1")).toBe("fd00::1");
  });
});

describe("rewrite-target", () => {
  const re = (source: string): PathMatch => ({ kind: "regex", source: `^${source}`, caseInsensitive: true });
  it("replaces the whole path by the target with its captures (ING docs/examples/rewrite)", () => {
    const r = route(re("/something(/|$)(.*)"), "/$2");
    expect(rewriteUrl(r, "/something")).toBe("/");
    expect(rewriteUrl(r, "/SOMETHING/new")).toBe("/new");
    expect(rewriteUrl(r, "/something/new?a=1")).toBe("/new?a=1");
    expect(rewriteUrl(route(re("/api(/|$)(.*)"), "/v2/$2?from=api"), "/api/x?a=1")).toBe("/v2/x?from=api&a=1");
    expect(rewriteUrl(route(re("/a"), "/"), "/b")).toBeUndefined();
    expect(rewriteUrl(route(re("/a")), "/a")).toBeUndefined();
  });
  it("a rewrite-target of `/` sends every path of the route to / (the pre-0.22 surprise, reference §10)", () => {
    expect(rewriteUrl(route(re("/app")), "/app/x")).toBeUndefined();
    expect(rewriteUrl(route(re("/app"), "/"), "/app/x/y")).toBe("/");
  });
  it("the location path (session-cookie-path's default) is the path as written", () => {
    expect(locationPath(re("/something(/|$)(.*)"))).toBe("/something(/|$)(.*)");
    expect(locationPath({ kind: "prefix", path: "/shop" })).toBe("/shop");
  });
  it("https redirect keeps the URI, drops the Host's port and one trailing slash (ING lua_ingress.lua, preserve-trailing-slash false)", () => {
    expect(httpsLocation("a.test:8080", "/x?y=1")).toBe("https://a.test/x?y=1");
    expect(httpsLocation("a.test", "/x/")).toBe("https://a.test/x");
    expect(httpsLocation("[fd00::1]:80", "/")).toBe("https://[fd00::1]");
  });
});

describe("source ranges and body limits", () => {
  it("CIDRs and bare addresses; everything else is denied", () => {
    const r = compileRanges(["10.0.0.0/8", "192.168.1.7", "fd00::/8", "not-a-cidr"]);
    expect(r).toHaveLength(3);
    expect(sourceAllowed(r, "10.1.2.3")).toBe(true);
    expect(sourceAllowed(r, "::ffff:10.1.2.3")).toBe(true);
    expect(sourceAllowed(r, "192.168.1.7")).toBe(true);
    expect(sourceAllowed(r, "192.168.1.8")).toBe(false);
    expect(sourceAllowed(r, "fd12::1")).toBe(true);
    expect(sourceAllowed(r, "")).toBe(false);
  });
  it("Content-Length over the limit; 0 is no limit", () => {
    expect(declaredTooLarge({ "content-length": "11" }, 10)).toBe(true);
    expect(declaredTooLarge({ "content-length": "10" }, 10)).toBe(false);
    expect(declaredTooLarge({ "content-length": "99999999" }, 0)).toBe(false);
    expect(declaredTooLarge({}, 10)).toBe(false);
  });
  it("status pages carry nginx's reason phrases", () => {
    expect(statusPage(504)).toContain("<title>504 Gateway Time-out</title>");
    expect(statusPage(503)).toContain("503 Service Temporarily Unavailable");
  });
});

describe("round robin", () => {
  const eps = [1, 2, 3].map((i) => ({ ip: `10.0.0.${i}`, port: 80 }));
  it("cycles per backend and skips endpoints already tried", () => {
    const rr = new RoundRobin();
    expect([0, 1, 2, 3].map(() => rr.pick("a", eps)!.ip)).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1"]);
    expect(rr.pick("b", eps)!.ip).toBe("10.0.0.1");
    expect(rr.pick("a", eps, new Set(["10.0.0.2:80"]))!.ip).toBe("10.0.0.3");
    expect(rr.pick("a", eps, new Set(["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"]))).toBeUndefined();
    expect(rr.pick("a", [])).toBeUndefined();
  });
});

describe("affinity", () => {
  const eps = [{ ip: "10.244.1.5", port: 8080 }, { ip: "10.244.2.9", port: 8080 }];
  it("keys are opaque, stable for one secret, different across secrets, and map back", () => {
    const k = new AffinityKeys(Buffer.from("s1"));
    const key = k.keyOf(eps[1]!);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(new AffinityKeys(Buffer.from("s1")).keyOf(eps[1]!)).toBe(key);
    expect(new AffinityKeys(Buffer.from("s2")).keyOf(eps[1]!)).not.toBe(key);
    expect(k.endpointOf(key, eps)).toEqual(eps[1]);
    expect(k.endpointOf(key, [eps[0]!])).toBeUndefined();
    expect(k.endpointOf("10.244.2.9:8080", eps)).toBeUndefined();
  });
  it("reads the named cookie among others", () => {
    expect(cookieValue("a=1; INGRESSCOOKIE=abc; b=2", "INGRESSCOOKIE")).toBe("abc");
    expect(cookieValue('INGRESSCOOKIE="q"', "INGRESSCOOKIE")).toBe("q");
    expect(cookieValue("XINGRESSCOOKIE=abc", "INGRESSCOOKIE")).toBeUndefined();
    expect(cookieValue(undefined, "x")).toBeUndefined();
  });
  it("Set-Cookie with path, expires, max-age and HttpOnly", () => {
    const now = new Date(Date.UTC(2026, 0, 1));
    expect(affinityCookie({ name: "route", mode: "balanced", maxAgeSeconds: 60, expiresSeconds: 3600 }, "k", "/shop", now)).toBe("route=k; Path=/shop; Expires=Thu, 01 Jan 2026 01:00:00 GMT; Max-Age=60; HttpOnly");
    expect(affinityCookie({ name: "route", mode: "persistent", path: "/" }, "k", "/shop", now)).toBe("route=k; Path=/; HttpOnly");
  });
});
