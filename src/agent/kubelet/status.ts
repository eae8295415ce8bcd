// A pod's status from what the kubelet knows about its containers (pure):
// phase, conditions and containerStatuses worded as the real kubelet does.
import type { ContainerStatus, Pod, PodStatus } from "../../api/types.js";

export type ContainerState =
  | { kind: "waiting"; reason: string; message?: string }
  | { kind: "running"; startedAt: string }
  | { kind: "terminated"; exitCode: number; signal?: number; reason: string; message?: string; startedAt: string; finishedAt: string };

export interface ContainerFacts {
  name: string;
  image: string;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  ready: boolean;
  /** the startup probe passed (running, when there is none) */
  started?: boolean;
  containerId?: string;
}

export interface PodFactsForStatus {
  pod: Pod;
  hostIp: string;
  podIp?: string;
  sandboxReady: boolean;
  startTime: string;
  containers: ContainerFacts[];
}

function renderState(s: ContainerState): ContainerStatus["state"] {
  switch (s.kind) {
    case "waiting":
      return { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } };
    case "running":
      return { running: { startedAt: s.startedAt } };
    case "terminated":
      return {
        terminated: {
          exitCode: s.exitCode,
          ...(s.signal ? { signal: s.signal } : {}),
          reason: s.reason,
          ...(s.message ? { message: s.message } : {}),
          startedAt: s.startedAt,
          finishedAt: s.finishedAt,
        },
      };
  }
}

export function podPhase(restartPolicy: string, containers: ContainerFacts[]): "Pending" | "Running" | "Succeeded" | "Failed" {
  const running = containers.filter((c) => c.state.kind === "running").length;
  const terminated = containers.filter((c) => c.state.kind === "terminated");
  const waiting = containers.filter((c) => c.state.kind === "waiting");
  const neverStarted = waiting.filter((c) => c.restartCount === 0 && !c.lastState).length;
  if (neverStarted > 0) return "Pending";
  if (running > 0) return "Running";
  if (waiting.length > 0) return "Running"; // restarting after an earlier run
  const failed = terminated.some((c) => c.state.kind === "terminated" && c.state.exitCode !== 0);
  if (restartPolicy === "Always") return "Running";
  if (restartPolicy === "OnFailure" && failed) return "Running";
  return failed ? "Failed" : "Succeeded";
}

export function computePodStatus(f: PodFactsForStatus, previous: PodStatus | undefined, now: string): PodStatus {
  const phase = f.sandboxReady ? podPhase(f.pod.spec.restartPolicy ?? "Always", f.containers) : "Pending";
  const allReady = f.containers.length > 0 && f.containers.every((c) => c.ready);
  const terminal = phase === "Succeeded" || phase === "Failed";
  const condition = (type: string, ok: boolean, reason?: string) => {
    const prev = previous?.conditions?.find((c) => c.type === type);
    const status = ok ? "True" : "False";
    return {
      type,
      status,
      lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      ...(reason && !ok ? { reason } : {}),
    };
  };
  const notReady = f.containers.filter((c) => !c.ready).map((c) => c.name);
  const unreadyReason = terminal ? "PodCompleted" : "ContainersNotReady";
  const conditions = [
    condition("PodReadyToStartContainers", f.sandboxReady && !terminal),
    condition("Initialized", true),
    { ...condition("Ready", allReady && !terminal, unreadyReason), ...(allReady && !terminal ? {} : { message: `containers with unready status: [${notReady.join(" ")}]` }) },
    { ...condition("ContainersReady", allReady && !terminal, unreadyReason), ...(allReady && !terminal ? {} : { message: `containers with unready status: [${notReady.join(" ")}]` }) },
    condition("PodScheduled", true),
  ];
  // Conditions others own (DisruptionTarget from the taint eviction controller, …) are kept as they are.
  const mine = new Set(conditions.map((c) => c.type));
  for (const c of previous?.conditions ?? []) if (!mine.has(c.type)) conditions.push(c as (typeof conditions)[number]);
  return {
    phase,
    conditions,
    hostIP: f.hostIp,
    hostIPs: [{ ip: f.hostIp }],
    ...(f.podIp ? { podIP: f.podIp, podIPs: [{ ip: f.podIp }] } : {}),
    startTime: f.startTime,
    containerStatuses: f.containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: "",
      ...(c.containerId ? { containerID: c.containerId } : {}),
      ready: c.ready,
      started: c.started ?? c.state.kind === "running",
      restartCount: c.restartCount,
      state: renderState(c.state),
      lastState: c.lastState ? renderState(c.lastState) : {},
    })),
    qosClass: "BestEffort",
  };
}

/** The terminated reason as container runtimes report it (125-127: the program could not be started). */
export function terminatedReason(exitCode: number): string {
  if (exitCode === 0) return "Completed";
  return exitCode >= 125 && exitCode <= 127 ? "StartError" : "Error";
}
