// Gateway API (gateway.networking.k8s.io/v1) → the route table, with the
// statuses an implementation writes (GW apis/v1/{gateway,httproute,
// shared}_types.go godoc; expected behaviour from conformance/tests/*.yaml).
// Steps: our GatewayClasses → their Gateways → each listener's validity
// (protocol, conflicts, certificate, route kinds) → each HTTPRoute's
// parentRefs attached to listeners (sectionName, port, allowedRoutes,
// hostname intersection) → one GatewayServer per (Gateway, port) whose
// virtual hosts hold the attached rules in Gateway API's precedence order.
// Precedence lives entirely in that order: match.ts takes the first route.
// Pure: objects in, table and statuses out.
import type { Service } from "../api/types.js";
import { matchesLabelSelector } from "../api/selectors.js";
import { durationMs } from "../api/validation/gateway-httproute.js";
import { hostMatches } from "./match.js";
import { compareHosts, hostKey } from "./translate-ingress.js";
import { ConditionType as C, Reason as R, condition } from "./gateway-status.js";
import { GATEWAY_GROUP } from "./gateway-types.js";
import type {
  ConditionWithoutTime,
  Gateway,
  GatewayClassStatus,
  GatewayListener,
  GatewayStatus,
  GatewayWorldObjects,
  HTTPBackendRef,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  ListenerStatus,
  ParentReference,
  ReferenceGrant,
  RouteParentStatus,
} from "./gateway-types.js";
import type { GatewayServer, HeaderEdits, HostMatch, PathMatch, PathModifier, RequestConditions, Route, RouteOptions, ValueMatch, VirtualHost, WeightedBackend } from "./table.js";

export const KEMU_GATEWAY_CONTROLLER = "kemu.dev/gateway-controller";

/** Gateway routes: no body limit and no forwarded-header trust (neither is a Gateway API notion); ingress-nginx's timeouts. */
export const GATEWAY_ROUTE_OPTIONS: RouteOptions = {
  backendProtocol: "HTTP",
  connectTimeoutMs: 5_000,
  readTimeoutMs: 60_000,
  sendTimeoutMs: 60_000,
  maxBodyBytes: 0,
  useForwardedHeaders: false,
};

export interface GatewayWorld extends GatewayWorldObjects {
  service(namespace: string, name: string): Service | undefined;
  secret(namespace: string, name: string): { type?: string; data?: Record<string, string> } | undefined;
  /** the router's port for a Gateway's listener port; undefined until the Gateway's Service exists */
  internalPort(gatewayNamespace: string, gatewayName: string, listenerPort: number): number | undefined;
  /** the Gateway's addresses (its Service's LoadBalancer IPs), for status */
  addresses(gatewayNamespace: string, gatewayName: string): string[];
}

export interface GatewayTranslation {
  /** one per (Gateway, listener port) with a servable listener and an internal port */
  servers: GatewayServer[];
  /** only classes with our controllerName */
  gatewayClasses: Array<{ name: string; status: GatewayClassStatus }>;
  /** only Gateways of our classes */
  gateways: Array<{ namespace: string; name: string; status: GatewayStatus }>;
  /** only routes with a parentRef to one of our Gateways; one entry per such parentRef */
  routes: Array<{ namespace: string; name: string; parents: RouteParentStatus[] }>;
  warnings: string[];
}

const HTTPROUTE_KIND = { group: GATEWAY_GROUP, kind: "HTTPRoute" };
const SUPPORTED_FILTERS = new Set(["RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"]);

// ---------------------------------------------------------------------------
// Hostnames

/** A Gateway API hostname: `*.example.com` matches one or more labels. */
export function gatewayHostMatch(hostname: string | undefined): HostMatch {
  if (!hostname) return { kind: "any" };
  const lower = hostname.toLowerCase();
  return lower.startsWith("*.") ? { kind: "wildcard", suffix: lower.slice(1), labels: "any" } : { kind: "exact", host: lower };
}

