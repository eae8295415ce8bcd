import { describe, it, expect } from "vitest";
import { planConntrackCleanup, udpView } from "../../src/agent/proxy/conntrack.js";
import { healthReply, healthTargets } from "../../src/agent/proxy/healthcheck.js";
import { BoundedFrequencyRunner } from "../../src/agent/proxy/runner.js";
import { categorizeEndpoints, endpointsOf, servicePortKey, servicePortsOf, type EndpointInfo, type ServicePortInfo } from "../../src/agent/proxy/model.js";
import { rollbackTemplate } from "../../src/controllers/history.js";
import { renderLoadBalancerRoute } from "../../src/linux/topology.js";
import type { EndpointSlice, ReplicaSet, Service, Stored } from "../../src/api/types.js";

const port = (over: Partial<ServicePortInfo> = {}): ServicePortInfo => ({
  namespace: "default", name: "dns", portName: "udp", protocol: "UDP", clusterIP: "10.96.0.20", port: 53, nodePort: 0,
  externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], externalPolicyLocal: false, internalPolicyLocal: false, healthCheckNodePort: 0, ...over,
});
const ep = (ip: string, over: Partial<EndpointInfo> = {}): EndpointInfo => ({ ip, port: 8081, ready: true, serving: true, terminating: false, isLocal: false, ...over });

describe("service ports and endpoints from API objects", () => {
  const svc: Service = {
    apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "shop" },
    spec: { type: "LoadBalancer", clusterIP: "10.96.1.1", externalTrafficPolicy: "Local", healthCheckNodePort: 31000, sessionAffinity: "ClientIP", ports: [{ name: "http", port: 80, protocol: "TCP", nodePort: 30080 }, { name: "dns", port: 53, protocol: "UDP", nodePort: 30053 }] },
    status: { loadBalancer: { ingress: [{ ip: "172.18.255.1" }] } },
  };

  it("one entry per port, with the Service's traffic settings", () => {
    const ports = servicePortsOf(svc);
    expect(ports.map(servicePortKey)).toEqual(["shop/web:http", "shop/web:dns"]);
    expect(ports[0]).toMatchObject({ clusterIP: "10.96.1.1", port: 80, nodePort: 30080, loadBalancerIPs: ["172.18.255.1"], affinityTimeoutSeconds: 10800, externalPolicyLocal: true, healthCheckNodePort: 31000 });
    expect(servicePortsOf({ ...svc, spec: { ...svc.spec, clusterIP: "None" } })).toEqual([]);
    expect(servicePortsOf({ ...svc, spec: { type: "ExternalName", externalName: "example.com" } })).toEqual([]);
  });

  it("leaves alone a Service labelled for another proxy or as headless, whatever the value (upstream e2e service.go \"should implement service.kubernetes.io/service-proxy-name\" and \"…/headless\")", () => {
    const labelled = (labels: Record<string, string>): Service => ({ ...svc, metadata: { ...svc.metadata, labels } });
    expect(servicePortsOf(labelled({ "service.kubernetes.io/service-proxy-name": "foo-bar" }))).toEqual([]);
    expect(servicePortsOf(labelled({ "service.kubernetes.io/service-proxy-name": "" }))).toEqual([]);
    expect(servicePortsOf(labelled({ "service.kubernetes.io/headless": "" }))).toEqual([]);
    expect(servicePortsOf(labelled({ app: "web" }))).toHaveLength(2);
  });

  it("endpoints of a port from the slices with the same port name and protocol", () => {
    const slice = (name: string, ports: { name: string; port: number; protocol: string }[], eps: { ip: string; ready?: boolean; node?: string }[]): EndpointSlice =>
      ({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", addressType: "IPv4", metadata: { name, namespace: "shop", labels: { "kubernetes.io/service-name": "web" } }, ports, endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: { ready: e.ready ?? true } })) }) as EndpointSlice;
    const slices = [slice("a", [{ name: "http", port: 8080, protocol: "TCP" }], [{ ip: "10.244.2.5", node: "node-2" }, { ip: "10.244.1.9", ready: false, node: "node-1" }]), slice("b", [{ name: "http", port: 9090, protocol: "TCP" }], [{ ip: "10.244.1.3", node: "node-1" }])];
    const eps = endpointsOf(servicePortsOf(svc)[0]!, slices, "node-1");
    expect(eps.map((e) => `${e.ip}:${e.port} ${e.ready} ${e.isLocal}`)).toEqual(["10.244.1.3:9090 true true", "10.244.1.9:8080 false true", "10.244.2.5:8080 true false"]);
    expect(endpointsOf(servicePortsOf(svc)[1]!, slices, "node-1")).toEqual([]);
  });

  it("uses ready endpoints, else serving-and-terminating ones; local lists only when a policy is Local", () => {
    const p = port();
    expect(categorizeEndpoints(p, [ep("a"), ep("b", { ready: false, serving: true, terminating: true })]).clusterEndpoints.map((e) => e.ip)).toEqual(["a"]);
    expect(categorizeEndpoints(p, [ep("b", { ready: false, serving: true, terminating: true })]).clusterEndpoints.map((e) => e.ip)).toEqual(["b"]);
    expect(categorizeEndpoints(p, [ep("c", { ready: false, serving: false })])).toEqual({ clusterEndpoints: [], localEndpoints: [], hasAnyEndpoints: false });
    const local = categorizeEndpoints(port({ internalPolicyLocal: true }), [ep("a", { isLocal: true }), ep("b")]);
    expect(local.localEndpoints.map((e) => e.ip)).toEqual(["a"]);
  });
});

describe("UDP conntrack cleanup", () => {
  it("deletes entries that point at endpoints that went away", () => {
    const before = udpView([{ port: port({ nodePort: 30053 }), endpoints: [ep("10.244.1.2"), ep("10.244.2.2")] }]);
    const after = udpView([{ port: port({ nodePort: 30053 }), endpoints: [ep("10.244.2.2")] }]);
    expect(planConntrackCleanup(before, after)).toEqual([
      ["-D", "-p", "udp", "--orig-dst", "10.96.0.20", "--reply-src", "10.244.1.2"],
      ["-D", "-p", "udp", "--orig-port-dst", "30053", "--reply-src", "10.244.1.2"],
    ]);
  });

  it("flushes a Service's entries when it gets its first endpoint", () => {
    const before = udpView([{ port: port(), endpoints: [] }]);
    const after = udpView([{ port: port(), endpoints: [ep("10.244.1.2")] }]);
    expect(planConntrackCleanup(before, after)).toEqual([["-D", "-p", "udp", "--orig-dst", "10.96.0.20"]]);
    expect(planConntrackCleanup(after, after)).toEqual([]);
  });

  it("ignores TCP services", () => {
    expect(udpView([{ port: port({ protocol: "TCP" }), endpoints: [ep("x")] }]).size).toBe(0);
  });
});

describe("healthCheckNodePort replies", () => {
  it("200 with the local endpoint count, 503 with none", () => {
    const targets = healthTargets([{ port: port({ healthCheckNodePort: 31000, name: "web", protocol: "TCP" }), endpoints: [ep("a", { isLocal: true }), ep("b", { isLocal: true }), ep("c")] }]);
    const t = targets.get(31000)!;
    expect(healthReply(t, true)).toEqual({ status: 200, weight: 2, body: '{"service":{"namespace":"default","name":"web"},"localEndpoints":2,"serviceProxyHealthy":true}' });
    expect(healthReply({ ...t, localEndpoints: 0 }, true).status).toBe(503);
  });
});

describe("bounded-frequency runner", () => {
  it("runs at once when idle and coalesces a burst into one more run", async () => {
    let runs = 0;
    const r = new BoundedFrequencyRunner(async () => void runs++, 100, 60_000);
    r.run();
    await new Promise((res) => setTimeout(res, 20));
    expect(runs).toBe(1);
    for (let i = 0; i < 10; i++) r.run();
    await new Promise((res) => setTimeout(res, 50));
    expect(runs).toBe(1);
    await new Promise((res) => setTimeout(res, 120));
    expect(runs).toBe(2);
    r.stop();
  });

  it("never runs two syncs at once: a run asked for just before runNow is that run, one asked for during a sync follows it", async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const r = new BoundedFrequencyRunner(
      async () => {
        runs++;
        most = Math.max(most, ++active);
        await new Promise((res) => setTimeout(res, 30));
        active--;
      },
      0,
      60_000,
    );
    r.run(); // e.g. informer events while the proxy starts
    await r.runNow();
    expect([runs, most]).toEqual([1, 1]);
    const during = r.runNow();
    r.run();
    await during;
    await new Promise((res) => setTimeout(res, 80));
    expect([runs, most]).toEqual([3, 1]);
    r.stop();
  });
});

