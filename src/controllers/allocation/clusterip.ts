// ClusterIP allocation from the service CIDR, as the API server's IP range
// allocator does it: every address of the block except the network address
// and the broadcast address can be handed out; requested addresses must be in
// the range and free; dynamic picks are random and prefer the upper part of
// the range (the lower part is left for addresses asked for by number).
import { AllocationError, Bitmap, RANGE_FULL } from "./bitmap.js";
import { CIDR, parseCIDR } from "../../net/cidr.js";
import { parseIP, type IP } from "../../net/ip.js";

/**
 * An IPv4 CIDR as the allocators read it: the API's rule, host bits masked
 * as Go's net.ParseCIDR does, an IPv4-mapped address taken as IPv4 when the
 * prefix fits one; throws on anything else.
 */
export function parseIPv4Cidr(text: string): CIDR {
  const cidr = parseCIDR(text);
  const ip = cidr?.ip.to4();
  if (!cidr || !ip || cidr.prefix > 32) throw new Error(`${JSON.stringify(text)} is not an IPv4 CIDR (kemu's Services are IPv4 only)`);
  return CIDR.of(ip, cidr.prefix);
}

/** An address as the allocators read it: the API's rule, IPv4-mapped seen as IPv4; undefined for anything else. */
export function parseIPv4(text: string): IP | undefined {
  return parseIP(text)?.to4();
}

/**
 * How many low offsets upstream keeps for static allocation:
 * min(max(16, size/16), 256), and none for blocks of 16 addresses or fewer.
 */
export function clusterIpReservedOffset(size: number): number {
  if (size <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(size / 16)), 256);
}

export class ClusterIpAllocator {
  private readonly cidr: CIDR;
  private readonly bitmap: Bitmap;

  constructor(serviceCidr: string) {
    this.cidr = parseIPv4Cidr(serviceCidr);
    // Neither the network address nor the broadcast address is ever handed
    // out: bitmap offset 0 is the block's second address.
    const usable = Math.max(0, this.cidr.size - 2);
    this.bitmap = new Bitmap(usable, clusterIpReservedOffset(this.cidr.size));
  }

  /** The canonical range, as error messages print it (e.g. 10.96.0.0/12). */
  get range(): string {
    return this.cidr.toString();
  }

  get free(): number {
    return this.bitmap.free;
  }

  get used(): number {
    return this.bitmap.count;
  }

  /** The offset of an address that may be allocated, or undefined. */
  private offsetOf(ip: string): number | undefined {
    const addr = parseIPv4(ip);
    const inBlock = addr ? this.cidr.offsetOf(addr) : undefined;
    if (inBlock === undefined) return undefined;
    const offset = inBlock - 1;
    return offset >= 0 && offset < this.bitmap.size ? offset : undefined;
  }

  private ipAt(offset: number): string {
    return this.cidr.at(offset + 1)!.toString();
  }

  contains(ip: string): boolean {
    return this.offsetOf(ip) !== undefined;
  }

  has(ip: string): boolean {
    const offset = this.offsetOf(ip);
    return offset !== undefined && this.bitmap.has(offset);
  }

  /** Why `ip` cannot be allocated (upstream's words), or undefined when it can. */
  check(ip: string): string | undefined {
    const offset = this.offsetOf(ip);
    if (offset === undefined) {
      const shown = parseIPv4(ip)?.toString() ?? ip;
      return `the provided IP (${shown}) is not in the valid range. The range of valid IPs is ${this.range}`;
    }
    return this.bitmap.has(offset) ? "provided IP is already allocated" : undefined;
  }

  /** Reserves a requested address; throws AllocationError with upstream's message. */
  allocate(ip: string): void {
    const why = this.check(ip);
    if (why) throw new AllocationError(why);
    this.bitmap.claim(this.offsetOf(ip)!);
  }

  /** Reserves and returns a free address; throws AllocationError("range is full"). */
  allocateNext(): string {
    const offset = this.bitmap.claimNext();
    if (offset === undefined) throw new AllocationError(RANGE_FULL);
    return this.ipAt(offset);
  }

  /** The address allocateNext would be likely to return, without reserving it (dry runs). */
  peekNext(): string | undefined {
    const offset = this.bitmap.pick();
    return offset === undefined ? undefined : this.ipAt(offset);
  }

  /** Frees an address; freeing a free or foreign address does nothing. */
  release(ip: string): void {
    const offset = this.offsetOf(ip);
    if (offset !== undefined) this.bitmap.release(offset);
  }

  /** Remembers what is allocated; calling the result puts it back (a failed transaction). */
  checkpoint(): () => void {
    return this.bitmap.checkpoint();
  }

  /** Every allocated address, lowest first. */
  allocated(): string[] {
    return [...this.bitmap.slots()].map((o) => this.ipAt(o));
  }
}
