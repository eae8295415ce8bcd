// Finding and removing everything a cluster left on the host: processes in
// its namespaces, the namespaces themselves, /etc/netns entries and its state
// directory. Works from names alone, so it also works after a kill -9.
import { readdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { run } from "./exec.js";
import { PREFIX, stateDir } from "./names.js";

export async function listKemuNetns(cluster?: string): Promise<string[]> {
  const out = await run("ip", ["netns", "list"]);
  const prefix = cluster ? `${PREFIX}${cluster}-` : PREFIX;
  return out
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(prefix));
}

export async function pidsInNetns(netns: string): Promise<number[]> {
  const out = await run("ip", ["netns", "pids", netns], { okCodes: [1] });
  return out.split(/\s+/).filter(Boolean).map(Number).filter((n) => n > 1 && n !== process.pid);
}

export function recordedPids(cluster: string): number[] {
  const dir = join(stateDir(cluster), "pids");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => Number(readFileSync(join(dir, f), "utf8").trim()))
    .filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid);
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

export function clustersOnHost(): string[] {
  const fromState = existsSync("/run/kemu") ? readdirSync("/run/kemu") : [];
  return [...new Set(fromState)].sort();
}

/** Removes one cluster's artefacts (or every kemu artefact with cluster undefined). */
/**
 * Our own processes that mention a cluster's state directory in their
 * command line: the daemon, node agents and container launchers all do.
 */
export function processesOfStateDir(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").some((arg) => arg.startsWith(dir))) pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

export async function removeArtefacts(cluster?: string): Promise<{ netns: string[]; pids: number[] }> {
  const clusters = cluster ? [cluster] : clustersOnHost();
  const dir = cluster ? `${stateDir(cluster)}/` : "/run/kemu/";
  const killed = new Set<number>();
  // Twice: first the control plane and agents (so nothing new starts), then anything they were starting.
  for (let round = 0; round < 2; round++) {
    const owners = [...clusters.flatMap(recordedPids), ...processesOfStateDir(dir)];
    killPids(owners);
    await waitGone(owners, 5_000);
    const namespaces = await listKemuNetns(cluster);
    const inNamespaces = (await Promise.all(namespaces.map(pidsInNetns))).flat();
    killPids(inNamespaces);
    await waitGone(inNamespaces, 5_000);
    for (const p of [...owners, ...inNamespaces]) killed.add(p);
  }
  const namespaces = await listKemuNetns(cluster);
  for (const ns of namespaces) {
    await run("ip", ["netns", "del", ns], { okCodes: [1, 255] });
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
  const etcPrefix = cluster ? `${PREFIX}${cluster}-` : PREFIX;
  if (existsSync("/etc/netns")) {
    for (const e of readdirSync("/etc/netns")) if (e.startsWith(etcPrefix)) rmSync(`/etc/netns/${e}`, { recursive: true, force: true });
  }
  for (const c of clusters) rmSync(stateDir(c), { recursive: true, force: true });
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

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}
