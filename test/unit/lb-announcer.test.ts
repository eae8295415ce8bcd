// LoadBalancer addresses of externalTrafficPolicy Local Services are
// announced only from nodes with a ready endpoint (MetalLB BGP mode's
// behaviour for eTP=Local; kube-proxy drops such traffic on other nodes).
import { describe, expect, it } from "vitest";
import { announcementChanges, planAnnouncements } from "../../src/controllers/lb-announcer.js";
import type { EndpointSlice, Node, Service } from "../../src/api/types.js";

const node = (name: string, ip: string): Node => ({ apiVersion: "v1", kind: "Node", metadata: { name }, status: { addresses: [{ type: "InternalIP", address: ip }] } });
const svc = (name: string, policy: "Local" | "Cluster", ip: string, type: "LoadBalancer" | "NodePort" = "LoadBalancer"): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default" },
  spec: { type, externalTrafficPolicy: policy, ports: [{ port: 80 }] },
  status: { loadBalancer: { ingress: [{ ip }] } },
});
const slice = (service: string, eps: Array<[string, boolean]>): EndpointSlice => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { name: `${service}-x`, namespace: "default", labels: { "kubernetes.io/service-name": service } },
  addressType: "IPv4",
  endpoints: eps.map(([nodeName, ready], i) => ({ addresses: [`10.244.0.${i + 2}`], nodeName, conditions: { ready } })),
});
const nodes = [node("node-1", "172.18.0.2"), node("node-2", "172.18.0.3"), node("node-3", "172.18.0.4")];

describe("planAnnouncements", () => {
  it("announces an eTP=Local address via the nodes with a ready endpoint only; Cluster ones need nothing beyond the pool's route", () => {
    const plan = planAnnouncements(
      [svc("local", "Local", "172.18.255.1"), svc("cluster", "Cluster", "172.18.255.2"), svc("none", "Local", "172.18.255.3"), svc("np", "Local", "", "NodePort")],
      [slice("local", [["node-3", true], ["node-1", true], ["node-2", false]]), slice("cluster", [["node-1", true]]), slice("none", [["node-2", false]])],
      nodes,
    );
    expect([...plan]).toEqual([["172.18.255.1", ["172.18.0.2", "172.18.0.4"]]]);
  });

  it("writes only what changed: a new route, a moved one (replace), a gone one (del)", () => {
    const written = new Map([
      ["172.18.255.1", ["172.18.0.2"]],
      ["172.18.255.9", ["172.18.0.3"]],
    ]);
    const planned = new Map([
      ["172.18.255.1", ["172.18.0.2", "172.18.0.4"]],
      ["172.18.255.5", ["172.18.0.3"]],
    ]);
    expect(announcementChanges(written, planned)).toEqual([
      "route replace 172.18.255.1/32 nexthop via 172.18.0.2 dev eth0 nexthop via 172.18.0.4 dev eth0",
      "route replace 172.18.255.5/32 via 172.18.0.3 dev eth0",
      "route del 172.18.255.9/32",
    ]);
    expect(announcementChanges(planned, planned)).toEqual([]);
  });
});
