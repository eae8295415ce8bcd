// NodePort allocation, as the API server's port allocator does it: one
// cluster-wide set of port numbers (a number taken by a TCP port is taken for
// UDP too), requested ports must be in the range and free, dynamic picks are
// random and prefer the upper part of the range.
import { AllocationError, Bitmap, RANGE_FULL } from "./bitmap.js";

/**
 * How many low ports upstream keeps for static allocation:
 * min(max(16, size/32), 128), and none for ranges of 16 ports or fewer
 * (86 for the default 30000-32767: dynamic ports come from 30086-32767 first).
 */
export function nodePortReservedOffset(size: number): number {
  if (size <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(size / 32)), 128);
}

export class NodePortAllocator {
  private readonly bitmap: Bitmap;

  constructor(readonly portRange: readonly [first: number, last: number]) {
    const [first, last] = portRange;
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last > 65535 || last < first) {
      throw new Error(`invalid node port range ${first}-${last}`);
    }
    const size = last - first + 1;
    this.bitmap = new Bitmap(size, nodePortReservedOffset(size));
  }

  /** "30000-32767", as error messages print it. */
  get range(): string {
    return `${this.portRange[0]}-${this.portRange[1]}`;
  }

  get free(): number {
    return this.bitmap.free;
  }

  get used(): number {
    return this.bitmap.count;
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.portRange[0] && port <= this.portRange[1];
  }

  has(port: number): boolean {
    return this.contains(port) && this.bitmap.has(port - this.portRange[0]);
  }

  /** Why `port` cannot be allocated (upstream's words), or undefined when it can. */
  check(port: number): string | undefined {
    if (!this.contains(port)) return `provided port is not in the valid range. The range of valid ports is ${this.range}`;
    return this.has(port) ? "provided port is already allocated" : undefined;
  }

  /** Reserves a requested port; throws AllocationError with upstream's message. */
  allocate(port: number): void {
    const why = this.check(port);
    if (why) throw new AllocationError(why);
    this.bitmap.claim(port - this.portRange[0]);
  }

  /** Reserves and returns a free port; throws AllocationError("range is full"). */
  allocateNext(): number {
    const offset = this.bitmap.claimNext();
    if (offset === undefined) throw new AllocationError(RANGE_FULL);
    return this.portRange[0] + offset;
  }

  /** Frees a port; freeing a free or out-of-range port does nothing. */
  release(port: number): void {
    if (this.contains(port)) this.bitmap.release(port - this.portRange[0]);
  }

  /** Remembers what is allocated; calling the result puts it back (a failed transaction). */
  checkpoint(): () => void {
    return this.bitmap.checkpoint();
  }

  /** Every allocated port, lowest first. */
  allocated(): number[] {
    return [...this.bitmap.slots()].map((o) => this.portRange[0] + o);
  }
}
