// The node agent's heartbeats, as the kubelet sends them: the node Lease in
// kube-node-lease renewed every quarter of its duration, and the node status
// (conditions, capacity, node info) posted at start, whenever it differs
// from what the API holds (e.g. the node lifecycle controller set Ready to
// Unknown while this agent was frozen), and at least every five minutes.
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import type { ApiClient } from "../api/client.js";
import { ApiError } from "../api/errors.js";
import { timestamp } from "../api/meta.js";
import { resourceByKind } from "../api/resources.js";
import type { Lease, Node, Stored } from "../api/types.js";

const NODES = resourceByKind("Node")!;
const LEASES = resourceByKind("Lease")!;
const LEASE_NAMESPACE = "kube-node-lease";

/** The kubelet's defaults: status computed every 10 s, posted unchanged at least every 5 min. */
export const NODE_STATUS_UPDATE_MS = 10_000;
export const NODE_STATUS_REPORT_MS = 5 * 60_000;

export interface HeartbeatOptions {
  nodeName: string;
  /** the Lease's leaseDurationSeconds (kubelet --node-lease-duration-seconds, 40 by default); renewed every quarter of it */
  leaseDurationSeconds: number;
  statusUpdateMs?: number;
  statusReportMs?: number;
}

type Condition = { type: string; status: string; reason: string; message: string; lastHeartbeatTime: string; lastTransitionTime: string };

const HEALTHY: [type: string, status: string, reason: string, message: string][] = [
  ["MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"],
  ["DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"],
  ["PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"],
  ["Ready", "True", "KubeletReady", "kubelet is posting ready status"],
];

/** The conditions a healthy agent posts (pure): transition times kept from `previous` where the status stays. */
export function healthyConditions(previous: { type: string; status?: string; lastTransitionTime?: string }[], now: string): Condition[] {
  return HEALTHY.map(([type, status, reason, message]) => {
    const prev = previous.find((c) => c.type === type);
    const lastTransitionTime = prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime };
  });
}

/** Whether the API's conditions differ from the healthy ones in anything but timestamps. */
export function conditionsDiffer(current: { type: string; status?: string; reason?: string }[]): boolean {
  return HEALTHY.some(([type, status, reason]) => {
    const c = current.find((x) => x.type === type);
    return c?.status !== status || c.reason !== reason;
  }) || current.length !== HEALTHY.length;
}

/** RFC 3339 with microseconds, as a Lease's MicroTime fields are written. */
export function microTime(at: number = Date.now()): string {
  return `${new Date(at).toISOString().slice(0, -1)}000Z`;
}

export class NodeHeartbeat {
  private leaseTimer?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;
  private lease?: Stored<Lease>;
  private lastReportMs = 0;
  private stopped = false;

  constructor(
    private readonly api: ApiClient,
    private readonly options: HeartbeatOptions,
  ) {}

  /** Posts the status and the lease once, then keeps both fresh. */
  async start(): Promise<void> {
    await this.postStatus(true);
    await this.renewLease();
    const renewMs = Math.max(250, (this.options.leaseDurationSeconds * 1000) / 4);
    this.leaseTimer = setInterval(() => void this.renewLease().catch((err: Error) => console.error(`agent: node lease: ${err.message}`)), renewMs);
    this.statusTimer = setInterval(
      () => void this.postStatus(false).catch((err: Error) => console.error(`agent: node status: ${err.message}`)),
      this.options.statusUpdateMs ?? NODE_STATUS_UPDATE_MS,
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
  }

  private async renewLease(): Promise<void> {
    if (this.stopped) return;
    const { nodeName, leaseDurationSeconds } = this.options;
    const spec = { holderIdentity: nodeName, leaseDurationSeconds, renewTime: microTime() };
    try {
      if (this.lease) {
        this.lease = await this.api.update<Lease>(LEASES, { ...this.lease, spec: { ...this.lease.spec, ...spec } });
        return;
      }
    } catch (err) {
      // Someone else wrote it (or it is gone): read it again below.
      if (!(err instanceof ApiError && (err.reason === "Conflict" || err.reason === "NotFound"))) throw err;
    }
    const current = await this.api.tryGet<Lease>(LEASES, LEASE_NAMESPACE, nodeName);
    if (current) {
      this.lease = await this.api.update<Lease>(LEASES, { ...current, spec: { ...current.spec, ...spec } });
      return;
    }
    const node = await this.api.get<Node>(NODES, undefined, nodeName);
    this.lease = await this.api.create<Lease>(LEASES, {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: nodeName,
        namespace: LEASE_NAMESPACE,
        ownerReferences: [{ apiVersion: "v1", kind: "Node", name: nodeName, uid: node.metadata.uid }],
      },
      spec: { ...spec, acquireTime: spec.renewTime },
    });
  }

  private async postStatus(force: boolean): Promise<void> {
    if (this.stopped) return;
    const node = await this.api.get<Node>(NODES, undefined, this.options.nodeName);
    const current = (node.status?.conditions ?? []) as Condition[];
    const due = Date.now() - this.lastReportMs >= (this.options.statusReportMs ?? NODE_STATUS_REPORT_MS);
    if (!force && !due && !conditionsDiffer(current)) return;
    const now = timestamp();
    const capacity = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: "110", "ephemeral-storage": "100Gi" };
    await this.api.update(
      NODES,
      {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: node.metadata.name },
        status: {
          ...(node.status ?? {}),
          capacity,
          allocatable: capacity,
          conditions: healthyConditions(current, now),
          nodeInfo: {
            ...(node.status?.nodeInfo ?? {}),
            kubeletVersion: "v1.31.0-kemu",
            kubeProxyVersion: "v1.31.0-kemu",
            containerRuntimeVersion: "kemu://0.1.0",
            operatingSystem: "linux",
            architecture: process.arch === "x64" ? "amd64" : process.arch,
            osImage: osImage(),
            kernelVersion: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
            machineID: "",
            systemUUID: "",
            bootID: "",
          },
        },
      },
      { subresource: "status" },
    );
    this.lastReportMs = Date.now();
  }
}

function osImage(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "Linux";
  } catch {
    return "Linux";
  }
}
