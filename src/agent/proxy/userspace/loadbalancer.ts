// The userspace proxier's round-robin balancer (upstream: pkg/proxy/userspace
// roundrobin.go, LoadBalancerRR), one instance per service port. Pure logic:
// the clock and the random source are injectable.
//
// Facts reproduced from upstream:
// - the endpoint list is shuffled once whenever its *set* changes (a reordered
//   but equal list changes nothing), and the round-robin index goes back to 0;
// - ClientIP affinity: a map client IP -> endpoint + last-used time; an entry
//   is honoured while (now - lastUsed) in whole seconds is below the timeout,
//   and using it refreshes lastUsed; a timeout of 0 means the default 10800 s;
// - entries pointing at an endpoint that disappeared are dropped when the
//   endpoints change, and expired ones are swept periodically (upstream: on
//   every sync, CleanupStaleStickySessions);
// - a dial retry asks again with "affinity reset": the stored entry is
//   ignored, the next endpoint in round-robin order is taken and becomes the
//   client's new affinity entry.

/** Kubernetes' default ClientIP affinity timeout (v1.DefaultClientIPServiceAffinitySeconds). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;

/** What a proxy socket needs from a balancer. */
export interface EndpointPicker {
  /**
   * The endpoint ("ip:port") for a new connection from clientIP, or undefined
   * when the service port has no endpoints. affinityReset: a retry after a
   * failed dial (skip the client's affinity entry and move on).
   */
  next(clientIP: string, affinityReset?: boolean): string | undefined;
}

export interface BalancerOptions {
  /** ClientIP affinity timeout in seconds; undefined = no affinity, 0 = the default */
  affinityTimeoutSeconds?: number;
  /** milliseconds clock (default Date.now) */
  now?: () => number;
  /** uniform in [0, 1) (default Math.random) */
  random?: () => number;
}

interface AffinityEntry {
  endpoint: string;
  lastUsedMs: number;
}

export class RoundRobinBalancer implements EndpointPicker {
  private list: string[] = [];
  private index = 0;
  /** seconds; undefined = no affinity */
  private ttlSeconds: number | undefined;
  private readonly affinity = new Map<string, AffinityEntry>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(opts: BalancerOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.setAffinity(opts.affinityTimeoutSeconds);
  }

  /** The endpoints in their shuffled (round-robin) order. */
  get endpoints(): readonly string[] {
    return this.list;
  }

  get affinityTimeoutSeconds(): number | undefined {
    return this.ttlSeconds;
  }

  hasEndpoints(): boolean {
    return this.list.length > 0;
  }

  /** Switches ClientIP affinity on (timeout in seconds, 0 = default) or off (undefined). */
  setAffinity(timeoutSeconds: number | undefined): void {
    const ttl = timeoutSeconds === undefined ? undefined : timeoutSeconds > 0 ? timeoutSeconds : DEFAULT_AFFINITY_TIMEOUT_SECONDS;
    if ((ttl === undefined) !== (this.ttlSeconds === undefined)) this.affinity.clear();
    this.ttlSeconds = ttl;
  }

  /**
   * Replaces the endpoints ("ip:port"). Returns false (and changes nothing)
   * when the set is the same; otherwise drops the affinity entries of
   * endpoints that went away, shuffles the new list and resets the index.
   */
  setEndpoints(endpoints: readonly string[]): boolean {
    const next = [...new Set(endpoints)];
    const current = new Set(this.list);
    if (next.length === current.size && next.every((e) => current.has(e))) return false;
    const keep = new Set(next);
    for (const [client, entry] of this.affinity) if (!keep.has(entry.endpoint)) this.affinity.delete(client);
    this.list = this.shuffle(next);
    this.index = 0;
    return true;
  }

  next(clientIP: string, affinityReset = false): string | undefined {
    if (this.list.length === 0) return undefined;
    const now = this.now();
    if (this.ttlSeconds !== undefined && !affinityReset) {
      const entry = this.affinity.get(clientIP);
      if (entry && this.alive(entry, now)) {
        entry.lastUsedMs = now;
        return entry.endpoint;
      }
    }
    const endpoint = this.list[this.index]!;
    this.index = (this.index + 1) % this.list.length;
    if (this.ttlSeconds !== undefined) this.affinity.set(clientIP, { endpoint, lastUsedMs: now });
    return endpoint;
  }

  /** The endpoint clientIP is pinned to, if its entry has not expired. */
  affinityOf(clientIP: string): string | undefined {
    const entry = this.affinity.get(clientIP);
    return entry && this.alive(entry, this.now()) ? entry.endpoint : undefined;
  }

  /** Drops expired affinity entries (upstream: CleanupStaleStickySessions). */
  sweep(): void {
    const now = this.now();
    for (const [client, entry] of this.affinity) if (!this.alive(entry, now)) this.affinity.delete(client);
  }

  /** Number of affinity entries held (expired ones included until swept). */
  get affinityEntries(): number {
    return this.affinity.size;
  }

  // Upstream compares int(seconds since lastUsed) < ttl; for a whole-second
  // ttl that is the same as comparing milliseconds.
  private alive(entry: AffinityEntry, now: number): boolean {
    return this.ttlSeconds !== undefined && now - entry.lastUsedMs < this.ttlSeconds * 1000;
  }

  private shuffle(items: string[]): string[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(this.random() * (i + 1)));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
