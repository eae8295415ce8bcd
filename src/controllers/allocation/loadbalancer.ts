// Load-balancer IPs from an address pool, the way MetalLB hands them out on a
// kind cluster: the pool is a CIDR or an inclusive "first-last" range, or
// several of those separated by commas; the lowest free address goes first;
// a Service may ask for a particular address with spec.loadBalancerIP. Of a
// CIDR, the network and broadcast addresses are left out (MetalLB hands them
// out unless `avoidBuggyIPs` is set; 172.18.255.0 as a first LoadBalancer IP
// would only confuse).
import { IPRange } from "../../net/range.js";
import { Bitmap } from "./bitmap.js";
import { parseIPv4, parseIPv4Cidr } from "./clusterip.js";

interface Segment {
  range: IPRange;
  /** slot of the range's first address in the bitmap */
  offset: number;
}

/** Pools larger than this are refused (the bitmap would be needlessly large). */
const MAX_POOL = 1 << 24;

export class LoadBalancerPool {
  private readonly segments: Segment[] = [];
  private readonly bitmap: Bitmap;

  constructor(readonly pool: string) {
    let total = 0;
    for (const part of pool.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
      const range = parseSegment(part);
      this.segments.push({ range, offset: total });
      total += range.size;
    }
    if (this.segments.length === 0) throw new Error(`empty load-balancer pool ${JSON.stringify(pool)}`);
    if (total > MAX_POOL) throw new Error(`load-balancer pool ${pool} is too large (${total} addresses; at most ${MAX_POOL})`);
    this.bitmap = new Bitmap(total);
  }

  get free(): number {
    return this.bitmap.free;
  }

  get used(): number {
    return this.bitmap.count;
  }

  private slotOf(ip: string): number | undefined {
    const addr = parseIPv4(ip);
    if (addr === undefined) return undefined;
    for (const seg of this.segments) {
      const inRange = seg.range.offsetOf(addr);
      if (inRange !== undefined) return seg.offset + inRange;
    }
    return undefined;
  }

  private ipOf(slot: number): string {
    const seg = this.segments.find((s) => slot >= s.offset && slot < s.offset + s.range.size)!;
    return seg.range.at(slot - seg.offset)!.toString();
  }

  contains(ip: string): boolean {
    return this.slotOf(ip) !== undefined;
  }

  has(ip: string): boolean {
    const slot = this.slotOf(ip);
    return slot !== undefined && this.bitmap.has(slot);
  }

  /** Reserves a requested address; false when it is outside the pool or taken. */
  claim(ip: string): boolean {
    const slot = this.slotOf(ip);
    return slot !== undefined && this.bitmap.claim(slot);
  }

  /** The lowest free address, without reserving it. */
  peekNext(): string | undefined {
    const slot = this.bitmap.lowestFree();
    return slot === undefined ? undefined : this.ipOf(slot);
  }

  /** Reserves and returns the lowest free address, or undefined when the pool is used up. */
  claimNext(): string | undefined {
    const slot = this.bitmap.lowestFree();
    if (slot === undefined) return undefined;
    this.bitmap.claim(slot);
    return this.ipOf(slot);
  }

  release(ip: string): void {
    const slot = this.slotOf(ip);
    if (slot !== undefined) this.bitmap.release(slot);
  }

  /** Remembers what is allocated; calling the result puts it back (a failed transaction). */
  checkpoint(): () => void {
    return this.bitmap.checkpoint();
  }

  /** Every reserved address, in pool order. */
  allocated(): string[] {
    return [...this.bitmap.slots()].map((s) => this.ipOf(s));
  }
}

function parseSegment(text: string): IPRange {
  if (text.includes("/")) {
    const cidr = parseIPv4Cidr(text);
    const edges = cidr.prefix <= 30 ? 1 : 0;
    return IPRange.of(cidr.at(edges)!, cidr.at(cidr.size - 1 - edges)!)!;
  }
  const dash = text.indexOf("-");
  const first = parseIPv4(dash < 0 ? text : text.slice(0, dash).trim());
  const last = dash < 0 ? first : parseIPv4(text.slice(dash + 1).trim());
  const range = first && last ? IPRange.of(first, last) : undefined;
  if (!range) throw new Error(`${JSON.stringify(text)} is neither an IPv4 CIDR nor an IPv4 range "first-last"`);
  return range;
}
