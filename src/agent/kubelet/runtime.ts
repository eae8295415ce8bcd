// Starting one container: kemu-sandbox enters the pod's network namespace,
// gives the container its own UTS (hostname), IPC, mount and PID namespaces,
// confines it (the host's tree read-only, /run, kemu's install directory and
// host secrets hidden, a minimal /dev, its own /tmp), binds the pod's
// resolv.conf, hosts and volumes, and runs the program with the container's
// identity (user, groups, capabilities, no_new_privs). stdout/stderr go
// straight to the container's log file.
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { builtinPath, PACKAGE_ROOT } from "../../paths.js";
import { netnsPath } from "../../linux/names.js";
import { identityArgs, parseAccounts, type Accounts, type ContainerIdentity } from "./security-context.js";
import type { VolumeMount } from "./volumes.js";

export interface LaunchSpec {
  podDir: string;
  netns: string;
  hostname: string;
  container: string;
  attempt: number;
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  identity: ContainerIdentity;
  /** Host paths the program itself needs, bound read-only at the same place (a built-in's files). */
  readOnlyPaths: string[];
  volumes: VolumeMount[];
  /** where the launcher writes how the program ended (read by an agent that adopts the container) */
  exitFile?: string;
}

export interface Launched {
  child: ChildProcess;
  logPath: string;
  pidfile: string;
}

export function containerLogPath(podDir: string, container: string, attempt: number): string {
  return join(podDir, "logs", container, `${attempt}.log`);
}

/** The launcher's arguments for one container (pure, for tests). */
export function launcherArgs(spec: LaunchSpec, pidfile: string): string[] {
  const id = spec.identity;
  const bind = (readOnly: boolean, source: string, target: string) => [readOnly ? "--ro-bind" : "--bind", `${source}:${target}`];
  return [
    "--netns", netnsPath(spec.netns),
    "--hostname", spec.hostname,
    "--pid",
    "--confine",
    "--hide", PACKAGE_ROOT,
    ...(id.readOnlyRootFilesystem ? ["--read-only"] : []),
    // Upstream runtimes leave /proc unmasked and /sys writable for privileged containers.
    ...(id.privileged ? ["--unmasked"] : []),
    ...identityArgs(id),
    ...spec.readOnlyPaths.flatMap((p) => bind(true, p, p)),
    ...bind(id.readOnlyRootFilesystem, join(spec.podDir, "resolv.conf"), "/etc/resolv.conf"),
    ...bind(id.readOnlyRootFilesystem, join(spec.podDir, "hosts"), "/etc/hosts"),
    ...spec.volumes.flatMap((v) => bind(v.readOnly, v.source, v.target)),
    "--pidfile", pidfile,
    ...(spec.exitFile ? ["--exitfile", spec.exitFile] : []),
    ...(spec.cwd ? ["--cwd", spec.cwd] : []),
    "--", spec.file, ...spec.args,
  ];
}

export function launchContainer(spec: LaunchSpec): Launched {
  const logPath = containerLogPath(spec.podDir, spec.container, spec.attempt);
  mkdirSync(join(spec.podDir, "logs", spec.container), { recursive: true });
  const pidfile = join(spec.podDir, `${spec.container}.pid`);
  // A stale pidfile from the previous start must not be mistaken for this one.
  rmSync(pidfile, { force: true });
  const fd = openSync(logPath, "a");
  try {
    const child = spawn(builtinPath("kemu-sandbox"), launcherArgs(spec, pidfile), { stdio: ["ignore", fd, fd], env: spec.env });
    return { child, logPath, pidfile };
  } finally {
    closeSync(fd);
  }
}

/** argv that runs a command inside a running container, with the container's identity (kubectl exec's view). */
export function enterArgv(containerPid: number, identity: string[], command: string[], cwd?: string): string[] {
  return [builtinPath("kemu-sandbox"), "--enter", String(containerPid), ...identity, ...(cwd ? ["--cwd", cwd] : []), "--", ...command];
}

/** The host's users and groups: kemu's "image" is the host, so runAsUser's primary group comes from here. */
export function hostAccounts(): Accounts {
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return "";
    }
  };
  return parseAccounts(read("/etc/passwd"), read("/etc/group"));
}

/** The container's PID 1 as the host sees it (for --enter), once the launcher wrote it. */
export function readContainerPid(pidfile: string): number | undefined {
  try {
    const n = Number(readFileSync(pidfile, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
