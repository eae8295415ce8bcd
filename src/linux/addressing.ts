// Address arithmetic for the emulated networks (pure; IPv4 for now).
import ipaddr from "ipaddr.js";

export function ipToInt(ip: string): number {
  const b = ipaddr.IPv4.parse(ip).octets;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseCidr(cidr: string): { base: number; bits: number } {
  const [addr, bits] = ipaddr.IPv4.parseCIDR(cidr);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (ipToInt(addr.toString()) & mask) >>> 0, bits };
}

export function inCidr(ip: string, cidr: string): boolean {
  const { base, bits } = parseCidr(cidr);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === base;
}

/** The index-th /24 inside a larger block: ("10.244.0.0/16", 3) → "10.244.3.0/24". */
export function subnetByIndex(cluster: string, index: number, prefix = 24): string {
  const { base, bits } = parseCidr(cluster);
  if (index < 0 || index >= 2 ** (prefix - bits)) throw new RangeError(`subnet index ${index} is outside ${cluster}`);
  return `${intToIp(base + index * 2 ** (32 - prefix))}/${prefix}`;
}

export function subnetIndex(cluster: string, subnet: string): number {
  const { base } = parseCidr(cluster);
  const sub = parseCidr(subnet);
  return (sub.base - base) / 2 ** (32 - sub.bits);
}

/** The first usable address: the node's gateway for its pods (flannel's .1). */
export function gatewayOf(cidr: string): string {
  return intToIp(parseCidr(cidr).base + 1);
}

export function prefixLength(cidr: string): number {
  return parseCidr(cidr).bits;
}

/**
 * host-local IPAM: the next free address after the last one handed out, so a
 * deleted pod's IP is not reused at once (stale conntrack entries, caches).
 * Skips the network, gateway (.1) and broadcast addresses.
 */
export function allocatePodIp(cidr: string, used: ReadonlySet<string>, last?: string): string | undefined {
  const { base, bits } = parseCidr(cidr);
  const size = 2 ** (32 - bits);
  const first = 2;
  const lastUsable = size - 2;
  const start = last && inCidr(last, cidr) ? ipToInt(last) - base + 1 : first;
  for (let i = 0; i <= lastUsable - first; i++) {
    const offset = first + ((start - first + i) % (lastUsable - first + 1));
    const ip = intToIp(base + offset);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** Node k (1-based) on the underlay: 172.18.0.(k+1); .1 is the outside host. */
export function nodeAddress(underlay: string, index: number): string {
  return intToIp(parseCidr(underlay).base + index + 1);
}

export function outsideAddress(underlay: string): string {
  return intToIp(parseCidr(underlay).base + 1);
}
