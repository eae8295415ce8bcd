// Which processes on the host are a cluster's, by identity rather than by
// name: a command line that names a path of the cluster (its state directory
// /run/kemu/<c>/ or one of its namespaces), or membership of one of its
// network namespaces. Read from /proc, so it also works when the daemon's
// records are gone or stale (a recorded PID may have been reused since).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { clusterOfNetns, netnsPath, stateDir } from "./names.js";

export interface HostProcess {
  pid: number;
  argv: string[];
  /** inode of its network namespace (undefined when it cannot be read) */
  netIno?: number;
}

export function readArgv(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    // A zombie or kernel thread has an empty command line.
    return raw ? raw.replace(/\0$/, "").split("\0") : undefined;
  } catch {
    return undefined;
  }
}

function netInode(pid: number): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/net`).ino;
  } catch {
    return undefined;
  }
}

/** Every process on the host but this one, with its command line and network namespace. */
export function hostProcesses(): HostProcess[] {
  const out: HostProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || pid === 1) continue;
    const argv = readArgv(pid);
    if (argv) out.push({ pid, argv, netIno: netInode(pid) });
  }
  return out;
}

/** The inodes of network namespaces, keyed for membership tests. */
export function namespaceInodes(names: string[]): Set<number> {
  const inodes = new Set<number>();
  for (const n of names) {
    try {
      inodes.add(statSync(netnsPath(n)).ino);
    } catch {
      /* removed meanwhile */
    }
  }
  return inodes;
}

/**
 * Whether a command line names a path of this cluster: an argument under its
 * state directory (with the trailing slash, so /run/kemu/c-b/ is not c's), or
 * one of its namespaces by exact name (nsenter --net=/run/netns/kemu-c-node-1).
 */
export function argvNamesCluster(argv: string[], cluster: string): boolean {
  const dir = `${stateDir(cluster)}/`;
  return argv.map(argValue).some((value) => {
    if (value.startsWith(dir)) return true;
    const ns = /^\/run\/netns\/([^/]+)$/.exec(value)?.[1];
    return ns !== undefined && clusterOfNetns(ns) === cluster;
  });
}

/** A path in an argument: the argument itself, or what follows the "=" of a --flag=value. */
function argValue(arg: string): string {
  return arg.startsWith("--") && arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : arg;
}

/** The clusters a command line names (for finding clusters whose other records are gone). */
export function clustersNamedBy(argv: string[]): string[] {
  const found = new Set<string>();
  for (const value of argv.map(argValue)) {
    const dir = /^\/run\/kemu\/([a-z0-9-]+)\//.exec(value)?.[1];
    if (dir) found.add(dir);
    const ns = /^\/run\/netns\/([^/]+)$/.exec(value)?.[1];
    const owner = ns === undefined ? undefined : clusterOfNetns(ns);
    if (owner) found.add(owner);
  }
  return [...found];
}

/** The control plane of a cluster is `node <kemu>/dist/cli/main.js daemon /run/kemu/<c>/start.json`. */
export function isDaemonOf(argv: string[], cluster: string): boolean {
  return argv[2] === "daemon" && argv[3] === `${stateDir(cluster)}/start.json`;
}

/** Whether pid is (still) the control plane of this cluster: guards against a recorded PID reused by another process. */
export function pidIsDaemonOf(pid: number, cluster: string): boolean {
  const argv = readArgv(pid);
  return argv !== undefined && isDaemonOf(argv, cluster) && !isZombie(pid);
}

export function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * The kernel's start time of a process (field 22 of /proc/PID/stat, in clock
 * ticks since boot), or undefined when it is gone or a zombie. Together with
 * the PID it names one process: a recycled PID has another start time.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: fields start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Signals pid only while it is still the process that started at startTime (not a reuse of its PID). */
export function signalIfSame(pid: number, startTime: number, signal: NodeJS.Signals): void {
  if (processStartTime(pid) !== startTime) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* gone meanwhile */
  }
}
