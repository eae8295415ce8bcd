// The EndpointSlice controller against a real in-process API server (with
// Service allocation and the garbage collector), driven by writing Services
// and Pods with statuses directly.
import { describe, it, expect, afterEach, vi } from "vitest";
import { until, withNamespaces } from "../support/fixtures.js";
import { ApiServer, type ListOptions } from "../../src/api/apiserver.js";
import { resourceByKind, type ResourceInfo } from "../../src/api/resources.js";
import type { EndpointSlice, KubeObject, Pod, Stored, WatchEvent } from "../../src/api/types.js";
import { ServiceAllocation } from "../../src/controllers/allocation/index.js";
import { GarbageCollector } from "../../src/controllers/garbagecollector.js";
import {
  EndpointSliceController,
  findPort,
  shouldPodBeInEndpoints,
  type Endpoint,
} from "../../src/controllers/endpointslice.js";
import type { Controller } from "../../src/controllers/controller.js";

const SERVICES = resourceByKind("Service")!;
const PODS = resourceByKind("Pod")!;
const SLICES = resourceByKind("EndpointSlice")!;

let running: Controller[] = [];
afterEach(() => {
  running.forEach((c) => c.stop());
  running = [];
});

function setup<A extends ApiServer>(api: A = new ApiServer() as A): A {
  api.addAdmission(new ServiceAllocation());
  withNamespaces(api);
  running = [new EndpointSliceController(api), new GarbageCollector(api)];
  running.forEach((c) => c.start());
  return api;
}

interface PodOptions {
  ip?: string;
  ready?: boolean;
  phase?: string;
  labels?: Record<string, string>;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  nodeName?: string;
  namespace?: string;
  hostname?: string;
  subdomain?: string;
}

function pod(name: string, o: PodOptions = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: o.namespace ?? "default", labels: o.labels ?? { app: "web" } },
    spec: {
      nodeName: o.nodeName ?? "node-1",
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
      containers: [{ name: "c", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["pause"], ...(o.ports ? { ports: o.ports } : {}) }],
    },
    status: {
      phase: o.phase ?? "Running",
      ...(o.ip === "" ? {} : { podIP: o.ip ?? "10.244.1.2", podIPs: [{ ip: o.ip ?? "10.244.1.2" }] }),
      conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }],
    },
  };
}

function service(name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default", ...(labels ? { labels } : {}) },
    spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
  };
}

const slicesOf = (api: ApiServer, svc: string, ns = "default") =>
  api.list(SLICES, { namespace: ns, labelSelector: `kubernetes.io/service-name=${svc}` }).items as Stored<EndpointSlice>[];

const endpointsOf = (api: ApiServer, svc: string, ns = "default"): Endpoint[] =>
  slicesOf(api, svc, ns)
    .flatMap((s) => s.endpoints ?? [])
    .sort((a, b) => (a.targetRef?.name ?? "").localeCompare(b.targetRef?.name ?? ""));

const byPod = (api: ApiServer, svc: string) => Object.fromEntries(endpointsOf(api, svc).map((e) => [e.targetRef!.name!, e.conditions]));


const settle = () => new Promise((r) => setTimeout(r, 30));

function setReady(api: ApiServer, name: string, ready: boolean): void {
  const p = api.get(PODS, "default", name) as Stored<Pod>;
  api.update(PODS, { ...p, status: { ...p.status, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } }, "default", { subresource: "status" });
}

