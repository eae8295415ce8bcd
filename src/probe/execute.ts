// The executor under the probe: one kemu-probe per source pod inside that
// pod's network namespace (all sources at once, all targets at once inside
// each), and a listener on the outside host while it is a target.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { Pod } from "../api/types.js";
import { DEFAULTS } from "../daemon/config.js";
import { outsideAddress } from "../linux/addressing.js";
import { netnsNames, netnsPath } from "../linux/names.js";
import { builtinPath } from "../paths.js";
import { ProbeError } from "./errors.js";
import { reachableOf, type MatrixEnd, type PortProtocol, type ProbeCell, type ProbeJob } from "./model.js";
import { parseProberOutput, proberArgv, serverArgv } from "./prober.js";
import type { ApiClient } from "../api/client.js";

/** What the probe needs of a cluster (a Cluster has it). */
export interface ProbeHost {
  readonly name: string;
  readonly api: ApiClient;
  readonly paths: { readonly config: string };
}

/** A source: where its probes run. */
export interface Source extends MatrixEnd {
  netns: string;
}

/** kemu-probe processes at once: enough for every source of a lab, bounded for big clusters. */
const PARALLEL = 64;

/** Runs the jobs, grouped by source, one kemu-probe per source, at most PARALLEL at once. */
export async function probeJobs(sources: Source[], jobs: ProbeJob[], timeoutMs: number): Promise<ProbeCell[]> {
  const binary = builtinPath("kemu-probe");
  if (!existsSync(binary)) throw new ProbeError(`kemu's prober is not built (${binary} is missing): run npm run build (it needs a C compiler)`);
  const bySource = new Map<string, ProbeJob[]>();
  for (const j of jobs) bySource.set(j.from, [...(bySource.get(j.from) ?? []), j]);
  const netns = new Map(sources.map((s) => [s.key, s.netns]));
  const queue = [...bySource.entries()];
  const cells: ProbeCell[] = [];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [from, list] = next;
      const stdout = await run(proberArgv(binary, netns.get(from)!, timeoutMs, list), from);
      let details;
      try {
        details = parseProberOutput(stdout, list);
      } catch (err) {
        throw new ProbeError(`probing from ${from}: ${(err as Error).message}`);
      }
      list.forEach((j, i) => cells.push({ ...j, reachable: reachableOf(details[i]!), detail: details[i]! }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
  return cells;
}

function run(argv: string[], from: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (e) => reject(new ProbeError(`probing from ${from}: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else reject(new ProbeError(`probing from ${from} failed: ${Buffer.concat(err).toString("utf8").trim().split("\n")[0] || `kemu-probe exited with ${code}`}`));
    });
  });
}

/**
 * Where a pod's processes live: the namespace its kubelet made, else (a
 * hostNetwork pod run in its node) the node's, else its first container's.
 */
export function netnsOfPod(cluster: string, pod: Pod): string | undefined {
  const own = netnsPath(netnsNames.pod(cluster, pod.metadata.uid ?? ""));
  if (existsSync(own)) return own;
  if (pod.spec.hostNetwork && pod.spec.nodeName) {
    const node = netnsPath(netnsNames.node(cluster, pod.spec.nodeName));
    if (existsSync(node)) return node;
  }
  const pid = (pod.status?.containerStatuses ?? []).map((s) => /^kemu:\/\/(\d+)$/.exec(s.containerID ?? "")?.[1]).find((p) => p !== undefined);
  return pid && existsSync(`/proc/${pid}/ns/net`) ? `/proc/${pid}/ns/net` : undefined;
}

/** The outside host's address, from the cluster's recorded settings. */
export function outsideIP(host: ProbeHost): string {
  let underlay = DEFAULTS.underlayCidr;
  try {
    underlay = (JSON.parse(readFileSync(host.paths.config, "utf8")) as { underlayCidr?: string }).underlayCidr ?? underlay;
  } catch {
    /* the defaults */
  }
  return outsideAddress(underlay);
}

/** A listener on the outside host for the probe's duration (it ends when its stdin closes). */
export async function startOutsideListener(host: ProbeHost, listeners: PortProtocol[]): Promise<{ stop: () => Promise<void>; notes: string[] }> {
  const ns = netnsPath(netnsNames.outside(host.name));
  if (!existsSync(ns)) throw new ProbeError(`--to-outside: cluster ${host.name} has no outside host (${ns} is missing)`);
  const argv = serverArgv(builtinPath("kemu-probe"), ns, listeners);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  const notes: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let text = "";
    let errText = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new ProbeError("--to-outside: the listener on the outside host did not start within 5 s"));
    }, 5_000);
    child.stderr.on("data", (c: Buffer) => (errText += c.toString()));
    child.stdout.on("data", (c: Buffer) => {
      text += c.toString();
      if (/^ready$/m.test(text)) {
        clearTimeout(timer);
        for (const m of text.matchAll(/^unavailable (\w+) (\d+) (.*)$/gm)) notes.push(`outside: no probe listener on ${m[2]}/${m[1]!.toUpperCase()} (${m[3]}): what answers there, if anything, is the outside host's own`);
        resolve();
      }
    });
    child.on("error", (e) => reject(new ProbeError(`--to-outside: ${e.message}`)));
    child.on("close", (code) => {
      clearTimeout(timer);
      reject(new ProbeError(`--to-outside: the listener on the outside host exited (${code}): ${errText.trim()}`));
    });
  });
  // Closing its stdin ends it; wait for that, so nothing of the probe outlives it.
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill("SIGKILL"), 2_000);
      child.once("close", () => {
        clearTimeout(kill);
        resolve();
      });
      child.stdin.end();
    });
  return { stop, notes };
}
