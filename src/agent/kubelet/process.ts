// A running container as the kubelet holds it: the kemu-sandbox launcher
// process, which forwards signals to the program and outlives the node
// agent. A container the agent started itself is its child; one that an
// earlier agent started (before a crash) is adopted by PID and watched by
// polling, with the program's exit status read from the launcher's exit
// file. Both look the same to the kubelet.
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { processStartTime, signalIfSame } from "../../linux/processes.js";

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ContainerProcess {
  readonly launcherPid: number | undefined;
  kill(signal: NodeJS.Signals): void;
  /** Resolves once when the launcher has ended. */
  readonly exited: Promise<ExitStatus>;
}

export function spawnedProcess(child: ChildProcess): ContainerProcess {
  const exited = new Promise<ExitStatus>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return {
    launcherPid: child.pid,
    kill: (signal) => void child.kill(signal),
    exited,
  };
}

/** `exit N` or `signal N`, as kemu-sandbox writes its exit file (pure). */
export function parseExitFile(text: string): ExitStatus | undefined {
  const m = /^(exit|signal) (\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[2]);
  return m[1] === "exit" ? { code: n, signal: null } : { code: null, signal: signalName(n) };
}

const SIGNALS: Record<number, NodeJS.Signals> = { 1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM" };

function signalName(n: number): NodeJS.Signals {
  return SIGNALS[n] ?? "SIGKILL";
}

export function readExitFile(path: string): ExitStatus | undefined {
  try {
    return parseExitFile(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * A launcher started by an earlier agent. Its end is noticed by polling;
 * the status comes from the exit file, or counts as killed (137) when the
 * launcher itself was killed before it could write one.
 */
export function adoptedProcess(launcherPid: number, startTime: number, exitFile: string, pollMs = 200): ContainerProcess {
  const exited = new Promise<ExitStatus>((resolve) => {
    const check = () => {
      if (processStartTime(launcherPid) === startTime) {
        setTimeout(check, pollMs).unref();
        return;
      }
      // The launcher replaces the file atomically just before it exits, so it is complete when present.
      resolve(readExitFile(exitFile) ?? { code: null, signal: "SIGKILL" });
    };
    check();
  });
  return {
    launcherPid,
    kill: (signal) => signalIfSame(launcherPid, startTime, signal),
    exited,
  };
}
