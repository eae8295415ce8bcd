// Benchmark: how fast kube-proxy's iptables mode programs rules — the
// IptablesSyncer that the node agent drives — on upstream's synthetic
// services (makeSyntheticInput, 10 endpoints each): the first full sync of
// 1,000 and of 10,000 services, then partial syncs after one endpoint of one
// service changed, and (for context) after one service was added and removed.
// At 10,000 services nearly all of a partial sync is the kernel re-validating
// the whole nat table (docs/decisions.md), which the bare restore pays too.
//
// References measured in the same run, in the same kind of namespace:
// - the very same restore texts loaded by a bare `iptables-restore --noflush
//   --counters` (the iptables/kernel floor kemu's own work is compared with);
// - at 1,000 services, the same rules as ONE nat transaction (upstream's
//   layout), bare: why kemu cuts full syncs into transactions of whole
//   services on iptables-nft 1.8.9 (transaction.ts);
// - iptables-save at that size.
//
// Everything that touches iptables runs in scratch namespaces
// (kemu-bench-sync-…): this file re-executes itself inside them with
// `nsenter --net=… node --import tsx proxy-sync.ts --inner '<json>'`, and the
// outer half deletes them afterwards, also on error.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { run } from "../../src/linux/exec.js";
import { IptablesSyncer, iptablesRestore } from "../../src/agent/proxy/iptables-proxier.js";
import { renderRules } from "../../src/agent/proxy/iptables/render.js";
import { planSync, type WrittenState } from "../../src/agent/proxy/iptables/sync-plan.js";
import { renderSyncRestore } from "../../src/agent/proxy/iptables/transaction.js";
import { makeSyntheticInput } from "../../src/agent/proxy/iptables/synthetic.js";
import { servicePortKey } from "../../src/agent/proxy/model.js";
import type { ProxyState } from "../../src/agent/proxy/changes.js";

const ENDPOINTS = 10;
const PARTIAL_REPS = 5;
const CONFIG = { nodeName: "node-1", nodeIPs: ["172.18.0.2"], clusterCIDR: "10.244.0.0/16", masqueradeAll: false };
const SELF = fileURLToPath(import.meta.url);

type Services = ProxyState["services"];

// ---------------------------------------------------------------- inner half

const input = (services: Services) => ({ ...CONFIG, masqueradeBit: 14, services });

/** `services` with the first endpoint of the middle service moved to `ip`; changed = that service. */
function moveEndpoint(services: Services, ip: string): ProxyState {
  const i = services.length >> 1;
  const old = services[i]!;
  const next = services.slice();
  next[i] = { port: old.port, endpoints: old.endpoints.map((e, j) => (j === 0 ? { ...e, ip } : e)) };
  return { services: next, changed: new Set([servicePortKey(old.port)]) };
}

/** `services` plus one more service port (a new ClusterIP, the same endpoints as the first). */
function addService(services: Services): ProxyState {
  const first = services[0]!;
  const port = { ...first.port, name: "added", clusterIP: "10.255.255.254" };
  return { services: [...services, { port, endpoints: first.endpoints }], changed: new Set([servicePortKey(port)]) };
}

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
  fullMs: number;
  fullBytes: number;
  fullLines: number;
  fullTransactions: number;
  renderFullMs: number;
  saveMs: number;
  saveLines: number;
  partialMs: number[];
  partialBytes: number;
  renderPartialMs: number;
  floorPartialMs: number[];
  addMs: number;
  removeMs: number;
  addBytes: number;
}

type InnerArgs = { mode: "restore"; n: number; layout: "kemu" | "single" } | { mode: "sync"; n: number };

/** A fresh namespace, a full sync's rules loaded by a bare iptables-restore, as kemu writes them or as one nat transaction. */
async function innerRestore(n: number, layout: "kemu" | "single"): Promise<{ ms: number }> {
  const services = makeSyntheticInput(n, ENDPOINTS).services;
  const rules = layout === "single" ? renderRules(input(services)) : undefined;
  const text = rules ? rules.filter + rules.nat : renderSyncRestore(planSync(undefined, input(services), new Set()));
  const [ms] = await timed(() => iptablesRestore(text));
  return { ms };
}

