// ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2), validated as
// kube-apiserver validates the custom resource against the CRD of
// kubernetes-sigs/network-policy-api (config/crd/standard, bundle v0.2.0;
// apis/v1alpha2/clusternetworkpolicy_types.go): the OpenAPI schema first
// (types, required fields, enums, bounds, item and property counts), then
// x-kubernetes-list-type "set" uniqueness, then the CEL rules — which
// apiextensions-apiserver skips, saying so, when the schema found a
// "blocking" error (a wrong type, a missing field, an unsupported value,
// too many items or too long a string). Messages are the apiserver's
// (kube-openapi's "<path> in body should ...", field.TooMany, the rules'
// own messages with the schema type as the value).
//
// kemu adds, and says so in its messages: the experimental channel's
// `nodes` and `domainNames` peers are refused (kemu serves the standard
// channel); label selectors are checked as kube-apiserver checks a built-in
// kind's (a CRD takes any strings); and the experimental channel's rule
// that a named port cannot go with a `networks` peer is enforced.
import { Findings, isType } from "./crd-schema.js";
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject, LabelSelector } from "../types.js";
import { validateLabelSelector } from "../selectors.js";
import { parseCIDR } from "../../net/cidr.js";
import { byteLength } from "./names.js";
import { asObj, index, tooMany, type Obj } from "./util.js";

export const TIERS = ["Admin", "Baseline"] as const;
export const ACTIONS = ["Accept", "Deny", "Pass"] as const;
export const MAX_RULES = 25;
export const MAX_PEERS = 25;
export const MAX_PROTOCOLS = 25;
export const MAX_NETWORKS = 25;
export const MAX_RULE_NAME = 100;
export const MAX_CIDR_LENGTH = 43;
export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 1000;

const NAMED_PORT_RULE = "networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames";
const RANGE_RULE = "Start port must be less than End port";
const CIDR_RULE = "Invalid CIDR format provided";
const EXPERIMENTAL_PEERS = ["nodes", "domainNames"];

/** ClusterNetworkPolicy body (metadata is checked by the caller); [] when valid. */
export function validateClusterNetworkPolicyBody(cnp: KubeObject): FieldError[] {
  const f = new Findings();
  if (cnp.spec === undefined) f.add(fieldErrors.required("spec"), true);
  else if (isType(f, cnp.spec, "spec", "object")) validateSpec(f, cnp.spec as Obj, "spec");
  return f.all();
}

// ---- one function per level of the schema ----

function validateSpec(f: Findings, spec: Obj, path: string): void {
  if (spec.tier !== undefined && isType(f, spec.tier, `${path}.tier`, "string")) oneOf(f, spec.tier as string, `${path}.tier`, TIERS);
  if (spec.priority !== undefined && isType(f, spec.priority, `${path}.priority`, "integer")) {
    bounds(f, spec.priority as number, `${path}.priority`, MIN_PRIORITY, MAX_PRIORITY);
  }
  if (spec.subject !== undefined && isType(f, spec.subject, `${path}.subject`, "object")) validateSubject(f, spec.subject as Obj, `${path}.subject`);
  for (const dir of ["ingress", "egress"] as const) {
    const rulesPath = `${path}.${dir}`;
    if (spec[dir] === undefined || !isType(f, spec[dir], rulesPath, "array")) continue;
    const rules = spec[dir] as unknown[];
    counted(f, rules.length, rulesPath, undefined, MAX_RULES);
    rules.forEach((rule, i) => {
      if (isType(f, rule, index(rulesPath, i), "object")) validateRule(f, rule as Obj, index(rulesPath, i), dir);
    });
  }
  required(f, spec, path, ["priority", "subject", "tier"]);
}

/** Exactly one of namespaces and pods. */
function validateSubject(f: Findings, subject: Obj, path: string): void {
  properties(f, subject, path, ["namespaces", "pods"]);
  if (subject.namespaces !== undefined) validateSelector(f, subject.namespaces, `${path}.namespaces`);
  if (subject.pods !== undefined) validateNamespacedPod(f, subject.pods, `${path}.pods`);
}

function validateRule(f: Findings, rule: Obj, path: string, dir: "ingress" | "egress"): void {
  const peersField = dir === "ingress" ? "from" : "to";
  if (dir === "egress") namedPortRule(f, rule, path);
  if (rule.name !== undefined && isType(f, rule.name, `${path}.name`, "string")) maxLength(f, rule.name as string, `${path}.name`, MAX_RULE_NAME);
  if (rule.action !== undefined && isType(f, rule.action, `${path}.action`, "string")) oneOf(f, rule.action as string, `${path}.action`, ACTIONS);
  const peersPath = `${path}.${peersField}`;
  if (rule[peersField] !== undefined && isType(f, rule[peersField], peersPath, "array")) {
    const peers = rule[peersField] as unknown[];
    counted(f, peers.length, peersPath, 1, MAX_PEERS);
    peers.forEach((peer, i) => validatePeer(f, peer, index(peersPath, i), dir));
  }
  const protocolsPath = `${path}.protocols`;
  if (rule.protocols !== undefined && isType(f, rule.protocols, protocolsPath, "array")) {
    const protocols = rule.protocols as unknown[];
    counted(f, protocols.length, protocolsPath, 1, MAX_PROTOCOLS);
    protocols.forEach((p, i) => validateProtocol(f, p, index(protocolsPath, i)));
  }
  required(f, rule, path, ["action", peersField]);
}

