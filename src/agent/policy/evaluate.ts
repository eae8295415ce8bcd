// The verdict for one connection, computed from the policy model: the
// semantics of NetworkPolicy and ClusterNetworkPolicy in one place. Each side
// is a pipeline of tiers (Admin → NetworkPolicy → Baseline → allow), each of
// which accepts, denies or hands over, as kube-network-policies' engine does;
// a connection needs its egress side (the client's policies) and its ingress
// side (the server's) to allow it. `kemu probe --explain` prints what this
// returns; the renderer's tests check the kernel rules against it. Pure.
import {
  cidrPeerMatches,
  podsPeerMatches,
  type CompiledPolicy,
  type Direction,
  type Peer,
  type PolicyInputs,
  type PolicyPod,
  type PolicyProtocol,
  type PodsPeer,
  type PolicyRule,
  type PortMatch,
  type Selector,
  type RuleAction,
  type Tier,
} from "./model.js";

/** One end of a connection: a pod, or an address that is no pod's (a node, the outside host). */
export type Endpoint = { pod: PolicyPod } | { ip: string; node?: string };

export interface Connection {
  from: Endpoint;
  to: Endpoint;
  protocol: PolicyProtocol;
  port: number;
}

export interface RuleRef {
  tier: Tier;
  /** "ns/name" for a NetworkPolicy, the name for a ClusterNetworkPolicy */
  policy: string;
  direction: Direction;
  rule: number;
  ruleName?: string;
  action: RuleAction;
}

export type SideReason =
  /** a pod reaching its own IP never leaves its namespace */
  | "loopback"
  /** this side is not a pod (or is a hostNetwork pod): no policy applies to it */
  | "not-a-pod"
  /** ingress from the pod's own node is always allowed (kubelet probes) */
  | "own-node"
  /** an Admin or Baseline rule decided */
  | "rule"
  /** a NetworkPolicy rule allowed it */
  | "allowed-by-networkpolicy"
  /** NetworkPolicies isolate the pod and none allows this */
  | "isolated"
  /** nothing selected the pod (or every tier passed): default allow */
  | "default-allow";

export interface SideVerdict {
  direction: Direction;
  /** the pod whose policies this side is about ("ns/name"), if any */
  pod?: string;
  allowed: boolean;
  reason: SideReason;
  /** the Admin/Baseline rule that decided, for reason "rule" */
  decidedBy?: RuleRef;
  /** Pass rules that handed the decision on, in order */
  passedBy: RuleRef[];
  /** NetworkPolicies that select the pod for this direction */
  isolatedBy: string[];
  /** every NetworkPolicy rule that allows this connection */
  allowedBy: RuleRef[];
}

export interface Verdict {
  allowed: boolean;
  egress: SideVerdict;
  ingress: SideVerdict;
}

/**
 * One equality a selector demands (`key=value`, or `key in (…)`): objects
 * lacking it cannot match, so an index by label finds the few candidates
 * instead of testing every object. Undefined when the selector has none.
 */
function requiredLabel(sel: Selector): { key: string; values: string[] } | undefined {
  const r = sel.requirements.find((q) => q.operator === "Equals" || q.operator === "In");
  return r ? { key: r.key, values: r.values } : undefined;
}

const labelKey = (key: string, value: string) => `${key}\u0000${value}`;

/** Inputs indexed for repeated questions (the probe asks hundreds; a node's sync asks one per pod and peer). */
export class PolicyIndex {
  private readonly nsLabels = new Map<string, Record<string, string>>();
  private readonly byIP = new Map<string, PolicyPod>();
  private readonly byKey = new Map<string, PolicyPod>();
  /** pods that can be peers, by namespace and by each of their labels */
  private readonly podsByNamespace = new Map<string, PolicyPod[]>();
  private readonly podsByLabel = new Map<string, PolicyPod[]>();
  private readonly peerPods: PolicyPod[] = [];
  /** policies by an equality their subject's pod selector demands; the rest are always candidates */
  private readonly policiesByLabel = new Map<string, number[]>();
  private readonly policiesUnindexed: number[] = [];
  readonly policies: CompiledPolicy[];

