// A de-duplicating work queue: a key queued many times before it is processed
// is processed once (how controllers coalesce bursts of events). Failed keys
// are retried with exponential back-off.
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
    while (this.pending.size > 0 && !this.closed) {
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      try {
        await this.process(key);
        this.failures.delete(key);
      } catch (err) {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        this.onError(key, err);
        this.addAfter(key, Math.min(5 + 2 ** n * 5, 5_000));
      }
    }
    this.running = false;
  }
}
