// Service allocation (ClusterIP, NodePort, health-check node port,
// load-balancer IP) as an admission of a real in-process API server.
import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiServer } from "../../src/api/apiserver.js";
import { ApiError } from "../../src/api/errors.js";
import { resourceByKind } from "../../src/api/resources.js";
import { RestServer } from "../../src/api/server.js";
import { ApiClient } from "../../src/api/client.js";
import { applyObjects } from "../../src/api/apply.js";
import { parseManifests } from "../../src/api/manifests.js";
import type { KubeObject, Service, Stored } from "../../src/api/types.js";
import {
  ServiceAllocation,
  defaultKubernetesService,
  type ServiceAllocationOptions,
} from "../../src/controllers/allocation/index.js";
import { Bitmap } from "../../src/controllers/allocation/bitmap.js";
import { ClusterIpAllocator, clusterIpReservedOffset } from "../../src/controllers/allocation/clusterip.js";
import { NodePortAllocator, nodePortReservedOffset } from "../../src/controllers/allocation/nodeport.js";
import { LoadBalancerPool } from "../../src/controllers/allocation/loadbalancer.js";

const SERVICES = resourceByKind("Service")!;
const NAMESPACES = resourceByKind("Namespace")!;

type Port = { name?: string; port: number; protocol?: string; nodePort?: number; targetPort?: number | string };

function setup(options: ServiceAllocationOptions = {}): { api: ApiServer; alloc: ServiceAllocation } {
  const api = new ApiServer();
  const alloc = new ServiceAllocation(options);
  api.addAdmission(alloc);
  for (const name of ["default", "kube-system"]) api.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return { api, alloc };
}

function svc(name: string, spec: Record<string, unknown> = {}, namespace = "default"): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
  };
}

const create = (api: ApiServer, obj: KubeObject, dryRun = false) => api.create(SERVICES, obj, undefined, { dryRun }) as Stored<Service>;
const update = (api: ApiServer, obj: KubeObject, dryRun = false) => api.update(SERVICES, obj, undefined, { dryRun }) as Stored<Service>;
const get = (api: ApiServer, name: string, ns = "default") => api.get(SERVICES, ns, name) as Stored<Service>;
const nodePorts = (s: Service) => (s.spec?.ports ?? []).map((p) => p.nodePort);
const ingress = (s: Service) => s.status?.loadBalancer?.ingress;

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected the write to fail");
}

const ipNumber = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);

describe("bitmap and range allocators", () => {
  it("reserves upstream's static part of a range: min(max(16, size/16), 256) IPs, min(max(16, size/32), 128) ports", () => {
    expect(clusterIpReservedOffset(2 ** 20)).toBe(256); // /12
    expect(clusterIpReservedOffset(256)).toBe(16); // /24
    expect(clusterIpReservedOffset(16)).toBe(0); // /28
    expect(clusterIpReservedOffset(8)).toBe(0); // /29
    expect(nodePortReservedOffset(2768)).toBe(86); // 30000-32767
    expect(nodePortReservedOffset(100_000)).toBe(128);
    expect(nodePortReservedOffset(3)).toBe(0);
  });

  it("hands out the upper part first and the reserved part only when the rest is full", () => {
    const b = new Bitmap(40, 10);
    const first = Array.from({ length: 30 }, () => b.claimNext()!);
    expect(first.every((s) => s >= 10)).toBe(true);
    expect(new Set(first).size).toBe(30);
    const rest = Array.from({ length: 10 }, () => b.claimNext()!);
    expect(rest.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(b.claimNext()).toBeUndefined();
    b.release(7);
    expect(b.claimNext()).toBe(7);
  });

  it("never hands out a CIDR's network or broadcast address", () => {
    const a = new ClusterIpAllocator("10.0.0.0/29");
    const ips = Array.from({ length: 6 }, () => a.allocateNext()).sort();
    expect(ips).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]);
    expect(() => a.allocateNext()).toThrow("range is full");
    expect(a.check("10.0.0.0")).toMatch(/not in the valid range/);
    expect(a.check("10.0.0.7")).toMatch(/not in the valid range/);
    expect(new ClusterIpAllocator("10.96.5.5/12").range).toBe("10.96.0.0/12");
  });

  it("reads load-balancer pools as ranges or CIDRs, lowest free address first", () => {
    const range = new LoadBalancerPool("172.18.255.1-172.18.255.3");
    expect([range.claimNext(), range.claimNext(), range.claimNext(), range.claimNext()]).toEqual(["172.18.255.1", "172.18.255.2", "172.18.255.3", undefined]);
    range.release("172.18.255.2");
    expect(range.claimNext()).toBe("172.18.255.2");
    const cidr = new LoadBalancerPool("172.18.255.0/30, 10.1.1.9");
    expect([cidr.claimNext(), cidr.claimNext(), cidr.claimNext(), cidr.claimNext()]).toEqual(["172.18.255.1", "172.18.255.2", "10.1.1.9", undefined]);
    expect(() => new LoadBalancerPool("nonsense")).toThrow(/neither an IPv4 CIDR nor an IPv4 range/);
    expect(new NodePortAllocator([30000, 30002]).range).toBe("30000-30002");
  });
});

