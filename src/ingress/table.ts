// The router's one route table: what Ingress (and, later, HTTPRoute)
// objects mean once translated, and all the proxy ever reads. It knows
// neither API: each translator (translate-ingress.ts, …) writes its own
// precedence into the order and kinds of matches here, and match.ts walks
// it for a request. Pure data.

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
}

export interface Route {
  /** where it came from, for status, logs and `kemu trace`: `Ingress default/web rules[0].paths[1]` */
  source: string;
  path: PathMatch;
  backend: ServiceBackend;
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

export interface RouteTable {
  /** exact hosts, then wildcards (longest suffix first), then the catch-all: the order a request tries them */
  hosts: VirtualHost[];
  /** problems found while translating (duplicate paths, unknown annotations…): each names its object */
  warnings: string[];
}
