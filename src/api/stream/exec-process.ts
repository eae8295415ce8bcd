// A command started for an exec session. With a terminal (tty=true) the
// command runs under util-linux `script` inside the container, which gives it
// a pseudo-terminal from the container's own devpts as a runtime's console
// (kemu has no native module to open one), in a session of its own (job
// control works); window sizes are set with `stty` on that terminal, and
// TERM=xterm is set as containerd's CRI exec sets it. Without a terminal,
// plain pipes. Spawning with a terminal waits briefly for kubectl's first
// resize message, so the command starts at the client's window size.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { PassThrough } from "node:stream";
import { exitCodeStatus, internalErrorStatus, successStatus, type ExecStatus, type TerminalSize } from "./channels.js";
import type { SessionProcess } from "./session.js";

export interface ExecSpec {
  /** The host argv that runs a command in the container (PodStreamDeps.runtime). */
  enter(command: string[]): string[];
  /** The command as the client gave it, for the status message. */
  command: string[];
  env?: Record<string, string>;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** How long a terminal session waits for the client's window size before starting anyway. */
const FIRST_RESIZE_MS = 300;

/** A word quoted for sh: single quotes, with embedded ones closed and escaped. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command that runs argv on a new terminal of the given size (pure, for tests). */
export function terminalCommand(argv: string[], size?: TerminalSize): string[] {
  const sizing = size && size.width > 0 && size.height > 0 ? `stty rows ${size.height} cols ${size.width} 2>/dev/null; ` : "";
  // -q no banner, -f flush at once, -e the command's exit code, -c the command, /dev/null: no typescript file.
  return ["script", "-qfec", `${sizing}exec ${argv.map(shellQuote).join(" ")}`, "/dev/null"];
}

export function startExec(spec: ExecSpec): SessionProcess {
  const stdin = spec.stdin ? new PassThrough() : undefined;
  const stdout = spec.stdout || spec.tty ? new PassThrough() : undefined;
  const stderr = spec.stderr && !spec.tty ? new PassThrough() : undefined;
  let child: ChildProcess | undefined;
  let killed = false;
  let size: TerminalSize | undefined;
  let resolveDone!: (s: ExecStatus) => void;
  const done = new Promise<ExecStatus>((r) => (resolveDone = r));

  const start = () => {
    if (child || killed) return;
    const argv = spec.enter(spec.tty ? terminalCommand(spec.command, size) : spec.command);
    const env = spec.tty ? { ...(spec.env ?? process.env), TERM: "xterm" } : spec.env;
    const c = spawn(argv[0]!, argv.slice(1), {
      stdio: [stdin ? "pipe" : "ignore", stdout ? "pipe" : "ignore", stderr ? "pipe" : "ignore"],
      ...(env ? { env } : {}),
    });
    child = c;
    if (stdin) stdin.pipe(c.stdin!);
    c.stdin?.on("error", () => undefined);
    if (stdout) c.stdout!.pipe(stdout);
    if (stderr) c.stderr!.pipe(stderr);
    c.on("error", (err) => resolveDone(internalErrorStatus(`error executing command in container: ${err.message}`)));
    c.on("close", (code, signal) => {
      const rc = code ?? 128 + signalNumber(signal);
      resolveDone(rc === 0 ? successStatus() : exitCodeStatus(spec.command, rc));
    });
  };

  if (spec.tty) setTimeout(start, FIRST_RESIZE_MS).unref();
  else start();

  return {
    stdin,
    stdout,
    stderr,
    resize(next) {
      size = next;
      if (!child) return start();
      if (spec.tty && child.pid) resizeTerminal(child.pid, next);
    },
    kill() {
      killed = true;
      child?.kill("SIGKILL");
      if (!child) resolveDone(internalErrorStatus("the client went away"));
    },
    done,
  };
}

/** Sets the window size of the terminal under `pid` (the launcher): stty on the stdin of the first descendant whose stdin is a terminal. */
function resizeTerminal(pid: number, size: TerminalSize): void {
  const onTerminal = descendants(pid).find((p) => {
    try {
      return readlinkSync(`/proc/${p}/fd/0`).startsWith("/dev/pts/");
    } catch {
      return false;
    }
  });
  if (onTerminal === undefined) return;
  const stty = spawn("stty", ["-F", `/proc/${onTerminal}/fd/0`, "rows", String(size.height), "cols", String(size.width)], { stdio: "ignore" });
  stty.on("error", () => undefined);
}

/** A process's descendants, nearest first (launcher → script → the command). */
function descendants(pid: number, depth = 4): number[] {
  if (depth === 0) return [];
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return [...children, ...children.flatMap((c) => descendants(c, depth - 1))];
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return (signal && numbers[signal]) ?? 15;
}