describe("EndpointSlice controller", () => {
  it("creates a slice named <service>-xxxxx owned by the Service, one endpoint per pod with an IP", async () => {
    const api = setup();
    const svc = api.create(SERVICES, service("web", {}, { tier: "front" }));
    api.create(PODS, pod("web-1", { ip: "10.244.1.5" }));
    api.create(PODS, pod("web-2", { ip: "10.244.2.7", nodeName: "node-2" }));
    api.create(PODS, pod("no-ip", { ip: "" }));
    api.create(PODS, pod("done", { ip: "10.244.1.9", phase: "Succeeded" }));
    api.create(PODS, pod("failed", { ip: "10.244.1.10", phase: "Failed" }));
    api.create(PODS, pod("stranger", { ip: "10.244.1.11", labels: { app: "db" } }));
    await until(() => expect(endpointsOf(api, "web")).toHaveLength(2));
    const [slice, ...more] = slicesOf(api, "web");
    expect(more).toEqual([]);
    expect(slice!.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(slice!.metadata.generateName).toBe("web-");
    expect(slice!.metadata.labels).toEqual({
      tier: "front",
      "kubernetes.io/service-name": "web",
      "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    });
    expect(slice!.metadata.ownerReferences).toEqual([
      { apiVersion: "v1", kind: "Service", name: "web", uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(slice!.addressType).toBe("IPv4");
    expect(slice!.ports).toEqual([{ name: "", port: 8080, protocol: "TCP" }]);
    const web1 = api.get(PODS, "default", "web-1");
    expect(endpointsOf(api, "web")).toEqual([
      {
        addresses: ["10.244.1.5"],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: "Pod", namespace: "default", name: "web-1", uid: web1.metadata.uid },
        nodeName: "node-1",
      },
      expect.objectContaining({ addresses: ["10.244.2.7"], nodeName: "node-2" }),
    ]);
  });

  it("reports ready, not-ready and terminating pods as upstream does", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    api.create(PODS, pod("b", { ip: "10.244.1.3", ready: false }));
    api.create(PODS, pod("c", { ip: "10.244.1.4" }));
    await until(() => expect(endpointsOf(api, "web")).toHaveLength(3));
    expect(byPod(api, "web")).toEqual({
      a: { ready: true, serving: true, terminating: false },
      b: { ready: false, serving: false, terminating: false },
      c: { ready: true, serving: true, terminating: false },
    });
    // A pod on a node ends gracefully: it stays listed, not ready, while it terminates.
    api.delete(PODS, "default", "c");
    setReady(api, "b", true);
    await until(() =>
      expect(byPod(api, "web")).toEqual({
        a: { ready: true, serving: true, terminating: false },
        b: { ready: true, serving: true, terminating: false },
        c: { ready: false, serving: true, terminating: true },
      }),
    );
    setReady(api, "c", false);
    await until(() => expect(byPod(api, "web").c).toEqual({ ready: false, serving: false, terminating: true }));
  });

  it("marks every endpoint ready with publishNotReadyAddresses (serving still follows the pod)", async () => {
    const api = setup();
    api.create(SERVICES, service("db", { clusterIP: "None", publishNotReadyAddresses: true }));
    api.create(PODS, pod("a", { ip: "10.244.1.2", ready: false, hostname: "a", subdomain: "db" }));
    api.create(PODS, pod("b", { ip: "10.244.1.3" }));
    await until(() => expect(endpointsOf(api, "db")).toHaveLength(2));
    api.delete(PODS, "default", "b");
    await until(() =>
      expect(byPod(api, "db")).toEqual({
        a: { ready: true, serving: false, terminating: false },
        b: { ready: true, serving: true, terminating: true },
      }),
    );
    // Headless: the slice says so; a pod whose subdomain is the Service gets its hostname listed.
    const [slice] = slicesOf(api, "db");
    expect(slice!.metadata.labels?.["service.kubernetes.io/headless"]).toBe("");
    expect(endpointsOf(api, "db")[0]!.hostname).toBe("a");
  });

  it("resolves named target ports per pod: different container ports make different slices", async () => {
    const api = setup();
    api.create(SERVICES, service("web", { ports: [{ name: "http", port: 80, targetPort: "http" }, { name: "metrics", port: 9100, targetPort: 9100 }] }));
    api.create(PODS, pod("a", { ip: "10.244.1.2", ports: [{ name: "http", containerPort: 8080 }] }));
    api.create(PODS, pod("b", { ip: "10.244.1.3", ports: [{ name: "http", containerPort: 8080 }] }));
    api.create(PODS, pod("c", { ip: "10.244.1.4", ports: [{ name: "http", containerPort: 9090 }] }));
    // Same name, other protocol: does not resolve for a TCP Service port.
    api.create(PODS, pod("d", { ip: "10.244.1.5", ports: [{ name: "http", containerPort: 8080, protocol: "UDP" }] }));
    await until(() => expect(slicesOf(api, "web")).toHaveLength(3));
    const layout = slicesOf(api, "web")
      .map((s) => ({ ports: s.ports, pods: (s.endpoints ?? []).map((e) => e.targetRef!.name).sort() }))
      .sort((x, y) => x.pods[0]!.localeCompare(y.pods[0]!));
    expect(layout).toEqual([
      { ports: [{ name: "http", port: 8080, protocol: "TCP" }, { name: "metrics", port: 9100, protocol: "TCP" }], pods: ["a", "b"] },
      { ports: [{ name: "http", port: 9090, protocol: "TCP" }, { name: "metrics", port: 9100, protocol: "TCP" }], pods: ["c"] },
      { ports: [{ name: "metrics", port: 9100, protocol: "TCP" }], pods: ["d"] },
    ]);
  });

  it("leaves Services without a selector, and their user-made slices, alone", async () => {
    const api = setup();
    api.create(SERVICES, { apiVersion: "v1", kind: "Service", metadata: { name: "ext" }, spec: { ports: [{ port: 80 }] } });
    const mine = api.create(SLICES, {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "ext-1", labels: { "kubernetes.io/service-name": "ext" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["192.168.1.10"] }],
      ports: [{ name: "", port: 8080, protocol: "TCP" }],
    });
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    await settle();
    expect(slicesOf(api, "ext").map((s) => [s.metadata.name, s.metadata.resourceVersion])).toEqual([["ext-1", mine.metadata.resourceVersion]]);
  });

  it("removes a deleted pod's endpoint, and a pod that stops matching", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    api.create(PODS, pod("b", { ip: "10.244.1.3" }));
    api.create(PODS, pod("c", { ip: "10.244.1.4" }));
    await until(() => expect(endpointsOf(api, "web")).toHaveLength(3));
    const name = slicesOf(api, "web")[0]!.metadata.name;
    api.delete(PODS, "default", "a", { gracePeriodSeconds: 0 });
    await until(() => expect(endpointsOf(api, "web").map((e) => e.targetRef!.name)).toEqual(["b", "c"]));
    const b = api.get(PODS, "default", "b");
    api.update(PODS, { ...b, metadata: { ...b.metadata, labels: { app: "other" } } });
    await until(() => expect(endpointsOf(api, "web").map((e) => e.targetRef!.name)).toEqual(["c"]));
    // The same slice was updated throughout.
    expect(slicesOf(api, "web").map((s) => s.metadata.name)).toEqual([name]);
  });

  it("keeps one empty placeholder slice for a Service with no endpoints, and fills that one later", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    await until(() => expect(slicesOf(api, "web")).toHaveLength(1));
    const [placeholder] = slicesOf(api, "web");
    expect(placeholder!.endpoints).toEqual([]);
    expect(placeholder!.ports).toBeUndefined();
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    await until(() => expect(endpointsOf(api, "web")).toHaveLength(1));
    expect(slicesOf(api, "web").map((s) => [s.metadata.name, s.ports])).toEqual([[placeholder!.metadata.name, [{ name: "", port: 8080, protocol: "TCP" }]]]);
    api.delete(PODS, "default", "a", { gracePeriodSeconds: 0 });
    await until(() => expect(slicesOf(api, "web").map((s) => [s.endpoints, s.ports])).toEqual([[[], undefined]]));
  });

  it("writes nothing when nothing changed", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    for (const n of ["a", "b"]) api.create(PODS, pod(n, { ip: n === "a" ? "10.244.1.2" : "10.244.1.3" }));
    await until(() => expect(endpointsOf(api, "web")).toHaveLength(2));
    await settle();
    const before = slicesOf(api, "web").map((s) => s.metadata.resourceVersion);
    // Events that change nothing the slices show: a pod annotation, a Service resync.
    const a = api.get(PODS, "default", "a");
    api.update(PODS, { ...a, metadata: { ...a.metadata, annotations: { note: "x" } } });
    const s = api.get(SERVICES, "default", "web");
    api.update(SERVICES, { ...s, metadata: { ...s.metadata, annotations: { note: "y" } } });
    await settle();
    expect(slicesOf(api, "web").map((s) => s.metadata.resourceVersion)).toEqual(before);
    // A Service label change is copied to the slice.
    api.update(SERVICES, { ...api.get(SERVICES, "default", "web"), metadata: { ...api.get(SERVICES, "default", "web").metadata, labels: { team: "x" } } });
    await until(() => expect(slicesOf(api, "web")[0]!.metadata.labels?.team).toBe("x"));
  });

  it("removes the slices with the Service (garbage collector, through ownerReferences)", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    await until(() => expect(endpointsOf(api, "web")).toHaveLength(1));
    api.delete(SERVICES, "default", "web");
    await until(() => expect(slicesOf(api, "web")).toEqual([]));
    expect(api.list(SLICES).items).toEqual([]);
  });

  it("puts at most 100 endpoints in a slice", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    for (let i = 0; i < 105; i++) api.create(PODS, pod(`web-${String(i).padStart(3, "0")}`, { ip: `10.244.${1 + Math.floor(i / 200)}.${2 + (i % 200)}` }));
    await until(() => expect(endpointsOf(api, "web")).toHaveLength(105));
    expect(slicesOf(api, "web").map((s) => s.endpoints!.length).sort((a, b) => a - b)).toEqual([5, 100]);
    // Removed pods leave the slice they were in; nothing is rebalanced (as upstream).
    for (let i = 0; i < 3; i++) api.delete(PODS, "default", `web-${String(i).padStart(3, "0")}`, { gracePeriodSeconds: 0 });
    await until(() => expect(endpointsOf(api, "web")).toHaveLength(102));
    expect(slicesOf(api, "web").map((s) => s.endpoints!.length).sort((a, b) => a - b)).toEqual([5, 97]);
    // New pods go to the slice with room that ends up fullest.
    api.create(PODS, pod("web-new", { ip: "10.244.3.2" }));
    await until(() => expect(slicesOf(api, "web").map((s) => s.endpoints!.length).sort((a, b) => a - b)).toEqual([5, 98]));
  });

  it("rebuilds slices that someone else deleted or changed", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    await until(() => expect(endpointsOf(api, "web")).toHaveLength(1));
    const [slice] = slicesOf(api, "web");
    api.update(SLICES, { ...slice!, endpoints: [{ addresses: ["10.244.9.9"] }] });
    await until(() => expect(endpointsOf(api, "web").map((e) => e.addresses)).toEqual([["10.244.1.2"]]));
    api.delete(SLICES, "default", slice!.metadata.name);
    await until(() => expect(endpointsOf(api, "web").map((e) => e.addresses)).toEqual([["10.244.1.2"]]));
  });
});

