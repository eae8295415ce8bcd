// Walks one packet through a rendered policy table (render.ts's data, the
// same text nft loads) the way the kernel's forward hook would, so unit
// tests can check that the rules and the evaluator agree on every cell.
// It understands exactly the match forms the renderer writes, and fails
// loudly on any other, so a renderer change cannot slip past it.
import type { PolicyTableState } from "../../src/agent/policy/render.js";
import type { PolicyProtocol } from "../../src/agent/policy/model.js";
import { parseCIDR } from "../../src/net/cidr.js";
import { parseIP } from "../../src/net/ip.js";

export interface TracedPacket {
  src: string;
  dst: string;
  protocol: PolicyProtocol;
  port: number;
  /** the local pod veth the packet comes from / goes to, if any */
  inVeth?: string;
  outVeth?: string;
}

export type TraceResult = { verdict: "accept" } | { verdict: "drop"; chain: string; rule: string };

const PROTO: Record<PolicyProtocol, string> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };

/** The forward hook: egress chain of the source pod, then ingress chain of the destination pod. */
export function traceForward(table: PolicyTableState, pkt: TracedPacket): TraceResult {
  for (const [veth, dir] of [
    [pkt.inVeth, "egress"],
    [pkt.outVeth, "ingress"],
  ] as const) {
    const chain = veth ? table.dispatch[dir].get(veth) : undefined;
    if (!chain) continue;
    const r = runChain(table, chain, pkt, 0);
    if (r.verdict === "drop") return r;
  }
  return { verdict: "accept" };
}

type ChainResult = { verdict: "return" } | { verdict: "drop"; chain: string; rule: string };

function runChain(table: PolicyTableState, name: string, pkt: TracedPacket, depth: number): ChainResult {
  if (depth > 8) throw new Error(`chain loop at ${name}`);
  const chain = table.chains.get(name);
  if (!chain) throw new Error(`jump to missing chain ${name}`);
  for (const rule of chain.rules) {
    // `log prefix "…" group N` is a statement before the drop (for kemu flows), not a match.
    const body = rule.replace(/ comment ".*"$/, "").replace(/\s*\blog prefix "[^"]*" group \d+/, "");
    const m = /^(.*?)\s*\b(return|drop|goto (\S+))$/.exec(body);
    if (!m) throw new Error(`tracer: no verdict in rule: ${rule}`);
    if (!matches(table, m[1]!.trim(), pkt)) continue;
    if (m[2] === "return") return { verdict: "return" };
    if (m[2] === "drop") return { verdict: "drop", chain: name, rule };
    return runChain(table, m[3]!, pkt, depth + 1);
  }
  return { verdict: "return" };
}

function matches(table: PolicyTableState, text: string, pkt: TracedPacket): boolean {
  let rest = text;
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(m[0].length).trimStart();
    return m;
  };
  while (rest !== "") {
    let m: RegExpExecArray | null;
    if (take(/^ct state invalid/)) return false; // probes are new, valid flows
    else if ((m = take(/^ip daddr \. meta l4proto \. th dport @(\S+)/))) {
      if (!setHas(table, m[1]!, `${pkt.dst} . ${PROTO[pkt.protocol]} . ${pkt.port}`)) return false;
    } else if ((m = take(/^ip6? (saddr|daddr) != \{ ([^}]*) \}/))) {
      const ip = m[1] === "saddr" ? pkt.src : pkt.dst;
      if (m[2]!.split(",").some((c) => inCidr(ip, c.trim()))) return false;
    } else if ((m = take(/^ip6? (saddr|daddr) @(\S+)/))) {
      if (!setHas(table, m[2]!, m[1] === "saddr" ? pkt.src : pkt.dst)) return false;
    } else if ((m = take(/^ip(6?) (saddr|daddr) (\S+)/))) {
      if (m[1] === "6") return false; // kemu's pods are IPv4
      if (!inCidr(m[2] === "saddr" ? pkt.src : pkt.dst, m[3]!)) return false;
    } else if ((m = take(/^meta l4proto (tcp|udp|sctp)/))) {
      if (m[1] !== PROTO[pkt.protocol]) return false;
    } else if ((m = take(/^th dport (\d+)(?:-(\d+))?/))) {
      const lo = Number(m[1]);
      const hi = m[2] ? Number(m[2]) : lo;
      if (pkt.port < lo || pkt.port > hi) return false;
    } else throw new Error(`tracer: unknown match "${rest}"`);
  }
  return true;
}

function setHas(table: PolicyTableState, name: string, element: string): boolean {
  const set = table.sets.get(name);
  if (!set) throw new Error(`rule refers to missing set ${name}`);
  return set.elements.includes(element);
}

function inCidr(ip: string, cidr: string): boolean {
  const net = parseCIDR(cidr.includes("/") ? cidr : `${cidr}/32`);
  const addr = parseIP(ip);
  return !!net && !!addr && net.family === addr.family && net.contains(addr);
}
