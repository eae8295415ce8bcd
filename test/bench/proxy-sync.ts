// Benchmark: how fast kube-proxy's iptables mode programs rules — the
// IptablesSyncer that the node agent drives — on upstream's synthetic
// services (makeSyntheticInput, 10 endpoints each): the first full sync of
// 1,000 services, and a partial sync after one endpoint of one service
// changed with 1,000 and with 10,000 services present. References measured
// in the same run: the very same restore texts loaded with a bare
// `iptables-restore --noflush` (the kernel/iptables floor), and how long
// `iptables-save` takes at that size.
//
// Two backends: the host's `iptables` (Debian 12: 1.8.9, nf_tables), which
// is what kemu's node agents run, and — same kemu code, `iptables*` resolved
// to the iptables-legacy* tools through PATH — the legacy (x_tables) one,
// to tell iptables-nft's own cost apart from kemu's.
//
// iptables-nft 1.8.9 restores with --noflush in time quadratic in the
// number of chains named (each command's chain and jump target goes through
// a sorted linked list, cache_chain_list_insert): 6 s for the 1,000-service
// text, and a 10,000-service full sync did not finish in 10 minutes. So with
// nf_tables the 10,000-service state is loaded with a bare restore in flush
// mode (same rules, linear), and the syncer — whose first sync is always a
// full one — starts from an empty full sync and is handed the 10,000
// services as a partial one before the measured partial syncs. (This is
// decided by the measured 1,000-service reference, not by version.)
//
// Everything that touches iptables runs in scratch namespaces
// (kemu-bench-sync-…): this file re-executes itself inside them with
// `nsenter --net=… node --import tsx proxy-sync.ts --inner '<json>'`, and the
// outer half deletes them afterwards, also on error. Partial syncs'
// references are taken in the same namespace, between kemu's syncs: the
// bare restore moves the same service's endpoint elsewhere and back.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../src/linux/exec.js";
import { IptablesSyncer, ensureJumpRules } from "../../src/agent/proxy/iptables-proxier.js";
import { renderRestoreInput, renderRules } from "../../src/agent/proxy/iptables/render.js";
import { makeSyntheticInput } from "../../src/agent/proxy/iptables/synthetic.js";
import { servicePortKey } from "../../src/agent/proxy/model.js";
import type { ProxyState } from "../../src/agent/proxy/changes.js";

const ENDPOINTS = 10;
const PARTIAL_REPS = 5;
const CONFIG = { nodeName: "node-1", nodeIPs: ["172.18.0.2"], clusterCIDR: "10.244.0.0/16", masqueradeAll: false };
const SELF = fileURLToPath(import.meta.url);

type Services = ProxyState["services"];
type Backend = "nft" | "legacy";

// ---------------------------------------------------------------- inner half

/** `services` with the first endpoint of the middle service moved to `ip`; changed = that service. */
function moveEndpoint(services: Services, ip: string): ProxyState {
  const i = services.length >> 1;
  const old = services[i]!;
  const next = services.slice();
  next[i] = { port: old.port, endpoints: old.endpoints.map((e, j) => (j === 0 ? { ...e, ip } : e)) };
  return { services: next, changed: new Set([servicePortKey(old.port)]) };
}

/** What IptablesSyncer.sync renders: the rules, the stale chains (existing minus wanted), the one restore text. */
function render(services: Services, prevNatChains: string[], changed?: Set<string>): { text: string; natChains: string[] } {
  const rules = renderRules({ ...CONFIG, masqueradeBit: 14, services });
  const text = renderRestoreInput(rules, { changedServices: changed, staleNatChains: prevNatChains });
  return { text, natChains: rules.natChains };
}

const restore = (text: string, flags: string[]) => run("iptables-restore", flags, { input: text, timeoutMs: 900_000 });

async function timed<T>(f: () => Promise<T> | T): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await f();
  return [performance.now() - t0, v];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface SyncResult {
  /** kemu's first full sync (undefined when the state was primed instead) */
  fullMs?: number;
  /** the bare flush-mode restore that loaded the state instead of a full sync */
  primeMs?: number;
  fullBytes: number;
  fullLines: number;
  renderFullMs: number;
  jumpsSteadyMs: number;
  saveMs: number;
  saveLines: number;
  partialMs: number[];
  partialBytes: number;
  renderPartialMs: number;
  floorPartialMs: number[];
}

type InnerArgs = { mode: "restore"; n: number; flags: string[]; jumps: boolean } | { mode: "sync"; n: number; prime: boolean };

/** A fresh namespace, the full restore text loaded by a bare iptables-restore with `flags`; then, optionally, kemu's jump rules for the first time. */
async function innerRestore(n: number, flags: string[], jumps: boolean): Promise<{ ms: number; jumpsFirstMs?: number }> {
  const { text } = render(makeSyntheticInput(n, ENDPOINTS).services, []);
  const [ms] = await timed(() => restore(text, flags));
  const jumpsFirstMs = jumps ? (await timed(() => ensureJumpRules()))[0] : undefined;
  return { ms, jumpsFirstMs };
}

