// The kernel side of the policy model for one node: what its nftables table
// `inet kemu-policy` must hold. Pure: the model in, plain data out (sets,
// chains, dispatch elements); sync-plan.ts turns the difference with what was
// last written into one `nft -f` transaction.
//
// Layout (Calico's, in nftables):
//  - base chains `forward` and `input` accept established/related flows first
//    (policy applies to connections, and existing flows survive a new deny),
//    then dispatch by interface: a packet leaving a local pod's veth runs that
//    pod's egress chain, a packet entering one runs its ingress chain. Pods are
//    routed, so same-node traffic crosses `forward` too and runs both.
//  - per pod and direction, only for pods some policy selects for it, one
//    chain `pod-<dir>-<ns>/<pod>` with, in order: the Admin tier's rules
//    (Accept = return, Deny = drop, Pass = go to the rest), then either the
//    NetworkPolicy tier (allow rules, then drop: it isolates) or the Baseline
//    tier, then return (default allow). An allowed side returns, so the other
//    side still runs; only a drop is final.
//  - selectors are sets of pod IPs (`pods-<hash>`), named ports towards peers
//    sets of `ip . proto . port` (`ports-<hash>`); ipBlocks are written in the
//    rule. Named ports of the pod itself (ingress) are resolved in its chain.
// Traffic the node itself sends (kubelet probes, the userspace proxy's
// connections) goes through `output`, which kemu does not filter: ingress
// from the pod's own node is always allowed.
import { describePodsPeer, type CompiledPolicy, type Direction, type Peer, type PolicyPod, type PolicyProtocol, type PolicyRule, type PortMatch } from "./model.js";
import type { PolicyIndex } from "./evaluate.js";
import { parseCIDR } from "../../net/cidr.js";
import { commentText, namedPortSetName, podChainName, podSetName, podTailChainName } from "./names.js";

export type SetType = "ipv4_addr" | "ipv4_addr . inet_proto . inet_service";

export interface NftSet {
  name: string;
  type: SetType;
  comment: string;
  /** sorted, in nft syntax: `10.244.1.5`, `10.244.1.5 . tcp . 80` */
  elements: string[];
}

export interface NftChain {
  name: string;
  /** rule text without the `add rule` prefix, e.g. `ip saddr @pods-… meta l4proto tcp th dport 80 return comment "…"` */
  rules: string[];
}

export interface PolicyTableState {
  sets: Map<string, NftSet>;
  chains: Map<string, NftChain>;
  /** veth → chain, per direction */
  dispatch: Record<Direction, Map<string, string>>;
}

export interface LocalPod {
  pod: PolicyPod;
  /** the pod's veth in the node namespace */
  veth: string;
}

/**
 * Drops are logged before they happen, so `kemu flows` can show them (a
 * packet dropped in forward never confirms its conntrack entry, so conntrack
 * alone cannot): to this NFLOG group, with a prefix naming the cause —
 * `kemu-drop ingress np x/deny-all` (isolated by NetworkPolicies, the rest
 * counted as `+N` when they do not fit), `kemu-drop egress cnp NAME 3` (a
 * ClusterNetworkPolicy's Deny rule 3). With nobody listening on the group the
 * kernel discards the message. `ct state invalid` drops are not logged (stray
 * segments after a close are noise, not policy).
 */
export const DROP_LOG_GROUP = 1313;
export const DROP_LOG_PREFIX = "kemu-drop";
/** the kernel's NF_LOG_PREFIXLEN is 128 bytes with the terminating NUL */
const MAX_PREFIX = 127;

/** The `log … drop` verdict for a drop with this cause (the words after the marker and direction). */
export function loggedDrop(direction: Direction, cause: string[]): string {
  return `log prefix ${quote(dropLogPrefix(direction, cause))} group ${DROP_LOG_GROUP} drop`;
}

/** `kemu-drop ingress np a/b c/d`; words that do not fit are left out and counted (`+2`). */
export function dropLogPrefix(direction: Direction, cause: string[]): string {
  const [kind, ...names] = cause;
  let text = `${DROP_LOG_PREFIX} ${direction} ${kind ?? ""}`.trimEnd();
  for (let i = 0; i < names.length; i++) {
    const next = `${text} ${names[i]}`;
    const left = names.length - i - 1;
    const room = left > 0 ? MAX_PREFIX - ` +${left}`.length : MAX_PREFIX;
    if (Buffer.byteLength(next) > room) return `${text} +${names.length - i}`;
    text = next;
  }
  return text;
}

