// Printers of the cluster and config kinds: nodes, namespaces, events,
// secrets and leases, as kube-apiserver's printers write them
// (pkg/printers/internalversion/printers.go: printNode, printNamespace,
// printEvent, printSecret, printLease).
import type { Event, KubeObject, Namespace, Node, Secret } from "../types.js";
import { since } from "./cells.js";
import { AGE_COLUMN, NAME_COLUMN, column, type Printer } from "./types.js";

const created = (obj: KubeObject, now: number) => since(obj.metadata?.creationTimestamp, now);
const nameOf = (obj: KubeObject) => obj.metadata?.name ?? "";

/** Ready/NotReady/Unknown from the Ready condition, then SchedulingDisabled when cordoned. */
export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === "Ready");
  const parts = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (node.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
}

/** Roles from node-role.kubernetes.io/<role> labels and the kubernetes.io/role label, sorted; "<none>" without. */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role.length > 0) roles.add(role);
    } else if (k === "kubernetes.io/role" && v !== "") {
      roles.add(v);
    }
  }
  return roles.size === 0 ? "<none>" : [...roles].sort().join(",");
}

export function nodeAddress(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? "<none>";
}

export const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Status", "string", "Whether the node is ready, and whether it takes new pods."),
    column("Roles", "string", "The node's roles, from its node-role labels."),
    AGE_COLUMN,
    column("Version", "string", "The kubelet's version."),
    column("Internal-IP", "string", "The node's internal address.", { priority: 1 }),
    column("External-IP", "string", "The node's external address.", { priority: 1 }),
    column("OS-Image", "string", "The node's operating system image.", { priority: 1 }),
    column("Kernel-Version", "string", "The node's kernel version.", { priority: 1 }),
    column("Container-Runtime", "string", "The node's container runtime and its version.", { priority: 1 }),
  ],
  cells(obj, { now }) {
    const node = obj as Node;
    const info = node.status?.nodeInfo;
    return [
      nameOf(obj),
      nodeStatus(node),
      nodeRoles(node),
      created(obj, now),
      info?.kubeletVersion ?? "",
      nodeAddress(node, "InternalIP"),
      nodeAddress(node, "ExternalIP"),
      info?.osImage || "<unknown>",
      info?.kernelVersion || "<unknown>",
      info?.containerRuntimeVersion || "<unknown>",
    ];
  },
};

export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, column("Status", "string", "The namespace's phase: Active or Terminating."), AGE_COLUMN],
  cells(obj, { now }) {
    // The API server sets phase Active on create; a kemu object may not have it yet.
    return [nameOf(obj), (obj as Namespace).status?.phase ?? "Active", created(obj, now)];
  },
};

/** formatEventSource: component (else reportingComponent), then ", host" (else reportingInstance) when there is one. */
function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || "";
  const instance = ev.source?.host || ev.reportingInstance || "";
  return instance ? `${component}, ${instance}` : component;
}

/**
 * LAST SEEN is lastTimestamp, else FIRST SEEN (firstTimestamp, else
 * eventTime); a series gives its lastObservedTime and count; a count of 0
 * is 1. OBJECT is kind/name with the kind in lower case.
 */
export const eventPrinter: Printer = {
  columns: [
    column("Last Seen", "string", "How long ago the event was last seen."),
    column("Type", "string", "Normal or Warning."),
    column("Reason", "string", "A short, machine-readable reason."),
    column("Object", "string", "The object the event is about."),
    column("Subobject", "string", "The part of the object the event is about.", { priority: 1 }),
    column("Source", "string", "The component that reported the event.", { priority: 1 }),
    column("Message", "string", "What happened, for a person to read."),
    column("First Seen", "string", "How long ago the event was first seen.", { priority: 1 }),
    column("Count", "string", "How many times the event happened.", { priority: 1 }),
    column("Name", "string", "The event object's name.", { priority: 1, format: "name" }),
  ],
  cells(obj, { now }) {
    const ev = obj as Event;
    const firstSeen = ev.firstTimestamp ? since(ev.firstTimestamp, now) : since(ev.eventTime, now);
    let lastSeen = ev.lastTimestamp ? since(ev.lastTimestamp, now) : firstSeen;
    let count = ev.count ?? 0;
    if (ev.series) {
      lastSeen = since(ev.series.lastObservedTime, now);
      count = ev.series.count ?? 0;
    } else if (count === 0) {
      count = 1;
    }
    const involved = ev.involvedObject ?? {};
    const kind = (involved.kind ?? "").toLowerCase();
    const target = involved.name ? `${kind}/${involved.name}` : kind;
    return [lastSeen, ev.type ?? "", ev.reason ?? "", target, involved.fieldPath ?? "", eventSource(ev), (ev.message ?? "").trim(), firstSeen, count, nameOf(obj)];
  },
};

export const secretPrinter: Printer = {
  columns: [NAME_COLUMN, column("Type", "string", "The secret's type."), column("Data", "string", "How many keys the secret holds."), AGE_COLUMN],
  cells(obj, { now }) {
    const secret = obj as Secret;
    // stringData is never stored: DATA counts the keys of data.
    return [nameOf(obj), secret.type ?? "Opaque", Object.keys(secret.data ?? {}).length, created(obj, now)];
  },
};

export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, column("Holder", "string", "Who holds the lease."), AGE_COLUMN],
  cells(obj, { now }) {
    return [nameOf(obj), (obj.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? "", created(obj, now)];
  },
};

export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, column("Data", "string", "How many keys the config map holds (data and binaryData)."), AGE_COLUMN],
  cells(obj, { now }) {
    const cm = obj as KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> };
    return [nameOf(obj), Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, created(obj, now)];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, column("Secrets", "string", "How many secrets the service account lists."), AGE_COLUMN],
  cells(obj, { now }) {
    return [nameOf(obj), ((obj as KubeObject & { secrets?: unknown[] }).secrets ?? []).length, created(obj, now)];
  },
};
