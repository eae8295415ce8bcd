// Ingress (networking.k8s.io/v1) → the route table, as ingress-nginx reads
// it (../shared/reference/ingress.md §1–7): which Ingresses are ours (by
// class), virtual hosts (exact, one-label wildcard, host-less catch-all),
// paths by Exact / Prefix / ImplementationSpecific with the longest path
// first and Exact winning a tie, the oldest Ingress winning a duplicate
// host and path, defaultBackend, TLS hosts, and the annotations people use.
// Pure: objects in, table out.
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IIngressClass } from "kubernetes-models/networking.k8s.io/v1/IngressClass";
import type { IIngressBackend } from "kubernetes-models/networking.k8s.io/v1/IngressBackend";
import type { HostMatch, PathMatch, Route, RouteOptions, RouteTable, ServiceBackend, VirtualHost } from "./table.js";

/** The controllers kemu's router serves: its own, and ingress-nginx's (so manifests written for it work unchanged). */
export const KEMU_INGRESS_CONTROLLER = "kemu.dev/ingress-router";
export const SERVED_INGRESS_CONTROLLERS = [KEMU_INGRESS_CONTROLLER, "k8s.io/ingress-nginx"];
export const DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";
const CLASS_ANNOTATION = "kubernetes.io/ingress.class";
const NGINX = "nginx.ingress.kubernetes.io/";

type Ingress = IIngress & { metadata: NonNullable<IIngress["metadata"]> };
type IngressClass = IIngressClass & { metadata: NonNullable<IIngressClass["metadata"]> };

// ---------------------------------------------------------------------------
// Which Ingresses are ours

/** ingress-nginx v1: by spec.ingressClassName, else the old annotation, else only if one of our classes is the default. */
export function servedIngresses(ingresses: Ingress[], classes: IngressClass[]): Ingress[] {
  const ours = new Set(classes.filter((c) => SERVED_INGRESS_CONTROLLERS.includes(c.spec?.controller ?? "")).map((c) => c.metadata.name!));
  const oursIsDefault = classes.some((c) => ours.has(c.metadata.name!) && c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true");
  return ingresses.filter((ing) => {
    const named = ing.spec?.ingressClassName ?? ing.metadata.annotations?.[CLASS_ANNOTATION];
    return named !== undefined ? ours.has(named) : oursIsDefault;
  });
}

// ---------------------------------------------------------------------------
// Annotations

/** ingress-nginx's defaults (docs/user-guide/nginx-configuration/configmap.md). */
export const DEFAULT_ROUTE_OPTIONS: RouteOptions = {
  backendProtocol: "HTTP",
  connectTimeoutMs: 5_000,
  readTimeoutMs: 60_000,
  sendTimeoutMs: 60_000,
  maxBodyBytes: 1024 * 1024,
  useForwardedHeaders: false,
};

const KNOWN_ANNOTATIONS = new Set(
  [
    "affinity",
    "affinity-mode",
    "session-cookie-name",
    "session-cookie-path",
    "session-cookie-max-age",
    "session-cookie-expires",
    "rewrite-target",
    "use-regex",
    "app-root",
    "ssl-redirect",
    "force-ssl-redirect",
    "backend-protocol",
    "proxy-connect-timeout",
    "proxy-read-timeout",
    "proxy-send-timeout",
    "proxy-body-size",
    "whitelist-source-range",
    "allowlist-source-range",
    "use-forwarded-headers",
  ].map((k) => NGINX + k),
);

/** nginx sizes: `8m`, `512k`, `1g`, `100` (bytes); `0` is no limit. */
export function parseNginxSize(text: string): number | undefined {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Number(m[1]) * unit;
}

interface ParsedAnnotations {
  options: RouteOptions;
  useRegex: boolean;
  sslRedirect: boolean;
  forceSslRedirect: boolean;
  warnings: string[];
}

export function parseIngressAnnotations(annotations: Record<string, string>, where: string): ParsedAnnotations {
  const a = (k: string) => annotations[NGINX + k];
  const warnings: string[] = [];
  const options: RouteOptions = { ...DEFAULT_ROUTE_OPTIONS };
  const seconds = (key: string, fallback: number): number => {
    const v = a(key);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v.trim())) {
      warnings.push(`${where}: annotation ${NGINX}${key}: ${JSON.stringify(v)} is not a number of seconds; using ${fallback / 1000}`);
      return fallback;
    }
    return Number(v) * 1000;
  };
  options.connectTimeoutMs = seconds("proxy-connect-timeout", options.connectTimeoutMs);
  options.readTimeoutMs = seconds("proxy-read-timeout", options.readTimeoutMs);
  options.sendTimeoutMs = seconds("proxy-send-timeout", options.sendTimeoutMs);
  const body = a("proxy-body-size");
  if (body !== undefined) {
    const bytes = parseNginxSize(body);
    if (bytes === undefined) warnings.push(`${where}: annotation ${NGINX}proxy-body-size: ${JSON.stringify(body)} is not a size (e.g. 8m, 512k, 0); using 1m`);
    else options.maxBodyBytes = bytes;
  }
  const protocol = a("backend-protocol");
  if (protocol !== undefined) {
    if (protocol.toUpperCase() === "HTTP" || protocol.toUpperCase() === "HTTPS") options.backendProtocol = protocol.toUpperCase() as "HTTP" | "HTTPS";
    else warnings.push(`${where}: annotation ${NGINX}backend-protocol: ${JSON.stringify(protocol)} is not supported by kemu (HTTP, HTTPS); using HTTP`);
  }
  if (a("rewrite-target") !== undefined) options.rewriteTarget = a("rewrite-target");
  if (a("app-root") !== undefined) options.appRoot = a("app-root");
  const ranges = a("whitelist-source-range") ?? a("allowlist-source-range");
  if (ranges !== undefined) options.allowSourceRanges = ranges.split(",").map((r) => r.trim()).filter((r) => r !== "");
  options.useForwardedHeaders = a("use-forwarded-headers") === "true";
  if (a("affinity") !== undefined) {
    if (a("affinity") !== "cookie") warnings.push(`${where}: annotation ${NGINX}affinity: ${JSON.stringify(a("affinity"))} is not supported (only "cookie")`);
    else {
      const num = (k: string) => (a(k) !== undefined && /^\d+$/.test(a(k)!) ? Number(a(k)) : undefined);
      options.affinity = {
        name: a("session-cookie-name") ?? "INGRESSCOOKIE",
        ...(a("session-cookie-path") !== undefined ? { path: a("session-cookie-path") } : {}),
        ...(num("session-cookie-max-age") !== undefined ? { maxAgeSeconds: num("session-cookie-max-age") } : {}),
        ...(num("session-cookie-expires") !== undefined ? { expiresSeconds: num("session-cookie-expires") } : {}),
        mode: a("affinity-mode") === "persistent" ? "persistent" : "balanced",
      };
    }
  }
  for (const key of Object.keys(annotations)) {
    if (key.startsWith(NGINX) && !KNOWN_ANNOTATIONS.has(key)) warnings.push(`${where}: annotation ${key} is not supported by kemu's router; ignored`);
  }
  return {
    options,
    // Any rewrite-target makes the host's paths regular expressions too (ingress-nginx).
    useRegex: a("use-regex") === "true" || a("rewrite-target") !== undefined,
    sslRedirect: a("ssl-redirect") !== "false",
    forceSslRedirect: a("force-ssl-redirect") === "true",
    warnings,
  };
}