/** kemu's IptablesSyncer in the current (scratch) namespace: a full sync (or a primed state), then one-endpoint partial syncs. */
async function innerSync(n: number, prime: boolean): Promise<SyncResult> {
  const services = makeSyntheticInput(n, ENDPOINTS).services;
  const syncer = new IptablesSyncer(CONFIG);
  const key = servicePortKey(services[n >> 1]!.port);
  let fullMs: number | undefined;
  let primeMs: number | undefined;
  if (!prime) {
    // The first full sync, cold, as the agent does it when it starts.
    const stats = await syncer.sync({ services, changed: new Set() });
    if (!stats.full) throw new Error("the first sync was not a full one");
    fullMs = stats.durationMs;
  } else {
    [primeMs] = await timed(() => restore(render(services, []).text, []));
    await syncer.sync({ services: [], changed: new Set() });
    await syncer.sync({ services, changed: new Set([key]) });
  }
  // The render part alone (warm).
  const renders: number[] = [];
  let full = { text: "", natChains: [] as string[] };
  for (let r = 0; r < 3; r++) {
    const [ms, out] = await timed(() => render(services, []));
    renders.push(ms);
    full = out;
  }
  // The jump rules a full sync ensures, once they are there (-N fails, -C succeeds).
  const [jumpsSteadyMs] = await timed(() => ensureJumpRules());
  const [saveMs, saved] = await timed(() => run("iptables-save", [], { timeoutMs: 300_000 }));

  const partialMs: number[] = [];
  const renderPartial: number[] = [];
  const floorPartialMs: number[] = [];
  let partialBytes = 0;
  let current = services;
  let currentNat = full.natChains;
  for (let k = 0; k < PARTIAL_REPS; k++) {
    // kemu: the middle service's first endpoint moves to a new IP.
    const state = moveEndpoint(current, `172.17.${k}.1`);
    const [rms, out] = await timed(() => render(state.services, currentNat, state.changed));
    renderPartial.push(rms);
    const stats = await syncer.sync(state);
    if (stats.full) throw new Error("a partial sync turned into a full one");
    partialMs.push(stats.durationMs);
    partialBytes = stats.restoreBytes;
    current = state.services;
    currentNat = out.natChains;
    // The reference: the same change, by a bare iptables-restore, there and back
    // (so the kernel is again in the state the syncer knows).
    const away = moveEndpoint(current, `172.19.${k}.1`);
    const there = render(away.services, currentNat, away.changed);
    const back = render(current, there.natChains, away.changed);
    for (const text of [there.text, back.text]) floorPartialMs.push((await timed(() => restore(text, ["--noflush"])))[0]);
  }
  return {
    fullMs,
    primeMs,
    fullBytes: full.text.length,
    fullLines: full.text.split("\n").length,
    renderFullMs: median(renders),
    jumpsSteadyMs,
    saveMs,
    saveLines: saved.split("\n").length,
    partialMs,
    partialBytes,
    renderPartialMs: median(renderPartial),
    floorPartialMs,
  };
}

// ---------------------------------------------------------------- outer half

class Scratch {
  private readonly tag = randomBytes(2).toString("hex");
  private seq = 0;
  private legacyBin?: string;

  /** A directory whose iptables, iptables-restore and iptables-save are the legacy tools (they dispatch on argv[0]). */
  private legacyPath(): string {
    if (!this.legacyBin) {
      this.legacyBin = mkdtempSync(join(tmpdir(), "kemu-bench-legacy-"));
      for (const tool of ["iptables", "iptables-restore", "iptables-save"]) symlinkSync(`/usr/sbin/${tool.replace("iptables", "iptables-legacy")}`, join(this.legacyBin, tool));
    }
    return this.legacyBin;
  }

  /** Runs the inner half in a namespace of its own, which is deleted afterwards. */
  async inner<T>(backend: Backend, args: InnerArgs): Promise<T> {
    const ns = `kemu-bench-sync-${this.tag}-${this.seq++}`;
    await run("ip", ["netns", "add", ns]);
    try {
      const env = backend === "legacy" ? `PATH=${this.legacyPath()}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}` : `PATH=${process.env.PATH ?? ""}`;
      const out = await run("nsenter", [`--net=/run/netns/${ns}`, "env", env, process.execPath, "--import", "tsx", SELF, "--inner", JSON.stringify(args)], { timeoutMs: 1_800_000 });
      return JSON.parse(out.trim().split("\n").pop()!) as T;
    } finally {
      await run("ip", ["netns", "del", ns]).catch((err: Error) => console.error(`could not delete ${ns}: ${err.message}`));
    }
  }

  cleanup(): void {
    if (this.legacyBin) rmSync(this.legacyBin, { recursive: true, force: true });
  }
}

const fmt = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 10 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const num = (x: number) => x.toLocaleString("en-US");

