// UDP has no connection end, so a client that keeps one socket keeps its
// conntrack entry — and its old destination — forever. After each sync,
// entries that point at endpoints that went away (or that were made while a
// Service had no endpoints) are deleted, as kube-proxy does.
import { run } from "../../linux/exec.js";
import { servicePortKey, type EndpointInfo, type ServicePortInfo } from "./model.js";

export interface UdpServiceView {
  port: ServicePortInfo;
  /** endpoints that could get traffic (ready, or serving when none is ready) */
  serving: Set<string>;
}

export function udpView(services: { port: ServicePortInfo; endpoints: EndpointInfo[] }[]): Map<string, UdpServiceView> {
  const out = new Map<string, UdpServiceView>();
  for (const { port, endpoints } of services) {
    if (port.protocol !== "UDP") continue;
    const ready = endpoints.filter((e) => e.ready);
    const usable = ready.length ? ready : endpoints.filter((e) => e.serving && e.terminating);
    out.set(servicePortKey(port), { port, serving: new Set(usable.map((e) => e.ip)) });
  }
  return out;
}

/** The `conntrack` argument lists that remove stale UDP entries between two syncs (pure). */
export function planConntrackCleanup(before: Map<string, UdpServiceView>, after: Map<string, UdpServiceView>): string[][] {
  const commands: string[][] = [];
  const destinations = (p: ServicePortInfo) => [p.clusterIP, ...p.externalIPs, ...p.loadBalancerIPs].filter(Boolean);
  for (const [key, prev] of before) {
    const next = after.get(key);
    for (const ip of prev.serving) {
      if (next?.serving.has(ip)) continue;
      for (const dst of destinations(prev.port)) commands.push(["-D", "-p", "udp", "--orig-dst", dst, "--reply-src", ip]);
      if (prev.port.nodePort) commands.push(["-D", "-p", "udp", "--orig-port-dst", String(prev.port.nodePort), "--reply-src", ip]);
    }
  }
  for (const [key, next] of after) {
    const prev = before.get(key);
    // Entries made while there was nowhere to go (no DNAT) must not keep the flow there.
    if (next.serving.size > 0 && (!prev || prev.serving.size === 0)) {
      for (const dst of destinations(next.port)) commands.push(["-D", "-p", "udp", "--orig-dst", dst]);
      if (next.port.nodePort) commands.push(["-D", "-p", "udp", "--orig-port-dst", String(next.port.nodePort)]);
    }
  }
  return commands;
}

export async function runConntrackCleanup(commands: string[][]): Promise<void> {
  // conntrack exits 1 when there was nothing to delete.
  await Promise.all(commands.map((args) => run("conntrack", args, { okCodes: [1] })));
}
