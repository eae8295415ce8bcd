// The dashboard's pure parts: objects → view → scene (layout) → updates.
import { describe, expect, it } from "vitest";
import type { EndpointSlice, HTTPRoute, Ingress, Node, Pod, Service } from "../../src/api/types.js";
import { layoutScene, MARGIN, NODE_HEAD, NODE_W, GAP, POD_GAP, POD_H, POD_W, SERVICE_H, UNSCHEDULED } from "../../src/observe/dashboard/layout.js";
import { applySceneUpdate, diffScene, isEmptyUpdate } from "../../src/observe/dashboard/scene-diff.js";
import { buildView, type ViewInput } from "../../src/observe/dashboard/view.js";

const node = (name: string, ip: string, cidr: string, ready = true): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name },
  spec: { podCIDR: cidr },
  status: { addresses: [{ type: "InternalIP", address: ip }], conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});
const pod = (ns: string, name: string, nodeName: string | undefined, ip: string | undefined, extra: { phase?: "Running" | "Pending" | "Failed"; ready?: boolean; labels?: Record<string, string>; deleting?: boolean; waiting?: string } = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { namespace: ns, name, labels: extra.labels ?? {}, ...(extra.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: "c", image: "x" }] },
  status: {
    phase: extra.phase ?? "Running",
    ...(ip ? { podIP: ip } : {}),
    conditions: [{ type: "Ready", status: extra.ready === false ? "False" : "True" }],
    ...(extra.waiting ? { containerStatuses: [{ name: "c", image: "x", imageID: "", ready: false, restartCount: 3, state: { waiting: { reason: extra.waiting } } }] } : {}),
  },
});
const service = (ns: string, name: string, clusterIP: string, extra: Partial<NonNullable<Service["spec"]>> = {}, lb?: string): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { namespace: ns, name },
  spec: { clusterIP, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }], ...extra },
  ...(lb ? { status: { loadBalancer: { ingress: [{ ip: lb }] } } } : {}),
});
const slice = (ns: string, svc: string, endpoints: { ip: string; pod?: string; ready?: boolean }[]): EndpointSlice => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { namespace: ns, name: `${svc}-abc`, labels: { "kubernetes.io/service-name": svc } },
  addressType: "IPv4",
  endpoints: endpoints.map((e) => ({
    addresses: [e.ip],
    ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
    ...(e.pod ? { targetRef: { kind: "Pod", namespace: ns, name: e.pod } } : {}),
  })),
});

function input(over: Partial<ViewInput> = {}): ViewInput {
  return {
    cluster: "demo",
    outsideIP: "172.18.0.1",
    nodes: [node("node-2", "172.18.0.3", "10.244.2.0/24"), node("node-1", "172.18.0.2", "10.244.1.0/24")],
    pods: [pod("default", "web-1", "node-1", "10.244.1.5"), pod("default", "web-2", "node-2", "10.244.2.5", { ready: false }), pod("default", "client", "node-1", "10.244.1.6")],
    services: [service("default", "web", "10.96.0.20")],
    endpointSlices: [slice("default", "web", [{ ip: "10.244.2.5", pod: "web-2", ready: false }, { ip: "10.244.1.5", pod: "web-1" }])],
    ingresses: [],
    gateways: [],
    httpRoutes: [],
    ...over,
  };
}

