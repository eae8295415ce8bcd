// The pieces of the Gateway API CRDs (gateway.networking.k8s.io, standard
// channel; kubernetes-sigs/gateway-api apis/v1/shared_types.go,
// httproute_types.go and the generated config/crd/standard/*.yaml) that
// more than one kind uses: object references, hostnames, ports, header
// names, and HTTPRoute's filters. Limits, patterns, defaults and the CEL
// rules' messages are the CRDs'.
import type { ArraySchema, BooleanSchema, CelRule, IntegerSchema, ObjectSchema, Schema, StringSchema } from "./crd-schema.js";

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

// The CRDs' patterns, printed as they are in the schema (kube-openapi quotes them in its message).
/** Group: "" or a DNS subdomain. */
export const GROUP_PATTERN = String.raw`^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`;
/** Kind */
export const KIND_PATTERN = String.raw`^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`;
/** Namespace: a DNS label. */
export const NAMESPACE_PATTERN = String.raw`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`;
/** SectionName, listener and rule names, PreciseHostname: a DNS subdomain. */
export const SUBDOMAIN_PATTERN = String.raw`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`;
/** Hostname: a DNS subdomain, optionally behind one leading `*.` label. */
export const HOSTNAME_PATTERN = String.raw`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`;
/** HTTPHeaderName: an RFC 7230 token. */
export const HEADER_NAME_PATTERN = String.raw`^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$`;
/** GatewayController: a domain-prefixed path. */
export const CONTROLLER_PATTERN = String.raw`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$`;
/** Duration: GEP-2257's subset of Go durations. */
export const DURATION_PATTERN = String.raw`^([0-9]{1,5}(h|m|s|ms)){1,4}$`;
/** CORSOrigin */
export const ORIGIN_PATTERN = String.raw`(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)`;

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] as const;
export const FILTER_TYPES = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef", "CORS"] as const;
export const REDIRECT_STATUS_CODES = [301, 302, 303, 307, 308] as const;
export const PATH_MODIFIER_TYPES = ["ReplaceFullPath", "ReplacePrefixMatch"] as const;

// ---- schema constructors ----

export const str = (o: Omit<StringSchema, "type"> = {}): StringSchema => ({ type: "string", ...o });
export const int = (o: Omit<IntegerSchema, "type"> = {}): IntegerSchema => ({ type: "integer", ...o });
export const bool = (o: Omit<BooleanSchema, "type"> = {}): BooleanSchema => ({ type: "boolean", ...o });
export const obj = (properties: Record<string, Schema>, o: Omit<ObjectSchema, "type" | "properties"> = {}): ObjectSchema => ({ type: "object", properties, ...o });
export const arr = (items: Schema, o: Omit<ArraySchema, "type" | "items"> = {}): ArraySchema => ({ type: "array", items, ...o });

// ---- the scalar types of shared_types.go ----

export const group = (dflt?: string): StringSchema => str({ maxLength: 253, pattern: GROUP_PATTERN, default: dflt });
export const kind = (dflt?: string): StringSchema => str({ minLength: 1, maxLength: 63, pattern: KIND_PATTERN, default: dflt });
export const objectName = (): StringSchema => str({ minLength: 1, maxLength: 253 });
export const namespace = (): StringSchema => str({ minLength: 1, maxLength: 63, pattern: NAMESPACE_PATTERN });
export const sectionName = (): StringSchema => str({ minLength: 1, maxLength: 253, pattern: SUBDOMAIN_PATTERN });
export const portNumber = (): IntegerSchema => int({ minimum: 1, maximum: 65535 });
export const hostname = (): StringSchema => str({ minLength: 1, maxLength: 253, pattern: HOSTNAME_PATTERN });
export const preciseHostname = (): StringSchema => str({ minLength: 1, maxLength: 253, pattern: SUBDOMAIN_PATTERN });
export const headerName = (): StringSchema => str({ minLength: 1, maxLength: 256, pattern: HEADER_NAME_PATTERN });
export const labelSelector = (): ObjectSchema =>
  obj({
    matchExpressions: arr(obj({ key: str(), operator: str(), values: arr(str()) }, { required: ["key", "operator"] })),
    matchLabels: obj({}, { values: str() }),
  });

/** A field that is absent or "" (CEL's `!has(x) || x == ''`). */
export const blank = (v: unknown): boolean => v === undefined || v === null || v === "";

// ---- references ----

