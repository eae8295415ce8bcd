// The event recorder: client-go's core/v1 recorder (tools/record/event.go makeEvent,
// events_cache.go getEventKey / eventLogger.eventObserve) as kemu simplifies it —
// the pure decision (create, or raise the count of the Event written for the same
// occurrence) exactly, the spam filter and aggregator in front of it, then the
// recorder against an in-process API server.
import { describe, expect, it } from "vitest";
import { CORRELATION_WINDOW_MS, MAX_REMEMBERED_EVENTS, correlationKey, decideEventWrite, eventName, referenceTo, type Occurrence } from "../../src/api/event-correlation.js";
import { EventRecorder, type EventSink } from "../../src/api/event-recorder.js";
import { AGGREGATE_INTERVAL_MS, AGGREGATE_MAX_EVENTS, EventAggregator, SPAM_BURST, SPAM_REFILL_MS, SpamFilter } from "../../src/api/event-aggregation.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { ApiError } from "../../src/api/errors.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { Event, KubeObject, Stored } from "../../src/api/types.js";
import { withNamespaces } from "../support/fixtures.js";

const EVENTS = resourceByKind("Event")!;
const INGRESSES = resourceByKind("Ingress")!;
const NAMESPACES = resourceByKind("Namespace")!;
const T0 = Date.parse("2026-06-01T12:00:00Z");
const NANOS0 = BigInt(T0) * 1_000_000n;

const ingress: KubeObject = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "web", namespace: "shop", uid: "u-1", resourceVersion: "42" },
};

const occurrence = (over: Partial<Occurrence> = {}): Occurrence => ({
  involvedObject: referenceTo(ingress),
  type: "Warning",
  reason: "UnknownAnnotation",
  message: "nginx.ingress.kubernetes.io/foo is not supported: ignored",
  source: { component: "kemu-ingress" },
  ...over,
});

