// IPv4 addresses as 32-bit numbers, for the allocators' arithmetic.
import { parseCIDR, parseIP } from "../../api/validation/net.js";

/** The address as an unsigned 32-bit number, or undefined when it is not IPv4. */
export function ipv4ToNumber(text: string): number | undefined {
  const ip = parseIP(text);
  if (!ip || ip.family !== 4) return undefined;
  const [a, b, c, d] = ip.bytes.slice(12) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export function numberToIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}

export interface IPv4Cidr {
  /** the network address */
  base: number;
  prefix: number;
  /** how many addresses the block spans (2^(32-prefix)) */
  size: number;
  /** canonical text, e.g. 10.96.0.0/12 for 10.96.3.4/12 */
  text: string;
}

/** Parses an IPv4 CIDR, masking host bits as Go's net.ParseCIDR does; throws on anything else. */
export function parseIPv4Cidr(text: string): IPv4Cidr {
  const cidr = parseCIDR(text);
  if (!cidr || cidr.ip.family !== 4 || cidr.prefix > 32) throw new Error(`${JSON.stringify(text)} is not an IPv4 CIDR (kemu's Services are IPv4 only)`);
  const prefix = cidr.prefix;
  const size = 2 ** (32 - prefix);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const base = (ipv4ToNumber(text.slice(0, text.indexOf("/")))! & mask) >>> 0;
  return { base, prefix, size, text: `${numberToIPv4(base)}/${prefix}` };
}
