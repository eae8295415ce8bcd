// The cache of forwarded answers (CoreDNS's `cache` plugin in front of
// `forward`; in-zone data never goes through it, as kubeadm's
// `disable success/denial <zone>`). An entry keeps the upstream's sections
// ready to send (see wire/response.ts); a hit rewrites the TTLs to what is
// left of the entry's lifetime, as CoreDNS does.
import { RCODE } from "../rr.js";
import type { Prepared, Relayed } from "../wire/response.js";

export interface ForwardCacheOptions {
  /** entries at most (CoreDNS: 9984) */
  capacity?: number;
  /** cap of positive TTLs in seconds (3600) */
  maxTtl?: number;
  /** cap of negative TTLs in seconds (1800) */
  maxDenialTtl?: number;
  /** floor of every TTL in seconds (5) */
  minTtl?: number;
}

export interface CacheEntry {
  prepared: Prepared;
  denial: boolean;
  /** lifetime in seconds */
  ttl: number;
  /** when it was stored, ms */
  stored: number;
}

export class ForwardCache {
  private readonly map = new Map<string, CacheEntry>();
  private readonly capacity: number;
  private readonly maxTtl: number;
  private readonly maxDenialTtl: number;
  private readonly minTtl: number;
  private denials = 0;

  constructor(opts: ForwardCacheOptions = {}) {
    this.capacity = opts.capacity ?? 9984;
    this.maxTtl = opts.maxTtl ?? 3600;
    this.maxDenialTtl = opts.maxDenialTtl ?? 1800;
    this.minTtl = opts.minTtl ?? 5;
  }

  get size(): number {
    return this.map.size;
  }

  /** entries holding a positive answer / a denial (NXDOMAIN or NODATA) */
  counts(): { success: number; denial: number } {
    return { success: this.map.size - this.denials, denial: this.denials };
  }

  /** A live entry and the TTL left on it (whole seconds, at least 1), or undefined. */
  get(key: string, now: number): { entry: CacheEntry; remaining: number } | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    const remaining = entry.ttl - Math.floor((now - entry.stored) / 1000);
    if (remaining <= 0) {
      this.delete(key, entry);
      return undefined;
    }
    return { entry, remaining };
  }

  /** Stores a reply if it can be cached (NOERROR or NXDOMAIN, not truncated); returns the entry. */
  put(key: string, relayed: Relayed, now: number): CacheEntry | undefined {
    const p = relayed.prepared;
    if (relayed.truncated) return undefined;
    let ttl: number;
    let denial: boolean;
    if (p.rcode === RCODE.NOERROR && p.an > 0) {
      denial = false;
      ttl = Math.min(relayed.minTtl, this.maxTtl);
    } else if (p.rcode === RCODE.NXDOMAIN || (p.rcode === RCODE.NOERROR && p.an === 0)) {
      denial = true;
      ttl = Math.min(relayed.negativeTtl ?? this.minTtl, this.maxDenialTtl);
    } else return undefined;
    ttl = Math.max(ttl, this.minTtl);
    const old = this.map.get(key);
    if (old) this.delete(key, old);
    while (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.delete(oldest, this.map.get(oldest)!);
    }
    const entry: CacheEntry = { prepared: p, denial, ttl, stored: now };
    this.map.set(key, entry);
    if (denial) this.denials++;
    return entry;
  }

  clear(): void {
    this.map.clear();
    this.denials = 0;
  }

  private delete(key: string, entry: CacheEntry): void {
    if (this.map.delete(key) && entry.denial) this.denials--;
  }
}
