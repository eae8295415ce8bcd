// The emulated machines and their wiring: an underlay namespace holding the
// "physical" bridge, one namespace per node and one for the outside host,
// each plugged into the bridge by a veth whose inner end is eth0.
import { ipBatch, run } from "./exec.js";
import { netnsNames, uplinkName } from "./names.js";
import { prefixLength } from "./addressing.js";

export interface HostSpec {
  /** node name, or "outside" */
  name: string;
  netns: string;
  uplink: string;
  ip: string;
}

export interface TopologySpec {
  cluster: string;
  underlayCidr: string;
  hosts: HostSpec[];
}

export function describeTopology(cluster: string, underlayCidr: string, nodes: { name: string; index: number; ip: string }[], outsideIp: string): TopologySpec {
  return {
    cluster,
    underlayCidr,
    hosts: [
      ...nodes.map((n) => ({ name: n.name, netns: netnsNames.node(cluster, n.name), uplink: uplinkName(n.index), ip: n.ip })),
      { name: "outside", netns: netnsNames.outside(cluster), uplink: uplinkName("outside"), ip: outsideIp },
    ],
  };
}

/** The `ip -batch` programs that build the topology: pure, so tests can read them. */
export function renderTopology(spec: TopologySpec): { root: string[]; underlay: string[]; hosts: Map<string, string[]> } {
  const underlay = netnsNames.underlay(spec.cluster);
  const bits = prefixLength(spec.underlayCidr);
  const root = [`netns add ${underlay}`, ...spec.hosts.map((h) => `netns add ${h.netns}`)];
  const ul = ["link set lo up", "link add br0 type bridge", "link set br0 up"];
  const hosts = new Map<string, string[]>();
  const gateway = spec.hosts.find((h) => h.name === "outside")?.ip;
  for (const h of spec.hosts) {
    // The peer is created directly inside the host's namespace, never in the root namespace.
    ul.push(`link add ${h.uplink} type veth peer name eth0 netns ${h.netns}`, `link set ${h.uplink} master br0 up`);
    const lines = ["link set lo up", `addr add ${h.ip}/${bits} dev eth0`, "link set eth0 up"];
    // Nodes default-route to the outside host, as kind nodes do to their network's gateway:
    // a node's own connections to a ClusterIP need a route before OUTPUT's DNAT applies.
    if (h.name !== "outside" && gateway) lines.push(`route add default via ${gateway} dev eth0`);
    hosts.set(h.netns, lines);
  }
  return { root, underlay: ul, hosts };
}

/**
 * The outside host reaches LoadBalancer IPs through the nodes, one ECMP route
 * over all of them — what BGP-mode MetalLB announces. Hashing on ports (policy
 * 1) spreads one client's connections over the nodes.
 */
export function renderLoadBalancerRoute(pool: string, nodeIPs: string[]): string[] {
  if (nodeIPs.length === 1) return [`route replace ${pool} via ${nodeIPs[0]} dev eth0`];
  return [`route replace ${pool} ${nodeIPs.map((ip) => `nexthop via ${ip} dev eth0`).join(" ")}`];
}

export async function announceLoadBalancerPool(cluster: string, pool: string, nodeIPs: string[]): Promise<void> {
  const outside = netnsNames.outside(cluster);
  await run("nsenter", [`--net=/run/netns/${outside}`, "sysctl", "-q", "-w", "net.ipv4.fib_multipath_hash_policy=1"]);
  await ipBatch(renderLoadBalancerRoute(pool, nodeIPs), outside);
}

export async function createTopology(spec: TopologySpec): Promise<void> {
  const program = renderTopology(spec);
  await ipBatch(program.root);
  await ipBatch(program.underlay, netnsNames.underlay(spec.cluster));
  await Promise.all([...program.hosts].map(([netns, lines]) => ipBatch(lines, netns)));
}
