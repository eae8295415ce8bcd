// IP addresses, IPv4 and IPv6: reading them from text, their canonical text,
// the special ranges, and arithmetic. Every part of kemu that reads or
// computes addresses does it here (CIDRs: cidr.ts, ranges: range.ts).
//
// Values are ipaddr.js addresses; the text grammar is kemu's own, because
// the API has to read addresses exactly as Kubernetes does (Go's
// net.ParseIP), and ipaddr.js reads forms that Go refuses or reads
// differently: "010" as octal eight, hex octets, fewer than four parts, zone
// indexes ("fe80::1%eth0").
import ipaddr from "ipaddr.js";

export type IPFamily = 4 | 6;

/**
 * How address text is read. The readers of addresses in kemu differ in how
 * they treat leading zeros, and each keeps its own rule:
 * - "sloppy": Kubernetes' netutils.ParseIPSloppy / ParseCIDRSloppy (Go's
 *   net.ParseIP before Go 1.17), what the API accepts: IPv4 octets may have
 *   leading zeros and are decimal ("010" is ten; kemu allows at most 8
 *   digits); prefix lengths have at most 3 digits.
 * - "dotted": octets of 1–3 digits; prefix lengths with at most as many
 *   digits as the family's longest (2 for IPv4, 3 for IPv6). What
 *   kube-proxy's iptables renderer takes.
 * - "strict": no leading zeros anywhere (Go 1.17+ net.ParseIP, net/netip,
 *   Node's net.isIP): what DNS names and answers hold.
 * In every syntax IPv6 groups are 1–4 hex digits, "::" appears at most once
 * and stands for at least one group, an IPv4 address may end the text
 * (read by the same octet rule), and zones ("%eth0") are refused.
 */
export type IPSyntax = "sloppy" | "dotted" | "strict";

