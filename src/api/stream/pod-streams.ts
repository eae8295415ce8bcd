// The pods/exec and pods/attach subresources: checks the request as
// kube-apiserver and the kubelet do, completes the upgrade, and runs the
// session. kemu's daemon plays both the API server and the kubelet here
// (shared reference code-models.md: kwok serves these as the kubelet).
import type http from "node:http";
import type { Duplex } from "node:stream";
import type { ApiServer } from "../apiserver.js";
import { ApiError } from "../errors.js";
import { resourceByKind } from "../resources.js";
import type { Container, Pod, Stored } from "../types.js";
import { successStatus } from "./channels.js";
import { pickContainer } from "./pick-container.js";
import { startExec } from "./exec-process.js";
import { followFile } from "./follow.js";
import { refuseUpgrade } from "./refuse.js";
import { runSession, type ChannelTransport } from "./session.js";
import { acceptWebSocket, isWebSocketUpgrade, negotiate } from "./websocket.js";
import { acceptSpdyExec, isSpdyUpgrade } from "./exec-spdy.js";

const PODS = resourceByKind("Pod")!;

export interface PodStreamDeps {
  api: ApiServer;
  /** The log file of the container's current run (what attach follows), if it started. */
  currentLogFile(pod: Stored<Pod>, container: string): string | undefined;
  /** How to run a command in a running container (the kubelet's side: src/agent/kubelet/exec-target.ts). */
  runtime: {
    /** the host argv; throws when the pod's identity cannot be applied */
    execArgv(pod: Pod, container: Container, pid: number, command: string[]): string[];
    /** the environment of the container's PID 1, if it can be read */
    environ(pid: number): Record<string, string> | undefined;
  };
}

/** PodExecOptions / PodAttachOptions from the query (booleans as upstream's query decoding: "true" or "1"). */
export interface StreamOptions {
  command: string[];
  container: string | null;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function parseStreamOptions(q: URLSearchParams): StreamOptions {
  const flag = (name: string) => {
    const v = q.get(name);
    return v === "true" || v === "1";
  };
  // With a terminal stderr is stdout (the kubelet drops stderr when tty is set).
  return { command: q.getAll("command"), container: q.get("container"), stdin: flag("stdin"), stdout: flag("stdout"), stderr: flag("stderr") && !flag("tty"), tty: flag("tty") };
}

/** Upstream's validation of PodExecOptions/PodAttachOptions (pkg/registry/core/pod/rest/subresources.go, validation). */
export function validateStreamOptions(kind: "exec" | "attach", o: StreamOptions): void {
  if (!o.stdin && !o.stdout && !o.stderr) throw new ApiError("BadRequest", "you must specify at least 1 of stdin, stdout, stderr");
  if (kind === "exec" && o.command.length === 0) throw new ApiError("BadRequest", "you must specify at least one command for the container");
}

/** The running container and its PID 1, or the error upstream gives (a completed pod as kubectl says it; a container not running as the kubelet says it). */
export function runningContainer(pod: Stored<Pod>, container: Container): number {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") throw new ApiError("BadRequest", `cannot exec into a container in a completed pod; current phase is ${phase}`);
  const status = (pod.status?.containerStatuses ?? []).find((s) => s.name === container.name);
  const pid = /^kemu:\/\/(\d+)$/.exec(status?.containerID ?? "")?.[1];
  if (!status?.state?.running || !pid) throw new ApiError("BadRequest", `container not found (${JSON.stringify(container.name)})`);
  return Number(pid);
}

export async function servePodStream(deps: PodStreamDeps, kind: "exec" | "attach", namespace: string, name: string, q: URLSearchParams, req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const pod = deps.api.get(PODS, namespace, name) as Stored<Pod>;
  const options = parseStreamOptions(q);
  validateStreamOptions(kind, options);
  const container = pickContainer(pod, options.container);
  const pid = runningContainer(pod, container);
  // Every refusal about the request comes before the one about the transport:
  // kubectl prints the answer to its second (SPDY) attempt.
  const websocket = (): Promise<ChannelTransport> => {
    // SPDY/3.1: kubectl's fallback, and older clients' only way (exec-spdy.ts).
    if (isSpdyUpgrade(req)) return acceptSpdyExec(req, socket, head, options);
    if (!isWebSocketUpgrade(req)) throw new ApiError("BadRequest", `unable to upgrade: Upgrade must be SPDY/3.1 or websocket, not ${JSON.stringify(req.headers.upgrade ?? "")}`);
    negotiate(req);
    return acceptWebSocket(req, socket, head);
  };
  if (kind === "exec") {
    // The identity is checked before the upgrade, so that a refusal is an HTTP answer.
    deps.runtime.execArgv(pod, container, pid, options.command);
    const enter = (command: string[]) => deps.runtime.execArgv(pod, container, pid, command);
    await runSession(await websocket(), startExec({ ...options, enter, env: deps.runtime.environ(pid) }));
    return;
  }
  // attach: kemu starts containers with stdin closed and their output going to the log file.
  if (options.stdin || options.tty) {
    throw new ApiError("BadRequest", `kemu cannot attach to the ${options.tty ? "terminal" : "stdin"} of container ${container.name} in pod ${name}: kemu starts containers with stdin closed and no terminal (spec.containers[].stdin and tty are not supported); attach without -i/-t follows its output`);
  }
  const file = deps.currentLogFile(pod, container.name);
  if (!file) throw new ApiError("BadRequest", `container not found (${JSON.stringify(container.name)})`);
  await attachOutput(deps, await websocket(), pod, container.name, file);
}

/** Streams what the container writes from now on, until it stops (its run's log file is no longer the current one) or the pod goes. */
function attachOutput(deps: PodStreamDeps, transport: ChannelTransport, pod: Stored<Pod>, container: string, file: string): Promise<void> {
  const stillRunning = () => {
    const now = deps.api.tryGet(PODS, pod.metadata.namespace, pod.metadata.name) as Stored<Pod> | undefined;
    return !!now && now.metadata.uid === pod.metadata.uid && deps.currentLogFile(now, container) === file;
  };
  const follower = followFile(file, { fromEnd: true, stillThere: stillRunning });
  return runSession(transport, { stdout: follower.output, kill: () => follower.stop(), done: follower.done.then(() => successStatus()) });
}

/** The podUpgrade route of the REST server for exec and attach; other subresources are refused (404). */
export function podStreamRoute(deps: PodStreamDeps) {
  return async (subresource: string, namespace: string, name: string, q: URLSearchParams, req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    try {
      if (subresource !== "exec" && subresource !== "attach") throw new ApiError("NotFound", `the server could not find the requested resource (pods/${subresource})`);
      await servePodStream(deps, subresource, namespace, name, q, req, socket, head);
    } catch (err) {
      refuseUpgrade(socket, err);
    }
  };
}
