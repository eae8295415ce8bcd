// kemu get, as people type kubectl get: KIND, KIND NAME…, KIND/NAME…,
// kind1,kind2; -o wide|json|yaml|name|jsonpath=…|custom-columns=…; -w;
// --show-labels, -L, -l, -A, --field-selector, --no-headers.
import type { Command } from "commander";
import { stringify } from "yaml";
import { Cluster, KemuError } from "../../cluster.js";
import type { ResourceInfo } from "../../api/resources.js";
import type { KubeObject, Stored } from "../../api/types.js";
import { columnWidths, formatTable, renderTable, tableRows, toKubectlList, type TableOptions } from "../printers.js";
import { collect, nameOption } from "../options.js";
import { parseGetOutput, parseGetTargets, type GetOutput } from "../get-args.js";
import { executeJsonPath } from "../jsonpath.js";
import { renderCustomColumns } from "../custom-columns.js";
import { requireResource } from "./objects.js";

interface GetOptions {
  namespace: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: string;
  watch?: boolean;
  showLabels?: boolean;
  labelColumns: string[];
  headers: boolean;
  name?: string;
}

/** kubectl's name for a kind in KIND/NAME output: "pod", "deployment.apps". */
export function qualifiedKind(resource: ResourceInfo): string {
  return resource.group ? `${resource.singular}.${resource.group}` : resource.singular;
}

/** What one -o format prints for some objects (not the table: that needs the kind). */
function printObjects(output: Exclude<GetOutput, { format: "table" }>, resource: ResourceInfo | undefined, items: KubeObject[], single: boolean, noHeaders: boolean): string {
  const data = single ? items[0] : toKubectlList(items, "");
  switch (output.format) {
    case "json":
      return `${JSON.stringify(data, null, 4)}\n`;
    case "yaml":
      return stringify(data);
    case "name":
      return items.map((o) => `${resource ? qualifiedKind(resource) : o.kind?.toLowerCase()}/${o.metadata?.name}\n`).join("");
    case "jsonpath":
      return executeJsonPath(output.template, data);
    case "custom-columns":
      return renderCustomColumns(output.columns, items, { noHeaders });
  }
}

