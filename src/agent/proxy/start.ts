// Starts the node's kube-proxy in the chosen mode.
import type { ApiClient } from "../../api/client.js";
import type { ProxyMode } from "../config.js";
import { IptablesProxier } from "./iptables-proxier.js";
import { UserspaceMode } from "./userspace-mode.js";

export interface RunningProxy {
  stop(): Promise<void>;
}

export interface NodeProxySettings {
  nodeName: string;
  nodeIPs: string[];
  /** the node's cni0 address (the pods' gateway) */
  gatewayIP: string;
  clusterCIDR: string;
  /** --masquerade-all (iptables mode; in userspace mode backends see the node as the source anyway) */
  masqueradeAll: boolean;
  /** --nodeport-addresses (iptables mode): CIDRs or "primary"; empty = every local address */
  nodePortAddresses: string[];
}

/** kube-proxy's defaults: minSyncPeriod 1 s, syncPeriod 30 s. */
export const MIN_SYNC_PERIOD_MS = 1_000;
export const SYNC_PERIOD_MS = 30_000;

export async function startProxy(api: ApiClient, mode: ProxyMode, s: NodeProxySettings): Promise<RunningProxy> {
  if (mode === "userspace") {
    const proxy = new UserspaceMode(api, { ...s, minSyncPeriodMs: MIN_SYNC_PERIOD_MS, syncPeriodMs: SYNC_PERIOD_MS });
    await proxy.start();
    return { stop: async () => proxy.stop() };
  }
  // The node's own addresses: eth0 on the underlay, cni0 (the pods' gateway), loopback.
  const localAddresses = [...s.nodeIPs, s.gatewayIP, "127.0.0.1"];
  const proxy = new IptablesProxier(api, { ...s, localAddresses, minSyncPeriodMs: MIN_SYNC_PERIOD_MS, syncPeriodMs: SYNC_PERIOD_MS });
  await proxy.start();
  return { stop: async () => proxy.stop() };
}
