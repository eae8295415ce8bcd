// The live reachability matrix: `kemu probe` (every namespace but the
// system ones) re-run when what decides reachability changed — the probed
// pods (which ones, their addresses, labels and ports) or any policy — after
// changes settle and at most every few seconds, one run at a time.
import type { KubeObject, Pod } from "../../api/types.js";
import type { ProbeMatrix } from "../../probe/model.js";
import { SYSTEM_NAMESPACES } from "../../probe/options.js";
import { Coalescer } from "./coalesce.js";
import { buildHeatmap, type Heatmap } from "./heatmap.js";
import type { ProbeStatus } from "./messages.js";

export const PROBE_DEBOUNCE_MS = 1000;
export const PROBE_MIN_INTERVAL_MS = 5000;

/** What the probe's answer depends on, as one string: equal strings, same matrix (as far as kemu can know). */
export function probeSignature(pods: Pod[], policies: Pick<KubeObject, "kind" | "metadata">[]): string {
  const probed = pods
    .filter((p) => !SYSTEM_NAMESPACES.includes(p.metadata.namespace ?? "default") && p.status?.phase === "Running" && p.status.podIP && !p.metadata.deletionTimestamp)
    .map((p) => {
      const ports = p.spec.containers.flatMap((c) => (c.ports ?? []).map((x) => `${x.containerPort}/${x.protocol ?? "TCP"}`));
      const labels = Object.entries(p.metadata.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return JSON.stringify([p.metadata.namespace, p.metadata.name, p.status!.podIP, p.spec.nodeName, labels, ports.sort()]);
    })
    .sort();
  const rules = policies.map((o) => `${o.kind}:${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}:${o.metadata?.resourceVersion ?? ""}`).sort();
  return JSON.stringify([probed, rules]);
}

export class ProbeLoop {
  private status: ProbeStatus = { state: "waiting" };
  private heatmap: Heatmap | undefined;
  private readonly runner: Coalescer;

  constructor(
    private readonly probe: () => Promise<ProbeMatrix>,
    private readonly onChange: (status: ProbeStatus, heatmap?: Heatmap) => void,
    timing: { debounceMs: number; minIntervalMs: number } = { debounceMs: PROBE_DEBOUNCE_MS, minIntervalMs: PROBE_MIN_INTERVAL_MS },
  ) {
    this.runner = new Coalescer(() => this.run(), timing);
  }

  current(): { status: ProbeStatus; heatmap?: Heatmap } {
    return { status: this.status, ...(this.heatmap ? { heatmap: this.heatmap } : {}) };
  }

  inputsChanged(): void {
    this.runner.poke();
  }

  stop(): void {
    this.runner.stop();
  }

  private async run(): Promise<void> {
    this.status = { state: "running" };
    this.onChange(this.status);
    try {
      this.heatmap = buildHeatmap(await this.probe(), Date.now());
      this.status = { state: "done" };
    } catch (err) {
      this.status = { state: "failed", message: err instanceof Error ? err.message : String(err) };
    }
    this.onChange(this.status, this.heatmap);
  }
}
