// EventRecorder: how a kemu component reports something about an object as
// a core/v1 Event (`kemu get events`), like client-go's record.EventRecorder.
// The decision of which Event to write is event-correlation.ts's; this file
// remembers what was written and writes it. Events are best effort, as
// upstream: a failed write is logged and forgotten, never thrown.
import { ApiError } from "./errors.js";
import { EventAggregator, SpamFilter } from "./event-aggregation.js";
import { resourceByKind, type ResourceInfo } from "./resources.js";
import type { KubeObject } from "./types.js";
import {
  CORRELATION_WINDOW_MS,
  MAX_REMEMBERED_EVENTS,
  correlationKey,
  decideEventWrite,
  referenceTo,
  type EventSource,
  type EventType,
  type EventWrite,
  type Occurrence,
  type RecordedEvent,
} from "./event-correlation.js";

/** What the recorder writes through: an ApiClient, or the ApiServer itself in the control plane. */
export interface EventSink {
  create(resource: ResourceInfo, obj: KubeObject, namespace?: string): unknown;
  patch(resource: ResourceInfo, namespace: string | undefined, name: string, patch: unknown): unknown;
}

export interface EventRecorderOptions extends EventSource {
  /** Where failed writes are reported; console.error by default. */
  log?: (line: string) => void;
  /** How long a repeat still counts on the same Event (CORRELATION_WINDOW_MS). */
  windowMs?: number;
  /** ms since epoch; Date.now by default (tests pass their own). */
  clock?: () => number;
}

const EVENTS = resourceByKind("Event")!;
/** client-go's maxQueuedEvents: how many Events may wait to be written before more are dropped. */
export const MAX_QUEUED_EVENTS = 1000;

export class EventRecorder {
  private readonly source: EventSource;
  private readonly log: (line: string) => void;
  private readonly windowMs: number;
  private readonly clock: () => number;
  /** Least recently written first: a Map keeps insertion order. */
  private readonly remembered = new Map<string, RecordedEvent>();
  /**
   * Writes wait here and run one at a time, yielding to the event loop
   * between them: a burst (a controller creating thousands of pods) never
   * holds up the API, and a repeat never overtakes the create it updates.
   * Like client-go's broadcaster, at most MAX_QUEUED_EVENTS wait; more are dropped.
   */
  private readonly queue: { key: string; occurrence: Occurrence; done: () => void }[] = [];
  private draining?: Promise<void>;
  private dropped = 0;
  private lastNanos = 0n;
  private readonly spam = new SpamFilter();
  private readonly aggregator = new EventAggregator();

  constructor(
    private readonly sink: EventSink,
    options: EventRecorderOptions,
  ) {
    this.source = options.host ? { component: options.component, host: options.host } : { component: options.component };
    this.log = options.log ?? ((line) => console.error(line));
    this.windowMs = options.windowMs ?? CORRELATION_WINDOW_MS;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * A Normal Event about obj (`fieldPath` names a part of it, e.g. a pod's
   * `spec.containers{web}` as the kubelet does). The promise resolves once
   * written (or logged as failed); it never rejects.
   */
  normal(obj: KubeObject, reason: string, message: string, fieldPath?: string): Promise<void> {
    return this.record(obj, "Normal", reason, message, fieldPath);
  }

  /** A Warning Event about obj. The promise resolves once written (or logged as failed); it never rejects. */
  warn(obj: KubeObject, reason: string, message: string, fieldPath?: string): Promise<void> {
    return this.record(obj, "Warning", reason, message, fieldPath);
  }

  record(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const involvedObject = referenceTo(obj);
    if (fieldPath !== undefined) involvedObject.fieldPath = fieldPath;
    const now = this.clock();
    const seen: Occurrence = { involvedObject, type, reason, message, source: this.source };
    // client-go's order: spam filter, then aggregation, then correlation of repeats
    if (!this.spam.allow(seen, now)) return Promise.resolve();
    const { occurrence, key } = this.aggregator.aggregate(seen, now, correlationKey(seen));
    if (this.queue.length >= MAX_QUEUED_EVENTS) {
      if (this.dropped++ % 1000 === 0) this.log(`${this.source.component}: too many Events waiting to be written (${MAX_QUEUED_EVENTS}): dropping some, as client-go's broadcaster does`);
      return Promise.resolve();
    }
    const written = new Promise<void>((done) => this.queue.push({ key, occurrence, done }));
    this.draining ??= this.drain();
    return written;
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      await this.write(next.key, next.occurrence);
      next.done();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.draining = undefined;
  }

  /** Resolves when every write asked for so far has been made (or has failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async write(key: string, o: Occurrence): Promise<void> {
    try {
      let decision = decideEventWrite(this.remembered.get(key), o, this.now(), this.windowMs);
      try {
        await this.apply(decision);
      } catch (err) {
        // The Event was deleted since (by hand, or with its namespace): start a new one, as client-go does.
        if (!(decision.action === "update" && err instanceof ApiError && err.reason === "NotFound")) throw err;
        decision = decideEventWrite(undefined, o, this.now(), this.windowMs);
        await this.apply(decision);
      }
      this.remember(key, decision.recorded);
    } catch (err) {
      const r = o.involvedObject;
      const what = `${r.kind ?? ""} ${r.namespace ? `${r.namespace}/` : ""}${r.name ?? ""}`;
      this.log(`${this.source.component}: event ${o.type} ${o.reason} about ${what} not recorded: ${(err as Error).message}`);
    }
  }

  private async apply(decision: EventWrite): Promise<void> {
    if (decision.action === "create") await this.sink.create(EVENTS, decision.event, decision.recorded.namespace);
    else await this.sink.patch(EVENTS, decision.namespace, decision.name, decision.patch);
  }

  private remember(key: string, recorded: RecordedEvent): void {
    this.remembered.delete(key);
    this.remembered.set(key, recorded);
    if (this.remembered.size > MAX_REMEMBERED_EVENTS) this.remembered.delete(this.remembered.keys().next().value!);
  }

  /** The time, and strictly increasing nanoseconds for new Events' names (two in one millisecond differ). */
  private now(): { ms: number; unixNanos: bigint } {
    const ms = this.clock();
    const nanos = BigInt(ms) * 1_000_000n;
    this.lastNanos = nanos > this.lastNanos ? nanos : this.lastNanos + 1n;
    return { ms, unixNanos: this.lastNanos };
  }
}
