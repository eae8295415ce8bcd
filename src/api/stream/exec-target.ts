// What running a command inside a pod's container takes, shared by `kemu
// exec` (src/cluster.ts) and the API's exec subresource: the container's
// namespaces (entered through its PID 1), its identity and workingDir as
// kubectl exec gets them, and its environment. The environment is read from
// the container's PID 1 (/proc/PID/environ): what the kubelet started it
// with, as a runtime's exec inherits the container's process spec env.
import { readFileSync } from "node:fs";
import { enterArgv, hostAccounts } from "../../agent/kubelet/runtime.js";
import { containerIdentity, identityArgs } from "../../agent/kubelet/security-context.js";
import type { Accounts } from "../../agent/kubelet/security-context.js";
import { ApiError } from "../errors.js";
import type { Container, Pod } from "../types.js";

/**
 * The container a pods/log, exec or attach request means, as kube-apiserver
 * picks it (pod strategy's streamLocation): the named one, else the only one.
 */
export function pickContainer(pod: Pod, requested: string | null | undefined): Container {
  const containers = pod.spec.containers;
  const name = pod.metadata?.name ?? "";
  if (requested) {
    const found = containers.find((c) => c.name === requested);
    if (!found) throw new ApiError("BadRequest", `container ${requested} is not valid for pod ${name}`);
    return found;
  }
  if (containers.length === 1) return containers[0]!;
  throw new ApiError("BadRequest", `a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(" ")}]`);
}

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
