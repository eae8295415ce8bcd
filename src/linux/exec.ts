// The one way kemu runs privileged tools. Failures carry the command line,
// what was fed on stdin and what the tool said, so an error is actionable.

import { spawn, type StdioOptions } from "node:child_process";

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly input: string | undefined,
    readonly stderr: string,
    readonly exitCode: number | undefined,
  ) {
    super(
      `${argv.join(" ")} failed (exit ${exitCode ?? "?"}): ${stderr.trim() || "no output"}` +
        (input ? `\n--- stdin ---\n${input.length > 4000 ? `${input.slice(0, 4000)}\n...` : input}` : ""),
    );
    this.name = "CommandError";
  }
}

export interface RunOptions {
  input?: string;
  /** exit codes that are not failures (e.g. 1 for "nothing to delete") */
  okCodes?: number[];
  timeoutMs?: number;
}

export async function run(file: string, args: string[], options: RunOptions = {}): Promise<string> {
  // Loaded on first use: the CLI's commands that run no tool (get, apply…) start faster without it.
  const { execa } = await import("execa");
  const result = await execa(file, args, {
    input: options.input,
    reject: false,
    timeout: options.timeoutMs ?? 30_000,
    stripFinalNewline: false,
  });
  const code = result.exitCode;
  if (code !== 0 && !(code !== undefined && options.okCodes?.includes(code))) {
    throw new CommandError([file, ...args], options.input, String(result.stderr || result.stdout || result.message || ""), code);
  }
  return String(result.stdout);
}

/** `ip -batch -` (optionally inside a named netns): many changes in one exec. */
export async function ipBatch(lines: string[], netns?: string, force = false): Promise<void> {
  if (lines.length === 0) return;
  const args = [...(netns ? ["-n", netns] : []), ...(force ? ["-force"] : []), "-batch", "-"];
  await run("ip", args, { input: `${lines.join("\n")}\n` });
}

/** What a command printed and how it ended; never throws for a non-zero exit. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs argv and captures its output, whatever its exit code (`kemu exec`,
 * traces and flows judge the code themselves). A timeout kills it (exit 137).
 */
export function runCaptured(argv: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"];
    const child = spawn(argv[0]!, argv.slice(1), { stdio, ...(options.env ? { env: options.env } : {}) });
    const out: Buffer[] = [];
    const errs: Buffer[] = [];
    child.stdout!.on("data", (c: Buffer) => out.push(c));
    child.stderr!.on("data", (c: Buffer) => errs.push(c));
    if (options.input !== undefined) child.stdin!.end(options.input);
    const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode: code ?? 128 + (signal === "SIGKILL" ? 9 : 15), stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(errs).toString("utf8") });
    });
  });
}
