// Finding and removing everything one cluster left on the host: its
// processes, its network namespaces, their /etc/netns entries and its state
// directory. Everything is found by the cluster's exact identity (see
// clusterOfNetns and argvNamesCluster), never by a name prefix, so removing
// "c" leaves a running "c-b" alone; and from names alone, so it also works
// after a kill -9 when the records under /run/kemu/<c>/ are partial or gone.
import { readdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { run } from "./exec.js";
import { CLUSTER_NAME_RE, clusterOfNetns, stateDir } from "./names.js";
import { argvNamesCluster, clustersNamedBy, hostProcesses, isZombie, namespaceInodes, type HostProcess } from "./processes.js";

const STATE_ROOT = "/run/kemu";

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every network namespace of kemu clusters on the host (what `ip netns list` shows). */
export function kemuNetns(): string[] {
  return entries("/run/netns").filter((n) => clusterOfNetns(n) !== undefined).sort();
}

export function netnsOfCluster(cluster: string): string[] {
  return entries("/run/netns").filter((n) => clusterOfNetns(n) === cluster).sort();
}

export function etcNetnsOfCluster(cluster: string): string[] {
  return entries("/etc/netns").filter((n) => clusterOfNetns(n) === cluster).sort();
}

/** PIDs the control plane recorded (itself, agents, programs on the outside host); they may be stale. */
export function recordedPids(cluster: string): number[] {
  const dir = join(stateDir(cluster), "pids");
  return entries(dir)
    .map((f) => {
      try {
        return Number(readFileSync(join(dir, f), "utf8").trim());
      } catch {
        return NaN;
      }
    })
    .filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid);
}

/** Clusters with a state directory. */
export function clustersOnHost(): string[] {
  return entries(STATE_ROOT).filter((n) => CLUSTER_NAME_RE.test(n)).sort();
}

/** Clusters with anything left on the host: a state directory, a namespace, an /etc/netns entry or a process. */
export function clustersWithArtefacts(procs: HostProcess[] = hostProcesses()): string[] {
  const found = new Set(clustersOnHost());
  for (const n of [...entries("/run/netns"), ...entries("/etc/netns")]) {
    const c = clusterOfNetns(n);
    if (c) found.add(c);
  }
  for (const p of procs) for (const c of clustersNamedBy(p.argv)) if (CLUSTER_NAME_RE.test(c)) found.add(c);
  return [...found].sort();
}

/**
 * A cluster's processes: owners name one of its paths on their command line
 * (the daemon, node agents, container launchers); the others merely live in
 * one of its namespaces (container programs). Recorded PIDs count only when
 * they still are one of these: a PID may have been reused since it was written.
 */
export function processesOfCluster(cluster: string, procs: HostProcess[] = hostProcesses()): { owners: number[]; inNamespaces: number[] } {
  const inodes = namespaceInodes(netnsOfCluster(cluster));
  const owners = procs.filter((p) => argvNamesCluster(p.argv, cluster)).map((p) => p.pid);
  const ownerSet = new Set(owners);
  const inNamespaces = procs.filter((p) => !ownerSet.has(p.pid) && p.netIno !== undefined && inodes.has(p.netIno)).map((p) => p.pid);
  // Recorded PIDs first: the control plane and agents stop before what they start.
  const recorded = recordedPids(cluster).filter((p) => ownerSet.has(p));
  return { owners: [...new Set([...recorded, ...owners])], inNamespaces };
}

export interface Footprint {
  stateDir: boolean;
  netns: string[];
  etcNetns: string[];
  pids: number[];
}

/** What of a cluster is on the host; all empty means there is no such cluster. */
export function footprint(cluster: string, procs: HostProcess[] = hostProcesses()): Footprint {
  const { owners, inNamespaces } = processesOfCluster(cluster, procs);
  return { stateDir: existsSync(stateDir(cluster)), netns: netnsOfCluster(cluster), etcNetns: etcNetnsOfCluster(cluster), pids: [...owners, ...inNamespaces] };
}

export function isEmptyFootprint(f: Footprint): boolean {
  return !f.stateDir && f.netns.length === 0 && f.etcNetns.length === 0 && f.pids.length === 0;
}

export function killPids(pids: number[], signal: NodeJS.Signals = "SIGKILL"): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Removes one cluster's artefacts, and nothing of any other cluster. */
export async function removeArtefacts(cluster: string): Promise<{ netns: string[]; pids: number[] }> {
  const killed = new Set<number>();
  // Twice: first the control plane and agents (so nothing new starts), then anything they were starting.
  for (let round = 0; round < 2; round++) {
    const { owners } = processesOfCluster(cluster);
    killPids(owners);
    await waitGone(owners, 5_000);
    const { inNamespaces } = processesOfCluster(cluster);
    killPids(inNamespaces);
    await waitGone(inNamespaces, 5_000);
    for (const p of [...owners, ...inNamespaces]) killed.add(p);
  }
  const namespaces = netnsOfCluster(cluster);
  for (const ns of namespaces) await run("ip", ["netns", "del", ns], { okCodes: [1, 255] });
  for (const e of etcNetnsOfCluster(cluster)) rmSync(`/etc/netns/${e}`, { recursive: true, force: true });
  rmSync(stateDir(cluster), { recursive: true, force: true });
  return { netns: namespaces, pids: [...killed] };
}

export async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids;
  while (alive.length && Date.now() < deadline) {
    alive = alive.filter((p) => existsSync(`/proc/${p}`) && !isZombie(p));
    if (alive.length) await new Promise((r) => setTimeout(r, 20));
  }
}