describe("EndpointSlice helpers", () => {
  const p = (o: PodOptions) => pod("x", o) as Pod;

  it("keeps finished pods and pods without an IP out", () => {
    expect(shouldPodBeInEndpoints(p({}))).toBe(true);
    expect(shouldPodBeInEndpoints(p({ ip: "" }))).toBe(false);
    expect(shouldPodBeInEndpoints(p({ phase: "Succeeded" }))).toBe(false);
    expect(shouldPodBeInEndpoints(p({ phase: "Failed" }))).toBe(false);
    expect(shouldPodBeInEndpoints(p({ phase: "Pending" }))).toBe(true);
  });

  it("finds named ports in containers and sidecar init containers, by name and protocol", () => {
    const withSidecar: Pod = {
      ...p({ ports: [{ name: "dns", containerPort: 5353, protocol: "UDP" }] }),
    };
    withSidecar.spec = {
      ...withSidecar.spec,
      initContainers: [
        { name: "proxy", image: "x", restartPolicy: "Always", ports: [{ name: "admin", containerPort: 15000 }] },
        { name: "init", image: "x", ports: [{ name: "setup", containerPort: 1 }] },
      ],
    };
    expect(findPort(withSidecar, { port: 53, targetPort: "dns", protocol: "UDP" })).toBe(5353);
    expect(findPort(withSidecar, { port: 53, targetPort: "dns", protocol: "TCP" })).toBeUndefined();
    expect(findPort(withSidecar, { port: 80, targetPort: "admin" })).toBe(15000);
    expect(findPort(withSidecar, { port: 80, targetPort: "setup" })).toBeUndefined();
    expect(findPort(withSidecar, { port: 80, targetPort: 8080 })).toBe(8080);
  });
});

