// What BGP-mode MetalLB does for a LoadBalancer Service with
// externalTrafficPolicy Local: announce its address only from the nodes that
// have a ready endpoint of it, so the outside world never sends its traffic
// to a node that would drop it (kube-proxy drops eTP=Local traffic on nodes
// without local endpoints). kemu's outside host reaches the whole pool
// through every node (topology.ts); this controller adds a /32 per such
// Service via the right nodes, and removes it when none has an endpoint.
import type { ApiServer } from "../api/apiserver.js";
import type { EndpointSlice, Node, Service, Stored } from "../api/types.js";
import { ipBatch } from "../linux/exec.js";
import { netnsNames } from "../linux/names.js";
import { renderLoadBalancerRoute } from "../linux/topology.js";
import { Controller, R } from "./controller.js";

/** LoadBalancer IP → the node addresses that announce it (sorted); only eTP=Local Services with a ready local endpoint somewhere. */
export function planAnnouncements(services: Service[], slices: EndpointSlice[], nodes: Node[]): Map<string, string[]> {
  const nodeIP = new Map<string, string>();
  for (const n of nodes) {
    const ip = nodeAddress(n);
    if (ip && n.metadata?.name) nodeIP.set(n.metadata.name, ip);
  }
  const plan = new Map<string, string[]>();
  for (const svc of services) {
    if (svc.spec?.type !== "LoadBalancer" || svc.spec.externalTrafficPolicy !== "Local") continue;
    const ns = svc.metadata?.namespace;
    const name = svc.metadata?.name;
    const withEndpoints = new Set<string>();
    for (const s of slices) {
      if (s.metadata?.namespace !== ns || s.metadata?.labels?.["kubernetes.io/service-name"] !== name) continue;
      for (const ep of s.endpoints ?? []) {
        const ip = ep.nodeName ? nodeIP.get(ep.nodeName) : undefined;
        if (ip && ep.conditions?.ready !== false) withEndpoints.add(ip);
      }
    }
    if (withEndpoints.size === 0) continue;
    for (const ingress of svc.status?.loadBalancer?.ingress ?? []) if (ingress.ip) plan.set(ingress.ip, [...withEndpoints].sort());
  }
  return plan;
}

/** The `ip` lines that turn the routes written into the planned ones. */
export function announcementChanges(written: Map<string, string[]>, planned: Map<string, string[]>): string[] {
  const lines: string[] = [];
  for (const [ip, via] of planned) if (written.get(ip)?.join() !== via.join()) lines.push(...renderLoadBalancerRoute(`${ip}/32`, via));
  for (const ip of written.keys()) if (!planned.has(ip)) lines.push(`route del ${ip}/32`);
  return lines;
}

/** A node's address as the plan reads it: a Node event that leaves it alone (heartbeats, conditions) changes nothing here. */
const nodeAddress = (n: Node): string | undefined => n.status?.addresses?.find((a) => a.type === "InternalIP")?.address;

export class LoadBalancerAnnouncer extends Controller {
  private written = new Map<string, string[]>();
  /** node name → the InternalIP last seen in an event */
  private readonly nodeAddresses = new Map<string, string | undefined>();

  constructor(
    api: ApiServer,
    private readonly cluster: string,
  ) {
    super("lb-announcer", api);
  }

  start(): void {
    for (const r of [R.services, R.endpointslices]) this.watch(r, () => ["routes"]);
    this.watch(R.nodes, (e) => {
      const name = e.object.metadata.name!;
      const address = e.type === "DELETED" ? undefined : nodeAddress(e.object as Stored<Node>);
      if (this.nodeAddresses.has(name) && this.nodeAddresses.get(name) === address) return [];
      if (e.type === "DELETED") this.nodeAddresses.delete(name);
      else this.nodeAddresses.set(name, address);
      return ["routes"];
    });
    this.queue.add("routes");
  }

  protected async sync(): Promise<void> {
    const planned = planAnnouncements(
      this.api.list(R.services).items as Array<Stored<Service>>,
      this.api.list(R.endpointslices).items as Array<Stored<EndpointSlice>>,
      this.api.list(R.nodes).items as Array<Stored<Node>>,
    );
    const lines = announcementChanges(this.written, planned);
    if (lines.length === 0) return;
    // Inside the cluster's outside host only; -force: a route already gone is no reason to skip the rest.
    await ipBatch(lines, netnsNames.outside(this.cluster), true);
    this.written = planned;
  }
}
