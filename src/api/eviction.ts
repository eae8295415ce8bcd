// The pods/eviction subresource (policy/v1 Eviction), as kube-apiserver's
// EvictionREST does it (pkg/registry/core/pod/storage/eviction.go): a pod is
// deleted only if the PodDisruptionBudget that selects it allows one more
// disruption; the budget's disruptionsAllowed is decremented and the pod is
// recorded in status.disruptedPods, which the disruption controller clears
// once the pod is gone. `kubectl drain` evicts this way.
import type { ApiServer } from "./apiserver.js";
import { ApiError } from "./errors.js";
import { isPodReady } from "./podutil.js";
import { resourceByKind } from "./resources.js";
import { matchesLabelSelector } from "./selectors.js";
import type { KubeObject, LabelSelector, Pod, Stored } from "./types.js";

const PODS = resourceByKind("Pod")!;
const PDBS = resourceByKind("PodDisruptionBudget")!;

/** Upstream's MaxDisruptedPodSize: evictions the controller has not confirmed yet, at most. */
export const MAX_DISRUPTED_PODS = 2000;

interface Budget extends KubeObject {
  spec?: { selector?: LabelSelector; unhealthyPodEvictionPolicy?: "IfHealthyBudget" | "AlwaysAllow" };
  status?: { observedGeneration?: number; disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; disruptedPods?: Record<string, string> };
}

interface Eviction {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  deleteOptions?: { gracePeriodSeconds?: number; propagationPolicy?: "Background" | "Foreground" | "Orphan"; dryRun?: string[] };
}

export const EVICTION_SUCCESS = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success" } as const;

/** What an eviction decides about a pod and its budgets, before anything is written. Pure. */
export type EvictionDecision =
  | { action: "delete" }
  | { action: "delete-and-charge"; budget: Stored<Budget> }
  | { action: "refuse"; error: ApiError };

const tooManyRequests = (message: string) =>
  new ApiError("TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", { causes: [{ reason: "DisruptionBudget", message }] });

export function decideEviction(pod: Stored<Pod>, budgets: Stored<Budget>[]): EvictionDecision {
  // canIgnorePDB: a pod that is done, not yet running, or already going needs no budget
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed" || phase === "Pending" || pod.metadata.deletionTimestamp) return { action: "delete" };
  const matching = budgets.filter((b) => matchesLabelSelector(b.spec?.selector, pod.metadata.labels));
  if (matching.length === 0) return { action: "delete" };
  if (matching.length > 1) return { action: "refuse", error: new ApiError("InternalError", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.") };
  const budget = matching[0]!;
  const st = budget.status ?? {};
  // An unhealthy pod does not count against a budget that is met (IfHealthyBudget), or ever (AlwaysAllow).
  if (!isPodReady(pod)) {
    if (budget.spec?.unhealthyPodEvictionPolicy === "AlwaysAllow") return { action: "delete" };
    if ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0) return { action: "delete" };
  }
  // checkAndDecrement
  if ((st.observedGeneration ?? 0) < (budget.metadata.generation ?? 1)) return { action: "refuse", error: tooManyRequests(`The disruption budget ${budget.metadata.name} is still being processed by the server.`) };
  const allowed = st.disruptionsAllowed ?? 0;
  if (allowed < 0) return { action: "refuse", error: new ApiError("Forbidden", "pdb disruptions allowed is negative") };
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) return { action: "refuse", error: new ApiError("Forbidden", "DisruptedPods map too big - too many evictions not confirmed by PDB controller") };
  if (allowed === 0) return { action: "refuse", error: tooManyRequests(`The disruption budget ${budget.metadata.name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`) };
  return { action: "delete-and-charge", budget };
}

/** POST …/pods/NAME/eviction: the Status to answer with (201), or an ApiError. */
export function evict(api: ApiServer, namespace: string, name: string, body: unknown, now: () => string = () => new Date().toISOString()): typeof EVICTION_SUCCESS {
  const eviction = (body ?? {}) as Eviction;
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError("BadRequest", "the body of an eviction must be a policy/v1 Eviction object");
  if (eviction.kind !== undefined && eviction.kind !== "Eviction") throw new ApiError("BadRequest", `the body of an eviction must be an Eviction, not ${eviction.kind}`);
  if (eviction.metadata?.name !== undefined && eviction.metadata.name !== name) throw new ApiError("BadRequest", "name in URL does not match name in Eviction object");
  if (eviction.metadata?.namespace && eviction.metadata.namespace !== namespace) throw new ApiError("BadRequest", "namespace in URL does not match namespace in Eviction object");
  const options = eviction.deleteOptions ?? {};
  const dryRun = (options.dryRun ?? []).includes("All");
  const pod = api.get(PODS, namespace, name) as Stored<Pod>;
  const decision = decideEviction(pod, api.list(PDBS, { namespace }).items as Stored<Budget>[]);
  if (decision.action === "refuse") throw decision.error;
  if (decision.action === "delete-and-charge" && !dryRun) {
    const b = decision.budget;
    const status = { ...(b.status ?? {}), disruptionsAllowed: (b.status?.disruptionsAllowed ?? 0) - 1, disruptedPods: { ...(b.status?.disruptedPods ?? {}), [name]: now() } };
    // a Conflict here (the controller wrote meanwhile) reaches the client as 409, which kubectl drain retries
    api.update(PDBS, { ...b, status } as KubeObject, namespace, { subresource: "status" });
  }
  api.delete(PODS, namespace, name, { dryRun, ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}), ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}) });
  return EVICTION_SUCCESS;
}
