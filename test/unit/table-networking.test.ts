// Table rows of the networking kinds, as kube-apiserver prints them for
// kubectl (pkg/printers/internalversion/printers.go; cases after
// printers_test.go's TestPrintService, TestPrintServiceLoadBalancer,
// TestPrintEndpoint, TestPrintEndpointSlice, TestPrintIngress,
// TestPrintIngressClass and TestPrintNetworkPolicy, in our own words).
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/api/types.js";
import { endpointSlicePrinter, endpointsPrinter, formatEndpoints, ingressClassPrinter, ingressPrinter, networkPolicyPrinter, servicePrinter } from "../../src/api/table/networking.js";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
const server = { now: NOW, wide: true };
const meta = (name: string) => ({ name, namespace: "default", creationTimestamp: ago(600) });

describe("services", () => {
  it("columns: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, SELECTOR with -o wide", () => {
    expect(servicePrinter.columns.map((c) => [c.name, c.priority])).toEqual([
      ["Name", 0],
      ["Type", 0],
      ["Cluster-IP", 0],
      ["External-IP", 0],
      ["Port(s)", 0],
      ["Age", 0],
      ["Selector", 1],
    ]);
  });

  it("a NodePort service: port:nodePort/protocol, no external IP", () => {
    const svc: KubeObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta("web"),
      spec: { type: "NodePort", clusterIP: "10.96.0.20", clusterIPs: ["10.96.0.20"], selector: { app: "web", tier: "fe" }, ports: [{ port: 80, nodePort: 30080, protocol: "TCP" }, { port: 53, protocol: "UDP" }] },
    };
    expect(servicePrinter.cells(svc, server)).toEqual(["web", "NodePort", "10.96.0.20", "<none>", "80:30080/TCP,53/UDP", "10m", "app=web,tier=fe"]);
  });

  it("a LoadBalancer waits <pending>, then lists its addresses sorted, then the external IPs", () => {
    const lb = (ingress: { ip?: string; hostname?: string }[], externalIPs?: string[]): KubeObject => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: meta("lb"),
      spec: { type: "LoadBalancer", clusterIP: "10.96.0.30", ports: [{ port: 80, nodePort: 31000 }], ...(externalIPs ? { externalIPs } : {}) },
      status: { loadBalancer: { ingress } },
    });
    expect(servicePrinter.cells(lb([]), server)[3]).toBe("<pending>");
    expect(servicePrinter.cells(lb([{ ip: "3.4.5.6" }, { ip: "2.3.4.5" }]), server)[3]).toBe("2.3.4.5,3.4.5.6");
    expect(servicePrinter.cells(lb([{ ip: "2.3.4.5" }], ["5.6.7.8"]), server)[3]).toBe("2.3.4.5,5.6.7.8");
    // kubectl's own (client-side) printing cuts a long list short unless -o wide; the server never does.
    const long = lb([{ ip: "192.168.100.101" }, { ip: "192.168.100.102" }]);
    expect(servicePrinter.cells(long, { now: NOW, wide: false })[3]).toBe("192.168.100.1...");
    expect(servicePrinter.cells(long, server)[3]).toBe("192.168.100.101,192.168.100.102");
  });

  it("a headless service without a selector or ports", () => {
    const svc: KubeObject = { apiVersion: "v1", kind: "Service", metadata: meta("db"), spec: { type: "ClusterIP", clusterIP: "None" } };
    expect(servicePrinter.cells(svc, server)).toEqual(["db", "ClusterIP", "None", "<none>", "<none>", "10m", "<none>"]);
  });
});

