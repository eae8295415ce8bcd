// HTTPRoute (gateway.networking.k8s.io/v1), validated and defaulted as
// kube-apiserver does with the standard-channel CRD (kubernetes-sigs/
// gateway-api apis/v1/httproute_types.go; config/crd/standard/
// gateway.networking.k8s.io_httproutes.yaml): a rule without matches
// matches every path (PathPrefix "/"), a path match is a PathPrefix, a
// header or query match is Exact, a backendRef weighs 1.
import type { FieldError } from "../errors.js";
import type { KubeObject } from "../types.js";
import { applySchemaDefaults, validateSchema, type CelRule, type ObjectSchema } from "./crd-schema.js";
import {
  HTTP_METHODS,
  DURATION_PATTERN,
  arr,
  backendObjectReference,
  headerName,
  hostname,
  httpRouteFilters,
  int,
  obj,
  parentRefs,
  str,
  SUBDOMAIN_PATTERN,
} from "./gateway-shared.js";

export const MAX_RULES = 16;
export const MAX_MATCHES_PER_RULE = 64;
export const MAX_MATCHES_PER_ROUTE = 128;
export const PATH_MATCH_TYPES = ["Exact", "PathPrefix", "RegularExpression"] as const;
export const VALUE_MATCH_TYPES = ["Exact", "RegularExpression"] as const;

const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;
const PREFIX_TYPES = "['Exact', 'PathPrefix']";

interface PathMatch {
  type: string;
  value: string;
}
/** A rule on an Exact or PathPrefix path's value. */
const onPath = (message: string, ok: (value: string) => boolean): CelRule => ({
  message,
  ok: (s: PathMatch) => (s.type === "Exact" || s.type === "PathPrefix" ? ok(s.value) : true),
});

/** HTTPPathMatch: an absolute, normalised path for Exact and PathPrefix. */
const pathMatch = (): ObjectSchema =>
  obj(
    { type: str({ enum: PATH_MATCH_TYPES, default: "PathPrefix" }), value: str({ maxLength: 1024, default: "/" }) },
    {
      default: { type: "PathPrefix", value: "/" },
      cel: [
        onPath(`value must be an absolute path and start with '/' when type one of ${PREFIX_TYPES}`, (v) => v.startsWith("/")),
        onPath(`must not contain '//' when type one of ${PREFIX_TYPES}`, (v) => !v.includes("//")),
        onPath(`must not contain '/./' when type one of ${PREFIX_TYPES}`, (v) => !v.includes("/./")),
        onPath(`must not contain '/../' when type one of ${PREFIX_TYPES}`, (v) => !v.includes("/../")),
        onPath(`must not contain '%2f' when type one of ${PREFIX_TYPES}`, (v) => !v.includes("%2f")),
        onPath(`must not contain '%2F' when type one of ${PREFIX_TYPES}`, (v) => !v.includes("%2F")),
        onPath(`must not contain '#' when type one of ${PREFIX_TYPES}`, (v) => !v.includes("#")),
        onPath(`must not end with '/..' when type one of ${PREFIX_TYPES}`, (v) => !v.endsWith("/..")),
        onPath(`must not end with '/.' when type one of ${PREFIX_TYPES}`, (v) => !v.endsWith("/.")),
        { message: "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']", ok: (s: PathMatch) => (PATH_MATCH_TYPES as readonly string[]).includes(s.type) },
        onPath(`must only contain valid characters (matching ${PATH_CHARS.source}) for types ${PREFIX_TYPES}`, (v) => PATH_CHARS.test(v)),
      ],
    },
  );

const valueMatch = (maxValue: number): ObjectSchema =>
  obj(
    { type: str({ enum: VALUE_MATCH_TYPES, default: "Exact" }), name: headerName(), value: str({ minLength: 1, maxLength: maxValue }) },
    { required: ["name", "value"] },
  );

/** HTTPRouteMatch: path, headers and query parameters (list maps keyed by name), method. */
const routeMatch = (): ObjectSchema =>
  obj({
    path: pathMatch(),
    headers: arr(valueMatch(4096), { maxItems: 16, listType: "map", mapKeys: ["name"] }),
    queryParams: arr(valueMatch(1024), { maxItems: 16, listType: "map", mapKeys: ["name"] }),
    method: str({ enum: HTTP_METHODS }),
  });