/**
 * An API server whose watches can be held back per resource and released
 * later (events of one resource arriving late relative to another's), and
 * re-listed (ADDED replayed for every existing object, as a watch that
 * reconnects without a resourceVersion delivers them).
 */
class ReorderingApi extends ApiServer {
  private readonly subscriptions: { resource: ResourceInfo; send: (e: WatchEvent) => void; held?: WatchEvent[] }[] = [];

  override watch(resource: ResourceInfo, options: ListOptions & { resourceVersion?: string }, send: (e: WatchEvent) => void): () => void {
    const sub: { resource: ResourceInfo; send: (e: WatchEvent) => void; held?: WatchEvent[] } = { resource, send };
    this.subscriptions.push(sub);
    const stop = super.watch(resource, options, (e) => (sub.held ? sub.held.push(e) : send(e)));
    return () => {
      stop();
      this.subscriptions.splice(this.subscriptions.indexOf(sub), 1);
    };
  }

  hold(resource: ResourceInfo): void {
    for (const s of this.subscriptions) if (s.resource === resource) s.held ??= [];
  }

  release(resource: ResourceInfo): void {
    for (const s of this.subscriptions) {
      if (s.resource !== resource) continue;
      const held = s.held ?? [];
      delete s.held;
      held.forEach((e) => s.send(e));
    }
  }