/**
 * The experimental channel's rule on an egress rule: a named port is the
 * name of a pod's container port, so it cannot be matched towards a network.
 */
function namedPortRule(f: Findings, rule: Obj, path: string): void {
  const peers = Array.isArray(rule.to) ? rule.to.map(asObj) : [];
  const protocols = Array.isArray(rule.protocols) ? rule.protocols.map(asObj) : [];
  const towardsNetworks = peers.some((p) => p !== undefined && ["networks", ...EXPERIMENTAL_PEERS].some((k) => p[k] !== undefined));
  const namedPort = protocols.some((p) => p?.destinationNamedPort !== undefined);
  if (towardsNetworks && namedPort) f.rule(path, "object", NAMED_PORT_RULE);
}

/** Exactly one field: namespaces or pods; egress peers may also be networks. */
function validatePeer(f: Findings, value: unknown, path: string, dir: "ingress" | "egress"): void {
  if (!isType(f, value, path, "object")) return;
  const peer = value as Obj;
  const fields = dir === "ingress" ? ["namespaces", "pods"] : ["namespaces", "pods", "networks", ...EXPERIMENTAL_PEERS];
  properties(f, peer, path, fields);
  if (peer.namespaces !== undefined) validateSelector(f, peer.namespaces, `${path}.namespaces`);
  if (peer.pods !== undefined) validateNamespacedPod(f, peer.pods, `${path}.pods`);
  // Upstream prunes a `networks` it does not know here (and the peer is then empty); kemu names it too.
  if (dir === "ingress" && peer.networks !== undefined) f.add(fieldErrors.forbidden(`${path}.networks`, "may only be used in egress peers"), false);
  if (dir === "egress") {
    if (peer.networks !== undefined) validateNetworks(f, peer.networks, `${path}.networks`);
    for (const field of EXPERIMENTAL_PEERS) {
      if (peer[field] !== undefined) {
        f.add(fieldErrors.forbidden(`${path}.${field}`, `not supported by kemu: ${field} peers are in network-policy-api's experimental channel, and kemu serves the standard channel`), false);
      }
    }
  }
}

/** 1 to 25 distinct CIDRs (a set), each at most 43 characters and one CEL's isCIDR accepts. */
function validateNetworks(f: Findings, value: unknown, path: string): void {
  if (!isType(f, value, path, "array")) return;
  const networks = value as unknown[];
  counted(f, networks.length, path, 1, MAX_NETWORKS);
  const seen = new Set<string>();
  networks.forEach((cidr, i) => {
    const itemPath = index(path, i);
    if (!isType(f, cidr, itemPath, "string")) return;
    const text = cidr as string;
    maxLength(f, text, itemPath, MAX_CIDR_LENGTH);
    if (!isCIDR(text)) f.rule(itemPath, "string", CIDR_RULE);
    if (seen.has(text)) f.lists.push(fieldErrors.duplicate(itemPath, text));
    seen.add(text);
  });
}

/**
 * CEL's isCIDR (k8s.io/apiserver/pkg/cel/library/cidr.go): Go's
 * netip.ParsePrefix (no leading zeros, no zone; host bits may be set) and
 * not an IPv4-mapped IPv6 address.
 */
export function isCIDR(text: string): boolean {
  const cidr = parseCIDR(text, "strict");
  return cidr !== undefined && cidr.ip.unmapped().family === cidr.ip.family;
}

/** Exactly one of tcp, udp, sctp and destinationNamedPort. */
function validateProtocol(f: Findings, value: unknown, path: string): void {
  if (!isType(f, value, path, "object")) return;
  const protocol = value as Obj;
  properties(f, protocol, path, ["tcp", "udp", "sctp", "destinationNamedPort"]);
  for (const name of ["tcp", "udp", "sctp"]) {
    const p = `${path}.${name}`;
    if (protocol[name] === undefined || !isType(f, protocol[name], p, "object")) continue;
    const match = protocol[name] as Obj;
    properties(f, match, p, ["destinationPort"], false);
    if (match.destinationPort !== undefined) validatePort(f, match.destinationPort, `${p}.destinationPort`);
  }
  if (protocol.destinationNamedPort !== undefined) isType(f, protocol.destinationNamedPort, `${path}.destinationNamedPort`, "string");
}

