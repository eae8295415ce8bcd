// Lists and watches as client-go relies on them (API concepts: "Efficient
// detection of changes", "Retrieving large results sets in chunks", "The
// resourceVersion parameter"; apimachinery ValidateListOptions; apiserver
// storage cacher and etcd3 store): initial events, bookmarks, timeouts, 410
// Expired, resourceVersionMatch, limit/continue.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiServer } from "../../src/api/apiserver.js";
import { INITIAL_EVENTS_END, RestServer } from "../../src/api/server.js";
import { resourceByKind } from "../../src/api/resources.js";
import { ApiError } from "../../src/api/errors.js";
import { decodeContinue, encodeContinue, ExpiredContinueError, parseListRequest, parseWatchRequest, startsWithInitialEvents } from "../../src/api/list-options.js";
import { Store } from "../../src/api/store.js";
import type { KubeObject, Stored } from "../../src/api/types.js";

const NAMESPACES = resourceByKind("Namespace")!;
const CONFIGMAPS = resourceByKind("ConfigMap")!;

const cm = (name: string, namespace = "default", labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, labels },
  data: { k: name },
});

function newApi(): ApiServer {
  const api = new ApiServer();
  for (const name of ["default", "other"]) api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return api;
}

const names = (items: Stored<KubeObject>[]) => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

function caught(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError");
}

describe("list options, as upstream's ValidateListOptions", () => {
  const q = (s: string) => new URLSearchParams(s);
  it("a list: resourceVersionMatch needs a resourceVersion, takes Exact or NotOlderThan, no Exact at 0, no continue; no sendInitialEvents", () => {
    expect(caught(() => parseListRequest(q("resourceVersionMatch=NotARealMatch"))).toStatus()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Unsupported value: "NotARealMatch": supported values: "Exact", "NotOlderThan", ""]',
      reason: "Invalid",
      details: {
        name: "",
        group: "meta.k8s.io",
        kind: "ListOptions",
        causes: [
          { reason: "FieldValueForbidden", message: "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided", field: "resourceVersionMatch" },
          { reason: "FieldValueNotSupported", message: 'Unsupported value: "NotARealMatch": supported values: "Exact", "NotOlderThan", ""', field: "resourceVersionMatch" },
        ],
      },
      code: 422,
    });
    expect(caught(() => parseListRequest(q("resourceVersion=0&resourceVersionMatch=Exact"))).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    );
    expect(caught(() => parseListRequest(q("resourceVersion=5&resourceVersionMatch=Exact&continue=x"))).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided',
    );
    expect(caught(() => parseListRequest(q("sendInitialEvents=true"))).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list',
    );
    expect(parseListRequest(q("limit=500&resourceVersion=7&resourceVersionMatch=NotOlderThan"))).toEqual({ limit: 500, resourceVersion: "7", resourceVersionMatch: "NotOlderThan" });
    expect(parseListRequest(q("limit=0"))).toEqual({});
  });

  it("a watch: resourceVersionMatch only with sendInitialEvents, and then NotOlderThan", () => {
    expect(caught(() => parseWatchRequest(q("watch=true&resourceVersionMatch=NotOlderThan"))).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
    );
    expect(caught(() => parseWatchRequest(q("watch=true&sendInitialEvents=true"))).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    );
    expect(caught(() => parseWatchRequest(q("watch=true&sendInitialEvents=true&resourceVersionMatch=Exact"))).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
    );
    expect(parseWatchRequest(q("watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=30"))).toEqual({
      sendInitialEvents: true,
      allowWatchBookmarks: true,
      timeoutSeconds: 30,
    });
  });

  it("initial events: for resourceVersion unset or 0 unless told otherwise, and whenever sendInitialEvents=true", () => {
    expect(startsWithInitialEvents({})).toBe(true);
    expect(startsWithInitialEvents({ resourceVersion: "0" })).toBe(true);
    expect(startsWithInitialEvents({ resourceVersion: "12" })).toBe(false);
    expect(startsWithInitialEvents({ resourceVersion: "12", sendInitialEvents: true })).toBe(true);
    expect(startsWithInitialEvents({ sendInitialEvents: false })).toBe(false);
  });

  it("continue tokens go round; a foreign one is a 400", () => {
    const token = encodeContinue({ rv: 42, namespace: "default", name: "b" });
    expect(JSON.parse(Buffer.from(token, "base64url").toString())).toEqual({ v: "meta.k8s.io/v1", rv: 42, start: "default/b\u0000" });
    expect(decodeContinue(token)).toEqual({ rv: 42, namespace: "default", name: "b" });
    expect(caught(() => decodeContinue("nonsense")).toStatus()).toMatchObject({ code: 400, reason: "BadRequest" });
  });
});