describe("endpoints and endpoint slices", () => {
  it("endpoints: ip:port pairs, the first three, then + N more...", () => {
    const addresses = [{ ip: "10.244.1.2" }, { ip: "10.244.1.3" }];
    expect(formatEndpoints([{ addresses, ports: [{ port: 8080 }, { port: 9090 }] }])).toBe("10.244.1.2:8080,10.244.1.3:8080,10.244.1.2:9090 + 1 more...");
    expect(formatEndpoints([{ addresses: [{ ip: "fd00::1" }], ports: [{ port: 80 }] }])).toBe("[fd00::1]:80");
    expect(formatEndpoints([{ addresses }])).toBe("10.244.1.2,10.244.1.3");
    expect(formatEndpoints([])).toBe("<none>");
    const ep: KubeObject = { apiVersion: "v1", kind: "Endpoints", metadata: meta("web"), subsets: [{ addresses, ports: [{ port: 80 }] }] };
    expect(endpointsPrinter.cells(ep, server)).toEqual(["web", "10.244.1.2:80,10.244.1.3:80", "10m"]);
  });

  it("endpoint slice: ADDRESSTYPE PORTS ENDPOINTS, unset lists print <unset>", () => {
    const es: KubeObject = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: meta("web-abcde"),
      addressType: "IPv4",
      ports: [{ port: 8080, name: "http" }, { name: "metrics" }],
      endpoints: [{ addresses: ["10.244.1.2"] }, { addresses: ["10.244.2.2"] }, { addresses: ["10.244.3.2"] }, { addresses: ["10.244.4.2"] }],
    };
    expect(endpointSlicePrinter.cells(es, server)).toEqual(["web-abcde", "IPv4", "8080,metrics", "10.244.1.2,10.244.2.2,10.244.3.2 + 1 more...", "10m"]);
    const empty: KubeObject = { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: meta("e"), addressType: "IPv4", endpoints: [] };
    expect(endpointSlicePrinter.cells(empty, server)).toEqual(["e", "IPv4", "<unset>", "<unset>", "10m"]);
  });
});

describe("ingresses, ingress classes, network policies", () => {
  // formatHosts counts rules (a host-less one too) in "+ N more".
  it("ingress: CLASS HOSTS ADDRESS PORTS (443 with TLS)", () => {
    expect(ingressPrinter.columns.map((c) => c.name)).toEqual(["Name", "Class", "Hosts", "Address", "Ports", "Age"]);
    const ing: KubeObject = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: meta("web"),
      spec: { ingressClassName: "nginx", tls: [{ hosts: ["a.example"] }], rules: [{ host: "a.example" }, { host: "b.example" }, {}, { host: "d.example" }, { host: "e.example" }] },
      status: { loadBalancer: { ingress: [{ ip: "172.18.0.10" }] } },
    };
    expect(ingressPrinter.cells(ing, server)).toEqual(["web", "nginx", "a.example,b.example,d.example + 2 more...", "172.18.0.10", "80, 443", "10m"]);
    const bare: KubeObject = { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: meta("bare"), spec: {} };
    expect(ingressPrinter.cells(bare, server)).toEqual(["bare", "<none>", "*", "", "80", "10m"]);
  });

  it("ingress class: PARAMETERS is Kind[.apiGroup]/name", () => {
    const ic: KubeObject = { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "nginx", creationTimestamp: ago(600) }, spec: { controller: "k8s.io/ingress-nginx", parameters: { kind: "IngressParameters", apiGroup: "k8s.example.com", name: "p" } } };
    expect(ingressClassPrinter.cells(ic, server)).toEqual(["nginx", "k8s.io/ingress-nginx", "IngressParameters.k8s.example.com/p", "10m"]);
  });

  it("network policy: POD-SELECTOR, <none> for an empty selector", () => {
    const np = (podSelector: object): KubeObject => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta("np"), spec: { podSelector } });
    expect(networkPolicyPrinter.cells(np({}), server)).toEqual(["np", "<none>", "10m"]);
    expect(networkPolicyPrinter.cells(np({ matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "In", values: ["b", "a"] }] }), server)).toEqual(["np", "app=db,tier in (a,b)", "10m"]);
  });
});
