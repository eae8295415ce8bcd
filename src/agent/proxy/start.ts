// Starts the node's kube-proxy in the chosen mode.
import type { ApiClient } from "../../api/client.js";
import type { ProxyMode } from "../config.js";
import { IptablesProxier } from "./iptables-proxier.js";
import { UserspaceMode } from "./userspace-mode.js";
import { ProxyMetrics, serveProxyMetrics } from "./metrics.js";
import { run } from "../../linux/exec.js";

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
    const metrics = new ProxyMetrics("userspace");
    const proxy = new UserspaceMode(api, { ...s, minSyncPeriodMs: MIN_SYNC_PERIOD_MS, syncPeriodMs: SYNC_PERIOD_MS }, metrics);
    await proxy.start();
    const server = serveProxyMetrics(metrics);
    return { stop: async () => (server.close(), proxy.stop()) };
  }
  // The node's own addresses: eth0 on the underlay, cni0 (the pods' gateway), loopback.
  const localAddresses = [...s.nodeIPs, s.gatewayIP, "127.0.0.1"];
  const metrics = new ProxyMetrics("iptables");
  const proxy = new IptablesProxier(api, { ...s, localAddresses, minSyncPeriodMs: MIN_SYNC_PERIOD_MS, syncPeriodMs: SYNC_PERIOD_MS }, metrics);
  await proxy.start();
  // The rules kube-proxy owns are counted from the kernel when scraped (one iptables-save), not on every sync.
  const server = serveProxyMetrics(metrics, async () => metrics.setRulesTotal(await run("iptables-save", ["-t", "filter"]) + (await run("iptables-save", ["-t", "nat"]))));
  return { stop: async () => (server.close(), proxy.stop()) };
}