/** Whether every name `inner` matches is also matched by `outer`. */
function covers(outer: HostMatch, inner: HostMatch): boolean {
  if (outer.kind === "any") return true;
  if (inner.kind === "any") return false;
  if (inner.kind === "exact") return hostMatches(outer, inner.host);
  return outer.kind === "wildcard" && inner.suffix.endsWith(outer.suffix);
}

/**
 * The hostnames a listener serves for a route (GW httproute_types.go
 * Hostnames godoc): the route's hostnames that the listener's matches, a
 * wildcard narrowed to the more specific side; none on both sides: any.
 */
export function intersectHostnames(listener: string | undefined, route: string[] | undefined): HostMatch[] {
  const l = gatewayHostMatch(listener);
  if (!route || route.length === 0) return [l];
  const out = new Map<string, HostMatch>();
  for (const r of route.map(gatewayHostMatch)) {
    const h = covers(l, r) ? r : covers(r, l) ? l : undefined;
    if (h) out.set(hostKey(h), h);
  }
  return [...out.values()];
}

// ---------------------------------------------------------------------------
// References

function granted(grants: ReferenceGrant[], from: { kind: string; namespace: string }, to: { group: string; kind: string; namespace: string; name: string }): boolean {
  return grants.some(
    (g) =>
      g.metadata.namespace === to.namespace &&
      g.spec.from.some((f) => f.group === GATEWAY_GROUP && f.kind === from.kind && f.namespace === from.namespace) &&
      g.spec.to.some((t) => (t.group ?? "") === to.group && t.kind === to.kind && (t.name === undefined || t.name === "" || t.name === to.name)),
  );
}

interface RefProblem {
  reason: string;
  message: string;
}

function resolveBackendRef(ref: HTTPBackendRef, routeNs: string, world: GatewayWorld, where: string): { backend: WeightedBackend; problem?: RefProblem } {
  const weight = ref.weight ?? 1;
  const group = ref.group ?? "";
  const kind = ref.kind ?? "Service";
  const ns = ref.namespace ?? routeNs;
  const fail = (reason: string, message: string) => ({ backend: { weight, invalid: message }, problem: { reason, message: `${where}: ${message}` } });
  if (group !== "" || kind !== "Service") return fail(R.InvalidKind, `${group === "" ? "" : `${group}/`}${kind} is not a supported backend kind (only Service)`);
  if (ns !== routeNs && !granted(world.grants, { kind: "HTTPRoute", namespace: routeNs }, { group: "", kind: "Service", namespace: ns, name: ref.name }))
    return fail(R.RefNotPermitted, `service ${ns}/${ref.name} is in another namespace and no ReferenceGrant there allows it`);
  const svc = world.service(ns, ref.name);
  if (!svc) return fail(R.BackendNotFound, `service ${ns}/${ref.name} not found`);
  if (ref.port === undefined) return fail(R.BackendNotFound, `service ${ns}/${ref.name}: port is required`);
  if (!(svc.spec?.ports ?? []).some((p) => p.port === ref.port)) return fail(R.BackendNotFound, `service ${ns}/${ref.name} has no port ${ref.port}`);
  return { backend: { weight, backend: { namespace: ns, service: ref.name, port: { number: ref.port } } } };
}

// ---------------------------------------------------------------------------
// Rules → route entries

interface Entry {
  route: HTTPRoute;
  routeKey: string;
  rule: number;
  match: number;
  source: string;
  path: PathMatch;
  /** the path's text, for longest-prefix order */
  pathLength: number;
  conditions?: RequestConditions;
  backends: WeightedBackend[];
  options: RouteOptions;
}

interface CompiledRoute {
  route: HTTPRoute;
  key: string;
  entries: Entry[];
  /** why the route cannot be served (Accepted False UnsupportedValue) */
  unsupported: string[];
  refProblems: RefProblem[];
}

const fullMatch = (source: string) => `^(?:${source})$`;

function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function valueMatch(m: { type?: string; value: string }): ValueMatch {
  return m.type === "RegularExpression" ? { kind: "regex", source: fullMatch(m.value) } : { kind: "exact", value: m.value };
}

