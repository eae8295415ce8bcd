// A de-duplicating work queue: a key queued many times before it is processed
// is processed once (how controllers coalesce bursts of events). Failed keys
// are retried with exponential back-off, capped. A long drain yields to the
// event loop every few milliseconds, so that the API server in the same
// process keeps answering while controllers work through a burst.

/** How long a drain runs before it lets other work (requests, other queues) in. */
const SLICE_MS = 10;
/** Longest wait before a failed key is retried. */
export const MAX_BACKOFF_MS = 5_000;

/** The wait before the n-th retry of a key (n ≥ 1): 15 ms, 25 ms, 45 ms, … up to MAX_BACKOFF_MS. */
export function backoffMs(failures: number): number {
  return Math.min(5 + 2 ** Math.min(failures, 20) * 5, MAX_BACKOFF_MS);
}

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly failures = new Map<string, number>();
  private scheduled = false;
  private running = false;
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly process: (key: string) => Promise<void> | void,
    private readonly onError: (key: string, err: unknown) => void = (key, err) =>
      console.error(`${this.name}: ${key}: ${(err as Error).message ?? err}`),
  ) {}

  add(key: string): void {
    if (this.closed) return;
    this.pending.add(key);
    this.schedule();
  }

  addAfter(key: string, ms: number): void {
    const t = setTimeout(() => this.add(key), ms);
    t.unref();
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    let sliceStart = Date.now();
    while (this.pending.size > 0 && !this.closed) {
      if (Date.now() - sliceStart >= SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = Date.now();
        continue;
      }
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      try {
        await this.process(key);
        this.failures.delete(key);
      } catch (err) {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        try {
          this.onError(key, err);
        } catch {
          /* a failing logger must not stop the queue */
        }
        this.addAfter(key, backoffMs(n));
      }
    }
    this.running = false;
  }
}