describe("lists at a resourceVersion and in pages", () => {
  it("Exact reads the objects as they were; NotOlderThan and unset read now; ahead of the store is a 504", () => {
    const api = newApi();
    api.create(CONFIGMAPS, cm("a"));
    const before = api.create(CONFIGMAPS, cm("b")).metadata.resourceVersion;
    api.patch(CONFIGMAPS, "default", "a", { data: { k: "changed" } });
    api.delete(CONFIGMAPS, "default", "b");
    api.create(CONFIGMAPS, cm("c"));
    const exact = api.list(CONFIGMAPS, { namespace: "default", resourceVersion: before, resourceVersionMatch: "Exact" });
    expect(exact.resourceVersion).toBe(before);
    expect(exact.items.map((o) => [o.metadata.name, (o.data as Record<string, string> | undefined)?.k])).toEqual([
      ["a", "a"],
      ["b", "b"],
    ]);
    const now = api.list(CONFIGMAPS, { namespace: "default", resourceVersion: before, resourceVersionMatch: "NotOlderThan" });
    expect(now.resourceVersion).toBe(api.store.resourceVersion);
    expect(now.items.map((o) => [o.metadata.name, (o.data as Record<string, string> | undefined)?.k])).toEqual([
      ["a", "changed"],
      ["c", "c"],
    ]);
    const ahead = Number(api.store.resourceVersion) + 10;
    expect(caught(() => api.list(CONFIGMAPS, { resourceVersion: String(ahead) })).toStatus()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `Timeout: Too large resource version: ${ahead}, current: ${api.store.resourceVersion}`,
      reason: "Timeout",
      details: { causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version", field: "" }] },
      code: 504,
    });
  });

  it("limit gives a page, a continue token and remainingItemCount; the next pages read the first page's revision", () => {
    const api = newApi();
    for (const [name, ns] of [["a", "default"], ["b", "default"], ["c", "other"], ["d", "other"]] as const) api.create(CONFIGMAPS, cm(name, ns));
    const first = api.list(CONFIGMAPS, { limit: 1 });
    expect(names(first.items)).toEqual(["default/a"]);
    expect(first.remainingItemCount).toBe(3);
    expect(decodeContinue(first.continue!)).toEqual({ rv: Number(first.resourceVersion), namespace: "default", name: "a" });
    // Changes after the first page do not show in the later ones (a consistent snapshot).
    api.create(CONFIGMAPS, cm("bb", "default"));
    api.delete(CONFIGMAPS, "other", "c");
    const second = api.list(CONFIGMAPS, { limit: 2, continue: first.continue });
    expect(names(second.items)).toEqual(["default/b", "other/c"]);
    expect(second.resourceVersion).toBe(first.resourceVersion);
    expect(second.remainingItemCount).toBe(1);
    const last = api.list(CONFIGMAPS, { limit: 2, continue: second.continue });
    expect(names(last.items)).toEqual(["other/d"]);
    expect(last.continue).toBeUndefined();
    expect(last.remainingItemCount).toBeUndefined();
  });

  it("with a selector the limit counts matches and there is no remainingItemCount (upstream's etcd3 store)", () => {
    const api = newApi();
    for (const name of ["a", "b", "c", "d"]) api.create(CONFIGMAPS, cm(name, "default", { keep: name === "b" || name === "d" ? "yes" : "no" }));
    const page = api.list(CONFIGMAPS, { namespace: "default", labelSelector: "keep=yes", limit: 1 });
    expect(names(page.items)).toEqual(["default/b"]);
    expect(page.remainingItemCount).toBeUndefined();
    expect(names(api.list(CONFIGMAPS, { namespace: "default", labelSelector: "keep=yes", limit: 1, continue: page.continue }).items)).toEqual(["default/d"]);
  });

  it("a continue token with a resourceVersion is a 400", () => {
    const api = newApi();
    const token = encodeContinue({ rv: 1, namespace: "default", name: "a" });
    expect(caught(() => api.list(CONFIGMAPS, { continue: token, resourceVersion: "1" })).toStatus()).toMatchObject({
      code: 400,
      message: "specifying resource version is not allowed when using continue",
    });
  });

  it("once its revision is compacted, a continue token is 410 Expired with a token for the rest at the current revision", () => {
    const api = newApi();
    for (const name of ["a", "b", "c"]) api.create(CONFIGMAPS, cm(name));
    const first = api.list(CONFIGMAPS, { namespace: "default", limit: 1 });
    // More writes than the history keeps.
    for (let i = 0; i < 22_001; i++) api.patch(CONFIGMAPS, "default", "c", { data: { k: String(i) } });
    const err = caught(() => api.list(CONFIGMAPS, { namespace: "default", limit: 1, continue: first.continue }));
    expect(err).toBeInstanceOf(ExpiredContinueError);
    const status = err.toStatus();
    expect(status).toMatchObject({ code: 410, reason: "Expired" });
    expect(status.message).toMatch(/^The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter, or use the continue token/);
    const rest = api.list(CONFIGMAPS, { namespace: "default", continue: (status.metadata as unknown as { continue: string }).continue });
    expect(names(rest.items)).toEqual(["default/b", "default/c"]);
    expect(rest.resourceVersion).toBe(api.store.resourceVersion);
    expect(caught(() => api.list(CONFIGMAPS, { resourceVersion: first.resourceVersion, resourceVersionMatch: "Exact" })).toStatus()).toMatchObject({
      code: 410,
      reason: "Expired",
      message: "The resourceVersion for the provided list is too old.",
    });
  });
});

