// A pure renderer of kube-proxy's iptables rules (upstream:
// pkg/proxy/iptables/proxier.go, syncProxyRules, v1.29–1.31): the fixed
// chains and rules every sync shares, and — with service.ts — every rule of a
// sync at once, as the text upstream feeds to `iptables-restore --noflush
// --counters` (filter then nat). How a sync is cut into restore transactions
// is transaction.ts's business; the jumps from built-in chains are jumps.ts's.
// No I/O.
//
// Where kemu differs from upstream's output:
// - no `-m nfacct` matches (upstream adds them only when the nfacct counters
//   for its metrics exist): the INVALID drop and the NodePort rules are
//   otherwise the same;
// - no topology hints; services come out in input order (upstream: map order),
//   endpoints in upstream's "ip:port" string order;
import type { EndpointInfo, ServicePortInfo } from "../model.js";
import { parseIP } from "../../../net/ip.js";
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
} from "./names.js";
import { chainLine, isIPv4, parseIPv4CIDR, renderServicePort, type ServiceRenderContext, type ServiceRules } from "./service.js";

export interface ProxyInput {
  nodeName: string;
  /** the node's own IPv4 addresses; the first is the primary one (upstream's nodeIP) */
  nodeIPs: string[];
  /** local-traffic detector (detect-local-mode ClusterCIDR), e.g. 10.244.0.0/16; "" = none */
  clusterCIDR: string;
  masqueradeAll: boolean;
  /** 14 → mark 0x4000 (written "0x00004000", as upstream formats it) */
  masqueradeBit: number;
  services: { port: ServicePortInfo; endpoints: EndpointInfo[] }[];
  /** NodePorts answer on 127.0.0.1 (route_localnet=1) and the KUBE-FIREWALL guard is installed; default true, as upstream */
  localhostNodePorts?: boolean;
  /** MASQUERADE --random-fully (upstream adds it when iptables supports it); default true */
  randomFully?: boolean;
  /** net.netfilter.nf_conntrack_tcp_be_liberal is set: no DROP of ctstate INVALID; default false */
  conntrackTCPLiberal?: boolean;
  /**
   * --nodeport-addresses: IPv4 CIDRs, or "primary" (the first of nodeIPs);
   * NodePorts then answer only on the node's addresses inside them. Empty or
   * undefined: on every local address (-m addrtype --dst-type LOCAL).
   */
  nodePortAddresses?: string[];
  /** the node's own addresses that --nodeport-addresses is matched against (its interfaces'; 127.0.0.1 included) */
  localAddresses?: string[];
}

/**
 * Where NodePorts answer under --nodeport-addresses (upstream's
 * GetNodeIPs): the local addresses inside the CIDRs, in the order given,
 * without loopback unless localhost NodePorts are on. undefined means every
 * local address (no CIDRs, or one that matches everything).
 */
export function nodePortDestinations(input: Pick<ProxyInput, "nodePortAddresses" | "localAddresses" | "nodeIPs" | "localhostNodePorts">): string[] | undefined {
  const entries = input.nodePortAddresses ?? [];
  if (entries.length === 0) return undefined;
  const out: string[] = [];
  const add = (ip: string | undefined) => {
    if (ip && !out.includes(ip) && !(parseIP(ip, "dotted")!.isLoopback() && input.localhostNodePorts === false)) out.push(ip);
  };
  const locals = (input.localAddresses ?? input.nodeIPs).map((text) => ({ text, ip: parseIP(text, "dotted") }));
  for (const entry of entries) {
    if (entry === "primary") {
      add(input.nodeIPs.find(isIPv4));
      continue;
    }
    const cidr = parseIPv4CIDR(entry);
    if (!cidr) throw new Error(`nodePortAddresses: expected IPv4 CIDRs or "primary", got ${JSON.stringify(entry)}`);
    if (cidr.prefix === 0) return undefined;
    for (const { text, ip } of locals) if (ip && cidr.contains(ip)) add(text);
  }
  return out;
}

