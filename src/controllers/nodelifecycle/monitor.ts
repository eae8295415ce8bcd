// The node lifecycle controller's health monitor: a node whose agent stopped
// renewing its Lease (kube-node-lease/<node>) and posting status for the
// grace period gets every condition set to Unknown ("Kubelet stopped
// posting node status."), the unreachable taints, and its pods marked not
// Ready, so the EndpointSlice controller takes their endpoints out of
// service. A node that reports Ready again loses the taints. Heartbeats are
// timed on the controller's own clock, from when it saw them change, as
// upstream does (nodeHealthData.probeTimestamp).
import { Controller, R } from "../controller.js";
import type { ApiServer } from "../../api/apiserver.js";
import { resourceByKind } from "../../api/resources.js";
import type { Lease, Node, Pod, Stored } from "../../api/types.js";
import { deepCopy, timestamp } from "../../api/meta.js";
import { ApiError } from "../../api/errors.js";
import { conditionTaints, taintsOf, TAINT_NOT_READY, TAINT_UNREACHABLE, type Taint } from "./taints.js";

const LEASES = resourceByKind("Lease")!;
export const NODE_LEASE_NAMESPACE = "kube-node-lease";

/** Upstream's kube-controller-manager defaults (1.31). */
export const NODE_MONITOR_PERIOD_MS = 5_000;
export const NODE_MONITOR_GRACE_PERIOD_MS = 40_000;
export const NODE_STARTUP_GRACE_PERIOD_MS = 60_000;

/** The conditions a kubelet posts, which the controller turns Unknown together. */
const NODE_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

export interface NodeLifecycleOptions {
  monitorPeriodMs?: number;
  gracePeriodMs?: number;
  startupGracePeriodMs?: number;
  now?: () => number;
}

interface Health {
  /** when this controller last saw the heartbeat (Ready's lastHeartbeatTime or the lease's renewTime) change */
  probeMs: number;
  heartbeat?: string;
  renewTime?: string;
  /** whether the node has ever been Ready: before that, the startup grace period applies */
  everReady: boolean;
}

type Condition = { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string };

/**
 * Unknown versions of the node's conditions (pure): upstream's reason and
 * message, heartbeat kept, transition time now for those that change.
 */
