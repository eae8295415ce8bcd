// The shell around the flow parsers: in each node's namespace, `conntrack -E`
// (new, updated, destroyed connections) and kemu-nflog (the packets the
// policy table logged before dropping them); their lines go through the
// tracker, get names from the address book, pass the filter and reach the
// caller. listFlows() reads `conntrack -L` once instead.
import { spawn, type ChildProcess } from "node:child_process";
import { randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DROP_LOG_GROUP } from "../../agent/policy/render.js";
import { DEFAULTS } from "../../daemon/config.js";
import { runCaptured } from "../../linux/exec.js";
import { netnsNames, netnsPath } from "../../linux/names.js";
import { parseCIDR, type CIDR } from "../../net/cidr.js";
import { parseIP } from "../../net/ip.js";
import { PACKAGE_ROOT } from "../../paths.js";
import { readSnapshot, type ClusterSnapshot, type ObservedCluster } from "../snapshot.js";
import { isConntrackLossLine, parseConntrackLine } from "./conntrack.js";
import type { Flow, FlowFilter, FlowNotice } from "./model.js";
import { hasUnknownClusterAddress, matchesFilter, nameFlow } from "./name.js";
import { parseNflogLine } from "./nflog.js";
import { FlowTracker, type TrackerOptions } from "./tracker.js";

/** What the flows need of a cluster (a Cluster has it). */
export interface FlowsCluster extends ObservedCluster {
  hostArgv(host: string, argv: string[]): string[];
}

export interface WatchOptions extends TrackerOptions {
  onNotice?: (n: FlowNotice) => void;
  /** the kernel socket buffer for conntrack's events, bytes (default 32 MiB: at 8 MiB, 1,000 connections/s (~6,000 events/s) from one pod overflowed it now and then on 2 cores) */
  bufferBytes?: number;
  /** turn on conntrack byte accounting in the node namespaces (only there) so closed flows carry bytes (default true) */
  accounting?: boolean;
}

/** the native drop reader, built by scripts/build-native.mjs */
export const NFLOG_BINARY = join(PACKAGE_ROOT, "build", "native", "kemu-nflog");

/** Re-read the objects at most this often when a flow names an address the book does not know. */
const REFRESH_MIN_MS = 2_000;
const FLUSH_EVERY_MS = 50;

class Namer {
  private snapshot: ClusterSnapshot;
  private ranges: CIDR[];
  private lastRead = Date.now();
  private reading: Promise<void> | undefined;

  constructor(
    private readonly cluster: ObservedCluster,
    first: ClusterSnapshot,
  ) {
    this.snapshot = first;
    this.ranges = rangesOf(first);
  }

  get nodes(): string[] {
    return this.snapshot.nodes.map((n) => n.metadata?.name ?? "").filter((n) => n !== "");
  }

  /** Names the flow; when it has a pod or Service address the book lacks, re-reads the objects first (at most every 2 s). */
  async name(f: Flow): Promise<Flow> {
    const isCluster = (ip: string) => {
      const parsed = parseIP(ip);
      return parsed !== undefined && this.ranges.some((r) => r.contains(parsed));
    };
    if (hasUnknownClusterAddress(f, this.snapshot.book, isCluster) && Date.now() - this.lastRead >= REFRESH_MIN_MS) await this.refresh();
    return nameFlow(f, this.snapshot.book);
  }

  private refresh(): Promise<void> {
    this.reading ??= readSnapshot(this.cluster)
      .then((s) => {
        this.snapshot = s;
        this.ranges = rangesOf(s);
      })
      .catch(() => undefined)
      .finally(() => {
        this.lastRead = Date.now();
        this.reading = undefined;
      });
    return this.reading;
  }
}

function rangesOf(s: ClusterSnapshot): CIDR[] {
  const texts = [DEFAULTS.serviceCidr, ...s.nodes.map((n) => n.spec?.podCIDR).filter((c): c is string => c !== undefined)];
  return texts.map((t) => parseCIDR(t)).filter((c): c is CIDR => c !== undefined);
}

