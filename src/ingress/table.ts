// The router's one route table: what Ingress and HTTPRoute objects mean
// once translated, and all the proxy ever reads. It knows neither API:
// each translator (translate-ingress.ts, translate-gateway.ts) writes its
// own precedence into the order and kinds of matches here, and match.ts
// walks it for a request. Pure data.

/** How a virtual host is picked by the request's Host (port stripped, lower-cased). */
export type HostMatch =
  | { kind: "exact"; host: string }
  /** `*.foo.com`: Ingress (and nginx) take exactly one more label; Gateway API any number */
  | { kind: "wildcard"; suffix: string; labels: "one" | "any" }
  /** a rule without host: the catch-all server */
  | { kind: "any" };

/** How a route is picked by the request's path (raw, before `?`, not decoded). */
export type PathMatch =
  | { kind: "exact"; path: string }
  /** element-wise prefix (`/foo` matches `/foo`, `/foo/`, `/foo/bar`, not `/foobar`) */
  | { kind: "prefix"; path: string }
  /** plain string prefix (nginx's `location /foo`: also `/foobar`) */
  | { kind: "string-prefix"; path: string }
  /** a regular expression anchored at the start (nginx's `location ~* "^…"`) */
  | { kind: "regex"; source: string; caseInsensitive: boolean };

/** A header's or query parameter's value condition (Gateway API's HTTPHeaderMatch / HTTPQueryParamMatch). */
export type ValueMatch = { kind: "exact"; value: string } | { kind: "regex"; source: string };

/** Conditions beyond the path, all of which must hold (Gateway API; Ingress has none). */
export interface RequestConditions {
  /** upper-case, e.g. "GET" */
  method?: string;
  /** names lower-case; a header sent several times is matched on its values joined with "," */
  headers: Array<{ name: string; match: ValueMatch }>;
  /** names exact (case-sensitive); a parameter sent several times is matched on its first value */
  query: Array<{ name: string; match: ValueMatch }>;
}

/** Gateway API's HTTPHeaderFilter: set replaces, add appends (", "-joined), remove deletes; names lower-case. */
export interface HeaderEdits {
  set: Array<{ name: string; value: string }>;
  add: Array<{ name: string; value: string }>;
  remove: string[];
}

/** Gateway API's HTTPPathModifier: replace the whole path, or the part the route's prefix matched. */
export type PathModifier = { kind: "full"; path: string } | { kind: "prefix"; prefix: string };

/** Gateway API's RequestRedirect filter: the route answers with a redirect instead of proxying. */
export interface Redirect {
  /** undefined: the request's scheme */
  scheme?: "http" | "https";
  /** undefined: the request's host (without its port) */
  hostname?: string;
  path?: PathModifier;
  /** undefined: the well-known port of the redirect's scheme when the scheme changes, else the request's port */
  port?: number;
  status: 301 | 302 | 303 | 307 | 308;
}

/** Gateway API's URLRewrite filter. */
export interface UrlRewrite {
  hostname?: string;
  path?: PathModifier;
}

export interface ServiceBackend {
  namespace: string;
  service: string;
  /** the Service's port, by number or by name (never the container port) */
  port: { number: number } | { name: string };
}

export interface CookieAffinity {
  name: string;
  /** undefined: the matched location's path */
  path?: string;
  maxAgeSeconds?: number;
  expiresSeconds?: number;
  mode: "balanced" | "persistent";
}

/** What ingress-nginx's annotations (or Gateway filters) ask of a route beyond where it goes. */
export interface RouteOptions {
  /** rewrite the path: a regex replacement of the matched path (`/$2`) */
  rewriteTarget?: string;
  /** `/` answers 302 to this path */
  appRoot?: string;
  /** plain HTTP is redirected to HTTPS with this status (ssl-redirect for TLS hosts, force-ssl-redirect) */
  httpsRedirect?: 301 | 302 | 307 | 308;
  affinity?: CookieAffinity;
  backendProtocol: "HTTP" | "HTTPS";
  connectTimeoutMs: number;
  readTimeoutMs: number;
  sendTimeoutMs: number;
  /** largest request body accepted; 0: no limit */
  maxBodyBytes: number;
  /** only clients in these CIDRs (else 403) */
  allowSourceRanges?: string[];
  /** trust the client's X-Forwarded-* headers */
  useForwardedHeaders: boolean;
  /** Gateway API filters */
  redirect?: Redirect;
  urlRewrite?: UrlRewrite;
  requestHeaders?: HeaderEdits;
  responseHeaders?: HeaderEdits;
}

/**
 * One of a route's backends and its share of requests. An invalid reference
 * (a missing Service, a kind that is not a Service, a cross-namespace
 * reference no ReferenceGrant allows) keeps its share: those requests are
 * answered 500, as Gateway API requires.
 */
export type WeightedBackend = { weight: number; backend: ServiceBackend; invalid?: undefined } | { weight: number; backend?: undefined; invalid: string };

export interface Route {
  /** where it came from, for status, logs and `kemu trace`: `Ingress default/web rules[0].paths[1]` */
  source: string;
  path: PathMatch;
  /** further conditions on the request (Gateway API matches); absent: the path decides */
  conditions?: RequestConditions;
  /**
   * Where matching requests go, picked by weight (Ingress: exactly one).
   * Empty, or every weight 0, with no redirect: answered 500 (Gateway API).
   */
  backends: WeightedBackend[];
  options: RouteOptions;
}

export interface VirtualHost {
  host: HostMatch;
  /** in match order: the first route whose path matches the request wins */
  routes: Route[];
  /** serves requests of this host that no route matched (an Ingress' defaultBackend) */
  fallback?: Route;
  /** the TLS Secret for this host (SNI), as `namespace/name` */
  tlsSecret?: string;
}

/**
 * One port the router listens on for a Gateway and what it serves there.
 * (Ingress is served on the router's own HTTP and HTTPS ports, from one
 * RouteTable.) A Gateway's listeners on one port share it: the request's
 * Host picks among their hostnames, as the table's virtual hosts.
 */
export interface GatewayServer {
  /** `Gateway namespace/name port 80` */
  source: string;
  /** the port inside the router's pod (the Gateway's Service targets it) */
  port: number;
  /** the listeners' port as the Gateway declares it (clients connect to it; redirects and X-Forwarded-Port use it) */
  listenerPort: number;
  scheme: "http" | "https";
  table: RouteTable;
  /** HTTPS: the certificate for a server name, by the listeners' hostnames (most specific first; `any` last) */
  certificates: Array<{ host: HostMatch; secret: string }>;
}

export interface RouteTable {
  /** exact hosts, then wildcards (longest suffix first), then the catch-all: the order a request tries them */
  hosts: VirtualHost[];
  /** problems found while translating (duplicate paths, unknown annotations…): each names its object */
  warnings: string[];
}
