// CIDR blocks of either family: reading them (as Go's net.ParseCIDR: the
// address as written and the network with its host bits cleared),
// containment, addresses by offset and subnets by index.
import { IP, parseIP, type IPFamily, type IPSyntax } from "./ip.js";

const PREFIX: Readonly<Record<IPSyntax, Readonly<Record<IPFamily, RegExp>>>> = {
  sloppy: { 4: /^[0-9]{1,3}$/, 6: /^[0-9]{1,3}$/ },
  dotted: { 4: /^[0-9]{1,2}$/, 6: /^[0-9]{1,3}$/ },
  strict: { 4: /^(?:0|[1-9][0-9]?)$/, 6: /^(?:0|[1-9][0-9]{0,2})$/ },
};

export class CIDR {
  /** the network address: `ip` with its host bits cleared */
  readonly network: IP;

  private constructor(
    /** the address as written ("10.96.3.4" of "10.96.3.4/12"), as Go's ParseCIDR returns it beside the network */
    readonly ip: IP,
    readonly prefix: number,
  ) {
    this.network = ip.masked(prefix);
  }

  /** The block of `prefix` bits around `ip`; throws RangeError when the prefix does not fit the family. */
  static of(ip: IP, prefix: number): CIDR {
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > ip.bits) throw new RangeError(`prefix length ${prefix} is outside 0–${ip.bits}`);
    return new CIDR(ip, prefix);
  }

  get family(): IPFamily {
    return this.network.family;
  }

  /** How many addresses the block spans: 2^(bits − prefix) (exact up to 2^53). */
  get size(): number {
    return 2 ** (this.network.bits - this.prefix);
  }

  /** The last address of the block (IPv4's broadcast address). */
  get last(): IP {
    return this.network.plus(this.size - 1) ?? this.lastBySize();
  }

  /** Whether `ip` is inside the block. Families must match: unmap an IPv4-mapped address first to test it against an IPv4 block. */
  contains(ip: IP): boolean {
    return ip.matches(this.network, this.prefix);
  }

  /** The address `offset` addresses into the block (0: the network address), or undefined outside it. */
  at(offset: number): IP | undefined {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.size) return undefined;
    return this.network.plus(offset);
  }

  /** How far into the block `ip` lies, or undefined when it is not inside. */
  offsetOf(ip: IP): number | undefined {
    return this.contains(ip) ? ip.minus(this.network) : undefined;
  }

  /** The index-th block of `prefix` bits inside this one (("10.244.0.0/16").subnet(24, 3) → 10.244.3.0/24), or undefined when there is none. */
  subnet(prefix: number, index: number): CIDR | undefined {
    if (!Number.isInteger(prefix) || prefix < this.prefix || prefix > this.network.bits) return undefined;
    if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** (prefix - this.prefix)) return undefined;
    const start = this.network.plus(BigInt(index) << BigInt(this.network.bits - prefix));
    return start ? new CIDR(start, prefix) : undefined;
  }

  /** Go's IPNet.String(): the network address and the prefix length ("10.96.0.0/12"). */
  toString(): string {
    return `${this.network.toString()}/${this.prefix}`;
  }

  // Blocks larger than 2^53 addresses (IPv6 only): the last address by bits, not by count.
  private lastBySize(): IP {
    const bytes = this.network.toBytes();
    for (let bit = this.prefix; bit < this.network.bits; bit++) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
    return IP.fromBytes(bytes);
  }
}

/**
 * Reads "address/prefix" (see IPSyntax for the address; "sloppy", the API's
 * rule, by default), undefined when it is not a CIDR. The prefix may be up to
 * 32 for IPv4 and 128 for IPv6 text (an IPv4-mapped address is IPv6 here, as
 * in Go's ParseCIDR).
 */
export function parseCIDR(text: string, syntax: IPSyntax = "sloppy"): CIDR | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash), syntax);
  const bits = text.slice(slash + 1);
  if (!ip || !PREFIX[syntax][ip.family].test(bits)) return undefined;
  const prefix = Number(bits);
  return prefix <= ip.bits ? CIDR.of(ip, prefix) : undefined;
}
