// The two limits client-go's recorder puts on a reporter before correlation
// (tools/record/events_cache.go), so that a controller creating a thousand
// pods writes a few dozen Events, not a thousand:
// - the spam filter: a token bucket per source and object (and type),
//   25 Events at once, then one per 5 minutes; the rest are dropped;
// - the aggregator: when 10 different messages of the same reason about the
//   same object come within 10 minutes of each other, the next ones go to a
//   single Event whose message is "(combined from similar events): <the
//   latest message>", counted like any repeated Event.
// Pure state machines with the clock passed in; event-recorder.ts applies them.
import type { Occurrence } from "./event-correlation.js";

/** client-go's defaultSpamBurst and defaultSpamQPS (1/300 per second). */
export const SPAM_BURST = 25;
export const SPAM_REFILL_MS = 300_000;
/** client-go's defaultAggregateMaxEvents and defaultAggregateIntervalInSeconds. */
export const AGGREGATE_MAX_EVENTS = 10;
export const AGGREGATE_INTERVAL_MS = 600_000;
/** client-go's maxLruCacheEntries, for both caches. */
const MAX_ENTRIES = 4096;
export const COMBINED_PREFIX = "(combined from similar events): ";

function objectKey(o: Occurrence): unknown[] {
  const r = o.involvedObject;
  return [o.source.component, o.source.host ?? "", r.kind ?? "", r.namespace ?? "", r.name ?? "", r.uid ?? "", r.apiVersion ?? ""];
}

/** Bounded map that forgets the least recently used entry (client-go's LRU caches). */
class Lru<V> {
  private readonly map = new Map<string, V>();
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > MAX_ENTRIES) this.map.delete(this.map.keys().next().value!);
  }
}

/** EventSourceObjectSpamFilter: false when this occurrence is to be dropped. */
export class SpamFilter {
  private readonly buckets = new Lru<{ tokens: number; at: number }>();

  allow(o: Occurrence, nowMs: number): boolean {
    const key = JSON.stringify([...objectKey(o), o.type]);
    const b = this.buckets.get(key) ?? { tokens: SPAM_BURST, at: nowMs };
    const tokens = Math.min(SPAM_BURST, b.tokens + (nowMs - b.at) / SPAM_REFILL_MS);
    const allowed = tokens >= 1;
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: nowMs });
    return allowed;
  }
}

/**
 * EventAggregator: the occurrence to record (its message combined once
 * similar ones pile up) and the key it is correlated under (the aggregate
 * key for a combined one, so that later ones count on the same Event).
 */
export class EventAggregator {
  private readonly records = new Lru<{ messages: Set<string>; last: number }>();

  aggregate(o: Occurrence, nowMs: number, ownKey: string): { occurrence: Occurrence; key: string } {
    const key = JSON.stringify([...objectKey(o), o.type, o.reason]);
    let record = this.records.get(key);
    if (!record || nowMs - record.last > AGGREGATE_INTERVAL_MS) record = { messages: new Set(), last: nowMs };
    record.messages.add(o.message);
    record.last = nowMs;
    this.records.set(key, record);
    if (record.messages.size < AGGREGATE_MAX_EVENTS) return { occurrence: o, key: ownKey };
    // the set stays at the threshold (client-go pops one)
    record.messages.delete(record.messages.values().next().value!);
    return { occurrence: { ...o, message: COMBINED_PREFIX + o.message }, key: `aggregate:${key}` };
  }
}
