// Printers of the workload kinds: pods, deployments, replica sets, stateful
// sets. Columns, cell types and cell formats as kube-apiserver's printers
// write them (pkg/printers/internalversion/printers.go: printPod,
// printDeployment, printReplicaSet, printStatefulSet).
import type { Deployment, KubeObject, Pod, ReplicaSet, StatefulSet } from "../types.js";
import { summarizePod } from "../podstatus.js";
import { containerCells, formatLabelSelector, humanDuration, selectorString, since } from "./cells.js";
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, column, type Printer, type TableRowCondition } from "./types.js";

const created = (obj: KubeObject, now: number) => since(obj.metadata?.creationTimestamp, now);
const nameOf = (obj: KubeObject) => obj.metadata?.name ?? "";

function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return "<none>";
  const conditions = pod.status?.conditions ?? [];
  let trueCount = 0;
  for (const g of gates) {
    if (conditions.find((c) => c.type === g.conditionType)?.status === "True") trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

export const podPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Ready", "string", "Ready containers out of all containers (sidecars count)."),
    column("Status", "string", "The pod's phase, or the reason one of its containers is not running."),
    column("Restarts", "string", "Container restarts, and how long ago the last one ended."),
    AGE_COLUMN,
    column("IP", "string", "The pod's first IP address.", { priority: 1 }),
    column("Node", "string", "The node the pod is bound to.", { priority: 1 }),
    column("Nominated Node", "string", "The node preemption nominated for the pod.", { priority: 1 }),
    column("Readiness Gates", "string", "Readiness gates whose condition is True, out of all.", { priority: 1 }),
  ],
  cells(obj, { now }) {
    const pod = obj as Pod;
    const s = summarizePod(pod);
    const restarts = s.restarts !== 0 && s.lastRestart !== undefined ? `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)` : String(s.restarts);
    // Upstream reads podIPs[0]; podIP is the same address on any API server.
    const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || "<none>";
    return [
      nameOf(obj),
      `${s.ready}/${s.total}`,
      s.reason,
      restarts,
      created(obj, now),
      ip,
      pod.spec?.nodeName || "<none>",
      pod.status?.nominatedNodeName || "<none>",
      readinessGates(pod),
    ];
  },
  conditions(obj): TableRowCondition[] | undefined {
    // A finished pod's row says so (printPod's podSuccessConditions / podFailedConditions).
    switch ((obj as Pod).status?.phase) {
      case "Succeeded":
        return [{ type: "Completed", status: "True", reason: "Succeeded", message: "The pod has completed successfully." }];
      case "Failed":
        return [{ type: "Completed", status: "True", reason: "Failed", message: "The pod failed." }];
      default:
        return undefined;
    }
  },
};

export const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Ready", "string", "Ready replicas out of desired replicas."),
    column("Up-to-date", "integer", "Replicas running the latest pod template."),
    column("Available", "integer", "Replicas available to serve."),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column("Selector", "string", "The label selector of the deployment's pods.", { priority: 1 }),
  ],
  cells(obj, { now }) {
    const d = obj as Deployment;
    const st = d.status ?? {};
    const [names, images] = containerCells(d.spec?.template?.spec?.containers);
    // printDeployment prints the bare selector string (empty, not "<none>").
    const selector = selectorString(d.spec?.selector) ?? "<invalid>";
    return [nameOf(obj), `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`, st.updatedReplicas ?? 0, st.availableReplicas ?? 0, created(obj, now), names, images, selector];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Desired", "integer", "Replicas the spec asks for."),
    column("Current", "integer", "Replicas that exist."),
    column("Ready", "integer", "Replicas that are ready."),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column("Selector", "string", "The label selector of the replica set's pods.", { priority: 1 }),
  ],
  cells(obj, { now }) {
    const rs = obj as ReplicaSet;
    const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
    return [nameOf(obj), rs.spec?.replicas ?? 1, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, created(obj, now), names, images, formatLabelSelector(rs.spec?.selector)];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [NAME_COLUMN, column("Ready", "string", "Ready replicas out of desired replicas."), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells(obj, { now }) {
    const set = obj as StatefulSet;
    const [names, images] = containerCells(set.spec?.template?.spec?.containers);
    return [nameOf(obj), `${set.status?.readyReplicas ?? 0}/${set.spec?.replicas ?? 1}`, created(obj, now), names, images];
  },
};

/** An int-or-string as printed: the number, or the percentage string; "N/A" when unset. */
function intOrString(v: unknown): string {
  return v === undefined || v === null ? "N/A" : String(v);
}

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Min Available", "string", "Pods that must stay available, a number or a percentage."),
    column("Max Unavailable", "string", "Pods that may be unavailable, a number or a percentage."),
    column("Allowed Disruptions", "integer", "Pods that may be evicted now."),
    AGE_COLUMN,
  ],
  cells(obj, { now }) {
    const spec = (obj.spec ?? {}) as { minAvailable?: unknown; maxUnavailable?: unknown };
    const status = (obj.status ?? {}) as { disruptionsAllowed?: number };
    return [nameOf(obj), intOrString(spec.minAvailable), intOrString(spec.maxUnavailable), status.disruptionsAllowed ?? 0, created(obj, now)];
  },
};
