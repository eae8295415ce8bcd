// The Ingress router's data plane against real sockets on 127.0.0.1: small
// in-process upstreams stand in for pods, a table built by
// translateIngresses for the Ingress objects. Expected behaviour is
// ingress-nginx's (../shared/reference/ingress.md §4, §6, §7, §11) and the
// cases follow its e2e tests' shape (test/e2e/annotations/{rewrite,approot,
// affinity,ipallowlist,proxy}.go, test/e2e/defaultbackend, test/e2e/
// servicebackend, test/e2e/settings/forwarded_headers.go).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { WebSocket, WebSocketServer } from "ws";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IIngressClass } from "kubernetes-models/networking.k8s.io/v1/IngressClass";
import { translateIngresses } from "../../src/ingress/translate-ingress.js";
import { closers, echoPod, listen, request, type Echo } from "../support/http-echo.js";
import { IngressRouter, type Endpoint, type Resolution } from "../../src/ingress/proxy/router.js";
import type { ServiceBackend } from "../../src/ingress/table.js";

type Ing = IIngress & { metadata: NonNullable<IIngress["metadata"]> };
const nginxClass: IIngressClass & { metadata: { name: string } } = { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "nginx" }, spec: { controller: "k8s.io/ingress-nginx" } };

let clock = 0;
function ingress(name: string, rules: Array<{ host?: string; paths: Array<[string, string]>; pathType?: "Exact" | "Prefix" | "ImplementationSpecific" }>, annotations: Record<string, string> = {}, tlsHosts: string[] = []): Ing {
  clock++;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: "default", creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, clock)).toISOString(), annotations },
    spec: {
      ingressClassName: "nginx",
      ...(tlsHosts.length ? { tls: [{ hosts: tlsHosts, secretName: "cert" }] } : {}),
      rules: rules.map((r) => ({
        ...(r.host ? { host: r.host } : {}),
        http: { paths: r.paths.map(([p, svc]) => ({ path: p, pathType: r.pathType ?? "Prefix", backend: { service: { name: svc, port: { number: 80 } } } })) },
      })),
    },
  };
}
const tableOf = (...ings: Ing[]) => translateIngresses(ings, [nginxClass]);

// ---------------------------------------------------------------------------
// Upstreams: "pods" that echo what they received, named so a response tells which one answered.

/** A pod that resets each connection once the request arrives: counts how often the router tried it. */
async function resettingPod(): Promise<{ endpoint: Endpoint; connections: () => number }> {
  let n = 0;
  const server = net.createServer((s) => {
    n++;
    s.once("data", () => s.resetAndDestroy());
  });
  return { endpoint: { ip: "127.0.0.1", port: await listen(server) }, connections: () => n };
}

/** A pod that accepts and never answers. */
async function silentPod(): Promise<Endpoint> {
  const held: net.Socket[] = [];
  const server = net.createServer((s) => void held.push(s));
  closers.push(async () => held.forEach((s) => s.destroy()));
  return { ip: "127.0.0.1", port: await listen(server) };
}

/**
 * An address whose connects hang: a listener (in a child whose event loop
 * is blocked, so it never accepts) with a full accept queue; the kernel drops
 * further SYNs, as a black-holed pod would.
 */
async function blackHole(): Promise<Endpoint> {
  const child = spawn(process.execPath, ["-e", "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0)})"], { stdio: ["ignore", "pipe", "inherit"] });
  closers.push(async () => void child.kill("SIGKILL"));
  const port = await new Promise<number>((r) => child.stdout.once("data", (d: Buffer) => r(Number(String(d).trim()))));
  // backlog 1 queues two connections (0 would mean Node's default): take both places
  for (let i = 0; i < 2; i++) {
    const filler = net.connect(port, "127.0.0.1");
    closers.push(async () => void filler.destroy());
    await new Promise((r) => filler.once("connect", r));
  }
  return { ip: "127.0.0.1", port };
}

/** A port nothing listens on (connections are refused). */
async function closedPort(): Promise<Endpoint> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return { ip: "127.0.0.1", port };
}

// ---------------------------------------------------------------------------
// The router under test, with services resolved from a map the test controls.