export function registerGetCommand(program: Command): void {
  program
    .command("get")
    .description("list objects like kubectl get: KIND [NAME…], KIND/NAME…, or kind1,kind2")
    .argument("<kind>", "a kind (pods, svc, deploy…), kinds separated by commas, or KIND/NAME")
    .argument("[names...]", "object names, or more KIND/NAME")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-A, --all-namespaces", "list across all namespaces")
    .option("-l, --selector <selector>", "label selector, e.g. app=web,tier!=db")
    .option("--field-selector <selector>", "field selector, e.g. spec.nodeName=node-1")
    .option("-o, --output <format>", "wide, yaml, json, name, jsonpath=TEMPLATE or custom-columns=SPEC")
    .option("-w, --watch", "after the list, print changes as they happen")
    .option("--show-labels", "a LABELS column last")
    .option("-L, --label-columns <key>", "a column with this label's value (repeatable, or comma-separated)", collect, [])
    .option("--no-headers", "leave out the header line")
    .addOption(nameOption())
    .action(async (first: string, rest: string[], opts: GetOptions) => {
      const output = parseGetOutput(opts.output);
      const targets = parseGetTargets([first, ...rest]).map((t) => ({ ...t, resource: requireResource(t.kind) }));
      if (opts.watch && targets.length > 1) throw new KemuError("-w: watch is only supported on one kind at a time (kubectl says the same)");
      const labelColumns = opts.labelColumns.flatMap((l) => l.split(",")).filter(Boolean);
      const cluster = Cluster.connect(opts.name);
      const found: { resource: ResourceInfo; items: Stored<KubeObject>[]; namespace?: string; resourceVersion?: string }[] = [];
      for (const t of targets) {
        const namespace = t.resource.namespaced && !opts.allNamespaces ? opts.namespace : undefined;
        if (t.names.length) {
          const items = await Promise.all(t.names.map((n) => cluster.api.get(t.resource, namespace ?? opts.namespace, n)));
          found.push({ resource: t.resource, items, namespace });
        } else {
          const list = await cluster.api.list(t.resource, { namespace, labelSelector: opts.selector, fieldSelector: opts.fieldSelector });
          found.push({ resource: t.resource, items: list.items, namespace, resourceVersion: list.metadata.resourceVersion });
        }
      }
      const all = found.flatMap((f) => f.items);
      const single = targets.length === 1 && targets[0]!.names.length === 1;
      const tableOptions = (resource: ResourceInfo): TableOptions => ({
        wide: output.format === "table" && output.wide,
        withNamespace: Boolean(opts.allNamespaces && resource.namespaced),
        now: Date.now(),
        labelColumns,
        showLabels: opts.showLabels,
        noHeaders: !opts.headers,
        kindPrefix: targets.length > 1 ? qualifiedKind(resource) : undefined,
      });

      if (output.format !== "table") {
        if (all.length > 0 || output.format === "json" || output.format === "yaml" || output.format === "jsonpath") process.stdout.write(printObjects(output, targets.length === 1 ? targets[0]!.resource : undefined, all, single, !opts.headers));
      } else if (all.length === 0) {
        const ns = found[0]?.namespace;
        process.stderr.write(ns && !opts.allNamespaces ? `No resources found in ${ns} namespace.\n` : "No resources found\n");
      } else {
        // One table per kind, a blank line between them, as kubectl prints several kinds.
        process.stdout.write(found.filter((f) => f.items.length > 0).map((f) => renderTable(f.resource.plural, f.items, tableOptions(f.resource))).join("\n"));
      }
      if (!opts.watch) {
        cluster.api.close();
        return;
      }
      await watchAndPrint(cluster, found[0]!, targets[0]!.names, opts, output, tableOptions(found[0]!.resource));
    });
}

/**
 * -w: watch from the list's resourceVersion and print each object as it
 * changes (a row without the header, in the widths printed so far, as
 * kubectl's table printer does for a watch). Runs until interrupted.
 */
async function watchAndPrint(
  cluster: Cluster,
  listed: { resource: ResourceInfo; items: Stored<KubeObject>[]; namespace?: string; resourceVersion?: string },
  names: string[],
  opts: GetOptions,
  output: GetOutput,
  tableOptions: TableOptions,
): Promise<void> {
  const { resource } = listed;
  const shown = tableRows(resource.plural, listed.items, tableOptions);
  let widths = columnWidths(listed.items.length && !tableOptions.noHeaders ? [shown.header, ...shown.rows] : shown.rows);
  let headerPrinted = listed.items.length > 0 && !tableOptions.noHeaders;
  const fieldSelector = [opts.fieldSelector, names.length === 1 ? `metadata.name=${names[0]}` : undefined].filter(Boolean).join(",") || undefined;
  await new Promise<void>((resolve, reject) => {
    cluster.api.watch(
      resource,
      { namespace: listed.namespace, labelSelector: opts.selector, fieldSelector, resourceVersion: listed.resourceVersion ?? (listed.items[0]?.metadata.resourceVersion || undefined) },
      (event) => {
        if (event.type !== "ADDED" && event.type !== "MODIFIED" && event.type !== "DELETED") return;
        const obj = event.object;
        if (names.length > 1 && !names.includes(obj.metadata.name)) return;
        if (output.format !== "table") {
          process.stdout.write(printObjects(output, resource, [obj], true, true));
          return;
        }
        const { header, rows } = tableRows(resource.plural, [obj], { ...tableOptions, now: Date.now() });
        const lines = headerPrinted || tableOptions.noHeaders ? rows : [header, ...rows];
        headerPrinted = true;
        widths = columnWidths(lines, widths);
        process.stdout.write(formatTable(lines, widths));
      },
      (err) => (err ? reject(err) : resolve()),
    );
  });
  cluster.api.close();
}
