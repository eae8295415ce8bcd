// Reads `xtables-monitor --trace`: the kernel's nftables trace events
// (`meta nftrace`) as iptables-nft prints them. Each traced packet has an id;
// per hook the monitor prints the packet ("PACKET:") and then every rule or
// chain policy that gave a verdict ("TRACE:"). Rules of iptables-nft's tables
// come with their iptables-save text; rules of native nftables tables (kemu's
// NetworkPolicy table) come with only their handle. Pure.
import type { PacketHeader, RuleHit } from "./model.js";

/** One packet's pass through one hook: the packet as it was there, and the verdicts it met. */
export interface HookPass {
  packet: PacketHeader;
  /** the monitor's family number: 2 = ip, 1 = inet, 10 = ip6 */
  family: number;
  hits: (RuleHit & { handle?: number })[];
}

/** One traced packet in one namespace, its hooks in the order the kernel ran them. */
export interface TracedPacket {
  id: string;
  passes: HookPass[];
  /** the order in which the monitor first saw it (for ordering packets within a namespace) */
  seq: number;
}

// nftables verdict codes the monitor prints in hex (linux/netfilter/nf_tables.h).
const VERDICT_CODES: Record<string, string> = {
  "0xffffffff": "CONTINUE",
  "0xfffffffe": "BREAK",
  "0xfffffffd": "JUMP",
  "0xfffffffc": "GOTO",
  "0xfffffffb": "RETURN",
};

const FLAG_WORDS = new Set(["SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR"]);

/** `PACKET: 2 1a2b IN=eth0 … SRC=… DST=… … PROTO=… SPORT=… DPORT=… SYN ACK` */
export function parsePacketLine(line: string): { family: number; id: string; packet: PacketHeader } | undefined {
  const m = /^PACKET: (\d+) ([0-9a-f]+) (.*)$/.exec(line.trim());
  if (!m) return undefined;
  const fields = new Map<string, string>();
  const flags: string[] = [];
  for (const word of m[3]!.split(/\s+/)) {
    const eq = word.indexOf("=");
    if (eq > 0) fields.set(word.slice(0, eq), word.slice(eq + 1));
    else if (FLAG_WORDS.has(word)) flags.push(word);
  }
  const src = fields.get("SRC");
  const dst = fields.get("DST");
  if (!src || !dst) return undefined;
  const sport = fields.get("SPORT");
  const dport = fields.get("DPORT");
  // The monitor names TCP and UDP only by their ports (TCP by its flags too); ICMP by TYPE/CODE.
  let protocol = fields.get("PROTO")?.toLowerCase();
  // A packet without ports or flags here is an ICMP message (the monitor prints no more of it): an error such as port unreachable.
  if (!protocol) protocol = flags.length > 0 ? "tcp" : sport !== undefined ? "udp" : "icmp";
  const packet: PacketHeader = { src, dst, protocol };
  if (sport !== undefined) packet.sport = Number(sport);
  if (dport !== undefined) packet.dport = Number(dport);
  if (fields.get("IN")) packet.iif = fields.get("IN");
  if (fields.get("OUT")) packet.oif = fields.get("OUT");
  if (flags.length > 0) packet.flags = flags.join(" ");
  if (fields.has("TYPE")) packet.flags = `type ${fields.get("TYPE")} code ${fields.get("CODE") ?? "0"}`;
  if (fields.has("ID")) packet.ipId = Number(fields.get("ID"));
  return { family: Number(m[1]), id: m[2]!, packet };
}

/**
 * ` TRACE: 2 1a2b nat:KUBE-SERVICES:rule:0x23:JUMP:KUBE-SVC-X  -4 -t nat -A …`
 * ` TRACE: 2 1a2b filter:FORWARD:policy:ACCEPT`
 */
export function parseTraceLine(line: string): { family: number; id: string; hit: RuleHit & { handle?: number } } | undefined {
  const m = /^TRACE: (\d+) ([0-9a-f]+) (\S+)(?:\s+(.*))?$/.exec(line.trim());
  if (!m) return undefined;
  const parts = m[3]!.split(":");
  // table:chain:kind:… — chain names may not contain ':', table names neither.
  const [table, chain, kind, ...rest] = parts;
  if (!table || !chain || !kind) return undefined;
  const rule = (m[4] ?? "").trim();
  if (kind === "policy") return { family: Number(m[1]), id: m[2]!, hit: { table, chain, kind: "policy", rule: "", verdict: rest[0] ?? "" } };
  if (kind === "return") return { family: Number(m[1]), id: m[2]!, hit: { table, chain, kind: "return", rule: "", verdict: "RETURN" } };
  if (kind !== "rule") return undefined;
  const handle = rest[0] !== undefined ? Number.parseInt(rest[0], 16) : undefined;
  const code = rest[1] ?? "";
  const verdict = (VERDICT_CODES[code] ?? code) + (rest.length > 2 ? `:${rest.slice(2).join(":")}` : "");
  return { family: Number(m[1]), id: m[2]!, hit: { table, chain, kind: "rule", rule, verdict, ...(handle !== undefined && !Number.isNaN(handle) ? { handle } : {}) } };
}

/**
 * All packets of one monitor's output, in the order it first printed each.
 * The kernel derives a trace id from the packet buffer, so a later packet can
 * reuse an id: a packet that meets a table named `newPacketTable` (kemu
 * trace's own, which every traced packet enters first) after it has been
 * through other tables is a new packet.
 */
export function parseXtablesTrace(text: string, newPacketTable = "kemu-trace"): TracedPacket[] {
  const packets: TracedPacket[] = [];
  const current = new Map<string, TracedPacket>();
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("PACKET:")) {
      const p = parsePacketLine(trimmed);
      if (!p) continue;
      let traced = current.get(p.id);
      if (!traced) {
        traced = { id: p.id, passes: [], seq: packets.length };
        packets.push(traced);
        current.set(p.id, traced);
      }
      traced.passes.push({ packet: p.packet, family: p.family, hits: [] });
    } else if (trimmed.startsWith("TRACE:")) {
      const t = parseTraceLine(trimmed);
      if (!t) continue;
      let traced = current.get(t.id);
      if (!traced) continue;
      let pass = traced.passes[traced.passes.length - 1];
      if (!pass) continue;
      if (t.hit.table.startsWith(newPacketTable) && pass.hits.length === 0 && traced.passes.slice(0, -1).some((q) => q.hits.some((h) => !h.table.startsWith(newPacketTable)))) {
        traced.passes.pop();
        traced = { id: t.id, passes: [pass], seq: packets.length };
        packets.push(traced);
        current.set(t.id, traced);
        pass = traced.passes[0]!;
      }
      pass.hits.push(t.hit);
    }
  }
  return packets;
}
