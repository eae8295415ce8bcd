// A command started for an exec session. With a terminal (tty=true) the
// command runs under util-linux `script`, which gives it a pseudo-terminal
// (kemu has no native module to open one); window sizes are set with `stty`
// on that terminal. Without one, plain pipes. Spawning with a terminal waits
// briefly for kubectl's first resize message, so the command starts at the
// client's window size.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { exitCodeStatus, internalErrorStatus, successStatus, type ExecStatus, type TerminalSize } from "./channels.js";
import type { SessionProcess } from "./session.js";

export interface ExecSpec {
  /** The host argv that enters the container (exec-target.ts). */
  argv: string[];
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

/** `script`'s argv for running argv on a terminal of the given size (pure, for tests). */
export function terminalArgv(argv: string[], size?: TerminalSize): string[] {
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
    const argv = spec.tty ? terminalArgv(spec.argv, size) : spec.argv;
    const c = spawn(argv[0]!, argv.slice(1), {
      stdio: [stdin ? "pipe" : "ignore", stdout ? "pipe" : "ignore", stderr ? "pipe" : "ignore"],
      ...(spec.env ? { env: spec.env } : {}),
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

/** Sets the window size of the terminal `script` (scriptPid) gave its command: stty on the child's stdin, through /proc. */
function resizeTerminal(scriptPid: number, size: TerminalSize): void {
  let childPid: string | undefined;
  try {
    childPid = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, "utf8").trim().split(/\s+/)[0];
  } catch {
    return;
  }
  if (!childPid) return;
  const stty = spawn("stty", ["-F", `/proc/${childPid}/fd/0`, "rows", String(size.height), "cols", String(size.width)], { stdio: "ignore" });
  stty.on("error", () => undefined);
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return (signal && numbers[signal]) ?? 15;
}
