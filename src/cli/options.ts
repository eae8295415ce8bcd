// Options shared by several commands.
import { Option } from "commander";
export { parseDuration } from "../duration.js";

export const nameOption = () => new Option("--name <cluster>", "cluster name (default: $KEMU_CLUSTER, else the only running cluster, else kemu)");
export const namespaceOption = () => new Option("-n, --namespace <ns>", "namespace").default("default");

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
