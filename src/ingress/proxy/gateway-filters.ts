// Gateway API's HTTPRoute filters as the router applies them to one
// request: RequestRedirect's Location, URLRewrite's path and host, and the
// header modifiers (httproute_types.go HTTPRequestRedirectFilter,
// HTTPURLRewriteFilter, HTTPHeaderFilter godoc). Pure.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { hostOfHeader, pathOfUrl, queryStringOf } from "../match.js";
import type { HeaderEdits, PathMatch, PathModifier, Redirect } from "../table.js";

const WELL_KNOWN_PORT = { http: 80, https: 443 } as const;

/** The query string with its `?`, kept by redirects and rewrites. */
function queryPart(url: string): string {
  return url.includes("?") ? `?${queryStringOf(url)}` : "";
}

/**
 * The request's path with a path modifier applied. ReplacePrefixMatch
 * swaps the route's matched prefix element-wise: prefix `/foo`,
 * replacement `/xyz`: `/foo/bar` → `/xyz/bar`, `/foo` → `/xyz`; replacement
 * `/`: `/foo/bar` → `/bar`, `/foo` → `/`.
 */
export function modifiedPath(modifier: PathModifier, matched: PathMatch, path: string): string {
  if (modifier.kind === "full") return modifier.path;
  const strip = (p: string) => (p.endsWith("/") ? p.slice(0, -1) : p);
  const prefix = matched.kind === "prefix" || matched.kind === "exact" || matched.kind === "string-prefix" ? strip(matched.path) : "";
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : path;
  const joined = strip(modifier.prefix) + rest;
  return joined === "" ? "/" : joined;
}

/**
 * The Location of a RequestRedirect. Unset parts keep the request's; the
 * port is the redirect's, else the scheme's well-known port when the
 * scheme is changed, else the listener's; a port that is the scheme's
 * well-known one is left out of the Location.
 */
export function redirectLocation(r: Redirect, matched: PathMatch, request: { scheme: "http" | "https"; host: string | undefined; url: string; listenerPort: number }): string {
  const scheme = r.scheme ?? request.scheme;
  const host = r.hostname ?? hostOfHeader(request.host);
  const port = r.port ?? (r.scheme !== undefined ? WELL_KNOWN_PORT[scheme] : request.listenerPort);
  const path = r.path ? modifiedPath(r.path, matched, pathOfUrl(request.url)) : pathOfUrl(request.url);
  const authority = port === WELL_KNOWN_PORT[scheme] ? host : `${host}:${port}`;
  return `${scheme}://${authority}${path}${queryPart(request.url)}`;
}

/** The request target after a URLRewrite path modifier (the query string kept). */
export function rewrittenUrl(modifier: PathModifier, matched: PathMatch, url: string): string {
  return modifiedPath(modifier, matched, pathOfUrl(url)) + queryPart(url);
}

/** Set, then add (appended with ", " to a value already there), then remove: HTTPHeaderFilter on request or response headers. */
export function applyHeaderEdits<H extends IncomingHttpHeaders | OutgoingHttpHeaders>(headers: H, edits: HeaderEdits): H {
  const h: Record<string, unknown> = { ...headers };
  for (const { name, value } of edits.set) h[name] = value;
  for (const { name, value } of edits.add) {
    const old = h[name];
    h[name] = old === undefined ? value : `${Array.isArray(old) ? old.join(", ") : String(old)}, ${value}`;
  }
  for (const name of edits.remove) delete h[name];
  return h as H;
}
