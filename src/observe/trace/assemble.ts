// From raw trace events in each namespace to the hops of one connection
// attempt. The request's first packet is found on the client's host by its
// source address and port; on every other host by its IP identification
// (forwarding and NAT keep it) and destination. The reply is the first packet
// back from the endpoint (or from the address the client dialled). Pure.
import type { AddressBook } from "../address-book.js";
import { iptablesRuleObject, policyRuleObject } from "./attribute.js";
import type { Hop, PacketHeader, RuleHit, TraceProtocol } from "./model.js";
import type { TracedPacket } from "./xtables-monitor.js";

/** What was captured in one namespace. */
export interface HostCapture {
  host: string;
  packets: TracedPacket[];
  /** the NetworkPolicy table's rules and comments by handle (the monitor prints only handles for them) */
  policyRules: Map<number, string>;
  policyComments: Map<number, string>;
}

export interface AssembleInput {
  clientHost: string;
  clientIP: string;
  sourcePort: number;
  protocol: TraceProtocol;
  destination: { ip: string; port: number };
  hosts: HostCapture[];
  book: AddressBook;
  /** the table kemu trace adds to mark packets; its own hits are left out */
  traceTablePrefix: string;
}

export interface Assembled {
  hops: Hop[];
  /** the endpoint that the last request hop delivered to, `ip:port` */
  endpoint?: { ip: string; port: number };
  droppedBy?: RuleHit & { host: string };
}

const DROPPING = /^(DROP|REJECT)/;

function sameProtocol(p: PacketHeader, protocol: TraceProtocol): boolean {
  return p.protocol === protocol;
}

/** Every rule hit of a packet in one namespace, attributed, without kemu trace's own. */
function hitsOf(packet: TracedPacket, capture: HostCapture, prefix: string): RuleHit[] {
  const out: RuleHit[] = [];
  for (const pass of packet.passes) {
    for (const h of pass.hits) {
      if (h.table.startsWith(prefix)) continue;
      const { handle, ...hit } = h;
      if (h.table === "kemu-policy" || pass.family === 1) {
        const rule = handle !== undefined ? capture.policyRules.get(handle) : undefined;
        const comment = handle !== undefined ? capture.policyComments.get(handle) : undefined;
        const object = policyRuleObject(hit, comment);
        out.push({ ...hit, rule: rule ?? hit.rule, ...(object ? { object } : {}) });
      } else {
        const object = iptablesRuleObject(hit);
        out.push({ ...hit, ...(object ? { object } : {}) });
      }
    }
  }
  return out;
}

function hopOf(packet: TracedPacket, capture: HostCapture, direction: Hop["direction"], input: AssembleInput): Hop {
  const rules = hitsOf(packet, capture, input.traceTablePrefix);
  const first = packet.passes[0]!.packet;
  const last = packet.passes[packet.passes.length - 1]!.packet;
  const dnatRule = rules.find((r) => /-j DNAT\b/.test(r.rule) || /\bdnat to\b/.test(r.rule));
  const dnat = dnatRule ? /--to-destination (\S+)/.exec(dnatRule.rule)?.[1] ?? /dnat to (\S+)/.exec(dnatRule.rule)?.[1] : undefined;
  const redirect = rules.find((r) => /-j REDIRECT\b/.test(r.rule));
  const masquerade = rules.some((r) => /-j MASQUERADE\b/.test(r.rule) && r.kind === "rule");
  const drop = rules.find((r) => DROPPING.test(r.verdict) || (r.kind === "policy" && DROPPING.test(r.verdict)));
  const rejected = drop && /-j REJECT\b|\breject\b/.test(drop.rule);
  let outcome: Hop["outcome"];
  if (drop) outcome = rejected ? "rejected" : "dropped";
  else if (redirect) outcome = "local";
  else if (last.oif === undefined) outcome = first.iif === undefined ? "sent" : "local";
  else if (last.oif === "eth0") outcome = first.iif === undefined ? "sent" : "forwarded";
  else outcome = "delivered";
  const hop: Hop = {
    host: capture.host,
    direction,
    packet: first,
    rules,
    outcome,
    from: input.book.describe(first.src, first.sport),
    to: input.book.describe(first.dst, first.dport),
  };
  if (last.dst !== first.dst || last.dport !== first.dport || masquerade) hop.leaving = { ...last, ...(masquerade ? { src: `${last.src} (masqueraded to the node's address)` } : {}) };
  if (dnat) hop.dnat = dnat;
  if (masquerade) hop.masquerade = true;
  return hop;
}

