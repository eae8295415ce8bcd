// The scheduler: binds each pending pod to a node that is Ready, whose
// taints it tolerates, that matches its nodeSelector and required node
// affinity (nodeaffinity.ts) and has room for its
// requests, spreading pods of one owner (and then all pods) across nodes.
import { Controller, R, splitKey, objectKey } from "./controller.js";
import type { Node, Pod, Stored, WatchEventType } from "../api/types.js";
import { controllerOf, deepCopy, timestamp } from "../api/meta.js";
import { parseQuantity } from "../api/quantity.js";
import { untoleratedTaints } from "./nodelifecycle/taints.js";
import { matchesNodeSelectorAndAffinity } from "./nodeaffinity.js";

export interface NodeFit {
  node: Stored<Node>;
  reason?: string;
}

export class Scheduler extends Controller {
  /**
   * Pods without a node (what the field selector `spec.nodeName=` selects),
   * by key. Each pod deletion retries them all, and listing every pod to find
   * them each time cost most of a big namespace deletion.
   */
  private readonly unscheduled = new Map<string, { namespace: string; name: string }>();
  /**
   * Pods bound to a node, by key, as last seen: what counts against node
   * capacity. Kept from the same watch, so that a sync reads the few
   * hundred pods that run instead of listing thousands of pending ones.
   */
  private readonly assigned = new Map<string, Stored<Pod>>();
  /** The keys of `unscheduled` in list order, until it next changes. */
  private ordered?: string[];
  private unwatchIndex?: () => void;

  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("default-scheduler", api);
  }

  start(): void {
    // Kept as each event is sent, not a microtask later like watch(), so that
    // it always holds exactly what listing with the selector would return.
    this.unwatchIndex = this.api.watch(R.pods, {}, (e) => this.index(e.type, e.object as Stored<Pod>));
    for (const pod of this.api.list(R.pods).items) this.index("ADDED", pod as Stored<Pod>);
    this.watch(R.pods, (e) => (e.type !== "DELETED" && !(e.object as Stored<Pod>).spec.nodeName ? [objectKey(e.object)] : []));
    // A node becoming Ready, or a pod that ran on a node going away, can make room for pending
    // pods (upstream requeues unschedulable pods on AssignedPodDelete, not on any deletion).
    const retryPending = () => this.pendingKeys();
    this.watch(R.nodes, retryPending);
    this.watch(R.pods, (e) => (e.type === "DELETED" && (e.object as Stored<Pod>).spec?.nodeName ? this.pendingKeys() : []));
    this.enqueueAll(R.pods);
  }

  override stop(): void {
    this.unwatchIndex?.();
    super.stop();
  }

  private index(type: WatchEventType, pod: Stored<Pod>): void {
    if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED") return;
    const key = objectKey(pod);
    if (type !== "DELETED" && pod.spec?.nodeName) this.assigned.set(key, pod);
    else this.assigned.delete(key);
    const pending = type !== "DELETED" && !pod.spec?.nodeName;
    if (pending === this.unscheduled.has(key)) return;
    if (pending) this.unscheduled.set(key, { namespace: pod.metadata.namespace ?? "", name: pod.metadata.name });
    else this.unscheduled.delete(key);
    this.ordered = undefined;
  }

  /** Pending pods in list order (namespace, then name), as the store lists them. */
  private pendingKeys(): string[] {
    this.ordered ??= [...this.unscheduled]
      .sort(([, a], [, b]) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
      .map(([key]) => key);
    return this.ordered;
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const pod = this.api.tryGet(R.pods, namespace, name) as Stored<Pod> | undefined;
    if (!pod || pod.spec.nodeName || pod.metadata.deletionTimestamp) return;
    if (pod.spec.schedulerName && pod.spec.schedulerName !== "default-scheduler") return;
    const nodes = this.api.list(R.nodes).items as Stored<Node>[];
    const choice = chooseNode(pod, nodes, [...this.assigned.values()]);
    if ("node" in choice) {
      const next = deepCopy(pod);
      next.spec.nodeName = choice.node.metadata.name;
      this.api.update(R.pods, next);
      const bound = this.api.get(R.pods, namespace, name) as Stored<Pod>;
      setCondition(bound, { type: "PodScheduled", status: "True" });
      const updated = this.api.update(R.pods, bound, namespace, { subresource: "status" });
      // schedule_one.go: the Scheduled event once the binding is made
      void this.events.normal(updated, "Scheduled", `Successfully assigned ${namespace}/${name} to ${choice.node.metadata.name}`);
    } else {
      const next = deepCopy(pod);
      next.status = { ...(next.status ?? {}), phase: "Pending" };
      setCondition(next, { type: "PodScheduled", status: "False", reason: "Unschedulable", message: choice.message });
      if (JSON.stringify(next.status) !== JSON.stringify(pod.status)) {
        const updated = this.api.update(R.pods, next, namespace, { subresource: "status" });
        // Each new reason is an event; a repeat of the same one adds to its count (upstream's recorder dedups repeats the same way).
        void this.events.warn(updated, "FailedScheduling", choice.message);
      }
    }
  }
}