/** The pieces the restore text is assembled from, in upstream's write order. */
export interface RenderedParts {
  filterChainLines: string[];
  /** filter rules written before the services' (KUBE-FIREWALL) */
  filterHead: string[];
  /** filter rules written after the services' (KUBE-FORWARD) */
  filterTail: string[];
  natChainLines: string[];
  /** nat rules written before the services' (KUBE-POSTROUTING, KUBE-MARK-MASQ) */
  natHead: string[];
  /** nat rules written last (the KUBE-SERVICES → KUBE-NODEPORTS tail jump) */
  natTail: string[];
  services: ServiceRules[];
}

export interface RenderedRules {
  /** complete "*filter … COMMIT\n" iptables-restore text (assembled on first read) */
  readonly filter: string;
  /** complete "*nat … COMMIT\n" iptables-restore text, as for a full sync (assembled on first read) */
  readonly nat: string;
  /**
   * per service-port key: the text of every chain that belongs to that
   * service (its ":CHAIN - [0:0]" lines and -A lines), so a partial sync can
   * rewrite only changed services. Every service port has an entry (empty for
   * one without usable endpoints).
   */
  serviceChains: Map<string, { readonly chains: string[]; readonly rules: string[] }>;
  /** names of every KUBE-* chain that should exist in nat (so stale ones can be deleted with -X); computed on first read */
  readonly natChains: string[];
  filterChains: string[];
  /** total endpoints > 1000: SVC→SEP and SEP rules carry no comments */
  largeClusterMode: boolean;
  parts: RenderedParts;
}

/** Upstream switches to "large cluster mode" above this many endpoints. */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

/** The masquerade mark as upstream formats it (Go "%#08x"): bit 14 → "0x00004000". */
export function masqueradeMark(bit: number): string {
  return `0x${(2 ** bit).toString(16).padStart(8, "0")}`;
}

/** What every sync shares apart from the services: the render context and the fixed chains and rules. */
export interface FixedParts {
  ctx: ServiceRenderContext;
  filterChains: string[];
  /** nat KUBE-SERVICES and KUBE-NODEPORTS: the chains every service adds jumps to */
  natTopChains: string[];
  /** nat KUBE-POSTROUTING and KUBE-MARK-MASQ: the same rules on every sync */
  natFixedChains: string[];
  filterHead: string[];
  filterTail: string[];
  natHead: string[];
  natTail: string[];
}

/** The proxied service ports (IPv4, with a ClusterIP) and whether upstream's large-cluster mode applies to them. */
export function proxiedServices(services: ProxyInput["services"]): { proxied: ProxyInput["services"]; largeClusterMode: boolean } {
  // Headless and IPv6-only service ports are not this (IPv4) proxier's business.
  const proxied = services.filter((s) => isIPv4(s.port.clusterIP));
  let totalEndpoints = 0;
  for (const s of proxied) totalEndpoints += s.endpoints.length;
  return { proxied, largeClusterMode: totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD };
}