export function emptyTableState(): PolicyTableState {
  return { sets: new Map(), chains: new Map(), dispatch: { ingress: new Map(), egress: new Map() } };
}

const NFT_PROTO: Record<PolicyProtocol, string> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };

/** Renders the desired table for the pods of one node. */
export function renderPolicyTable(index: PolicyIndex, localPods: LocalPod[]): PolicyTableState {
  const state = emptyTableState();
  const r = new Renderer(index, state);
  for (const local of [...localPods].sort((a, b) => (a.pod.key < b.pod.key ? -1 : 1))) {
    if (local.pod.hostNetwork) continue;
    for (const direction of ["ingress", "egress"] as const) r.renderPod(local, direction);
  }
  return state;
}

class Renderer {
  constructor(
    private readonly index: PolicyIndex,
    private readonly state: PolicyTableState,
  ) {}

  renderPod(local: LocalPod, direction: Direction): void {
    const { pod } = local;
    const applicable = this.index.policiesFor(pod, direction);
    if (applicable.length === 0) return;
    const admin = applicable.filter((p) => p.tier === "Admin");
    const rest = this.renderTiers(pod, direction, applicable);
    const main = podChainName(direction, pod.key);
    const rules: string[] = ["ct state invalid drop"];
    if (admin.length > 0) {
      const tail = podTailChainName(direction, pod.key);
      for (const p of admin) for (const rule of p[direction]!) rules.push(...this.ruleLines(pod, direction, p, rule, actionVerdict(direction, p, rule, `goto ${tail}`)));
      rules.push(`goto ${tail}`);
      this.state.chains.set(tail, { name: tail, rules: rest });
    } else {
      rules.push(...rest);
    }
    this.state.chains.set(main, { name: main, rules });
    this.state.dispatch[direction].set(local.veth, main);
  }

  /** The NetworkPolicy tier, or when it does not isolate the pod, the Baseline tier. */
  private renderTiers(pod: PolicyPod, direction: Direction, applicable: CompiledPolicy[]): string[] {
    const isolating = applicable.filter((p) => p.tier === "NetworkPolicy");
    const lines: string[] = [];
    if (isolating.length > 0) {
      for (const p of isolating) for (const rule of p[direction]!) lines.push(...this.ruleLines(pod, direction, p, rule, "return"));
      lines.push(`${loggedDrop(direction, ["np", ...isolating.map((p) => p.id)])} comment ${quote(commentText(`isolated by NetworkPolicy ${isolating.map((p) => p.id).join(", ")}`))}`);
      return lines;
    }
    for (const p of applicable.filter((q) => q.tier === "Baseline")) {
      for (const rule of p[direction]!) lines.push(...this.ruleLines(pod, direction, p, rule, actionVerdict(direction, p, rule, "return")));
    }
    return lines;
  }

  /** One line per (peer × port) of the rule; none when it can match nothing here. */
  private ruleLines(pod: PolicyPod, direction: Direction, p: CompiledPolicy, rule: PolicyRule, verdict: string): string[] {
    const label = `${p.tier === "NetworkPolicy" ? "netpol" : `cnp ${p.tier}`} ${p.id} ${direction}[${rule.index}]${rule.name ? ` ${rule.name}` : ""}`;
    const comment = `comment ${quote(commentText(label))}`;
    const addr = direction === "ingress" ? "ip saddr" : "ip daddr";
    const peers: Array<Peer | undefined> = rule.peers === "any" ? [undefined] : rule.peers;
    const ports: Array<PortMatch | undefined> = rule.ports === "any" ? [undefined] : rule.ports;
    const lines: string[] = [];
    for (const peer of peers) {
      for (const port of ports) {
        const match = this.match(pod, direction, addr, peer, port);
        if (match !== undefined) lines.push(...match.map((m) => [m, verdict, comment].filter((s) => s !== "").join(" ")));
      }
    }
    return lines;
  }