const services = new Map<string, Resolution>();
const resolve = (b: ServiceBackend): Resolution => services.get(b.service) ?? { error: `service ${b.namespace}/${b.service} not found` };
let router: IngressRouter | undefined;

async function startRouter(...ings: Ing[]): Promise<number> {
  router = new IngressRouter({ resolve, http: { host: "127.0.0.1", port: 0 } });
  router.setTable(tableOf(...ings));
  return (await router.start()).httpPort;
}

afterEach(async () => {
  await router?.stop();
  router = undefined;
  services.clear();
  for (const close of closers.splice(0)) await close();
});

// ---------------------------------------------------------------------------

describe("routing and statuses (reference §4, §7 \"Error statuses\")", () => {
  it("routes by host and path; nothing matched is 404 from the default backend", async () => {
    services.set("api", { endpoints: [await echoPod("api")] });
    services.set("web", { endpoints: [await echoPod("web")] });
    services.set("other", { endpoints: [await echoPod("other")] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/api", "api"], ["/", "web"]] }, { host: "bar.test", paths: [["/", "other"]] }]));
    expect((await request(port, "/api/v1?x=1", { host: "foo.test" })).echo).toMatchObject({ name: "api", url: "/api/v1?x=1" });
    expect((await request(port, "/apix", { host: "foo.test:8080" })).echo?.name).toBe("web");
    expect((await request(port, "/", { host: "BAR.test" })).echo?.name).toBe("other");
    // ING test/e2e/defaultbackend: any other host → 404
    const miss = await request(port, "/", { host: "unknown.test" });
    expect(miss.status).toBe(404);
    expect(miss.text).toContain("404 Not Found");
    expect((await request(port, "/", { host: "unknown.test", method: "POST", body: "x" })).status).toBe(404);
  });

  it("503 when the Service has no ready endpoint or cannot be resolved (ING servicebackend e2e)", async () => {
    services.set("empty", { endpoints: [] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/empty", "empty"], ["/missing", "missing"]] }]));
    const empty = await request(port, "/empty", { host: "foo.test" });
    expect(empty.status).toBe(503);
    expect(empty.text).toContain("503 Service Temporarily Unavailable");
    expect((await request(port, "/missing", { host: "foo.test" })).status).toBe(503);
  });

  it("a refused endpoint is passed over for the next one (proxy-next-upstream error); all refused → 502", async () => {
    services.set("half", { endpoints: [await closedPort(), await echoPod("alive")] });
    services.set("dead", { endpoints: [await closedPort(), await closedPort()] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/half", "half"], ["/dead", "dead"]] }]));
    for (let i = 0; i < 4; i++) {
      const r = await request(port, "/half", { host: "foo.test", method: "POST", body: "payload" });
      expect(r.status).toBe(200);
      expect(r.echo).toMatchObject({ name: "alive", body: "payload" }); // the body survives the retry
    }
    const dead = await request(port, "/dead", { host: "foo.test" });
    expect(dead.status).toBe(502);
    expect(dead.text).toContain("502 Bad Gateway");
  });

  it("tries at most 3 endpoints (proxy-next-upstream-tries 3), then 502", async () => {
    const pods = [await resettingPod(), await resettingPod(), await resettingPod(), await resettingPod()];
    services.set("resets", { endpoints: pods.map((p) => p.endpoint) });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/", "resets"]] }]));
    expect((await request(port, "/", { host: "foo.test" })).status).toBe(502);
    expect(pods.reduce((n, p) => n + p.connections(), 0)).toBe(3);
    // A POST that reached an endpoint is not repeated elsewhere (nginx: non-idempotent requests are not passed on once sent).
    expect((await request(port, "/", { host: "foo.test", method: "POST", body: "once" })).status).toBe(502);
    expect(pods.reduce((n, p) => n + p.connections(), 0)).toBe(4);
  });

  it("504 when the upstream does not answer within proxy-read-timeout", async () => {
    services.set("silent", { endpoints: [await silentPod()] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/", "silent"]] }], { "nginx.ingress.kubernetes.io/proxy-read-timeout": "1" }));
    const started = Date.now();
    const r = await request(port, "/", { host: "foo.test" });
    expect(r.status).toBe(504);
    expect(r.text).toContain("504 Gateway Time-out");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("a connect that hangs past proxy-connect-timeout is passed to the next endpoint; the last one → 504", async () => {
    const hole = await blackHole();
    services.set("half", { endpoints: [hole, await echoPod("alive")] });
    services.set("hole", { endpoints: [hole] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/half", "half"], ["/hole", "hole"]] }], { "nginx.ingress.kubernetes.io/proxy-connect-timeout": "1" }));
    let started = Date.now();
    const half = await request(port, "/half", { host: "foo.test" });
    expect(half.echo?.name).toBe("alive");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    started = Date.now();
    const r = await request(port, "/hole", { host: "foo.test" });
    expect(r.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("413 over proxy-body-size: a declared Content-Length at once, a chunked body while it streams", async () => {
    services.set("app", { endpoints: [await echoPod("app")] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/", "app"]] }], { "nginx.ingress.kubernetes.io/proxy-body-size": "10" }));
    const declared = await request(port, "/", { host: "foo.test", method: "POST", body: "x".repeat(20) });
    expect(declared.status).toBe(413);
    expect(declared.text).toContain("413 Request Entity Too Large");
    expect((await request(port, "/", { host: "foo.test", method: "POST", body: ["xxxxxx", "xxxxxx"] })).status).toBe(413);
    const small = await request(port, "/", { host: "foo.test", method: "POST", body: ["abc", "de"] });
    expect(small.status).toBe(200);
    expect(small.echo).toMatchObject({ body: "abcde" });
    expect(small.echo?.headers["content-length"]).toBe("5");
  });

  it("403 for a client outside allowlist-source-range; allowed inside it", async () => {
    services.set("app", { endpoints: [await echoPod("app")] });
    const port = await startRouter(
      ingress("a", [{ host: "deny.test", paths: [["/", "app"]] }], { "nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8, 192.168.0.0/16" }),
      ingress("b", [{ host: "allow.test", paths: [["/", "app"]] }], { "nginx.ingress.kubernetes.io/allowlist-source-range": "10.0.0.0/8,127.0.0.0/8" }),
    );
    const denied = await request(port, "/", { host: "deny.test" });
    expect(denied.status).toBe(403);
    expect(denied.text).toContain("403 Forbidden");
    expect((await request(port, "/", { host: "allow.test" })).status).toBe(200);
  });

  it("app-root answers / with 302 to it, other paths are proxied (ING e2e approot.go)", async () => {
    services.set("app", { endpoints: [await echoPod("app")] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/", "app"]] }], { "nginx.ingress.kubernetes.io/app-root": "/app1" }));
    const r = await request(port, "/", { host: "foo.test" });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe("/app1");
    expect((await request(port, "/app1", { host: "foo.test" })).echo?.url).toBe("/app1");
  });

  it("plain HTTP to a TLS host (or force-ssl-redirect) is redirected with 308 to https://host/uri", async () => {
    services.set("app", { endpoints: [await echoPod("app")] });
    const port = await startRouter(
      ingress("a", [{ host: "tls.test", paths: [["/", "app"]] }], {}, ["tls.test"]),
      ingress("b", [{ host: "forced.test", paths: [["/", "app"]] }], { "nginx.ingress.kubernetes.io/force-ssl-redirect": "true" }),
      ingress("c", [{ host: "plain.test", paths: [["/", "app"]] }]),
    );
    const r = await request(port, "/a/b?x=1", { host: "tls.test:8080" });
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe("https://tls.test/a/b?x=1");
    expect((await request(port, "/docs/", { host: "forced.test" })).headers.location).toBe("https://forced.test/docs");
    expect((await request(port, "/", { host: "plain.test" })).status).toBe(200);
  });

  it("behind a trusted TLS-terminating proxy (use-forwarded-headers, X-Forwarded-Proto: https) there is no redirect (ING lua_ingress.lua)", async () => {
    services.set("app", { endpoints: [await echoPod("app")] });
    const port = await startRouter(ingress("a", [{ host: "tls.test", paths: [["/", "app"]] }], { "nginx.ingress.kubernetes.io/use-forwarded-headers": "true" }, ["tls.test"]));
    expect((await request(port, "/", { host: "tls.test", headers: { "x-forwarded-proto": "https" } })).status).toBe(200);
    const r = await request(port, "/x", { host: "tls.test", headers: { "x-forwarded-host": "outer.test, inner.test" } });
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe("https://outer.test/x");
  });
});

describe("request headers to the backend (reference §7, nginx.tmpl location block)", () => {
  it("X-Forwarded-For is replaced by the client address, the incoming one kept in X-Original-Forwarded-For", async () => {
    services.set("app", { endpoints: [await echoPod("app")] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/", "app"]] }]));
    const h = (await request(port, "/p", { host: "foo.test:1234", headers: { "x-forwarded-for": "1.2.3.4", "x-forwarded-host": "evil.test", "x-forwarded-proto": "https", proxy: "http://evil:1" } })).echo!.headers;
    expect(h.host).toBe("foo.test:1234");
    expect(h["x-real-ip"]).toBe("127.0.0.1");
    expect(h["x-forwarded-for"]).toBe("127.0.0.1");
    expect(h["x-original-forwarded-for"]).toBe("1.2.3.4");
    expect(h["x-forwarded-host"]).toBe("foo.test:1234");
    expect(h["x-forwarded-port"]).toBe(String(port));
    expect(h["x-forwarded-proto"]).toBe("http");
    expect(h["x-forwarded-scheme"]).toBe("http");
    expect(h["x-scheme"]).toBe("http");
    expect(h.proxy).toBeUndefined();
    expect(h["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    const plain = (await request(port, "/", { host: "foo.test" })).echo!.headers;
    expect(plain["x-original-forwarded-for"]).toBeUndefined();
    expect(plain["x-request-id"]).not.toBe(h["x-request-id"]);
  });

  it("X-Request-ID sent by the client is kept", async () => {
    services.set("app", { endpoints: [await echoPod("app")] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/", "app"]] }]));
    expect((await request(port, "/", { host: "foo.test", headers: { "x-request-id": "my-trace-1" } })).echo!.headers["x-request-id"]).toBe("my-trace-1");
  });

  it("with use-forwarded-headers the client's headers are trusted and X-Forwarded-For appended (ING forwarded_headers.go)", async () => {
    services.set("app", { endpoints: [await echoPod("app")] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/", "app"]] }], { "nginx.ingress.kubernetes.io/use-forwarded-headers": "true" }));
    const h = (await request(port, "/", { host: "foo.test", headers: { "x-forwarded-for": "1.2.3.4, 5.6.7.8", "x-forwarded-host": "front.test", "x-forwarded-proto": "https", "x-forwarded-port": "443" } })).echo!.headers;
    expect(h["x-forwarded-for"]).toBe("1.2.3.4, 5.6.7.8, 127.0.0.1");
    expect(h["x-real-ip"]).toBe("1.2.3.4");
    expect(h["x-forwarded-host"]).toBe("front.test");
    expect(h["x-forwarded-proto"]).toBe("https");
    expect(h["x-forwarded-port"]).toBe("443");
  });
});

describe("rewrite-target and load balancing", () => {
  it("rewrite-target /$2 with path /something(/|$)(.*) (ING docs/examples/rewrite)", async () => {
    services.set("app", { endpoints: [await echoPod("app")] });
    const port = await startRouter(ingress("a", [{ host: "rewrite.test", pathType: "ImplementationSpecific", paths: [["/something(/|$)(.*)", "app"]] }], { "nginx.ingress.kubernetes.io/rewrite-target": "/$2" }));
    const urlAt = async (p: string) => (await request(port, p, { host: "rewrite.test" })).echo?.url;
    expect(await urlAt("/something")).toBe("/");
    expect(await urlAt("/something/")).toBe("/");
    expect(await urlAt("/something/new")).toBe("/new");
    expect(await urlAt("/something/new/deeper?x=1&y=2")).toBe("/new/deeper?x=1&y=2");
    expect((await request(port, "/other", { host: "rewrite.test" })).status).toBe(404);
  });

  it("round robin spreads requests evenly over the ready endpoints", async () => {
    services.set("app", { endpoints: [await echoPod("p1"), await echoPod("p2"), await echoPod("p3")] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/", "app"]] }]));
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const name = (await request(port, "/", { host: "foo.test" })).echo!.name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ p1: 10, p2: 10, p3: 10 });
  });
});

describe("upstream connections", () => {
  it("are kept alive and reused across requests (ingress-nginx upstream keepalive)", async () => {
    const pod = await echoPod("app");
    let connections = 0;
    const counter = net.createServer((client) => {
      connections++;
      const upstream = net.connect(pod.port, pod.ip);
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
      closers.push(async () => void client.destroy());
    });
    services.set("app", { endpoints: [{ ip: "127.0.0.1", port: await listen(counter) }] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/", "app"]] }]));
    for (let i = 0; i < 10; i++) expect((await request(port, "/", { host: "foo.test" })).status).toBe(200);
    expect(connections).toBe(1);
  });
});

describe("cookie affinity (reference §7; ING docs/examples/affinity/cookie, e2e affinity.go)", () => {
  const sticky = { "nginx.ingress.kubernetes.io/affinity": "cookie" };

  it("the first response sets an opaque cookie; with it, the same endpoint 20 times; without it, spread", async () => {
    const pods = [await echoPod("p1"), await echoPod("p2"), await echoPod("p3")];
    services.set("app", { endpoints: pods });
    const port = await startRouter(ingress("a", [{ host: "sticky.test", paths: [["/shop", "app"]] }], { ...sticky, "nginx.ingress.kubernetes.io/session-cookie-max-age": "172800" }));
    const first = await request(port, "/shop/cart", { host: "sticky.test" });
    const cookies = first.headers["set-cookie"]!;
    expect(cookies).toContain("app=1; Path=/"); // the upstream's own cookie is kept
    const ours = cookies.find((c) => c.startsWith("INGRESSCOOKIE="))!;
    expect(ours).toMatch(/^INGRESSCOOKIE=[0-9a-f]{32}; Path=\/shop; Max-Age=172800; HttpOnly$/);
    for (const p of pods) expect(ours).not.toContain(String(p.port));
    const value = ours.split(";")[0]!;
    for (let i = 0; i < 20; i++) {
      const r = await request(port, "/shop", { host: "sticky.test", headers: { cookie: `other=x; ${value}` } });
      expect(r.echo!.name).toBe(first.echo!.name);
      expect((r.headers["set-cookie"] ?? []).some((c) => c.startsWith("INGRESSCOOKIE="))).toBe(false);
    }
    const names = new Set<string>();
    for (let i = 0; i < 6; i++) names.add((await request(port, "/shop", { host: "sticky.test" })).echo!.name);
    expect(names.size).toBe(3);
  });

  it("an unknown key, or an endpoint gone from the backend, gets a fresh pick and a new cookie", async () => {
    const pods = [await echoPod("p1"), await echoPod("p2")];
    services.set("app", { endpoints: pods });
    const port = await startRouter(ingress("a", [{ host: "sticky.test", paths: [["/", "app"]] }], { ...sticky, "nginx.ingress.kubernetes.io/session-cookie-name": "route" }));
    const bogus = await request(port, "/", { host: "sticky.test", headers: { cookie: "route=0123456789abcdef0123456789abcdef" } });
    expect(bogus.headers["set-cookie"]?.some((c) => /^route=[0-9a-f]{32}; Path=\/; HttpOnly$/.test(c))).toBe(true);

    const first = await request(port, "/", { host: "sticky.test" });
    const value = first.headers["set-cookie"]!.find((c) => c.startsWith("route="))!.split(";")[0]!;
    services.set("app", { endpoints: pods.filter((_, i) => ["p1", "p2"][i] !== first.echo!.name) });
    const moved = await request(port, "/", { host: "sticky.test", headers: { cookie: value } });
    expect(moved.echo!.name).not.toBe(first.echo!.name);
    const renewed = moved.headers["set-cookie"]!.find((c) => c.startsWith("route="))!.split(";")[0]!;
    expect(renewed).not.toBe(value);
    for (let i = 0; i < 5; i++) expect((await request(port, "/", { host: "sticky.test", headers: { cookie: renewed } })).echo!.name).toBe(moved.echo!.name);
  });

  it("two routers sharing the secret read each other's cookies (one router per core)", async () => {
    const pods = [await echoPod("p1"), await echoPod("p2"), await echoPod("p3")];
    services.set("app", { endpoints: pods });
    const secret = Buffer.from("shared secret of the two router processes");
    const table = tableOf(ingress("a", [{ host: "sticky.test", paths: [["/", "app"]] }], sticky));
    const one = new IngressRouter({ resolve, http: { host: "127.0.0.1", port: 0 }, affinitySecret: secret });
    const two = new IngressRouter({ resolve, http: { host: "127.0.0.1", port: 0 }, affinitySecret: secret });
    one.setTable(table);
    two.setTable(table);
    const [p1, p2] = [(await one.start()).httpPort, (await two.start()).httpPort];
    try {
      const first = await request(p1, "/", { host: "sticky.test" });
      const value = first.headers["set-cookie"]!.find((c) => c.startsWith("INGRESSCOOKIE="))!.split(";")[0]!;
      for (let i = 0; i < 5; i++) expect((await request(p2, "/", { host: "sticky.test", headers: { cookie: value } })).echo!.name).toBe(first.echo!.name);
    } finally {
      await one.stop();
      await two.stop();
    }
  });
});

describe("table swaps and websockets (reference §7 \"WebSockets\", §11)", () => {
  async function wsEchoPod(): Promise<Endpoint> {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    wss.on("connection", (socket, req) => socket.on("message", (data) => socket.send(`${req.url} ${req.headers["x-forwarded-for"]} ${String(data)}`)));
    closers.push(async () => wss.clients.forEach((c) => c.terminate()));
    return { ip: "127.0.0.1", port: await listen(server) };
  }
  const open = (port: number, host: string, p = "/ws") =>
    new Promise<WebSocket>((resolveWs, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${p}`, { headers: { host } });
      ws.once("open", () => resolveWs(ws));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    });
  const roundTrip = (ws: WebSocket, text: string) =>
    new Promise<string>((resolveMsg) => {
      ws.once("message", (data) => resolveMsg(String(data)));
      ws.send(text);
    });

  it("a websocket is routed like HTTP and survives a setTable() that drops its route; new ones get 404", async () => {
    services.set("chat", { endpoints: [await wsEchoPod()] });
    const port = await startRouter(ingress("a", [{ host: "chat.test", paths: [["/ws", "chat"]] }]));
    const ws = await open(port, "chat.test");
    expect(await roundTrip(ws, "hello")).toBe("/ws 127.0.0.1 hello");
    router!.setTable(tableOf(ingress("b", [{ host: "other.test", paths: [["/", "chat"]] }])));
    expect(await roundTrip(ws, "still here")).toBe("/ws 127.0.0.1 still here");
    await expect(open(port, "chat.test")).rejects.toThrow("status 404");
    ws.close();
  });

  it("an idle websocket is closed after proxy-read-timeout (reference §10 #3), a chatty one is not", async () => {
    services.set("chat", { endpoints: [await wsEchoPod()] });
    const port = await startRouter(ingress("a", [{ host: "chat.test", paths: [["/ws", "chat"]] }], { "nginx.ingress.kubernetes.io/proxy-read-timeout": "1", "nginx.ingress.kubernetes.io/proxy-send-timeout": "1" }));
    const chatty = await open(port, "chat.test");
    const idle = await open(port, "chat.test");
    const started = Date.now();
    const idleClosed = new Promise<number>((r) => idle.once("close", () => r(Date.now() - started)));
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 300));
      expect(await roundTrip(chatty, `m${i}`)).toBe(`/ws 127.0.0.1 m${i}`);
    }
    const after = await idleClosed;
    expect(after).toBeGreaterThanOrEqual(900);
    expect(after).toBeLessThan(3000);
    expect(chatty.readyState).toBe(WebSocket.OPEN);
    chatty.close();
  });

  it("an upgrade that matches nothing gets 404 and its socket is closed", async () => {
    const port = await startRouter(ingress("a", [{ host: "chat.test", paths: [["/ws", "chat"]] }]));
    const raw = net.connect(port, "127.0.0.1");
    raw.write("GET /ws HTTP/1.1\r\nHost: nowhere.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    let text = "";
    raw.on("data", (d: Buffer) => (text += d.toString()));
    await new Promise<void>((r) => raw.once("close", () => r()));
    expect(text).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  });

  it("passes responses through as the upstream framed them: chunked, HEAD without a body, a 1 MiB body, the upstream's status and reason", async () => {
    const big = "x".repeat(1024 * 1024);
    const server = http.createServer((req, res) => {
      if (req.url === "/chunked") {
        res.write("one,");
        setTimeout(() => res.end("two"), 20);
      } else if (req.url === "/big") res.end(big);
      else if (req.url === "/teapot") {
        res.statusCode = 418;
        res.statusMessage = "I'm a teapot";
        res.end("short and stout");
      } else {
        res.setHeader("content-length", "5"); // Node leaves it out of a HEAD answer unless set
        res.end(req.method === "HEAD" ? undefined : "hello");
      }
    });
    services.set("shapes", { endpoints: [{ ip: "127.0.0.1", port: await listen(server) }] });
    const port = await startRouter(ingress("shapes", [{ host: "shapes.test", paths: [["/", "shapes"]] }]));
    const chunked = await request(port, "/chunked", { host: "shapes.test" });
    expect([chunked.status, chunked.text, chunked.headers["transfer-encoding"]]).toEqual([200, "one,two", "chunked"]);
    const head = await request(port, "/", { host: "shapes.test", method: "HEAD" });
    expect([head.status, head.text, head.headers["content-length"]]).toEqual([200, "", "5"]);
    const large = await request(port, "/big", { host: "shapes.test" });
    expect(large.text.length).toBe(big.length);
    const teapot = await request(port, "/teapot", { host: "shapes.test" });
    expect([teapot.status, teapot.text]).toEqual([418, "short and stout"]);
  });

  it("an upstream that dies mid-body ends the client's connection (no truncated response passed as whole)", async () => {
    const server = net.createServer((s) => s.once("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")));
    services.set("dying", { endpoints: [{ ip: "127.0.0.1", port: await listen(server) }] });
    const port = await startRouter(ingress("dying", [{ host: "dying.test", paths: [["/", "dying"]] }]));
    const ended = await new Promise<string>((resolve) => {
      const req = http.request({ host: "127.0.0.1", port, path: "/", agent: false, headers: { host: "dying.test" } }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve(`complete: ${body}`));
        res.on("aborted", () => resolve(`aborted after ${JSON.stringify(body)}`));
        res.on("error", () => undefined);
      });
      req.on("error", (e) => resolve(`error ${e.message}`));
      req.end();
    });
    expect(ended).toBe('aborted after "partial"');
  });

  it("an in-flight slow request completes across a setTable()", async () => {
    services.set("slow", { endpoints: [await echoPod("slow", 400)] });
    const port = await startRouter(ingress("a", [{ host: "slow.test", paths: [["/", "slow"]] }]));
    const pending = request(port, "/job", { host: "slow.test" });
    await new Promise((r) => setTimeout(r, 100));
    router!.setTable(tableOf());
    const done = await pending;
    expect(done.status).toBe(200);
    expect(done.echo).toMatchObject({ name: "slow", url: "/job" });
    expect((await request(port, "/job", { host: "slow.test" })).status).toBe(404);
  });
});

describe("HTTPS listener (reference §6): SNI picks the certificate, Host the route", () => {
  let dir = "";
  const contexts = new Map<string, tls.SecureContext>();
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kemu-ingress-tls-"));
    for (const cn of ["a.test", "b.test", "default.test"]) {
      const key = path.join(dir, `${cn}.key`);
      const crt = path.join(dir, `${cn}.crt`);
      // The default certificate is EC, the hosts' RSA, as kemu's fake certificate and most users' Secrets: the host's must replace it, not join it.
      const keyType = cn === "default.test" ? ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] : ["rsa:2048"];
      execFileSync("openssl", ["req", "-x509", "-newkey", ...keyType, "-nodes", "-keyout", key, "-out", crt, "-days", "1", "-subj", `/CN=${cn}`], { stdio: "ignore" });
      contexts.set(cn, tls.createSecureContext({ key: fs.readFileSync(key), cert: fs.readFileSync(crt) }));
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function httpsGet(port: number, servername: string | undefined, host: string): Promise<{ cn: string; echo?: Echo; status: number; hsts?: string }> {
    return new Promise((resolveGet, reject) => {
      const socket = tls.connect({ host: "127.0.0.1", port, ...(servername ? { servername } : {}), rejectUnauthorized: false }, () => {
        const cn = String(socket.getPeerCertificate().subject.CN);
        const req = http.request({ createConnection: () => socket, path: "/", headers: { host } }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => {
            socket.destroy();
            resolveGet({ cn, status: res.statusCode!, ...(res.headers["strict-transport-security"] ? { hsts: res.headers["strict-transport-security"] } : {}), ...((res.headers["content-type"] ?? "").includes("json") ? { echo: JSON.parse(body) as Echo } : {}) });
          });
        });
        req.on("error", reject);
        req.end();
      });
      socket.on("error", reject);
    });
  }

  it("serves the SNI name's certificate, else the default; routes by Host; X-Forwarded-Proto https", async () => {
    services.set("app", { endpoints: [await echoPod("app")] });
    router = new IngressRouter({
      resolve,
      http: { host: "127.0.0.1", port: 0 },
      https: { host: "127.0.0.1", port: 0, certificates: (name) => contexts.get(name), defaultCertificate: contexts.get("default.test")! },
    });
    // TLS hosts redirect plain HTTP, never HTTPS itself.
    router.setTable(tableOf(ingress("a", [{ host: "a.test", paths: [["/", "app"]] }, { host: "b.test", paths: [["/", "app"]] }], {}, ["a.test", "b.test"]), ingress("c", [{ host: "c.test", paths: [["/", "app"]] }])));
    const { httpsPort } = await router.start();
    const a = await httpsGet(httpsPort!, "a.test", "a.test");
    expect(a.cn).toBe("a.test");
    expect(a.status).toBe(200);
    expect(a.echo!.headers["x-forwarded-proto"]).toBe("https");
    expect(a.echo!.headers["x-forwarded-port"]).toBe(String(httpsPort));
    // HSTS on by default for hosts with a certificate (ING configmap.md hsts), not for others
    expect(a.hsts).toBe("max-age=31536000; includeSubDomains");
    expect((await httpsGet(httpsPort!, "c.test", "c.test")).hsts).toBeUndefined();
    expect((await httpsGet(httpsPort!, "b.test", "b.test")).cn).toBe("b.test");
    expect((await httpsGet(httpsPort!, "unknown.test", "a.test")).cn).toBe("default.test");
    const noSni = await httpsGet(httpsPort!, undefined, "b.test");
    expect(noSni.cn).toBe("default.test");
    expect(noSni.status).toBe(200);
    // SNI and Host disagree: the certificate by SNI, the route by Host.
    expect((await httpsGet(httpsPort!, "a.test", "nowhere.test")).status).toBe(404);
  });

  it("backend-protocol HTTPS speaks TLS to the endpoint (its certificate is not verified)", async () => {
    const upstream = (await import("node:https")).createServer({ key: fs.readFileSync(path.join(dir, "b.test.key")), cert: fs.readFileSync(path.join(dir, "b.test.crt")) }, (req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ name: `tls:${(req.socket as tls.TLSSocket).encrypted === true}`, method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "" } satisfies Echo));
    });
    services.set("secure", { endpoints: [{ ip: "127.0.0.1", port: await listen(upstream) }] });
    const port = await startRouter(ingress("a", [{ host: "foo.test", paths: [["/", "secure"]] }], { "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS" }));
    for (let i = 0; i < 3; i++) expect((await request(port, "/x", { host: "foo.test" })).echo).toMatchObject({ name: "tls:true", url: "/x" });
  });
});