/** kemu's IptablesSyncer in the current (scratch) namespace: the first full sync, then partial ones. */
async function innerSync(n: number): Promise<SyncResult> {
  const services = makeSyntheticInput(n, ENDPOINTS).services;
  const syncer = new IptablesSyncer(CONFIG);
  // The first full sync, cold, as the agent does it when it starts.
  const stats = await syncer.sync({ services, changed: new Set() });
  if (!stats.full) throw new Error("the first sync was not a full one");
  // What it wrote, and the render part alone (warm).
  const renders: number[] = [];
  let fullText = "";
  let written: WrittenState | undefined;
  for (let r = 0; r < 3; r++) {
    const [ms, plan] = await timed(() => {
      const p = planSync(undefined, input(services), new Set());
      fullText = renderSyncRestore(p);
      return p;
    });
    renders.push(ms);
    written = plan.next;
  }
  const [saveMs, saved] = await timed(() => run("iptables-save", [], { timeoutMs: 300_000 }));

  const partialMs: number[] = [];
  const renderPartial: number[] = [];
  const floorPartialMs: number[] = [];
  let partialBytes = 0;
  let current = services;
  for (let k = 0; k < PARTIAL_REPS; k++) {
    // kemu: the middle service's first endpoint moves to a new IP.
    const state = moveEndpoint(current, `172.17.${k}.1`);
    const [rms, plan] = await timed(() => {
      const p = planSync(written, input(state.services), state.changed);
      renderSyncRestore(p);
      return p;
    });
    renderPartial.push(rms);
    const s = await syncer.sync(state);
    if (s.full || s.rewritten !== 1) throw new Error(`expected a partial sync of one service, got ${JSON.stringify(s)}`);
    partialMs.push(s.durationMs);
    partialBytes = s.restoreBytes;
    current = state.services;
    written = plan.next;
    // The reference: the same kind of change, by a bare iptables-restore, there
    // and back (so the kernel is again in the state the syncer knows).
    const away = moveEndpoint(current, `172.19.${k}.1`);
    const there = planSync(written, input(away.services), away.changed);
    const back = planSync(there.next, input(current), away.changed);
    for (const p of [there, back]) floorPartialMs.push((await timed(() => iptablesRestore(renderSyncRestore(p))))[0]);
  }
  // Context: one service added (KUBE-SERVICES is rewritten), then removed again.
  const added = addService(current);
  const add = await syncer.sync(added);
  const removed = await syncer.sync({ services: current, changed: added.changed });
  return {
    fullMs: stats.durationMs,
    fullBytes: fullText.length,
    fullLines: fullText.split("\n").length,
    fullTransactions: fullText.split("\n").filter((l) => l === "COMMIT").length,
    renderFullMs: median(renders),
    saveMs,
    saveLines: saved.split("\n").length,
    partialMs,
    partialBytes,
    renderPartialMs: median(renderPartial),
    floorPartialMs,
    addMs: add.durationMs,
    removeMs: removed.durationMs,
    addBytes: add.restoreBytes,
  };
}

// ---------------------------------------------------------------- outer half

class Scratch {
  private readonly tag = randomBytes(2).toString("hex");
  private seq = 0;

  /** Runs the inner half in a namespace of its own, which is deleted afterwards. */
  async inner<T>(args: InnerArgs): Promise<T> {
    const ns = `kemu-bench-sync-${this.tag}-${this.seq++}`;
    await run("ip", ["netns", "add", ns]);
    try {
      const out = await run("nsenter", [`--net=/run/netns/${ns}`, process.execPath, "--import", "tsx", SELF, "--inner", JSON.stringify(args)], { timeoutMs: 1_800_000 });
      return JSON.parse(out.trim().split("\n").pop()!) as T;
    } finally {
      await run("ip", ["netns", "del", ns]).catch((err: Error) => console.error(`could not delete ${ns}: ${err.message}`));
    }
  }
}

