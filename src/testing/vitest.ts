// kemu/vitest: one cluster per test file (or describe block), started in
// beforeAll and stopped in afterAll: after failed tests, after a hook that
// timed out (the start is awaited before the stop, so a cluster still
// coming up is not left behind), and when the worker is told to stop
// (SIGINT, SIGTERM).
import { afterAll, beforeAll } from "vitest";
import { randomBytes } from "node:crypto";
import { Cluster, KemuError, type StartOptions } from "../cluster.js";

export interface UseClusterOptions extends Omit<StartOptions, "name" | "keepOnFailure" | "keepOnPodTimeout"> {
  /** The start of the cluster's name; 8 random hex digits follow (at most 12 characters, for the 20 a name may have). Default "t". */
  prefix?: string;
  /** How long beforeAll may take (vitest's hook timeout), in ms; default: the start's timeoutMs (60 s) plus 60 s. */
  hookTimeoutMs?: number;
}

export interface ClusterFixture {
  /** The cluster's unique name, known before it starts. */
  readonly name: string;
  /** The running cluster (only inside tests and hooks that run after beforeAll). */
  readonly cluster: Cluster;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
/** Clusters this process started and has not stopped yet: what a signal stops. */
const live = new Set<Promise<Cluster | undefined>>();
let signalsHooked = false;

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of SIGNALS) {
    process.once(signal, () => {
      const stops = [...live].map(async (started) => (await started)?.stop());
      void Promise.allSettled(stops).then(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
}

/** A unique cluster name: prefix, then 8 random hex digits. */
export function uniqueName(prefix = "t"): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$|^[a-z0-9]$/.test(prefix) || prefix.length > 12) {
    throw new KemuError(`useCluster: prefix ${JSON.stringify(prefix)}: expected 1-12 lower-case letters, digits or '-', starting and ending with a letter or digit`);
  }
  return `${prefix}${randomBytes(4).toString("hex")}`;
}

/**
 * Call at the top of a test file (or inside a describe): starts a uniquely
 * named cluster before the tests and stops it after them, whatever happened.
 *
 *   const kemu = useCluster({ nodes: 1, files: ["k8s/"] });
 *   it("serves", async () => { await kemu.cluster.waitForPods({ labelSelector: "app=web" }); });
 */
export function useCluster(options: UseClusterOptions = {}): ClusterFixture {
  const { prefix, hookTimeoutMs, ...start } = options;
  const name = uniqueName(prefix);
  let started: Promise<Cluster | undefined> | undefined;
  let cluster: Cluster | undefined;
  hookSignals();

  beforeAll(async () => {
    // Not kept on failure: Cluster.start removes what it made when it rejects.
    const attempt = Cluster.start({ ...start, name });
    started = attempt.then(
      (c) => c,
      () => undefined,
    );
    live.add(started);
    cluster = await attempt;
  }, hookTimeoutMs ?? (start.timeoutMs ?? 60_000) + 60_000);

  afterAll(async () => {
    if (!started) return;
    // A start that timed out in beforeAll may still be running: wait for it, then stop what it made.
    const c = await started;
    live.delete(started);
    await c?.stop();
  }, 60_000);

  return {
    name,
    get cluster(): Cluster {
      if (!cluster) throw new KemuError(`useCluster: cluster ${name} is not running (it starts in beforeAll; did the start fail?)`);
      return cluster;
    },
  };
}
