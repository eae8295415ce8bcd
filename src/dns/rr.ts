// The resource-record model shared by the zone logic (kubernetes/), the wire
// codec (wire/) and the forwarder: DNS constants and records as plain data.

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  HTTPS: 65,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const CLASS_IN = 1;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

const RCODE_NAMES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"];

/** The rcode as dig and CoreDNS's metrics spell it. */
export function rcodeName(rcode: number): string {
  if (rcode === RCODE.BADVERS) return "BADVERS";
  return RCODE_NAMES[rcode] ?? String(rcode);
}

const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));

/** "A", "SRV", … or "TYPE123" for the ones we have no name for. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** Record data. Names are absolute, without the trailing dot. */
export type RData =
  | { kind: "A"; address: string }
  | { kind: "AAAA"; address: string }
  | { kind: "CNAME"; target: string }
  | { kind: "PTR"; target: string }
  | { kind: "NS"; target: string }
  | { kind: "MX"; preference: number; exchange: string }
  | { kind: "SRV"; priority: number; weight: number; port: number; target: string }
  | { kind: "TXT"; text: string[] }
  | { kind: "SOA"; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  /** Anything else, with its rdata as on the wire (no compressed names inside). */
  | { kind: "RAW"; type: number; rdata: Buffer };

/** A resource record; `class` defaults to IN. */
export type RR = RData & { name: string; ttl: number; class?: number };

export function rrType(rr: RData): number {
  return rr.kind === "RAW" ? rr.type : TYPE[rr.kind];
}

/** What the zone (or a chase through it) answers for one question. */
export interface Answer {
  rcode: number;
  /** authoritative answer (AA flag) */
  aa: boolean;
  answer: RR[];
  authority: RR[];
  additional: RR[];
  /**
   * The answer ends in a CNAME to a name outside the zone (an ExternalName
   * Service): the server may resolve `target`/`qtype` upstream and append
   * what it finds to `answer`.
   */
  chase?: { target: string; qtype: number };
}

/** Lower-cases ASCII letters only (DNS names compare case-insensitively in ASCII, RFC 4343). */
export function asciiLower(name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : name;
}

/** "a.b." and "A.b" → "a.b" (for comparisons). */
export function canonicalName(name: string): string {
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  return asciiLower(n);
}

/** A record in zone-file form, as dig prints it: "web.app.svc.cluster.local. 30 IN A 10.96.0.20". */
export function rrText(rr: RR): string {
  const owner = `${rr.name}.`.replace(/^\.$/, ".").replace(/\.\.$/, ".");
  const cls = (rr.class ?? CLASS_IN) === CLASS_IN ? "IN" : `CLASS${rr.class}`;
  const head = `${owner} ${rr.ttl} ${cls}`;
  const fq = (n: string) => (n === "" ? "." : `${n}.`);
  switch (rr.kind) {
    case "A":
    case "AAAA":
      return `${head} ${rr.kind} ${rr.address}`;
    case "CNAME":
    case "PTR":
    case "NS":
      return `${head} ${rr.kind} ${fq(rr.target)}`;
    case "MX":
      return `${head} MX ${rr.preference} ${fq(rr.exchange)}`;
    case "SRV":
      return `${head} SRV ${rr.priority} ${rr.weight} ${rr.port} ${fq(rr.target)}`;
    case "TXT":
      return `${head} TXT ${rr.text.map((t) => JSON.stringify(t)).join(" ")}`;
    case "SOA":
      return `${head} SOA ${fq(rr.mname)} ${fq(rr.rname)} ${rr.serial} ${rr.refresh} ${rr.retry} ${rr.expire} ${rr.minimum}`;
    case "RAW":
      return `${head} ${typeName(rr.type)} \\# ${rr.rdata.length} ${rr.rdata.toString("hex")}`;
  }
}
