// The policy model: NetworkPolicy and ClusterNetworkPolicy objects, pods and
// namespaces translated once into one tier-neutral shape that both the
// evaluator (evaluate.ts, behind `kemu probe --explain`) and the kernel
// renderer (render.ts) read. Pure. The semantics live in evaluate.ts; this
// file only says what each API field means in terms of peers and ports.
import type { ClusterNetworkPolicy, ClusterNetworkPolicyPeer, ClusterNetworkPolicyProtocol, LabelSelector, Namespace, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod } from "../../api/types.js";
import { labelSelectorToString, matchesRequirements, requirementsFromLabelSelector, type Requirement } from "../../api/selectors.js";
import { parseCIDR, type CIDR } from "../../net/cidr.js";
import { parseIP, type IP } from "../../net/ip.js";

export type PolicyProtocol = "TCP" | "UDP" | "SCTP";
export const POLICY_PROTOCOLS: readonly PolicyProtocol[] = ["TCP", "UDP", "SCTP"];
export type Direction = "ingress" | "egress";
export type Tier = "Admin" | "NetworkPolicy" | "Baseline";
export type RuleAction = "Accept" | "Deny" | "Pass";

export interface NamedContainerPort {
  name: string;
  port: number;
  protocol: PolicyProtocol;
}

export interface PolicyPod {
  namespace: string;
  name: string;
  /** "ns/name" */
  key: string;
  uid: string;
  ip?: string;
  nodeName?: string;
  labels: Record<string, string>;
  /** hostNetwork pods are never subjects nor pod peers (their traffic is the node's) */
  hostNetwork: boolean;
  namedPorts: NamedContainerPort[];
}

export interface PolicyNamespace {
  name: string;
  labels: Record<string, string>;
}

/** A compiled label selector: its requirements, and its text for names and comments. */
export interface Selector {
  requirements: Requirement[];
  text: string;
  /** false when the API object held a selector that cannot be converted: it matches nothing */
  valid: boolean;
}

/** Pods picked by namespace (one by name, or by labels) and pod labels. */
export interface PodsPeer {
  kind: "pods";
  namespaces: { name: string } | { selector: Selector };
  pods: Selector;
}

/** An address range with holes (ipBlock; CNP networks have no holes). */
export interface CidrPeer {
  kind: "cidr";
  cidr: string;
  except: string[];
  /** parsed (undefined: not a CIDR, which validation refuses; it matches nothing) */
  net: CIDR | undefined;
  holes: CIDR[];
}

export type Peer = PodsPeer | CidrPeer;

/**
 * What a rule's port entry accepts. `protocol` undefined (ClusterNetworkPolicy
 * destinationNamedPort) takes the protocol from the named container port.
 * No `port` and no `name`: every port of the protocol.
 */
export interface PortMatch {
  protocol?: PolicyProtocol;
  port?: number;
  endPort?: number;
  name?: string;
}

export interface PolicyRule {
  /** position in the object's ingress/egress list, as the explainer prints it */
  index: number;
  /** ClusterNetworkPolicy rule name */
  name?: string;
  action: RuleAction;
  /** "any": the rule has no from/to (NetworkPolicy only) */
  peers: Peer[] | "any";
  /** "any": no ports (NetworkPolicy) or no protocols (ClusterNetworkPolicy: every protocol) */
  ports: PortMatch[] | "any";
}

export interface CompiledPolicy {
  tier: Tier;
  /** "x/allow-web" for a NetworkPolicy, "deny-all" for a ClusterNetworkPolicy */
  id: string;
  namespace?: string;
  name: string;
  /** ClusterNetworkPolicy priority (lower first); 0 for NetworkPolicy */
  priority: number;
  subject: PodsPeer;
  /**
   * Rules per direction. For a NetworkPolicy, present (maybe empty) exactly
   * when policyTypes lists the direction: that is what isolates. For a
   * ClusterNetworkPolicy, present when it has rules for the direction.
   */
  ingress?: PolicyRule[];
  egress?: PolicyRule[];
}

export interface PolicyInputs {
  pods: PolicyPod[];
  namespaces: PolicyNamespace[];
  policies: CompiledPolicy[];
}

// ---------------------------------------------------------------------------
// Selectors

/** Compiles a LabelSelector (a policy's selectors are compiled once per sync, when the policy is). */
export function compileSelector(sel: LabelSelector | undefined): Selector {
  try {
    return { requirements: requirementsFromLabelSelector(sel ?? {}), text: labelSelectorToString(sel ?? {}), valid: true };
  } catch {
    return { requirements: [], text: "<invalid>", valid: false };
  }
}

export function selects(sel: Selector, labels: Record<string, string>): boolean {
  return sel.valid && matchesRequirements(sel.requirements, labels);
}

