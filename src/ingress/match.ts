// A request against the route table: the virtual host by Host (exact, then
// wildcard, then the catch-all, as nginx picks its server), then the first
// route of that host whose path (and, for Gateway API, method, headers and
// query) matches, else the host's fallback, else
// nothing (404). Once a host is picked, other hosts' routes never apply:
// a host-less rule does not serve a host that has its own rules
// (ingress-nginx's default server). Pure.
import type { IncomingHttpHeaders } from "node:http";
import type { HostMatch, PathMatch, RequestConditions, Route, RouteTable, ValueMatch, VirtualHost } from "./table.js";

/** What a route's conditions look at besides the path. */
export interface RequestFacts {
  method?: string;
  headers?: IncomingHttpHeaders;
}

export type RouteDecision = { kind: "route"; host: VirtualHost; route: Route; fallback: boolean } | { kind: "not-found"; host?: VirtualHost };

/** The Host header without its port, lower-cased; `[v6]:port` keeps its brackets. */
export function hostOfHeader(header: string | undefined): string {
  if (!header) return "";
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon >= 0 ? h.slice(0, colon) : h;
}

/** The path of a request target, before `?` or `#`, not decoded. */
export function pathOfUrl(url: string | undefined): string {
  const u = url ?? "/";
  const end = u.search(/[?#]/);
  const path = end >= 0 ? u.slice(0, end) : u;
  return path === "" ? "/" : path;
}

/** The query string of a request target: after `?`, before `#`, not decoded ("" when there is none). */
export function queryStringOf(url: string | undefined): string {
  const u = url ?? "";
  const q = u.indexOf("?");
  if (q < 0) return "";
  const hash = u.indexOf("#", q);
  return u.slice(q + 1, hash < 0 ? undefined : hash);
}

/** The query string's parameters, names as sent, values decoded; the first value of a repeated one wins. */
export function queryOfUrl(url: string | undefined): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(queryStringOf(url))) if (!params.has(name)) params.set(name, value);
  return params;
}

export function hostMatches(m: HostMatch, host: string): boolean {
  switch (m.kind) {
    case "any":
      return true;
    case "exact":
      return host === m.host;
    case "wildcard": {
      if (!host.endsWith(m.suffix) || host.length === m.suffix.length) return false;
      const label = host.slice(0, host.length - m.suffix.length);
      return m.labels === "any" || !label.includes(".");
    }
  }
}

/** The routing core's compiled form of a table (regular expressions built once). */
export class RouteMatcher {
  private readonly regexes = new Map<PathMatch, RegExp>();

  private readonly valueRegexes = new Map<ValueMatch, RegExp>();
  /** exact hosts by name (the first that serves something), so 1,000 hosts cost a lookup, not a scan */
  private readonly exactHosts = new Map<string, VirtualHost>();
  /** wildcards and the catch-all that serve something, in table order */
  private readonly otherHosts: VirtualHost[] = [];

  constructor(readonly table: RouteTable) {
    // Both translators put exact hosts before wildcards and the catch-all, so an exact hit is the first match in table order.
    for (const vh of table.hosts) {
      if (vh.routes.length === 0 && vh.fallback === undefined) continue; // TLS only: serves nothing
      if (vh.host.kind !== "exact") this.otherHosts.push(vh);
      else if (!this.exactHosts.has(vh.host.host)) this.exactHosts.set(vh.host.host, vh);
    }
    for (const vh of table.hosts) {
      for (const r of vh.routes) {
        if (r.path.kind === "regex") this.regexes.set(r.path, new RegExp(r.path.source, r.path.caseInsensitive ? "i" : ""));
        for (const c of [...(r.conditions?.headers ?? []), ...(r.conditions?.query ?? [])]) {
          if (c.match.kind === "regex") this.valueRegexes.set(c.match, new RegExp(c.match.source));
        }
      }
    }
  }

  private valueMatches(m: ValueMatch, value: string | undefined): boolean {
    if (value === undefined) return false;
    return m.kind === "exact" ? value === m.value : this.valueRegexes.get(m)!.test(value);
  }

  /** Method, every header and every query condition (Gateway API's HTTPRouteMatch: all must hold). */
  conditionsHold(c: RequestConditions, req: RequestFacts, url: string | undefined): boolean {
    if (c.method !== undefined && (req.method ?? "GET").toUpperCase() !== c.method) return false;
    for (const h of c.headers) {
      const v = req.headers?.[h.name];
      if (!this.valueMatches(h.match, Array.isArray(v) ? v.join(",") : v)) return false;
    }
    if (c.query.length > 0) {
      const params = queryOfUrl(url);
      for (const q of c.query) if (!this.valueMatches(q.match, params.get(q.name))) return false;
    }
    return true;
  }

  pathMatches(m: PathMatch, path: string): boolean {
    switch (m.kind) {
      case "exact":
        return path === m.path;
      case "prefix": {
        // Element-wise: a trailing slash on either side is ignored, `/foo` is no prefix of `/foobar`.
        const p = m.path.length > 1 && m.path.endsWith("/") ? m.path.slice(0, -1) : m.path;
        return p === "/" || path === p || path.startsWith(`${p}/`);
      }
      case "string-prefix":
        return path.startsWith(m.path);
      case "regex":
        return this.regexes.get(m)!.test(path);
    }
  }

  /** The virtual host a Host header picks; hosts that serve nothing (TLS only) are passed over. */
  virtualHost(hostHeader: string | undefined): VirtualHost | undefined {
    const host = hostOfHeader(hostHeader);
    return this.exactHosts.get(host) ?? this.otherHosts.find((vh) => hostMatches(vh.host, host));
  }

  match(hostHeader: string | undefined, url: string | undefined, req: RequestFacts = {}): RouteDecision {
    const vh = this.virtualHost(hostHeader);
    if (!vh) return { kind: "not-found" };
    const path = pathOfUrl(url);
    const route = vh.routes.find((r) => this.pathMatches(r.path, path) && (r.conditions === undefined || this.conditionsHold(r.conditions, req, url)));
    if (route) return { kind: "route", host: vh, route, fallback: false };
    return vh.fallback ? { kind: "route", host: vh, route: vh.fallback, fallback: true } : { kind: "not-found", host: vh };
  }
}
