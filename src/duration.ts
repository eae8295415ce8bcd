// Durations as people write them on a command line or in options: 30s, 2m, 500ms.
import { KemuError } from "./errors.js";

/** Milliseconds; a bare number is seconds. `option` names the flag or field in the error. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new KemuError(`${option}: invalid duration ${JSON.stringify(text)}: use e.g. 30s, 2m, 500ms`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}
