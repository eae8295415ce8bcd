// kube-proxy's change tracker against the API server in-process (no network):
// what a snapshot holds, in which order, what it reports as changed, and that
// unchanged Services keep their entry objects between snapshots.
import { describe, it, expect, afterEach } from "vitest";
import { ApiServer } from "../../src/api/apiserver.js";
import { localSource } from "../../src/api/local.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { ListWatchSource } from "../../src/api/informer.js";
import type { KubeObject } from "../../src/api/types.js";
import { ChangeTracker, type ProxyState } from "../../src/agent/proxy/changes.js";
import { servicePortKey } from "../../src/agent/proxy/model.js";

const SERVICES = resourceByKind("Service")!;
const SLICES = resourceByKind("EndpointSlice")!;
const NAMESPACES = resourceByKind("Namespace")!;

let trackers: ChangeTracker[] = [];
afterEach(() => {
  trackers.forEach((t) => t.stop());
  trackers = [];
});

let nextIP = 1;
function service(ns: string, name: string, ports: { name?: string; port: number; protocol?: string }[] = [{ port: 80 }]): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { clusterIP: `10.96.0.${nextIP++}`, ports: ports.map((p) => ({ ...p, targetPort: p.port })) },
  };
}

function slice(ns: string, name: string, svc: string | undefined, ips: string[], ports: { name?: string; port: number }[] = [{ port: 80 }]): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, namespace: ns, ...(svc ? { labels: { "kubernetes.io/service-name": svc } } : {}) },
    addressType: "IPv4",
    ports: ports.map((p) => ({ name: p.name ?? "", port: p.port, protocol: "TCP" })),
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: "node-1" })),
  } as KubeObject;
}

/** localSource, plus a way to cut every open watch with an error (the informers then re-list). */
function breakableSource(api: ApiServer): { source: ListWatchSource; breakWatches: () => void } {
  const inner = localSource(api);
  let open: { stop: () => void; onEnd: (err?: Error) => void }[] = [];
  return {
    source: {
      list: (resource, options) => inner.list(resource, options),
      watch(resource, options, onEvent, onEnd) {
        const h = inner.watch(resource, options, onEvent, onEnd);
        open.push({ stop: () => h.stop(), onEnd });
        return h;
      },
    },
    breakWatches() {
      const was = open;
      open = [];
      for (const w of was) w.stop();
      for (const w of was) w.onEnd(new Error("connection reset"));
    },
  };
}

async function setup(objects: KubeObject[] = []): Promise<{ api: ApiServer; tracker: ChangeTracker; breakWatches: () => void }> {
  const api = new ApiServer();
  for (const name of ["default", "kube", "kube-system", "other"]) api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  for (const o of objects) api.create(o.kind === "Service" ? SERVICES : SLICES, o);
  const { source, breakWatches } = breakableSource(api);
  const tracker = new ChangeTracker(source, "node-1", () => undefined);
  trackers.push(tracker);
  await tracker.start();
  return { api, tracker, breakWatches };
}

/** Watch events are handed over in microtasks; a macrotask turn lets them all arrive. */
const settle = () => new Promise((r) => setTimeout(r, 0));

const keys = (s: ProxyState) => s.services.map((e) => `${servicePortKey(e.port)}/${e.port.port}`);
const ips = (s: ProxyState, key: string) => s.services.find((e) => servicePortKey(e.port) === key)?.endpoints.map((e) => `${e.ip}:${e.port}`);
const entriesOf = (s: ProxyState, ns: string, name: string) => s.services.filter((e) => e.port.namespace === ns && e.port.name === name);