describe("ClusterIP allocation", () => {
  it("allocates from the service CIDR and keeps clusterIPs in step with clusterIP", () => {
    const { api, alloc } = setup();
    const s = create(api, svc("web"));
    const ip = s.spec!.clusterIP!;
    expect(s.spec!.clusterIPs).toEqual([ip]);
    expect(ipNumber(ip)).toBeGreaterThan(ipNumber("10.96.1.0")); // above the 256 addresses kept for static use
    expect(ipNumber(ip)).toBeLessThan(ipNumber("10.111.255.255"));
    expect(s.spec!.ipFamilies).toEqual(["IPv4"]);
    expect(get(api, "web").spec!.clusterIP).toBe(ip);
    expect(alloc.clusterIPs.used).toBe(1);
    expect(alloc.holdings(s.metadata.uid)).toEqual({ clusterIP: ip, nodePorts: [] });
  });

  it("honours requested addresses: 10.96.0.1 for kubernetes, 10.96.0.10 for kube-dns", () => {
    const { api } = setup();
    const k = create(api, defaultKubernetesService());
    expect(k.spec).toMatchObject({ clusterIP: "10.96.0.1", clusterIPs: ["10.96.0.1"], ports: [{ name: "https", port: 443, targetPort: 6443, protocol: "TCP" }] });
    expect(k.spec!.selector).toBeUndefined();
    const dns = create(api, svc("kube-dns", { clusterIP: "10.96.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53, protocol: "TCP" }] }, "kube-system"));
    expect(dns.spec!.clusterIPs).toEqual(["10.96.0.10"]);
    expect(defaultKubernetesService("10.100.0.0/16").spec!.clusterIP).toBe("10.100.0.1");
  });

  it("words the errors as the API server does", () => {
    const { api } = setup();
    create(api, svc("dns", { clusterIP: "10.96.0.10" }));
    expect(failure(() => create(api, svc("a", { clusterIP: "10.0.0.1" }))).message).toBe(
      'Service "a" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.1"]: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
    expect(failure(() => create(api, svc("b", { clusterIP: "10.96.0.10" }))).message).toBe(
      'Service "b" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    );
    expect(failure(() => create(api, svc("c", { clusterIP: "10.96.0.0" }))).message).toMatch(/the provided IP \(10\.96\.0\.0\) is not in the valid range/);
    expect(failure(() => create(api, svc("d", { clusterIP: "10.111.255.255" }))).message).toMatch(/the provided IP \(10\.111\.255\.255\) is not in the valid range/);
    const err = failure(() => create(api, svc("b", { clusterIP: "10.96.0.10" })));
    expect(err.reason).toBe("Invalid");
    expect(err.details?.causes).toEqual([
      { reason: "FieldValueInvalid", field: "spec.clusterIPs", message: 'Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated' },
    ]);
    expect(failure(() => create(api, svc("e", { ipFamilyPolicy: "RequireDualStack" }))).message).toBe(
      'Service "e" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    );
  });

  it("gives headless and ExternalName Services no address", () => {
    const { api, alloc } = setup();
    const headless = create(api, svc("db", { clusterIP: "None" }));
    expect(headless.spec).toMatchObject({ clusterIP: "None", clusterIPs: ["None"] });
    const ext = create(api, { apiVersion: "v1", kind: "Service", metadata: { name: "ext" }, spec: { type: "ExternalName", externalName: "example.com" } });
    expect(ext.spec!.clusterIP).toBeUndefined();
    expect(alloc.clusterIPs.used).toBe(0);
    // A headless Service without a selector may list both families, as upstream allows.
    const bare = create(api, { apiVersion: "v1", kind: "Service", metadata: { name: "bare" }, spec: { clusterIP: "None" } });
    expect(bare.spec).toMatchObject({ ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4", "IPv6"] });
  });

  it("runs out in a small CIDR, and a deleted Service's address can be had again", () => {
    const { api, alloc } = setup({ serviceCidr: "10.0.0.0/29" });
    const ips = Array.from({ length: 6 }, (_, i) => create(api, svc(`s${i}`)).spec!.clusterIP!);
    expect(new Set(ips).size).toBe(6);
    const full = failure(() => create(api, svc("s6")));
    expect(full.reason).toBe("InternalError");
    expect(full.code).toBe(500);
    expect(full.message).toBe("Internal error occurred: failed to allocate a serviceIP: range is full");
    expect(api.tryGet(SERVICES, "default", "s6")).toBeUndefined();
    api.delete(SERVICES, "default", "s3");
    expect(alloc.clusterIPs.used).toBe(5);
    expect(create(api, svc("s6")).spec!.clusterIP).toBe(ips[3]);
    // A released address may also be asked for by number.
    api.delete(SERVICES, "default", "s0");
    expect(create(api, svc("again", { clusterIP: ips[0] })).spec!.clusterIP).toBe(ips[0]);
  });
});

describe("NodePort allocation", () => {
  it("gives every port of a NodePort Service a node port, honouring requested ones", () => {
    const { api, alloc } = setup();
    const s = create(api, svc("np", { type: "NodePort", ports: [{ name: "http", port: 80 }, { name: "https", port: 443, nodePort: 30443 }] }));
    const [http, https] = nodePorts(s);
    expect(http).toBeGreaterThanOrEqual(30086); // dynamic picks avoid the 86 ports kept for static use
    expect(http).toBeLessThanOrEqual(32767);
    expect(https).toBe(30443);
    expect(alloc.nodePorts.used).toBe(2);
  });

  it("words the errors as the API server does", () => {
    const { api } = setup();
    create(api, svc("a", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }));
    expect(failure(() => create(api, svc("b", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }))).message).toBe(
      'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    );
    expect(failure(() => create(api, svc("c", { type: "NodePort", ports: [{ name: "a", port: 81 }, { name: "b", port: 80, nodePort: 80 }] }))).message).toBe(
      'Service "c" is invalid: spec.ports[1].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
  });

  it("shares one node port between TCP and UDP of the same port number, as upstream does on create", () => {
    const { api, alloc } = setup();
    const dns = create(api, svc("dns", { type: "NodePort", ports: [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53, protocol: "TCP" }] }));
    const [udp, tcp] = nodePorts(dns);
    expect(udp).toBe(tcp);
    expect(alloc.nodePorts.used).toBe(1);
    // The number is taken for every protocol.
    expect(failure(() => create(api, svc("other", { type: "NodePort", ports: [{ port: 9, protocol: "UDP", nodePort: udp }] }))).message).toMatch(
      /provided port is already allocated/,
    );
  });

  it("runs out in a 3-port range and rolls back everything a failed create took", () => {
    const { api, alloc } = setup({ nodePortRange: [30000, 30002] });
    create(api, svc("a", { type: "NodePort", ports: [{ name: "x", port: 1 }, { name: "y", port: 2 }] }));
    const ipsBefore = alloc.clusterIPs.used;
    const err = failure(() => create(api, svc("b", { type: "NodePort", ports: [{ name: "x", port: 1 }, { name: "y", port: 2 }] })));
    expect(err.message).toBe("Internal error occurred: failed to allocate a nodePort: range is full");
    expect(alloc.nodePorts.used).toBe(2);
    expect(alloc.clusterIPs.used).toBe(ipsBefore);
    const c = create(api, svc("c", { type: "NodePort" }));
    expect(nodePorts(c)[0]).toBeGreaterThanOrEqual(30000);
    expect(alloc.nodePorts.allocated()).toEqual([30000, 30001, 30002]);
    api.delete(SERVICES, "default", "a");
    expect(alloc.nodePorts.used).toBe(1);
  });

  it("allocates a health-check node port for LoadBalancer + externalTrafficPolicy: Local from the same range", () => {
    const { api, alloc } = setup();
    const s = create(api, svc("lb", { type: "LoadBalancer", externalTrafficPolicy: "Local" }));
    const hc = s.spec!.healthCheckNodePort!;
    expect(hc).toBeGreaterThanOrEqual(30000);
    expect(hc).not.toBe(nodePorts(s)[0]);
    expect(alloc.nodePorts.used).toBe(2);
    expect(
      failure(() => create(api, svc("lb2", { type: "LoadBalancer", externalTrafficPolicy: "Local", healthCheckNodePort: hc }))).message,
    ).toBe(`Internal error occurred: failed to allocate requested HealthCheck NodePort ${hc}: provided port is already allocated`);
    // Switching to Cluster gives the health-check port back.
    const { healthCheckNodePort: _drop, ...rest } = s.spec!;
    void _drop;
    update(api, { ...s, spec: { ...rest, externalTrafficPolicy: "Cluster" } });
    expect(alloc.nodePorts.used).toBe(1);
    expect(alloc.nodePorts.has(hc)).toBe(false);
  });

  it("leaves LoadBalancer Services without node ports when allocateLoadBalancerNodePorts is false", () => {
    const { api, alloc } = setup();
    const s = create(api, svc("lb", { type: "LoadBalancer", allocateLoadBalancerNodePorts: false }));
    expect(nodePorts(s)).toEqual([undefined]);
    expect(alloc.nodePorts.used).toBe(0);
    expect(ingress(s)).toEqual([{ ip: "172.18.255.1", ipMode: "VIP" }]);
  });
});

describe("LoadBalancer IPs", () => {
  it("writes the lowest free pool address into status.loadBalancer.ingress, honouring spec.loadBalancerIP", () => {
    const { api, alloc } = setup({ loadBalancerPool: "172.18.255.1-172.18.255.3" });
    const a = create(api, svc("a", { type: "LoadBalancer" }));
    expect(ingress(a)).toEqual([{ ip: "172.18.255.1", ipMode: "VIP" }]);
    expect(ingress(get(api, "a"))).toEqual([{ ip: "172.18.255.1", ipMode: "VIP" }]);
    const b = create(api, svc("b", { type: "LoadBalancer", loadBalancerIP: "172.18.255.3" }));
    expect(ingress(b)).toEqual([{ ip: "172.18.255.3", ipMode: "VIP" }]);
    const c = create(api, svc("c", { type: "LoadBalancer" }));
    expect(ingress(c)).toEqual([{ ip: "172.18.255.2", ipMode: "VIP" }]);
    // Pool used up, or a requested address taken: pending, as with MetalLB.
    expect(ingress(create(api, svc("d", { type: "LoadBalancer" })))).toBeUndefined();
    expect(get(api, "d").status).toEqual({ loadBalancer: {} });
    expect(ingress(create(api, svc("e", { type: "LoadBalancer", loadBalancerIP: "172.18.255.1" })))).toBeUndefined();
    // Another implementation's class is left alone.
    expect(ingress(create(api, svc("f", { type: "LoadBalancer", loadBalancerClass: "example.com/lb" })))).toBeUndefined();
    // A release lets a pending Service have the address on its next write.
    api.delete(SERVICES, "default", "a");
    expect(alloc.loadBalancerIPs.used).toBe(2);
    const d = get(api, "d");
    expect(ingress(update(api, { ...d, metadata: { ...d.metadata, labels: { retry: "1" } } }))).toEqual([{ ip: "172.18.255.1", ipMode: "VIP" }]);
  });

  it("keeps status on updates and ignores a status a client sends on create", () => {
    const { api } = setup();
    const s = create(api, { ...svc("a", { type: "LoadBalancer" }), status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } });
    expect(ingress(s)).toEqual([{ ip: "172.18.255.1", ipMode: "VIP" }]);
    const again = update(api, { ...s, metadata: { ...s.metadata, labels: { x: "y" } } });
    expect(ingress(again)).toEqual([{ ip: "172.18.255.1", ipMode: "VIP" }]);
  });
});

describe("updates", () => {
  it("allocates and releases as the type changes ClusterIP → NodePort → LoadBalancer → ClusterIP", () => {
    const { api, alloc } = setup();
    const s = create(api, svc("web", { ports: [{ name: "http", port: 80 }, { name: "dns", port: 53, protocol: "UDP" }] }));
    const ip = s.spec!.clusterIP;
    expect(alloc.nodePorts.used).toBe(0);

    const np = update(api, { ...s, spec: { ...s.spec, type: "NodePort" } });
    expect(np.spec!.clusterIP).toBe(ip);
    const ports = nodePorts(np);
    expect(ports.every((p) => p !== undefined && p >= 30000)).toBe(true);
    expect(alloc.nodePorts.used).toBe(2);
    expect(ingress(np)).toBeUndefined();

    const lb = update(api, { ...np, spec: { ...np.spec, type: "LoadBalancer" } });
    expect(nodePorts(lb)).toEqual(ports);
    expect(ingress(lb)).toEqual([{ ip: "172.18.255.1", ipMode: "VIP" }]);
    expect(alloc.loadBalancerIPs.used).toBe(1);

    const back = update(api, {
      ...lb,
      spec: { ...lb.spec, type: "ClusterIP", externalTrafficPolicy: undefined, allocateLoadBalancerNodePorts: undefined, ports: lb.spec!.ports!.map(({ nodePort: _n, ...p }) => p) },
    });
    expect(back.spec!.clusterIP).toBe(ip);
    expect(nodePorts(back)).toEqual([undefined, undefined]);
    expect(back.status).toEqual({ loadBalancer: {} });
    expect(alloc.nodePorts.used).toBe(0);
    expect(alloc.loadBalancerIPs.used).toBe(0);
    expect(alloc.clusterIPs.used).toBe(1);

    // To ExternalName and back: the address goes and a new one comes.
    const ext = update(api, { ...back, spec: { type: "ExternalName", externalName: "example.com", ports: back.spec!.ports } });
    expect(ext.spec!.clusterIP).toBeUndefined();
    expect(alloc.clusterIPs.used).toBe(0);
    const again = update(api, { ...ext, spec: { type: "ClusterIP", selector: { app: "web" }, ports: back.spec!.ports } });
    expect(again.spec!.clusterIP).toMatch(/^10\./);
    expect(alloc.clusterIPs.used).toBe(1);
  });

  it("keeps a re-applied manifest's cluster IP, node ports and health-check port (kemu apply over REST)", async () => {
    const { api, alloc } = setup();
    const dir = mkdtempSync(join(tmpdir(), "kemu-alloc-"));
    const rest = new RestServer(api);
    await rest.listen(join(dir, "api.sock"));
    const client = new ApiClient(join(dir, "api.sock"));
    try {
      const manifest = (label: string) => `apiVersion: v1
kind: Service
metadata:
  name: shop
  labels: { rev: "${label}" }
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: { app: shop }
  ports:
  - { name: http, port: 80, targetPort: 8080 }
  - { name: admin, port: 9000 }
`;
      await applyObjects(client, parseManifests(manifest("1"), "shop.yaml"));
      const first = get(api, "shop");
      for (const label of ["1", "2", "3"]) {
        const [r] = await applyObjects(client, parseManifests(manifest(label), "shop.yaml"));
        expect(r!.action).toBe(label === "1" ? "unchanged" : "configured");
        const now = get(api, "shop");
        expect(now.spec!.clusterIP).toBe(first.spec!.clusterIP);
        expect(nodePorts(now)).toEqual(nodePorts(first));
        expect(now.spec!.healthCheckNodePort).toBe(first.spec!.healthCheckNodePort);
        expect(ingress(now)).toEqual(ingress(first));
      }
      expect(alloc.nodePorts.used).toBe(3);
      expect(alloc.clusterIPs.used).toBe(1);
      expect(alloc.loadBalancerIPs.used).toBe(1);
    } finally {
      client.close();
      await rest.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reallocates when ports change: a renamed port gets a new node port, the old one is released", () => {
    const { api, alloc } = setup();
    const s = create(api, svc("web", { type: "NodePort", ports: [{ name: "http", port: 80 }, { name: "metrics", port: 9100 }] }));
    const [http, metrics] = nodePorts(s);
    const next = update(api, { ...s, spec: { ...s.spec, ports: [{ name: "http", port: 80 }, { name: "grpc", port: 9000 }] as Port[] } });
    const [http2, grpc] = nodePorts(next);
    expect(http2).toBe(http);
    expect(grpc).not.toBe(metrics);
    expect(alloc.nodePorts.has(metrics!)).toBe(false);
    expect(alloc.nodePorts.allocated().sort()).toEqual([http, grpc].sort());
    // Asking for a specific new node port on update claims it.
    const pinned = update(api, { ...next, spec: { ...next.spec, ports: [{ name: "http", port: 80, nodePort: 31000 }] as Port[] } });
    expect(nodePorts(pinned)).toEqual([31000]);
    expect(alloc.nodePorts.allocated()).toEqual([31000]);
  });

  it("changes nothing when an update fails", () => {
    const { api, alloc } = setup();
    create(api, svc("taken", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }));
    const s = create(api, svc("web"));
    const err = failure(() => update(api, { ...s, spec: { ...s.spec, type: "NodePort", ports: [{ name: "a", port: 81 }, { name: "b", port: 80, nodePort: 30080 }] } }));
    expect(err.message).toBe('Service "web" is invalid: spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated');
    expect(alloc.nodePorts.allocated()).toEqual([30080]);
    expect(get(api, "web").spec!.type).toBe("ClusterIP");
    expect(alloc.holdings(s.metadata.uid)).toEqual({ clusterIP: s.spec!.clusterIP, nodePorts: [] });
  });
});

describe("dry runs and deletion", () => {
  it("shows what a dry run would get without allocating anything", () => {
    const { api, alloc } = setup();
    const dry = create(api, svc("lb", { type: "LoadBalancer", externalTrafficPolicy: "Local", clusterIP: "10.96.0.20" }), true);
    expect(dry.spec!.clusterIP).toBe("10.96.0.20");
    expect(nodePorts(dry)[0]).toBeGreaterThanOrEqual(30000);
    expect(dry.spec!.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect(ingress(dry)).toEqual([{ ip: "172.18.255.1", ipMode: "VIP" }]);
    expect([alloc.clusterIPs.used, alloc.nodePorts.used, alloc.loadBalancerIPs.used]).toEqual([0, 0, 0]);
    expect(api.tryGet(SERVICES, "default", "lb")).toBeUndefined();
    // A dry run still reports what would fail.
    create(api, svc("dns", { clusterIP: "10.96.0.10" }));
    expect(failure(() => create(api, svc("x", { clusterIP: "10.96.0.10" }), true)).message).toMatch(/provided IP is already allocated/);
    // And an update's dry run neither takes new values nor gives old ones back.
    const s = create(api, svc("web", { type: "NodePort" }));
    const held = nodePorts(s)[0]!;
    update(api, { ...s, spec: { ...s.spec, type: "LoadBalancer" } }, true);
    update(api, { ...s, spec: { ...s.spec, type: "ClusterIP", externalTrafficPolicy: undefined, ports: [{ port: 80 }] } }, true);
    expect(alloc.nodePorts.allocated()).toEqual([held]);
    expect(alloc.loadBalancerIPs.used).toBe(0);
    expect(alloc.holdings(s.metadata.uid)).toEqual({ clusterIP: s.spec!.clusterIP, nodePorts: [held] });
  });

  it("releases everything on delete", () => {
    const { api, alloc } = setup();
    for (const name of ["a", "b", "c"]) create(api, svc(name, { type: "LoadBalancer", externalTrafficPolicy: "Local" }));
    expect([alloc.clusterIPs.used, alloc.nodePorts.used, alloc.loadBalancerIPs.used]).toEqual([3, 6, 3]);
    for (const name of ["a", "b", "c"]) api.delete(SERVICES, "default", name);
    expect([alloc.clusterIPs.used, alloc.nodePorts.used, alloc.loadBalancerIPs.used]).toEqual([0, 0, 0]);
    // A dry-run delete keeps everything.
    const d = create(api, svc("d", { type: "NodePort" }));
    api.delete(SERVICES, "default", "d", { dryRun: true });
    expect(alloc.holdings(d.metadata.uid)?.nodePorts).toHaveLength(1);
    expect(alloc.nodePorts.used).toBe(1);
  });
});
