// Inclusive ranges of addresses of one family ("172.18.255.1-172.18.255.9"),
// for pools that are not whole CIDR blocks.
import type { CIDR } from "./cidr.js";
import type { IP, IPFamily } from "./ip.js";

export class IPRange {
  private constructor(
    readonly first: IP,
    readonly last: IP,
  ) {}

  /** first..last inclusive; undefined when the families differ or last comes before first. */
  static of(first: IP, last: IP): IPRange | undefined {
    return first.family === last.family && first.compare(last) <= 0 ? new IPRange(first, last) : undefined;
  }

  /** Every address of a block. */
  static fromCIDR(cidr: CIDR): IPRange {
    return new IPRange(cidr.network, cidr.last);
  }

  get family(): IPFamily {
    return this.first.family;
  }

  /** How many addresses the range holds (exact up to 2^53). */
  get size(): number {
    return (this.last.minus(this.first) ?? Infinity) + 1;
  }

  contains(ip: IP): boolean {
    return ip.family === this.family && ip.compare(this.first) >= 0 && ip.compare(this.last) <= 0;
  }

  /** The address `offset` addresses into the range (0: first), or undefined outside it. */
  at(offset: number): IP | undefined {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.size) return undefined;
    return this.first.plus(offset);
  }

  /** How far into the range `ip` lies, or undefined when it is not inside. */
  offsetOf(ip: IP): number | undefined {
    return this.contains(ip) ? ip.minus(this.first) : undefined;
  }

  toString(): string {
    return `${this.first.toString()}-${this.last.toString()}`;
  }
}
