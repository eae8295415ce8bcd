// Names for addresses: which pod, Service, node or host an IP belongs to, so
// that traces, flows and the dashboard print `default/web-7d4 (node-2)`
// instead of 10.244.2.3. Built from one snapshot of the API objects; pure.
import type { Node, Pod, Service } from "../api/types.js";
import { parseIP } from "../net/ip.js";

export type AddressKind = "pod" | "service" | "node" | "outside";

/** What an address is, as a person would name it. */
export interface NamedAddress {
  kind: AddressKind;
  /** "ns/name" for pods and Services, the node's name, or "outside" */
  name: string;
  /** the node a pod runs on, or the node itself */
  node?: string;
  /** for Services: which of its addresses this is ("cluster IP", "load balancer IP", "external IP"); for nodes: "node IP" or "pod gateway" */
  role?: string;
}

export interface AddressBookInput {
  pods: Pod[];
  services: Service[];
  nodes: Node[];
  /** the outside host's underlay address */
  outsideIP?: string;
}

/** The canonical text of an address (so that "10.244.001.2" and "10.244.1.2" meet), or the text unchanged. */
function canonical(ip: string): string {
  return parseIP(ip)?.toString() ?? ip;
}

export class AddressBook {
  private readonly byIP = new Map<string, NamedAddress>();
  /** hostNetwork pods share their node's address: kept apart so the node wins */
  private readonly pods: Pod[];

  constructor(input: AddressBookInput) {
    this.pods = input.pods;
    const put = (ip: string | undefined, named: NamedAddress) => {
      if (ip && ip !== "None" && !this.byIP.has(canonical(ip))) this.byIP.set(canonical(ip), named);
    };
    for (const n of input.nodes) {
      const name = n.metadata?.name ?? "";
      for (const a of n.status?.addresses ?? []) if (a.type === "InternalIP" || a.type === "ExternalIP") put(a.address, { kind: "node", name, node: name, role: "node IP" });
    }
    if (input.outsideIP) put(input.outsideIP, { kind: "outside", name: "outside", role: "outside host" });
    for (const p of input.pods) {
      if (p.spec?.hostNetwork) continue;
      const name = `${p.metadata?.namespace ?? "default"}/${p.metadata?.name ?? ""}`;
      for (const ip of [p.status?.podIP, ...(p.status?.podIPs ?? []).map((x) => x.ip)]) put(ip, { kind: "pod", name, node: p.spec?.nodeName });
    }
    for (const s of input.services) {
      const name = `${s.metadata?.namespace ?? "default"}/${s.metadata?.name ?? ""}`;
      for (const ip of [s.spec?.clusterIP, ...(s.spec?.clusterIPs ?? [])]) put(ip, { kind: "service", name, role: "cluster IP" });
      for (const ing of s.status?.loadBalancer?.ingress ?? []) put(ing.ip, { kind: "service", name, role: "load balancer IP" });
      for (const ip of s.spec?.externalIPs ?? []) put(ip, { kind: "service", name, role: "external IP" });
    }
    // The first address of a node's pod CIDR is its gateway (cni0), which pods see as the node.
    for (const n of input.nodes) {
      const cidr = n.spec?.podCIDR;
      const base = cidr ? parseIP(cidr.split("/")[0]!) : undefined;
      const gateway = base?.plus(1);
      if (gateway && gateway.family === 4) put(gateway.toString(), { kind: "node", name: n.metadata?.name ?? "", node: n.metadata?.name, role: "pod gateway" });
    }
  }

  lookup(ip: string): NamedAddress | undefined {
    return this.byIP.get(canonical(ip));
  }

  /** Every address that belongs to a node (its node IP and its pods' gateway). */
  hostAddresses(): string[] {
    return [...this.byIP.entries()].filter(([, n]) => n.kind === "node").map(([ip]) => ip);
  }

  /** A node's own address (the first InternalIP). */
  hostAddress(node: string): string | undefined {
    return [...this.byIP.entries()].find(([, n]) => n.kind === "node" && n.name === node && n.role === "node IP")?.[0];
  }

  /** The pods running on a node with hostNetwork (they answer on the node's address). */
  hostNetworkPods(node: string): string[] {
    return this.pods.filter((p) => p.spec?.hostNetwork && p.spec.nodeName === node).map((p) => `${p.metadata?.namespace ?? "default"}/${p.metadata?.name ?? ""}`);
  }

  /** `default/web-7d4 (pod on node-2)`, `default/web (Service, cluster IP)`, or the address itself when unknown. */
  describe(ip: string, port?: number): string {
    const at = port === undefined ? ip : `${ip}:${port}`;
    const n = this.lookup(ip);
    if (!n) return at;
    switch (n.kind) {
      case "pod":
        return `${n.name} (pod${n.node ? ` on ${n.node}` : ""}, ${at})`;
      case "service":
        return `${n.name} (Service ${n.role}, ${at})`;
      case "node":
        return `${n.name} (${n.role}, ${at})`;
      case "outside":
        return `outside (${at})`;
    }
  }

  /** Short form for dense views: the name, else the address. */
  short(ip: string): string {
    return this.lookup(ip)?.name ?? ip;
  }
}
