// conntrack-tools' text lines → events. `conntrack -E -o timestamp,id` prints
//   [1796685011.632802]	    [NEW] tcp      6 120 SYN_SENT src=… dst=… sport=… dport=… [UNREPLIED] src=… dst=… sport=… dport=… id=1512964750
// and `conntrack -L -o id` the same without the timestamp and event type.
// The first tuple is the original direction (the client's packet as it
// arrived: a Service IP before DNAT), the second the reply direction (from
// the endpoint DNAT chose, to the client or the masquerade address). Pure.

export type ConntrackEventType = "NEW" | "UPDATE" | "DESTROY" | "LISTED";

export interface ConntrackTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** ICMP echo id */
  icmpId?: number;
  packets?: number;
  bytes?: number;
}

export interface ConntrackEvent {
  type: ConntrackEventType;
  /** seconds since the epoch, from `-o timestamp` (events only) */
  timestamp?: number;
  /** tcp, udp, icmp, sctp, unknown */
  protocol: string;
  protocolNumber: number;
  /** TCP/SCTP state (SYN_SENT, ESTABLISHED, TIME_WAIT…) */
  state?: string;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  unreplied: boolean;
  assured: boolean;
  id?: number;
}

const EVENT_TYPES = new Set(["NEW", "UPDATE", "DESTROY"]);

/** One line of `conntrack -E`/`-L` output; undefined for lines that are not entries (the summary on stderr, blanks). */
export function parseConntrackLine(line: string): ConntrackEvent | undefined {
  const tokens = line.trim().split(/\s+/).filter((t) => t !== "");
  let i = 0;
  let timestamp: number | undefined;
  let type: ConntrackEventType = "LISTED";
  const ts = /^\[(\d+)\.(\d+)\]$/.exec(tokens[i] ?? "");
  if (ts) {
    timestamp = Number(`${ts[1]}.${ts[2]}`);
    i++;
  }
  const ev = /^\[([A-Z]+)\]$/.exec(tokens[i] ?? "");
  if (ev && EVENT_TYPES.has(ev[1]!)) {
    type = ev[1] as ConntrackEventType;
    i++;
  }
  // -o extended: the layer 3 name and number first.
  if ((tokens[i] === "ipv4" || tokens[i] === "ipv6") && /^\d+$/.test(tokens[i + 1] ?? "")) i += 2;
  const protocol = tokens[i];
  const protocolNumber = Number(tokens[i + 1]);
  if (!protocol || !/^[a-z0-9-]+$/.test(protocol) || !Number.isInteger(protocolNumber)) return undefined;
  i += 2;
  // the timeout (absent in DESTROY events), then the state word for TCP/SCTP/DCCP.
  if (/^\d+$/.test(tokens[i] ?? "")) i++;
  let state: string | undefined;
  if (/^[A-Z_]+$/.test(tokens[i] ?? "")) state = tokens[i++];
  const tuples: Array<Partial<ConntrackTuple>> = [];
  let unreplied = false;
  let assured = false;
  const ids: number[] = [];
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === "[UNREPLIED]") unreplied = true;
    else if (t === "[ASSURED]") assured = true;
    const eq = t.indexOf("=");
    if (eq < 0) continue;
    const key = t.slice(0, eq);
    const value = t.slice(eq + 1);
    if (key === "src") {
      tuples.push({ src: value });
      continue;
    }
    const tuple = tuples[tuples.length - 1];
    const n = Number(value);
    if (key === "id") ids.push(n);
    if (!tuple) continue;
    if (key === "dst") tuple.dst = value;
    else if (key === "sport") tuple.sport = n;
    else if (key === "dport") tuple.dport = n;
    else if (key === "packets") tuple.packets = n;
    else if (key === "bytes") tuple.bytes = n;
  }
  const [original, reply] = tuples;
  if (!original?.src || !original.dst || !reply?.src || !reply.dst || tuples.length !== 2) return undefined;
  // ICMP tuples carry an `id=` each (the echo id) before the entry's own id.
  const icmp = protocol === "icmp" || protocol === "ipv6-icmp";
  if (icmp) {
    original.icmpId = ids[0];
    reply.icmpId = ids[1];
  }
  const id = icmp ? ids[2] : ids[0];
  return {
    type,
    ...(timestamp !== undefined ? { timestamp } : {}),
    protocol,
    protocolNumber,
    ...(state !== undefined ? { state } : {}),
    original: original as ConntrackTuple,
    reply: reply as ConntrackTuple,
    unreplied,
    assured,
    ...(id !== undefined && Number.isFinite(id) ? { id } : {}),
  };
}

/** conntrack's warning when the kernel dropped events because the socket buffer was full. */
export function isConntrackLossLine(line: string): boolean {
  return /ENOBUFS/.test(line);
}

/** Whether the kernel translated the destination: the reply does not come from where the client sent. */
export function isDnat(e: ConntrackEvent): boolean {
  return e.reply.src !== e.original.dst || e.reply.sport !== e.original.dport;
}

/** Whether the source was rewritten: the reply does not go back to the client's own address. */
export function isSnat(e: ConntrackEvent): boolean {
  return e.reply.dst !== e.original.src || e.reply.dport !== e.original.sport;
}

/** TCP states that mean the connection ended (the rest of it is the kernel's wait). */
export function isClosingState(state: string | undefined): boolean {
  return state === "TIME_WAIT" || state === "CLOSE";
}