// ---------------------------------------------------------------------------
// Hosts and paths

export function hostMatchOf(host: string | undefined): HostMatch {
  if (!host) return { kind: "any" };
  const lower = host.toLowerCase();
  return lower.startsWith("*.") ? { kind: "wildcard", suffix: lower.slice(1), labels: "one" } : { kind: "exact", host: lower };
}

/** A virtual host's key: the host, `*.suffix`, or "" for the catch-all. */
export function hostKey(h: HostMatch): string {
  return h.kind === "any" ? "" : h.kind === "exact" ? h.host : `*${h.suffix}`;
}

/** exact hosts by name, then wildcards (longest suffix first), then the catch-all. */
export function compareHosts(a: Pick<VirtualHost, "host">, b: Pick<VirtualHost, "host">): number {
  const rank = (h: HostMatch) => (h.kind === "exact" ? 0 : h.kind === "wildcard" ? 1 : 2);
  const ra = rank(a.host);
  const rb = rank(b.host);
  if (ra !== rb) return ra - rb;
  if (a.host.kind === "wildcard" && b.host.kind === "wildcard" && a.host.suffix.length !== b.host.suffix.length) return b.host.suffix.length - a.host.suffix.length;
  return hostKey(a.host) < hostKey(b.host) ? -1 : hostKey(a.host) > hostKey(b.host) ? 1 : 0;
}

function pathMatchOf(path: string, pathType: string, regex: boolean): PathMatch {
  if (regex) return { kind: "regex", source: `^${path}`, caseInsensitive: true };
  if (pathType === "Exact") return { kind: "exact", path };
  if (pathType === "Prefix") return { kind: "prefix", path };
  return { kind: "string-prefix", path };
}

const pathText = (p: PathMatch) => (p.kind === "regex" ? p.source.slice(1) : p.path);

/**
 * Longest path first; on a tie Exact, then Prefix, then a string prefix (K8S-DOC "Multiple matches").
 * Regex paths (use-regex) by descending length, as ingress-nginx sorts its regex locations.
 */