/** ParentReference: defaults to a Gateway of this API group. */
export const parentReference = (): ObjectSchema =>
  obj(
    { group: group(GATEWAY_GROUP), kind: kind("Gateway"), namespace: namespace(), name: objectName(), sectionName: sectionName(), port: portNumber() },
    { required: ["name"] },
  );

interface ParentRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  sectionName?: string;
}
const sameParent = (a: ParentRef, b: ParentRef): boolean =>
  a.group === b.group && a.kind === b.kind && a.name === b.name && ((blank(a.namespace) && blank(b.namespace)) || a.namespace === b.namespace);
const sameSection = (a: ParentRef, b: ParentRef): boolean => (blank(a.sectionName) && blank(b.sectionName)) || a.sectionName === b.sectionName;

/** CommonRouteSpec.parentRefs: at most 32, and two references to one parent need distinct sectionNames. */
export const parentRefs = (): ArraySchema =>
  arr(parentReference(), {
    maxItems: 32,
    cel: [
      {
        message: "sectionName must be specified when parentRefs includes 2 or more references to the same parent",
        ok: (self: ParentRef[]) => self.every((p1) => self.every((p2) => !sameParent(p1, p2) || blank(p1.sectionName) === blank(p2.sectionName))),
      },
      {
        message: "sectionName must be unique when parentRefs includes 2 or more references to the same parent",
        ok: (self: ParentRef[]) => self.every((p1) => self.filter((p2) => sameParent(p1, p2) && sameSection(p1, p2)).length === 1),
      },
    ],
  });

const servicePortRule: CelRule = {
  message: "Must have port for Service reference",
  ok: (self: { group: string; kind: string; port?: number }) => (self.group.length === 0 && self.kind === "Service" ? self.port !== undefined : true),
};

/** BackendObjectReference: a Service of the core group by default; a Service needs a port. */
export const backendObjectReference = (extra: Record<string, Schema> = {}): ObjectSchema =>
  obj(
    { group: group(""), kind: kind("Service"), name: objectName(), namespace: namespace(), port: portNumber(), ...extra },
    { required: ["name"], cel: [servicePortRule] },
  );

/** SecretObjectReference: a core Secret by default. */
export const secretObjectReference = (): ObjectSchema =>
  obj({ group: group(""), kind: kind("Secret"), name: objectName(), namespace: namespace() }, { required: ["name"] });

/** LocalObjectReference (extensionRef, parametersRef): every field required, nothing defaulted. */
export const localObjectReference = (): ObjectSchema => obj({ group: group(), kind: kind(), name: objectName() }, { required: ["group", "kind", "name"] });

// ---- HTTPRoute's filters (rules[].filters and rules[].backendRefs[].filters) ----

const headerValue = (): ObjectSchema =>
  obj({ name: headerName(), value: str({ minLength: 1, maxLength: 4096 }) }, { required: ["name", "value"] });

/** HTTPHeaderFilter: set / add (list maps keyed by name) and remove (a set), 16 each. */
const headerModifier = (): ObjectSchema =>
  obj({
    set: arr(headerValue(), { maxItems: 16, listType: "map", mapKeys: ["name"] }),
    add: arr(headerValue(), { maxItems: 16, listType: "map", mapKeys: ["name"] }),
    remove: arr(str(), { maxItems: 16, listType: "set" }),
  });

/** HTTPPathModifier: its type names the one field that is set. */
const pathModifier = (): ObjectSchema =>
  obj(
    { type: str({ enum: PATH_MODIFIER_TYPES }), replaceFullPath: str({ maxLength: 1024 }), replacePrefixMatch: str({ maxLength: 1024 }) },
    {
      required: ["type"],
      cel: [
        { message: "replaceFullPath must be specified when type is set to 'ReplaceFullPath'", ok: (s) => (s.type === "ReplaceFullPath" ? s.replaceFullPath !== undefined : true) },
        { message: "type must be 'ReplaceFullPath' when replaceFullPath is set", ok: (s) => (s.replaceFullPath !== undefined ? s.type === "ReplaceFullPath" : true) },
        { message: "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'", ok: (s) => (s.type === "ReplacePrefixMatch" ? s.replacePrefixMatch !== undefined : true) },
        { message: "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set", ok: (s) => (s.replacePrefixMatch !== undefined ? s.type === "ReplacePrefixMatch" : true) },
      ],
    },
  );

