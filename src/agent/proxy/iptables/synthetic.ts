// Generated inputs for rule-count checks and benchmarks, shaped like
// upstream's generateServiceEndpoints (pkg/proxy/iptables/number_generated_rules_test.go):
// service i is namespace/svc<i>, port "8080" → 80+i on ClusterIP 10.0.0.1+i,
// endpoints 172.16.0.1+j:8080.
import { parseIP } from "../../../net/ip.js";
import type { EndpointInfo, ServicePortInfo } from "../model.js";
import type { ProxyInput } from "./render.js";

function addIPOffset(base: string, offset: number): string {
  return parseIP(base)!.plus(offset)!.toString();
}

export interface SyntheticOptions {
  /** "ClusterIP" (default) or "LoadBalancer" (nodePort 30000+i, externalIP and LB IP 1.2.3.4, source range 1.2.3.4/28) */
  type?: "ClusterIP" | "LoadBalancer";
  clusterCIDR?: string;
}

/** nServices service ports with nEndpoints ready endpoints each (none local). Linear in nServices × nEndpoints. */
export function makeSyntheticInput(nServices: number, nEndpoints: number, opts: SyntheticOptions = {}): ProxyInput {
  const lb = opts.type === "LoadBalancer";
  const endpointIPs = Array.from({ length: nEndpoints }, (_, j) => addIPOffset("172.16.0.1", j));
  const services: ProxyInput["services"] = [];
  for (let i = 0; i < nServices; i++) {
    const port: ServicePortInfo = {
      namespace: "namespace",
      name: `svc${i}`,
      portName: "8080",
      protocol: "TCP",
      clusterIP: addIPOffset("10.0.0.1", i),
      port: 80 + i,
      nodePort: lb ? 30000 + i : 0,
      externalIPs: lb ? ["1.2.3.4"] : [],
      loadBalancerIPs: lb ? ["1.2.3.4"] : [],
      loadBalancerSourceRanges: lb ? [" 1.2.3.4/28"] : [],
      externalPolicyLocal: false,
      internalPolicyLocal: false,
      healthCheckNodePort: 0,
    };
    const endpoints: EndpointInfo[] = endpointIPs.map((ip) => ({ ip, port: 8080, ready: true, serving: true, terminating: false, isLocal: false }));
    services.push({ port, endpoints });
  }
  return {
    nodeName: "node-1",
    nodeIPs: ["192.168.0.2"],
    clusterCIDR: opts.clusterCIDR ?? "10.0.0.0/8",
    masqueradeAll: false,
    masqueradeBit: 14,
    services,
  };
}
