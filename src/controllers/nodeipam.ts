// Node IPAM: a /24 pod subnet per node out of the cluster CIDR, like the
// controller-manager's range allocator that flannel's kube subnet manager
// then reads (node.spec.podCIDR plus flannel's annotations).
import { Controller, R } from "./controller.js";
import type { Node, Stored } from "../api/types.js";
import { deepCopy } from "../api/meta.js";
import { subnetByIndex, subnetIndex } from "../linux/addressing.js";

export class NodeIpamController extends Controller {
  constructor(
    api: ConstructorParameters<typeof Controller>[1],
    private readonly clusterCidr: string,
  ) {
    super("node-ipam-controller", api);
  }

  start(): void {
    this.watch(R.nodes, (e) => (e.type === "DELETED" ? [] : [e.object.metadata.name]));
    this.enqueueAll(R.nodes);
  }

  protected sync(name: string): void {
    const node = this.api.tryGet(R.nodes, undefined, name) as Stored<Node> | undefined;
    if (!node || node.spec?.podCIDR) return;
    const used = new Set(
      (this.api.list(R.nodes).items as Stored<Node>[]).map((n) => n.spec?.podCIDR).filter((c): c is string => Boolean(c)).map((c) => subnetIndex(this.clusterCidr, c)),
    );
    const index = nextFreeSubnet(used, 256);
    if (index === undefined) throw new Error(`no free /24 left in ${this.clusterCidr} for node ${name}`);
    const cidr = subnetByIndex(this.clusterCidr, index);
    const next = deepCopy(node);
    next.spec = { ...(next.spec ?? {}), podCIDR: cidr, podCIDRs: [cidr] };
    this.api.update(R.nodes, next);
  }
}

/** Index 0 (10.244.0.0/24) is kept free so that node-N usually gets 10.244.N.0/24. */
export function nextFreeSubnet(used: Set<number>, count: number): number | undefined {
  for (let i = 1; i < count; i++) if (!used.has(i)) return i;
  return undefined;
}
