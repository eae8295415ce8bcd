// Benchmark: how fast kube-proxy's iptables mode programs rules (the
// IptablesSyncer that the node agent drives), on upstream's synthetic
// services (makeSyntheticInput): a first full sync of 1,000 services × 10
// endpoints, and a partial sync after one endpoint changed with 1,000 and
// with 10,000 services present. Reference measured in the same run: loading
// the very same restore texts with a bare `iptables-restore --noflush` in a
// fresh namespace of its own (the kernel/iptables floor), and how long
// `iptables-save` takes at that size.
//
// Everything that touches iptables runs in scratch namespaces
// (kemu-bench-sync-…): this file re-executes itself inside them with
// `nsenter --net=… node --import tsx proxy-sync.ts --inner MODE N`, and the
// outer half deletes them afterwards, also on error.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { run } from "../../src/linux/exec.js";
import { IptablesSyncer, ensureJumpRules } from "../../src/agent/proxy/iptables-proxier.js";
import { renderRestoreInput, renderRules, staleChains } from "../../src/agent/proxy/iptables/render.js";
import { makeSyntheticInput } from "../../src/agent/proxy/iptables/synthetic.js";
import { servicePortKey } from "../../src/agent/proxy/model.js";
import type { ProxyState } from "../../src/agent/proxy/changes.js";

const ENDPOINTS = 10;
const PARTIAL_REPS = 5;
const CONFIG = { nodeName: "node-1", nodeIPs: ["172.18.0.2"], clusterCIDR: "10.244.0.0/16", masqueradeAll: false };
const SELF = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------- inner half

type Services = ProxyState["services"];

/** The state after partial step k: service N/2 has its first endpoint moved to another new IP each time. */
function partialStep(services: Services, k: number): ProxyState {
  const i = Math.floor(services.length / 2);
  const old = services[i]!;
  const endpoints = old.endpoints.map((e, j) => (j === 0 ? { ...e, ip: `172.17.${k}.1` } : e));
  const next = services.slice();
  next[i] = { port: old.port, endpoints };
  return { services: next, changed: new Set([servicePortKey(old.port)]) };
}

/** What IptablesSyncer.syncNow renders: the rules, the stale chains, the one restore text. */
function render(services: Services, prevNatChains: string[], changed?: Set<string>): { text: string; natChains: string[] } {
  const rules = renderRules({ ...CONFIG, masqueradeBit: 14, services });
  const stale = staleChains(prevNatChains, rules);
  const text = renderRestoreInput(rules, { changedServices: changed, staleNatChains: stale });
  return { text, natChains: rules.natChains };
}

async function timed<T>(f: () => Promise<T> | T): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await f();
  return [performance.now() - t0, v];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface KemuResult {
  fullMs: number;
  fullBytes: number;
  fullLines: number;
  renderFullMs: number;
  jumpsSteadyMs: number;
  partialMs: number[];
  partialBytes: number;
  renderPartialMs: number;
  saveMs: number;
  saveLines: number;
}

export interface FloorResult {
  fullMs: number;
  jumpsFirstMs: number;
  partialMs: number[];
}

/** kemu's IptablesSyncer, in the current (scratch) namespace. */
async function innerKemu(n: number): Promise<KemuResult> {
  const services = makeSyntheticInput(n, ENDPOINTS).services;
  const syncer = new IptablesSyncer(CONFIG);
  // (a) the first full sync, cold, as the agent does it when it starts.
  const full = await syncer.sync({ services, changed: new Set() });
  if (!full.full) throw new Error("the first sync was not a full one");
  // Its render part alone (warm; median of 3).
  const renders: number[] = [];
  let fullText = "";
  for (let r = 0; r < 3; r++) {
    const [ms, out] = await timed(() => render(services, []));
    renders.push(ms);
    fullText = out.text;
  }
  // The jump rules a full sync ensures, once they are there (-N fails, -C succeeds).
  const [jumpsSteadyMs] = await timed(() => ensureJumpRules());
  const [saveMs, saved] = await timed(() => run("iptables-save", [], { timeoutMs: 120_000 }));
  // (b)/(c) partial syncs, one endpoint of one service changed each time.
  const partialMs: number[] = [];
  const partialRender: number[] = [];
  let partialBytes = 0;
  let prevNat = render(services, []).natChains;
  let current = services;
  for (let k = 0; k < PARTIAL_REPS; k++) {
    const state = partialStep(current, k);
    current = state.services;
    const [rms, out] = await timed(() => render(state.services, prevNat, state.changed));
    partialRender.push(rms);
    prevNat = out.natChains;
    const stats = await syncer.sync(state);
    if (stats.full) throw new Error("a partial sync turned into a full one");
    partialMs.push(stats.durationMs);
    partialBytes = stats.restoreBytes;
  }
  return {
    fullMs: full.durationMs,
    fullBytes: full.restoreBytes,
    fullLines: fullText.split("\n").length,
    renderFullMs: median(renders),
    jumpsSteadyMs,
    partialMs,
    partialBytes,
    renderPartialMs: median(partialRender),
    saveMs,
    saveLines: saved.split("\n").length,
  };
}