function compareRoutes(a: Route, b: Route): number {
  const la = pathText(a.path).length;
  const lb = pathText(b.path).length;
  if (la !== lb) return lb - la;
  const rank = (p: PathMatch) => ({ exact: 0, prefix: 1, "string-prefix": 2, regex: 3 })[p.kind];
  return rank(a.path) - rank(b.path);
}

function serviceBackend(namespace: string, b: IIngressBackend | undefined): ServiceBackend | undefined {
  const svc = b?.service;
  if (!svc) return undefined; // a `resource` backend: not a Service, nothing kemu can proxy to
  const port = svc.port?.name ? { name: svc.port.name } : { number: svc.port?.number ?? 0 };
  return { namespace, service: svc.name, port };
}

function byAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

// ---------------------------------------------------------------------------
// The table

export function translateIngresses(ingresses: Ingress[], classes: IngressClass[]): RouteTable {
  const warnings: string[] = [];
  const served = servedIngresses(ingresses, classes).sort(byAge);
  const parsed = new Map(served.map((ing) => [ing, parseIngressAnnotations(ing.metadata.annotations ?? {}, `Ingress ${ing.metadata.namespace}/${ing.metadata.name}`)]));
  for (const p of parsed.values()) warnings.push(...p.warnings);

  const hosts = new Map<string, VirtualHost>();
  const hostOf = (h: HostMatch): VirtualHost => {
    const key = hostKey(h);
    let vh = hosts.get(key);
    if (!vh) hosts.set(key, (vh = { host: h, routes: [] }));
    return vh;
  };
  // A host's paths are regular expressions when any Ingress on it asks (ingress-nginx applies it per server).
  const regexHosts = new Set<string>();
  for (const ing of served) {
    if (!parsed.get(ing)!.useRegex) continue;
    for (const rule of ing.spec?.rules ?? []) regexHosts.add(hostKey(hostMatchOf(rule.host)));
  }

  // TLS first: the oldest Ingress naming a host gives its certificate.
  const tlsHosts = new Set<string>();
  for (const ing of served) {
    for (const tls of ing.spec?.tls ?? []) {
      for (const h of tls.hosts ?? []) {
        const vh = hostOf(hostMatchOf(h));
        tlsHosts.add(hostKey(vh.host));
        if (vh.tlsSecret === undefined && tls.secretName) vh.tlsSecret = `${ing.metadata.namespace}/${tls.secretName}`;
      }
    }
  }

  const seen = new Map<string, string>();
  for (const ing of served) {
    const ns = ing.metadata.namespace ?? "default";
    const where = `Ingress ${ns}/${ing.metadata.name}`;
    const ann = parsed.get(ing)!;
    const optionsFor = (hk: string): RouteOptions => {
      const redirect = ann.forceSslRedirect || (ann.sslRedirect && tlsHosts.has(hk));
      return redirect ? { ...ann.options, httpsRedirect: 308 } : ann.options;
    };
    (ing.spec?.rules ?? []).forEach((rule, r) => {
      const vh = hostOf(hostMatchOf(rule.host));
      const hk = hostKey(vh.host);
      (rule.http?.paths ?? []).forEach((p, i) => {
        const source = `${where} rules[${r}].http.paths[${i}]`;
        const path = p.path ?? "/";
        const key = `${hk} ${p.pathType} ${path}`;
        const first = seen.get(key);
        if (first) {
          warnings.push(`${source}: host ${JSON.stringify(hk || "*")} and path ${JSON.stringify(path)} are already defined by ${first}; the older one is used`);
          return;
        }
        const backend = serviceBackend(ns, p.backend);
        if (!backend) {
          warnings.push(`${source}: a resource backend cannot be proxied to; skipped`);
          return;
        }
        seen.set(key, source);
        vh.routes.push({ source, path: pathMatchOf(path, p.pathType, regexHosts.has(hk)), backends: [{ weight: 1, backend }], options: optionsFor(hk) });
      });
    });
    const fallback = serviceBackend(ns, ing.spec?.defaultBackend);
    if (fallback) {
      const route = (hk: string): Route => ({ source: `${where} defaultBackend`, path: { kind: "prefix", path: "/" }, backends: [{ weight: 1, backend: fallback }], options: optionsFor(hk) });
      // Without rules it serves every unknown host; with rules, what its own hosts leave unmatched (ingress-nginx).
      const targets = (ing.spec?.rules ?? []).length === 0 ? [hostOf({ kind: "any" })] : (ing.spec?.rules ?? []).map((r) => hostOf(hostMatchOf(r.host)));
      for (const vh of targets) vh.fallback ??= route(hostKey(vh.host));
    }
  }

  const table: RouteTable = { hosts: [...hosts.values()].sort(compareHosts), warnings };
  for (const vh of table.hosts) vh.routes.sort(compareRoutes);
  return table;
}
