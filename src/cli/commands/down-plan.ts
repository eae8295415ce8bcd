// What `kemu down` does, decided from what is on the host (pure, so the
// decisions are unit-tested without touching anyone's clusters).

export interface ClusterOnHost {
  name: string;
  /** its control plane runs */
  running: boolean;
}

/** `kemu down --name C`: stop a running cluster, clean what a dead one left, or say there is no such cluster. */
export type DownAction = "stop" | "clean" | "unknown";

export function planDown(running: boolean, anythingLeft: boolean): DownAction {
  if (running) return "stop";
  return anythingLeft ? "clean" : "unknown";
}

export interface DownAllPlan {
  /** clusters whose control plane is gone: what they left is removed */
  clean: string[];
  /** running clusters stopped because of --force */
  stop: string[];
  /** running clusters left alone */
  keep: string[];
}

/**
 * `kemu down --all` removes what crashed clusters left; a cluster whose
 * control plane runs belongs to someone (another user, another test run) and
 * is stopped only with --force.
 */
export function planDownAll(clusters: ClusterOnHost[], force: boolean): DownAllPlan {
  const sorted = [...clusters].sort((a, b) => a.name.localeCompare(b.name));
  const dead = sorted.filter((c) => !c.running).map((c) => c.name);
  const running = sorted.filter((c) => c.running).map((c) => c.name);
  return force ? { clean: dead, stop: running, keep: [] } : { clean: dead, stop: [], keep: running };
}

/** The report of `kemu down --all`, one fact per line. */
export function describeDownAll(plan: DownAllPlan): string {
  const lines: string[] = [];
  if (!plan.clean.length && !plan.stop.length && !plan.keep.length) return "No kemu clusters on this host.\n";
  for (const c of plan.stop) lines.push(`Cluster "${c}" stopped and removed.`);
  for (const c of plan.clean) lines.push(`Removed what cluster "${c}" left (its control plane was not running).`);
  if (plan.keep.length) {
    const names = plan.keep.map((c) => `"${c}"`).join(", ");
    lines.push(
      `Left running: ${names}. Stop ${plan.keep.length === 1 ? "it" : "one"} with \`kemu down --name ${plan.keep[0]}\`${plan.keep.length > 1 ? " (and so on)" : ""}, or every running cluster with \`kemu down --all --force\`.`,
    );
  }
  return `${lines.join("\n")}\n`;
}
