// The pod sandbox: a network namespace with eth0 (a veth whose other end
// stays in the node namespace), the pod IP and a default route to the node.
// Attachment is Calico-style routed (no bridge): the node holds a /32 route
// per pod and answers ARP by proxy, so every packet between pods, even on one
// node, crosses the node's IP stack where iptables (NetworkPolicy) sees it.
import { writeFileSync } from "node:fs";
import { ipBatch, run } from "../../linux/exec.js";
import { netnsPath } from "../../linux/names.js";

export interface SandboxSpec {
  netns: string;
  veth: string;
  ip: string;
  prefix: number;
  gateway: string;
}

/** Run in the node namespace: create the pod namespace and its veth, route to it. */
export function renderNodeSide(s: SandboxSpec): string[] {
  return [
    `netns add ${s.netns}`,
    `link add ${s.veth} type veth peer name eth0 netns ${s.netns}`,
    `link set ${s.veth} up`,
    `route replace ${s.ip}/32 dev ${s.veth} scope link`,
  ];
}

/** Run in the pod namespace. */
export function renderPodSide(s: SandboxSpec): string[] {
  return [
    "link set lo up",
    `addr add ${s.ip}/${s.prefix} dev eth0`,
    "link set eth0 up",
    `route add default via ${s.gateway} dev eth0`,
  ];
}

export async function createSandbox(s: SandboxSpec): Promise<void> {
  try {
    await ipBatch(renderNodeSide(s));
    // Proxied ARP replies go out at once: by default they wait up to 0.8 s (Calico sets this too).
    // Per device only: a network namespace has no neigh/default of its own.
    writeFileSync(`/proc/sys/net/ipv4/neigh/${s.veth}/proxy_delay`, "0");
    await ipBatch(renderPodSide(s), s.netns);
  } catch (err) {
    await destroySandbox(s).catch(() => undefined);
    throw err;
  }
}

/** Deleting the namespace takes eth0 with it, and its peer and route in the node too. */
export async function destroySandbox(s: Pick<SandboxSpec, "netns" | "veth">): Promise<void> {
  await run("ip", ["link", "del", s.veth], { okCodes: [1, 2] });
  await run("ip", ["netns", "del", s.netns], { okCodes: [1, 255] });
}

export { netnsPath };