function setCondition(pod: Stored<Pod>, c: { type: string; status: string; reason?: string; message?: string }): void {
  const status = (pod.status ??= {});
  const conditions = (status.conditions ??= []);
  const prev = conditions.find((x) => x.type === c.type);
  if (prev && prev.status === c.status && prev.message === c.message) return;
  const next = { ...c, lastTransitionTime: prev?.status === c.status ? prev.lastTransitionTime : timestamp() };
  if (prev) conditions.splice(conditions.indexOf(prev), 1, next as never);
  else conditions.push(next as never);
}

function isReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function requests(pod: Pod): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = c.resources?.requests ?? {};
    if (r.cpu !== undefined) cpu += parseQuantity(r.cpu as string | number);
    if (r.memory !== undefined) memory += parseQuantity(r.memory as string | number);
  }
  return { cpu, memory };
}

/** Pure decision: the best node, or why none fits (worded like upstream's FailedScheduling). */
export function chooseNode(pod: Stored<Pod>, nodes: Stored<Node>[], pods: Stored<Pod>[]): { node: Stored<Node> } | { message: string } {
  const reasons = new Map<string, number>();
  const note = (r: string) => reasons.set(r, (reasons.get(r) ?? 0) + 1);
  const want = requests(pod);
  const owner = controllerOf(pod)?.uid;
  const candidates: { node: Stored<Node>; sameOwner: number; total: number }[] = [];

  for (const node of nodes) {
    if (!isReady(node)) { note("node(s) were not ready"); continue; }
    if (node.spec?.unschedulable) { note("node(s) were unschedulable"); continue; }
    const [taint] = untoleratedTaints(pod, node, ["NoSchedule", "NoExecute"]);
    if (taint) { note(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`); continue; }
    if (!matchesNodeSelectorAndAffinity(pod, node)) { note("node(s) didn't match Pod's node affinity/selector"); continue; }
    const onNode = pods.filter((p) => p.spec.nodeName === node.metadata.name && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    const used = onNode.reduce((acc, p) => { const r = requests(p); return { cpu: acc.cpu + r.cpu, memory: acc.memory + r.memory }; }, { cpu: 0, memory: 0 });
    const alloc = node.status?.allocatable ?? {};
    const cap = (k: string) => (alloc[k] !== undefined ? parseQuantity(alloc[k] as string | number) : Infinity);
    if (onNode.length + 1 > cap("pods")) { note("Too many pods"); continue; }
    if (used.cpu + want.cpu > cap("cpu")) { note("Insufficient cpu"); continue; }
    if (used.memory + want.memory > cap("memory")) { note("Insufficient memory"); continue; }
    const sameOwner = owner ? onNode.filter((p) => controllerOf(p)?.uid === owner).length : 0;
    candidates.push({ node, sameOwner, total: onNode.length });
  }
  if (candidates.length === 0) {
    const detail = [...reasons].sort(([a], [b]) => a.localeCompare(b)).map(([r, n]) => `${n} ${r}`).join(", ");
    return { message: `0/${nodes.length} nodes are available${detail ? `: ${detail}` : ""}.` };
  }
  candidates.sort((a, b) => a.sameOwner - b.sameOwner || a.total - b.total || a.node.metadata.name.localeCompare(b.node.metadata.name));
  return { node: candidates[0]!.node };
}