export async function benchProxySync(): Promise<void> {
  console.log(`\n## kube-proxy iptables sync: synthetic services × ${ENDPOINTS} endpoints (IptablesSyncer, in scratch namespaces)`);
  const step = (what: string) => console.error(`… ${what}`);
  const scratch = new Scratch();
  const rows: [string, string, string][] = [];
  const heading = (text: string) => rows.push([text, "", ""]);
  const target = (x: number, limit: number) => (x <= limit ? "meets target" : "MISSES target");
  const vsFloor = (x: number, floor: number, what = "bare iptables-restore --noflush") => `${(x / floor).toFixed(2)}× the ${what} (${fmt(floor)})`;
  try {
    const version = (await run("iptables", ["--version"])).trim();
    for (const backend of ["nft", "legacy"] as const) {
      heading(backend === "nft" ? `${version}: what kemu's node agents run` : `iptables-legacy (x_tables), same kemu code — for comparison`);
      let floor1k = 0;
      for (const n of [1_000, 10_000]) {
        const N = num(n);
        // Where the bare --noflush restore of 1,000 services is already slow
        // (quadratic in chains: iptables-nft 1.8.9), 10 times as many would take hours.
        const prime = n === 10_000 && floor1k > 2000;
        let floorFull: { ms: number; jumpsFirstMs?: number } | undefined;
        let flushMode: { ms: number } | undefined;
        if (!prime) {
          step(`${backend}, ${N} services: bare full restore (reference)`);
          floorFull = await scratch.inner<{ ms: number; jumpsFirstMs?: number }>(backend, { mode: "restore", n, flags: ["--noflush"], jumps: true });
          if (n === 1_000) floor1k = floorFull.ms;
          if (backend === "nft") flushMode = await scratch.inner<{ ms: number }>(backend, { mode: "restore", n, flags: [], jumps: false });
        }
        step(`${backend}, ${N} services: kemu's IptablesSyncer`);
        const r = await scratch.inner<SyncResult>(backend, { mode: "sync", n, prime });
        const firstTarget = n === 1_000 ? " (target ≤ 1 s)" : "";
        if (r.fullMs !== undefined && floorFull) {
          rows.push(
            [`full sync, ${N} services${firstTarget}`, fmt(r.fullMs), `${vsFloor(r.fullMs, floorFull.ms)}${firstTarget ? `; ${target(r.fullMs, 1000)}` : ""}`],
            [`  render (renderRules + restore text, warm)`, fmt(r.renderFullMs), `${(r.fullBytes / 2 ** 20).toFixed(1)} MiB, ${num(r.fullLines)} lines`],
            [`  jump rules (iptables -N/-C/-I, first time)`, fmt(floorFull.jumpsFirstMs ?? 0), `later full syncs: ${fmt(r.jumpsSteadyMs)} (-N/-C only)`],
          );
        } else {
          rows.push([`full sync, ${N} services`, "not run", `the bare --noflush restore took ${fmt(floor1k)} at 1,000 services and grows quadratically (tried once: 10,000 did not finish in 10 min)`]);
        }
        if (flushMode) rows.push([`  same text, bare iptables-restore in flush mode`, fmt(flushMode.ms), `(no --noflush: the table is flushed, no per-chain cache requests; not usable by kube-proxy)`]);
        if (r.primeMs !== undefined) {
          rows.push(
            [`  state loaded instead by a bare restore in flush mode`, fmt(r.primeMs), `${(r.fullBytes / 2 ** 20).toFixed(0)} MiB, ${num(r.fullLines)} lines`],
            [`  render (renderRules + restore text, warm)`, fmt(r.renderFullMs), ""],
            [`  jump rules (iptables -N/-C, as every full sync)`, fmt(r.jumpsSteadyMs), ""],
          );
        }
        const partial = median(r.partialMs);
        rows.push(
          [`partial sync, 1 endpoint changed, ${N} services (target ≤ 100 ms)`, fmt(partial), `${vsFloor(partial, median(r.floorPartialMs))}; ${target(partial, 100)}`],
          [`  each of the ${PARTIAL_REPS} (median above)`, "", `${r.partialMs.map((x) => x.toFixed(0)).join(", ")} ms; bare: ${r.floorPartialMs.map((x) => x.toFixed(0)).join(", ")} ms`],
          [`  render (warm)`, fmt(r.renderPartialMs), `${(r.partialBytes / 1024).toFixed(0)} KiB restore text`],
          [`iptables-save, ${N} services (context)`, fmt(r.saveMs), `${num(r.saveLines)} lines`],
        );
      }
    }
  } finally {
    scratch.cleanup();
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) console.log(v || note ? `${k.padEnd(w)}  ${v.padStart(9)}  ${note}` : `${k}:`);
}

if (process.argv[1] === SELF && process.argv[2] === "--inner") {
  const args = JSON.parse(process.argv[3]!) as InnerArgs;
  const result = args.mode === "restore" ? await innerRestore(args.n, args.flags, args.jumps) : await innerSync(args.n, args.prime);
  console.log(JSON.stringify(result));
}