  relist(resource: ResourceInfo): void {
    for (const s of this.subscriptions) if (s.resource === resource) for (const object of this.list(resource).items) s.send({ type: "ADDED", object });
  }
}

const names = (api: ApiServer, svc: string, ns = "default") => endpointsOf(api, svc, ns).map((e) => e.targetRef!.name!);
const versions = (api: ApiServer, svc: string, ns = "default") => slicesOf(api, svc, ns).map((s) => [s.metadata.name, s.metadata.resourceVersion]);

function relabel(api: ApiServer, name: string, labels: Record<string, string>, ns = "default"): void {
  const p = api.get(PODS, ns, name);
  api.update(PODS, { ...p, metadata: { ...p.metadata, labels } });
}

describe("EndpointSlice controller indexes", () => {
  it("moves a relabelled pod from one Service's slice to another's, leaving a third Service's slices unwritten", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    api.create(SERVICES, service("db", { selector: { app: "db" } }));
    api.create(SERVICES, service("cache", { selector: { app: "cache" } }));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    api.create(PODS, pod("b", { ip: "10.244.1.3" }));
    api.create(PODS, pod("c", { ip: "10.244.1.4", labels: { app: "cache" } }));
    await until(() => {
      expect(names(api, "web")).toEqual(["a", "b"]);
      expect(names(api, "db")).toEqual([]);
      expect(names(api, "cache")).toEqual(["c"]);
    });
    await settle();
    const cache = versions(api, "cache");
    relabel(api, "a", { app: "db" });
    await until(() => {
      expect(names(api, "web")).toEqual(["b"]);
      expect(names(api, "db")).toEqual(["a"]);
    });
    api.delete(PODS, "default", "b", { gracePeriodSeconds: 0 });
    await until(() => expect(names(api, "web")).toEqual([]));
    await settle();
    expect(versions(api, "cache")).toEqual(cache);
  });

  it("follows a Service's selector change, and later pod events go by the new selector", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    api.create(PODS, pod("b", { ip: "10.244.1.3", labels: { app: "web", tier: "canary" } }));
    api.create(PODS, pod("c", { ip: "10.244.1.4", labels: { app: "db", tier: "canary" } }));
    await until(() => expect(names(api, "web")).toEqual(["a", "b"]));
    const svc = api.get(SERVICES, "default", "web");
    api.update(SERVICES, { ...svc, spec: { ...(svc.spec as object), selector: { app: "web", tier: "canary" } } });
    await until(() => expect(names(api, "web")).toEqual(["b"]));
    // The old selector no longer brings pods in; the new one does.
    api.create(PODS, pod("d", { ip: "10.244.1.5" }));
    relabel(api, "c", { app: "web", tier: "canary" });
    await until(() => expect(names(api, "web")).toEqual(["b", "c"]));
    const svc2 = api.get(SERVICES, "default", "web");
    api.update(SERVICES, { ...svc2, spec: { ...(svc2.spec as object), selector: { tier: "canary" } } });
    await until(() => expect(names(api, "web")).toEqual(["b", "c"]));
    relabel(api, "d", { tier: "canary", other: "x" });
    await until(() => expect(names(api, "web")).toEqual(["b", "c", "d"]));
  });

  it("matches multi-label selectors whatever pair a Service is filed under, and keeps namespaces apart", async () => {
    const api = setup();
    // Many Services share tier=backend, so later ones are filed under their own app=… pair.
    for (const n of ["s1", "s2", "s3", "s4"]) api.create(SERVICES, service(n, { selector: { app: n, tier: "backend" } }));
    api.create(SERVICES, { ...service("s1", { selector: { app: "s1", tier: "backend" } }), metadata: { name: "s1", namespace: "other" } });
    api.create(PODS, pod("s1-a", { ip: "10.244.1.2", labels: { app: "s1", tier: "backend" } }));
    api.create(PODS, pod("s1-b", { ip: "10.244.1.3", labels: { app: "s1" } }));
    api.create(PODS, pod("s3-a", { ip: "10.244.1.4", labels: { app: "s3", tier: "backend", extra: "y" } }));
    api.create(PODS, pod("lone", { ip: "10.244.1.5", labels: { tier: "backend" } }));
    api.create(PODS, pod("s1-other", { ip: "10.244.2.2", labels: { app: "s1", tier: "backend" }, namespace: "other" }));
    await until(() => {
      expect(names(api, "s1")).toEqual(["s1-a"]);
      expect(names(api, "s2")).toEqual([]);
      expect(names(api, "s3")).toEqual(["s3-a"]);
      expect(names(api, "s4")).toEqual([]);
      expect(names(api, "s1", "other")).toEqual(["s1-other"]);
    });
    relabel(api, "s1-b", { app: "s1", tier: "backend" });
    relabel(api, "lone", { app: "s4", tier: "backend" });
    await until(() => {
      expect(names(api, "s1")).toEqual(["s1-a", "s1-b"]);
      expect(names(api, "s4")).toEqual(["lone"]);
      expect(names(api, "s1", "other")).toEqual(["s1-other"]);
    });
  });

  it("reads pods and Services from its indexes, not by listing, on pod and Service events", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    await until(() => expect(names(api, "web")).toEqual(["a"]));
    const list = vi.spyOn(api, "list");
    api.create(PODS, pod("b", { ip: "10.244.1.3" }));
    setReady(api, "a", false);
    const s = api.get(SERVICES, "default", "web");
    api.update(SERVICES, { ...s, metadata: { ...s.metadata, labels: { team: "x" } } });
    await until(() => expect(byPod(api, "web")).toEqual({ a: expect.objectContaining({ ready: false }), b: expect.objectContaining({ ready: true }) }));
    expect(list.mock.calls.map(([r]) => r.kind).filter((k) => k !== "EndpointSlice")).toEqual([]);
    expect(list.mock.calls.every(([, o]: [ResourceInfo, ListOptions?]) => o?.labelSelector === "kubernetes.io/service-name=web")).toBe(true);
    list.mockRestore();
  });

  it("converges when pod events arrive after the Service's, and Service events after the pods'", async () => {
    const api = setup(new ReorderingApi());
    api.hold(PODS);
    api.create(SERVICES, service("web"));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    // The controller has not seen the pod yet: an empty placeholder.
    await until(() => expect(slicesOf(api, "web").map((s) => s.endpoints)).toEqual([[]]));
    api.release(PODS);
    await until(() => expect(names(api, "web")).toEqual(["a"]));

    api.hold(SERVICES);
    api.create(PODS, pod("d1", { ip: "10.244.1.3", labels: { app: "db" } }));
    api.create(SERVICES, service("db", { selector: { app: "db" } }));
    const web = api.get(SERVICES, "default", "web");
    api.update(SERVICES, { ...web, spec: { ...(web.spec as object), selector: { app: "db" } } });
    await settle();
    // Nothing yet: the pod event found no Service that selects it in the index.
    expect(slicesOf(api, "db")).toEqual([]);
    expect(names(api, "web")).toEqual(["a"]);
    api.release(SERVICES);
    await until(() => {
      expect(names(api, "db")).toEqual(["d1"]);
      expect(names(api, "web")).toEqual(["d1"]);
    });
    // And the index now files the Services under their current selectors.
    relabel(api, "a", { app: "db" });
    await until(() => expect(names(api, "web")).toEqual(["a", "d1"]));
  });

  it("makes no duplicate slices while slice events lag its own writes, and settles when they arrive", async () => {
    const api = setup(new ReorderingApi());
    api.hold(SLICES);
    api.create(SERVICES, service("web"));
    await until(() => expect(slicesOf(api, "web")).toHaveLength(1));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    await until(() => expect(names(api, "web")).toEqual(["a"]));
    api.create(PODS, pod("b", { ip: "10.244.1.3" }));
    await until(() => expect(names(api, "web")).toEqual(["a", "b"]));
    api.delete(PODS, "default", "a", { gracePeriodSeconds: 0 });
    await until(() => expect(names(api, "web")).toEqual(["b"]));
    expect(slicesOf(api, "web")).toHaveLength(1);
    const before = versions(api, "web");
    api.release(SLICES);
    await settle();
    expect(versions(api, "web")).toEqual(before);
    relabel(api, "b", { app: "other" });
    await until(() => expect(slicesOf(api, "web").map((s) => s.endpoints)).toEqual([[]]));
  });

  it("writes nothing on a re-list replaying ADDED for every object, and keeps working after it", async () => {
    const api = setup(new ReorderingApi());
    api.create(SERVICES, service("web"));
    api.create(SERVICES, service("db", { selector: { app: "db" } }));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    api.create(PODS, pod("b", { ip: "10.244.1.3" }));
    await until(() => expect(names(api, "web")).toEqual(["a", "b"]));
    await settle();
    const web = versions(api, "web");
    const db = versions(api, "db");
    for (const r of [SLICES, PODS, SERVICES, SLICES]) api.relist(r);
    await settle();
    expect(versions(api, "web")).toEqual(web);
    expect(versions(api, "db")).toEqual(db);
    // Replayed slices were filed once: a pod leaving is noticed, and a pod
    // that leaves and comes back is listed once.
    relabel(api, "a", { app: "db" });
    await until(() => {
      expect(names(api, "web")).toEqual(["b"]);
      expect(names(api, "db")).toEqual(["a"]);
    });
    api.relist(PODS);
    relabel(api, "a", { app: "web" });
    await until(() => {
      expect(names(api, "web")).toEqual(["a", "b"]);
      expect(names(api, "db")).toEqual([]);
    });
    api.delete(PODS, "default", "b", { gracePeriodSeconds: 0 });
    await until(() => expect(names(api, "web")).toEqual(["a"]));
  });

  it("starts from what is there: a restarted controller drops pods that stopped matching while it was away", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    api.create(PODS, pod("b", { ip: "10.244.1.3" }));
    api.create(PODS, pod("c", { ip: "10.244.1.4" }));
    await until(() => expect(names(api, "web")).toEqual(["a", "b", "c"]));
    const first = running[0]!;
    first.stop();
    relabel(api, "a", { app: "other" });
    api.create(PODS, pod("d", { ip: "10.244.1.5" }));
    await settle();
    expect(names(api, "web")).toEqual(["a", "b", "c"]);
    const second = new EndpointSliceController(api);
    running = [second, ...running.filter((c) => c !== first)];
    second.start();
    await until(() => expect(names(api, "web")).toEqual(["b", "c", "d"]));
    // The slices it found were indexed too: a deleted pod leaves them.
    api.delete(PODS, "default", "b", { gracePeriodSeconds: 0 });
    await until(() => expect(names(api, "web")).toEqual(["c", "d"]));
    expect(slicesOf(api, "web")).toHaveLength(1);
  });

  it("notices a managed slice relabelled away from its Service", async () => {
    const api = setup();
    api.create(SERVICES, service("web"));
    api.create(PODS, pod("a", { ip: "10.244.1.2" }));
    await until(() => expect(names(api, "web")).toEqual(["a"]));
    const [slice] = slicesOf(api, "web");
    api.update(SLICES, { ...slice!, metadata: { ...slice!.metadata, labels: { ...slice!.metadata.labels, "kubernetes.io/service-name": "elsewhere" } } });
    // The Service gets a slice again; the relabelled one is no longer its own.
    await until(() => expect(names(api, "web")).toEqual(["a"]));
    expect(slicesOf(api, "web").map((s) => s.metadata.name)).not.toContain(slice!.metadata.name);
  });
});
