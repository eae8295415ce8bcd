// flannel's host-gw backend: every node routes each other node's pod subnet
// via that node's underlay IP. Desired routes are rendered from the Node
// objects and applied as a diff, so a missed event heals on the next one.
import type { ApiClient } from "../api/client.js";
import { Informer } from "../api/informer.js";
import { resourceByKind } from "../api/resources.js";
import type { Node } from "../api/types.js";
import { ipBatch, run } from "../linux/exec.js";
import { insertUnlessPresent } from "../linux/iptables.js";

const NODES = resourceByKind("Node")!;

export function nodeInternalIp(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
}

/** Routes (as `ip route` arguments) this node needs: one per other node with a subnet. */
export function renderPeerRoutes(self: string, nodes: Node[]): Map<string, string> {
  const routes = new Map<string, string>();
  for (const n of nodes) {
    const cidr = n.spec?.podCIDR;
    const ip = nodeInternalIp(n);
    if (n.metadata?.name === self || !cidr || !ip) continue;
    routes.set(cidr, `${cidr} via ${ip} dev eth0 onlink`);
  }
  return routes;
}

/**
 * flannel's ipMasq rules: pod traffic leaving the cluster network is
 * masqueraded to the node's address (traffic between pods is not), so pods
 * can reach hosts outside the cluster — such as the outside host's DNS server.
 */
export function renderIpMasq(clusterCidr: string): { restore: string; jump: string[] } {
  return {
    restore: [
      "*nat",
      ":FLANNEL-POSTRTG - [0:0]",
      `-A FLANNEL-POSTRTG -s ${clusterCidr} -d ${clusterCidr} -m comment --comment "flanneld masq" -j RETURN`,
      `-A FLANNEL-POSTRTG -s ${clusterCidr} ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully`,
      "COMMIT",
      "",
    ].join("\n"),
    jump: ["-t", "nat", "-A", "POSTROUTING", "-m", "comment", "--comment", "flanneld masq", "-j", "FLANNEL-POSTRTG"],
  };
}

export async function installIpMasq(clusterCidr: string): Promise<void> {
  const { restore, jump } = renderIpMasq(clusterCidr);
  await run("iptables-restore", ["-w", "5", "--noflush"], { input: restore });
  await insertUnlessPresent([jump]);
}

export class HostGwRoutes {
  private readonly informer: Informer<Node>;
  private applied = new Map<string, string>();
  private syncing = Promise.resolve();

  constructor(
    api: ApiClient,
    private readonly nodeName: string,
  ) {
    this.informer = new Informer<Node>(api, NODES);
    this.informer.on(() => {
      this.syncing = this.syncing.then(() => this.sync()).catch((err: Error) => console.error(`flannel: ${err.message}`));
    });
  }

  private resync?: NodeJS.Timeout;

  async start(): Promise<void> {
    await this.informer.start();
    // Level-triggered: re-assert every route now and then, so a failed or missed update heals.
    this.resync = setInterval(() => {
      this.syncing = this.syncing.then(() => this.sync(true)).catch((err: Error) => console.error(`flannel: ${err.message}`));
    }, 5_000);
    this.resync.unref();
  }

  stop(): void {
    this.informer.stop();
    if (this.resync) clearInterval(this.resync);
  }

  /** Resolves once the routes for the current node list are in place. */
  settled(): Promise<void> {
    return this.syncing;
  }

  /** Applies the difference to what was applied before; `everything` re-asserts every wanted route. */
  private async sync(everything = false): Promise<void> {
    const want = renderPeerRoutes(this.nodeName, this.informer.list());
    const lines: string[] = [];
    for (const [cidr, route] of want) if (everything || this.applied.get(cidr) !== route) lines.push(`route replace ${route}`);
    for (const cidr of this.applied.keys()) if (!want.has(cidr)) lines.push(`route del ${cidr}`);
    await ipBatch(lines);
    this.applied = want;
  }
}
