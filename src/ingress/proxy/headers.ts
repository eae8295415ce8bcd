// The request headers an upstream sees, as ingress-nginx's nginx.tmpl sets
// them (reference §7 "Request headers to the backend"): Host unchanged,
// X-Real-IP, X-Forwarded-For REPLACED by the client address (the incoming
// value kept in X-Original-Forwarded-For), X-Forwarded-Host/-Port/-Proto/
// -Scheme, X-Scheme, X-Request-ID kept or generated, `Proxy` removed
// (httpoxy). With use-forwarded-headers the client's X-Forwarded-* are
// trusted: the client is the leftmost X-Forwarded-For address (nginx realip,
// recursive, every address trusted) and the peer is appended
// (compute-full-forwarded-for). Pure.
import type { IncomingHttpHeaders } from "node:http";
import { randomFillSync } from "node:crypto";
import { parseIP } from "../../net/ip.js";

export interface Listener {
  scheme: "http" | "https";
  /** the port the client connected to (X-Forwarded-Port) */
  port: number;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

const DOTTED = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The socket peer as a plain address (an IPv4-mapped IPv6 peer unmapped). */
export function peerAddress(remote: string | undefined): string {
  if (!remote) return "";
  // the kernel's own spelling of an IPv4 peer needs no parsing (the common case, once per request)
  if (DOTTED.test(remote)) return remote;
  if (remote.startsWith("::ffff:") && DOTTED.test(remote.slice(7))) return remote.slice(7);
  return parseIP(remote)?.unmapped().toString() ?? remote;
}

/** Who the client is: the peer, or with trusted forwarded headers the leftmost valid X-Forwarded-For address. */
export function clientAddress(headers: IncomingHttpHeaders, peer: string, trustForwarded: boolean): string {
  if (!trustForwarded) return peer;
  const xff = first(headers["x-forwarded-for"]);
  const leftmost = xff?.split(",")[0]?.trim();
  return leftmost && parseIP(leftmost) ? leftmost : peer;
}

/** The scheme the client used as ingress-nginx sees it ($pass_access_scheme): the listener's, or a trusted X-Forwarded-Proto. */
export function passScheme(headers: IncomingHttpHeaders, listener: Listener, trustForwarded: boolean): string {
  return (trustForwarded && first(headers["x-forwarded-proto"])) || listener.scheme;
}

/** Random bytes drawn 16 at a time: one call into the CSPRNG per 512 request IDs, not one each. */
const idPool = Buffer.alloc(8192);
let idOffset = idPool.length;

/** 32 hex characters (128 random bits), like nginx's $request_id. */
export function newRequestId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  idOffset += 16;
  return idPool.toString("hex", idOffset - 16, idOffset);
}

/** Headers as the flat [name, value, …] list Node's http.request and writeHead take (no per-header setHeader). */
export function headerList(headers: IncomingHttpHeaders): string[] {
  const list: string[] = [];
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (typeof v === "string") list.push(name, v);
    else for (const one of v) list.push(name, one);
  }
  return list;
}

/**
 * Never passed on: httpoxy's Proxy, hop-by-hop Keep-Alive and TE, Expect
 * (the body is read before proxying, so nothing waits for a 100 Continue
 * from the upstream), a client's X-Original-Forwarded-For (ours only), and
 * the headers set below (set after the client's own, replacing them).
 */
const REPLACED = ["proxy", "keep-alive", "te", "expect", "x-original-forwarded-for", "x-request-id", "x-real-ip", "x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto", "x-forwarded-scheme", "x-scheme"];
const DROPPED_ON_UPGRADE = new Set([...REPLACED, "connection"]);
const DROPPED = new Set([...REPLACED, "connection", "upgrade"]);

/**
 * `upgrade`: the request is a websocket handshake (Upgrade and
 * `Connection: upgrade` go on, as nginx.tmpl's $connection_upgrade);
 * otherwise the client's Connection, Keep-Alive, TE, Upgrade and Expect
 * stay with the client (nginx's proxy module drops them, and the upstream
 * connection is kept alive whatever the client asked of its own).
 */
export function upstreamHeaders(incoming: IncomingHttpHeaders, peer: string, listener: Listener, trustForwarded: boolean, upgrade = false, requestId: () => string = newRequestId): IncomingHttpHeaders {
  // Built by copying what goes on (no spread-then-delete: deleting keys turns an object slow, and this runs per request).
  const h: IncomingHttpHeaders = {};
  const dropped = upgrade ? DROPPED_ON_UPGRADE : DROPPED;
  for (const name in incoming) if (!dropped.has(name)) h[name] = incoming[name];
  const original = first(incoming["x-forwarded-for"]);
  const client = clientAddress(incoming, peer, trustForwarded);
  if (upgrade) h.connection = "upgrade";
  h["x-request-id"] = first(incoming["x-request-id"]) || requestId();
  h["x-real-ip"] = client;
  h["x-forwarded-for"] = trustForwarded && original ? `${original}, ${peer}` : client;
  if (original) h["x-original-forwarded-for"] = original;
  const trusted = (name: string, own: string) => (trustForwarded ? first(incoming[name]) || own : own);
  // a trusted X-Forwarded-Host list: its first name (lua_ingress.lua parse_x_forwarded_host)
  h["x-forwarded-host"] = trusted("x-forwarded-host", first(incoming.host) ?? "").split(",")[0]!.trim();
  h["x-forwarded-port"] = trusted("x-forwarded-port", String(listener.port));
  const proto = passScheme(incoming, listener, trustForwarded);
  h["x-forwarded-proto"] = proto;
  h["x-forwarded-scheme"] = proto;
  h["x-scheme"] = proto;
  return h;
}

/** Response headers Node's http parser keeps the first of when repeated (IncomingMessage#headers; the others are joined). */
const FIRST_ONLY = new Set(["content-type", "content-length", "user-agent", "referer", "host", "authorization", "proxy-authorization", "if-modified-since", "if-unmodified-since", "from", "location", "max-forwards", "retry-after", "etag", "last-modified", "server", "age", "expires"]);

/**
 * An upstream's response headers ([name, value, …], names lower-cased, as
 * response-parser.ts hands them over) as Node's IncomingMessage#headers shows them: names
 * lower-cased, Set-Cookie a list, a repeated header joined with ", "
 * ("; " for Cookie) unless it is one kept once. So clients see what they
 * saw when the router read responses with Node's http client.
 */
export function responseHeaders(raw: readonly string[]): IncomingHttpHeaders {
  const h: IncomingHttpHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const seen = h[name];
    if (name === "set-cookie") {
      if (seen === undefined) h["set-cookie"] = [value];
      else (seen as string[]).push(value);
    } else if (seen === undefined) h[name] = value;
    else if (!FIRST_ONLY.has(name)) h[name] = `${seen as string}${name === "cookie" ? "; " : ", "}${value}`;
  }
  return h;
}