describe("decideEventWrite: create or update", () => {
  it("the first occurrence creates <name>.<UnixNano in hex> in the object's namespace, count 1, as client-go's makeEvent", () => {
    const write = decideEventWrite(undefined, occurrence(), { ms: T0, unixNanos: NANOS0 });
    expect(eventName("web", NANOS0)).toBe("web.18b4f33dec3a8000");
    expect(write).toEqual({
      action: "create",
      event: {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: "web.18b4f33dec3a8000", namespace: "shop" },
        involvedObject: { kind: "Ingress", apiVersion: "networking.k8s.io/v1", namespace: "shop", name: "web", uid: "u-1", resourceVersion: "42" },
        reason: "UnknownAnnotation",
        message: "nginx.ingress.kubernetes.io/foo is not supported: ignored",
        source: { component: "kemu-ingress" },
        firstTimestamp: "2026-06-01T12:00:00Z",
        lastTimestamp: "2026-06-01T12:00:00Z",
        count: 1,
        type: "Warning",
        reportingComponent: "kemu-ingress",
      },
      recorded: { namespace: "shop", name: "web.18b4f33dec3a8000", count: 1, firstTimestamp: "2026-06-01T12:00:00Z", lastSeen: T0, message: "nginx.ingress.kubernetes.io/foo is not supported: ignored" },
    });
  });

  it("a cluster-scoped object's Event goes to default; the source's host is the reportingInstance", () => {
    const node: KubeObject = { apiVersion: "v1", kind: "Node", metadata: { name: "node-1", uid: "n" } };
    const write = decideEventWrite(undefined, occurrence({ involvedObject: referenceTo(node), type: "Normal", source: { component: "kubelet", host: "node-1" } }), { ms: T0, unixNanos: 255n });
    expect(write.action).toBe("create");
    if (write.action !== "create") return;
    expect(write.event.metadata).toEqual({ name: "node-1.ff", namespace: "default" });
    expect(write.event).toMatchObject({ source: { component: "kubelet", host: "node-1" }, reportingComponent: "kubelet", reportingInstance: "node-1", type: "Normal" });
    expect(write.event.involvedObject).toEqual({ kind: "Node", apiVersion: "v1", name: "node-1", uid: "n" });
  });

  it("a repeat within the window patches count and lastTimestamp of the same Event; firstTimestamp stays", () => {
    const first = decideEventWrite(undefined, occurrence(), { ms: T0, unixNanos: NANOS0 });
    const second = decideEventWrite(first.recorded, occurrence(), { ms: T0 + 90_000, unixNanos: NANOS0 + 1n });
    expect(second).toEqual({
      action: "update",
      namespace: "shop",
      name: "web.18b4f33dec3a8000",
      patch: { count: 2, lastTimestamp: "2026-06-01T12:01:30Z" },
      recorded: { namespace: "shop", name: "web.18b4f33dec3a8000", count: 2, firstTimestamp: "2026-06-01T12:00:00Z", lastSeen: T0 + 90_000, message: "nginx.ingress.kubernetes.io/foo is not supported: ignored" },
    });
  });

  it("the window runs from the last occurrence: at its end still an update, a millisecond later a new Event", () => {
    const first = decideEventWrite(undefined, occurrence(), { ms: T0, unixNanos: NANOS0 });
    expect(CORRELATION_WINDOW_MS).toBe(3_600_000);
    expect(decideEventWrite(first.recorded, occurrence(), { ms: T0 + CORRELATION_WINDOW_MS, unixNanos: 1n }).action).toBe("update");
    const late = decideEventWrite(first.recorded, occurrence(), { ms: T0 + CORRELATION_WINDOW_MS + 1, unixNanos: 0x1234n });
    expect(late).toMatchObject({ action: "create", event: { metadata: { name: "web.1234" }, count: 1 } });
    expect(decideEventWrite(first.recorded, occurrence(), { ms: T0 + 5000, unixNanos: 1n }, 1000).action).toBe("create");
  });

  it("the key is client-go's getEventKey: source, the object (with uid), type, reason and message — not its resourceVersion", () => {
    const key = correlationKey(occurrence());
    const ref = referenceTo(ingress);
    expect(correlationKey(occurrence({ involvedObject: { ...ref, resourceVersion: "43" } }))).toBe(key);
    for (const other of [
      occurrence({ message: "another" }),
      occurrence({ reason: "Other" }),
      occurrence({ type: "Normal" }),
      occurrence({ source: { component: "kemu-ingress", host: "h" } }),
      occurrence({ source: { component: "other" } }),
      occurrence({ involvedObject: { ...ref, uid: "u-2" } }),
      occurrence({ involvedObject: { ...ref, fieldPath: "spec" } }),
      occurrence({ involvedObject: { ...ref, namespace: "other" } }),
    ]) {
      expect(correlationKey(other)).not.toBe(key);
    }
    // Fields cannot run together (client-go joins them with nothing between).
    expect(correlationKey(occurrence({ reason: "ab", message: "c" }))).not.toBe(correlationKey(occurrence({ reason: "a", message: "bc" })));
  });
});

