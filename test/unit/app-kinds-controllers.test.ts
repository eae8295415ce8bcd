// The controllers behind the app kinds, in process against a real ApiServer:
// kube-controller-manager's serviceaccounts controller (the default
// ServiceAccount in every namespace), endpoint controller (Endpoints built from
// a Service and its pods; cases after TestSyncEndpoints* and
// TestTruncateEndpoints in pkg/controller/endpoint/endpoints_controller_test.go)
// and disruption controller (PDB status; cases after TestNoSelector,
// TestUnavailable, TestReplicaSet and TestIntegerMinAvailable... in
// pkg/controller/disruption/disruption_test.go).
import { describe, it, expect, afterEach } from "vitest";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject, Pod, Service, Stored } from "../../src/api/types.js";
import { ServiceAccountsController } from "../../src/controllers/serviceaccount.js";
import {
  EndpointsController,
  endpointSubsets,
  truncateSubsets,
  desiredEndpoints,
  OVER_CAPACITY,
  LAST_CHANGE_TRIGGER_TIME,
  type EndpointSubset,
  type Endpoints,
} from "../../src/controllers/endpoints.js";
import { DisruptionController, desiredStatus, expectedAndDesired, type PodDisruptionBudget } from "../../src/controllers/disruption.js";
import type { Controller } from "../../src/controllers/controller.js";
import { until, withNamespaces } from "../support/fixtures.js";

const NS = resourceByKind("Namespace")!;
const SAS = resourceByKind("ServiceAccount")!;
const PODS = resourceByKind("Pod")!;
const SERVICES = resourceByKind("Service")!;
const ENDPOINTS = resourceByKind("Endpoints")!;
const PDBS = resourceByKind("PodDisruptionBudget")!;
const RSS = resourceByKind("ReplicaSet")!;

let running: Controller[] = [];
afterEach(() => {
  running.forEach((c) => c.stop());
  running = [];
});
function run<C extends Controller>(c: C): C {
  c.start();
  running.push(c);
  return c;
}

const stored = <T>(o: T): Stored<T & KubeObject> => o as unknown as Stored<T & KubeObject>;

function pod(name: string, ip: string | undefined, o: { ready?: boolean; labels?: Record<string, string>; ports?: { name: string; containerPort: number }[]; terminating?: boolean; uid?: string; readyAt?: string } = {}): Stored<Pod> {
  return stored(
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: "default", uid: o.uid ?? `uid-${name}`, creationTimestamp: "2026-01-01T00:00:00Z", labels: o.labels ?? { app: "web" }, ...(o.terminating ? { deletionTimestamp: "2026-01-01T00:01:00Z" } : {}) },
      spec: { nodeName: "node-1", containers: [{ name: "c", image: "x", ports: o.ports }] },
      status: { phase: "Running", ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}), conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True", lastTransitionTime: o.readyAt ?? "2026-01-01T00:00:30Z" }] },
    },

  ) as Stored<Pod>;
}

