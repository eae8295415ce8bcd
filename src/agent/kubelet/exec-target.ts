// What running a command inside a pod's container takes, shared by `kemu
// exec` (src/cluster.ts) and the API's exec subresource (the daemon hands it
// to src/api/stream/pod-streams.ts): the container's namespaces (entered
// through its PID 1), its identity and workingDir as kubectl exec gets them,
// and its environment. The environment is read from the container's PID 1
// (/proc/PID/environ): what the kubelet started it with, as a runtime's exec
// inherits the container's process spec env.
import { readFileSync } from "node:fs";
import { enterArgv, hostAccounts } from "./runtime.js";
import { containerIdentity, identityArgs, type Accounts } from "./security-context.js";
import type { Container, Pod } from "../../api/types.js";

/** The host argv that runs `command` in the container whose PID 1 is `pid`; throws when the pod's identity cannot be applied. */
export function containerExecArgv(pod: Pod, container: Container, pid: number, command: string[], accounts: Accounts = hostAccounts()): string[] {
  return enterArgv(pid, identityArgs(containerIdentity(pod, container, accounts)), command, container.workingDir);
}

/** A process environment as /proc/PID/environ holds it (NUL-separated NAME=value). Entries without "=" are dropped. */
export function parseEnviron(raw: Buffer | string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of raw.toString().split("\0")) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** The environment of the container's PID 1; undefined when it cannot be read (the process is gone, not root). */
export function containerEnviron(pid: number): Record<string, string> | undefined {
  try {
    return parseEnviron(readFileSync(`/proc/${pid}/environ`));
  } catch {
    return undefined;
  }
}
