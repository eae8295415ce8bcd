// Container lifecycle hooks (pkg/kubelet/lifecycle/handlers.go): exec,
// httpGet and sleep handlers, and preStop as the kubelet runs it before
// stopping a container. A failing hook is logged and termination goes on;
// the time the hook took counts against the grace period (the caller
// subtracts it, see graceAfterPreStop).
import type { ILifecycleHandler } from "kubernetes-models/v1/LifecycleHandler";
import { enterRunner, httpGet, prepareHttpGet, type CommandRunner, type ProbeTarget } from "./probe.js";

export type LifecycleHandler = ILifecycleHandler;

/** Upstream gives a container at least 2 s between SIGTERM and SIGKILL after its preStop hook. */
export const MIN_GRACE_SECONDS = 2;

export interface HookResult {
  /** The hook ran to completion without error. */
  ok: boolean;
  /** The time limit passed first; the hook was abandoned (an exec hook's process is killed). */
  timedOut: boolean;
  elapsedMs: number;
  /** Upstream's message for a failed hook; empty when ok. */
  message: string;
}

export interface HookOptions {
  /** Command runner for exec hooks (default: enter the container with its identity). */
  runCommand?: CommandRunner;
  /** Where failures are reported (default console.error). */
  log?: (message: string) => void;
  /** For messages: the container's name and the pod as "namespace/name". */
  container?: string;
  pod?: string;
  /** Clock in ms (default Date.now). */
  now?: () => number;
}

/**
 * Runs one lifecycle handler against the container, for at most timeoutMs.
 * Never throws. Exec: the command runs in the container (no `$(VAR)`
 * expansion, as upstream), a non-zero exit is an error. httpGet: the request
 * is built as for probes (User-Agent `kube-lifecycle/<version>`); only a
 * failed request is an error, the status code is not looked at, and an HTTPS
 * request answered in plain HTTP is retried as HTTP. sleep: waits
 * `sleep.seconds`. Anything else (tcpSocket, nothing) is an invalid handler.
 */
export async function runLifecycleHandler(handler: LifecycleHandler, target: ProbeTarget, timeoutMs: number, options: HookOptions = {}): Promise<HookResult> {
  const now = options.now ?? Date.now;
  const start = now();
  const container = JSON.stringify(options.container ?? "");
  const pod = JSON.stringify(options.pod ?? "");
  const done = (ok: boolean, timedOut: boolean, message: string): HookResult => ({ ok, timedOut, elapsedMs: now() - start, message });

  if (handler.exec) {
    const command = handler.exec.command ?? [];
    const shown = `[${command.join(" ")}]`;
    const r = await (options.runCommand ?? enterRunner)(command, target, timeoutMs);
    if (r.timedOut) return done(false, true, `Exec lifecycle hook (${shown}) for Container ${container} in Pod ${pod} did not complete within ${timeoutMs}ms`);
    if (r.spawnError !== undefined) return done(false, false, `Exec lifecycle hook (${shown}) for Container ${container} in Pod ${pod} failed - error: ${r.spawnError}, message: ""`);
    if (r.exitCode !== 0) {
      const code = r.exitCode ?? 128 + signalNumber(r.signal ?? null);
      const err = `command '${command.join(" ")}' exited with ${code}: ${r.output}`;
      return done(false, false, `Exec lifecycle hook (${shown}) for Container ${container} in Pod ${pod} failed - error: ${err}, message: ${JSON.stringify(r.output)}`);
    }
    return done(true, false, "");
  }

  if (handler.httpGet) {
    const path = handler.httpGet.path ?? "";
    const fail = (err: string, timedOut = false) => done(false, timedOut, `HTTP lifecycle hook (${path}) for Container ${container} in Pod ${pod} failed - error: ${err}`);
    let request;
    try {
      request = prepareHttpGet(handler.httpGet, target, "lifecycle");
    } catch (err) {
      return fail((err as Error).message);
    }
    const deadline = start + timeoutMs;
    let o = await httpGet(request, timeoutMs);
    if (o.error !== undefined && request.url.protocol === "https:" && /wrong version number|EPROTO|packet length too long/i.test(o.error)) {
      // Upstream: "HTTPS request to lifecycle hook got HTTP response, retrying with HTTP".
      const url = new URL(request.url.href);
      url.protocol = "http:";
      const plain = { ...request, url, headers: request.headers.filter(([k]) => k !== "Authorization") };
      o = await httpGet(plain, Math.max(1, deadline - now()));
    }
    if (o.error !== undefined) return fail(o.error, o.timedOut === true);
    return done(true, false, "");
  }

  if (handler.sleep) {
    const ms = Math.max(0, handler.sleep.seconds) * 1000;
    const timedOut = ms > timeoutMs;
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, timeoutMs)));
    if (timedOut) return done(false, true, `Sleep lifecycle hook (${handler.sleep.seconds}) for Container ${container} in Pod ${pod} did not complete within ${timeoutMs}ms`);
    return done(true, false, "");
  }

  const what = handler.tcpSocket ? "tcpSocket is not supported as a lifecycle handler" : "no action given";
  return done(false, false, `Cannot run handler: invalid handler: ${what}`);
}

/**
 * The preStop hook as the kubelet runs it when stopping a container: at
 * most timeoutMs (the grace period); a failure or timeout is logged and the
 * caller goes on terminating. Never throws.
 */
export async function runPreStop(handler: LifecycleHandler, target: ProbeTarget, timeoutMs: number, options: HookOptions = {}): Promise<HookResult> {
  const log = options.log ?? ((m: string) => console.error(m));
  const result = await runLifecycleHandler(handler, target, timeoutMs, options);
  const who = `container ${options.container ?? "?"} of pod ${options.pod ?? "?"}`;
  if (result.timedOut) log(`kubelet: PreStop hook not completed in grace period for ${who}: ${result.message}`);
  else if (!result.ok) log(`kubelet: PreStop hook failed for ${who}: ${result.message}`);
  return result;
}

/**
 * The grace period left for SIGTERM → SIGKILL after a preStop hook:
 * upstream subtracts the hook's whole seconds and gives at least 2 s.
 */
export function graceAfterPreStop(graceSeconds: number, hookElapsedMs: number): number {
  return Math.max(MIN_GRACE_SECONDS, graceSeconds - Math.trunc(hookElapsedMs / 1000));
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) || 0;
}