const OCTET: Readonly<Record<IPSyntax, string>> = {
  sloppy: "([0-9]{1,8})",
  dotted: "([0-9]{1,3})",
  strict: "(0|[1-9][0-9]{0,2})",
};
const DOTTED_QUAD: Readonly<Record<IPSyntax, RegExp>> = {
  sloppy: quad(OCTET.sloppy),
  dotted: quad(OCTET.dotted),
  strict: quad(OCTET.strict),
};
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function quad(octet: string): RegExp {
  return new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}$`);
}

/** Dotted-decimal IPv4 text as an unsigned 32-bit number, or undefined. */
function readIPv4(text: string, syntax: IPSyntax): number | undefined {
  const m = DOTTED_QUAD[syntax].exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const v = Number(m[i]);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** The 16-bit groups of one side of "::" (an IPv4 address may end it), or undefined. */
function readGroups(text: string, syntax: IPSyntax): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === parts.length - 1 && p.includes(".")) {
      const v4 = readIPv4(p, syntax);
      if (v4 === undefined) return undefined;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!HEX_GROUP.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
  }
  return out;
}

/** IPv6 text as its eight 16-bit groups, or undefined. */
function readIPv6(text: string, syntax: IPSyntax): number[] | undefined {
  if (text.includes("%")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = readGroups(halves[0]!, syntax);
  const tail = halves.length === 2 ? readGroups(halves[1]!, syntax) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

const TWO_32 = 2 ** 32;
const TWO_128 = 1n << 128n;

/** An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are IPv6 until unmapped(). */
export class IP {
  /** IPv4 only: the address as an unsigned 32-bit number (what IPv4 arithmetic and masks work on). */
  private readonly n: number;

  private constructor(private readonly addr: ipaddr.IPv4 | ipaddr.IPv6) {
    this.n = addr.kind() === "ipv4" ? octetsToNumber((addr as ipaddr.IPv4).octets) : 0;
  }

  /** The IPv4 address of an unsigned 32-bit number. */
  static fromIPv4Number(n: number): IP {
    if (!Number.isInteger(n) || n < 0 || n >= TWO_32) throw new RangeError(`not an IPv4 address as a number: ${n}`);
    return new IP(new ipaddr.IPv4([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]));
  }

  /** An address from its 4 (IPv4) or 16 (IPv6) bytes, in network order. */
  static fromBytes(bytes: ArrayLike<number>): IP {
    if (bytes.length !== 4 && bytes.length !== 16) throw new RangeError(`an address has 4 or 16 bytes, not ${bytes.length}`);
    return new IP(ipaddr.fromByteArray(Array.from(bytes)));
  }

  /** The IPv6 address of eight 16-bit groups. */
  static fromIPv6Groups(groups: readonly number[]): IP {
    if (groups.length !== 8 || !groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)) throw new RangeError(`an IPv6 address has eight 16-bit groups, not [${groups.join(",")}]`);
    return new IP(new ipaddr.IPv6([...groups]));
  }

  get family(): IPFamily {
    return this.addr.kind() === "ipv4" ? 4 : 6;
  }

  /** The address length in bits: 32 or 128. */
  get bits(): 32 | 128 {
    return this.family === 4 ? 32 : 128;
  }

  /** 4 or 16 bytes, network order. */
  toBytes(): number[] {
    return this.addr.toByteArray();
  }

  /**
   * Canonical text: dotted decimal for IPv4, RFC 5952 for IPv6 (lowercase,
   * longest zero run as "::"; an IPv4-mapped address in hex groups,
   * ::ffff:a00:1 — unmapped() first for Go's "10.0.0.1").
   */
  toString(): string {
    return this.addr.toString();
  }

  isIPv4Mapped(): boolean {
    return this.addr.kind() === "ipv6" && (this.addr as ipaddr.IPv6).isIPv4MappedAddress();
  }

  /** Go's To4(): the IPv4 address of an IPv4 or IPv4-mapped IPv6 address, else undefined. */
  to4(): IP | undefined {
    if (this.family === 4) return this;
    return this.isIPv4Mapped() ? new IP((this.addr as ipaddr.IPv6).toIPv4Address()) : undefined;
  }

  /** The IPv4 address for an IPv4-mapped IPv6 one, else this address: its family is the one Go's net package sees. */
  unmapped(): IP {
    return this.to4() ?? this;
  }

  /** Same family and same address (an IPv4 address never equals its IPv4-mapped form). */
  equals(other: IP): boolean {
    return this.compare(other) === 0;
  }

  /** Orders IPv4 before IPv6, then by numeric value. */
  compare(other: IP): number {
    if (this.family !== other.family) return this.family - other.family;
    if (this.family === 4) return this.n - other.n;
    const a = this.toBigInt();
    const b = other.toBigInt();
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** The address `delta` addresses further on (or back), or undefined when that leaves the family's address space. */
  plus(delta: number | bigint): IP | undefined {
    if (typeof delta === "number" && !Number.isSafeInteger(delta)) return undefined;
    if (this.family === 4) {
      const n = this.n + Number(delta);
      return n >= 0 && n < TWO_32 ? IP.fromIPv4Number(n) : undefined;
    }
    const n = this.toBigInt() + BigInt(delta);
    return n >= 0n && n < TWO_128 ? IP.fromBigInt6(n) : undefined;
  }

  /** How many addresses this one lies after `other` (negative when before); undefined across families or beyond 2^53. */
  minus(other: IP): number | undefined {
    if (this.family !== other.family) return undefined;
    if (this.family === 4) return this.n - other.n;
    const d = Number(this.toBigInt() - other.toBigInt());
    return Number.isSafeInteger(d) ? d : undefined;
  }

  /** The first `prefix` bits kept, the rest zero. */
  masked(prefix: number): IP {
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > this.bits) throw new RangeError(`prefix length ${prefix} is outside 0–${this.bits}`);
    if (this.family === 4) return IP.fromIPv4Number(prefix === 0 ? 0 : (this.n & (0xffffffff << (32 - prefix))) >>> 0);
    const host = 128n - BigInt(prefix);
    return IP.fromBigInt6((this.toBigInt() >> host) << host);
  }

  /** Whether the first `prefix` bits equal `network`'s (same family only). */
  matches(network: IP, prefix: number): boolean {
    if (this.family !== network.family) return false;
    if (this.family === 4) return prefix === 0 || (this.n ^ network.n) >>> (32 - prefix) === 0;
    return this.addr.match(network.addr, prefix);
  }

  // The special addresses as Go's net.IP methods define them (family as written: unmap first for Go's view).

  /** 0.0.0.0 or :: */
  isUnspecified(): boolean {
    return this.family === 4 ? this.n === 0 : this.toBigInt() === 0n;
  }

  /** 127.0.0.0/8 or ::1 */
  isLoopback(): boolean {
    return this.family === 4 ? this.n >>> 24 === 127 : this.toBigInt() === 1n;
  }

  /** 169.254.0.0/16 or fe80::/10 */
  isLinkLocalUnicast(): boolean {
    return this.family === 4 ? this.n >>> 16 === 0xa9fe : (this.addr as ipaddr.IPv6).parts[0]! >>> 6 === 0xfe80 >>> 6;
  }

  /** 224.0.0.0/24, or IPv6 multicast of link-local scope (ffx2::) */
  isLinkLocalMulticast(): boolean {
    return this.family === 4 ? this.n >>> 8 === 0xe00000 : ((this.addr as ipaddr.IPv6).parts[0]! & 0xff0f) === 0xff02;
  }

  private toBigInt(): bigint {
    let v = 0n;
    for (const p of (this.addr as ipaddr.IPv6).parts) v = (v << 16n) | BigInt(p);
    return v;
  }

  private static fromBigInt6(n: bigint): IP {
    const parts: number[] = [];
    for (let i = 7; i >= 0; i--) parts.push(Number((n >> BigInt(i * 16)) & 0xffffn));
    return IP.fromIPv6Groups(parts);
  }
}

function octetsToNumber(o: readonly number[]): number {
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

/** Reads address text (see IPSyntax; "sloppy", the API's rule, by default); undefined when it is not an address. */
export function parseIP(text: string, syntax: IPSyntax = "sloppy"): IP | undefined {
  if (text.includes(":")) {
    const groups = readIPv6(text, syntax);
    return groups ? IP.fromIPv6Groups(groups) : undefined;
  }
  const n = readIPv4(text, syntax);
  return n === undefined ? undefined : IP.fromIPv4Number(n);
}
