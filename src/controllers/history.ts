// Deployment revision history, from its ReplicaSets' revision annotations
// (what `kubectl rollout history/undo` read). Pure.
import type { PodTemplateSpec, ReplicaSet, Stored } from "../api/types.js";
import { deepCopy } from "../api/meta.js";

export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

export function revisionOf(rs: ReplicaSet): number {
  return Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);
}

/** The template to roll back to: a given revision, or the one before the newest. */
export function rollbackTemplate(replicaSets: Stored<ReplicaSet>[], toRevision?: number): { revision: number; template: PodTemplateSpec } {
  const sorted = [...replicaSets].sort((a, b) => revisionOf(b) - revisionOf(a));
  if (sorted.length === 0) throw new Error("no rollout history found");
  const target = toRevision ? sorted.find((rs) => revisionOf(rs) === toRevision) : sorted[1];
  if (!target) throw new Error(toRevision ? `unable to find specified revision ${toRevision} in history` : "no previous revision to roll back to");
  const template = deepCopy(target.spec.template ?? {});
  // The hash label belongs to the ReplicaSet, not to the Deployment's template.
  if (template.metadata?.labels) delete template.metadata.labels["pod-template-hash"];
  return { revision: revisionOf(target), template };
}
