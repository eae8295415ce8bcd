// A pod's status as kubectl summarises it (the STATUS, READY and RESTARTS
// columns of `kubectl get pods`), and the container failures that will not
// fix themselves. Pure: the CLI's tables and the library's waits both use it.
// The STATUS logic follows kubectl's printPod (pkg/printers/internalversion/printers.go).
import type { Container, ContainerStatus, Pod } from "./types.js";

/** Milliseconds since epoch of an RFC 3339 timestamp, or undefined. */
export function parseTime(ts: string | undefined): number | undefined {
  if (ts === undefined || ts === "") return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

export interface PodSummary {
  ready: number;
  total: number;
  reason: string;
  restarts: number;
  /** Latest lastState.terminated.finishedAt among the counted containers. */
  lastRestart: number | undefined;
}

/** The kubelet's "node unreachable" pod reason (node lifecycle controller). */
const NODE_UNREACHABLE_POD_REASON = "NodeLost";

function isRestartableInit(c: Container | undefined): boolean {
  return c?.restartPolicy === "Always";
}

function later(a: number | undefined, ts: string | undefined): number | undefined {
  const t = parseTime(ts);
  if (t === undefined) return a;
  return a === undefined || a < t ? t : a;
}

function terminatedReason(prefix: string, t: { reason?: string; signal?: number; exitCode: number }): string {
  if (t.reason) return prefix + t.reason;
  if (t.signal) return `${prefix}Signal:${t.signal}`;
  return `${prefix}ExitCode:${t.exitCode}`;
}

export function summarizePod(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const conditions = status.conditions ?? [];
  const initSpecs = spec.initContainers ?? [];

  let total = (spec.containers ?? []).length;
  let ready = 0;
  let restarts = 0;
  let lastRestart: number | undefined;
  let sidecarRestarts = 0;
  let lastSidecarRestart: number | undefined;

  // The API server sets phase Pending on create; a kemu object may not.
  const phase = status.phase ?? "Pending";
  let reason: string = status.reason ? status.reason : phase;
  for (const c of conditions) {
    if (c.type === "PodScheduled" && c.reason === "SchedulingGated") reason = "SchedulingGated";
  }

  const initByName = new Map<string, Container>();
  for (const c of initSpecs) {
    initByName.set(c.name, c);
    if (isRestartableInit(c)) total++;
  }

  let initializing = false;
  const initStatuses: ContainerStatus[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const sidecar = isRestartableInit(initByName.get(cs.name));
    restarts += cs.restartCount ?? 0;
    lastRestart = later(lastRestart, cs.lastState?.terminated?.finishedAt);
    if (sidecar) {
      sidecarRestarts += cs.restartCount ?? 0;
      lastSidecarRestart = later(lastSidecarRestart, cs.lastState?.terminated?.finishedAt);
    }
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready) ready++;
      continue;
    }
    if (terminated) {
      reason = terminatedReason("Init:", terminated);
    } else if (waiting?.reason && waiting.reason !== "PodInitializing") {
      reason = "Init:" + waiting.reason;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = conditions.some((c) => c.type === "Initialized" && c.status === "True");
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: ContainerStatus[] = status.containerStatuses ?? [];
    // Walked backwards, so the first container's state wins, as in kubectl.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount ?? 0;
      lastRestart = later(lastRestart, cs.lastState?.terminated?.finishedAt);
      const waiting = cs.state?.waiting;
      const terminated = cs.state?.terminated;
      if (waiting?.reason) {
        reason = waiting.reason;
      } else if (terminated) {
        reason = terminatedReason("", terminated);
      } else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // Some container completed but another still runs: the pod is not done.
    if (reason === "Completed" && hasRunning) {
      const podReady = conditions.some((c) => c.type === "Ready" && c.status === "True");
      reason = podReady ? "Running" : "NotReady";
    }
  }

  const deleting = pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== "";
  if (deleting && status.reason === NODE_UNREACHABLE_POD_REASON) {
    reason = "Unknown";
  } else if (deleting && phase !== "Succeeded" && phase !== "Failed") {
    reason = "Terminating";
  }

  return { ready, total, reason, restarts, lastRestart };
}

/** The STATUS column of `kubectl get pods`. */
export function podStatusReason(pod: Pod): string {
  return summarizePod(pod).reason;
}

/**
 * Waiting reasons the kubelet keeps retrying but that only a change to the
 * pod can clear (kubelet's ErrCreateContainerConfig, ErrCreateContainer and
 * ErrInvalidImageName in pkg/kubelet/images and kuberuntime).
 */
export const PERMANENT_WAITING_REASONS: readonly string[] = ["CreateContainerConfigError", "CreateContainerError", "InvalidImageName"];

/** Exit codes of a program that could not be executed (126: not executable, 127: not found). */
const EXEC_FAILED = [126, 127];

export interface ContainerProblem {
  container: string;
  reason: string;
  message: string;
}

/**
 * The first container of the pod that cannot start for a reason that will not
 * fix itself: a permanent waiting reason, or a StartError because the program
 * could not be executed (now or in its last run, as restarts replace the state).
 */
export function containerCannotStart(pod: Pod): ContainerProblem | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const cs of statuses) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason && PERMANENT_WAITING_REASONS.includes(waiting.reason)) {
      return { container: cs.name, reason: waiting.reason, message: waiting.message ?? "" };
    }
    for (const t of [cs.state?.terminated, cs.lastState?.terminated]) {
      if (t?.reason === "StartError" && EXEC_FAILED.includes(t.exitCode)) {
        return { container: cs.name, reason: t.reason, message: t.message || `exit code ${t.exitCode}` };
      }
    }
  }
  return undefined;
}

/** "pod/NAME: REASON: MESSAGE", naming the namespace and container only when they are not obvious. */
export function describeContainerProblem(pod: Pod, p: ContainerProblem): string {
  const ns = pod.metadata.namespace && pod.metadata.namespace !== "default" ? ` -n ${pod.metadata.namespace}` : "";
  const many = (pod.spec.initContainers?.length ?? 0) + (pod.spec.containers?.length ?? 0) > 1;
  return `pod/${pod.metadata.name}${ns}${many ? ` (container ${p.container})` : ""}: ${p.reason}${p.message ? `: ${p.message}` : ""}`;
}
