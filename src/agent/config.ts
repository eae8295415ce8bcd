// What a node agent is told when the control plane starts it: the node's
// agent.json, written by the daemon (src/daemon/controlplane.ts) and read by
// the agent (src/agent/main.ts).

/** kube-proxy's modes kemu has. */
export type ProxyMode = "iptables" | "userspace";
export const PROXY_MODES: readonly ProxyMode[] = ["iptables", "userspace"];

/** What the control plane hands each node agent it starts (written to the node's agent.json). */
export interface AgentConfig {
  cluster: string;
  nodeName: string;
  nodeIp: string;
  socketPath: string;
  stateDir: string;
  clusterCidr: string;
  clusterDomain: string;
  clusterDns: string[];
  proxyMode: ProxyMode;
  masqueradeAll: boolean;
  nodePortAddresses: string[];
  /** the node Lease's duration (renewed every quarter of it) */
  leaseDurationSeconds?: number;
}
