// Options shared by several commands.
import { Option } from "commander";
import { KemuError } from "../cluster.js";

export const nameOption = () => new Option("--name <cluster>", "cluster name (default: $KEMU_CLUSTER, else the only running cluster, else kemu)");
export const namespaceOption = () => new Option("-n, --namespace <ns>", "namespace").default("default");

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new KemuError(`${option}: invalid duration ${JSON.stringify(text)}: use e.g. 30s, 2m, 500ms`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}