function nowIso(): string {
  return new Date().toISOString();
}

/** Lines of a child's stream, one callback each. */
function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", onLine);
}

/**
 * Streams the cluster's flows until stop(): every node's conntrack events and
 * logged drops, named, filtered, in the order they become due.
 */
export async function watchFlows(cluster: FlowsCluster, filter: FlowFilter, onFlow: (f: Flow) => void, options: WatchOptions = {}): Promise<{ stop(): Promise<void> }> {
  const namer = new Namer(cluster, await readSnapshot(cluster));
  const tracker = new FlowTracker(options);
  const children: ChildProcess[] = [];
  let stopping = false;
  const notice = (n: Omit<FlowNotice, "time">) => options.onNotice?.({ time: nowIso(), ...n });
  if (!existsSync(NFLOG_BINARY)) notice({ node: "-", kind: "source-ended", source: "nflog", message: `${NFLOG_BINARY} is not built (npm run build): drops will not show` });

  const start = (node: string, source: FlowNotice["source"], argv: string[], onLine: (line: string) => void, onErrLine: (line: string) => void) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    eachLine(child.stdout!, onLine);
    eachLine(child.stderr!, onErrLine);
    child.on("error", (err) => notice({ node, kind: "source-ended", source, message: err.message }));
    child.on("exit", (code, signal) => {
      if (!stopping) notice({ node, kind: "source-ended", source, message: `${argv.join(" ")} exited (${signal ?? code})` });
    });
  };

  const ready: Promise<unknown>[] = [];
  // A reader subscribes some time after it starts (long, on a loaded machine): each is ready once it
  // reports a sentinel entry this watch inserts in its node (loopback addresses no packet uses).
  const sentinelPort = 1024 + randomInt(64_000);
  const sentinel = ["-p", "udp", "-s", SENTINEL_SRC, "-d", SENTINEL_DST, "--sport", String(sentinelPort), "--dport", String(sentinelPort)];
  const sentinelSeen = new Map<string, () => void>();
  const subscribed: Promise<void>[] = [];
  for (const node of namer.nodes) {
    if (options.accounting ?? true) {
      // Per namespace: this turns counting on in the node only, never in the root namespace.
      ready.push(runQuiet(cluster.hostArgv(node, ["sysctl", "-q", "-w", "net.netfilter.nf_conntrack_acct=1"])));
    }
    const bufferBytes = options.bufferBytes ?? 32 * 1024 * 1024;
    start(
      node,
      "conntrack",
      cluster.hostArgv(node, ["conntrack", "-E", "-o", "timestamp,id", "--buffer-size", String(bufferBytes)]),
      (line) => {
        if (line.includes(`src=${SENTINEL_SRC} dst=${SENTINEL_DST} `)) {
          if (line.includes(`sport=${sentinelPort} `)) sentinelSeen.get(node)?.();
          return;
        }
        const e = parseConntrackLine(line);
        if (e) tracker.conntrack(node, e, Date.now());
      },
      (line) => {
        if (isConntrackLossLine(line)) notice({ node, kind: "lost", source: "conntrack", message: "the kernel's event buffer overflowed (ENOBUFS); raise bufferBytes" });
      },
    );
    subscribed.push(waitForSentinel(cluster, node, sentinel, (resolve) => sentinelSeen.set(node, resolve)));
    if (existsSync(NFLOG_BINARY)) {
      let bound: () => void = () => undefined;
      // the reader prints `ready group=N` once the group is bound; a reader that fails says why on stderr
      ready.push(Promise.race([new Promise<void>((r) => (bound = r)), new Promise((r) => setTimeout(r, 3_000))]));
      start(
        node,
        "nflog",
        [NFLOG_BINARY, "--netns", netnsPath(netnsNames.node(cluster.name, node)), "--group", String(DROP_LOG_GROUP)],
        (line) => {
          if (line.startsWith("ready ")) bound();
          const parsed = parseNflogLine(line);
          if (parsed?.kind === "packet") tracker.drop(node, parsed.packet, Date.now());
          else if (parsed?.kind === "lost") notice({ node, kind: "lost", source: "nflog", ...(parsed.count !== undefined ? { count: parsed.count } : {}), message: parsed.reason ?? "the kernel dropped log messages before they were read" });
        },
        (line) => {
          if (line.trim() === "") return;
          bound();
          notice({ node, kind: "source-ended", source: "nflog", message: line.trim() });
        },
      );
    }
  }
  await Promise.all(ready);
  const late = (await Promise.all(subscribed.map((p, i) => p.then(() => undefined, () => namer.nodes[i]!)))).filter((n) => n !== undefined);
  for (const node of late) notice({ node, kind: "lost", source: "conntrack", message: "the event reader did not report its first event within 5 s: connections made until it does are not shown" });

  // Emit in order: naming may wait for a re-read, so each batch follows the last.
  let chain = Promise.resolve();
  const emit = (flows: Flow[]) => {
    if (flows.length === 0) return;
    chain = chain.then(async () => {
      for (const f of flows) {
        const named = await namer.name(f);
        if (matchesFilter(named, filter)) onFlow(named);
      }
    });
  };
  const timer = setInterval(() => emit(tracker.flush(Date.now())), FLUSH_EVERY_MS);

  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
      await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once("exit", r)))));
      emit(tracker.flush(Date.now(), true));
      await chain;
    },
  };
}

