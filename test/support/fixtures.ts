// Small builders and waits shared by unit tests: kube-proxy's view of a
// service port and an endpoint, an in-process API server with the namespaces
// the tests use, and polling for what controllers do asynchronously.
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { EndpointInfo, ServicePortInfo } from "../../src/agent/proxy/model.js";

/** A TCP ClusterIP service port default/web:http on 10.96.0.10:80, with `o` on top. */
export function servicePort(o: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    namespace: "default",
    name: "web",
    portName: "http",
    protocol: "TCP",
    clusterIP: "10.96.0.10",
    port: 80,
    nodePort: 0,
    externalIPs: [],
    loadBalancerIPs: [],
    loadBalancerSourceRanges: [],
    externalPolicyLocal: false,
    internalPolicyLocal: false,
    healthCheckNodePort: 0,
    ...o,
  };
}

/** A ready endpoint on port 8080 of another node, with `o` on top. */
export function readyEndpoint(ip: string, o: Partial<EndpointInfo> = {}): EndpointInfo {
  return { ip, port: 8080, ready: true, serving: true, terminating: false, isLocal: false, ...o };
}

/** `api` (default: a new in-process API server) with the namespaces "default" and "other". */
export function withNamespaces<A extends ApiServer>(api: A = new ApiServer() as A): A {
  const namespaces = resourceByKind("Namespace")!;
  for (const name of ["default", "other"]) api.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return api;
}

/** Polls until check() stops throwing (controllers work through their queues asynchronously); the last failure is thrown. */
export async function until(check: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
