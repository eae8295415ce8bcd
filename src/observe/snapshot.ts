// One read of the objects the views name things by (pods, Services, nodes),
// turned into an AddressBook. The thin shell around address-book.ts.
import type { ApiClient } from "../api/client.js";
import { resourceByKind } from "../api/resources.js";
import type { Node, Pod, Service } from "../api/types.js";
import { outsideIP } from "../probe/execute.js";
import { AddressBook } from "./address-book.js";

/** What the views need of a cluster (a Cluster has it). */
export interface ObservedCluster {
  readonly name: string;
  readonly api: ApiClient;
  readonly paths: { readonly config: string };
}

export interface ClusterSnapshot {
  pods: Pod[];
  services: Service[];
  nodes: Node[];
  outsideIP: string;
  book: AddressBook;
}

export async function readSnapshot(cluster: ObservedCluster): Promise<ClusterSnapshot> {
  const [pods, services, nodes] = await Promise.all([
    cluster.api.list<Pod>(resourceByKind("Pod")!),
    cluster.api.list<Service>(resourceByKind("Service")!),
    cluster.api.list<Node>(resourceByKind("Node")!),
  ]);
  const outside = outsideIP(cluster);
  const input = { pods: pods.items, services: services.items, nodes: nodes.items, outsideIP: outside };
  return { ...input, book: new AddressBook(input) };
}
