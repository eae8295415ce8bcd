// The jumps from the built-in chains into kube-proxy's chains (upstream:
// iptablesJumpChains and kubelet's KUBE-FIREWALL jumps). Upstream ensures
// each one with `iptables -C`, then `iptables -I` when missing, on every full
// sync; kemu lists the six built-in chains once (`iptables -S CHAIN`) and
// inserts the missing jumps inside the sync's own restore. Pure.
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
} from "./names.js";

export type Table = "filter" | "nat";

export interface JumpChain {
  table: Table;
  dstChain: string;
  srcChain: string;
  comment: string;
  extraArgs: string[];
}

const NEW = ["-m", "conntrack", "--ctstate", "NEW"];

/** Upstream's iptablesJumpChains, then its copies of kubelet's jumps, in upstream's insertion order. */
export const JUMP_CHAINS: readonly JumpChain[] = [
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

/** The built-in chains the jumps live in, as [table, chain], each once. */
export function jumpSourceChains(): [Table, string][] {
  const seen = new Map<string, [Table, string]>();
  for (const j of JUMP_CHAINS) seen.set(`${j.table} ${j.srcChain}`, [j.table, j.srcChain]);
  return [...seen.values()];
}

/** The chains the jumps lead to, per table, each once (a restore declares them before inserting the jumps). */
export function jumpTargetChains(table: Table): string[] {
  return [...new Set(JUMP_CHAINS.filter((j) => j.table === table).map((j) => j.dstChain))];
}

/** A comment as iptables prints it (`-S`, iptables-save): quoted only when it has to be. */
function printedComment(comment: string): string {
  return /^[\w./:-]+$/.test(comment) ? comment : `"${comment}"`;
}

/** The rule's matches and target, as `iptables -S` prints them after "-A CHAIN". */
export function jumpRuleSpec(j: JumpChain): string {
  const parts = [...j.extraArgs];
  if (j.comment) parts.push("-m", "comment", "--comment", printedComment(j.comment));
  parts.push("-j", j.dstChain);
  return parts.join(" ");
}

/**
 * The jumps that are not in `listings` (per "table chain": the lines `iptables
 * -t TABLE -S CHAIN` printed), in insertion order. A rule counts as the jump
 * when it jumps to the same chain and carries the same comment, whatever
 * else iptables printed around them.
 */
export function missingJumps(listings: Map<string, string[]>): JumpChain[] {
  return JUMP_CHAINS.filter((j) => {
    const lines = listings.get(`${j.table} ${j.srcChain}`) ?? [];
    const comment = j.comment ? `--comment ${printedComment(j.comment)}` : "";
    return !lines.some((l) => l.startsWith(`-A ${j.srcChain} `) && l.endsWith(` -j ${j.dstChain}`) && (!comment || l.includes(comment)));
  });
}

/** Restore lines inserting `jumps` at the top of their chains, in order (so the last one ends up first, as upstream's -I calls). */
export function renderJumpInserts(jumps: readonly JumpChain[], table: Table): string[] {
  return jumps.filter((j) => j.table === table).map((j) => `-I ${j.srcChain} ${jumpRuleSpec(j)}`);
}
