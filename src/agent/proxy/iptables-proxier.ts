// kube-proxy's iptables mode, the executor half: on each (coalesced) sync it
// plans what changed since the last sync (iptables/sync-plan.ts), renders it
// (iptables/transaction.ts) and loads it with one `iptables-restore
// --noflush --counters` inside the node's namespace; then it cleans stale UDP
// conntrack entries and updates health-check servers.
import { writeFileSync } from "node:fs";
import type { ApiClient } from "../../api/client.js";
import { run } from "../../linux/exec.js";
import { ChangeTracker, type ProxyState } from "./changes.js";
import { BoundedFrequencyRunner } from "./runner.js";
import { planConntrackCleanup, runConntrackCleanup, udpView, type UdpServiceView } from "./conntrack.js";
import { HealthCheckServers, healthTargets } from "./healthcheck.js";
import { jumpSourceChains, missingJumps, type JumpChain } from "./iptables/jumps.js";
import { parseIptablesSave, type SavedState } from "./iptables/save.js";
import { planSync, type WrittenState } from "./iptables/sync-plan.js";
import { renderSyncRestore } from "./iptables/transaction.js";
import { ProxyMetrics, countRestoreRules } from "./metrics.js";

export interface ProxyConfig {
  nodeName: string;
  nodeIPs: string[];
  clusterCIDR: string;
  masqueradeAll: boolean;
  /** --nodeport-addresses (CIDRs or "primary"; empty: every local address) */
  nodePortAddresses?: string[];
  /** the node's addresses those are matched against */
  localAddresses?: string[];
  minSyncPeriodMs: number;
  syncPeriodMs: number;
}

export interface SyncStats {
  full: boolean;
  durationMs: number;
  restoreBytes: number;
  services: number;
  /** service ports whose own chains were written */
  rewritten: number;
  /** rules the restore wrote (-A/-I lines), by table */
  rulesWritten: Map<string, number>;
}

/** Loads one iptables-restore program in this process's network namespace. */
export async function iptablesRestore(text: string): Promise<void> {
  await run("iptables-restore", ["-w", "5", "--noflush", "--counters"], { input: text, timeoutMs: 600_000 });
}

/** All tables as iptables-save prints them: read before the first full sync (upstream reads nat this way on every full sync). */
export async function readSavedState(): Promise<SavedState> {
  return parseIptablesSave(await run("iptables-save", [], { timeoutMs: 300_000 }));
}

/** The jumps from built-in chains into kube-proxy's chains that are missing (one `iptables -S` per built-in chain). */
export async function findMissingJumps(): Promise<JumpChain[]> {
  const listings = new Map<string, string[]>();
  await Promise.all(
    jumpSourceChains().map(async ([table, chain]) => {
      const out = await run("iptables", ["-w", "5", "-t", table, "-S", chain]);
      listings.set(`${table} ${chain}`, out.split("\n"));
    }),
  );
  return missingJumps(listings);
}

/**
 * How far apart periodic full syncs are: syncPeriod, or ten times the last
 * full sync's duration when that is longer — with 10,000 services a full
 * sync takes tens of seconds of iptables-nft and kernel time, and back to
 * back they would leave the node no time for anything else.
 */
export function fullSyncSpacing(syncPeriodMs: number, lastFullSyncMs: number): number {
  return Math.max(syncPeriodMs, 10 * lastFullSyncMs);
}

/** The sync itself, separate from watching, so benchmarks can drive it with synthetic state. */
export class IptablesSyncer {
  private written?: WrittenState;
  /** list the nat chains before the next sync: at start-up, and after a failed restore left unknown state */
  private listChains = true;
  private needFull = true;
  private udp = new Map<string, UdpServiceView>();
  lastStats?: SyncStats;
  /** how long the last full sync took (0 before the first) */
  lastFullSyncMs = 0;
  /** iptables-restore calls that failed (kubeproxy_sync_proxy_rules_iptables_restore_failures_total) */
  restoreFailures = 0;

  constructor(private readonly config: Pick<ProxyConfig, "nodeName" | "nodeIPs" | "clusterCIDR" | "masqueradeAll" | "nodePortAddresses" | "localAddresses">) {}