describe("Store.listAt", () => {
  it("undoes every later change, in list order", () => {
    const api = newApi();
    const store: Store = api.store;
    api.create(CONFIGMAPS, cm("z", "other"));
    api.create(CONFIGMAPS, cm("m"));
    const at = store.currentRevision;
    api.create(CONFIGMAPS, cm("a"));
    api.patch(CONFIGMAPS, "default", "m", { data: { k: "1" } });
    api.patch(CONFIGMAPS, "default", "m", { data: { k: "2" } });
    api.delete(CONFIGMAPS, "other", "z");
    expect(store.listAt(CONFIGMAPS, at).map((o) => [o.metadata.namespace, o.metadata.name, (o.data as Record<string, string> | undefined)?.k])).toEqual([
      ["default", "m", "m"],
      ["other", "z", "z"],
    ]);
    expect(store.listAt(CONFIGMAPS, at, "other").map((o) => o.metadata.name)).toEqual(["z"]);
  });
});

describe("watch over the REST server", () => {
  let dir: string;
  let socketPath: string;
  let api: ApiServer;
  let rest: RestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kemu-watch-"));
    socketPath = join(dir, "api.sock");
    api = newApi();
    api.create(CONFIGMAPS, cm("one"));
    api.create(CONFIGMAPS, cm("two"));
    rest = new RestServer(api, {}, { bookmarkIntervalMs: 50 });
    await rest.listen(socketPath);
  });

  afterAll(async () => {
    await rest?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  interface Event {
    type: string;
    object: { kind?: string; apiVersion?: string; metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> }; code?: number; reason?: string; message?: string };
  }

  /** Reads a watch until `until` says stop, or the server ends it; returns the events and whether the server ended it. */
  function watch(path: string, until: (events: Event[]) => boolean, onOpen?: () => void): Promise<{ status: number; events: Event[]; ended: boolean }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ socketPath, path }, (res) => {
        const events: Event[] = [];
        let buf = "";
        let done = false;
        const finish = (ended: boolean) => {
          if (done) return;
          done = true;
          req.destroy();
          resolve({ status: res.statusCode ?? 0, events, ended });
        };
        onOpen?.();
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          buf += c;
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            events.push(JSON.parse(buf.slice(0, nl)) as Event);
            buf = buf.slice(nl + 1);
          }
          if (until(events)) finish(false);
        });
        res.on("end", () => finish(true));
      });
      req.on("error", (e) => ((e as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(e)));
    });
  }

  const BASE = "/api/v1/namespaces/default/configmaps";

  it("without a resourceVersion it starts with an ADDED for every object, then the changes", async () => {
    const r = await watch(`${BASE}?watch=true`, (e) => e.length >= 3, () => setTimeout(() => api.create(CONFIGMAPS, cm("three")), 20));
    expect(r.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED one", "ADDED two", "ADDED three"]);
    api.delete(CONFIGMAPS, "default", "three");
  });

  it("from the list's resourceVersion it sends only what changed after it", async () => {
    const rv = api.list(CONFIGMAPS, { namespace: "default" }).resourceVersion;
    api.patch(CONFIGMAPS, "default", "one", { data: { k: "x" } });
    const r = await watch(`${BASE}?watch=true&resourceVersion=${rv}`, (e) => e.length >= 1);
    expect(r.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["MODIFIED one"]);
  });

  it("sendInitialEvents=true: the objects, then a bookmark annotated k8s.io/initial-events-end at the current resourceVersion", async () => {
    const rv = api.store.resourceVersion;
    const r = await watch(`${BASE}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=1`, (e) => e.length >= 3);
    expect(r.events.slice(0, 2).map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED one", "ADDED two"]);
    expect(r.events[2]).toEqual({
      type: "BOOKMARK",
      object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: rv, annotations: { [INITIAL_EVENTS_END]: "true" } } },
    });
  });

  it("allowWatchBookmarks=true: periodic BOOKMARKs carrying only the kind and the current resourceVersion", async () => {
    const rv = api.store.resourceVersion;
    const r = await watch(`${BASE}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`, (e) => e.length >= 2);
    expect(r.events).toEqual([
      { type: "BOOKMARK", object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: rv } } },
      { type: "BOOKMARK", object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: rv } } },
    ]);
    // Not asked for, none come.
    const none = await watch(`${BASE}?watch=true&resourceVersion=${rv}&timeoutSeconds=1`, () => false);
    expect(none).toEqual({ status: 200, events: [], ended: true });
  });

  it("timeoutSeconds ends the stream", async () => {
    const started = Date.now();
    const r = await watch(`${BASE}?watch=true&resourceVersion=${api.store.resourceVersion}&timeoutSeconds=1`, () => false);
    expect(r.ended).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("a resourceVersion older than the history kept is an ERROR event with a 410 Expired Status, and the stream ends", async () => {
    const old = api.store.resourceVersion;
    for (let i = 0; i < 22_001; i++) api.patch(CONFIGMAPS, "default", "two", { data: { k: String(i) } });
    const r = await watch(`${BASE}?watch=true&resourceVersion=${old}`, () => false);
    expect(r.status).toBe(200);
    expect(r.ended).toBe(true);
    expect(r.events).toEqual([
      {
        type: "ERROR",
        object: {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: `too old resource version: ${old} (${api.store.compactedRevision})`,
          reason: "Expired",
          code: 410,
        },
      },
    ]);
  });

  it("a bad combination of options is a 422 before the stream starts", async () => {
    const r = await watch(`${BASE}?watch=true&resourceVersionMatch=NotOlderThan`, () => false);
    expect(r.status).toBe(422);
  });

  it("a list in pages over REST: metadata.continue and remainingItemCount, as PodList and as Table", async () => {
    const r = await new Promise<string>((resolve) => http.get({ socketPath, path: `${BASE}?limit=1` }, (res) => { let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => resolve(b)); }));
    const list = JSON.parse(r) as { kind: string; metadata: { continue?: string; remainingItemCount?: number }; items: unknown[] };
    expect(list.kind).toBe("ConfigMapList");
    expect(list.items).toHaveLength(1);
    expect(list.metadata.remainingItemCount).toBe(1);
    expect(decodeContinue(list.metadata.continue!)).toMatchObject({ namespace: "default", name: "one" });
    const t = await new Promise<string>((resolve) =>
      http.get({ socketPath, path: `${BASE}?limit=1`, headers: { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io" } }, (res) => { let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => resolve(b)); }),
    );
    const table = JSON.parse(t) as { kind: string; metadata: { continue?: string; remainingItemCount?: number }; rows: unknown[] };
    expect(table.kind).toBe("Table");
    expect(table.rows).toHaveLength(1);
    expect(table.metadata.remainingItemCount).toBe(1);
    expect(table.metadata.continue).toBeTruthy();
  });
});
