// netns/kemu-nflog's lines → dropped packets. One line per packet the policy
// table logged before dropping it:
//   seq=12 time=1796685011.632802 proto=6 src=10.244.2.2 dst=10.244.1.3 sport=43512 dport=8080 orig-src=10.244.2.2 orig-sport=43512 orig-dst=10.96.0.20 orig-dport=80 prefix=kemu-drop ingress np x/deny-all
// (orig-* only when the packet belonged to a connection kube-proxy translated),
// and a line `lost=N` (or `lost=? reason=…`) when the kernel dropped log
// messages before the helper read them. Pure.
import type { ObjectRef } from "../trace/model.js";
import { DROP_LOG_PREFIX } from "../../agent/policy/render.js";

export interface LoggedPacket {
  seq?: number;
  /** seconds since the epoch */
  time?: number;
  protocolNumber: number;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** the connection's original direction, from the packet's conntrack entry: the client's own address before masquerade, the destination before DNAT */
  origSrc?: string;
  origSport?: number;
  origDst?: string;
  origDport?: number;
  prefix: string;
}

export type NflogLine = { kind: "packet"; packet: LoggedPacket } | { kind: "lost"; count?: number; reason?: string };

export function parseNflogLine(line: string): NflogLine | undefined {
  const text = line.trim();
  const lost = /^lost=(\d+|\?)(?:\s+reason=(.*))?$/.exec(text);
  if (lost) return { kind: "lost", ...(lost[1] !== "?" ? { count: Number(lost[1]) } : {}), ...(lost[2] ? { reason: lost[2] } : {}) };
  const at = text.indexOf(" prefix=");
  const head = at < 0 ? text : text.slice(0, at);
  const prefix = at < 0 ? "" : text.slice(at + " prefix=".length);
  const fields = new Map<string, string>();
  for (const token of head.split(/\s+/)) {
    const eq = token.indexOf("=");
    if (eq > 0) fields.set(token.slice(0, eq), token.slice(eq + 1));
  }
  const num = (key: string) => (fields.has(key) && /^\d+(\.\d+)?$/.test(fields.get(key)!) ? Number(fields.get(key)) : undefined);
  const src = fields.get("src");
  const dst = fields.get("dst");
  const protocolNumber = num("proto");
  if (!src || !dst || protocolNumber === undefined) return undefined;
  const packet: LoggedPacket = { protocolNumber, src, dst, prefix };
  const optional = { seq: num("seq"), time: num("time"), sport: num("sport"), dport: num("dport"), origSrc: fields.get("orig-src"), origSport: num("orig-sport"), origDst: fields.get("orig-dst"), origDport: num("orig-dport") };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (packet as unknown as Record<string, unknown>)[k] = v;
  return { kind: "packet", packet };
}

/** What a drop prefix written by the policy renderer says. */
export interface DropCause {
  direction: "ingress" | "egress";
  /** the policy that dropped it; absent for invalid packets */
  policy?: ObjectRef;
  /** more policies isolate the pod than the prefix could name / than the first one */
  others?: number;
  /** the prefix without its marker, for the record */
  reason: string;
}

/**
 * `kemu-drop ingress np x/deny-all x/other` (isolated by NetworkPolicies:
 * the first is named, the rest counted; `+N` when the prefix ran out of room),
 * `kemu-drop egress cnp name 3` (a ClusterNetworkPolicy's Deny rule 3),
 * `kemu-drop ingress invalid` (conntrack state invalid).
 */
export function parseDropPrefix(prefix: string): DropCause | undefined {
  const words = prefix.trim().split(/\s+/);
  if (words[0] !== DROP_LOG_PREFIX) return undefined;
  const direction = words[1];
  if (direction !== "ingress" && direction !== "egress") return undefined;
  const reason = words.slice(1).join(" ");
  const kind = words[2];
  if (kind === "invalid") return { direction, reason };
  if (kind === "np") {
    const ids = words.slice(3).filter((w) => !/^\+\d+$/.test(w));
    const more = words.slice(3).find((w) => /^\+\d+$/.test(w));
    const first = ids[0];
    // no name fitted the prefix: the count is all there is
    if (!first) return more ? { direction, others: Number(more.slice(1)), reason } : undefined;
    const slash = first.indexOf("/");
    const policy: ObjectRef = slash > 0 ? { kind: "NetworkPolicy", namespace: first.slice(0, slash), name: first.slice(slash + 1), part: direction } : { kind: "NetworkPolicy", name: first, part: direction };
    const others = ids.length - 1 + (more ? Number(more.slice(1)) : 0);
    return { direction, policy, ...(others > 0 ? { others } : {}), reason };
  }
  if (kind === "cnp" && words[3]) {
    const rule = words[4] !== undefined && /^\d+$/.test(words[4]) ? ` rule ${words[4]}` : "";
    return { direction, policy: { kind: "ClusterNetworkPolicy", name: words[3], part: `${direction}${rule}` }, reason };
  }
  return undefined;
}