const requestRedirect = (): ObjectSchema =>
  obj({
    scheme: str({ enum: ["http", "https"] }),
    hostname: preciseHostname(),
    path: pathModifier(),
    port: portNumber(),
    statusCode: int({ enum: REDIRECT_STATUS_CODES, default: 302 }),
  });

const urlRewrite = (): ObjectSchema => obj({ hostname: preciseHostname(), path: pathModifier() });

const requestMirror = (): ObjectSchema =>
  obj(
    {
      backendRef: backendObjectReference(),
      percent: int({ minimum: 0, maximum: 100 }),
      fraction: obj(
        { numerator: int({ minimum: 0 }), denominator: int({ minimum: 1, default: 100 }) },
        { required: ["numerator"], cel: [{ message: "numerator must be less than or equal to denominator", ok: (s) => s.numerator <= s.denominator }] },
      ),
    },
    { required: ["backendRef"], cel: [{ message: "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter", ok: (s) => !(s.percent !== undefined && s.fraction !== undefined) }] },
  );

const noStarWithOthers = (what: string): CelRule => ({ message: `${what} cannot contain '*' alongside other ${what === "AllowOrigins" ? "origins" : "methods"}`, ok: (s: string[]) => !(s.includes("*") && s.length > 1) });

const cors = (): ObjectSchema =>
  obj({
    allowOrigins: arr(str({ minLength: 1, maxLength: 253, pattern: ORIGIN_PATTERN }), { maxItems: 64, listType: "set", cel: [noStarWithOthers("AllowOrigins")] }),
    allowCredentials: bool(),
    allowMethods: arr(str({ enum: [...HTTP_METHODS, "*"] }), { maxItems: 9, listType: "set", cel: [noStarWithOthers("AllowMethods")] }),
    // The CRD's message says "methods" for headers too.
    allowHeaders: arr(headerName(), { maxItems: 64, listType: "set", cel: [noStarWithOthers("AllowHeaders")] }),
    exposeHeaders: arr(headerName(), { maxItems: 64, listType: "set" }),
    maxAge: int({ minimum: 1, default: 5 }),
  });

/** Each filter type's field, in the CRD's order. */
const FILTER_FIELDS: readonly [string, string][] = [
  ["cors", "CORS"],
  ["requestHeaderModifier", "RequestHeaderModifier"],
  ["responseHeaderModifier", "ResponseHeaderModifier"],
  ["requestMirror", "RequestMirror"],
  ["requestRedirect", "RequestRedirect"],
  ["urlRewrite", "URLRewrite"],
  ["extensionRef", "ExtensionRef"],
];

/** HTTPRouteFilter: `type` names the one filter field that is set. */
export const httpRouteFilter = (): ObjectSchema =>
  obj(
    {
      type: str({ enum: FILTER_TYPES }),
      requestHeaderModifier: headerModifier(),
      responseHeaderModifier: headerModifier(),
      requestMirror: requestMirror(),
      requestRedirect: requestRedirect(),
      urlRewrite: urlRewrite(),
      extensionRef: localObjectReference(),
      cors: cors(),
    },
    {
      required: ["type"],
      cel: FILTER_FIELDS.flatMap(([field, type]): CelRule[] => [
        { message: `filter.${field} must be nil if the filter.type is not ${type}`, ok: (s) => !(s[field] !== undefined && s.type !== type) },
        { message: `filter.${field} must be specified for ${type} filter.type`, ok: (s) => !(s[field] === undefined && s.type === type) },
      ]),
    },
  );

interface Filter {
  type?: string;
}
const atMostOne = (type: string): CelRule => ({ message: `${type} filter cannot be repeated`, ok: (s: Filter[]) => s.filter((f) => f.type === type).length <= 1 });

/** A list of filters: RequestRedirect and URLRewrite exclude each other; no filter type but the repeatable ones twice. */
export const httpRouteFilters = (): ArraySchema =>
  arr(httpRouteFilter(), {
    maxItems: 16,
    cel: [
      {
        message: "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
        ok: (s: Filter[]) => !(s.some((f) => f.type === "RequestRedirect") && s.some((f) => f.type === "URLRewrite")),
      },
      atMostOne("CORS"),
      atMostOne("RequestHeaderModifier"),
      atMostOne("ResponseHeaderModifier"),
      atMostOne("RequestRedirect"),
      atMostOne("URLRewrite"),
    ],
  });