/** Whether a pods peer (or a subject) picks this pod. hostNetwork pods are never picked. */
export function podsPeerMatches(peer: PodsPeer, pod: PolicyPod, namespaceLabels: (ns: string) => Record<string, string> | undefined): boolean {
  if (pod.hostNetwork) return false;
  if ("name" in peer.namespaces) {
    if (peer.namespaces.name !== pod.namespace) return false;
  } else {
    const labels = namespaceLabels(pod.namespace);
    if (!labels || !selects(peer.namespaces.selector, labels)) return false;
  }
  return selects(peer.pods, pod.labels);
}

export function describePodsPeer(peer: PodsPeer): string {
  const all = (s: Selector) => s.valid && s.requirements.length === 0;
  const ns = "name" in peer.namespaces ? `namespace ${peer.namespaces.name}` : all(peer.namespaces.selector) ? "all namespaces" : `namespaces {${peer.namespaces.selector.text}}`;
  return `${all(peer.pods) ? "all pods" : `pods {${peer.pods.text}}`} in ${ns}`;
}

// ---------------------------------------------------------------------------
// Addresses

/** An ipBlock or a network, parsed once when its policy is compiled. */
export function cidrPeer(cidr: string, except: string[]): CidrPeer {
  return { kind: "cidr", cidr, except, net: parseCIDR(cidr), holes: except.map((e) => parseCIDR(e)).filter((c): c is CIDR => c !== undefined) };
}

/** ipBlock semantics: inside cidr and in none of the holes. IPv4 only (pods are IPv4). */
export function cidrPeerMatches(peer: CidrPeer, ip: string): boolean {
  const addr: IP | undefined = parseIP(ip);
  if (!addr || !peer.net || peer.net.family !== addr.family || !peer.net.contains(addr)) return false;
  return !peer.holes.some((h) => h.family === addr.family && h.contains(addr));
}

// ---------------------------------------------------------------------------
// Translation from API objects

export function policyPodOf(pod: Pod): PolicyPod {
  const namedPorts: NamedContainerPort[] = [];
  for (const c of [...(pod.spec.initContainers ?? []).filter((i) => i.restartPolicy === "Always"), ...pod.spec.containers]) {
    for (const p of c.ports ?? []) {
      if (p.name) namedPorts.push({ name: p.name, port: p.containerPort, protocol: (p.protocol ?? "TCP") as PolicyProtocol });
    }
  }
  const namespace = pod.metadata.namespace ?? "default";
  return {
    namespace,
    name: pod.metadata.name!,
    key: `${namespace}/${pod.metadata.name}`,
    uid: pod.metadata.uid ?? "",
    ip: pod.status?.podIP || undefined,
    nodeName: pod.spec.nodeName || undefined,
    labels: pod.metadata.labels ?? {},
    hostNetwork: pod.spec.hostNetwork === true,
    namedPorts,
  };
}

export function policyNamespaceOf(ns: Namespace): PolicyNamespace {
  return { name: ns.metadata.name!, labels: ns.metadata.labels ?? {} };
}

function npPeer(peer: NetworkPolicyPeer, policyNamespace: string): Peer | undefined {
  if (peer.ipBlock) return cidrPeer(peer.ipBlock.cidr, peer.ipBlock.except ?? []);
  if (peer.namespaceSelector) {
    return { kind: "pods", namespaces: { selector: compileSelector(peer.namespaceSelector) }, pods: compileSelector(peer.podSelector ?? {}) };
  }
  if (peer.podSelector) return { kind: "pods", namespaces: { name: policyNamespace }, pods: compileSelector(peer.podSelector) };
  return undefined; // refused by validation ("must specify a peer")
}

function npPort(p: NetworkPolicyPort): PortMatch {
  const protocol = (p.protocol ?? "TCP") as PolicyProtocol;
  if (p.port === undefined) return { protocol };
  if (typeof p.port === "string") return { protocol, name: p.port };
  return p.endPort !== undefined ? { protocol, port: p.port, endPort: p.endPort } : { protocol, port: p.port };
}

/**
 * policyTypes as kube-apiserver defaults them (pkg/apis/networking/v1
 * defaults.go): Ingress always, Egress when there are egress rules. The API
 * stores the defaulted list; this is for objects that did not come through it.
 */
