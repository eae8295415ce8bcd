// A route's backend resolved to the Service's ready endpoints, as
// ingress-nginx does ("endpoints, not services": ../shared/reference/ingress.md
// §7; a missing Service or no ready endpoint is a 503 there).
import { describe, expect, it } from "vitest";
import { resolveBackend, type BackendObjects } from "../../src/ingress/backends.js";
import type { EndpointSlice, Service } from "../../src/api/types.js";

const service = (name: string, spec: Service["spec"]): Service => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec });
const slice = (svc: string, portName: string, port: number, endpoints: Array<[string, boolean]>): EndpointSlice => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { name: `${svc}-abc`, namespace: "default", labels: { "kubernetes.io/service-name": svc } },
  addressType: "IPv4",
  ports: [{ name: portName, port, protocol: "TCP" }],
  endpoints: endpoints.map(([ip, ready]) => ({ addresses: [ip], conditions: { ready } })),
});

function objects(services: Service[], slices: EndpointSlice[]): BackendObjects {
  return {
    service: (ns, name) => services.find((s) => s.metadata!.namespace === ns && s.metadata!.name === name),
    slices: (ns, name) => slices.filter((s) => s.metadata!.namespace === ns && s.metadata!.labels!["kubernetes.io/service-name"] === name),
  };
}

describe("resolveBackend", () => {
  const web = service("web", { clusterIP: "10.96.0.20", ports: [{ name: "http", port: 80, targetPort: "http" }, { name: "admin", port: 9000, targetPort: 9090 }] });
  const slices = [slice("web", "http", 8080, [["10.244.1.5", true], ["10.244.2.7", true], ["10.244.3.9", false]]), slice("web", "admin", 9090, [["10.244.1.5", true]])];
  const o = objects([web], slices);

  it("by the Service port's number or name, to the ready endpoints' target port (not ready ones left out)", () => {
    const expected = { endpoints: [{ ip: "10.244.1.5", port: 8080 }, { ip: "10.244.2.7", port: 8080 }] };
    expect(resolveBackend({ namespace: "default", service: "web", port: { number: 80 } }, o)).toEqual(expected);
    expect(resolveBackend({ namespace: "default", service: "web", port: { name: "http" } }, o)).toEqual(expected);
    expect(resolveBackend({ namespace: "default", service: "web", port: { number: 9000 } }, o)).toEqual({ endpoints: [{ ip: "10.244.1.5", port: 9090 }] });
  });

  it("a headless Service works too (the router never uses the ClusterIP)", () => {
    const headless = service("db", { clusterIP: "None", ports: [{ port: 5432 }] });
    expect(resolveBackend({ namespace: "default", service: "db", port: { number: 5432 } }, objects([headless], [slice("db", "", 5432, [["10.244.1.8", true]])]))).toEqual({ endpoints: [{ ip: "10.244.1.8", port: 5432 }] });
  });

  it("no ready endpoint is an empty list; what cannot be resolved says why", () => {
    expect(resolveBackend({ namespace: "default", service: "web", port: { number: 80 } }, objects([web], []))).toEqual({ endpoints: [] });
    expect(resolveBackend({ namespace: "default", service: "gone", port: { number: 80 } }, o)).toEqual({ error: "service default/gone not found" });
    expect(resolveBackend({ namespace: "default", service: "web", port: { number: 81 } }, o)).toEqual({ error: "service default/web has no port 81" });
    expect(resolveBackend({ namespace: "default", service: "web", port: { name: "https" } }, o)).toEqual({ error: 'service default/web has no port "https"' });
    const ext = service("ext", { type: "ExternalName", externalName: "example.com" });
    expect(resolveBackend({ namespace: "default", service: "ext", port: { number: 80 } }, objects([ext], []))).toEqual({ error: "service default/ext is of type ExternalName, which kemu's router does not proxy to" });
    const dns = service("dns", { clusterIP: "10.96.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP" }] });
    expect(resolveBackend({ namespace: "default", service: "dns", port: { number: 53 } }, objects([dns], []))).toEqual({ error: "service default/dns port 53 is UDP, not TCP" });
  });
});