function service(spec: Record<string, unknown> = {}): Stored<Service> {
  return stored(
    { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default", uid: "svc", creationTimestamp: "2026-01-01T00:00:10Z", labels: { team: "a" } }, spec: { selector: { app: "web" }, clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }], ...spec } },

  ) as Stored<Service>;
}

const addr = (ip: string, name: string) => ({ ip, nodeName: "node-1", targetRef: { kind: "Pod", namespace: "default", name, uid: `uid-${name}` } });

describe("endpoint subsets (pure)", () => {
  it("lists ready pods under addresses and the others under notReadyAddresses, sorted by IP, with the Service's port resolved", () => {
    const pods = [pod("b", "10.244.1.3"), pod("a", "10.244.1.2"), pod("c", "10.244.1.4", { ready: false }), pod("none", undefined), pod("gone", "10.244.1.9", { terminating: true })];
    expect(endpointSubsets(service(), pods)).toEqual([
      { addresses: [addr("10.244.1.2", "a"), addr("10.244.1.3", "b")], notReadyAddresses: [addr("10.244.1.4", "c")], ports: [{ name: "http", port: 8080, protocol: "TCP" }] },
    ]);
  });

  it("keeps terminating and unready pods ready when the Service publishes not-ready addresses", () => {
    const subsets = endpointSubsets(service({ publishNotReadyAddresses: true }), [pod("a", "10.244.1.2", { ready: false }), pod("g", "10.244.1.9", { terminating: true })]);
    expect(subsets.map((s) => [s.addresses?.map((a) => a.ip), s.notReadyAddresses])).toEqual([[["10.244.1.2", "10.244.1.9"], undefined]]);
  });

  it("splits pods whose named port resolves differently into subsets (RepackSubsets)", () => {
    const svc = service({ ports: [{ name: "http", port: 80, targetPort: "web", protocol: "TCP" }] });
    const subsets = endpointSubsets(svc, [pod("a", "10.244.1.2", { ports: [{ name: "web", containerPort: 8080 }] }), pod("b", "10.244.1.3", { ports: [{ name: "web", containerPort: 9090 }] }), pod("c", "10.244.1.4")]);
    expect(subsets).toEqual([
      { addresses: [addr("10.244.1.2", "a")], ports: [{ name: "http", port: 8080, protocol: "TCP" }] },
      { addresses: [addr("10.244.1.3", "b")], ports: [{ name: "http", port: 9090, protocol: "TCP" }] },
    ]);
  });

  it("gives a headless Service without ports one subset without ports", () => {
    expect(endpointSubsets(service({ clusterIP: "None", ports: [] }), [pod("a", "10.244.1.2")])).toEqual([{ addresses: [addr("10.244.1.2", "a")] }]);
  });

  it("truncates over 1000 addresses, ready ones first, in proportion per subset (TestTruncateEndpoints)", () => {
    const many = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ ip: `${prefix}.${Math.floor(i / 250)}.${i % 250}` }));
    const subsets: EndpointSubset[] = [
      { addresses: many(600, "10.1"), notReadyAddresses: many(10, "10.9") },
      { addresses: many(300, "10.2"), notReadyAddresses: many(190, "10.8") },
    ];
    const { subsets: out, truncated } = truncateSubsets(subsets);
    expect(truncated).toBe(true);
    // 100 places for 200 not-ready addresses: 5 (ceil of 10/200 × 100) and the 95 left.
    expect(out.map((s) => [s.addresses?.length, s.notReadyAddresses?.length])).toEqual([
      [600, 5],
      [300, 95],
    ]);
    const over = truncateSubsets([{ addresses: many(1200, "10.1"), notReadyAddresses: many(5, "10.9") }]);
    expect(over.subsets.map((s) => [s.addresses?.length, s.notReadyAddresses])).toEqual([[1000, undefined]]);
    expect(truncateSubsets(subsets.slice(1)).truncated).toBe(false);
  });

  it("writes the Service's labels, the trigger time and the over-capacity mark; nothing when nothing changed", () => {
    const svc = service();
    const pods = [pod("a", "10.244.1.2", { readyAt: "2026-01-01T00:02:00Z" })];
    const next = desiredEndpoints(svc, pods, undefined)!;
    expect(next.metadata).toEqual({ name: "web", namespace: "default", labels: { team: "a" }, annotations: { [LAST_CHANGE_TRIGGER_TIME]: "2026-01-01T00:02:00Z" } });
    const current = { ...next, metadata: { ...next.metadata, uid: "e", resourceVersion: "7", creationTimestamp: "2026-01-01T00:02:01Z" } } as Stored<Endpoints>;
    expect(desiredEndpoints(svc, pods, current)).toBeUndefined();
    const headless = desiredEndpoints(service({ clusterIP: "None" }), pods, undefined)!;
    expect(headless.metadata!.labels).toEqual({ team: "a", "service.kubernetes.io/headless": "" });
    const marked = { ...current, metadata: { ...current.metadata, annotations: { [OVER_CAPACITY]: "truncated" } } } as Stored<Endpoints>;
    expect(desiredEndpoints(svc, pods, marked)!.metadata!.annotations).toEqual({ [LAST_CHANGE_TRIGGER_TIME]: "2026-01-01T00:02:00Z" });
  });
});

function livePod(api: ApiServer, name: string, ip: string, ready = true): void {
  api.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x" }] } });
  const p = api.get(PODS, "default", name);
  api.update(PODS, { ...p, status: { phase: "Running", podIP: ip, podIPs: [{ ip }], conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } } as KubeObject, "default", { subresource: "status" });
}

describe("EndpointsController", () => {
  it("creates, follows and deletes a Service's Endpoints; leaves selector-less Services alone", async () => {
    const api = withNamespaces();
    run(new EndpointsController(api));
    api.create(SERVICES, { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }] } });
    api.create(SERVICES, { apiVersion: "v1", kind: "Service", metadata: { name: "manual", namespace: "default" }, spec: { ports: [{ port: 80 }] } });
    livePod(api, "a", "10.244.1.2");
    livePod(api, "b", "10.244.1.3", false);
    const ips = () => {
      const ep = api.tryGet(ENDPOINTS, "default", "web") as Stored<Endpoints> | undefined;
      return ep?.subsets?.map((s) => [s.addresses?.map((a) => a.ip) ?? [], s.notReadyAddresses?.map((a) => a.ip) ?? []]);
    };
    await until(() => expect(ips()).toEqual([[["10.244.1.2"], ["10.244.1.3"]]]));
    api.delete(PODS, "default", "a");
    await until(() => expect(ips()).toEqual([[[], ["10.244.1.3"]]]));
    // Relabelled away: gone from the Endpoints.
    const b = api.get(PODS, "default", "b");
    api.update(PODS, { ...b, metadata: { ...b.metadata, labels: { app: "other" } } } as KubeObject);
    await until(() => expect(api.get(ENDPOINTS, "default", "web")).not.toHaveProperty("subsets"));
    api.delete(ENDPOINTS, "default", "web");
    await until(() => expect(api.tryGet(ENDPOINTS, "default", "web")).toBeDefined());
    api.delete(SERVICES, "default", "web");
    await until(() => expect(api.tryGet(ENDPOINTS, "default", "web")).toBeUndefined());
    expect(api.tryGet(ENDPOINTS, "default", "manual")).toBeUndefined();
  });
});

