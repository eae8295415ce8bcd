// How the CLI reports: errors on stderr with a non-zero exit code, progress
// only when a person is watching.
import { ApiError } from "../api/errors.js";
import { ApplyError } from "../api/apply.js";
import { KemuError } from "../cluster.js";
import { ManifestError } from "../api/manifests.js";
import { CommandError } from "../linux/exec.js";

export function fail(err: unknown): never {
  if (err instanceof ApplyError) {
    process.stderr.write(`error: nothing was applied:\n${err.problems.map((p) => `  ${p}`).join("\n")}\n`);
  } else if (err instanceof ApiError) {
    process.stderr.write(`Error from server (${err.reason}): ${err.message}\n`);
  } else if (err instanceof KemuError || err instanceof ManifestError || err instanceof CommandError) {
    process.stderr.write(`error: ${err.message}\n`);
  } else {
    process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
}

export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${message}`);
  else process.stderr.write(`${message}\n`);
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
}