  constructor(readonly inputs: PolicyInputs) {
    for (const ns of inputs.namespaces) this.nsLabels.set(ns.name, ns.labels);
    for (const pod of inputs.pods) {
      this.byKey.set(pod.key, pod);
      if (pod.hostNetwork) continue;
      if (pod.ip) this.byIP.set(pod.ip, pod);
      this.peerPods.push(pod);
      push(this.podsByNamespace, pod.namespace, pod);
      for (const [k, v] of Object.entries(pod.labels)) push(this.podsByLabel, labelKey(k, v), pod);
    }
    this.policies = inputs.policies;
    this.policies.forEach((p, i) => {
      const req = requiredLabel(p.subject.pods);
      if (!req) this.policiesUnindexed.push(i);
      else for (const v of req.values) push(this.policiesByLabel, labelKey(req.key, v), i);
    });
  }

  /** Pods (never hostNetwork) a pods peer picks, found through the indexes. */
  podsMatching(peer: PodsPeer): PolicyPod[] {
    const req = requiredLabel(peer.pods);
    let candidates: PolicyPod[];
    if (req) candidates = req.values.flatMap((v) => this.podsByLabel.get(labelKey(req.key, v)) ?? []);
    else if ("name" in peer.namespaces) candidates = this.podsByNamespace.get(peer.namespaces.name) ?? [];
    else candidates = this.peerPods;
    return candidates.filter((p) => podsPeerMatches(peer, p, this.namespaceLabels));
  }

  readonly namespaceLabels = (ns: string): Record<string, string> | undefined => this.nsLabels.get(ns);

  pod(key: string): PolicyPod | undefined {
    return this.byKey.get(key);
  }

  /** The endpoint an address stands for: the pod that has it, else a bare address. */
  endpointFor(ip: string, node?: string): Endpoint {
    const pod = this.byIP.get(ip);
    return pod ? { pod } : node ? { ip, node } : { ip };
  }

  /** Policies whose subject is this pod and that have something to say for the direction, in evaluation order. */
  policiesFor(pod: PolicyPod, direction: Direction): CompiledPolicy[] {
    if (pod.hostNetwork) return [];
    const candidates = [...this.policiesUnindexed];
    for (const [k, v] of Object.entries(pod.labels)) candidates.push(...(this.policiesByLabel.get(labelKey(k, v)) ?? []));
    // In evaluation order, each once.
    return [...new Set(candidates)]
      .sort((a, b) => a - b)
      .map((i) => this.policies[i]!)
      .filter((p) => p[direction] !== undefined && podsPeerMatches(p.subject, pod, this.namespaceLabels));
  }

  peerMatches(peer: Peer, endpoint: Endpoint): boolean {
    if (peer.kind === "cidr") {
      const ip = "pod" in endpoint ? endpoint.pod.ip : endpoint.ip;
      return ip !== undefined && cidrPeerMatches(peer, ip);
    }
    return "pod" in endpoint && podsPeerMatches(peer, endpoint.pod, this.namespaceLabels);
  }

  evaluate(conn: Connection): Verdict {
    const egress = this.side(conn, "egress");
    const ingress = this.side(conn, "ingress");
    return { allowed: egress.allowed && ingress.allowed, egress, ingress };
  }

  private side(conn: Connection, direction: Direction): SideVerdict {
    const self = direction === "egress" ? conn.from : conn.to;
    const peer = direction === "egress" ? conn.to : conn.from;
    const verdict = (allowed: boolean, reason: SideReason, extra: Partial<SideVerdict> = {}): SideVerdict => ({
      direction,
      ...("pod" in self ? { pod: self.pod.key } : {}),
      allowed,
      reason,
      passedBy: [],
      isolatedBy: [],
      allowedBy: [],
      ...extra,
    });
    if (!("pod" in self) || self.pod.hostNetwork) return verdict(true, "not-a-pod");
    const pod = self.pod;
    if ("pod" in peer && peer.pod.key === pod.key) return verdict(true, "loopback");
    if (direction === "ingress" && !("pod" in peer) && peer.node !== undefined && peer.node === pod.nodeName) return verdict(true, "own-node");

    const applicable = this.policiesFor(pod, direction);
    const passedBy: RuleRef[] = [];
    // Admin tier: first matching rule in priority order; Pass leaves the tier.
    const admin = this.firstMatch(applicable.filter((p) => p.tier === "Admin"), direction, conn, peer);
    if (admin && admin.action !== "Pass") return verdict(admin.action === "Accept", "rule", { decidedBy: admin, passedBy });
    if (admin) passedBy.push(admin);

    // NetworkPolicy tier: once any selects the pod, the union of their rules decides.
    const isolating = applicable.filter((p) => p.tier === "NetworkPolicy");
    if (isolating.length > 0) {
      const allowedBy: RuleRef[] = [];
      for (const p of isolating) {
        for (const rule of p[direction]!) if (this.ruleMatches(rule, conn, peer)) allowedBy.push(refOf(p, direction, rule));
      }
      const isolatedBy = isolating.map((p) => p.id);
      return allowedBy.length > 0
        ? verdict(true, "allowed-by-networkpolicy", { passedBy, isolatedBy, allowedBy })
        : verdict(false, "isolated", { passedBy, isolatedBy });
    }

    const baseline = this.firstMatch(applicable.filter((p) => p.tier === "Baseline"), direction, conn, peer);
    if (baseline && baseline.action !== "Pass") return verdict(baseline.action === "Accept", "rule", { decidedBy: baseline, passedBy });
    if (baseline) passedBy.push(baseline);
    return verdict(true, "default-allow", { passedBy });
  }

