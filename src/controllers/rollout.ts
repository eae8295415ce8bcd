// The arithmetic of a RollingUpdate, as pure functions (upstream:
// pkg/controller/deployment/rolling.go and util/deployment_util.go).

/** Resolves an int-or-percent against replicas; surge rounds up, unavailable down. */
export function resolveIntOrPercent(value: number | string | undefined, replicas: number, roundUp: boolean, fallback: string): number {
  const v = value ?? fallback;
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v);
  const exact = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export function surgeAndUnavailable(replicas: number, maxSurge?: number | string, maxUnavailable?: number | string): { surge: number; unavailable: number } {
  const surge = resolveIntOrPercent(maxSurge, replicas, true, "25%");
  let unavailable = resolveIntOrPercent(maxUnavailable, replicas, false, "25%");
  // Both zero would deadlock a rollout; upstream then allows one unavailable.
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

export interface RsState {
  name: string;
  specReplicas: number;
  /** the active pods its status counts (terminating ones are not): above spec while a scale-down is not yet done */
  statusReplicas?: number;
  availableReplicas: number;
  /** older first */
  created: number;
}

/**
 * How far the new ReplicaSet may scale up now. An old ReplicaSet counts with
 * the pods it still has until its scale-down has happened: otherwise the new
 * pods could start while the old ones are still running, one over maxSurge.
 */
export function newReplicaSetTarget(replicas: number, surge: number, newRs: RsState, all: RsState[]): number {
  const total = all.reduce((n, rs) => n + (rs === newRs ? rs.specReplicas : Math.max(rs.specReplicas, rs.statusReplicas ?? 0)), 0);
  const room = replicas + surge - total;
  if (room <= 0) return Math.min(newRs.specReplicas, replicas);
  return Math.min(newRs.specReplicas + room, replicas);
}

/** New spec.replicas for each old ReplicaSet, never dropping below replicas - maxUnavailable available. */
export function scaleDownOld(replicas: number, unavailable: number, newRs: RsState, olds: RsState[]): Map<string, number> {
  const result = new Map(olds.map((rs) => [rs.name, rs.specReplicas]));
  const all = [newRs, ...olds];
  const minAvailable = replicas - unavailable;
  const allPods = all.reduce((n, rs) => n + rs.specReplicas, 0);
  const newUnavailable = Math.max(0, newRs.specReplicas - newRs.availableReplicas);
  let budget = allPods - minAvailable - newUnavailable;
  if (budget <= 0) return result;
  const oldestFirst = [...olds].sort((a, b) => a.created - b.created);
  // First remove old pods that are not available anyway: they cost nothing.
  for (const rs of oldestFirst) {
    if (budget <= 0) break;
    const unhealthy = Math.max(0, rs.specReplicas - rs.availableReplicas);
    const cut = Math.min(unhealthy, budget);
    result.set(rs.name, rs.specReplicas - cut);
    budget -= cut;
  }
  // Then available ones, as far as the availability floor allows.
  const available = all.reduce((n, rs) => n + rs.availableReplicas, 0);
  let removable = available - minAvailable;
  for (const rs of oldestFirst) {
    if (removable <= 0) break;
    const current = result.get(rs.name)!;
    const cut = Math.min(current, removable);
    result.set(rs.name, current - cut);
    removable -= cut;
  }
  return result;
}
