// The policy executor of one node: renders the table for the node's pods,
// plans the difference with what it last wrote and loads it with one
// `nft -f -` in the node's namespace (the agent runs there). A failed load
// may have left anything, so the next sync replaces the whole table.
import { run } from "../../linux/exec.js";
import { podVethName } from "../../linux/names.js";
import { PolicyIndex } from "./evaluate.js";
import type { PolicyInputs } from "./model.js";
import { renderPolicyTable, type PolicyTableState } from "./render.js";
import { planPolicySync, type PolicySyncPlan } from "./sync-plan.js";

export interface PolicySyncStats {
  full: boolean;
  durationMs: number;
  /** bytes of nft program loaded (0: nothing changed) */
  bytes: number;
  counts: PolicySyncPlan["counts"];
}

/** Loads an nft program (in this process's network namespace). */
export async function loadNft(text: string): Promise<void> {
  await run("nft", ["-f", "-"], { input: text, timeoutMs: 120_000 });
}

export class PolicySyncer {
  private written?: PolicyTableState;
  private needFull = true;
  lastStats?: PolicySyncStats;

  constructor(
    private readonly nodeName: string,
    private readonly load: (text: string) => Promise<void> = loadNft,
  ) {}

  forceFullSync(): void {
    this.needFull = true;
  }

  async sync(inputs: PolicyInputs): Promise<PolicySyncStats> {
    const t0 = performance.now();
    const index = new PolicyIndex(inputs);
    const local = inputs.pods.filter((p) => p.nodeName === this.nodeName && !p.hostNetwork && p.uid).map((pod) => ({ pod, veth: podVethName(pod.uid) }));
    const desired = renderPolicyTable(index, local);
    const plan = planPolicySync(this.written, desired, { full: this.needFull });
    if (plan.text) {
      try {
        await this.load(plan.text);
      } catch (err) {
        this.needFull = true;
        throw err;
      }
    }
    this.written = desired;
    this.needFull = false;
    this.lastStats = { full: plan.full, durationMs: performance.now() - t0, bytes: plan.text.length, counts: plan.counts };
    return this.lastStats;
  }
}
