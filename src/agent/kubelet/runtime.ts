// Starting one container: kemu-sandbox enters the pod's network namespace,
// gives the container its own UTS (hostname), mount (resolv.conf, hosts)
// and PID namespaces, then runs the program. stdout/stderr go straight to
// the container's log file.
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { builtinPath, PACKAGE_ROOT } from "../../paths.js";
import { netnsPath } from "../../linux/names.js";

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
}

export interface Launched {
  child: ChildProcess;
  logPath: string;
  pidfile: string;
}

export function containerLogPath(podDir: string, container: string, attempt: number): string {
  return join(podDir, "logs", container, `${attempt}.log`);
}

export function launchContainer(spec: LaunchSpec): Launched {
  const logPath = containerLogPath(spec.podDir, spec.container, spec.attempt);
  mkdirSync(join(spec.podDir, "logs", spec.container), { recursive: true });
  const pidfile = join(spec.podDir, `${spec.container}.pid`);
  // A stale pidfile from the previous start must not be mistaken for this one.
  rmSync(pidfile, { force: true });
  const fd = openSync(logPath, "a");
  try {
    const argv = [
      "--netns", netnsPath(spec.netns),
      "--hostname", spec.hostname,
      "--bind", `${join(spec.podDir, "resolv.conf")}:/etc/resolv.conf`,
      "--bind", `${join(spec.podDir, "hosts")}:/etc/hosts`,
      // Containers run host programs on the host's file system; /tmp at least is their own
      // (with kemu itself kept visible when it is installed under /tmp, e.g. a CI checkout).
      "--tmpfs", "/tmp",
      ...(PACKAGE_ROOT.startsWith("/tmp/") ? ["--keep", PACKAGE_ROOT] : []),
      "--pid",
      "--pidfile", pidfile,
      ...(spec.cwd ? ["--cwd", spec.cwd] : []),
      "--", spec.file, ...spec.args,
    ];
    const child = spawn(builtinPath("kemu-sandbox"), argv, { stdio: ["ignore", fd, fd], env: spec.env });
    return { child, logPath, pidfile };
  } finally {
    closeSync(fd);
  }
}

/** The container's PID 1 as the host sees it (for nsenter), once the launcher wrote it. */
export function readContainerPid(pidfile: string): number | undefined {
  try {
    const n = Number(readFileSync(pidfile, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
