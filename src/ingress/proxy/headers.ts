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
import { randomBytes } from "node:crypto";
import { parseIP } from "../../net/ip.js";

export interface Listener {
  scheme: "http" | "https";
  /** the port the client connected to (X-Forwarded-Port) */
  port: number;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The socket peer as a plain address (an IPv4-mapped IPv6 peer unmapped). */
export function peerAddress(remote: string | undefined): string {
  if (!remote) return "";
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

/** 32 hex characters, like nginx's $request_id. */
export function newRequestId(): string {
  return randomBytes(16).toString("hex");
}

/**
 * `upgrade`: the request is a websocket handshake (Upgrade and
 * `Connection: upgrade` go on, as nginx.tmpl's $connection_upgrade);
 * otherwise the client's Connection, Keep-Alive, TE, Upgrade and Expect
 * stay with the client (nginx's proxy module drops them, and the upstream
 * connection is kept alive whatever the client asked of its own).
 */
export function upstreamHeaders(incoming: IncomingHttpHeaders, peer: string, listener: Listener, trustForwarded: boolean, upgrade = false, requestId: () => string = newRequestId): IncomingHttpHeaders {
  const h: IncomingHttpHeaders = { ...incoming };
  const original = first(incoming["x-forwarded-for"]);
  const client = clientAddress(incoming, peer, trustForwarded);
  delete h.proxy;
  delete h["keep-alive"];
  delete h.te;
  // The body is read before proxying, so nothing waits for a 100 Continue from the upstream.
  delete h.expect;
  if (upgrade) h.connection = "upgrade";
  else {
    delete h.connection;
    delete h.upgrade;
  }
  h["x-request-id"] = first(incoming["x-request-id"]) || requestId();
  h["x-real-ip"] = client;
  h["x-forwarded-for"] = trustForwarded && original ? `${original}, ${peer}` : client;
  if (original) h["x-original-forwarded-for"] = original;
  else delete h["x-original-forwarded-for"];
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
