// What `kemu get` is asked for, read as kubectl reads it (cli-runtime
// resource.Builder ResourceTypeOrNameArgs): "pods", "pods web db",
// "pods,services", "pod/web svc/web", and the -o format.
// Pure: no cluster, no I/O.
import { KemuError } from "../cluster.js";
import { parseJsonPath, type JsonPathTemplate } from "./jsonpath.js";
import { parseCustomColumns, type CustomColumn } from "./custom-columns.js";

/** One kind and the names asked for (none: all of them). */
export interface GetTarget {
  kind: string;
  names: string[];
}

/**
 * The targets of `get` in the order given. "KIND/NAME" arguments each name
 * one object (and no other form may be mixed in); otherwise the first
 * argument is one kind or a comma-separated list, and the names that follow
 * apply to each kind.
 */
export function parseGetTargets(args: string[]): GetTarget[] {
  if (args.length === 0) throw new KemuError("get: give a kind, e.g. kemu get pods, or KIND/NAME");
  if (args.some((a) => a.includes("/"))) {
    const targets: GetTarget[] = [];
    for (const arg of args) {
      const [kind, name, ...rest] = arg.split("/");
      if (!kind || !name || rest.length > 0) {
        throw new KemuError(
          arg.includes("/")
            ? `arguments in resource/name form must have a single resource and name, got ${JSON.stringify(arg)}`
            : `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kemu get resource/<resource_name>' instead of 'kemu get resource resource/<resource_name>'): ${JSON.stringify(arg)}`,
        );
      }
      const last = targets[targets.length - 1];
      if (last && last.kind === kind) last.names.push(name);
      else targets.push({ kind, names: [name] });
    }
    return targets;
  }
  const [kinds, ...names] = args as [string, ...string[]];
  const list = kinds.split(",");
  if (list.some((k) => k === "")) throw new KemuError(`get: an empty kind in ${JSON.stringify(kinds)}: expected kinds separated by commas, e.g. pods,services`);
  return list.map((kind) => ({ kind, names: [...names] }));
}

/** How `get` prints. */
export type GetOutput =
  | { format: "table"; wide: boolean }
  | { format: "json" | "yaml" | "name" }
  | { format: "jsonpath"; template: JsonPathTemplate }
  | { format: "custom-columns"; columns: CustomColumn[] };

const FORMATS = "wide, yaml, json, name, jsonpath=TEMPLATE, custom-columns=SPEC";

/** The -o value: wide, json, yaml, name, jsonpath=…, jsonpath='…', custom-columns=…. */
export function parseGetOutput(value: string | undefined): GetOutput {
  if (value === undefined || value === "") return { format: "table", wide: false };
  if (value === "wide") return { format: "table", wide: true };
  if (value === "json" || value === "yaml" || value === "name") return { format: value };
  const eq = value.indexOf("=");
  const name = eq < 0 ? value : value.slice(0, eq);
  const arg = eq < 0 ? "" : value.slice(eq + 1);
  if (name === "jsonpath") {
    if (!arg) throw new KemuError("-o jsonpath: give a template, e.g. -o jsonpath='{.items[*].metadata.name}'");
    // kubectl drops one pair of quotes around the template (shells on other systems leave them).
    const template = /^'.*'$/s.test(arg) || /^".*"$/s.test(arg) ? arg.slice(1, -1) : arg;
    try {
      return { format: "jsonpath", template: parseJsonPath(template) };
    } catch (err) {
      throw new KemuError(`error parsing jsonpath ${template}, ${(err as Error).message}`);
    }
  }
  if (name === "custom-columns") {
    if (!arg) throw new KemuError("-o custom-columns: give the columns, e.g. -o custom-columns=NAME:.metadata.name,IP:.status.podIP");
    return { format: "custom-columns", columns: parseCustomColumns(arg) };
  }
  throw new KemuError(`-o: unsupported output format ${JSON.stringify(value)}: expected one of ${FORMATS}`);
}