/** The connections each node's conntrack table holds now, named and filtered. */
export async function listFlows(cluster: FlowsCluster, filter: FlowFilter): Promise<Flow[]> {
  const namer = new Namer(cluster, await readSnapshot(cluster));
  const tracker = new FlowTracker();
  const now = Date.now();
  const tables = await Promise.all(namer.nodes.map(async (node) => ({ node, text: await runOut(cluster.hostArgv(node, ["conntrack", "-L", "-o", "id"])) })));
  for (const { node, text } of tables) {
    for (const line of text.split("\n")) {
      const e = parseConntrackLine(line);
      if (e) tracker.conntrack(node, e, now);
    }
  }
  const flows: Flow[] = [];
  for (const f of tracker.flush(now, true)) {
    const named = await namer.name(f);
    if (matchesFilter(named, filter)) flows.push(named);
  }
  return flows;
}

const SENTINEL_SRC = "127.255.255.1";
const SENTINEL_DST = "127.255.255.2";

/** Inserts the sentinel entry until the node's reader reports it (at most 5 s), then removes it. */
async function waitForSentinel(cluster: FlowsCluster, node: string, sentinel: string[], onSeen: (resolve: () => void) => void): Promise<void> {
  let seen = false;
  const reported = new Promise<void>((resolve) => onSeen(() => ((seen = true), resolve())));
  const deadline = Date.now() + 5_000;
  try {
    while (!seen && Date.now() < deadline) {
      await runQuiet(cluster.hostArgv(node, ["conntrack", "-D", ...sentinel]));
      await runQuiet(cluster.hostArgv(node, ["conntrack", "-I", ...sentinel, "--timeout", "10"]));
      await Promise.race([reported, new Promise((r) => setTimeout(r, 250))]);
    }
  } finally {
    await runQuiet(cluster.hostArgv(node, ["conntrack", "-D", ...sentinel]));
  }
  if (!seen) throw new Error(`conntrack reader on ${node} not subscribed`);
}

async function runOut(argv: string[]): Promise<string> {
  const r = await runCaptured(argv);
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return r.stdout;
}

async function runQuiet(argv: string[]): Promise<void> {
  await runOut(argv).catch(() => undefined);
}
