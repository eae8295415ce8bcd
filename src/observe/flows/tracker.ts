// Kernel events → flow records. Pure: events and the time go in, records come
// out of flush(). Names are added later (name.ts).
//
// One connection, one record: a pod-to-pod connection across nodes is in
// both nodes' conntrack tables (the client's node, where kube-proxy's DNAT and
// masquerade happen, and the server's). Both entries agree on the tuple that
// crossed the wire — the reply tuple, reversed: (client or masquerade
// address → the endpoint) — so that tuple is the key. A new record waits
// `mergeWindowMs` for the other node's entry (and a logged drop) before it is
// emitted; the entry that shows a translation is the primary one (its node is
// `node`), and `nodes` lists every node that reported it.
//
// Drops: a packet dropped in forward never confirms its conntrack entry on
// that node, so drops come from the policy table's log instead, keyed by the
// packet's own tuple (as it was on the wire there). A drop joins the record of
// the same tuple (the client's node confirmed the connection before the
// server's node dropped it) or starts one; retransmissions of a dropped
// connection count in `droppedPackets` and print no new line.
import type { Flow, FlowPeer } from "./model.js";
import { isClosingState, isDnat, isSnat, type ConntrackEvent } from "./conntrack.js";
import { parseDropPrefix, type LoggedPacket } from "./nflog.js";