  forceFullSync(): void {
    this.needFull = true;
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** Syncs one at a time, in call order (two at once would both insert the missing jumps). */
  sync(state: ProxyState): Promise<SyncStats> {
    const next = this.queue.then(() => this.syncOnce(state));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async syncOnce(state: ProxyState): Promise<SyncStats> {
    const t0 = performance.now();
    // After start-up or a failed restore, one iptables-save tells what exists;
    // later full syncs know their chains and only list the built-in chains.
    const saved = this.listChains ? await readSavedState() : undefined;
    const plan = planSync(this.written, { ...this.config, masqueradeBit: 14, services: state.services }, state.changed, {
      full: this.needFull,
      existingNatChains: saved?.natChains,
    });
    const jumps = !plan.full ? [] : saved ? missingJumps(saved.rules) : await findMissingJumps();
    const text = renderSyncRestore(plan, { missingJumps: jumps });
    if (text) {
      try {
        await iptablesRestore(text);
      } catch (err) {
        // Some transactions of the restore may have been applied: start over from what the kernel has.
        this.needFull = true;
        this.listChains = true;
        this.restoreFailures++;
        throw err;
      }
    }
    this.written = plan.next;
    this.needFull = false;
    this.listChains = false;
    const udp = udpView(state.services);
    await runConntrackCleanup(planConntrackCleanup(this.udp, udp)).catch((err: Error) => console.error(`conntrack: ${err.message}`));
    this.udp = udp;
    const durationMs = performance.now() - t0;
    if (plan.full) this.lastFullSyncMs = durationMs;
    this.lastStats = { full: plan.full, durationMs, restoreBytes: text.length, services: state.services.length, rewritten: plan.rewrite.length, rulesWritten: countRestoreRules(text) };
    return this.lastStats;
  }
}

export class IptablesProxier {
  private readonly tracker: ChangeTracker;
  private readonly runner: BoundedFrequencyRunner;
  private readonly syncer: IptablesSyncer;
  private readonly health = new HealthCheckServers();
  private canaryTimer?: NodeJS.Timeout;
  private lastFullSyncAt = 0;

  constructor(
    api: ApiClient,
    private readonly config: ProxyConfig,
    private readonly metrics = new ProxyMetrics("iptables"),
  ) {
    this.syncer = new IptablesSyncer(config);
    this.runner = new BoundedFrequencyRunner(() => this.sync(), config.minSyncPeriodMs, config.syncPeriodMs);
    this.tracker = new ChangeTracker(
      api,
      config.nodeName,
      () => {
        metrics.queued();
        this.runner.run();
      },
      metrics,
    );
  }

  async start(): Promise<void> {
    // kube-proxy's node settings: NodePorts on 127.0.0.1 need route_localnet.
    writeFileSync("/proc/sys/net/ipv4/conf/all/route_localnet", "1");
    await this.tracker.start();
    this.health.startProxyHealthz();
    await this.runner.runNow();
    // Every syncPeriod a full sync, as upstream (it repairs rules someone
    // changed), but never more often than fullSyncSpacing allows; if someone
    // flushed the rules (the canary chain is gone), at once.
    this.canaryTimer = setInterval(() => {
      void run("iptables", ["-w", "5", "-t", "nat", "-S", "KUBE-PROXY-CANARY"])
        .then(
          () => Date.now() - this.lastFullSyncAt >= fullSyncSpacing(this.config.syncPeriodMs, this.syncer.lastFullSyncMs),
          () => (console.error("proxy: the canary chain is gone; rebuilding all rules"), true),
        )
        .then((full) => {
          if (full) this.syncer.forceFullSync();
          this.runner.run();
        });
    }, this.config.syncPeriodMs);
    this.canaryTimer.unref();
  }

  stop(): void {
    this.runner.stop();
    this.tracker.stop();
    this.health.close();
    if (this.canaryTimer) clearInterval(this.canaryTimer);
  }

  private async sync(): Promise<void> {
    const programmed = this.metrics.takePending();
    const state = this.tracker.snapshot();
    const failuresBefore = this.syncer.restoreFailures;
    let stats: SyncStats;
    try {
      stats = await this.syncer.sync(state);
    } catch (err) {
      this.metrics.syncFailed(programmed, this.syncer.restoreFailures > failuresBefore);
      throw err;
    }
    this.metrics.synced({ seconds: stats.durationMs / 1000, full: stats.full, programmed, rulesWritten: stats.rulesWritten });
    if (stats.full) this.lastFullSyncAt = Date.now();
    this.health.update(healthTargets(state.services));
    this.health.lastSync = Date.now();
  }
}