function splitHostPort(text: string): { ip: string; port?: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  return m ? { ip: m[1]!, port: Number(m[2]) } : { ip: text };
}

/** The hops of the request, then of the reply. */
export function assembleTrace(input: AssembleInput): Assembled {
  const byHost = new Map(input.hosts.map((h) => [h.host, h]));
  const client = byHost.get(input.clientHost);
  const hops: Hop[] = [];
  let droppedBy: Assembled["droppedBy"];
  if (!client) return { hops };

  const isRequest = (p: PacketHeader) => p.src === input.clientIP && p.sport === input.sourcePort && p.dst === input.destination.ip && p.dport === input.destination.port && sameProtocol(p, input.protocol);
  const request = client.packets.find((t) => isRequest(t.passes[0]!.packet));
  if (!request) return { hops };

  // The request, host by host.
  const visited: { capture: HostCapture; packet: TracedPacket }[] = [];
  let current: { capture: HostCapture; packet: TracedPacket } | undefined = { capture: client, packet: request };
  const ipId = request.passes[0]!.packet.ipId;
  let finalDst = { ip: input.destination.ip, port: input.destination.port as number | undefined };
  while (current) {
    visited.push(current);
    const hop = hopOf(current.packet, current.capture, "request", input);
    hops.push(hop);
    const dropHit = hop.rules.find((r) => DROPPING.test(r.verdict));
    if (dropHit && !droppedBy) droppedBy = { ...dropHit, host: hop.host };
    const last = current.packet.passes[current.packet.passes.length - 1]!.packet;
    finalDst = { ip: last.dst, port: last.dport };
    if (hop.dnat) finalDst = { ...finalDst, ...splitHostPort(hop.dnat) };
    if (hop.outcome !== "forwarded" && hop.outcome !== "sent") break;
    if (last.oif !== "eth0") break;
    // The same packet, arriving on another host from the underlay.
    current = undefined;
    for (const capture of input.hosts) {
      if (visited.some((v) => v.capture === capture)) continue;
      const found = capture.packets.find((t) => {
        const p = t.passes[0]!.packet;
        return p.iif === "eth0" && sameProtocol(p, input.protocol) && p.dst === finalDst.ip && (ipId === undefined || p.ipId === ipId);
      });
      if (found) {
        current = { capture, packet: found };
        break;
      }
    }
  }
  const lastHop = hops[hops.length - 1]!;
  const endpoint = lastHop.outcome === "delivered" || lastHop.outcome === "local" ? { ip: finalDst.ip, port: finalDst.port ?? input.destination.port } : undefined;

  // The reply: from the endpoint (or, once de-NATed, from the address dialled), back through the same hosts.
  const replySources = new Set([`${input.destination.ip}:${input.destination.port}`, `${finalDst.ip}:${finalDst.port ?? ""}`]);
  // An ICMP error about the connection comes from the endpoint, the address dialled, or a node on the way.
  const icmpSources = new Set([input.destination.ip, finalDst.ip]);
  const isIcmpReply = (p: PacketHeader) => p.protocol === "icmp" && (icmpSources.has(p.src) || input.book.lookup(p.src)?.kind === "node") && (p.dst === input.clientIP || visited.some((v) => p.dst === v.packet.passes[0]!.packet.src));
  const isReply = (p: PacketHeader) => {
    if (!sameProtocol(p, input.protocol) || !replySources.has(`${p.src}:${p.sport ?? ""}`)) return false;
    return p.dst !== input.clientIP || p.dport === input.sourcePort;
  };
  for (const { capture, packet } of [...visited].reverse()) {
    const after = (t: TracedPacket) => t.seq > (capture === client ? request.seq : -1) && t !== packet;
    const reply = capture.packets.find((t) => after(t) && isReply(t.passes[0]!.packet)) ?? capture.packets.find((t) => after(t) && isIcmpReply(t.passes[0]!.packet));
    if (!reply) continue;
    const hop = hopOf(reply, capture, "reply", input);
    hops.push(hop);
    const dropHit = hop.rules.find((r) => DROPPING.test(r.verdict));
    if (dropHit && !droppedBy) droppedBy = { ...dropHit, host: hop.host };
  }
  return { hops, ...(endpoint ? { endpoint } : {}), ...(droppedBy ? { droppedBy } : {}) };
}
