// A cluster's settings (Kubernetes' own defaults) and where its files live.
import { join } from "node:path";
import type { ProxyMode } from "../agent/config.js";
import { stateDir } from "../linux/names.js";

export interface ClusterConfig {
  name: string;
  nodes: number;
  proxyMode: ProxyMode;
  /** kube-proxy's --masquerade-all: SNAT every connection to a ClusterIP (iptables mode) */
  masqueradeAll: boolean;
  /** kube-proxy's --nodeport-addresses: IPv4 CIDRs or "primary"; empty = NodePorts on every node address */
  nodePortAddresses: string[];
  /** LoadBalancer IPs, announced to the outside host by routes via the nodes (like BGP-mode MetalLB) */
  loadBalancerPool: string;
  nodePortRange: [number, number];
  /** where the cluster DNS forwards names outside the cluster ("ip" or "ip:port"); none = REFUSED */
  dnsUpstreams: string[];
  /** run a small authoritative DNS server for example.test on the outside host (and forward to it) */
  testUpstreamDns: boolean;
  /** run the Ingress router add-on (kemu-system/ingress-router behind a LoadBalancer Service) */
  ingress: boolean;
  clusterCidr: string;
  serviceCidr: string;
  underlayCidr: string;
  clusterDomain: string;
  clusterDns: string[];
  /** kube-controller-manager's --node-monitor-grace-period: a node silent this long turns Unknown (also the node Lease's duration) */
  nodeMonitorGracePeriodSeconds: number;
  /** kube-apiserver's --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds */
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
}

export const DEFAULTS: Omit<ClusterConfig, "name" | "nodes"> = {
  proxyMode: "iptables",
  masqueradeAll: false,
  nodePortAddresses: [],
  loadBalancerPool: "172.18.255.0/24",
  nodePortRange: [30000, 32767],
  dnsUpstreams: [],
  testUpstreamDns: false,
  ingress: true,
  clusterCidr: "10.244.0.0/16",
  serviceCidr: "10.96.0.0/12",
  underlayCidr: "172.18.0.0/16",
  clusterDomain: "cluster.local",
  clusterDns: ["10.96.0.10"],
  nodeMonitorGracePeriodSeconds: 40,
  defaultNotReadyTolerationSeconds: 300,
  defaultUnreachableTolerationSeconds: 300,
};

export const MAX_NODES = 50;

export function clusterPaths(name: string) {
  const dir = stateDir(name);
  return {
    dir,
    socket: join(dir, "api.sock"),
    config: join(dir, "cluster.json"),
    daemonLog: join(dir, "daemon.log"),
    pids: join(dir, "pids"),
    nodes: join(dir, "nodes"),
    pods: join(dir, "pods"),
  };
}