  /** The match expressions for one peer and port entry: several when a named port resolves to several ports, none when nothing can match. */
  private match(pod: PolicyPod, direction: Direction, addr: string, peer: Peer | undefined, port: PortMatch | undefined): string[] | undefined {
    if (port?.name !== undefined && direction === "egress") {
      // The destination is the peer; a set holds each peer pod's (ip, proto, port) for the name.
      return [`ip daddr . meta l4proto . th dport @${this.namedPortSet(peer, port)}`];
    }
    const peerMatch = peer === undefined ? "" : peer.kind === "cidr" ? cidrMatch(addr, peer.cidr, peer.except) : `${addr} @${this.podSet(peer)}`;
    if (port === undefined) return [peerMatch];
    if (port.name === undefined) return [[peerMatch, portMatch(port)].filter((s) => s !== "").join(" ")];
    // Ingress: the destination is this pod; its own container ports say what the name means.
    const resolved = pod.namedPorts.filter((np) => np.name === port.name && (port.protocol === undefined || np.protocol === port.protocol));
    if (resolved.length === 0) return undefined;
    return resolved.map((np) => [peerMatch, `meta l4proto ${NFT_PROTO[np.protocol]} th dport ${np.port}`].filter((s) => s !== "").join(" "));
  }

  private podSet(peer: Extract<Peer, { kind: "pods" }>): string {
    const descriptor = describePodsPeer(peer);
    const name = podSetName(descriptor);
    if (!this.state.sets.has(name)) {
      const elements = this.index.podsMatching(peer).filter((p) => p.ip).map((p) => p.ip!);
      this.state.sets.set(name, { name, type: "ipv4_addr", comment: commentText(descriptor), elements: sortUnique(elements) });
    }
    return name;
  }

  private namedPortSet(peer: Peer | undefined, port: PortMatch): string {
    const who = peer === undefined ? "any pod" : peer.kind === "cidr" ? `pods in ${peer.cidr}${peer.except.length ? ` except ${peer.except.join(",")}` : ""}` : describePodsPeer(peer);
    const descriptor = `port ${port.name}${port.protocol ? `/${port.protocol}` : ""} of ${who}`;
    const name = namedPortSetName(descriptor);
    if (!this.state.sets.has(name)) {
      const elements: string[] = [];
      const candidates = peer?.kind === "pods" ? this.index.podsMatching(peer) : this.index.inputs.pods;
      for (const p of candidates) {
        if (!p.ip || p.hostNetwork || (peer !== undefined && !this.index.peerMatches(peer, { pod: p }))) continue;
        for (const np of p.namedPorts) {
          if (np.name === port.name && (port.protocol === undefined || np.protocol === port.protocol)) elements.push(`${p.ip} . ${NFT_PROTO[np.protocol]} . ${np.port}`);
        }
      }
      this.state.sets.set(name, { name, type: "ipv4_addr . inet_proto . inet_service", comment: commentText(descriptor), elements: sortUnique(elements) });
    }
    return name;
  }
}

function actionVerdict(direction: Direction, p: CompiledPolicy, rule: PolicyRule, pass: string): string {
  return rule.action === "Accept" ? "return" : rule.action === "Deny" ? loggedDrop(direction, ["cnp", p.id, String(rule.index)]) : pass;
}

/** `ip saddr 10.0.0.0/8 ip saddr != { 10.1.0.0/16 }`; IPv6 blocks get `ip6` (they never match kemu's IPv4 pods). */
function cidrMatch(addr: string, cidr: string, except: string[]): string {
  const field = parseCIDR(cidr)?.family === 6 ? addr.replace(/^ip /, "ip6 ") : addr;
  const base = `${field} ${networkText(cidr)}`;
  return except.length === 0 ? base : `${base} ${field} != { ${except.map(networkText).join(", ")} }`;
}

/** nft wants the network address: `10.0.0.1/24` (valid for the API, as Go's ParseCIDR) is written `10.0.0.0/24`. */
function networkText(cidr: string): string {
  const parsed = parseCIDR(cidr);
  return parsed ? `${parsed.network.toString()}/${parsed.prefix}` : cidr;
}

function portMatch(port: PortMatch): string {
  const proto = port.protocol === undefined ? "" : `meta l4proto ${NFT_PROTO[port.protocol]}`;
  if (port.port === undefined) return proto;
  const range = port.endPort !== undefined && port.endPort !== port.port ? `${port.port}-${port.endPort}` : `${port.port}`;
  return `${proto} th dport ${range}`.trim();
}

function quote(text: string): string {
  return `"${text}"`;
}

function sortUnique(items: string[]): string[] {
  return [...new Set(items)].sort(compareElements);
}

/** Numeric order for addresses, so listings read naturally and diffs are stable. */
function compareElements(a: string, b: string): number {
  const ka = elementKey(a);
  const kb = elementKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function elementKey(e: string): string {
  return e.replace(/\d+/g, (d) => d.padStart(5, "0"));
}
