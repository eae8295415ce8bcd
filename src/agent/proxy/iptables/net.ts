// Small IPv4 helpers for the renderer (pure, no I/O).

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as a 32-bit unsigned number, or undefined when it is not a dotted-quad IPv4 address. */
export function ipv4ToNumber(ip: string): number | undefined {
  const m = IPV4.exec(ip);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function isIPv4(ip: string): boolean {
  return ipv4ToNumber(ip) !== undefined;
}

function numberToIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export interface IPv4CIDR {
  /** canonical text: the network address and prefix length ("203.0.113.0/25"), as Go's IPNet.String() */
  text: string;
  contains(ip: string): boolean;
}

/** Parses "a.b.c.d/n" (surrounding whitespace ignored, host bits cleared); undefined when not an IPv4 CIDR. */
export function parseIPv4CIDR(cidr: string): IPv4CIDR | undefined {
  const [addr, bits, ...rest] = cidr.trim().split("/");
  if (rest.length || addr === undefined || bits === undefined || !/^\d{1,2}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  const ip = ipv4ToNumber(addr);
  if (ip === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const network = Math.floor(ip / size) * size;
  return {
    text: `${numberToIPv4(network)}/${prefix}`,
    contains(other: string): boolean {
      const o = ipv4ToNumber(other);
      return o !== undefined && o >= network && o < network + size;
    },
  };
}
