// A pure renderer of kube-proxy's iptables rules (upstream:
// pkg/proxy/iptables/proxier.go, syncProxyRules, v1.29–1.31). It produces the
// text upstream feeds to `iptables-restore --noflush --counters` (filter then
// nat), the per-service pieces a partial sync (KEP-3453) rewrites, and the
// jumps from the built-in chains that upstream ensures with `iptables -I` on
// full syncs. No I/O.
//
// Where kemu differs from upstream's output:
// - no `-m nfacct` matches (upstream adds them only when the nfacct counters
//   for its metrics exist): the INVALID drop and the NodePort rules are
//   otherwise the same;
// - NodePorts always use `-m addrtype --dst-type LOCAL` (no --nodeport-addresses);
// - no topology hints; services come out in input order (upstream: map order),
//   endpoints in upstream's "ip:port" string order;
// - KUBE-PROXY-CANARY is not part of the restore (as upstream: it is created
//   with `iptables -N` in mangle, nat and filter, see renderEnsureChains()).
import type { EndpointInfo, ServicePortInfo } from "../model.js";
import { isIPv4 } from "./net.js";
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_CANARY,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  isServiceChainName,
} from "./names.js";
import { chainLine, renderServicePort, type ServiceRenderContext, type ServiceRules } from "./service.js";

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

