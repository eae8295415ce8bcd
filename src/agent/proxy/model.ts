// What kube-proxy knows about Services and their endpoints, reduced from the
// API objects to the facts the datapath needs (upstream: pkg/proxy's
// ServicePort and Endpoint). Pure: built from Service and EndpointSlice objects.
import type { EndpointSlice, Service } from "../../api/types.js";
import { parseIP, type IP } from "../../net/ip.js";

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface ServicePortInfo {
  namespace: string;
  name: string;
  /** the port's name ("" when unnamed) */
  portName: string;
  protocol: Protocol;
  /** "" for headless Services (they get no rules) */
  clusterIP: string;
  port: number;
  /** 0 when the Service has no NodePort */
  nodePort: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  /** ClientIP affinity timeout in seconds; undefined = no affinity */
  affinityTimeoutSeconds?: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  /** 0 = none */
  healthCheckNodePort: number;
}

export interface EndpointInfo {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  /** on the node this proxy runs on */
  isLocal: boolean;
}

/** "ns/name:port" or "ns/name" for an unnamed port (upstream's ServicePortName.String()). */
export function servicePortKey(sp: Pick<ServicePortInfo, "namespace" | "name" | "portName">): string {
  return `${sp.namespace}/${sp.name}${sp.portName ? `:${sp.portName}` : ""}`;
}

/**
 * Labels that keep kube-proxy away from a Service: one naming another proxy
 * (any value; kube-proxy itself runs without a name), and the headless marker.
 * Upstream leaves them out of its informers with a label selector
 * (cmd/kube-proxy/app/server.go: `!service.kubernetes.io/service-proxy-name`,
 * `!service.kubernetes.io/headless`), so they get no rules in any mode.
 */
export const SERVICE_PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";
export const HEADLESS_LABEL = "service.kubernetes.io/headless";

/** One entry per port of a Service that kube-proxy programs (none for ExternalName, headless, or labelled for another proxy). */
export function servicePortsOf(svc: Service): ServicePortInfo[] {
  const spec = svc.spec ?? {};
  if (spec.type === "ExternalName") return [];
  const labels = svc.metadata?.labels ?? {};
  if (SERVICE_PROXY_NAME_LABEL in labels || HEADLESS_LABEL in labels) return [];
  const clusterIP = spec.clusterIP && spec.clusterIP !== "None" ? spec.clusterIP : "";
  if (!clusterIP) return [];
  const lbIPs = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => Boolean(ip));
  const affinity = spec.sessionAffinity === "ClientIP" ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
  const external = spec.type === "NodePort" || spec.type === "LoadBalancer";
  return (spec.ports ?? []).map((p) => ({
    namespace: svc.metadata?.namespace ?? "default",
    name: svc.metadata?.name ?? "",
    portName: p.name ?? "",
    protocol: (p.protocol ?? "TCP") as Protocol,
    clusterIP,
    port: p.port,
    nodePort: external ? (p.nodePort ?? 0) : 0,
    externalIPs: spec.externalIPs ?? [],
    loadBalancerIPs: spec.type === "LoadBalancer" ? lbIPs : [],
    loadBalancerSourceRanges: spec.type === "LoadBalancer" ? (spec.loadBalancerSourceRanges ?? []) : [],
    affinityTimeoutSeconds: affinity,
    externalPolicyLocal: external && spec.externalTrafficPolicy === "Local",
    internalPolicyLocal: spec.internalTrafficPolicy === "Local",
    healthCheckNodePort: spec.type === "LoadBalancer" && spec.externalTrafficPolicy === "Local" ? (spec.healthCheckNodePort ?? 0) : 0,
  }));
}

/**
 * The endpoints of one service port, from the Service's EndpointSlices
 * (label kubernetes.io/service-name): the slice port whose name equals the
 * service port's name, de-duplicated by ip:port.
 */
export function endpointsOf(sp: Pick<ServicePortInfo, "namespace" | "name" | "portName" | "protocol">, slices: EndpointSlice[], nodeName: string): EndpointInfo[] {
  const seen = new Map<string, EndpointInfo>();
  for (const slice of slices) {
    if (slice.metadata?.namespace !== sp.namespace || slice.metadata?.labels?.["kubernetes.io/service-name"] !== sp.name) continue;
    if (slice.addressType && slice.addressType !== "IPv4") continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? "") === sp.portName && (p.protocol ?? "TCP") === sp.protocol);
    if (!port?.port) continue;
    for (const ep of slice.endpoints ?? []) {
      const ready = ep.conditions?.ready !== false;
      const serving = ep.conditions?.serving ?? ready;
      const terminating = ep.conditions?.terminating ?? false;
      for (const ip of ep.addresses.slice(0, 1)) {
        const key = `${ip}:${port.port}`;
        if (!seen.has(key)) seen.set(key, { ip, port: port.port, ready, serving, terminating, nodeName: ep.nodeName, isLocal: ep.nodeName === nodeName });
      }
    }
  }
  // By address (as the API read it), then port; what does not parse goes last.
  const keyed = [...seen.values()].map((e) => ({ e, addr: parseIP(e.ip)?.unmapped() }));
  keyed.sort((a, b) => compareAddresses(a.addr, b.addr) || a.e.port - b.e.port);
  return keyed.map((k) => k.e);
}

function compareAddresses(a: IP | undefined, b: IP | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0);
  return a.compare(b);
}

/** Reachable via something other than the ClusterIP (upstream's ExternallyAccessible). */
function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.loadBalancerIPs.length > 0 || sp.externalIPs.length > 0;
}

/**
 * Which endpoints may get traffic (upstream's CategorizeEndpoints, without
 * topology hints): ready ones; if none is ready anywhere, serving-and-terminating
 * ones. The local list applies the same rule to this node's endpoints only,
 * independently of the cluster list.
 *
 * As upstream, each list is computed only when the port can use it: the
 * cluster list when internalTrafficPolicy is Cluster or the port is reachable
 * from outside at all (NodePort, externalIPs, LB IPs: eTP=Local still needs the
 * cluster endpoints to short-circuit traffic from pods and the node itself);
 * the local list when iTP=Local, or eTP=Local on an externally reachable port.
 */
export function categorizeEndpoints(sp: ServicePortInfo, endpoints: EndpointInfo[]): {
  clusterEndpoints: EndpointInfo[];
  localEndpoints: EndpointInfo[];
  hasAnyEndpoints: boolean;
} {
  const usable = (eps: EndpointInfo[]) => {
    const ready = eps.filter((e) => e.ready);
    return ready.length ? ready : eps.filter((e) => e.serving && e.terminating);
  };
  const external = externallyAccessible(sp);
  const usesCluster = !sp.internalPolicyLocal || external;
  const usesLocal = sp.internalPolicyLocal || (sp.externalPolicyLocal && external);
  return {
    clusterEndpoints: usesCluster ? usable(endpoints) : [],
    localEndpoints: usesLocal ? usable(endpoints.filter((e) => e.isLocal)) : [],
    hasAnyEndpoints: endpoints.some((e) => e.ready || (e.serving && e.terminating)),
  };
}