/** Matches' headers by lower-cased name, query parameters by exact name: only the first of a name counts (GW HTTPHeaderMatch godoc). */
function firstOfEachName<T extends { name: string }>(list: T[] | undefined, norm: (n: string) => string): T[] {
  const seen = new Set<string>();
  return (list ?? []).filter((x) => !seen.has(norm(x.name)) && (seen.add(norm(x.name)), true));
}

function headerEdits(f: { set?: Array<{ name: string; value: string }>; add?: Array<{ name: string; value: string }>; remove?: string[] }): HeaderEdits {
  const lower = (l: Array<{ name: string; value: string }> | undefined) => (l ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value }));
  return { set: lower(f.set), add: lower(f.add), remove: (f.remove ?? []).map((n) => n.toLowerCase()) };
}

function pathModifier(p: { type: string; replaceFullPath?: string; replacePrefixMatch?: string } | undefined): PathModifier | undefined {
  if (!p) return undefined;
  return p.type === "ReplaceFullPath" ? { kind: "full", path: p.replaceFullPath ?? "/" } : { kind: "prefix", prefix: p.replacePrefixMatch ?? "/" };
}

function ruleOptions(filters: HTTPRouteFilter[] | undefined, timeouts: { request?: string; backendRequest?: string } | undefined, where: string, unsupported: string[]): RouteOptions {
  const options: RouteOptions = { ...GATEWAY_ROUTE_OPTIONS };
  const timeout = timeouts?.backendRequest ?? timeouts?.request;
  if (timeout !== undefined) options.readTimeoutMs = durationMs(timeout);
  (filters ?? []).forEach((f, i) => {
    if (!SUPPORTED_FILTERS.has(f.type)) {
      unsupported.push(`${where}.filters[${i}]: filter ${f.type} is not supported by kemu's router`);
      return;
    }
    if (f.type === "RequestHeaderModifier" && f.requestHeaderModifier) options.requestHeaders = headerEdits(f.requestHeaderModifier);
    if (f.type === "ResponseHeaderModifier" && f.responseHeaderModifier) options.responseHeaders = headerEdits(f.responseHeaderModifier);
    if (f.type === "RequestRedirect" && f.requestRedirect) {
      const r = f.requestRedirect;
      const path = pathModifier(r.path);
      options.redirect = {
        ...(r.scheme !== undefined ? { scheme: r.scheme } : {}),
        ...(r.hostname !== undefined ? { hostname: r.hostname } : {}),
        ...(path ? { path } : {}),
        ...(r.port !== undefined ? { port: r.port } : {}),
        status: r.statusCode ?? 302,
      };
    }
    if (f.type === "URLRewrite" && f.urlRewrite) {
      const path = pathModifier(f.urlRewrite.path);
      options.urlRewrite = { ...(f.urlRewrite.hostname !== undefined ? { hostname: f.urlRewrite.hostname } : {}), ...(path ? { path } : {}) };
    }
  });
  return options;
}

