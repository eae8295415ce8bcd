// The policy agent's inputs, kept by informers: every pod of the cluster
// (selectors pick pods on any node), namespaces, NetworkPolicies and
// ClusterNetworkPolicies. A change only counts when it can change the table:
// a pod's status heartbeat or a condition flip is not a policy change.
import type { ApiClient } from "../../api/client.js";
import { Informer } from "../../api/informer.js";
import { resourceByKind } from "../../api/resources.js";
import type { ClusterNetworkPolicy, Namespace, NetworkPolicy, Pod, Stored } from "../../api/types.js";
import { buildPolicyInputs, type PolicyInputs } from "./model.js";

/** What of a pod the policy table depends on. */
export function podPolicyFingerprint(pod: Pod): string {
  const ports = pod.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => `${p.name ?? ""}:${p.containerPort}/${p.protocol ?? "TCP"}`));
  return JSON.stringify([pod.metadata.labels ?? {}, pod.status?.podIP ?? "", pod.spec.nodeName ?? "", pod.spec.hostNetwork === true, isTerminal(pod), pod.metadata.uid, ports]);
}

/** Succeeded and Failed pods have given their IP back: it may already be another pod's. */
export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

export class PolicyChangeTracker {
  private readonly pods: Informer<Pod>;
  private readonly namespaces: Informer<Namespace>;
  private readonly networkPolicies: Informer<NetworkPolicy>;
  private readonly clusterPolicies: Informer<ClusterNetworkPolicy>;
  /** bumped on every change that matters; the syncer compares it with the last one it wrote */
  generation = 0;

  constructor(api: ApiClient, onChange: () => void) {
    const changed = () => {
      this.generation++;
      onChange();
    };
    // Pods and namespaces matter only while some policy exists: without one the table is empty
    // whatever they do, and the policy that comes later makes a sync that reads them all.
    this.pods = new Informer<Pod>(api, resourceByKind("Pod")!).on((type, obj, old) => {
      if (!this.anyPolicy()) return;
      if (type === "MODIFIED" && old && podPolicyFingerprint(old) === podPolicyFingerprint(obj)) return;
      changed();
    });
    this.namespaces = new Informer<Namespace>(api, resourceByKind("Namespace")!).on((type, obj, old) => {
      if (!this.anyPolicy()) return;
      if (type === "MODIFIED" && old && JSON.stringify(old.metadata.labels ?? {}) === JSON.stringify(obj.metadata.labels ?? {})) return;
      changed();
    });
    this.networkPolicies = new Informer<NetworkPolicy>(api, resourceByKind("NetworkPolicy")!).on((type, obj, old) => {
      if (type === "MODIFIED" && old && JSON.stringify(old.spec) === JSON.stringify(obj.spec)) return;
      changed();
    });
    this.clusterPolicies = new Informer<ClusterNetworkPolicy>(api, resourceByKind("ClusterNetworkPolicy")!).on((type, obj, old) => {
      if (type === "MODIFIED" && old && JSON.stringify(old.spec) === JSON.stringify(obj.spec)) return;
      changed();
    });
  }

  private anyPolicy(): boolean {
    return this.networkPolicies.cache.size > 0 || this.clusterPolicies.cache.size > 0;
  }

  async start(): Promise<void> {
    await Promise.all([this.pods.start(), this.namespaces.start(), this.networkPolicies.start(), this.clusterPolicies.start()]);
  }

  stop(): void {
    for (const i of [this.pods, this.namespaces, this.networkPolicies, this.clusterPolicies]) i.stop();
  }

  snapshot(): PolicyInputs {
    return buildPolicyInputs({
      pods: this.pods.list().filter((p: Stored<Pod>) => !isTerminal(p)),
      namespaces: this.namespaces.list(),
      networkPolicies: this.networkPolicies.list(),
      clusterNetworkPolicies: this.clusterPolicies.list(),
    });
  }
}