  private firstMatch(policies: CompiledPolicy[], direction: Direction, conn: Connection, peer: Endpoint): RuleRef | undefined {
    for (const p of policies) {
      for (const rule of p[direction]!) if (this.ruleMatches(rule, conn, peer)) return refOf(p, direction, rule);
    }
    return undefined;
  }

  private ruleMatches(rule: PolicyRule, conn: Connection, peer: Endpoint): boolean {
    if (rule.peers !== "any" && !rule.peers.some((p) => this.peerMatches(p, peer))) return false;
    if (rule.ports === "any") return true;
    // Named ports are looked up on the destination pod, whichever side is judged.
    const destination = "pod" in conn.to ? conn.to.pod : undefined;
    return rule.ports.some((p) => portMatches(p, conn.protocol, conn.port, destination));
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function refOf(p: CompiledPolicy, direction: Direction, rule: PolicyRule): RuleRef {
  return { tier: p.tier, policy: p.id, direction, rule: rule.index, ...(rule.name ? { ruleName: rule.name } : {}), action: rule.action };
}

/** Whether a port entry accepts (protocol, port) towards this destination pod (needed for named ports). */
export function portMatches(match: PortMatch, protocol: PolicyProtocol, port: number, destination: PolicyPod | undefined): boolean {
  if (match.name !== undefined) {
    // A name matches nothing without a destination pod that has it for this protocol.
    return (destination?.namedPorts ?? []).some(
      (np) => np.name === match.name && np.port === port && np.protocol === protocol && (match.protocol === undefined || match.protocol === protocol),
    );
  }
  if (match.protocol !== undefined && match.protocol !== protocol) return false;
  if (match.port === undefined) return true;
  return match.endPort !== undefined ? port >= match.port && port <= match.endPort : port === match.port;
}

/** One line per side, for people: the CLI's --explain prints these. */
export function describeSide(v: SideVerdict): string {
  const who = v.pod ?? "(not a pod)";
  const verb = v.allowed ? "allowed" : "denied";
  const rule = (r: RuleRef) =>
    `${r.tier === "NetworkPolicy" ? "NetworkPolicy" : `ClusterNetworkPolicy (tier ${r.tier})`} ${r.policy} ${r.direction}[${r.rule}]${r.ruleName ? ` "${r.ruleName}"` : ""}${r.tier === "NetworkPolicy" ? "" : ` action ${r.action}`}`;
  const passed = v.passedBy.length > 0 ? `; passed on by ${v.passedBy.map(rule).join(", ")}` : "";
  switch (v.reason) {
    case "not-a-pod":
      return `${v.direction}: ${verb}: not a pod, no policy applies`;
    case "loopback":
      return `${v.direction}: ${verb}: a pod reaching its own IP never leaves its namespace`;
    case "own-node":
      return `${v.direction} of ${who}: ${verb}: traffic from the pod's own node is always allowed`;
    case "rule":
      return `${v.direction} of ${who}: ${verb} by ${rule(v.decidedBy!)}${passed}`;
    case "allowed-by-networkpolicy":
      return `${v.direction} of ${who}: ${verb} by ${v.allowedBy.map(rule).join(", ")} (isolated by ${v.isolatedBy.join(", ")})${passed}`;
    case "isolated":
      return `${v.direction} of ${who}: ${verb}: isolated by NetworkPolicy ${v.isolatedBy.join(", ")} and no rule of theirs allows it${passed}`;
    case "default-allow":
      return `${v.direction} of ${who}: ${verb}: no policy decides${passed ? passed : ""} (default allow)`;
  }
}