function compileRoute(route: HTTPRoute, world: GatewayWorld): CompiledRoute {
  const ns = route.metadata.namespace ?? "default";
  const key = `${ns}/${route.metadata.name}`;
  const where = `HTTPRoute ${key}`;
  const unsupported: string[] = [];
  const refProblems: RefProblem[] = [];
  const entries: Entry[] = [];
  (route.spec.rules ?? []).forEach((rule, r) => {
    const options = ruleOptions(rule.filters, rule.timeouts, `rules[${r}]`, unsupported);
    const backends = (rule.backendRefs ?? []).map((ref, b) => {
      if ((ref.filters ?? []).length > 0) unsupported.push(`rules[${r}].backendRefs[${b}].filters: filters on a backendRef are not supported by kemu's router`);
      const res = resolveBackendRef(ref, ns, world, `rules[${r}].backendRefs[${b}]`);
      if (res.problem) refProblems.push(res.problem);
      return res.backend;
    });
    const matches: Array<HTTPRouteMatch | undefined> = rule.matches && rule.matches.length > 0 ? rule.matches : [undefined];
    matches.forEach((m, i) => {
      const value = m?.path?.value ?? "/";
      const type = m?.path?.type ?? "PathPrefix";
      let path: PathMatch;
      if (type === "Exact") path = { kind: "exact", path: value };
      else if (type === "RegularExpression") {
        const bad = regexProblem(value);
        if (bad) unsupported.push(`rules[${r}].matches[${i}].path: ${JSON.stringify(value)} is not a regular expression kemu can run: ${bad}`);
        path = { kind: "regex", source: fullMatch(value), caseInsensitive: false };
      } else path = { kind: "prefix", path: value };
      const headers = firstOfEachName(m?.headers, (n) => n.toLowerCase()).map((h) => ({ name: h.name.toLowerCase(), match: valueMatch(h) }));
      const query = firstOfEachName(m?.queryParams, (n) => n).map((q) => ({ name: q.name, match: valueMatch(q) }));
      for (const c of [...headers, ...query]) {
        if (c.match.kind === "regex" && regexProblem(c.match.source)) unsupported.push(`rules[${r}].matches[${i}]: ${JSON.stringify(c.name)}: not a regular expression kemu can run`);
      }
      const conditions: RequestConditions | undefined =
        m?.method !== undefined || headers.length > 0 || query.length > 0 ? { ...(m?.method !== undefined ? { method: m.method.toUpperCase() } : {}), headers, query } : undefined;
      entries.push({
        route,
        routeKey: key,
        rule: r,
        match: i,
        source: `${where} rules[${r}]${m ? `.matches[${i}]` : ""}`,
        path,
        pathLength: value.length,
        ...(conditions ? { conditions } : {}),
        backends,
        options,
      });
    });
  });
  return { route, key, entries, unsupported, refProblems };
}

/**
 * GW httproute_types.go (HTTPRouteRule, "Matches" godoc): Exact path, then
 * the longest prefix (regular expressions, implementation-specific, after
 * prefixes), then a method, then most headers, then most query parameters,
 * then the oldest route, then namespace/name, then rule and match order.
 */
