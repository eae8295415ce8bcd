// kube-proxy's bounded-frequency runner: a change runs the sync at once if
// the last one was at least minInterval ago, otherwise once that much time
// has passed; bursts of changes coalesce into one sync. A periodic run
// (syncPeriod) also happens with no change at all.
export class BoundedFrequencyRunner {
  private lastRun = 0;
  private timer?: NodeJS.Timeout;
  private periodic?: NodeJS.Timeout;
  private running = false;
  private pending = false;
  private stopped = false;

  constructor(
    private readonly fn: () => Promise<void>,
    /** a number, or a function of the moment (e.g. a multiple of the last sync's duration) */
    private readonly minIntervalMs: number | (() => number),
    private readonly maxIntervalMs: number,
    /** what the log line of a failed sync names */
    private readonly what = "proxy",
  ) {}

  start(): void {
    this.periodic = setInterval(() => this.run(), this.maxIntervalMs);
    this.periodic.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.periodic) clearInterval(this.periodic);
  }

  /** Runs a sync now (after any that is in flight) and resolves when it is done; errors are thrown. */
  async runNow(): Promise<void> {
    // A sync asked for earlier and not started yet is this one.
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.running) await new Promise((r) => setTimeout(r, 5));
    this.running = true;
    this.lastRun = Date.now();
    try {
      await this.fn();
    } finally {
      this.running = false;
      if (this.pending) {
        this.pending = false;
        this.run();
      }
    }
  }

  /** Asks for a sync soon (coalesced). */
  run(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    if (this.timer) return;
    const min = typeof this.minIntervalMs === "number" ? this.minIntervalMs : this.minIntervalMs();
    const wait = Math.max(0, this.lastRun + min - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.execute();
    }, wait);
  }

  private async execute(): Promise<void> {
    // Never two syncs at once (runNow may have started one since the timer was set).
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = true;
    this.lastRun = Date.now();
    try {
      await this.fn();
    } catch (err) {
      console.error(`${this.what} sync failed: ${(err as Error).message}`);
      this.pending = true;
    } finally {
      this.running = false;
    }
    if (this.pending) {
      this.pending = false;
      this.run();
    }
  }
}
