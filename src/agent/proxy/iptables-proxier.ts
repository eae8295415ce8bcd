// kube-proxy's iptables mode, the executor half: on each (coalesced) sync it
// renders the rules from the change tracker's snapshot and loads them with
// one `iptables-restore --noflush --counters` inside the node's namespace —
// only changed Services' chains on partial syncs, everything on full ones —
// then cleans stale UDP conntrack entries and updates health-check servers.
import { writeFileSync } from "node:fs";
import type { ApiClient } from "../../api/client.js";
import { run } from "../../linux/exec.js";
import { ensureChains, insertUnlessPresent } from "../../linux/iptables.js";
import { ChangeTracker, type ProxyState } from "./changes.js";
import { BoundedFrequencyRunner } from "./runner.js";
import { planConntrackCleanup, runConntrackCleanup, udpView, type UdpServiceView } from "./conntrack.js";
import { HealthCheckServers, healthTargets } from "./healthcheck.js";
import { renderEnsureChains, renderJumpRules, renderRestoreInput, renderRules, staleChains } from "./iptables/render.js";

export interface ProxyConfig {
  nodeName: string;
  nodeIPs: string[];
  clusterCIDR: string;
  masqueradeAll: boolean;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
}

export interface SyncStats {
  full: boolean;
  durationMs: number;
  restoreBytes: number;
  services: number;
}

/** Loads one iptables-restore program in this process's network namespace. */
export async function iptablesRestore(text: string): Promise<void> {
  await run("iptables-restore", ["-w", "5", "--noflush", "--counters"], { input: text, timeoutMs: 60_000 });
}

/** Creates kube-proxy's chains and inserts the jumps from built-in chains unless they are there already (iptables -C). */
export async function ensureJumpRules(): Promise<void> {
  await ensureChains(renderEnsureChains());
  await insertUnlessPresent(renderJumpRules());
}

/** The sync itself, separate from watching, so benchmarks can drive it with synthetic state. */
export class IptablesSyncer {
  private natChains: string[] = [];
  private udp = new Map<string, UdpServiceView>();
  private needFull = true;
  lastStats?: SyncStats;

  constructor(private readonly config: Pick<ProxyConfig, "nodeName" | "nodeIPs" | "clusterCIDR" | "masqueradeAll">) {}

  forceFullSync(): void {
    this.needFull = true;
  }

  /** Callers run one sync at a time (the proxier's runner does). */
  async sync(state: ProxyState): Promise<SyncStats> {
    const t0 = performance.now();
    const full = this.needFull;
    const rules = renderRules({ ...this.config, masqueradeBit: 14, services: state.services });
    const stale = staleChains(this.natChains, rules);
    const text = renderRestoreInput(rules, { changedServices: full ? undefined : state.changed, staleNatChains: stale });
    try {
      await iptablesRestore(text);
    } catch (err) {
      // A partial restore can fail on a chain it assumed to exist: the next sync is a full one.
      this.needFull = true;
      throw err;
    }
    // The chains exist now; the jumps into them from the built-in chains can follow.
    if (full) await ensureJumpRules();
    this.needFull = false;
    this.natChains = rules.natChains;
    const udp = udpView(state.services);
    await runConntrackCleanup(planConntrackCleanup(this.udp, udp)).catch((err: Error) => console.error(`conntrack: ${err.message}`));
    this.udp = udp;
    this.lastStats = { full, durationMs: performance.now() - t0, restoreBytes: text.length, services: state.services.length };
    return this.lastStats;
  }
}

export class IptablesProxier {
  private readonly tracker: ChangeTracker;
  private readonly runner: BoundedFrequencyRunner;
  private readonly syncer: IptablesSyncer;
  private readonly health = new HealthCheckServers();
  private canaryTimer?: NodeJS.Timeout;

  constructor(
    api: ApiClient,
    private readonly config: ProxyConfig,
  ) {
    this.syncer = new IptablesSyncer(config);
    this.runner = new BoundedFrequencyRunner(() => this.sync(), config.minSyncPeriodMs, config.syncPeriodMs);
    this.tracker = new ChangeTracker(api, config.nodeName, () => this.runner.run());
  }

  async start(): Promise<void> {
    // kube-proxy's node settings: NodePorts on 127.0.0.1 need route_localnet.
    writeFileSync("/proc/sys/net/ipv4/conf/all/route_localnet", "1");
    await this.tracker.start();
    this.health.startProxyHealthz();
    await this.runner.runNow();
    // Every syncPeriod a full sync, as upstream; if someone flushed the rules
    // meanwhile (the canary chain is gone), this is what rebuilds them.
    this.canaryTimer = setInterval(() => {
      void run("iptables", ["-w", "5", "-t", "nat", "-S", "KUBE-PROXY-CANARY"])
        .catch(() => console.error("proxy: the canary chain is gone; rebuilding all rules"))
        .finally(() => {
          this.syncer.forceFullSync();
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
    const state = this.tracker.snapshot();
    await this.syncer.sync(state);
    this.health.update(healthTargets(state.services));
    this.health.lastSync = Date.now();
  }
}
