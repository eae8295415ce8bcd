// kube-proxy's old userspace mode, driven like the iptables mode: the change
// tracker's snapshot goes to the proxy sockets (in this agent process, in the
// node's namespace), then the portal rules that steer Service traffic to
// them are loaded with one iptables-restore.
import type { ApiClient } from "../../api/client.js";
import { insertUnlessPresent } from "../../linux/iptables.js";
import { ChangeTracker } from "./changes.js";
import { BoundedFrequencyRunner } from "./runner.js";
import { iptablesRestore } from "./iptables-proxier.js";
import { UserspaceProxier, portalJumpRules } from "./userspace/proxier.js";
import { ProxyMetrics } from "./metrics.js";

export interface UserspaceConfig {
  nodeName: string;
  nodeIPs: string[];
  gatewayIP: string;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
}

export class UserspaceMode {
  private readonly tracker: ChangeTracker;
  private readonly runner: BoundedFrequencyRunner;
  private readonly proxier: UserspaceProxier;

  constructor(
    api: ApiClient,
    config: UserspaceConfig,
    private readonly metrics = new ProxyMetrics("userspace"),
  ) {
    this.proxier = new UserspaceProxier({ nodeIP: config.nodeIPs[0]!, gatewayIP: config.gatewayIP });
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
    await this.tracker.start();
    // The portal chains must exist before anything jumps to them.
    await this.runner.runNow();
    await insertUnlessPresent(portalJumpRules());
    this.runner.start();
  }

  async stop(): Promise<void> {
    this.runner.stop();
    this.tracker.stop();
    await this.proxier.close();
  }

  private async sync(): Promise<void> {
    const programmed = this.metrics.takePending();
    const started = performance.now();
    const { services } = this.tracker.snapshot();
    try {
      await this.proxier.update(services);
      await iptablesRestore(this.proxier.portalRules());
    } catch (err) {
      this.metrics.syncFailed(programmed, false);
      throw err;
    }
    this.metrics.synced({ seconds: (performance.now() - started) / 1000, full: true, programmed });
  }
}