/** GEP-2257 durations as CEL's duration() reads them, in milliseconds. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(n) * units[unit!]!;
  return total;
}

const timeouts = (): ObjectSchema =>
  obj(
    { request: str({ pattern: DURATION_PATTERN }), backendRequest: str({ pattern: DURATION_PATTERN }) },
    {
      cel: [
        {
          message: "backendRequest timeout cannot be longer than request timeout",
          ok: (s: { request?: string; backendRequest?: string }) =>
            !(s.request !== undefined && s.backendRequest !== undefined && durationMs(s.request) !== 0 && durationMs(s.backendRequest) > durationMs(s.request)),
        },
      ],
    },
  );

interface Rule {
  matches?: { path?: { type?: string } }[];
  filters?: Filter[];
  backendRefs?: { filters?: Filter[] }[];
}
interface Filter {
  requestRedirect?: { path?: { type?: string; replacePrefixMatch?: string } };
  urlRewrite?: { path?: { type?: string; replacePrefixMatch?: string } };
}
type Modifier = "requestRedirect" | "urlRewrite";

const replacesPrefix = (filters: Filter[] | undefined, which: Modifier): boolean =>
  (filters ?? []).filter((f) => f[which]?.path?.type === "ReplacePrefixMatch" && f[which]?.path?.replacePrefixMatch !== undefined).length === 1;
const onePrefixMatch = (r: Rule): boolean => r.matches !== undefined && r.matches.length === 1 && r.matches[0]!.path?.type === "PathPrefix";

const prefixRule = (message: string, uses: (r: Rule) => boolean): CelRule => ({ message, ok: (r: Rule) => !uses(r) || onePrefixMatch(r) });

/** HTTPRouteRule: matches (PathPrefix "/" by default), filters, backendRefs, timeouts, a name. */
const routeRule = (): ObjectSchema =>
  obj(
    {
      name: str({ minLength: 1, maxLength: 253, pattern: SUBDOMAIN_PATTERN }),
      matches: arr(routeMatch(), { maxItems: MAX_MATCHES_PER_RULE, default: [{ path: { type: "PathPrefix", value: "/" } }] }),
      filters: httpRouteFilters(),
      backendRefs: arr(backendObjectReference({ weight: int({ minimum: 0, maximum: 1_000_000, default: 1 }), filters: httpRouteFilters() }), { maxItems: 16 }),
      timeouts: timeouts(),
    },
    {
      cel: [
        {
          message: "RequestRedirect filter must not be used together with backendRefs",
          ok: (r: Rule) => ((r.backendRefs ?? []).length > 0 ? (r.filters ?? []).every((f) => f.requestRedirect === undefined) : true),
        },
        prefixRule("When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified", (r) => replacesPrefix(r.filters, "requestRedirect")),
        prefixRule("When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified", (r) => replacesPrefix(r.filters, "urlRewrite")),
        prefixRule(
          "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
          (r) => (r.backendRefs ?? []).filter((b) => replacesPrefix(b.filters, "requestRedirect")).length === 1,
        ),
        // The CRD's capital "When" here.
        prefixRule(
          "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
          (r) => (r.backendRefs ?? []).filter((b) => replacesPrefix(b.filters, "urlRewrite")).length === 1,
        ),
      ],
    },
  );

export const HTTPROUTE_SCHEMA: ObjectSchema = obj(
  {
    spec: obj({
      parentRefs: parentRefs(),
      hostnames: arr(hostname(), { maxItems: 16 }),
      rules: arr(routeRule(), {
        minItems: 1,
        maxItems: MAX_RULES,
        default: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }] }],
        cel: [
          {
            message: `While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than ${MAX_MATCHES_PER_ROUTE}`,
            ok: (rules: Rule[]) => rules.reduce((n, r) => n + (r.matches ?? []).length, 0) <= MAX_MATCHES_PER_ROUTE,
          },
        ],
      }),
    }),
  },
  { required: ["spec"] },
);

/** The CRD's defaults, in place. */
export function defaultHTTPRoute(route: Record<string, unknown>): void {
  applySchemaDefaults(route, HTTPROUTE_SCHEMA);
}

/** HTTPRoute body (metadata is checked by the caller; status is the controllers' and stored as given); [] when valid. */
export function validateHTTPRouteBody(route: KubeObject): FieldError[] {
  return validateSchema({ spec: route.spec }, HTTPROUTE_SCHEMA, "");
}
