// The node agent: one process per emulated node, running inside the node's
// network namespace. It prepares the node's networking (forwarding, the cni0
// gateway address, host-gw routes), reports the node Ready, and runs the kubelet.
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ApiClient } from "../api/client.js";
import { resourceByKind } from "../api/resources.js";
import type { Node, Stored } from "../api/types.js";
import { ipBatch, run } from "../linux/exec.js";
import { gatewayOf, prefixLength } from "../linux/addressing.js";
import { HostGwRoutes, installIpMasq } from "./flannel.js";
import { Kubelet } from "./kubelet/kubelet.js";
import { startProxy, type RunningProxy } from "./proxy/start.js";
import { NodeHeartbeat } from "./heartbeat.js";
import { PolicyEnforcer } from "./policy/enforcer.js";
import type { AgentConfig } from "./config.js";

const NODES = resourceByKind("Node")!;

/** Per-namespace sysctls of the node (written from inside its namespace). */
const NODE_SYSCTLS: Record<string, string> = {
  "net/ipv4/ip_forward": "1",
  "net/ipv4/conf/all/rp_filter": "0",
  "net/ipv4/conf/default/rp_filter": "0",
  "net/ipv4/conf/eth0/rp_filter": "0",
  // Routed pod veths: the node answers ARP for the pods' gateway and for other pods.
  "net/ipv4/conf/default/proxy_arp": "1",
  "net/ipv4/conf/default/forwarding": "1",
};

export async function runAgent(config: AgentConfig): Promise<void> {
  for (const [key, value] of Object.entries(NODE_SYSCTLS)) writeFileSync(`/proc/sys/${key}`, value);
  const api = new ApiClient(config.socketPath);
  // Policy first: chains are keyed by the pod's veth (known from its UID before it has an IP), so a pod
  // that a policy already selects is isolated before its processes start. It needs nothing of the
  // node's own set-up, so it syncs while that goes on, and the kubelet waits for it.
  const policy = new PolicyEnforcer(api, config.nodeName);
  const policyStarted = policy.start();
  policyStarted.catch(() => undefined); // its failure is thrown where it is awaited, not as an unhandled rejection
  const node = await waitForPodCidr(api, config.nodeName);
  const podCidr = node.spec!.podCIDR!;

  // cni0 only holds the pods' gateway address (flannel's .1): pods are routed, not bridged to it.
  // An agent restarted after a crash finds it already there.
  const cni0 = await run("ip", ["-o", "addr", "show", "dev", "cni0"], { okCodes: [1] }).catch(() => "");
  const gateway = `${gatewayOf(podCidr)}/${prefixLength(podCidr)}`;
  await ipBatch([
    ...(cni0 ? [] : ["link add cni0 type bridge"]),
    ...(cni0.includes(` ${gateway} `) ? [] : [`addr add ${gateway} dev cni0`]),
    "link set cni0 up",
  ]);
  const nodeDir = join(config.stateDir, "nodes", config.nodeName);
  mkdirSync(nodeDir, { recursive: true });
  // flannel's own record of the lease, in its usual format.
  writeFileSync(
    join(nodeDir, "subnet.env"),
    `FLANNEL_NETWORK=${config.clusterCidr}\nFLANNEL_SUBNET=${gatewayOf(podCidr)}/${prefixLength(podCidr)}\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=true\n`,
  );

  await installIpMasq(config.clusterCidr);
  const routes = new HostGwRoutes(api, config.nodeName);
  await routes.start();
  await routes.settled();

  const kubelet = new Kubelet(api, {
    cluster: config.cluster,
    nodeName: config.nodeName,
    nodeIp: config.nodeIp,
    podCidr,
    stateDir: config.stateDir,
    clusterDomain: config.clusterDomain,
    clusterDns: config.clusterDns,
  });
  await policyStarted;
  await kubelet.start();
  const proxy: RunningProxy = await startProxy(api, config.proxyMode, {
    nodeName: config.nodeName,
    nodeIPs: [config.nodeIp],
    gatewayIP: gatewayOf(podCidr),
    clusterCIDR: config.clusterCidr,
    masqueradeAll: config.masqueradeAll,
    nodePortAddresses: config.nodePortAddresses ?? [],
  });
  const heartbeat = new NodeHeartbeat(api, { nodeName: config.nodeName, leaseDurationSeconds: config.leaseDurationSeconds ?? 40 });
  await heartbeat.start();

  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    heartbeat.stop();
    routes.stop();
    policy.stop();
    await proxy.stop();
    await kubelet.stopAll().catch((err: Error) => console.error(`agent: ${err.message}`));
    api.close();
    process.exit(code);
  };
  process.on("SIGTERM", () => void shutdown(0));
  process.on("SIGINT", () => void shutdown(0));
  // If the control plane dies (even by kill -9) the agent takes its pods down with it.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown(1);
  }, 500);
}

async function waitForPodCidr(api: ApiClient, name: string): Promise<Stored<Node>> {
  for (let i = 0; ; i++) {
    const node = await api.get<Node>(NODES, undefined, name);
    if (node.spec?.podCIDR) return node;
    if (i > 500) throw new Error(`node ${name} got no podCIDR from the node IPAM controller`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