/** The same restore texts, loaded with a bare iptables-restore --noflush in a namespace of its own. */
async function innerFloor(n: number): Promise<FloorResult> {
  const services = makeSyntheticInput(n, ENDPOINTS).services;
  const full = render(services, []);
  const restore = (text: string) => run("iptables-restore", ["--noflush"], { input: text, timeoutMs: 300_000 });
  const [fullMs] = await timed(() => restore(full.text));
  // The first call, which creates the canary chains and inserts the jumps (kemu's full sync pays this).
  const [jumpsFirstMs] = await timed(() => ensureJumpRules());
  const partialMs: number[] = [];
  let prevNat = full.natChains;
  let current = services;
  for (let k = 0; k < PARTIAL_REPS; k++) {
    const state = partialStep(current, k);
    current = state.services;
    const out = render(state.services, prevNat, state.changed);
    prevNat = out.natChains;
    const [ms] = await timed(() => restore(out.text));
    partialMs.push(ms);
  }
  return { fullMs, jumpsFirstMs, partialMs };
}

// ---------------------------------------------------------------- outer half

async function inScratchNetns<T>(ns: string, mode: "kemu" | "floor", n: number): Promise<T> {
  const out = await run("nsenter", [`--net=/run/netns/${ns}`, process.execPath, "--import", "tsx", SELF, "--inner", mode, String(n)], { timeoutMs: 600_000 });
  return JSON.parse(out.trim().split("\n").pop()!) as T;
}

async function measure(tag: string, n: number): Promise<{ kemu: KemuResult; floor: FloorResult }> {
  const kemuNs = `kemu-bench-sync-${tag}-${n}`;
  const floorNs = `kemu-bench-sync-${tag}-${n}ref`;
  const created: string[] = [];
  try {
    for (const ns of [kemuNs, floorNs]) {
      await run("ip", ["netns", "add", ns]);
      created.push(ns);
    }
    console.error(`… ${n} services: bare iptables-restore (reference)`);
    const floor = await inScratchNetns<FloorResult>(floorNs, "floor", n);
    console.error(`… ${n} services: kemu's IptablesSyncer`);
    const kemu = await inScratchNetns<KemuResult>(kemuNs, "kemu", n);
    return { kemu, floor };
  } finally {
    for (const ns of created) await run("ip", ["netns", "del", ns]).catch((err: Error) => console.error(`could not delete ${ns}: ${err.message}`));
  }
}

export async function benchProxySync(): Promise<void> {
  console.log(`\n## kube-proxy iptables sync: synthetic services × ${ENDPOINTS} endpoints (IptablesSyncer, in a scratch namespace)`);
  const tag = randomBytes(2).toString("hex");
  const small = await measure(tag, 1_000);
  const large = await measure(tag, 10_000);

  const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}× the bare iptables-restore (${ms(b)})`;
  const target = (x: number, limit: number) => (x <= limit ? "meets target" : "MISSES target");
  const rows: [string, string, string][] = [];
  for (const [n, { kemu, floor }] of [[1_000, small], [10_000, large]] as const) {
    const N = n.toLocaleString("en-US");
    const partial = median(kemu.partialMs);
    const floorPartial = median(floor.partialMs);
    rows.push(
      [`full sync, ${N} services${n === 1_000 ? " (target ≤ 1 s)" : ""}`, ms(kemu.fullMs), `${ratio(kemu.fullMs, floor.fullMs)}${n === 1_000 ? `; ${target(kemu.fullMs, 1000)}` : ""}`],
      [`  render (renderRules + restore text, warm)`, ms(kemu.renderFullMs), `${(kemu.fullBytes / 2 ** 20).toFixed(1)} MiB, ${kemu.fullLines.toLocaleString("en-US")} lines`],
      [`  jump rules (iptables -N/-C/-I, first time)`, ms(floor.jumpsFirstMs), `later full syncs: ${ms(kemu.jumpsSteadyMs)} (-N/-C only)`],
      [`partial sync, 1 endpoint changed, ${N} services (target ≤ 100 ms)`, ms(partial), `${ratio(partial, floorPartial)}; ${target(partial, 100)}; median of ${PARTIAL_REPS}: ${kemu.partialMs.map((x) => x.toFixed(0)).join(", ")} ms`],
      [`  render (warm)`, ms(kemu.renderPartialMs), `${(kemu.partialBytes / 1024).toFixed(0)} KiB restore text`],
      [`iptables-save, ${N} services (context)`, ms(kemu.saveMs), `${kemu.saveLines.toLocaleString("en-US")} lines`],
    );
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) console.log(`${k.padEnd(w)}  ${v.padStart(10)}  ${note}`);
}

if (process.argv[1] === SELF && process.argv[2] === "--inner") {
  const mode = process.argv[3];
  const n = Number(process.argv[4]);
  const result = mode === "kemu" ? await innerKemu(n) : await innerFloor(n);
  console.log(JSON.stringify(result));
}
