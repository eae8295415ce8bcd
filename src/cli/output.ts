// How the CLI reports: errors on stderr with a non-zero exit code, one line
// (or a short block) that says what went wrong, never a stack trace unless
// KEMU_DEBUG=1 asks for one; progress only when a person is watching.
import { ApiError } from "../api/errors.js";
import { ApplyError } from "../api/apply.js";
import { KemuError } from "../cluster.js";
import { ManifestError } from "../api/manifests.js";
import { CommandError } from "../linux/exec.js";

/** The text `fail` prints for an error (without the exit). */
export function describeFailure(err: unknown, debug = process.env.KEMU_DEBUG === "1"): string {
  if (err instanceof ApplyError) return `error: nothing was applied:\n${err.problems.map((p) => `  ${p}`).join("\n")}\n`;
  if (err instanceof ApiError) return `Error from server (${err.reason}): ${err.message}\n`;
  const stack = debug && err instanceof Error && err.stack ? `\n${err.stack}` : "";
  if (err instanceof KemuError || err instanceof ManifestError || err instanceof CommandError) return `error: ${err.message}${stack}\n`;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof Error && typeof code === "string") {
    // A system error (EACCES, ENOSPC…) or a connection error: its message says it all.
    const hint = code === "EACCES" || code === "EPERM" ? ": run kemu as root (sudo)" : "";
    return `error: ${err.message}${hint && !err.message.includes("sudo") ? hint : ""}${stack}\n`;
  }
  if (err instanceof Error) {
    // Not an error kemu expects: a bug. Say where to look without drowning the message.
    return `error: ${err.message}${stack || "\n(this looks like a bug in kemu: run again with KEMU_DEBUG=1 to see where it happened)"}\n`;
  }
  return `error: ${String(err)}\n`;
}

export function fail(err: unknown): never {
  process.stderr.write(describeFailure(err));
  process.exit(1);
}

export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${message}`);
  else process.stderr.write(`${message}\n`);
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
}