const fmt = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 10 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const num = (x: number) => x.toLocaleString("en-US");

export async function benchProxySync(): Promise<void> {
  console.log(`\n## kube-proxy iptables sync: synthetic services × ${ENDPOINTS} endpoints (IptablesSyncer, in scratch namespaces)`);
  const step = (what: string) => console.error(`… ${what}`);
  const scratch = new Scratch();
  const rows: [string, string, string][] = [];
  const target = (x: number, limit: number) => (x <= limit ? "meets target" : "MISSES target");
  const vsFloor = (x: number, floor: number) => `${(x / floor).toFixed(2)}× the bare iptables-restore of the same text (${fmt(floor)})`;
  const version = (await run("iptables", ["--version"])).trim();
  rows.push([`${version}, what kemu's node agents run`, "", ""]);
  for (const n of [1_000, 10_000]) {
    const N = num(n);
    step(`${N} services: bare restore of kemu's full-sync text (reference)`);
    const floor = await scratch.inner<{ ms: number }>({ mode: "restore", n, layout: "kemu" });
    // One nat transaction of 10,000 services does not finish in 10 minutes.
    const single = n === 1_000 ? (step(`${N} services: bare restore as one nat transaction (reference)`), await scratch.inner<{ ms: number }>({ mode: "restore", n, layout: "single" })) : undefined;
    step(`${N} services: kemu's IptablesSyncer`);
    const r = await scratch.inner<SyncResult>({ mode: "sync", n });
    const fullTarget = n === 1_000 ? " (target ≤ 1 s)" : "";
    rows.push(
      [`full sync, ${N} services${fullTarget}`, fmt(r.fullMs), `${vsFloor(r.fullMs, floor.ms)}${fullTarget ? `; ${target(r.fullMs, 1000)}` : ""}`],
      [`  render (plan + restore text, warm)`, fmt(r.renderFullMs), `${(r.fullBytes / 2 ** 20).toFixed(1)} MiB, ${num(r.fullLines)} lines, ${r.fullTransactions} transactions`],
    );
    if (single) rows.push([`  same rules as one nat transaction (upstream's layout), bare`, fmt(single.ms), `iptables-nft 1.8.9: quadratic in the chains one transaction names`]);
    const partial = median(r.partialMs);
    rows.push(
      [`partial sync, 1 endpoint changed, ${N} services (target ≤ 100 ms)`, fmt(partial), `${vsFloor(partial, median(r.floorPartialMs))}; ${target(partial, 100)}`],
      [`  each of the ${PARTIAL_REPS} (median above)`, "", `${r.partialMs.map((x) => x.toFixed(0)).join(", ")} ms; bare: ${r.floorPartialMs.map((x) => x.toFixed(0)).join(", ")} ms`],
      [`  render (warm)`, fmt(r.renderPartialMs), `${(r.partialBytes / 1024).toFixed(1)} KiB restore text`],
      [`one service added / removed, ${N} services (context)`, fmt(r.addMs), `removed: ${fmt(r.removeMs)}; ${(r.addBytes / 1024).toFixed(1)} KiB restore text (its entries inserted in place)`],
      [`iptables-save, ${N} services (context)`, fmt(r.saveMs), `${num(r.saveLines)} lines`],
    );
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v, note] of rows) console.log(v || note ? `${k.padEnd(w)}  ${v.padStart(9)}  ${note}` : `${k}:`);
}

if (process.argv[1] === SELF && process.argv[2] === "--inner") {
  const args = JSON.parse(process.argv[3]!) as InnerArgs;
  const result = args.mode === "restore" ? await innerRestore(args.n, args.layout) : await innerSync(args.n);
  console.log(JSON.stringify(result));
}
