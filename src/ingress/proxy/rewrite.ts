// URL changes a route asks for, as ingress-nginx's nginx.tmpl writes them
// (reference §7 "rewrite-target", §6 ssl-redirect). Pure.
import type { PathMatch, Route } from "../table.js";
import { pathOfUrl, queryStringOf } from "../match.js";

/** The route's path as written (nginx's location path): what session-cookie-path defaults to. */
export function locationPath(p: PathMatch): string {
  return p.kind === "regex" ? p.source.replace(/^\^/, "") : p.path;
}

/** `$1`…`$9` of a match (an unmatched group is empty), as nginx's rewrite replacement. */
export function expandCaptures(target: string, m: RegExpExecArray): string {
  return target.replace(/\$(\d)/g, (_, d: string) => m[Number(d)] ?? "");
}

/**
 * nginx `rewrite "(?i)<path>" <target> break;`: when the route's path
 * matches, the WHOLE path becomes the target with its captures filled in
 * (`/something(/|$)(.*)` + `/$2`: `/something/new` → `/new`); the query
 * string is kept (after the target's own arguments, if it has any).
 * Undefined when nothing is rewritten.
 */
export function rewriteUrl(route: Route, url: string): string | undefined {
  const target = route.options.rewriteTarget;
  if (target === undefined) return undefined;
  const p = route.path;
  const re = p.kind === "regex" ? new RegExp(p.source, p.caseInsensitive ? "i" : "") : new RegExp(`^${locationPath(p).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`);
  const m = re.exec(pathOfUrl(url));
  if (!m) return undefined;
  const path = expandCaptures(target, m);
  const query = queryStringOf(url);
  if (query === "") return path;
  return path.includes("?") ? `${path}&${query}` : `${path}?${query}`;
}

/**
 * Where plain HTTP is sent for HTTPS, as ingress-nginx's lua_ingress.lua
 * builds it: `https://` + the host without its port + the request URI with
 * one trailing `/` dropped (preserve-trailing-slash is false by default, so
 * `/` itself becomes `https://host`).
 */
export function httpsLocation(host: string | undefined, url: string): string {
  const h = (host ?? "").trim();
  const name = h.startsWith("[") ? h.slice(0, h.indexOf("]") + 1) : h.replace(/:\d*$/, "");
  return `https://${name}${url.endsWith("/") ? url.slice(0, -1) : url}`;
}