describe("EventRecorder against the API server", () => {
  function setup(options: { windowMs?: number } = {}) {
    const api = withNamespaces();
    api.create(resourceByKind("Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    const stored = api.create(INGRESSES, { ...ingress, metadata: { name: "web", namespace: "shop" }, spec: { defaultBackend: { service: { name: "s", port: { number: 80 } } } } });
    let now = T0;
    const logs: string[] = [];
    const recorder = new EventRecorder(api, { component: "kemu-ingress", clock: () => now, log: (l) => logs.push(l), ...options });
    const events = () => api.list(EVENTS, { namespace: "shop" }).items as Stored<Event>[];
    return { api, stored, recorder, logs, events, advance: (ms: number) => (now += ms) };
  }

  it("creates an Event, then counts repeats on it", async () => {
    const { stored, recorder, events, advance, logs } = setup();
    await recorder.warn(stored, "UnknownAnnotation", "nginx.ingress.kubernetes.io/foo is not supported: ignored");
    advance(30_000);
    await recorder.warn(stored, "UnknownAnnotation", "nginx.ingress.kubernetes.io/foo is not supported: ignored");
    advance(30_000);
    await recorder.warn(stored, "UnknownAnnotation", "nginx.ingress.kubernetes.io/foo is not supported: ignored");
    const [ev, ...rest] = events();
    expect(rest).toEqual([]);
    expect(ev).toMatchObject({
      metadata: { name: `web.${NANOS0.toString(16)}`, namespace: "shop" },
      involvedObject: { kind: "Ingress", name: "web", namespace: "shop", uid: stored.metadata.uid },
      type: "Warning",
      reason: "UnknownAnnotation",
      count: 3,
      firstTimestamp: "2026-06-01T12:00:00Z",
      lastTimestamp: "2026-06-01T12:01:00Z",
      source: { component: "kemu-ingress" },
      reportingComponent: "kemu-ingress",
    });
    expect(logs).toEqual([]);
  });

  it("another message, reason or type is another Event; Normal events too", async () => {
    const { stored, recorder, events } = setup();
    await recorder.warn(stored, "UnknownAnnotation", "a");
    await recorder.warn(stored, "UnknownAnnotation", "b");
    await recorder.normal(stored, "Sync", "a");
    expect(events().map((e) => [e.type, e.reason, e.message, e.count])).toEqual([
      ["Warning", "UnknownAnnotation", "a", 1],
      ["Warning", "UnknownAnnotation", "b", 1],
      ["Normal", "Sync", "a", 1],
    ]);
    // Three names, all different although the clock did not move.
    expect(new Set(events().map((e) => e.metadata.name)).size).toBe(3);
  });

  it("repeats asked for at once are written in order: one Event, counted", async () => {
    const { stored, recorder, events } = setup();
    void recorder.warn(stored, "R", "m");
    void recorder.warn(stored, "R", "m");
    void recorder.warn(stored, "R", "m");
    await recorder.flush();
    expect(events().map((e) => e.count)).toEqual([3]);
  });

  it("after the window a repeat is a new Event", async () => {
    const { stored, recorder, events, advance } = setup({ windowMs: 60_000 });
    await recorder.warn(stored, "R", "m");
    advance(60_001);
    await recorder.warn(stored, "R", "m");
    expect(events().map((e) => e.count)).toEqual([1, 1]);
  });

  it("an Event deleted since is started again (client-go creates when its patch finds nothing)", async () => {
    const { api, stored, recorder, events, advance } = setup();
    await recorder.warn(stored, "R", "m");
    api.delete(EVENTS, "shop", events()[0]!.metadata.name);
    advance(1000);
    await recorder.warn(stored, "R", "m");
    advance(1000);
    await recorder.warn(stored, "R", "m");
    expect(events().map((e) => [e.count, e.firstTimestamp])).toEqual([[2, "2026-06-01T12:00:01Z"]]);
  });

  it("a write that fails is logged in one line, never thrown, and not remembered", async () => {
    const { stored, recorder, logs, events } = setup();
    const gone: KubeObject = { ...stored, metadata: { ...stored.metadata, namespace: "nowhere" } };
    await expect(recorder.warn(gone, "R", "m")).resolves.toBeUndefined();
    expect(logs).toEqual(['kemu-ingress: event Warning R about Ingress nowhere/web not recorded: namespaces "nowhere" not found']);
    // A sink that fails anyhow (connection refused, a bug) is logged too.
    const failing: EventSink = {
      create: () => Promise.reject(new ApiError("InternalError", "boom")),
      patch: () => {
        throw new Error("unreachable");
      },
    };
    const lines: string[] = [];
    await new EventRecorder(failing, { component: "c", log: (l) => lines.push(l) }).normal(stored, "R", "m");
    expect(lines).toEqual(["c: event Normal R about Ingress shop/web not recorded: boom"]);
    expect(events()).toEqual([]);
  });

  it(`remembers at most ${MAX_REMEMBERED_EVENTS} Events (client-go's LRU): the least recently written is forgotten`, async () => {
    const writes: string[] = [];
    const sink: EventSink = {
      create: (_r, obj) => void writes.push(`create ${(obj as Event).message}`),
      patch: (_r, _ns, name) => void writes.push(`patch ${name}`),
    };
    const recorder = new EventRecorder(sink, { component: "c", clock: () => T0 });
    // one object each: the spam filter and the aggregator count per object
    const obj = (i: number): KubeObject => ({ ...ingress, metadata: { ...ingress.metadata, name: `web${i}`, uid: `u${i}` } });
    for (let i = 0; i <= MAX_REMEMBERED_EVENTS; i++) await recorder.warn(obj(i), "R", `m${i}`);
    writes.length = 0;
    await recorder.warn(obj(MAX_REMEMBERED_EVENTS), "R", `m${MAX_REMEMBERED_EVENTS}`);
    await recorder.warn(obj(0), "R", "m0");
    expect(writes).toEqual([expect.stringMatching(new RegExp(`^patch web${MAX_REMEMBERED_EVENTS}\\.`)), "create m0"]);
  });
});

// client-go tools/record/events_cache.go: EventSourceObjectSpamFilter (burst 25, one per 300 s) and
// EventAggregator (10 similar messages within 600 s → "(combined from similar events): …").
describe("spam filter and aggregation, as client-go's recorder", () => {
  it("the spam filter lets 25 Events about one object through at once, then one per 5 minutes; other objects are not held back", () => {
    const f = new SpamFilter();
    const about = (name: string) => occurrence({ involvedObject: { ...referenceTo(ingress), name } });
    const allowed = Array.from({ length: 30 }, () => f.allow(about("web"), T0)).filter(Boolean).length;
    expect(allowed).toBe(SPAM_BURST);
    expect(f.allow(about("other"), T0)).toBe(true);
    expect(f.allow(about("web"), T0 + SPAM_REFILL_MS - 1)).toBe(false);
    expect(f.allow(about("web"), T0 + SPAM_REFILL_MS + 1)).toBe(true);
    expect(f.allow(about("web"), T0 + SPAM_REFILL_MS + 2)).toBe(false);
  });

  it("the 10th different message of one reason within 10 minutes, and the ones after it, go to one combined Event", () => {
    const a = new EventAggregator();
    const msg = (i: number) => occurrence({ message: `Created pod: web-${i}` });
    for (let i = 1; i < AGGREGATE_MAX_EVENTS; i++) expect(a.aggregate(msg(i), T0 + i, `own${i}`)).toEqual({ occurrence: msg(i), key: `own${i}` });
    const tenth = a.aggregate(msg(10), T0 + 10, "own10");
    expect(tenth.occurrence.message).toBe("(combined from similar events): Created pod: web-10");
    expect(tenth.key).not.toBe("own10");
    expect(a.aggregate(msg(11), T0 + 11, "own11").key).toBe(tenth.key);
    // another reason is counted apart; a pause longer than the interval starts over
    expect(a.aggregate(occurrence({ reason: "Other", message: "x" }), T0 + 12, "other").key).toBe("other");
    expect(a.aggregate(msg(12), T0 + 11 + AGGREGATE_INTERVAL_MS + 1, "own12").key).toBe("own12");
  });

  it("at most 1000 Events wait to be written (client-go's maxQueuedEvents); more are dropped and said so, and the writes go one at a time", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let writes = 0;
    let inFlight = 0;
    let most = 0;
    const sink: EventSink = {
      create: async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await gate;
        writes++;
        inFlight--;
      },
      patch: () => undefined,
    };
    const logs: string[] = [];
    const recorder = new EventRecorder(sink, { component: "c", clock: () => T0, log: (l) => logs.push(l) });
    const obj = (i: number): KubeObject => ({ ...ingress, metadata: { ...ingress.metadata, name: `web${i}`, uid: `u${i}` } });
    for (let i = 0; i < 1500; i++) void recorder.warn(obj(i), "R", "m");
    await new Promise((r) => setTimeout(r, 10));
    release();
    await recorder.flush();
    // one taken off the queue and writing, then the queue refills to 1000 behind it
    expect(writes).toBe(1001);
    expect(most).toBe(1);
    expect(logs).toEqual(["c: too many Events waiting to be written (1000): dropping some, as client-go's broadcaster does"]);
  });

  it("through the recorder: a dozen pods created → nine Events of their own and one combined Event counted three times", async () => {
    const api = withNamespaces(new ApiServer());
    api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    let t = T0;
    const recorder = new EventRecorder(api, { component: "replicaset-controller", clock: () => (t += 1000) });
    for (let i = 1; i <= 12; i++) await recorder.normal(ingress, "SuccessfulCreate", `Created pod: web-${i}`);
    const events = api.list(EVENTS, { namespace: "shop" }).items as Event[];
    expect(events).toHaveLength(10);
    const combined = events.filter((e) => e.message!.startsWith("(combined from similar events): "));
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({ count: 3, message: "(combined from similar events): Created pod: web-12" });
  });
});
