// NetworkPolicy (networking.k8s.io/v1), as kube-apiserver validates it
// (pkg/apis/networking/validation/validation.go: ValidateNetworkPolicySpec,
// ValidateNetworkPolicyPort, ValidateNetworkPolicyPeer, ValidateIPBlock).
// The spec may change on update; name and namespace may not (metadata rules).
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject, LabelSelector } from "../types.js";
import { validateLabelSelector } from "../selectors.js";
import { parseCIDR, type CIDR } from "../../net/cidr.js";
import { isValidPortName, isValidPortNum } from "./names.js";
import { validateCIDR } from "./net.js";
import { arr, asObj, child, index, obj, str, type Obj } from "./util.js";

const protocols = ["TCP", "UDP", "SCTP"];
const policyTypes = ["Ingress", "Egress"];

/** NetworkPolicy spec (metadata is checked by the caller). */
export function validateNetworkPolicyBody(np: KubeObject): FieldError[] {
  return validateNetworkPolicySpec(obj(np.spec), "spec");
}

export function validateNetworkPolicySpec(spec: Obj, path: string): FieldError[] {
  const errs = validateSelector(spec.podSelector, child(path, "podSelector"));
  arr(spec.ingress).forEach((raw, i) => errs.push(...validateRule(obj(raw), "from", index(child(path, "ingress"), i))));
  arr(spec.egress).forEach((raw, i) => errs.push(...validateRule(obj(raw), "to", index(child(path, "egress"), i))));
  errs.push(...validatePolicyTypes(spec.policyTypes, child(path, "policyTypes")));
  return errs;
}

/** One ingress or egress rule: its ports, then its peers (upstream's order). */
function validateRule(rule: Obj, peers: "from" | "to", path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(rule.ports).forEach((raw, i) => errs.push(...validateNetworkPolicyPort(obj(raw), index(child(path, "ports"), i))));
  arr(rule[peers]).forEach((raw, i) => errs.push(...validateNetworkPolicyPeer(obj(raw), index(child(path, peers), i))));
  return errs;
}

function validatePolicyTypes(value: unknown, path: string): FieldError[] {
  const types = arr(value);
  // Upstream prints the list in Go syntax ([]networking.PolicyType{...}); kemu prints JSON, as for every value.
  if (types.length > policyTypes.length) return [fieldErrors.invalid(path, types, "may not specify more than two policyTypes")];
  return types.flatMap((t, i) => (policyTypes.includes(str(t)) ? [] : [fieldErrors.notSupported(index(path, i), t, policyTypes)]));
}

/** Protocol TCP, UDP or SCTP; a port number 1-65535 or an IANA service name; endPort only after a numeric port, not below it. */
export function validateNetworkPolicyPort(port: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (port.protocol !== undefined && !protocols.includes(str(port.protocol))) {
    errs.push(fieldErrors.notSupported(child(path, "protocol"), port.protocol, protocols));
  }
  const endPort = port.endPort;
  const endPath = child(path, "endPort");
  if (typeof port.port === "number") {
    const p = port.port;
    errs.push(...isValidPortNum(p).map((msg) => fieldErrors.invalid(child(path, "port"), p, msg)));
    if (typeof endPort === "number") {
      if (endPort < p) errs.push(fieldErrors.invalid(endPath, endPort, "must be greater than or equal to `port`"));
      errs.push(...isValidPortNum(endPort).map((msg) => fieldErrors.invalid(endPath, endPort, msg)));
    }
  } else if (typeof port.port === "string") {
    const name = port.port;
    if (endPort !== undefined) errs.push(fieldErrors.invalid(endPath, endPort, "may not be specified when `port` is non-numeric"));
    errs.push(...isValidPortName(name).map((msg) => fieldErrors.invalid(child(path, "port"), name, msg)));
  } else if (endPort !== undefined) {
    errs.push(fieldErrors.invalid(endPath, endPort, "may not be specified when `port` is not specified"));
  }
  return errs;
}

/** Exactly one kind of peer: podSelector and/or namespaceSelector, or ipBlock alone. */
export function validateNetworkPolicyPeer(peer: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let kinds = 0;
  if (peer.podSelector !== undefined) {
    kinds++;
    errs.push(...validateSelector(peer.podSelector, child(path, "podSelector")));
  }
  if (peer.namespaceSelector !== undefined) {
    kinds++;
    errs.push(...validateSelector(peer.namespaceSelector, child(path, "namespaceSelector")));
  }
  if (peer.ipBlock !== undefined) {
    kinds++;
    errs.push(...validateIPBlock(obj(peer.ipBlock), child(path, "ipBlock")));
  }
  if (kinds === 0) errs.push(fieldErrors.required(path, "must specify a peer"));
  else if (kinds > 1 && peer.ipBlock !== undefined) errs.push(fieldErrors.forbidden(path, "may not specify both ipBlock and another peer"));
  return errs;
}

/** A CIDR, and excepts that are each a strict subset of it (read as Go's ParseCIDR reads them). */
export function validateIPBlock(block: Obj, path: string): FieldError[] {
  const cidrText = str(block.cidr);
  const cidrPath = child(path, "cidr");
  if (cidrText === "") return [fieldErrors.required(cidrPath)];
  const errs = validateCIDR(cidrPath, cidrText);
  const cidr = parseCIDR(cidrText);
  if (!cidr) return errs;
  arr(block.except).forEach((raw, i) => {
    const text = str(raw);
    const exceptPath = index(child(path, "except"), i);
    const bad = validateCIDR(exceptPath, text);
    errs.push(...bad);
    const except = parseCIDR(text);
    if (bad.length > 0 || !except) return;
    if (!goContains(cidr, except) || cidr.prefix >= except.prefix) errs.push(fieldErrors.invalid(exceptPath, text, "must be a strict subset of `cidr`"));
  });
  return errs;
}

/**
 * Go's cidr.Contains(except.IP): an IPv4-mapped block counts as IPv4 with
 * the mask's last 32 bits; blocks of different families never contain each
 * other.
 */
function goContains(cidr: CIDR, except: CIDR): boolean {
  const net = cidr.network.unmapped();
  const mapped = net.family !== cidr.network.family;
  const prefix = mapped ? Math.max(0, cidr.prefix - 96) : cidr.prefix;
  const ip = except.network.unmapped();
  return ip.family === net.family && ip.matches(net, prefix);
}

function validateSelector(value: unknown, path: string): FieldError[] {
  const sel = asObj(value);
  return sel ? validateLabelSelector(sel as LabelSelector, path) : [];
}