export function renderRules(input: ProxyInput): RenderedRules {
  const localhostNodePorts = input.localhostNodePorts ?? true;
  const randomFully = input.randomFully ?? true;
  const mark = masqueradeMark(input.masqueradeBit);
  const cidr = input.clusterCIDR.trim();

  // Headless and IPv6-only service ports are not this (IPv4) proxier's business.
  const proxied = input.services.filter((s) => isIPv4(s.port.clusterIP));
  let totalEndpoints = 0;
  for (const s of proxied) totalEndpoints += s.endpoints.length;
  const largeClusterMode = totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;

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
  const topNatChains = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ];
  const natHead = [
    `-A ${KUBE_POSTROUTING} -m mark ! --mark ${mark}/${mark} -j RETURN`,
    // Clear the mark so that a packet re-traversing the stack is not masqueraded twice.
    `-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${mark}`,
    `-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${randomFully ? " --random-fully" : ""}`,
    `-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${mark}`,
  ];

  const services = proxied.map((s) => renderServicePort(ctx, s.port, s.endpoints));

  const natTail = [
    `-A ${KUBE_SERVICES} -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL${
      localhostNodePorts ? "" : " ! -d 127.0.0.0/8"
    } -j ${KUBE_NODEPORTS}`,
  ];
  const filterTail: string[] = [];
  if (!input.conntrackTCPLiberal) filterTail.push(`-A ${KUBE_FORWARD} -m conntrack --ctstate INVALID -j DROP`);
  filterTail.push(
    `-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    `-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );

  const parts: RenderedParts = {
    filterChainLines: filterChains.map(chainLine),
    filterHead,
    filterTail,
    natChainLines: topNatChains.map(chainLine),
    natHead,
    natTail,
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

  // The full texts and the chain list are computed on first use: a sync that
  // only needs renderRestoreInput() does not pay for them (the text is tens
  // of MB at 10k services), and a partial sync only builds the chains of the
  // services it rewrites.
  let filter: string | undefined;
  let nat: string | undefined;
  let natChains: string[] | undefined;
  return {
    get filter(): string {
      return (filter ??= assembleFilter(parts));
    },
    get nat(): string {
      return (nat ??= assembleNat(parts, () => true, []));
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

function assembleNat(parts: RenderedParts, include: (s: ServiceRules) => boolean, stale: string[]): string {
  const out: string[] = ["*nat"];
  push(out, parts.natChainLines);
  const included = parts.services.map(include);
  parts.services.forEach((s, i) => {
    if (included[i] && s.chainsText) out.push(s.chainsText);
  });
  for (const c of stale) out.push(chainLine(c));
  push(out, parts.natHead);
  parts.services.forEach((s, i) => {
    push(out, s.natJumps);
    if (included[i] && s.rulesText) out.push(s.rulesText);
  });
  for (const c of stale) out.push(`-X ${c}`);
  push(out, parts.natTail);
  out.push("COMMIT", "");
  return out.join("\n");
}

function push(out: string[], lines: string[]): void {
  for (const l of lines) out.push(l);
}

export interface RestoreOptions {
  /**
   * Service ports whose own chains must be rewritten, by servicePortKey()
   * ("ns/name:port") or by service ("ns/name", matching all its ports).
   * undefined = full sync (every chain is written).
   */
  changedServices?: Set<string>;
  /**
   * nat chains that exist but are no longer wanted (e.g. from iptables-save);
   * only per-service chains (KUBE-SVC/SVL/EXT/FW/SEP-) that are not in
   * rules.natChains are deleted: declared (which flushes them), then -X.
   */
  staleNatChains?: Iterable<string>;
}

/**
 * The input of ONE `iptables-restore --noflush --counters` call: *filter then
 * *nat. The filter table and the top-level nat chains (with every service's
 * KUBE-SERVICES/KUBE-NODEPORTS entries) are written every time; the
 * per-service chains only for changed services (KEP-3453 partial sync).
 */
export function renderRestoreInput(rules: RenderedRules, opts: RestoreOptions = {}): string {
  const changed = opts.changedServices;
  const include = changed === undefined ? () => true : (s: ServiceRules) => changed.has(s.key) || changed.has(s.serviceName);
  const stale = opts.staleNatChains === undefined ? [] : staleChains(opts.staleNatChains, rules);
  return assembleFilter(rules.parts) + assembleNat(rules.parts, include, stale);
}

/** The existing nat chains that kube-proxy owns but the rendered rules no longer use, in the given order. */
export function staleChains(existingNatChains: Iterable<string>, rules: Pick<RenderedRules, "natChains">): string[] {
  const active = new Set(rules.natChains);
  const out = new Set<string>();
  for (const c of existingNatChains) if (isServiceChainName(c) && !active.has(c)) out.add(c);
  return [...out];
}

interface JumpChain {
  table: "filter" | "nat";
  dstChain: string;
  srcChain: string;
  comment: string;
  extraArgs: string[];
}

const NEW = ["-m", "conntrack", "--ctstate", "NEW"];

/** Upstream's iptablesJumpChains, then its copies of kubelet's jumps, in order. */
const JUMP_CHAINS: JumpChain[] = [
  { table: "filter", dstChain: KUBE_EXTERNAL_SERVICES, srcChain: "INPUT", comment: "kubernetes externally-visible service portals", extraArgs: NEW },
  { table: "filter", dstChain: KUBE_EXTERNAL_SERVICES, srcChain: "FORWARD", comment: "kubernetes externally-visible service portals", extraArgs: NEW },
  { table: "filter", dstChain: KUBE_NODEPORTS, srcChain: "INPUT", comment: "kubernetes health check service ports", extraArgs: [] },
  { table: "filter", dstChain: KUBE_SERVICES, srcChain: "FORWARD", comment: "kubernetes service portals", extraArgs: NEW },
  { table: "filter", dstChain: KUBE_SERVICES, srcChain: "OUTPUT", comment: "kubernetes service portals", extraArgs: NEW },
  { table: "filter", dstChain: KUBE_FORWARD, srcChain: "FORWARD", comment: "kubernetes forwarding rules", extraArgs: [] },
  { table: "filter", dstChain: KUBE_PROXY_FIREWALL, srcChain: "INPUT", comment: "kubernetes load balancer firewall", extraArgs: NEW },
  { table: "filter", dstChain: KUBE_PROXY_FIREWALL, srcChain: "OUTPUT", comment: "kubernetes load balancer firewall", extraArgs: NEW },
  { table: "filter", dstChain: KUBE_PROXY_FIREWALL, srcChain: "FORWARD", comment: "kubernetes load balancer firewall", extraArgs: NEW },
  { table: "nat", dstChain: KUBE_SERVICES, srcChain: "OUTPUT", comment: "kubernetes service portals", extraArgs: [] },
  { table: "nat", dstChain: KUBE_SERVICES, srcChain: "PREROUTING", comment: "kubernetes service portals", extraArgs: [] },
  { table: "nat", dstChain: KUBE_POSTROUTING, srcChain: "POSTROUTING", comment: "kubernetes postrouting rules", extraArgs: [] },
  { table: "filter", dstChain: KUBE_FIREWALL, srcChain: "INPUT", comment: "", extraArgs: [] },
  { table: "filter", dstChain: KUBE_FIREWALL, srcChain: "OUTPUT", comment: "", extraArgs: [] },
];

/**
 * The jumps from built-in chains that upstream ensures on every full sync
 * (EnsureRule(Prepend, …): `iptables -C` and, if missing, `iptables -I`), as
 * argv arrays for iptables, e.g.
 * ["-t","nat","-I","PREROUTING","-m","comment","--comment","kubernetes service portals","-j","KUBE-SERVICES"].
 * Inserted in this order, each at the top, so the last one ends up first.
 * The target chains must exist first: see renderEnsureChains().
 */
export function renderJumpRules(): string[][] {
  return JUMP_CHAINS.map((j) => [
    "-t",
    j.table,
    "-I",
    j.srcChain,
    ...j.extraArgs,
    ...(j.comment ? ["-m", "comment", "--comment", j.comment] : []),
    "-j",
    j.dstChain,
  ]);
}

/**
 * `iptables -N` argv arrays for the chains upstream creates outside
 * iptables-restore (EnsureChain; "chain already exists" is fine): the jump
 * targets, then KUBE-PROXY-CANARY in mangle, nat and filter, whose
 * disappearance (someone flushed the tables) should trigger a full sync.
 */
export function renderEnsureChains(): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const j of JUMP_CHAINS) {
    const id = `${j.table} ${j.dstChain}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(["-t", j.table, "-N", j.dstChain]);
  }
  for (const table of ["mangle", "nat", "filter"]) out.push(["-t", table, "-N", KUBE_PROXY_CANARY]);
  return out;
}
