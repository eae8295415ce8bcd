// NetworkPolicy enforcement on one node: the change tracker wakes a
// bounded-frequency runner, which syncs the node's policy table. Changes are
// coalesced (a burst of label changes is one sync) but a lone change is
// written at once: policy latency is what experiments measure.
import type { ApiClient } from "../../api/client.js";
import { BoundedFrequencyRunner } from "../proxy/runner.js";
import { PolicyChangeTracker } from "./changes.js";
import { PolicySyncer } from "./syncer.js";

/** Minimum spacing of syncs (coalescing) and the periodic full resync that repairs a table someone changed. */
export const POLICY_MIN_SYNC_MS = 10;
export const POLICY_RESYNC_MS = 60_000;

export class PolicyEnforcer {
  private readonly tracker: PolicyChangeTracker;
  private readonly runner: BoundedFrequencyRunner;
  private readonly syncer: PolicySyncer;
  private resync?: NodeJS.Timeout;

  constructor(api: ApiClient, nodeName: string) {
    this.syncer = new PolicySyncer(nodeName);
    this.runner = new BoundedFrequencyRunner(() => this.sync(), POLICY_MIN_SYNC_MS, POLICY_RESYNC_MS, "policy");
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