export function renderFixedParts(input: Omit<ProxyInput, "services">, largeClusterMode: boolean): FixedParts {
  const localhostNodePorts = input.localhostNodePorts ?? true;
  const randomFully = input.randomFully ?? true;
  const mark = masqueradeMark(input.masqueradeBit);
  const cidr = input.clusterCIDR.trim();

  const ctx: ServiceRenderContext = {
    masqueradeAll: input.masqueradeAll,
    ifLocal: cidr ? `-s ${cidr}` : undefined,
    ifNotLocal: cidr ? `! -s ${cidr}` : undefined,
    nodeIP: input.nodeIPs.find(isIPv4),
    largeClusterMode,
  };

  const filterChains = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL];
  const filterHead: string[] = [];
  if (localhostNodePorts) {
    // The route_localnet guard (CVE-2020-8558); kubelet installs the same rule.
    filterChains.push(KUBE_FIREWALL);
    filterHead.push(
      `-A ${KUBE_FIREWALL} -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    );
  }
  const natHead = [
    `-A ${KUBE_POSTROUTING} -m mark ! --mark ${mark}/${mark} -j RETURN`,
    // Clear the mark so that a packet re-traversing the stack is not masqueraded twice.
    `-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${mark}`,
    `-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${randomFully ? " --random-fully" : ""}`,
    `-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${mark}`,
  ];
  const nodePortComment = `-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"`;
  const destinations = nodePortDestinations(input);
  const natTail = destinations
    ? destinations.map((ip) => `-A ${KUBE_SERVICES} ${nodePortComment} -d ${ip} -j ${KUBE_NODEPORTS}`)
    : [`-A ${KUBE_SERVICES} ${nodePortComment} -m addrtype --dst-type LOCAL${localhostNodePorts ? "" : " ! -d 127.0.0.0/8"} -j ${KUBE_NODEPORTS}`];
  const filterTail: string[] = [];
  if (!input.conntrackTCPLiberal) filterTail.push(`-A ${KUBE_FORWARD} -m conntrack --ctstate INVALID -j DROP`);
  filterTail.push(
    `-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    `-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );
  return {
    ctx,
    filterChains,
    natTopChains: [KUBE_SERVICES, KUBE_NODEPORTS],
    natFixedChains: [KUBE_POSTROUTING, KUBE_MARK_MASQ],
    filterHead,
    filterTail,
    natHead,
    natTail,
  };
}

/** Every rule of a sync at once (what a full sync writes, in upstream's order). */
export function renderRules(input: ProxyInput): RenderedRules {
  const { proxied, largeClusterMode } = proxiedServices(input.services);
  const fixed = renderFixedParts(input, largeClusterMode);
  const services = proxied.map((s) => renderServicePort(fixed.ctx, s.port, s.endpoints));
  const topNatChains = [...fixed.natTopChains, ...fixed.natFixedChains];
  const filterChains = fixed.filterChains;
  const parts: RenderedParts = {
    filterChainLines: filterChains.map(chainLine),
    filterHead: fixed.filterHead,
    filterTail: fixed.filterTail,
    natChainLines: topNatChains.map(chainLine),
    natHead: fixed.natHead,
    natTail: fixed.natTail,
    services,
  };

  const serviceChains = new Map<string, { readonly chains: string[]; readonly rules: string[] }>();
  for (const s of services) {
    serviceChains.set(s.key, {
      get chains(): string[] {
        return s.chains;
      },
      get rules(): string[] {
        return s.rules;
      },
    });
  }

  // The full texts and the chain list are computed on first use (the text
  // is tens of MB at 10k services).
  let filter: string | undefined;
  let nat: string | undefined;
  let natChains: string[] | undefined;
  return {
    get filter(): string {
      return (filter ??= assembleFilter(parts));
    },
    get nat(): string {
      return (nat ??= assembleNat(parts));
    },
    serviceChains,
    get natChains(): string[] {
      if (natChains === undefined) {
        natChains = [...topNatChains];
        for (const svc of services) for (const c of svc.chainNames) natChains.push(c);
      }
      return natChains;
    },
    filterChains,
    largeClusterMode,
    parts,
  };
}

function assembleFilter(parts: RenderedParts): string {
  const out: string[] = ["*filter"];
  push(out, parts.filterChainLines);
  push(out, parts.filterHead);
  for (const s of parts.services) push(out, s.filterRules);
  push(out, parts.filterTail);
  out.push("COMMIT", "");
  return out.join("\n");
}

function assembleNat(parts: RenderedParts): string {
  const out: string[] = ["*nat"];
  push(out, parts.natChainLines);
  for (const s of parts.services) if (s.chainsText) out.push(s.chainsText);
  push(out, parts.natHead);
  for (const s of parts.services) {
    push(out, s.natJumps);
    if (s.rulesText) out.push(s.rulesText);
  }
  push(out, parts.natTail);
  out.push("COMMIT", "");
  return out.join("\n");
}

function push(out: string[], lines: string[]): void {
  for (const l of lines) out.push(l);
}
