// A fixed-size set of numbered slots (IP offsets, port offsets), one bit
// each, as the API server's allocation bitmap keeps them. Dynamic picks are
// random: a random start, then the first free slot scanning forward with
// wrap-around. Upstream splits the range in two: the low `reserved` slots are
// meant for values clients ask for by number (10.96.0.1 for `kubernetes`,
// 10.96.0.10 for `kube-dns`), so dynamic picks come from the upper part and
// only fall back to the lower part when the upper one is full.
import { randomInt } from "node:crypto";

/** Thrown when a value cannot be allocated; the message is the API server's wording. */
export class AllocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AllocationError";
  }
}

/** The upstream wording when nothing is left to hand out. */
export const RANGE_FULL = "range is full";

export class Bitmap {
  private readonly words: Uint32Array;
  private used = 0;

  /**
   * @param size number of slots (0..size-1)
   * @param reserved how many low slots dynamic allocation avoids while the rest has room
   */
  constructor(
    readonly size: number,
    readonly reserved = 0,
  ) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`bitmap size must be a non-negative integer, not ${size}`);
    this.words = new Uint32Array(Math.ceil(size / 32));
    this.reserved = Math.max(0, Math.min(reserved, size));
  }

  get free(): number {
    return this.size - this.used;
  }

  get count(): number {
    return this.used;
  }

  has(slot: number): boolean {
    if (!this.inRange(slot)) return false;
    return (this.words[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }

  /** Marks a slot used; false when it already was (or is out of range). */
  claim(slot: number): boolean {
    if (!this.inRange(slot) || this.has(slot)) return false;
    this.words[slot >>> 5]! |= 1 << (slot & 31);
    this.used += 1;
    return true;
  }

  /** Frees a slot; freeing a free or out-of-range slot does nothing. */
  release(slot: number): void {
    if (!this.has(slot)) return;
    this.words[slot >>> 5]! &= ~(1 << (slot & 31));
    this.used -= 1;
  }

  /** A free slot chosen as upstream does (random, upper part first), without claiming it. */
  pick(): number | undefined {
    if (this.used >= this.size) return undefined;
    const upper = this.size - this.reserved;
    const found = this.scan(this.reserved, upper);
    return found ?? this.scan(0, this.reserved);
  }

  /** The lowest free slot (MetalLB's order for load-balancer IPs), without claiming it. */
  lowestFree(): number | undefined {
    if (this.used >= this.size) return undefined;
    for (let w = 0; w < this.words.length; w++) {
      const word = this.words[w]!;
      if (word === 0xffffffff) continue;
      for (let b = 0; b < 32; b++) {
        const slot = w * 32 + b;
        if (slot >= this.size) return undefined;
        if ((word & (1 << b)) === 0) return slot;
      }
    }
    return undefined;
  }

  /** Claims and returns a free slot, or undefined when the bitmap is full. */
  claimNext(): number | undefined {
    const slot = this.pick();
    if (slot !== undefined) this.claim(slot);
    return slot;
  }

  /** Remembers which slots are used; calling the result puts the bitmap back to that. */
  checkpoint(): () => void {
    const words = this.words.slice();
    const used = this.used;
    return () => {
      this.words.set(words);
      this.used = used;
    };
  }

  /** Every used slot, lowest first. */
  *slots(): IterableIterator<number> {
    for (let w = 0; w < this.words.length; w++) {
      const word = this.words[w]!;
      if (word === 0) continue;
      for (let b = 0; b < 32; b++) if (word & (1 << b)) yield w * 32 + b;
    }
  }

  /** The first free slot in [base, base+length), starting at a random point and wrapping. */
  private scan(base: number, length: number): number | undefined {
    if (length <= 0) return undefined;
    const start = randomInt(length);
    for (let i = 0; i < length; i++) {
      const slot = base + ((start + i) % length);
      if (!this.has(slot)) return slot;
    }
    return undefined;
  }

  private inRange(slot: number): boolean {
    return Number.isInteger(slot) && slot >= 0 && slot < this.size;
  }
}
