// Runs a task after changes settle (debounce), never two at once, and not
// more often than a minimum interval: the dashboard's pushes (every 200 ms at
// most) and its probe re-runs (every few seconds at most) both go through it.
// Changes that arrive while the task runs schedule one more run after it.
export interface CoalescerOptions {
  /** quiet time after the last change before running */
  debounceMs: number;
  /** at least this long between the starts of two runs */
  minIntervalMs: number;
  now?: () => number;
}

export class Coalescer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private again = false;
  private lastStart = -Infinity;
  private stopped = false;
  private readonly now: () => number;

  constructor(
    private readonly task: () => Promise<void> | void,
    private readonly options: CoalescerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Something changed: run the task soon. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(this.options.debounceMs, this.lastStart + this.options.minIntervalMs - this.now());
    this.timer = setTimeout(() => void this.run(), wait);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    this.running = true;
    this.lastStart = this.now();
    try {
      await this.task();
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    }
  }
}
