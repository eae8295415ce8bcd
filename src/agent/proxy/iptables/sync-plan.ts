// What one sync must write, decided against what the last successful sync
// wrote (upstream: the partial-sync bookkeeping of KEP-3453 in
// pkg/proxy/iptables/proxier.go). A service port is re-rendered only when it
// changed. The top-level chains (filter, nat KUBE-SERVICES/KUBE-NODEPORTS)
// are left alone when no service's entries in them changed, and edited in
// place (-D/-I of those entries) when few did — upstream rewrites them on
// every sync, which at 10,000 services costs most of a partial sync. Pure.
import { servicePortKey, type EndpointInfo, type ServicePortInfo } from "../model.js";
import { isServiceChainName } from "./names.js";
import { proxiedServices, renderFixedParts, type FixedParts, type ProxyInput } from "./render.js";
import { renderServicePort, type ServiceRules } from "./service.js";

/** What the last sync wrote for one service port: enough to tell what a new render changes. */
export interface WrittenService {
  readonly port: ServicePortInfo;
  readonly endpoints: EndpointInfo[];
  readonly natJumps: readonly string[];
  readonly filterRules: readonly string[];
  readonly chainNames: readonly string[];
}

export interface WrittenState {
  largeClusterMode: boolean;
  /** by servicePortKey() */
  services: Map<string, WrittenService>;
}

export interface SyncPlan {
  full: boolean;
  fixed: FixedParts;
  /** every proxied service port, in table order: what the top-level chains are written from */
  services: WrittenService[];
  /** the service ports whose own chains are (re)written, in table order */
  rewrite: ServiceRules[];
  /** rewrite the filter table's chains whole */
  writeFilter: boolean;
  /** rewrite nat KUBE-SERVICES and KUBE-NODEPORTS whole */
  writeNatTop: boolean;
  /** otherwise, the entries to delete and insert there ("-D …"/"-I …" restore lines; inserts go on top, in order) */
  filterEdits: string[];
  natEdits: string[];
  /** kube-proxy's per-service nat chains to delete */
  stale: string[];
  /** how many per-service nat chains exist before this sync (as written, or as listed) */
  chainsBefore: number;
  /** what is written once this plan is applied */
  next: WrittenState;
}

export interface PlanOptions {
  /** rewrite everything (also implied when nothing was written yet, or large-cluster mode flips) */
  full?: boolean;
  /** the nat chains that exist in the kernel, when they were listed (per-service ones not wanted are deleted) */
  existingNatChains?: Iterable<string>;
}

/**
 * Above this many entries to delete or insert, a top-level chain is
 * rewritten whole instead: iptables-nft scans the chain for every -D. One
 * entry in place at 10,000 services: -I 0.30 s (the kernel's table
 * validation), -D 0.12 s, against 1.3–1.4 s to rewrite KUBE-SERVICES.
 */
export const MAX_TOP_LEVEL_EDITS = 100;

/** Entries of `before` that are not in `after`, and the other way round ("-A CHAIN …" lines). */
class EntryEdits {
  readonly deleted: string[] = [];
  readonly inserted: string[] = [];

  add(before: readonly string[], after: readonly string[]): void {
    if (before.length === after.length && before.every((l, i) => l === after[i])) return;
    const keep = new Set(after);
    const had = new Set(before);
    for (const l of before) if (!keep.has(l)) this.deleted.push(l);
    for (const l of after) if (!had.has(l)) this.inserted.push(l);
  }

  get count(): number {
    return this.deleted.length + this.inserted.length;
  }

  /** Restore lines: deletions, then insertions at the top of their chains (reversed, so they end up in order). */
  lines(): string[] {
    const out = this.deleted.map((l) => `-D ${l.slice(3)}`);
    for (let i = this.inserted.length - 1; i >= 0; i--) out.push(`-I ${this.inserted[i]!.slice(3)}`);
    return out;
  }
}

/**
 * Plans a sync of `input` after `prev` was written. A service port counts as
 * unchanged when its ServicePortInfo and endpoint list are the very objects
 * written last time (the change tracker keeps them for untouched services)
 * and its key is not in `changed`.
 */
export function planSync(prev: WrittenState | undefined, input: ProxyInput, changed: ReadonlySet<string>, opts: PlanOptions = {}): SyncPlan {
  const { proxied, largeClusterMode } = proxiedServices(input.services);
  const full = opts.full === true || prev === undefined || prev.largeClusterMode !== largeClusterMode;
  const fixed = renderFixedParts(input, largeClusterMode);
  const nextServices = new Map<string, WrittenService>();
  const services: WrittenService[] = [];
  const rewrite: ServiceRules[] = [];
  const stale = new Set<string>();
  const filterEdits = new EntryEdits();
  const natEdits = new EntryEdits();

  for (const { port, endpoints } of proxied) {
    const key = servicePortKey(port);
    const old = prev?.services.get(key);
    if (!full && old && old.port === port && old.endpoints === endpoints && !changed.has(key)) {
      nextServices.set(key, old);
      services.push(old);
      continue;
    }
    const rules = renderServicePort(fixed.ctx, port, endpoints);
    const written: WrittenService = { port, endpoints, natJumps: rules.natJumps, filterRules: rules.filterRules, chainNames: rules.chainNames };
    nextServices.set(key, written);
    services.push(written);
    rewrite.push(rules);
    if (old) {
      const now = new Set(written.chainNames);
      for (const c of old.chainNames) if (!now.has(c)) stale.add(c);
    }
    natEdits.add(old?.natJumps ?? [], written.natJumps);
    filterEdits.add(old?.filterRules ?? [], written.filterRules);
  }

  // Service ports that are gone: their chains, and their entries in the top-level chains.
  for (const [key, old] of prev?.services ?? []) {
    if (nextServices.has(key)) continue;
    for (const c of old.chainNames) stale.add(c);
    natEdits.add(old.natJumps, []);
    filterEdits.add(old.filterRules, []);
  }
  const writeFilter = full || filterEdits.count > MAX_TOP_LEVEL_EDITS;
  const writeNatTop = full || natEdits.count > MAX_TOP_LEVEL_EDITS;

  if (full || opts.existingNatChains) {
    const wanted = new Set<string>();
    for (const s of services) for (const c of s.chainNames) wanted.add(c);
    for (const c of opts.existingNatChains ?? []) if (isServiceChainName(c)) stale.add(c);
    for (const c of wanted) stale.delete(c);
  }

  let chainsBefore = 0;
  if (opts.existingNatChains) for (const c of opts.existingNatChains) chainsBefore += isServiceChainName(c) ? 1 : 0;
  else for (const s of prev?.services.values() ?? []) chainsBefore += s.chainNames.length;

  return {
    full,
    chainsBefore,
    fixed,
    services,
    rewrite,
    writeFilter,
    writeNatTop,
    filterEdits: writeFilter ? [] : filterEdits.lines(),
    natEdits: writeNatTop ? [] : natEdits.lines(),
    stale: [...stale],
    next: { largeClusterMode, services: nextServices },
  };
}
