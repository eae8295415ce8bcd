// The Ingress router's data plane: HTTP (and HTTPS with SNI) listeners that
// match each request against the route table and proxy it to one of the
// backend's ready endpoints, with ingress-nginx's statuses, headers,
// per-route options and cookie affinity (../shared/reference/ingress.md
// §4, §6, §7, §11). The decisions live in small pure modules beside this
// one; this file wires them to sockets, the router's own upstream client
// (requests; upstream-pool.ts) and http-proxy-3 (websockets;
// docs/decisions.md "The router's request path").
//
// The Ingress table is served on the router's HTTP and HTTPS ports; each
// Gateway server (a Gateway's listeners on one port) on a port of its own,
// opened and closed as Gateways come and go (setGatewayServers).
//
// setTable() swaps the matcher for NEW requests only: a request (or a
// websocket) keeps the route it matched when it arrived.
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { randomBytes } from "node:crypto";
import { createProxyServer, type ProxyServer } from "http-proxy-3";
import type { CIDR } from "../../net/cidr.js";
import { RouteMatcher, pathOfUrl } from "../match.js";
import type { GatewayServer, Route, RouteTable, ServiceBackend } from "../table.js";
import { AffinityKeys, affinityCookie, cookieValue } from "./affinity.js";
import { RoundRobin, pickWeighted } from "./balancer.js";
import { declaredTooLarge, readBody } from "./body.js";
import { endpointKey, type Endpoint, type Resolution } from "./endpoint.js";
import { clientAddress, headerList, passScheme, peerAddress, responseHeaders, upstreamHeaders, type Listener } from "./headers.js";
import { clientHelloServerName } from "./client-hello.js";
import { applyHeaderEdits, redirectLocation, rewrittenUrl } from "./gateway-filters.js";
import { sendStatus, sendStatusOnSocket } from "./responses.js";
import { UpstreamPool, type UpstreamError, type UpstreamHandler } from "./upstream-pool.js";
import { httpsLocation, locationPath, rewriteUrl } from "./rewrite.js";
import { compileRanges, sourceAllowed } from "./source-ranges.js";

export type { Endpoint, Resolution } from "./endpoint.js";

export interface RouterOptions {
  resolve(backend: ServiceBackend): Resolution;
  http: { host: string; port: number };
  /** `certificates` is asked with the Gateway server for a Gateway's HTTPS port, without one for the Ingress port */
  https?: { host: string; port: number; certificates: (serverName: string, gateway?: GatewayServer) => tls.SecureContext | undefined; defaultCertificate: tls.SecureContext };
  /** where Gateway servers listen (their ports come with them); default: the http listener's host */
  gatewayHost?: string;
  /** a Gateway port that cannot be opened (in use, no permission) */
  onListenError?: (server: GatewayServer, err: Error) => void;
  /** the affinity cookie's HMAC key; routers sharing it (one per core) read each other's cookies. Default: random per router. */
  affinitySecret?: Buffer;
  /** each request as it arrives, with a way to ask (once it is answered) which route it matched (metrics) */
  onRequest?: (req: http.IncomingMessage, res: http.ServerResponse, routeOf: (req: http.IncomingMessage) => Route | undefined) => void;
}

/** proxy-next-upstream-tries (ingress-nginx default 3). */
const MAX_TRIES = 3;
/** nginx passes a request that reached an upstream to the next one only when it is idempotent (since 1.9.13). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
/** Methods sent without a length when they have no body; any other gets Content-Length: 0 (as http-proxy and Node's client did). */
const NO_LENGTH_WITHOUT_BODY = new Set(["GET", "HEAD", "TRACE", "CONNECT"]);
/** Request headers that would change how the upstream client frames the request (it frames it itself). */
const FRAMING = ["transfer-encoding", "keep-alive", "upgrade", "expect"];

const backendKey = (b: ServiceBackend) => `${b.namespace}/${b.service}:${"number" in b.port ? b.port.number : b.port.name}`;