function comparePrecedence(a: Entry, b: Entry): number {
  const rank = (p: PathMatch) => (p.kind === "exact" ? 0 : p.kind === "regex" ? 2 : 1);
  return (
    rank(a.path) - rank(b.path) ||
    b.pathLength - a.pathLength ||
    Number(b.conditions?.method !== undefined) - Number(a.conditions?.method !== undefined) ||
    (b.conditions?.headers.length ?? 0) - (a.conditions?.headers.length ?? 0) ||
    (b.conditions?.query.length ?? 0) - (a.conditions?.query.length ?? 0) ||
    compareText(a.route.metadata.creationTimestamp ?? "", b.route.metadata.creationTimestamp ?? "") ||
    compareText(a.routeKey, b.routeKey) ||
    a.rule - b.rule ||
    a.match - b.match
  );
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------
// Gateways and listeners

interface ListenerCtx {
  listener: GatewayListener;
  host: HostMatch;
  supportedKinds: Array<{ group: string; kind: string }>;
  invalidKinds: string[];
  protocolOk: boolean;
  conflict?: "ProtocolConflict" | "HostnameConflict";
  cert?: RefProblem;
  /** `namespace/name` of the TLS Secret (HTTPS) */
  secret?: string;
  internalPort?: number;
  attached: Set<string>;
  /** attached rules by the virtual host they serve */
  hosts: Map<string, { host: HostMatch; entries: Set<Entry> }>;
}

interface GatewayCtx {
  gateway: Gateway;
  key: string;
  accepted: boolean;
  listeners: ListenerCtx[];
}

const servable = (l: ListenerCtx) => l.protocolOk && l.conflict === undefined;
const resolved = (l: ListenerCtx) => l.cert === undefined && l.invalidKinds.length === 0;

function certificateOf(gw: Gateway, l: GatewayListener, world: GatewayWorld): { secret?: string; problem?: RefProblem } {
  const gwNs = gw.metadata.namespace ?? "default";
  const ref = l.tls?.certificateRefs?.[0];
  if (l.tls?.mode !== undefined && l.tls.mode !== "Terminate") return { problem: { reason: R.InvalidCertificateRef, message: `tls.mode ${l.tls.mode} is not supported on an HTTPS listener` } };
  if (!ref) return { problem: { reason: R.InvalidCertificateRef, message: "an HTTPS listener needs tls.certificateRefs" } };
  const group = ref.group ?? "";
  const kind = ref.kind ?? "Secret";
  const ns = ref.namespace ?? gwNs;
  if (group !== "" || kind !== "Secret") return { problem: { reason: R.InvalidCertificateRef, message: `certificateRefs[0]: ${group === "" ? "" : `${group}/`}${kind} is not supported (only Secret)` } };
  if (ns !== gwNs && !granted(world.grants, { kind: "Gateway", namespace: gwNs }, { group: "", kind: "Secret", namespace: ns, name: ref.name }))
    return { problem: { reason: R.RefNotPermitted, message: `certificateRefs[0]: secret ${ns}/${ref.name} is in another namespace and no ReferenceGrant there allows it` } };
  const secret = world.secret(ns, ref.name);
  if (!secret) return { problem: { reason: R.InvalidCertificateRef, message: `certificateRefs[0]: secret ${ns}/${ref.name} not found` } };
  if (secret.type !== "kubernetes.io/tls" || !secret.data?.["tls.crt"] || !secret.data["tls.key"])
    return { problem: { reason: R.InvalidCertificateRef, message: `certificateRefs[0]: secret ${ns}/${ref.name} is not of type kubernetes.io/tls with tls.crt and tls.key` } };
  return { secret: `${ns}/${ref.name}` };
}

function listenerContexts(gw: Gateway, world: GatewayWorld): ListenerCtx[] {
  const gwNs = gw.metadata.namespace ?? "default";
  const ctxs = gw.spec.listeners.map((l): ListenerCtx => {
    const protocolOk = l.protocol === "HTTP" || l.protocol === "HTTPS";
    const kinds = l.allowedRoutes?.kinds;
    const isHttpRoute = (k: { group?: string; kind: string }) => (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === "HTTPRoute";
    const invalidKinds = protocolOk ? (kinds ?? []).filter((k) => !isHttpRoute(k)).map((k) => `${k.group ?? GATEWAY_GROUP}/${k.kind}`) : [];
    const supportedKinds = !protocolOk ? [] : kinds === undefined || kinds.length === 0 || kinds.some(isHttpRoute) ? [HTTPROUTE_KIND] : [];
    const ctx: ListenerCtx = { listener: l, host: gatewayHostMatch(l.hostname), supportedKinds, invalidKinds, protocolOk, attached: new Set(), hosts: new Map() };
    if (protocolOk && l.protocol === "HTTPS") {
      const c = certificateOf(gw, l, world);
      if (c.problem) ctx.cert = c.problem;
      if (c.secret) ctx.secret = c.secret;
    }
    const port = world.internalPort(gwNs, gw.metadata.name!, l.port);
    if (port !== undefined) ctx.internalPort = port;
    return ctx;
  });
  // GW gateway_types.go ListenerConditionConflicted: one port, two protocols; or one port, one hostname twice.
  const byPort = new Map<number, ListenerCtx[]>();
  for (const c of ctxs) byPort.set(c.listener.port, [...(byPort.get(c.listener.port) ?? []), c]);
  for (const group of byPort.values()) {
    if (new Set(group.map((c) => c.listener.protocol)).size > 1) {
      for (const c of group) c.conflict = "ProtocolConflict";
      continue;
    }
    const byHost = new Map<string, ListenerCtx[]>();
    for (const c of group) byHost.set(hostKey(c.host), [...(byHost.get(hostKey(c.host)) ?? []), c]);
    for (const same of byHost.values()) if (same.length > 1) for (const c of same) c.conflict = "HostnameConflict";
  }
  return ctxs;
}

function namespaceAllowed(l: GatewayListener, gwNs: string, routeNs: string, world: GatewayWorld): boolean {
  const from = l.allowedRoutes?.namespaces?.from ?? "Same";
  if (from === "All") return true;
  if (from === "Same") return routeNs === gwNs;
  const ns = world.namespaces.find((n) => n.metadata.name === routeNs);
  // The API server labels every namespace with its name (kubernetes.io/metadata.name).
  const labels = { "kubernetes.io/metadata.name": routeNs, ...(ns?.metadata.labels ?? {}) };
  return matchesLabelSelector(l.allowedRoutes?.namespaces?.selector, labels);
}

// ---------------------------------------------------------------------------
// Route attachment

function parentRefText(ref: ParentReference): string {
  return `${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}${ref.sectionName !== undefined ? ` sectionName ${JSON.stringify(ref.sectionName)}` : ""}${ref.port !== undefined ? ` port ${ref.port}` : ""}`;
}

/** Attach one parentRef of a route to the listeners it names; the Accepted condition's (status, reason, message). */
function attach(compiled: CompiledRoute, ref: ParentReference, gw: GatewayCtx, world: GatewayWorld): { ok: boolean; reason: string; message: string } {
  const route = compiled.route;
  const routeNs = route.metadata.namespace ?? "default";
  const gwNs = gw.gateway.metadata.namespace ?? "default";
  if (compiled.unsupported.length > 0) return { ok: false, reason: R.UnsupportedValue, message: compiled.unsupported.join("; ") };
  let named = gw.listeners;
  if (ref.sectionName !== undefined) named = named.filter((l) => l.listener.name === ref.sectionName);
  if (ref.port !== undefined) named = named.filter((l) => l.listener.port === ref.port);
  if (named.length === 0) return { ok: false, reason: R.NoMatchingParent, message: `Gateway ${gw.key} has no listener matching parentRef ${parentRefText(ref)}` };
  const allowing = named.filter((l) => servable(l) && l.supportedKinds.length > 0 && namespaceAllowed(l.listener, gwNs, routeNs, world));
  if (allowing.length === 0) return { ok: false, reason: R.NotAllowedByListeners, message: `no listener of Gateway ${gw.key} allows HTTPRoutes from namespace ${routeNs}` };
  let attachedAny = false;
  for (const l of allowing) {
    const hosts = intersectHostnames(l.listener.hostname, route.spec.hostnames);
    if (hosts.length === 0) continue;
    attachedAny = true;
    l.attached.add(compiled.key);
    for (const h of hosts) {
      const k = hostKey(h);
      let vh = l.hosts.get(k);
      if (!vh) l.hosts.set(k, (vh = { host: h, entries: new Set() }));
      for (const e of compiled.entries) vh.entries.add(e);
    }
  }
  if (!attachedAny) return { ok: false, reason: R.NoMatchingListenerHostname, message: `no hostname of the route matches a listener hostname of Gateway ${gw.key}` };
  return { ok: true, reason: R.Accepted, message: "accepted" };
}

// ---------------------------------------------------------------------------
// Servers

const toRoute = (e: Entry): Route => ({ source: e.source, path: e.path, ...(e.conditions ? { conditions: e.conditions } : {}), backends: e.backends, options: e.options });

/** The most specific listener of a port whose hostname covers this host: requests for it belong there (listener isolation). */
function ownerOf(host: HostMatch, listeners: ListenerCtx[]): ListenerCtx | undefined {
  return listeners.filter((l) => covers(l.host, host)).sort(compareHosts)[0];
}

function buildServer(gw: GatewayCtx, port: number, listeners: ListenerCtx[], warnings: string[]): GatewayServer {
  const https = listeners[0]!.listener.protocol === "HTTPS";
  const hosts: VirtualHost[] = [];
  for (const l of listeners) {
    const own = [...l.hosts.values()].sort(compareHosts);
    for (const vh of own) {
      const owner = ownerOf(vh.host, listeners);
      if (owner !== l) {
        warnings.push(`Gateway ${gw.key} port ${port}: host ${JSON.stringify(hostKey(vh.host) || "*")} of listener ${l.listener.name} is served by the more specific listener ${owner?.listener.name}`);
        continue;
      }
      // A request for this host tries its own rules first, then those of less specific hosts on the same listener.
      const entries = new Set<Entry>();
      for (const src of [vh, ...own.filter((o) => o !== vh && covers(o.host, vh.host))]) {
        for (const e of [...src.entries].sort(comparePrecedence)) entries.add(e);
      }
      hosts.push({ host: vh.host, routes: [...entries].map(toRoute), ...(https && l.secret ? { tlsSecret: l.secret } : {}) });
    }
  }
  hosts.sort(compareHosts);
  const certificates = https ? listeners.filter((l) => l.secret !== undefined).map((l) => ({ host: l.host, secret: l.secret! })).sort(compareHosts) : [];
  return { source: `Gateway ${gw.key} port ${port}`, port: listeners[0]!.internalPort!, listenerPort: port, scheme: https ? "https" : "http", table: { hosts, warnings: [] }, certificates };
}

// ---------------------------------------------------------------------------
// Statuses

function listenerStatus(l: ListenerCtx, gwAccepted: boolean, gen: number | undefined): ListenerStatus {
  const conditions: ConditionWithoutTime[] = [];
  if (!l.protocolOk) conditions.push(condition(C.Accepted, false, R.UnsupportedProtocol, `protocol ${l.listener.protocol} is not supported (HTTP, HTTPS)`, gen));
  else if (l.conflict) conditions.push(condition(C.Accepted, false, l.conflict, conflictMessage(l), gen));
  else conditions.push(condition(C.Accepted, true, R.Accepted, "accepted", gen));
  if (l.cert) conditions.push(condition(C.ResolvedRefs, false, l.cert.reason, l.cert.message, gen));
  else if (l.invalidKinds.length > 0) conditions.push(condition(C.ResolvedRefs, false, R.InvalidRouteKinds, `route kinds not supported: ${l.invalidKinds.join(", ")} (only HTTPRoute)`, gen));
  else conditions.push(condition(C.ResolvedRefs, true, R.ResolvedRefs, "all references resolved", gen));
  if (!gwAccepted || !servable(l) || !resolved(l)) conditions.push(condition(C.Programmed, false, R.Invalid, "the listener cannot be served", gen));
  else if (l.internalPort === undefined) conditions.push(condition(C.Programmed, false, R.Pending, "waiting for the Gateway's Service", gen));
  else conditions.push(condition(C.Programmed, true, R.Programmed, "programmed", gen));
  conditions.push(l.conflict ? condition(C.Conflicted, true, l.conflict, conflictMessage(l), gen) : condition(C.Conflicted, false, R.NoConflicts, "no conflicts", gen));
  return { name: l.listener.name, supportedKinds: l.supportedKinds, attachedRoutes: l.attached.size, conditions };
}

function conflictMessage(l: ListenerCtx): string {
  return l.conflict === "ProtocolConflict"
    ? `another listener on port ${l.listener.port} has a different protocol`
    : `another listener on port ${l.listener.port} has the hostname ${JSON.stringify(l.listener.hostname ?? "")}`;
}

function gatewayStatus(gw: GatewayCtx, world: GatewayWorld): GatewayStatus {
  const gen = gw.gateway.metadata.generation;
  const ns = gw.gateway.metadata.namespace ?? "default";
  const addresses = world.addresses(ns, gw.gateway.metadata.name!).map((value) => ({ type: "IPAddress" as const, value }));
  const conditions: ConditionWithoutTime[] = [];
  const badListeners = gw.listeners.some((l) => !servable(l));
  if (!gw.accepted) conditions.push(condition(C.Accepted, false, R.UnsupportedAddress, "kemu cannot honour spec.addresses: a Gateway's address is its Service's LoadBalancer IP", gen));
  else conditions.push(condition(C.Accepted, true, badListeners ? R.ListenersNotValid : R.Accepted, badListeners ? "some listeners are not valid" : "accepted", gen));
  const programmable = gw.listeners.filter((l) => servable(l) && resolved(l));
  if (!gw.accepted) conditions.push(condition(C.Programmed, false, R.Invalid, "the Gateway is not accepted", gen));
  else if (addresses.length === 0) conditions.push(condition(C.Programmed, false, R.AddressNotAssigned, "waiting for the Gateway's Service to get a LoadBalancer address", gen));
  else if (programmable.length === 0) conditions.push(condition(C.Programmed, false, R.Invalid, "no listener can be served", gen));
  else if (programmable.some((l) => l.internalPort === undefined)) conditions.push(condition(C.Programmed, false, R.Pending, "waiting for the router's ports", gen));
  else conditions.push(condition(C.Programmed, true, R.Programmed, "programmed", gen));
  return { addresses, conditions, listeners: gw.listeners.map((l) => listenerStatus(l, gw.accepted, gen)) };
}

// ---------------------------------------------------------------------------
// The translation

const byAge = (a: { metadata: { creationTimestamp?: string; namespace?: string; name?: string } }, b: typeof a) =>
  compareText(a.metadata.creationTimestamp ?? "", b.metadata.creationTimestamp ?? "") || compareText(`${a.metadata.namespace}/${a.metadata.name}`, `${b.metadata.namespace}/${b.metadata.name}`);

export function translateGateways(world: GatewayWorld): GatewayTranslation {
  const warnings: string[] = [];
  const classes = world.gatewayClasses.filter((c) => c.spec.controllerName === KEMU_GATEWAY_CONTROLLER);
  const classNames = new Set(classes.map((c) => c.metadata.name!));
  const gatewayClasses = classes
    .map((c) => ({ name: c.metadata.name!, status: { conditions: [condition(C.Accepted, true, R.Accepted, "kemu's router serves this class", c.metadata.generation)] } }))
    .sort((a, b) => compareText(a.name, b.name));

  const gws = new Map<string, GatewayCtx>();
  for (const gateway of [...world.gateways].filter((g) => classNames.has(g.spec.gatewayClassName)).sort(byAge)) {
    const key = `${gateway.metadata.namespace ?? "default"}/${gateway.metadata.name}`;
    gws.set(key, { gateway, key, accepted: (gateway.spec.addresses ?? []).length === 0, listeners: listenerContexts(gateway, world) });
  }

  const routes: GatewayTranslation["routes"] = [];
  for (const route of [...world.routes].sort(byAge)) {
    const routeNs = route.metadata.namespace ?? "default";
    const refs = (route.spec.parentRefs ?? []).filter((ref) => (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (ref.kind ?? "Gateway") === "Gateway" && gws.has(`${ref.namespace ?? routeNs}/${ref.name}`));
    if (refs.length === 0) continue;
    const compiled = compileRoute(route, world);
    const gen = route.metadata.generation;
    const resolvedRefs =
      compiled.refProblems.length === 0
        ? condition(C.ResolvedRefs, true, R.ResolvedRefs, "all references resolved", gen)
        : condition(C.ResolvedRefs, false, compiled.refProblems[0]!.reason, compiled.refProblems.map((p) => p.message).join("; "), gen);
    const parents = refs.map((ref): RouteParentStatus => {
      const a = attach(compiled, ref, gws.get(`${ref.namespace ?? routeNs}/${ref.name}`)!, world);
      return { parentRef: ref, controllerName: KEMU_GATEWAY_CONTROLLER, conditions: [condition(C.Accepted, a.ok, a.reason, a.message, gen), resolvedRefs] };
    });
    routes.push({ namespace: routeNs, name: route.metadata.name!, parents });
  }

  const servers: GatewayServer[] = [];
  const gateways: GatewayTranslation["gateways"] = [];
  for (const gw of gws.values()) {
    if (gw.accepted) {
      const ports = [...new Set(gw.listeners.map((l) => l.listener.port))].sort((a, b) => a - b);
      for (const port of ports) {
        const served = gw.listeners.filter((l) => l.listener.port === port && servable(l) && resolved(l) && l.internalPort !== undefined);
        if (served.length > 0) servers.push(buildServer(gw, port, served, warnings));
      }
    }
    gateways.push({ namespace: gw.gateway.metadata.namespace ?? "default", name: gw.gateway.metadata.name!, status: gatewayStatus(gw, world) });
  }
  return { servers, gatewayClasses, gateways, routes, warnings };
}