describe("buildView", () => {
  it("names nodes, pods (sorted, with kubectl-like status) and Services with their endpoints from the slices", () => {
    const v = buildView(input({ pods: [...input().pods, pod("x", "crash", "node-2", "10.244.2.9", { waiting: "CrashLoopBackOff", ready: false }), pod("x", "gone", "node-2", "10.244.2.10", { deleting: true })] }));
    expect(v.nodes).toEqual([
      { name: "node-1", ip: "172.18.0.2", podCIDR: "10.244.1.0/24", ready: true },
      { name: "node-2", ip: "172.18.0.3", podCIDR: "10.244.2.0/24", ready: true },
    ]);
    expect(v.pods.map((p) => [p.key, p.status, p.state])).toEqual([
      ["default/client", "Running", "ok"],
      ["default/web-1", "Running", "ok"],
      ["default/web-2", "Running", "warn"],
      ["x/crash", "CrashLoopBackOff", "bad"],
      ["x/gone", "Terminating", "bad"],
    ]);
    expect(v.services).toEqual([
      {
        key: "default/web",
        namespace: "default",
        name: "web",
        type: "ClusterIP",
        clusterIP: "10.96.0.20",
        loadBalancerIPs: [],
        ports: ["http 80/TCP→8080"],
        endpoints: [
          { ip: "10.244.1.5", pod: "default/web-1", ready: true },
          { ip: "10.244.2.5", pod: "default/web-2", ready: false },
        ],
      },
    ]);
    expect(v.router).toBeUndefined();
  });

  it("finds the router by its Service and pod labels, with its address, Gateways and routes' backends", () => {
    const ing: Ingress = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { namespace: "default", name: "site" },
      spec: { rules: [{ host: "a.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] },
    };
    const route: HTTPRoute = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { namespace: "default", name: "r" },
      spec: { rules: [{ matches: [], backendRefs: [{ group: "", kind: "Service", name: "api", port: 80, weight: 1 }] }] },
    };
    const v = buildView(
      input({
        pods: [...input().pods, pod("kemu-system", "ingress-router-1", "node-1", "10.244.1.2", { labels: { "app.kubernetes.io/name": "ingress-router" } })],
        services: [...input().services, service("kemu-system", "ingress-router", "10.96.5.5", { type: "LoadBalancer" }, "172.18.255.1")],
        ingresses: [ing],
        httpRoutes: [route],
      }),
    );
    expect(v.router).toEqual({
      pods: ["kemu-system/ingress-router-1"],
      service: "kemu-system/ingress-router",
      addresses: ["172.18.255.1"],
      gateways: [],
      routes: [
        { kind: "HTTPRoute", key: "default/r", hosts: ["*"], backends: ["default/api"] },
        { kind: "Ingress", key: "default/site", hosts: ["a.example"], backends: ["default/web"] },
      ],
    });
  });
});

describe("layoutScene", () => {
  const scene = layoutScene(buildView(input()));
  const shape = (id: string) => scene.shapes.find((s) => s.id === id)!;

  it("puts Services on top, then the underlay, then one column per node in name order and the outside host after them", () => {
    expect(shape("svc:default/web")).toMatchObject({ x: MARGIN, y: MARGIN, kind: "service", label: "default/web", detail: "ClusterIP 10.96.0.20 http 80/TCP→8080", state: "warn" });
    const underlay = shape("underlay");
    expect(underlay.y).toBe(MARGIN + SERVICE_H + GAP + 3 * GAP);
    expect(underlay.label).toBe("underlay kemu-demo-net");
    const n1 = shape("node:node-1");
    const n2 = shape("node:node-2");
    expect([n1.x, n2.x]).toEqual([MARGIN, MARGIN + NODE_W + GAP]);
    expect(n1.y).toBeGreaterThan(underlay.y + underlay.h);
    expect(n1.detail).toBe("172.18.0.2 · pods 10.244.1.0/24");
    expect(shape("outside").x).toBe(MARGIN + 2 * (NODE_W + GAP));
    expect(shape("outside").detail).toBe("172.18.0.1");
  });

  it("places each node's pods in its box, two per row, in key order, and sizes the box to them", () => {
    const n1 = shape("node:node-1");
    expect(shape("pod:default/client")).toMatchObject({ x: n1.x + POD_GAP, y: n1.y + NODE_HEAD, w: POD_W, h: POD_H, ip: "10.244.1.6", detail: "10.244.1.6 · Running" });
    expect(shape("pod:default/web-1")).toMatchObject({ x: n1.x + POD_GAP + POD_W + POD_GAP, y: n1.y + NODE_HEAD });
    expect(n1.h).toBe(NODE_HEAD + POD_H + 2 * POD_GAP);
    expect(shape("pod:default/web-2").state).toBe("warn");
  });

  it("links Services to their endpoint pods (not-ready ones marked) and hosts to the underlay", () => {
    expect(scene.links).toEqual([
      { id: "node:node-1|underlay", kind: "attach", from: "node:node-1", to: "underlay", state: "ok" },
      { id: "node:node-2|underlay", kind: "attach", from: "node:node-2", to: "underlay", state: "ok" },
      { id: "outside|underlay", kind: "attach", from: "outside", to: "underlay", state: "ok" },
      { id: "svc:default/web|pod:default/web-1", kind: "endpoint", from: "svc:default/web", to: "pod:default/web-1", state: "ok" },
      { id: "svc:default/web|pod:default/web-2", kind: "endpoint", from: "svc:default/web", to: "pod:default/web-2", state: "warn" },
    ]);
    // One endpoint is not ready: the Service says so.
    expect(shape("svc:default/web").state).toBe("warn");
  });

  it("gives pods no node runs a column of their own", () => {
    const s = layoutScene(buildView(input({ pods: [pod("default", "pending", undefined, undefined, { phase: "Pending", ready: false })] })));
    expect(s.shapes.find((x) => x.id === `node:${UNSCHEDULED}`)).toMatchObject({ detail: "no node", state: "warn" });
    expect(s.shapes.find((x) => x.id === "pod:default/pending")).toMatchObject({ detail: "no IP · Pending", state: "warn" });
  });

  it("grows with 100 pods: each node column holds its pods, none overlap", () => {
    const pods = Array.from({ length: 100 }, (_, i) => pod("load", `p-${String(i).padStart(3, "0")}`, i % 2 ? "node-2" : "node-1", `10.244.${(i % 2) + 1}.${10 + i}`));
    const s = layoutScene(buildView(input({ pods })));
    const boxes = s.shapes.filter((x) => x.kind === "pod");
    expect(boxes).toHaveLength(100);
    for (const a of boxes) {
      const n = s.shapes.find((x) => x.id === `node:${a.ip!.startsWith("10.244.1.") ? "node-1" : "node-2"}`)!;
      expect(a.x >= n.x && a.x + a.w <= n.x + n.w && a.y >= n.y && a.y + a.h <= n.y + n.h).toBe(true);
    }
    const overlaps = boxes.filter((a, i) => boxes.some((b, j) => j > i && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h));
    expect(overlaps).toEqual([]);
    expect(s.height).toBeGreaterThanOrEqual(Math.max(...boxes.map((b) => b.y + b.h)));
  });
});

describe("diffScene", () => {
  it("sends only the new, changed and removed shapes and links; applying it gives the next scene", () => {
    const before = layoutScene(buildView(input()));
    const after = layoutScene(buildView(input({ pods: [...input().pods.filter((p) => p.metadata.name !== "client"), pod("default", "web-3", "node-2", "10.244.2.7")] })));
    const u = diffScene(before, after);
    expect(u.removedShapes).toEqual(["pod:default/client"]);
    expect(u.shapes.map((s) => s.id)).toEqual(["pod:default/web-1", "pod:default/web-3"]);
    expect(u.removedLinks).toEqual([]);
    const applied = applySceneUpdate(before, u);
    const sorted = (x: { id: string }[]) => [...x].sort((a, b) => a.id.localeCompare(b.id));
    expect(sorted(applied.shapes)).toEqual(sorted(after.shapes));
    expect(sorted(applied.links)).toEqual(sorted(after.links));
    expect(isEmptyUpdate(u, before)).toBe(false);
    expect(isEmptyUpdate(diffScene(after, after), after)).toBe(true);
  });
});