const PROTOCOLS: Record<number, string> = { 1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6", 132: "SCTP" };

export function protocolName(n: number): string {
  return PROTOCOLS[n] ?? String(n);
}

export interface TrackerOptions {
  /** how long a new record waits for the same connection on other nodes (default 3 s: each node has its own reader process, and on a loaded 2-core machine one lagged the other by over 1 s in CI) */
  mergeWindowMs?: number;
  /** how long a closed or dropped connection is remembered, to absorb late events and retransmissions (default 10 s) */
  forgetAfterMs?: number;
  /** at most this many connections are remembered; the oldest go first (default 200,000) */
  maxTracked?: number;
}

interface Tracked {
  flow: Flow;
  startMs: number;
  dueAt: number;
  emitted: boolean;
  closed?: { time: string; atMs: number; bytes?: { sent: number; received: number } };
  closeEmitted: boolean;
  forgetAt?: number;
}

function wireKey(protocolNumber: number, src: string, sport: number | undefined, dst: string, dport: number | undefined): string {
  return `${protocolNumber}|${src}:${sport ?? ""}>${dst}:${dport ?? ""}`;
}

function isoTime(seconds: number | undefined, nowMs: number): string {
  return new Date(seconds !== undefined ? Math.round(seconds * 1000) : nowMs).toISOString();
}

function peer(ip: string, port: number | undefined): FlowPeer {
  return port === undefined ? { ip } : { ip, port };
}

/** The record a conntrack entry describes, on its own. */
export function flowFromConntrack(node: string, e: ConntrackEvent, nowMs: number): Flow {
  const dnat = isDnat(e);
  const snat = isSnat(e);
  const listed = e.type === "LISTED";
  return {
    time: isoTime(e.timestamp, nowMs),
    node,
    nodes: [node],
    protocol: protocolName(e.protocolNumber),
    source: peer(e.original.src, e.original.sport),
    destination: peer(e.original.dst, e.original.dport),
    ...(dnat ? { endpoint: peer(e.reply.src, e.reply.sport) } : {}),
    ...(snat ? { masqueradedAs: e.reply.dport === undefined ? { ip: e.reply.dst } : { ip: e.reply.dst, port: e.reply.dport } } : {}),
    verdict: "forwarded",
    // listed: an entry still waiting for its first reply is an attempt, not an established connection
    state: listed ? (isClosingState(e.state) ? "closed" : e.unreplied ? "new" : "established") : "new",
    ...(e.id !== undefined ? { conntrackId: e.id } : {}),
  };
}

export class FlowTracker {
  private readonly tracked = new Map<string, Tracked>();
  /** keys in the order their records are due */
  private readonly due: string[] = [];
  private readonly forgetting: Array<{ key: string; at: number }> = [];
  private readonly ready: Flow[] = [];
  private readonly window: number;
  private readonly forgetAfter: number;
  private readonly max: number;

  constructor(options: TrackerOptions = {}) {
    this.window = options.mergeWindowMs ?? 3000;
    this.forgetAfter = options.forgetAfterMs ?? 10_000;
    this.max = options.maxTracked ?? 200_000;
  }

  get size(): number {
    return this.tracked.size;
  }

  conntrack(node: string, e: ConntrackEvent, nowMs: number): void {
    const key = wireKey(e.protocolNumber, e.reply.dst, e.reply.dport, e.reply.src, e.reply.sport);
    const t = this.tracked.get(key);
    if (e.type === "NEW" || e.type === "LISTED") {
      // A tuple seen again on the same node, or opened after its close, is a new connection reusing the
      // ports. Another node's NEW from before that close is the same connection: its reader ran late.
      const sameConnection = t !== undefined && !t.flow.nodes.includes(node) && (!t.closed || (e.timestamp !== undefined && e.timestamp * 1000 <= t.closed.atMs));
      if (!t || !sameConnection) {
        if (t) {
          // the earlier connection goes out first, whatever its merge window says
          if (!t.emitted) {
            t.emitted = true;
            this.ready.push({ ...t.flow, nodes: [...t.flow.nodes] });
          }
          this.emitClosed(t);
          this.tracked.delete(key);
        }
        this.add(key, flowFromConntrack(node, e, nowMs), nowMs);
        return;
      }
      if (!t.flow.nodes.includes(node)) {
        if (!t.emitted && isDnat(e) && !t.flow.endpoint) {
          // This node translated it: its entry says what the client addressed.
          const own = flowFromConntrack(node, e, nowMs);
          t.flow = { ...own, nodes: [node, ...t.flow.nodes], verdict: t.flow.verdict, ...pickDrop(t.flow) };
        } else {
          t.flow.nodes.push(node);
        }
      }
      return;
    }
    if (!t || t.closed || t.flow.verdict !== "forwarded") return;
    const closing = e.type === "DESTROY" || (e.type === "UPDATE" && isClosingState(e.state));
    if (!closing) return;
    const bytes = e.original.bytes !== undefined && e.reply.bytes !== undefined ? { sent: e.original.bytes, received: e.reply.bytes } : undefined;
    t.closed = { time: isoTime(e.timestamp, nowMs), atMs: e.timestamp !== undefined ? e.timestamp * 1000 : nowMs, ...(bytes ? { bytes } : {}) };
    if (t.emitted) this.emitClosed(t);
    this.forget(key, nowMs);
  }

  drop(node: string, p: LoggedPacket, nowMs: number): void {
    const cause = parseDropPrefix(p.prefix);
    if (!cause) return;
    const key = wireKey(p.protocolNumber, p.src, p.sport, p.dst, p.dport);
    const details = {
      verdict: "dropped" as const,
      ...(cause.policy ? { policy: cause.policy } : {}),
      dropReason: cause.reason,
      droppedPackets: 1,
    };
    const t = this.tracked.get(key);
    if (t) {
      if (!t.flow.nodes.includes(node)) t.flow.nodes.push(node);
      if (t.flow.verdict === "dropped") {
        t.flow.droppedPackets = (t.flow.droppedPackets ?? 0) + 1;
        return;
      }
      t.flow = { ...t.flow, ...details };
      if (t.emitted) this.ready.push({ ...t.flow, nodes: [...t.flow.nodes], time: isoTime(p.time, nowMs) });
      this.forget(key, nowMs);
      return;
    }
    // Nobody confirmed it: the drop is the first (and only) sign of the attempt.
    const translated = p.origDst !== undefined && (p.origDst !== p.dst || p.origDport !== p.dport);
    const masqueraded = p.origSrc !== undefined && (p.origSrc !== p.src || p.origSport !== p.sport);
    const flow: Flow = {
      time: isoTime(p.time, nowMs),
      node,
      nodes: [node],
      protocol: protocolName(p.protocolNumber),
      source: masqueraded ? peer(p.origSrc!, p.origSport) : peer(p.src, p.sport),
      destination: translated ? peer(p.origDst!, p.origDport) : peer(p.dst, p.dport),
      ...(translated ? { endpoint: peer(p.dst, p.dport) } : {}),
      ...(masqueraded ? { masqueradedAs: p.sport === undefined ? { ip: p.src } : { ip: p.src, port: p.sport } } : {}),
      state: "new",
      ...details,
    };
    this.add(key, flow, nowMs);
    this.forget(key, nowMs);
  }

  /** The records due by now (all of them with `all`), oldest first. */
  flush(nowMs: number, all = false): Flow[] {
    while (this.due.length > 0) {
      const key = this.due[0]!;
      const t = this.tracked.get(key);
      if (t && !t.emitted) {
        if (!all && t.dueAt > nowMs) break;
        t.emitted = true;
        this.ready.push({ ...t.flow, nodes: [...t.flow.nodes] });
        if (t.closed) this.emitClosed(t);
      }
      this.due.shift();
    }
    while (this.forgetting.length > 0 && (all || this.forgetting[0]!.at <= nowMs)) {
      const { key, at } = this.forgetting.shift()!;
      const t = this.tracked.get(key);
      if (t && t.emitted && t.forgetAt === at) this.tracked.delete(key);
    }
    return this.ready.splice(0);
  }

  private add(key: string, flow: Flow, nowMs: number): void {
    if (this.tracked.size >= this.max) {
      const oldest = this.tracked.keys().next().value;
      if (oldest !== undefined) this.tracked.delete(oldest);
    }
    this.tracked.set(key, { flow, startMs: nowMs, dueAt: nowMs + this.window, emitted: false, closeEmitted: false });
    this.due.push(key);
  }

  private forget(key: string, nowMs: number): void {
    const t = this.tracked.get(key);
    if (!t) return;
    t.forgetAt = nowMs + this.forgetAfter;
    this.forgetting.push({ key, at: t.forgetAt });
  }

  private emitClosed(t: Tracked): void {
    if (t.closeEmitted || !t.closed) return;
    t.closeEmitted = true;
    const startMs = Date.parse(t.flow.time);
    const durationMs = Math.max(0, Math.round(t.closed.atMs - (Number.isFinite(startMs) ? startMs : t.startMs)));
    this.ready.push({ ...t.flow, nodes: [...t.flow.nodes], time: t.closed.time, state: "closed", durationMs, ...(t.closed.bytes ? { bytes: t.closed.bytes } : {}) });
  }
}

function pickDrop(f: Flow): Partial<Flow> {
  if (f.verdict !== "dropped") return {};
  return { ...(f.policy ? { policy: f.policy } : {}), ...(f.dropReason ? { dropReason: f.dropReason } : {}), ...(f.droppedPackets ? { droppedPackets: f.droppedPackets } : {}) };
}
