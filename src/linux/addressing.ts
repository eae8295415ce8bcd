// kemu's address plan (pure): pod subnets cut from the cluster CIDR, the
// gateway and the pods' addresses inside a node's subnet, the node and
// outside-host addresses on the underlay. Addresses are read and computed by
// src/net (the API's rule, so a podCIDR means what the API accepted).
import { parseCIDR, type CIDR } from "../net/cidr.js";
import { parseIP } from "../net/ip.js";

function cidrOf(text: string): CIDR {
  const cidr = parseCIDR(text);
  if (!cidr) throw new Error(`not a CIDR: ${JSON.stringify(text)}`);
  return cidr;
}

/** The index-th /24 (or /prefix) inside a larger block: ("10.244.0.0/16", 3) → "10.244.3.0/24". */
export function subnetByIndex(cluster: string, index: number, prefix = 24): string {
  const subnet = cidrOf(cluster).subnet(prefix, index);
  if (!subnet) throw new RangeError(`subnet index ${index} is outside ${cluster}`);
  return subnet.toString();
}

/** Which subnetByIndex a subnet is: how many blocks of its size it lies after the cluster CIDR's start. */
export function subnetIndex(cluster: string, subnet: string): number {
  const sub = cidrOf(subnet);
  const distance = sub.network.minus(cidrOf(cluster).network);
  if (distance === undefined) throw new Error(`${subnet} and ${cluster} are not of one family`);
  return distance / sub.size;
}

/** The first usable address: the node's gateway for its pods (flannel's .1). */
export function gatewayOf(cidr: string): string {
  return cidrOf(cidr).network.plus(1)!.toString();
}

export function prefixLength(cidr: string): number {
  return cidrOf(cidr).prefix;
}

/**
 * host-local IPAM: the next free address after the last one handed out, so a
 * deleted pod's IP is not reused at once (stale conntrack entries, caches).
 * Skips the network, gateway (.1) and broadcast addresses.
 */
export function allocatePodIp(cidr: string, used: ReadonlySet<string>, last?: string): string | undefined {
  const block = cidrOf(cidr);
  const first = 2;
  const lastUsable = block.size - 2;
  const lastAddr = last === undefined ? undefined : parseIP(last);
  const lastOffset = lastAddr && block.offsetOf(lastAddr);
  const start = lastOffset === undefined ? first : lastOffset + 1;
  for (let i = 0; i <= lastUsable - first; i++) {
    const offset = first + ((start - first + i) % (lastUsable - first + 1));
    const ip = block.at(offset)!.toString();
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** Node k (1-based) on the underlay: 172.18.0.(k+1); .1 is the outside host. */
export function nodeAddress(underlay: string, index: number): string {
  return cidrOf(underlay).network.plus(index + 1)!.toString();
}

export function outsideAddress(underlay: string): string {
  return cidrOf(underlay).network.plus(1)!.toString();
}
