// The text of one sync's `iptables-restore --noflush --counters` call. Pure.
//
// Upstream writes each table as one transaction. kemu does too, except when
// a sync rewrites more nat chains than transactionChainLimit() (a full sync
// of many services): then the services' own chains are written in several
// nat transactions of whole services, followed by one with the top-level
// chains and the deletions. Why: iptables-nft 1.8.9 keeps the chain names a
// transaction mentions in a sorted linked list (nft-cache.c,
// cache_chain_list_insert), so a transaction costs time quadratic in the
// chains it names — 5.9 s for 1,000 services × 10 endpoints as one
// transaction, 0.7 s in transactions of about 500 chains (measured with this
// host's iptables 1.8.9; transactionChainLimit sets the size). Each
// transaction still leaves every Service consistent: a service's chains are
// rewritten together, before anything jumps to new ones, and chains are
// deleted only after the jumps to them.
import { KUBE_PROXY_CANARY } from "./names.js";
import { chainLine, type ServiceRules } from "./service.js";
import { jumpTargetChains, renderJumpInserts, type JumpChain } from "./jumps.js";
import type { SyncPlan } from "./sync-plan.js";

/**
 * How many chains one nat transaction of a large rewrite may name. Two costs
 * pull against each other: iptables-nft's list grows with the square of a
 * transaction's chains, and the kernel re-validates the whole table for
 * every transaction once kube-proxy's chains are reachable from the built-in
 * ones (see docs/decisions.md). So the limit grows with the square root of
 * the chains already there. Measured here (10 endpoints per service):
 * first sync of 1,000 services best around 250–500, a resync of 1,000 at
 * about 1,250 (1.33 s; 500: 1.57 s, 2,500: 1.70 s), a resync of 10,000 at
 * 5,000 rather than 500 (36 s against 72 s).
 */
export function transactionChainLimit(chainsBefore: number): number {
  return Math.max(500, Math.round(12 * Math.sqrt(chainsBefore)));
}

export interface RestoreTextOptions {
  /** jumps from built-in chains to insert (full syncs: the ones found missing) */
  missingJumps?: readonly JumpChain[];
  /** default: transactionChainLimit(plan.chainsBefore) */
  maxChainsPerTransaction?: number;
}

type RestorePlan = Pick<SyncPlan, "full" | "fixed" | "services" | "rewrite" | "writeFilter" | "writeNatTop" | "filterEdits" | "natEdits" | "stale" | "chainsBefore">;

/** Whole services, in order, in groups of at most `max` chains (a bigger service gets a group of its own). */
export function groupServices(services: readonly ServiceRules[], max: number): ServiceRules[][] {
  const groups: ServiceRules[][] = [];
  let current: ServiceRules[] = [];
  let chains = 0;
  for (const s of services) {
    const n = s.chainNames.length;
    if (current.length > 0 && chains + n > max) {
      groups.push(current);
      current = [];
      chains = 0;
    }
    current.push(s);
    chains += n;
  }
  groups.push(current);
  return groups;
}

/** The restore input for `plan`; "" when the plan writes nothing. */
export function renderSyncRestore(plan: RestorePlan, opts: RestoreTextOptions = {}): string {
  const jumps = opts.missingJumps ?? [];
  const { fixed } = plan;
  const out: string[] = [];

  if (plan.full || plan.writeFilter) {
    out.push("*filter");
    const declared = [...fixed.filterChains];
    if (plan.full) for (const c of [...jumpTargetChains("filter"), KUBE_PROXY_CANARY]) if (!declared.includes(c)) declared.push(c);
    for (const c of declared) out.push(chainLine(c));
    push(out, fixed.filterHead);
    for (const s of plan.services) push(out, s.filterRules);
    push(out, fixed.filterTail);
    if (plan.full) push(out, renderJumpInserts(jumps, "filter"));
    out.push("COMMIT");
  } else if (plan.filterEdits.length) {
    out.push("*filter", ...plan.filterEdits, "COMMIT");
  }
  if (plan.full) out.push("*mangle", chainLine(KUBE_PROXY_CANARY), "COMMIT");

  const groups = groupServices(plan.rewrite, opts.maxChainsPerTransaction ?? transactionChainLimit(plan.chainsBefore));
  groups.forEach((group, i) => {
    const first = i === 0;
    const last = i === groups.length - 1;
    const decls: string[] = [];
    const rules: string[] = [];
    if (first && plan.full) {
      push(decls, fixed.natFixedChains.map(chainLine));
      push(rules, fixed.natHead);
    }
    if (last && plan.writeNatTop) push(decls, fixed.natTopChains.map(chainLine));
    if (last && plan.full) {
      for (const c of jumpTargetChains("nat")) if (!fixed.natTopChains.includes(c) && !fixed.natFixedChains.includes(c)) decls.push(chainLine(c));
      decls.push(chainLine(KUBE_PROXY_CANARY));
    }
    for (const s of group) if (s.chainsText) decls.push(s.chainsText);
    for (const s of group) if (s.rulesText) rules.push(s.rulesText);
    if (last) {
      // Stale chains are declared (which flushes them) before anything is deleted.
      for (const c of plan.stale) decls.push(chainLine(c));
      if (plan.writeNatTop) {
        for (const s of plan.services) push(rules, s.natJumps);
        push(rules, fixed.natTail);
      } else {
        // After the chains they jump to are filled, before the ones they left are deleted.
        push(rules, plan.natEdits);
      }
      for (const c of plan.stale) rules.push(`-X ${c}`);
      if (plan.full) push(rules, renderJumpInserts(jumps, "nat"));
    }
    if (decls.length === 0 && rules.length === 0) return;
    out.push("*nat", ...decls, ...rules, "COMMIT");
  });
  return out.length ? `${out.join("\n")}\n` : "";
}

function push(out: string[], lines: readonly string[]): void {
  for (const l of lines) out.push(l);
}