describe("rollout history", () => {
  const rs = (rev: number, image: string): Stored<ReplicaSet> =>
    ({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: `web-${rev}`, uid: `${rev}`, resourceVersion: "1", creationTimestamp: "t", annotations: { "deployment.kubernetes.io/revision": String(rev) } }, spec: { selector: {}, template: { metadata: { labels: { app: "web", "pod-template-hash": `h${rev}` } }, spec: { containers: [{ name: "c", image }] } } } }) as Stored<ReplicaSet>;

  it("rolls back to the previous revision, or a chosen one, without the hash label", () => {
    const history = [rs(1, "v1"), rs(3, "v3"), rs(2, "v2")];
    expect(rollbackTemplate(history)).toEqual({ revision: 2, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "v2" }] } } });
    expect(rollbackTemplate(history, 1).template.spec?.containers[0]?.image).toBe("v1");
    expect(() => rollbackTemplate(history, 9)).toThrow("unable to find specified revision 9 in history");
    expect(() => rollbackTemplate([rs(1, "v1")])).toThrow("no previous revision to roll back to");
  });
});

describe("load balancer announcement", () => {
  it("routes the pool from the outside host via every node (ECMP)", () => {
    expect(renderLoadBalancerRoute("172.18.255.0/24", ["172.18.0.2", "172.18.0.3"])).toEqual(["route replace 172.18.255.0/24 nexthop via 172.18.0.2 dev eth0 nexthop via 172.18.0.3 dev eth0"]);
    expect(renderLoadBalancerRoute("172.18.255.0/24", ["172.18.0.2"])).toEqual(["route replace 172.18.255.0/24 via 172.18.0.2 dev eth0"]);
  });
});
