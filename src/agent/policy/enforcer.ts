// NetworkPolicy enforcement on one node: the change tracker wakes a
// bounded-frequency runner, which syncs the node's policy table. Changes are
// coalesced (a burst of label changes is one sync) but a lone change is
// written at once: policy latency is what experiments measure. Syncs are
// spaced by at least twice the last one's duration, so a node with a large
// table under a storm of pod changes (a thousand pods starting) spends at
// most a third of a core on policy and leaves the rest to starting them.
import type { ApiClient } from "../../api/client.js";
import { BoundedFrequencyRunner } from "../proxy/runner.js";
import { PolicyChangeTracker } from "./changes.js";
import { PolicySyncer } from "./syncer.js";

/** Minimum spacing of syncs (coalescing), as a floor and as a multiple of the last sync's duration, and the periodic full resync that repairs a table someone changed. */
export const POLICY_MIN_SYNC_MS = 10;
export const POLICY_SYNC_SPACING = 2;
export const POLICY_RESYNC_MS = 60_000;

export class PolicyEnforcer {
  private readonly tracker: PolicyChangeTracker;
  private readonly runner: BoundedFrequencyRunner;
  private readonly syncer: PolicySyncer;
  private resync?: NodeJS.Timeout;

  constructor(api: ApiClient, nodeName: string) {
    this.syncer = new PolicySyncer(nodeName);
    this.runner = new BoundedFrequencyRunner(
      () => this.sync(),
      () => Math.max(POLICY_MIN_SYNC_MS, POLICY_SYNC_SPACING * (this.syncer.lastStats?.durationMs ?? 0)),
      POLICY_RESYNC_MS,
      "policy",
    );
    this.tracker = new PolicyChangeTracker(api, () => this.runner.run());
  }

  async start(): Promise<void> {
    await this.tracker.start();
    // A failed first sync is retried by the runner; the node still comes up.
    await this.runner.runNow().catch((err: Error) => {
      console.error(`policy sync failed: ${err.message}`);
      this.runner.run();
    });
    this.resync = setInterval(() => {
      this.syncer.forceFullSync();
      this.runner.run();
    }, POLICY_RESYNC_MS);
    this.resync.unref();
  }

  stop(): void {
    this.runner.stop();
    this.tracker.stop();
    if (this.resync) clearInterval(this.resync);
  }

  private async sync(): Promise<void> {
    await this.syncer.sync(this.tracker.snapshot());
  }
}