/** Exactly one of number (1-65535) and range {start < end}. */
function validatePort(f: Findings, value: unknown, path: string): void {
  if (!isType(f, value, path, "object")) return;
  const port = value as Obj;
  properties(f, port, path, ["number", "range"]);
  if (port.number !== undefined) portNumber(f, port.number, `${path}.number`);
  if (port.range !== undefined && isType(f, port.range, `${path}.range`, "object")) {
    const range = port.range as Obj;
    const rangePath = `${path}.range`;
    if (typeof range.start === "number" && typeof range.end === "number" && !(range.start < range.end)) f.rule(rangePath, "object", RANGE_RULE);
    if (range.end !== undefined) portNumber(f, range.end, `${rangePath}.end`);
    if (range.start !== undefined) portNumber(f, range.start, `${rangePath}.start`);
    required(f, range, rangePath, ["end", "start"]);
  }
}

function portNumber(f: Findings, value: unknown, path: string): void {
  if (isType(f, value, path, "integer")) bounds(f, value as number, path, 1, 65535);
}

/** A namespace selector (optional) and a pod selector (required). */
function validateNamespacedPod(f: Findings, value: unknown, path: string): void {
  if (!isType(f, value, path, "object")) return;
  const pods = value as Obj;
  if (pods.namespaceSelector !== undefined) validateSelector(f, pods.namespaceSelector, `${path}.namespaceSelector`);
  if (pods.podSelector !== undefined) validateSelector(f, pods.podSelector, `${path}.podSelector`);
  required(f, pods, path, ["podSelector"]);
}

/**
 * metav1.LabelSelector as the CRD's schema has it (types, key and operator
 * required); then, when its shape is right, kube-apiserver's checks of a
 * built-in kind's selector (kemu's addition).
 */
function validateSelector(f: Findings, value: unknown, path: string): void {
  if (!isType(f, value, path, "object")) return;
  const before = f.schema.length;
  const sel = value as Obj;
  const exprsPath = `${path}.matchExpressions`;
  if (sel.matchExpressions !== undefined && isType(f, sel.matchExpressions, exprsPath, "array")) {
    (sel.matchExpressions as unknown[]).forEach((raw, i) => {
      const p = index(exprsPath, i);
      if (!isType(f, raw, p, "object")) return;
      const expr = raw as Obj;
      if (expr.key !== undefined) isType(f, expr.key, `${p}.key`, "string");
      if (expr.operator !== undefined) isType(f, expr.operator, `${p}.operator`, "string");
      if (expr.values !== undefined && isType(f, expr.values, `${p}.values`, "array")) {
        (expr.values as unknown[]).forEach((v, j) => isType(f, v, index(`${p}.values`, j), "string"));
      }
      required(f, expr, p, ["key", "operator"]);
    });
  }
  const labelsPath = `${path}.matchLabels`;
  if (sel.matchLabels !== undefined && isType(f, sel.matchLabels, labelsPath, "object")) {
    for (const [k, v] of Object.entries(sel.matchLabels as Obj)) isType(f, v, `${labelsPath}.${k}`, "string");
  }
  if (f.schema.length === before) for (const err of validateLabelSelector(sel as LabelSelector, path)) f.add(err, false);
}

// ---- the schema's keywords, worded as kube-openapi words them ----

/** `enum`: `spec.tier: Unsupported value: "x": supported values: "Admin", "Baseline"`. */
function oneOf(f: Findings, value: string, path: string, values: readonly string[]): void {
  if (!values.includes(value)) f.add(fieldErrors.notSupported(path, value, values), true);
}

/** `minimum` and `maximum`. */
function bounds(f: Findings, value: number, path: string, min: number, max: number): void {
  if (value < min) f.add(fieldErrors.invalid(path, value, `${path} in body should be greater than or equal to ${min}`), false);
  if (value > max) f.add(fieldErrors.invalid(path, value, `${path} in body should be less than or equal to ${max}`), false);
}

/** `minItems` and `maxItems`. */
function counted(f: Findings, count: number, path: string, min: number | undefined, max: number): void {
  if (min !== undefined && count < min) f.add(fieldErrors.invalid(path, count, `${path} in body should have at least ${min} items`), false);
  if (count > max) f.add(tooMany(path, count, max), true);
}

/** `maxLength` (in bytes). */
function maxLength(f: Findings, value: string, path: string, max: number): void {
  if (byteLength(value) > max) f.add(fieldErrors.tooLong(path, value, max), true);
}

/**
 * `minProperties: 1` and, for the "exactly one field" types, `maxProperties: 1`:
 * counted over the schema's fields, as upstream counts after pruning unknown ones.
 */
function properties(f: Findings, o: Obj, path: string, fields: string[], exactlyOne = true): void {
  const count = fields.filter((k) => o[k] !== undefined).length;
  if (count < 1) f.add(fieldErrors.invalid(path, count, `${path} in body should have at least 1 properties`), false);
  if (exactlyOne && count > 1) f.add(tooMany(path, count, 1), true);
}

/** `required`: `spec.priority: Required value`. */
function required(f: Findings, o: Obj, path: string, fields: string[]): void {
  for (const k of fields) if (o[k] === undefined) f.add(fieldErrors.required(`${path}.${k}`), true);
}
