// Taints and tolerations as the scheduler, the node lifecycle controller and
// the taint eviction controller read them (pure). Matching follows
// k8s.io/api/core/v1 Toleration.ToleratesTaint; eviction delays follow the
// taint eviction controller's getMinTolerationTime.
import type { Node, Pod } from "../../api/types.js";

export interface Taint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" | string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal" | string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** The taint keys the node lifecycle controller puts on nodes (upstream's well-known taints). */
export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";
export const TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

export function taintsOf(node: Node): Taint[] {
  return ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).filter((t) => typeof t?.key === "string");
}

export function tolerationsOf(pod: Pod): Toleration[] {
  return (pod.spec?.tolerations ?? []) as Toleration[];
}

/** One toleration against one taint: an empty effect matches every effect; Exists with no key matches every key. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key !== undefined && t.key !== "" && t.key !== taint.key) return false;
  switch (t.operator ?? "Equal") {
    case "Exists":
      return true;
    case "Equal":
    case "":
      return (t.value ?? "") === (taint.value ?? "");
    default:
      return false;
  }
}

export function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}

/** The taints (of the given effects) the pod does not tolerate; what the scheduler names in FailedScheduling. */
export function untoleratedTaints(pod: Pod, node: Node, effects: string[] = ["NoSchedule", "NoExecute"]): Taint[] {
  const tolerations = tolerationsOf(pod);
  return taintsOf(node).filter((taint) => effects.includes(taint.effect) && !tolerates(tolerations, taint));
}

/**
 * How long a pod may stay on a node with these NoExecute taints: "now" (0)
 * when one taint is not tolerated, "never" when a matching toleration has no
 * tolerationSeconds, else the smallest tolerationSeconds among the
 * tolerations that match (negative counts as 0), in milliseconds.
 */
export function evictionDelayMs(pod: Pod, node: Node): number | "never" | undefined {
  const noExecute = taintsOf(node).filter((t) => t.effect === "NoExecute");
  if (noExecute.length === 0) return undefined;
  const tolerations = tolerationsOf(pod);
  let min: number | "never" = "never";
  for (const taint of noExecute) {
    const matching = tolerations.filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return 0;
    for (const t of matching) {
      if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
      const ms = Math.max(0, t.tolerationSeconds) * 1000;
      min = min === "never" ? ms : Math.min(min, ms);
    }
  }
  return min;
}

/** The condition taints a node should carry for its Ready condition (NoSchedule and NoExecute, as upstream). */
export function conditionTaints(readyStatus: string | undefined): { key: string; effect: "NoSchedule" | "NoExecute" }[] {
  const key = readyStatus === "True" ? undefined : readyStatus === "False" ? TAINT_NOT_READY : TAINT_UNREACHABLE;
  return key ? [{ key, effect: "NoSchedule" }, { key, effect: "NoExecute" }] : [];
}
