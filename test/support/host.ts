// Helpers shared by the root-only tests: unique cluster names, the root
// namespace's state for before/after comparison, and the leftover scan.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

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

export function uniqueClusterName(prefix = "t"): string {
  return `${prefix}${randomBytes(4).toString("hex")}`;
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
  links: string[];
  processes: string[];
}

/** Everything named kemu-<cluster>- (or every kemu artefact) still on the host. */
export function leftovers(cluster?: string): Leftovers {
  const prefix = cluster ? `kemu-${cluster}-` : "kemu-";
  const netns = sh("ip", ["netns", "list"]).split("\n").map((l) => l.split(" ")[0]!).filter((n) => n.startsWith(prefix));
  const etcNetns = existsSync("/etc/netns") ? readdirSync("/etc/netns").filter((n) => n.startsWith(prefix)) : [];
  const links = sh("ip", ["-o", "link", "show"]).split("\n").filter((l) => / kemu|: uplink-|: veth[0-9a-f]{8}[@:]/.test(l));
  const processes: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue;
    }
    const ours = /build\/native\/(kemu-sandbox|agnhost)|dist\/cli\/main\.js (daemon|agent) /.test(cmd);
    const inCluster = !cluster || cmd.includes(`/run/kemu/${cluster}/`) || cmd.includes(`kemu-${cluster}-`);
    if (ours && inCluster) processes.push(`${pid}: ${cmd.trim()}`);
  }
  return { netns, etcNetns, links, processes };
}

export const NONE: Leftovers = { netns: [], etcNetns: [], links: [], processes: [] };