export function effectivePolicyTypes(np: NetworkPolicy): Array<"Ingress" | "Egress"> {
  const given = np.spec.policyTypes;
  if (given && given.length > 0) return given as Array<"Ingress" | "Egress">;
  return (np.spec.egress?.length ?? 0) > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

export function compileNetworkPolicy(np: NetworkPolicy): CompiledPolicy {
  const namespace = np.metadata.namespace ?? "default";
  const name = np.metadata.name!;
  const types = effectivePolicyTypes(np);
  const rules = (list: Array<{ peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }>): PolicyRule[] =>
    list.map((r, index) => ({
      index,
      action: "Accept" as const,
      peers: r.peers && r.peers.length > 0 ? r.peers.map((p) => npPeer(p, namespace)).filter((p): p is Peer => p !== undefined) : "any",
      ports: r.ports && r.ports.length > 0 ? r.ports.map(npPort) : "any",
    }));
  const compiled: CompiledPolicy = {
    tier: "NetworkPolicy",
    id: `${namespace}/${name}`,
    namespace,
    name,
    priority: 0,
    subject: { kind: "pods", namespaces: { name: namespace }, pods: compileSelector(np.spec.podSelector ?? {}) },
  };
  if (types.includes("Ingress")) compiled.ingress = rules((np.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })));
  if (types.includes("Egress")) compiled.egress = rules((np.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })));
  return compiled;
}

function cnpPeers(peer: ClusterNetworkPolicyPeer): Peer[] {
  if (peer.namespaces) return [{ kind: "pods", namespaces: { selector: compileSelector(peer.namespaces) }, pods: compileSelector({}) }];
  if (peer.pods) {
    return [{ kind: "pods", namespaces: { selector: compileSelector(peer.pods.namespaceSelector ?? {}) }, pods: compileSelector(peer.pods.podSelector) }];
  }
  if (peer.networks) return peer.networks.map((cidr) => cidrPeer(cidr, []));
  return [];
}

function cnpPort(p: ClusterNetworkPolicyProtocol): PortMatch {
  if (p.destinationNamedPort !== undefined) return { name: p.destinationNamedPort };
  const [protocol, spec] = p.tcp ? (["TCP", p.tcp] as const) : p.udp ? (["UDP", p.udp] as const) : (["SCTP", p.sctp ?? {}] as const);
  const dest = spec.destinationPort;
  if (dest?.range) return { protocol, port: dest.range.start, endPort: dest.range.end };
  if (dest?.number !== undefined) return { protocol, port: dest.number };
  return { protocol };
}

export function compileClusterNetworkPolicy(cnp: ClusterNetworkPolicy): CompiledPolicy {
  const spec = cnp.spec;
  const subject: PodsPeer = spec.subject.pods
    ? { kind: "pods", namespaces: { selector: compileSelector(spec.subject.pods.namespaceSelector ?? {}) }, pods: compileSelector(spec.subject.pods.podSelector) }
    : { kind: "pods", namespaces: { selector: compileSelector(spec.subject.namespaces ?? {}) }, pods: compileSelector({}) };
  const rules = (list: Array<{ name?: string; action: RuleAction; peers: ClusterNetworkPolicyPeer[]; protocols?: ClusterNetworkPolicyProtocol[] }>): PolicyRule[] =>
    list.map((r, index) => ({
      index,
      ...(r.name ? { name: r.name } : {}),
      action: r.action,
      peers: r.peers.flatMap(cnpPeers),
      ports: r.protocols && r.protocols.length > 0 ? r.protocols.map(cnpPort) : "any",
    }));
  const compiled: CompiledPolicy = { tier: spec.tier, id: cnp.metadata.name!, name: cnp.metadata.name!, priority: spec.priority, subject };
  if (spec.ingress && spec.ingress.length > 0) compiled.ingress = rules(spec.ingress.map((r) => ({ name: r.name, action: r.action, peers: r.from, protocols: r.protocols })));
  if (spec.egress && spec.egress.length > 0) compiled.egress = rules(spec.egress.map((r) => ({ name: r.name, action: r.action, peers: r.to, protocols: r.protocols })));
  return compiled;
}

/** Tier order, then priority (lower first), then name: ties are undefined upstream; kemu breaks them by name. */
export function comparePolicies(a: CompiledPolicy, b: CompiledPolicy): number {
  const tier = TIER_ORDER[a.tier] - TIER_ORDER[b.tier];
  if (tier !== 0) return tier;
  if (a.priority !== b.priority) return a.priority - b.priority;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
const TIER_ORDER: Record<Tier, number> = { Admin: 0, NetworkPolicy: 1, Baseline: 2 };

export function buildPolicyInputs(objects: {
  pods: Pod[];
  namespaces: Namespace[];
  networkPolicies: NetworkPolicy[];
  clusterNetworkPolicies: ClusterNetworkPolicy[];
}): PolicyInputs {
  return {
    pods: objects.pods.map(policyPodOf),
    namespaces: objects.namespaces.map(policyNamespaceOf),
    policies: [...objects.networkPolicies.map(compileNetworkPolicy), ...objects.clusterNetworkPolicies.map(compileClusterNetworkPolicy)].sort(comparePolicies),
  };
}