export function unknownConditions(conditions: Condition[], now: string): Condition[] {
  const out = conditions.map((c) => ({ ...c }));
  for (const type of NODE_CONDITIONS) {
    const c = out.find((x) => x.type === type);
    if (!c) {
      out.push({ type, status: "Unknown", reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status.", lastHeartbeatTime: now, lastTransitionTime: now });
    } else if (c.status !== "Unknown") {
      Object.assign(c, { status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: now });
    }
  }
  return out;
}

/** The node's taints with the condition taints brought in line with its Ready status (pure); undefined when nothing changes. */
export function reconcileConditionTaints(taints: Taint[], readyStatus: string | undefined, now: string): Taint[] | undefined {
  const wanted = conditionTaints(readyStatus);
  const managed = (t: Taint) => t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE;
  const kept = taints.filter((t) => !managed(t) || wanted.some((w) => w.key === t.key && w.effect === t.effect));
  const added = wanted
    .filter((w) => !kept.some((t) => t.key === w.key && t.effect === w.effect))
    .map((w) => (w.effect === "NoExecute" ? { ...w, timeAdded: now } : { ...w }));
  if (added.length === 0 && kept.length === taints.length) return undefined;
  return [...kept, ...added];
}

export class NodeLifecycleController extends Controller {
  private readonly health = new Map<string, Health>();
  private readonly monitorPeriodMs: number;
  private readonly gracePeriodMs: number;
  private readonly startupGracePeriodMs: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;

  constructor(api: ApiServer, options: NodeLifecycleOptions = {}) {
    super("node-lifecycle-controller", api);
    this.monitorPeriodMs = options.monitorPeriodMs ?? NODE_MONITOR_PERIOD_MS;
    this.gracePeriodMs = options.gracePeriodMs ?? NODE_MONITOR_GRACE_PERIOD_MS;
    this.startupGracePeriodMs = options.startupGracePeriodMs ?? Math.max(NODE_STARTUP_GRACE_PERIOD_MS, this.gracePeriodMs);
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.watch(R.nodes, (e) => [e.object.metadata.name]);
    this.watch(LEASES, (e) => (e.object.metadata.namespace === NODE_LEASE_NAMESPACE ? [e.object.metadata.name] : []));
    // A node's pods that turn Ready while the node is down (nobody should write that) are marked again.
    this.watch(R.pods, (e) => {
      const nodeName = (e.object as Stored<Pod>).spec?.nodeName;
      return e.type !== "DELETED" && nodeName && this.health.has(nodeName) && this.isDown(nodeName) ? [nodeName] : [];
    });
    this.enqueueAll(R.nodes);
    this.timer = setInterval(() => this.enqueueAll(R.nodes), this.monitorPeriodMs);
    this.timer.unref();
  }

  override stop(): void {
    if (this.timer) clearInterval(this.timer);
    super.stop();
  }

  private isDown(nodeName: string): boolean {
    const node = this.api.tryGet(R.nodes, undefined, nodeName) as Stored<Node> | undefined;
    return readyStatus(node) !== "True";
  }

  protected sync(nodeName: string): void {
    const node = this.api.tryGet(R.nodes, undefined, nodeName) as Stored<Node> | undefined;
    if (!node) {
      this.health.delete(nodeName);
      return;
    }
    const now = this.now();
    const lease = this.api.tryGet(LEASES, NODE_LEASE_NAMESPACE, nodeName) as Stored<Lease> | undefined;
    const ready = conditionsOf(node).find((c) => c.type === "Ready");
    const heartbeat = ready?.lastHeartbeatTime;
    const renewTime = lease?.spec?.renewTime;
    let h = this.health.get(nodeName);
    if (!h) {
      h = { probeMs: now, heartbeat, renewTime, everReady: ready?.status === "True" };
      this.health.set(nodeName, h);
    } else if (h.heartbeat !== heartbeat || h.renewTime !== renewTime) {
      Object.assign(h, { probeMs: now, heartbeat, renewTime });
    }
    if (ready?.status === "True") h.everReady = true;

    const grace = h.everReady ? this.gracePeriodMs : this.startupGracePeriodMs;
    let current = node;
    if (now - h.probeMs > grace && ready?.status !== "Unknown") {
      const next = deepCopy(node);
      (next.status ??= {}).conditions = unknownConditions(conditionsOf(node), timestamp(now)) as never;
      current = this.api.update(R.nodes, next, undefined, { subresource: "status" }) as Stored<Node>;
      console.error(`${this.name}: node ${nodeName} stopped posting status (last heartbeat seen ${Math.round((now - h.probeMs) / 1000)}s ago): Ready=Unknown`);
    }

    const status = readyStatus(current);
    const taints = reconcileConditionTaints(taintsOf(current), status, timestamp(now));
    if (taints) {
      const next = deepCopy(current);
      const spec = (next.spec ??= {}) as { taints?: Taint[] };
      if (taints.length) spec.taints = taints;
      else delete spec.taints;
      current = this.api.update(R.nodes, next) as Stored<Node>;
    }
    if (status !== "True") this.markPodsNotReady(nodeName, timestamp(now));
  }

  /** Every pod bound to the node gets Ready=False (upstream's MarkPodsNotReady), so its endpoints stop serving. */
  private markPodsNotReady(nodeName: string, now: string): void {
    for (const pod of this.api.list(R.pods, { fieldSelector: `spec.nodeName=${nodeName}` }).items as Stored<Pod>[]) {
      const conditions = pod.status?.conditions ?? [];
      const i = conditions.findIndex((c) => c.type === "Ready");
      if (i < 0 || conditions[i]!.status !== "True") continue;
      const next = deepCopy(pod);
      next.status!.conditions![i] = { ...conditions[i]!, status: "False", lastTransitionTime: now };
      try {
        this.api.update(R.pods, next, pod.metadata.namespace, { subresource: "status" });
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
      }
    }
  }
}

function conditionsOf(node: Node): Condition[] {
  return (node.status?.conditions ?? []) as Condition[];
}

function readyStatus(node: Node | undefined): string | undefined {
  return node ? conditionsOf(node).find((c) => c.type === "Ready")?.status : undefined;
}
