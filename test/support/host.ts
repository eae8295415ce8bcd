// Helpers shared by the root-only tests: unique cluster names (recorded for
// the final leftover check), the root namespace's state for before/after
// comparison, and the leftover scan of one cluster.
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { clusterOfNetns } from "../../src/linux/names.js";

export const isRoot = process.getuid?.() === 0;
let warned = false;

/** Call at the top of a root-only test file: explains the skip once. */
export function rootOnly(): boolean {
  if (!isRoot && !warned) {
    warned = true;
    console.warn("kemu integration tests need root (they create network namespaces): skipped. Run them as root, e.g. sudo npm test.");
  }
  return isRoot;
}

/** Where a test run records its cluster names (set by scripts/run-tests.mjs or test/support/run-dir.ts). */
export const RUN_DIR_ENV = "KEMU_TEST_RUN_DIR";

export function uniqueClusterName(prefix = "t"): string {
  return recordClusterName(`${prefix}${randomBytes(4).toString("hex")}`);
}

/** Records a cluster name this run uses (uniqueClusterName does; call it for names made otherwise). */
export function recordClusterName(name: string): string {
  const dir = process.env[RUN_DIR_ENV];
  // One short O_APPEND write per name: safe from parallel test processes.
  if (dir) appendFileSync(join(dir, "clusters"), `${name}\n`);
  return name;
}

/** The cluster names this test run has used so far (undefined when no run directory is set). */
export function recordedClusterNames(): string[] | undefined {
  const dir = process.env[RUN_DIR_ENV];
  if (!dir) return undefined;
  try {
    return [...new Set(readFileSync(join(dir, "clusters"), "utf8").split("\n").filter(Boolean))].sort();
  } catch {
    return [];
  }
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return "";
  }
}

/** What must not change in the root namespace: addresses, routes and firewall rules. */
export function rootNamespaceState(): string {
  const iptables = existsSync("/usr/sbin/iptables-save") ? sh("iptables-save", []).replace(/^#.*$/gm, "").replace(/\[\d+:\d+\]/g, "") : "";
  const addrs = sh("ip", ["-o", "addr", "show"]).replace(/valid_lft \S+ preferred_lft \S+/g, "");
  return [addrs, sh("ip", ["route", "show", "table", "all"]), iptables].join("\n---\n");
}

export interface Leftovers {
  netns: string[];
  etcNetns: string[];
  processes: string[];
  stateDir: string[];
}

/**
 * A name kemu-<cluster>-… that is this cluster's: any such name except those
 * that are, by their exact shape, another cluster's (kemu-c-b-node-1 is c-b's,
 * not c's). Names of no known shape count, so a new kind of artefact is not missed.
 */
function mine(name: string, cluster: string): boolean {
  if (!name.startsWith(`kemu-${cluster}-`)) return false;
  const owner = clusterOfNetns(name);
  return owner === undefined || owner === cluster;
}

/** What of one cluster is still on the host: namespaces, /etc/netns entries, kemu processes, its state directory. */
export function leftovers(cluster: string): Leftovers {
  const netns = sh("ip", ["netns", "list"]).split("\n").map((l) => l.split(" ")[0]!).filter((n) => mine(n, cluster));
  const etcNetns = existsSync("/etc/netns") ? readdirSync("/etc/netns").filter((n) => mine(n, cluster)) : [];
  const processes: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue;
    }
    const ours = /build\/native\/(kemu-sandbox|agnhost|kemu-probe)|dist\/cli\/main\.js (daemon|agent|dns|test-dns)( |$)/.test(cmd);
    const inCluster = cmd.includes(`/run/kemu/${cluster}/`) || cmd.split(" ").some((arg) => /\/run\/netns\/(kemu-[^ /]+)$/.test(arg) && mine(arg.slice(arg.lastIndexOf("/") + 1), cluster));
    if (ours && inCluster) processes.push(`${pid}: ${cmd.trim()}`);
  }
  const stateDir = existsSync(`/run/kemu/${cluster}`) ? [`/run/kemu/${cluster}`] : [];
  return { netns, etcNetns, processes, stateDir };
}

export const NONE: Leftovers = { netns: [], etcNetns: [], processes: [], stateDir: [] };
