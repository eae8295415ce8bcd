// Which Event an occurrence is written to: a new one, or the one already
// written for the same thing (its count and lastTimestamp raised). Pure: the
// recorder (event-recorder.ts) remembers what it wrote and does the writing.
//
// client-go's core/v1 recorder (tools/record: makeEvent, EventCorrelator)
// names a new Event `<object name>.<UnixNano in hex>` in the object's
// namespace ("default" for cluster-scoped objects), and its eventLogger turns
// a repeat of the same source, object (kind, namespace, name, uid,
// apiVersion, fieldPath), type, reason and message into a patch of count and
// lastTimestamp on the Event it wrote before, remembered in an LRU of 4096
// entries. kemu does the same, simplified:
// - a repeat counts only within CORRELATION_WINDOW_MS of the last
//   occurrence. Upstream has no window of its own, but its Events expire an
//   hour after their last write (kube-apiserver --event-ttl), after which
//   the patch fails and a new Event is created; kemu's API keeps Events, so
//   the window stands in for that expiry;
// - before correlation, the spam filter and the EventAggregator
//   (event-aggregation.ts) limit how many Events one reporter writes about
//   one object, as client-go's do.
import { timestamp } from "./meta.js";
import type { Event, KubeObject, ObjectReference } from "./types.js";

export type EventType = "Normal" | "Warning";

/** Who reports (EventSource): the component, and the node or instance it runs on. */
export interface EventSource {
  component: string;
  host?: string;
}

/** One thing a component wants to report. */
export interface Occurrence {
  involvedObject: ObjectReference;
  type: EventType;
  reason: string;
  message: string;
  source: EventSource;
}

/** What a recorder remembers of an Event it wrote. */
export interface RecordedEvent {
  namespace: string;
  name: string;
  count: number;
  firstTimestamp: string;
  /** ms since epoch of the last occurrence written */
  lastSeen: number;
  /** the message last written (an aggregated Event's changes with each occurrence) */
  message?: string;
}

export type EventWrite =
  | { action: "create"; event: Event; recorded: RecordedEvent }
  | { action: "update"; namespace: string; name: string; patch: { count: number; lastTimestamp: string; message?: string }; recorded: RecordedEvent };

/** kube-apiserver's default --event-ttl: how long upstream keeps an Event after its last write. */
export const CORRELATION_WINDOW_MS = 60 * 60 * 1000;
/** client-go's maxLruCacheEntries: how many Events a recorder remembers. */
export const MAX_REMEMBERED_EVENTS = 4096;

/** client-go's reference.GetReference for an object read from the API. */
export function referenceTo(obj: KubeObject): ObjectReference {
  const m = obj.metadata ?? {};
  const ref: ObjectReference = { kind: obj.kind, apiVersion: obj.apiVersion };
  if (m.namespace) ref.namespace = m.namespace;
  if (m.name) ref.name = m.name;
  if (m.uid) ref.uid = m.uid;
  if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
  return ref;
}

/** The fields that make two occurrences the same Event (client-go's getEventKey; a separator so that fields cannot run together). */
export function correlationKey(o: Occurrence): string {
  const r = o.involvedObject;
  return JSON.stringify([
    o.source.component,
    o.source.host ?? "",
    r.kind ?? "",
    r.namespace ?? "",
    r.name ?? "",
    r.fieldPath ?? "",
    r.uid ?? "",
    r.apiVersion ?? "",
    o.type,
    o.reason,
    o.message,
  ]);
}

/** client-go's event name: the object's name, a dot, the time in nanoseconds in hex (16 digits today). */
export function eventName(objectName: string, unixNanos: bigint): string {
  return `${objectName}.${unixNanos.toString(16)}`;
}

/**
 * The write for occurrence o at time now (ms; unixNanos names a new Event),
 * given what was recorded for the same key (undefined when nothing was, or
 * the recorder forgot it): an update of that Event when its last occurrence
 * is within windowMs, else a new Event.
 */
export function decideEventWrite(
  previous: RecordedEvent | undefined,
  o: Occurrence,
  now: { ms: number; unixNanos: bigint },
  windowMs: number = CORRELATION_WINDOW_MS,
): EventWrite {
  const at = timestamp(now.ms);
  if (previous && now.ms - previous.lastSeen <= windowMs) {
    const count = previous.count + 1;
    // client-go patches what changed: count and lastTimestamp, and the message of a combined Event
    const changedMessage = previous.message !== undefined && previous.message !== o.message;
    return {
      action: "update",
      namespace: previous.namespace,
      name: previous.name,
      patch: changedMessage ? { count, lastTimestamp: at, message: o.message } : { count, lastTimestamp: at },
      recorded: { ...previous, count, lastSeen: now.ms, message: o.message },
    };
  }
  const namespace = o.involvedObject.namespace || "default";
  const name = eventName(o.involvedObject.name ?? "", now.unixNanos);
  const source = o.source.host ? { component: o.source.component, host: o.source.host } : { component: o.source.component };
  const event: Event = {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name, namespace },
    involvedObject: o.involvedObject,
    reason: o.reason,
    message: o.message,
    source,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    type: o.type,
    // Recent client-go sets these from the source too.
    reportingComponent: o.source.component,
    ...(o.source.host ? { reportingInstance: o.source.host } : {}),
  };
  return { action: "create", event, recorded: { namespace, name, count: 1, firstTimestamp: at, lastSeen: now.ms, message: o.message } };
}
