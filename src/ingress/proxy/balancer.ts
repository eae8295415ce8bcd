// Round robin per backend (ingress-nginx's default `load-balance:
// round_robin`, reference §7), skipping endpoints a retry already tried.
// The counter is per backend so one backend's traffic does not skew another's.
import type { WeightedBackend } from "../table.js";
import { endpointKey, type Endpoint } from "./endpoint.js";

export class RoundRobin {
  private readonly cursors = new Map<string, number>();

  /** The next endpoint of `backend` not in `tried`, or undefined when every one was tried. */
  pick(backend: string, endpoints: readonly Endpoint[], tried: ReadonlySet<string> = new Set()): Endpoint | undefined {
    const n = endpoints.length;
    const start = this.cursors.get(backend) ?? 0;
    for (let i = 0; i < n; i++) {
      const e = endpoints[(start + i) % n]!;
      if (tried.has(endpointKey(e))) continue;
      this.cursors.set(backend, (start + i + 1) % n);
      return e;
    }
    return undefined;
  }

  /** Forgets backends no longer in use (keeps the map bounded by the table). */
  retain(backends: ReadonlySet<string>): void {
    for (const k of this.cursors.keys()) if (!backends.has(k)) this.cursors.delete(k);
  }
}

/**
 * A route's backend for one request, drawn by weight (Gateway API's traffic
 * split; an Ingress route has one). Undefined when every weight is 0 or
 * there is none: nothing to send to, answered 500.
 */
export function pickWeighted(backends: readonly WeightedBackend[], random: () => number = Math.random): WeightedBackend | undefined {
  if (backends.length === 1) return backends[0]!.weight > 0 ? backends[0] : undefined;
  const total = backends.reduce((n, b) => n + b.weight, 0);
  if (total <= 0) return undefined;
  let r = random() * total;
  for (const b of backends) {
    if (r < b.weight) return b;
    r -= b.weight;
  }
  return [...backends].reverse().find((b) => b.weight > 0);
}
