// ClusterIP allocation from the service CIDR, as the API server's IP range
// allocator does it: every address of the block except the network address
// and the broadcast address can be handed out; requested addresses must be in
// the range and free; dynamic picks are random and prefer the upper part of
// the range (the lower part is left for addresses asked for by number).
import { AllocationError, Bitmap, RANGE_FULL } from "./bitmap.js";
import { ipv4ToNumber, numberToIPv4, parseIPv4Cidr, type IPv4Cidr } from "./ipv4.js";

/**
 * How many low offsets upstream keeps for static allocation:
 * min(max(16, size/16), 256), and none for blocks of 16 addresses or fewer.
 */
export function clusterIpReservedOffset(size: number): number {
  if (size <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(size / 16)), 256);
}

export class ClusterIpAllocator {
  private readonly cidr: IPv4Cidr;
  private readonly bitmap: Bitmap;
  /** the address of offset 0 (network address + 1) */
  private readonly first: number;

  constructor(serviceCidr: string) {
    this.cidr = parseIPv4Cidr(serviceCidr);
    // Neither the network address nor the broadcast address is ever handed out.
    const usable = Math.max(0, this.cidr.size - 2);
    this.first = this.cidr.base + 1;
    this.bitmap = new Bitmap(usable, clusterIpReservedOffset(this.cidr.size));
  }

  /** The canonical range, as error messages print it (e.g. 10.96.0.0/12). */
  get range(): string {
    return this.cidr.text;
  }

  get free(): number {
    return this.bitmap.free;
  }

  get used(): number {
    return this.bitmap.count;
  }

  /** The offset of an address that may be allocated, or undefined. */
  private offsetOf(ip: string): number | undefined {
    const n = ipv4ToNumber(ip);
    if (n === undefined) return undefined;
    const offset = n - this.first;
    return offset >= 0 && offset < this.bitmap.size ? offset : undefined;
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
      const n = ipv4ToNumber(ip);
      const shown = n === undefined ? ip : numberToIPv4(n);
      return `the provided IP (${shown}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`;
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
    return numberToIPv4(this.first + offset);
  }

  /** The address allocateNext would be likely to return, without reserving it (dry runs). */
  peekNext(): string | undefined {
    const offset = this.bitmap.pick();
    return offset === undefined ? undefined : numberToIPv4(this.first + offset);
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
    return [...this.bitmap.slots()].map((o) => numberToIPv4(this.first + o));
  }
}