describe("ChangeTracker", () => {
  it("first snapshot: every port of every Service, by service key then spec port order, with endpoints", async () => {
    const { tracker } = await setup([
      service("other", "b"),
      service("default", "web", [{ name: "https", port: 443 }, { name: "http", port: 80 }]),
      service("default", "a-b"),
      service("default", "a"),
      service("kube", "z"),
      service("kube-system", "dns", [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53 }]),
      slice("default", "web-1", "web", ["10.244.1.3", "10.244.1.2"], [{ name: "http", port: 8080 }, { name: "https", port: 8443 }]),
      slice("default", "web-2", "web", ["10.244.2.2"], [{ name: "http", port: 8080 }, { name: "https", port: 8443 }]),
      slice("other", "b-1", "b", ["10.244.3.2"]),
    ]);
    const s = tracker.snapshot();
    // Ordered by the "ns/name" string: "kube-system/…" before "kube/…" ('-' < '/').
    expect(keys(s)).toEqual([
      "default/a/80",
      "default/a-b/80",
      "default/web:https/443",
      "default/web:http/80",
      "kube-system/dns:dns/53",
      "kube-system/dns:dns-tcp/53",
      "kube/z/80",
      "other/b/80",
    ]);
    expect(ips(s, "default/web:http")).toEqual(["10.244.1.2:8080", "10.244.1.3:8080", "10.244.2.2:8080"]);
    expect(ips(s, "default/web:https")).toEqual(["10.244.1.2:8443", "10.244.1.3:8443", "10.244.2.2:8443"]);
    expect(ips(s, "other/b")).toEqual(["10.244.3.2:80"]);
    expect(ips(s, "default/a")).toEqual([]);
    expect(s.services.find((e) => e.port.name === "dns" && e.port.portName === "dns")?.port.protocol).toBe("UDP");
    expect([...s.changed].sort()).toEqual(["default/a", "default/a-b", "default/web:http", "default/web:https", "kube-system/dns:dns", "kube-system/dns:dns-tcp", "kube/z", "other/b"]);

    // Nothing happened: same entries, nothing changed.
    const again = tracker.snapshot();
    expect(again.changed.size).toBe(0);
    expect(again.services).toHaveLength(s.services.length);
    again.services.forEach((e, i) => expect(e).toBe(s.services[i]));
  });

  it("after one slice update only that Service's entries are new objects", async () => {
    const { api, tracker } = await setup([
      service("default", "a"),
      service("default", "web", [{ name: "http", port: 80 }, { name: "metrics", port: 9090 }]),
      service("other", "b"),
      slice("default", "a-1", "a", ["10.244.1.5"]),
      slice("default", "web-1", "web", ["10.244.1.2"], [{ name: "http", port: 8080 }, { name: "metrics", port: 9090 }]),
      slice("other", "b-1", "b", ["10.244.3.2"]),
    ]);
    const first = tracker.snapshot();
    api.update(SLICES, slice("default", "web-1", "web", ["10.244.1.2", "10.244.2.7"], [{ name: "http", port: 8080 }, { name: "metrics", port: 9090 }]));
    await settle();
    const second = tracker.snapshot();

    expect([...second.changed].sort()).toEqual(["default/web:http", "default/web:metrics"]);
    expect(keys(second)).toEqual(keys(first));
    for (const [i, e] of second.services.entries()) {
      const old = first.services[i]!;
      if (e.port.name === "web") {
        expect(e).not.toBe(old);
        expect(e.endpoints).not.toBe(old.endpoints);
      } else {
        expect(e).toBe(old);
        expect(e.port).toBe(old.port);
        expect(e.endpoints).toBe(old.endpoints);
      }
    }
    expect(ips(second, "default/web:http")).toEqual(["10.244.1.2:8080", "10.244.2.7:8080"]);
    expect(ips(second, "default/web:metrics")).toEqual(["10.244.1.2:9090", "10.244.2.7:9090"]);
  });

  it("a Service deletion removes its entries and reports its old keys", async () => {
    const { api, tracker } = await setup([
      service("default", "a"),
      service("default", "web", [{ name: "http", port: 80 }, { name: "https", port: 443 }]),
      slice("default", "web-1", "web", ["10.244.1.2"], [{ name: "http", port: 8080 }]),
    ]);
    const first = tracker.snapshot();
    api.delete(SERVICES, "default", "web");
    await settle();
    const second = tracker.snapshot();
    expect(keys(second)).toEqual(["default/a/80"]);
    expect(second.services[0]).toBe(first.services[0]);
    expect([...second.changed].sort()).toEqual(["default/web:http", "default/web:https"]);

    // Its slice lingering (until the garbage collector comes) changes nothing
    // visible; deleting it only reports the (gone) Service as dirty again.
    api.delete(SLICES, "default", "web-1");
    await settle();
    const third = tracker.snapshot();
    expect(keys(third)).toEqual(["default/a/80"]);
    expect(third.changed.size).toBe(0);
  });

  it("a slice moved to another Service (label change) updates both; a removed label leaves the index", async () => {
    const { api, tracker } = await setup([
      service("default", "a"),
      service("default", "b"),
      service("default", "c"),
      slice("default", "s-1", "a", ["10.244.1.2"]),
    ]);
    const first = tracker.snapshot();
    expect(ips(first, "default/a")).toEqual(["10.244.1.2:80"]);

    api.update(SLICES, slice("default", "s-1", "b", ["10.244.1.2"]));
    await settle();
    const second = tracker.snapshot();
    expect([...second.changed].sort()).toEqual(["default/a", "default/b"]);
    expect(ips(second, "default/a")).toEqual([]);
    expect(ips(second, "default/b")).toEqual(["10.244.1.2:80"]);
    expect(entriesOf(second, "default", "c")[0]).toBe(entriesOf(first, "default", "c")[0]);

    api.update(SLICES, slice("default", "s-1", undefined, ["10.244.1.2"]));
    await settle();
    const third = tracker.snapshot();
    expect([...third.changed]).toEqual(["default/b"]);
    expect(ips(third, "default/b")).toEqual([]);
    expect(entriesOf(third, "default", "a")[0]).toBe(entriesOf(second, "default", "a")[0]);

    // Labelled again: back in an index.
    api.update(SLICES, slice("default", "s-1", "c", ["10.244.1.2"]));
    await settle();
    const fourth = tracker.snapshot();
    expect([...fourth.changed]).toEqual(["default/c"]);
    expect(ips(fourth, "default/c")).toEqual(["10.244.1.2:80"]);
  });

  it("a new Service appears in sorted position; a slice that came first is picked up", async () => {
    const { api, tracker } = await setup([service("default", "a"), service("default", "c"), slice("default", "b-1", "b", ["10.244.1.9"])]);
    const first = tracker.snapshot();
    expect(keys(first)).toEqual(["default/a/80", "default/c/80"]);
    expect(first.changed.has("default/b")).toBe(false);

    api.create(SERVICES, service("default", "b", [{ name: "x", port: 81 }, { port: 80, name: "y" }]));
    await settle();
    const second = tracker.snapshot();
    expect(keys(second)).toEqual(["default/a/80", "default/b:x/81", "default/b:y/80", "default/c/80"]);
    expect([...second.changed].sort()).toEqual(["default/b:x", "default/b:y"]);
    expect(second.services[0]).toBe(first.services[0]);
    expect(second.services[3]).toBe(first.services[1]);
    // The slice's port is unnamed, so it matches neither named port.
    expect(ips(second, "default/b:x")).toEqual([]);
  });

  it("a Service edit that drops a port reports old and new port keys", async () => {
    const { api, tracker } = await setup([service("default", "web", [{ name: "http", port: 80 }, { name: "https", port: 443 }])]);
    tracker.snapshot();
    const svc = api.get(SERVICES, "default", "web");
    api.update(SERVICES, { ...svc, spec: { ...(svc.spec as object), ports: [{ name: "http2", port: 8080, targetPort: 8080 }] } } as KubeObject);
    await settle();
    const s = tracker.snapshot();
    expect(keys(s)).toEqual(["default/web:http2/8080"]);
    expect([...s.changed].sort()).toEqual(["default/web:http", "default/web:http2", "default/web:https"]);
  });

  it("headless Services get no entries", async () => {
    const headless: KubeObject = { apiVersion: "v1", kind: "Service", metadata: { name: "h", namespace: "default" }, spec: { clusterIP: "None", ports: [{ port: 80 }] } };
    const { tracker } = await setup([headless, service("default", "a"), slice("default", "h-1", "h", ["10.244.1.2"])]);
    const s = tracker.snapshot();
    expect(keys(s)).toEqual(["default/a/80"]);
    expect([...s.changed]).toEqual(["default/a"]);
  });

  it("a re-list after a broken watch ends consistent with what vanished and moved meanwhile", async () => {
    const { api, tracker, breakWatches } = await setup([
      service("default", "a"),
      service("default", "b"),
      service("default", "c"),
      slice("default", "a-1", "a", ["10.244.1.2"]),
      slice("default", "b-1", "b", ["10.244.1.3"]),
    ]);
    const first = tracker.snapshot();
    // Cut the watches, then change things the informers do not hear about.
    breakWatches();
    api.delete(SLICES, "default", "a-1");
    api.update(SLICES, slice("default", "b-1", "c", ["10.244.1.3"]));
    api.delete(SERVICES, "default", "a");
    await settle();
    expect(tracker.snapshot().changed.size).toBe(0);
    // The informers re-list 200 ms after the error.
    await new Promise((r) => setTimeout(r, 400));
    const second = tracker.snapshot();
    expect(keys(second)).toEqual(["default/b/80", "default/c/80"]);
    expect([...second.changed].sort()).toEqual(["default/a", "default/b", "default/c"]);
    expect(ips(second, "default/b")).toEqual([]);
    expect(ips(second, "default/c")).toEqual(["10.244.1.3:80"]);
    expect(first.services).toHaveLength(3);
  });
});