describe("ServiceAccountsController", () => {
  it("creates the default ServiceAccount in every namespace and again when it is deleted", async () => {
    const api = withNamespaces();
    run(new ServiceAccountsController(api));
    await until(() => expect(api.tryGet(SAS, "other", "default")).toBeDefined());
    api.create(NS, { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    await until(() => expect(api.get(SAS, "shop", "default").metadata).toMatchObject({ name: "default", namespace: "shop" }));
    const uid = api.get(SAS, "shop", "default").metadata.uid;
    api.delete(SAS, "shop", "default");
    await until(() => expect(api.get(SAS, "shop", "default").metadata.uid).not.toBe(uid));
  });
});

function budget(spec: Record<string, unknown>, generation = 1): Stored<PodDisruptionBudget> {
  return { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web", namespace: "default", uid: "pdb", generation }, spec } as unknown as Stored<PodDisruptionBudget>;
}

describe("disruption status (pure)", () => {
  const owned = (p: Stored<Pod>) => ({ ...p, metadata: { ...p.metadata, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "rs", controller: true }] } }) as Stored<Pod>;
  const scaleOf = () => ({ uid: "deploy", replicas: 4 });
  const pods = [owned(pod("a", "10.0.0.1")), owned(pod("b", "10.0.0.2")), owned(pod("c", "10.0.0.3", { ready: false })), owned(pod("d", "10.0.0.4", { terminating: true }))];

  it("integer minAvailable counts the pods; a percentage or maxUnavailable the controllers' scale", () => {
    expect(expectedAndDesired(budget({ minAvailable: 1 }), pods, scaleOf)).toEqual([4, 1]);
    expect(expectedAndDesired(budget({ minAvailable: "50%" }), pods, scaleOf)).toEqual([4, 2]);
    expect(expectedAndDesired(budget({ maxUnavailable: "30%" }), pods, scaleOf)).toEqual([4, 2]);
    expect(expectedAndDesired(budget({ maxUnavailable: 1 }), pods, scaleOf)).toEqual([4, 3]);
    expect(expectedAndDesired(budget({ maxUnavailable: 1 }), pods, () => undefined)).toEqual({ error: 'found no controllers for pod "a"' });
  });

  it("allows currentHealthy − desiredHealthy disruptions, with the DisruptionAllowed condition", () => {
    expect(desiredStatus(budget({ minAvailable: 1 }, 3), pods, scaleOf, "2026-01-01T00:05:00Z")).toEqual({
      observedGeneration: 3,
      disruptionsAllowed: 1,
      currentHealthy: 2,
      desiredHealthy: 1,
      expectedPods: 4,
      conditions: [{ type: "DisruptionAllowed", status: "True", reason: "SufficientPods", message: "", observedGeneration: 3, lastTransitionTime: "2026-01-01T00:05:00Z" }],
    });
    expect(desiredStatus(budget({ maxUnavailable: 0 }), pods, scaleOf, "2026-01-01T00:05:00Z")).toMatchObject({
      disruptionsAllowed: 0,
      conditions: [{ type: "DisruptionAllowed", status: "False", reason: "InsufficientPods" }],
    });
  });

  it("fails safe when a pod's controller cannot be found (SyncFailed)", () => {
    expect(desiredStatus(budget({ maxUnavailable: 1 }), pods, () => undefined, "2026-01-01T00:05:00Z")).toEqual({
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
      disruptionsAllowed: 0,
      conditions: [{ type: "DisruptionAllowed", status: "False", reason: "SyncFailed", message: 'found no controllers for pod "a"', observedGeneration: 0, lastTransitionTime: "2026-01-01T00:05:00Z" }],
    });
  });

  it("allows nothing while no pod is expected (TestNoSelector)", () => {
    expect(desiredStatus(budget({ minAvailable: 0 }), [], scaleOf, "t")).toMatchObject({ disruptionsAllowed: 0, expectedPods: 0 });
  });
});

describe("DisruptionController", () => {
  it("writes the status of a budget over a ReplicaSet's pods and follows them", async () => {
    const api = withNamespaces();
    run(new DisruptionController(api));
    const rs = api.create(RSS, {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "web", namespace: "default" },
      spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x" }] } } },
    });
    for (const [name, ip] of [["a", "10.0.0.1"], ["b", "10.0.0.2"], ["c", "10.0.0.3"]] as const) {
      livePod(api, name, ip);
      const p = api.get(PODS, "default", name);
      api.update(PODS, { ...p, metadata: { ...p.metadata, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: rs.metadata.uid, controller: true }] } } as KubeObject);
    }
    api.create(PDBS, { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web", namespace: "default" }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: "web" } } } });
    const status = () => (api.get(PDBS, "default", "web") as Stored<PodDisruptionBudget>).status;
    await until(() => expect(status()).toMatchObject({ observedGeneration: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1 }));
    api.delete(PODS, "default", "c");
    await until(() => expect(status()).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 0, conditions: [{ type: "DisruptionAllowed", status: "False", reason: "InsufficientPods" }] }));
  });
});
