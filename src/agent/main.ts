// The node agent: one process per emulated node, running inside the node's
// network namespace. It prepares the node's networking (forwarding, the cni0
// gateway address, host-gw routes), reports the node Ready, and runs the kubelet.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { ApiClient } from "../api/client.js";
import { resourceByKind } from "../api/resources.js";
import type { Node, Stored } from "../api/types.js";
import { timestamp } from "../api/meta.js";
import { ipBatch } from "../linux/exec.js";
import { gatewayOf, prefixLength } from "../linux/addressing.js";
import { HostGwRoutes, installIpMasq } from "./flannel.js";
import { Kubelet } from "./kubelet/kubelet.js";
import { startProxy, type RunningProxy } from "./proxy/start.js";
import type { ProxyMode } from "../daemon/config.js";

const NODES = resourceByKind("Node")!;

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
}

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
  const node = await waitForPodCidr(api, config.nodeName);
  const podCidr = node.spec!.podCIDR!;

  // cni0 only holds the pods' gateway address (flannel's .1): pods are routed, not bridged to it.
  await ipBatch(["link add cni0 type bridge", `addr add ${gatewayOf(podCidr)}/${prefixLength(podCidr)} dev cni0`, "link set cni0 up"]);
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
  await kubelet.start();
  const proxy: RunningProxy = await startProxy(api, config.proxyMode, {
    nodeName: config.nodeName,
    nodeIPs: [config.nodeIp],
    gatewayIP: gatewayOf(podCidr),
    clusterCIDR: config.clusterCidr,
    masqueradeAll: config.masqueradeAll,
    nodePortAddresses: config.nodePortAddresses ?? [],
  });
  await reportReady(api, node);

  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    routes.stop();
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

async function reportReady(api: ApiClient, node: Stored<Node>): Promise<void> {
  const now = timestamp();
  const capacity = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: "110", "ephemeral-storage": "100Gi" };
  const conditions = [
    ["MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"],
    ["DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"],
    ["PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"],
    ["Ready", "True", "KubeletReady", "kubelet is posting ready status"],
  ].map(([type, status, reason, message]) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now }));
  await api.update(NODES, {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: node.metadata.name },
    status: {
      ...(node.status ?? {}),
      capacity,
      allocatable: capacity,
      conditions,
      nodeInfo: {
        ...(node.status?.nodeInfo ?? {}),
        kubeletVersion: "v1.31.0-kemu",
        kubeProxyVersion: "v1.31.0-kemu",
        containerRuntimeVersion: "kemu://0.1.0",
        operatingSystem: "linux",
        architecture: process.arch === "x64" ? "amd64" : process.arch,
        osImage: osImage(),
        kernelVersion: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
        machineID: "",
        systemUUID: "",
        bootID: "",
      },
    },
  }, { subresource: "status" });
}

function osImage(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "Linux";
  } catch {
    return "Linux";
  }
}