/** One try of one request against one endpoint. */
interface Attempt {
  endpoint: Endpoint;
  route: Route;
  backend: ServiceBackend;
  connected: boolean;
  timedOut?: "connect" | "read";
  responded: boolean;
  /** Set-Cookie for a fresh affinity session, added to the upstream's response */
  setCookie?: string;
  /** HTTPS to a host with a certificate: the response carries HSTS */
  hsts: boolean;
}

/** One listening port and what it serves: the Ingress table, or one Gateway server. */
interface Served extends Listener {
  matcher: () => RouteMatcher;
  /** the Gateway server, for a Gateway's port */
  gateway?: GatewayServer;
  /** its listening sockets and its clients', closed when a Gateway port goes away */
  fronts: net.Server[];
  sockets: Set<net.Socket>;
}

/**
 * ingress-nginx's defaults (configmap.md hsts, hsts-max-age 31536000,
 * hsts-include-subdomains true), set on HTTPS responses of hosts with a
 * certificate (lua_ingress.lua header()), replacing the upstream's own.
 */
const HSTS = "max-age=31536000; includeSubDomains";

export class IngressRouter {
  private matcher: RouteMatcher;
  /** Gateway servers by their port, with their matchers */
  private readonly gatewayPorts = new Map<number, { served: Served; matcher: RouteMatcher }>();
  /** setGatewayServers calls, one after the other (opening a port is asynchronous) */
  private gatewayUpdates: Promise<void> = Promise.resolve();
  private readonly balancer = new RoundRobin();
  private readonly affinity: AffinityKeys;
  private readonly ranges = new WeakMap<readonly string[], CIDR[]>();
  private readonly attempts = new WeakMap<http.IncomingMessage, Attempt>();
  /** the route each request matched (only with options.onRequest) */
  private readonly matched = new WeakMap<http.IncomingMessage, Route>();
  private readonly routeOf = (req: http.IncomingMessage) => this.matched.get(req);
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: "lifo" });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxFreeSockets: 64, rejectUnauthorized: false });
  /** keep-alive connections for requests, per endpoint (websockets use the agents above, through http-proxy-3) */
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly proxy: ProxyServer;

  constructor(private readonly options: RouterOptions) {
    this.matcher = new RouteMatcher({ hosts: [], warnings: [] });
    this.affinity = new AffinityKeys(options.affinitySecret ?? randomBytes(32));
    this.proxy = createProxyServer({ xfwd: false, changeOrigin: false, secure: false, ws: true });
    // http-proxy throws on an error nobody listens to; every call passes its own callback, this is the backstop.
    this.proxy.on("error", () => {});
    this.proxy.on("econnreset", () => {});
    this.proxy.on("proxyReqWs", (proxyReq, req) => {
      const a = this.attempts.get(req);
      if (!a) return;
      proxyReq.once("socket", (socket: net.Socket) => this.watchUpstream(proxyReq, socket, a));
      // An open websocket is closed after proxy-read/send-timeout of silence, as nginx does (reference §7 "WebSockets").
      proxyReq.once("upgrade", (_res: http.IncomingMessage, upstream: net.Socket) => {
        proxyReq.setTimeout(0);
        // after http-proxy's own upgrade handler, which clears the socket's timeout
        process.nextTick(() => upstream.setTimeout(Math.max(a.route.options.readTimeoutMs, a.route.options.sendTimeoutMs), () => upstream.destroy()));
      });
    });
  }

  /** The Ingress table, for new requests on the HTTP and HTTPS ports. */
  setTable(table: RouteTable): void {
    this.matcher = new RouteMatcher(table);
    this.retainBackends();
  }

  /** Round-robin state is kept for the backends some table still names. */
  private retainBackends(): void {
    const backends = new Set<string>();
    for (const table of [this.matcher.table, ...[...this.gatewayPorts.values()].map((e) => e.matcher.table)]) {
      for (const vh of table.hosts) for (const r of [...vh.routes, ...(vh.fallback ? [vh.fallback] : [])]) for (const b of r.backends) if (b.backend) backends.add(backendKey(b.backend));
    }
    this.balancer.retain(backends);
  }

  /**
   * The Gateway servers to serve from now on: new ports are opened, gone
   * ones closed (with their connections), the others get their new table
   * for new requests.
   */
  setGatewayServers(servers: GatewayServer[]): Promise<void> {
    const run = async () => {
      const wanted = new Map(servers.map((s) => [s.port, s]));
      for (const [port, entry] of this.gatewayPorts) {
        const next = wanted.get(port);
        if (next && next.scheme === entry.served.scheme) continue;
        this.gatewayPorts.delete(port);
        await this.close(entry.served);
      }
      for (const server of servers) {
        const entry = this.gatewayPorts.get(server.port);
        const matcher = new RouteMatcher(server.table);
        if (entry) {
          entry.served.gateway = server;
          entry.served.port = server.listenerPort;
          entry.matcher = matcher;
          continue;
        }
        const served = this.served(server.scheme, server.listenerPort, () => fresh.matcher, server);
        const fresh = { served, matcher };
        try {
          const at = { host: this.options.gatewayHost ?? this.options.http.host, port: server.port };
          await (server.scheme === "https" ? this.listenTls(served, at) : this.listenPlain(served, at));
          this.gatewayPorts.set(server.port, fresh);
        } catch (err) {
          await this.close(served);
          this.options.onListenError?.(server, err as Error);
        }
      }
      this.retainBackends();
    };
    this.gatewayUpdates = this.gatewayUpdates.then(run, run);
    return this.gatewayUpdates;
  }

  async start(): Promise<{ httpPort: number; httpsPort?: number }> {
    const plain = this.served("http", 0, () => this.matcher);
    const httpPort = await this.listenPlain(plain, this.options.http);
    if (!this.options.https) return { httpPort };
    const secure = this.served("https", 0, () => this.matcher);
    const httpsPort = await this.listenTls(secure, this.options.https);
    return { httpPort, httpsPort };
  }

  async stop(): Promise<void> {
    await this.gatewayUpdates;
    const all = [...this.ingressPorts, ...[...this.gatewayPorts.values()].map((e) => e.served)];
    this.ingressPorts.length = 0;
    this.gatewayPorts.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    const pools = [...this.pools.values()];
    this.pools.clear();
    for (const p of pools) p.destroy();
    await Promise.all(all.map((s) => this.close(s)));
  }

  // -------------------------------------------------------------------------

  private readonly ingressPorts: Served[] = [];

  private served(scheme: Listener["scheme"], port: number, matcher: () => RouteMatcher, gateway?: GatewayServer): Served {
    return { scheme, port, matcher, fronts: [], sockets: new Set(), ...(gateway ? { gateway } : {}) };
  }

  private async close(served: Served): Promise<void> {
    const closed = served.fronts.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of served.sockets) s.destroy();
    served.sockets.clear();
    await Promise.all(closed);
  }

  private listenPlain(served: Served, at: { host: string; port: number }): Promise<number> {
    const plain = http.createServer();
    return this.listen(plain, plain, at, served);
  }

  /**
   * TLS by hand: the ClientHello's server name is read first, and TLS
   * starts with exactly the certificate for it (the default one without a
   * name or a match). See client-hello.ts for why not SNICallback.
   */
  private listenTls(served: Served, at: { host: string; port: number }): Promise<number> {
    const tlsOpts = this.options.https;
    if (!tlsOpts) return Promise.reject(new Error("HTTPS needs a default certificate (RouterOptions.https)"));
    const secure = http.createServer();
    const front = net.createServer((raw) => {
      raw.on("error", () => raw.destroy());
      let seen: Buffer = Buffer.alloc(0);
      // A ClientHello that never completes does not hold the socket forever.
      raw.setTimeout(10_000, () => raw.destroy());
      const onData = (chunk: Buffer) => {
        seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
        const sni = clientHelloServerName(seen);
        if (sni.kind === "incomplete" && seen.length < 16_384 + 5) return;
        raw.off("data", onData);
        raw.pause();
        raw.setTimeout(0);
        raw.unshift(seen);
        const context = (sni.kind === "name" ? tlsOpts.certificates(sni.name, served.gateway) : undefined) ?? tlsOpts.defaultCertificate;
        const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: context, ALPNProtocols: ["http/1.1"] });
        socket.on("error", () => socket.destroy());
        secure.emit("connection", socket);
      };
      raw.on("data", onData);
    });
    return this.listen(front, secure, at, served);
  }

  private async listen(front: net.Server, server: http.Server, at: { host: string; port: number }, served: Served): Promise<number> {
    // Idle client connections stay at least 60 s (nginx keepalive_timeout 75 s; reference §11).
    server.keepAliveTimeout = 75_000;
    server.headersTimeout = 80_000;
    server.requestTimeout = 0;
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.options.onRequest?.(req, res, this.routeOf);
      try {
        this.onRequest(req, res, served);
      } catch {
        sendStatus(res, 500);
      }
    });
    server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.onUpgrade(req, socket, head, served));
    server.on("clientError", (_err, socket: net.Socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      socket.destroy();
    });
    front.on("connection", (socket: net.Socket) => {
      served.sockets.add(socket);
      socket.once("close", () => served.sockets.delete(socket));
    });
    served.fronts.push(front);
    if (front !== server) served.fronts.push(server);
    await new Promise<void>((resolve, reject) => {
      front.once("error", reject);
      front.listen(at.port, at.host, () => {
        front.off("error", reject);
        resolve();
      });
    });
    const port = (front.address() as net.AddressInfo).port;
    if (!served.gateway) {
      served.port = port;
      this.ingressPorts.push(served);
    }
    return port;
  }

  private rangesOf(list: readonly string[]): CIDR[] {
    let compiled = this.ranges.get(list);
    if (!compiled) this.ranges.set(list, (compiled = compileRanges(list)));
    return compiled;
  }

  /** The checks before any upstream, in nginx's phase order; a status to answer with, or undefined to go on. */
  private refusal(req: http.IncomingMessage, route: Route, listener: Served, client: string): { status: number; location?: string; close?: boolean } | undefined {
    const o = route.options;
    // Gateway API's RequestRedirect answers instead of any backend.
    if (o.redirect) return { status: o.redirect.status, location: redirectLocation(o.redirect, route.path, { scheme: listener.scheme, host: req.headers.host, url: req.url ?? "/", listenerPort: listener.port }) };
    // client_max_body_size is checked on Content-Length as soon as the location is found.
    if (declaredTooLarge(req.headers, o.maxBodyBytes)) return { status: 413, close: true };
    // rewrite phase: ssl-redirect when the client's scheme is http (a trusted X-Forwarded-Proto counts), then app-root
    if (o.httpsRedirect !== undefined && passScheme(req.headers, listener, o.useForwardedHeaders) === "http") {
      const xfh = o.useForwardedHeaders ? req.headers["x-forwarded-host"] : undefined;
      const host = (Array.isArray(xfh) ? xfh[0] : xfh)?.split(",")[0] || req.headers.host;
      return { status: o.httpsRedirect, location: httpsLocation(host, req.url ?? "/") };
    }
    if (o.appRoot !== undefined && pathOfUrl(req.url) === "/") return { status: 302, location: o.appRoot };
    // access phase
    if (o.allowSourceRanges !== undefined && !sourceAllowed(this.rangesOf(o.allowSourceRanges), client)) return { status: 403 };
    return undefined;
  }

  private endpointsOf(backend: ServiceBackend): Endpoint[] | undefined {
    let r: Resolution;
    try {
      r = this.options.resolve(backend);
    } catch {
      return undefined;
    }
    return "endpoints" in r && r.endpoints.length > 0 ? r.endpoints : undefined;
  }

  /** The endpoint for a request: its affinity cookie's, else round robin (then a Set-Cookie for the new session). */
  private firstPick(req: http.IncomingMessage, route: Route, backend: ServiceBackend, endpoints: Endpoint[]): { endpoint: Endpoint; setCookie?: string } {
    const aff = route.options.affinity;
    if (aff) {
      const key = cookieValue(req.headers.cookie, aff.name);
      const sticky = key !== undefined ? this.affinity.endpointOf(key, endpoints) : undefined;
      if (sticky) return { endpoint: sticky };
    }
    const endpoint = this.balancer.pick(backendKey(backend), endpoints)!;
    return aff ? { endpoint, setCookie: affinityCookie(aff, this.affinity.keyOf(endpoint), locationPath(route.path), new Date()) } : { endpoint };
  }

  private prepare(req: http.IncomingMessage, route: Route, listener: Served, peer: string, upgrade: boolean): void {
    req.headers = upstreamHeaders(req.headers, peer, listener, route.options.useForwardedHeaders, upgrade);
    const rewritten = rewriteUrl(route, req.url ?? "/");
    if (rewritten !== undefined) req.url = rewritten;
    const { urlRewrite, requestHeaders } = route.options;
    if (urlRewrite?.path) req.url = rewrittenUrl(urlRewrite.path, route.path, req.url ?? "/");
    if (urlRewrite?.hostname !== undefined) req.headers.host = urlRewrite.hostname;
    if (requestHeaders) req.headers = applyHeaderEdits(req.headers, requestHeaders);
  }

  private target(route: Route, e: Endpoint): string {
    const host = e.ip.includes(":") ? `[${e.ip}]` : e.ip;
    return `${route.options.backendProtocol === "HTTPS" ? "https" : "http"}://${host}:${e.port}`;
  }

  /** Connect timeout while connecting, then send / read timeouts on the upstream socket (nginx proxy_*_timeout). */
  private watchUpstream(proxyReq: http.ClientRequest, socket: net.Socket, a: Attempt): void {
    const o = a.route.options;
    proxyReq.on("timeout", () => {
      a.timedOut ??= "read";
      proxyReq.destroy();
    });
    proxyReq.once("response", () => (a.responded = true));
    proxyReq.once("finish", () => proxyReq.setTimeout(o.readTimeoutMs));
    const connected = () => {
      a.connected = true;
      if (!proxyReq.writableFinished) proxyReq.setTimeout(o.sendTimeoutMs);
    };
    if (!socket.connecting) return connected();
    const timer = setTimeout(() => {
      a.timedOut = "connect";
      proxyReq.destroy();
    }, o.connectTimeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      connected();
    });
    socket.once("close", () => clearTimeout(timer));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse, listener: Served): void {
    const decision = listener.matcher().match(req.headers.host, req.url, req);
    if (decision.kind === "not-found") return sendStatus(res, 404);
    const route = decision.route;
    if (this.options.onRequest) this.matched.set(req, route);
    const peer = peerAddress(req.socket.remoteAddress);
    const refused = this.refusal(req, route, listener, clientAddress(req.headers, peer, route.options.useForwardedHeaders));
    if (refused) return sendStatus(res, refused.status, refused);
    const hsts = listener.scheme === "https" && !listener.gateway && decision.host.tlsSecret !== undefined;
    // Without Content-Length or Transfer-Encoding there is no body (RFC 9112 §6.3): nothing to read or hold.
    const te = req.headers["transfer-encoding"];
    const cl = req.headers["content-length"];
    if (te === undefined && (cl === undefined || cl === "0")) return this.proxyRequest(req, res, listener, route, peer, hsts, undefined);
    readBody(req, route.options.maxBodyBytes).then(
      (body) => {
        if (body.kind === "aborted") return void res.destroy();
        if (body.kind === "too-large") return sendStatus(res, 413, { close: true });
        this.proxyRequest(req, res, listener, route, peer, hsts, body.body);
      },
      () => sendStatus(res, 500),
    );
  }

  /** After the request (and its body, if any) is in: a backend, an endpoint, and the tries (proxy-next-upstream). */
  private proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, listener: Served, route: Route, peer: string, hsts: boolean, body: Buffer | undefined): void {
    const chosen = pickWeighted(route.backends);
    if (!chosen?.backend) return sendStatus(res, 500);
    const backend = chosen.backend;
    const endpoints = this.endpointsOf(backend);
    if (!endpoints) return sendStatus(res, 503);
    this.prepare(req, route, listener, peer, false);
    const h = req.headers;
    if (body !== undefined) {
      delete h["transfer-encoding"];
      h["content-length"] = String(body.length);
    } else if (h["content-length"] === undefined && !NO_LENGTH_WITHOUT_BODY.has(req.method ?? "")) h["content-length"] = "0";
    // the upstream client frames the request itself; only a Gateway's RequestHeaderModifier could have added these
    if (route.options.requestHeaders) for (const name of FRAMING) delete h[name];
    const headers = headerList(h);

    const tried = new Set<string>();
    let current: Attempt | undefined;
    const attempt = (endpoint: Endpoint, setCookie?: string) => {
      tried.add(endpointKey(endpoint));
      const a: Attempt = { endpoint, route, backend, connected: false, responded: false, hsts, ...(setCookie !== undefined ? { setCookie } : {}) };
      current = a;
      this.forward(req, res, a, headers, body, () => {
        if (current !== a) return; // a late error of an attempt already given up
        if (res.headersSent || res.destroyed) return void res.destroy();
        if (a.timedOut === "read") return sendStatus(res, 504);
        // proxy-next-upstream "error timeout": another endpoint when this one never took the request (or the request may be repeated).
        const retry = !a.connected || (IDEMPOTENT.has(req.method ?? "") && !a.responded);
        const next = retry && tried.size < MAX_TRIES ? this.balancer.pick(backendKey(backend), endpoints, tried) : undefined;
        if (next) {
          // A fresh session follows the endpoint that answers; an existing one keeps its cookie (session-cookie-change-on-failure: false).
          const aff = route.options.affinity;
          return attempt(next, aff && a.setCookie !== undefined ? affinityCookie(aff, this.affinity.keyOf(next), locationPath(route.path), new Date()) : undefined);
        }
        sendStatus(res, a.timedOut === "connect" ? 504 : 502);
      });
    };
    const first = this.firstPick(req, route, backend, endpoints);
    attempt(first.endpoint, first.setCookie);
  }

  /** The keep-alive connections to an endpoint (per scheme and connect timeout). */
  private poolFor(a: Attempt, secure: boolean): UpstreamPool {
    const connectTimeoutMs = a.route.options.connectTimeoutMs;
    const key = `${secure ? "s" : ""}${a.endpoint.ip}|${a.endpoint.port}|${connectTimeoutMs}`;
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = new UpstreamPool({ ip: a.endpoint.ip, port: a.endpoint.port, secure, connectTimeoutMs })));
    return pool;
  }

  /**
   * One try at one endpoint with the upstream client, then the upstream's
   * response to the client as http-proxy-3's web passes wrote it
   * (Transfer-Encoding dropped, Connection kept or keep-alive, status and
   * reason, every other header), plus ours (HSTS, a Gateway's response
   * header edits, the affinity cookie). `failed` is called once when the
   * try ends without a response passed on, or when it breaks after.
   */
  private forward(req: http.IncomingMessage, res: http.ServerResponse, a: Attempt, headers: string[], body: Buffer | undefined, failed: () => void): void {
    const secure = a.route.options.backendProtocol === "HTTPS";
    let over = false;
    let abort: (() => void) | undefined;
    let cancelled = false;
    let corked = false;
    const fail = (err: UpstreamError) => {
      if (over) return;
      over = true;
      if (err.code === "connect-timeout") a.timedOut = "connect";
      else if (err.code === "read-timeout") a.timedOut = "read";
      failed();
    };
    res.once("close", () => {
      if (res.writableFinished) return;
      cancelled = true;
      abort?.();
    });
    const handler: UpstreamHandler = {
      onConnect: (abortRequest) => {
        // called as the request is written: the endpoint took the connection
        a.connected = true;
        abort = abortRequest;
        if (cancelled) abortRequest();
      },
      onHeaders: (statusCode, statusText, raw, resume) => {
        a.responded = true;
        let h = responseHeaders(raw);
        if (a.hsts) h["strict-transport-security"] = HSTS;
        const edits = a.route.options.responseHeaders;
        if (edits) h = applyHeaderEdits(h, edits);
        if (a.setCookie) h["set-cookie"] = [...(h["set-cookie"] ?? []), a.setCookie];
        delete h["transfer-encoding"];
        if (req.httpVersion === "1.0") h.connection = req.headers.connection || "close";
        else if (!h.connection) h.connection = req.headers.connection || "keep-alive";
        if (res.headersSent || res.writableEnded) return;
        if (statusText) res.writeHead(statusCode, statusText, headerList(h));
        else res.writeHead(statusCode, headerList(h));
        res.on("drain", resume);
        // Headers, a small body and its end leave in one write: uncorked after the first chunk's tick, or at the end.
        res.cork();
        corked = true;
      },
      onData: (chunk) => {
        const more = res.write(chunk);
        if (corked) {
          corked = false;
          process.nextTick(() => res.uncork());
        }
        return more;
      },
      onComplete: () => {
        over = true;
        res.end();
        if (corked) {
          corked = false;
          res.uncork();
        }
      },
      // An upstream that dies mid-body (or hits the read timeout) must not leave the client waiting: failed() destroys it.
      onError: fail,
    };
    this.poolFor(a, secure).dispatch({ path: req.url ?? "/", method: req.method ?? "GET", headers, ...(body !== undefined ? { body } : {}), readTimeoutMs: a.route.options.readTimeoutMs }, handler);
  }

  private onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer, listener: Served): void {
    socket.on("error", () => socket.destroy());
    const decision = listener.matcher().match(req.headers.host, req.url, req);
    if (decision.kind === "not-found") return sendStatusOnSocket(socket, 404);
    const route = decision.route;
    const peer = peerAddress(req.socket.remoteAddress);
    const refused = this.refusal(req, route, listener, clientAddress(req.headers, peer, route.options.useForwardedHeaders));
    if (refused) return sendStatusOnSocket(socket, refused.status);
    const chosen = pickWeighted(route.backends);
    if (!chosen?.backend) return sendStatusOnSocket(socket, 500);
    const backend = chosen.backend;
    const endpoints = this.endpointsOf(backend);
    if (!endpoints) return sendStatusOnSocket(socket, 503);
    this.prepare(req, route, listener, peer, true);

    const tried = new Set<string>();
    const attempt = (endpoint: Endpoint, head: Buffer) => {
      tried.add(endpointKey(endpoint));
      const a: Attempt = { endpoint, route, backend, connected: false, responded: false, hsts: false };
      this.attempts.set(req, a);
      this.proxy.ws(req, socket, head, { target: this.target(route, endpoint), agent: route.options.backendProtocol === "HTTPS" ? this.httpsAgent : this.httpAgent }, () => {
        if (this.attempts.get(req) !== a) return;
        if (a.responded) return void socket.destroy();
        const next = tried.size < MAX_TRIES && !a.connected ? this.balancer.pick(backendKey(backend), endpoints, tried) : undefined;
        // the first try already put `head` back into the socket
        if (next) return attempt(next, Buffer.alloc(0));
        sendStatusOnSocket(socket, a.timedOut === "read" || a.timedOut === "connect" ? 504 : 502);
      });
    };
    attempt(this.firstPick(req, route, backend, endpoints).endpoint, head);
  }
}
