// Human-readable output for `kemu get`: the tables kubectl prints, laid out
// from the same Table code the API server answers kubectl with
// (src/api/table: one place for columns and cells).
//
// Everything here is pure (no I/O, no clock): the caller passes `now` so that
// output is reproducible in tests. The layout follows kubectl's table printer
// (cli-runtime printers/tableprinter.go): column names in upper case,
// priority-1 columns only with -o wide, a null cell as <none>, and its tab
// writer settings (minwidth 6, padding 3, pad char ' ').
import type { KubeObject, Node, Pod } from "../api/types.js";
import { podStatusReason, summarizePod } from "../api/podstatus.js";
import { resourceByName } from "../api/resources.js";
import { formatLabels, humanDuration } from "../api/table/cells.js";
import { printerFor, type Printer, type TableCell, type TableColumnDefinition } from "../api/table/index.js";
import { column } from "../api/table/types.js";

export { formatLabelSelector, formatLabels, humanDuration } from "../api/table/cells.js";

/** The STATUS column of `kubectl get pods` (kept here too for the CLI's callers). */
export { podStatusReason };

/** The READY column of `kubectl get pods`, e.g. "1/2" (sidecars count). */
export function podReadyCount(pod: Pod): string {
  const s = summarizePod(pod);
  return `${s.ready}/${s.total}`;
}

/** The RESTARTS column of `kubectl get pods`, e.g. "0" or "3 (2m ago)". */
export function podRestarts(pod: Pod, now: number): string {
  const s = summarizePod(pod);
  return s.restarts !== 0 && s.lastRestart !== undefined ? `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)` : String(s.restarts);
}

// ---------------------------------------------------------------------------
// kemu's own choices on top of the server's tables

/**
 * Deliberate deviation from kubectl for nodes: kubectl shows INTERNAL-IP only
 * with -o wide and never shows the pod CIDR. kemu is about networking, and its
 * users want each node's IP and pod CIDR at a glance, so both are default
 * columns of `kemu get nodes` (the API server's Table stays upstream's).
 */
function kemuNodePrinter(base: Printer): Printer {
  const internal = base.columns.findIndex((c) => c.name === "Internal-IP");
  const version = base.columns.findIndex((c) => c.name === "Version");
  const columns = [...base.columns];
  const [internalColumn] = columns.splice(internal, 1);
  columns.splice(version + 1, 0, { ...internalColumn!, priority: 0 }, column("Pod-CIDR", "string", "The node's pod address ranges."));
  return {
    columns,
    cells(obj, opts) {
      const cells = [...base.cells(obj, opts)];
      const [internalCell] = cells.splice(internal, 1);
      const node = obj as Node;
      const cidrs = node.spec?.podCIDRs?.length ? node.spec.podCIDRs.join(",") : node.spec?.podCIDR || "<none>";
      cells.splice(version + 1, 0, internalCell ?? "<none>", cidrs);
      return cells;
    },
  };
}

/** For an object kemu cannot name a served kind for: NAME and AGE, as kubectl prints a kind it knows nothing about. */
const unknownKindPrinter: Printer = {
  columns: [column("Name", "string", "", { format: "name" }), column("Age", "string", "")],
  cells(obj, { now }) {
    const t = obj.metadata?.creationTimestamp ? Date.parse(obj.metadata.creationTimestamp) : Number.NaN;
    return [obj.metadata?.name ?? "", Number.isNaN(t) ? "<unknown>" : humanDuration(now - t)];
  },
};

function cliPrinter(resource: string): Printer {
  const info = resourceByName(resource);
  if (!info) return unknownKindPrinter;
  const printer = printerFor(info);
  return info.group === "" && info.plural === "nodes" ? kemuNodePrinter(printer) : printer;
}

// ---------------------------------------------------------------------------
// Table layout

/** kubectl's tab writer: minimum cell width 6 (padding included), padding 3. */
const TAB_MIN_WIDTH = 6;
const TAB_PADDING = 3;

function textWidth(s: string): number {
  // Go's tabwriter counts runes (code points), not UTF-16 units.
  return Array.from(s).length;
}

/** The width of each column but the last: max(6, widest cell + 3), at least `min` (widths a watch printed before). */
export function columnWidths(rows: string[][], min: number[] = []): number[] {
  const widths = [...min];
  for (const row of rows) {
    for (let i = 0; i < row.length - 1; i++) {
      widths[i] = Math.max(widths[i] ?? TAB_MIN_WIDTH, textWidth(row[i]!) + TAB_PADDING);
    }
  }
  return widths;
}

/**
 * Lay out rows the way kubectl's tab writer does: every column but the last
 * is padded with spaces to max(6, widest cell + 3); the last column is not
 * padded. Each line, the last included, ends with "\n".
 */
export function formatTable(rows: string[][], widths: number[] = columnWidths(rows)): string {
  let out = "";
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const cell = row[i]!;
      out += i === row.length - 1 ? cell : cell + " ".repeat(Math.max(0, (widths[i] ?? TAB_MIN_WIDTH) - textWidth(cell)));
    }
    out += "\n";
  }
  return out;
}

/** A cell as kubectl prints it: null as <none>, other values in their plain text form. */
function cellText(cell: TableCell): string {
  return cell === null ? "<none>" : String(cell);
}

export interface TableOptions {
  /** -o wide: add kubectl's priority-1 columns. */
  wide: boolean;
  /** -A / --all-namespaces: a NAMESPACE column first. */
  withNamespace: boolean;
  /** Current time, ms since epoch, for the AGE column. */
  now: number;
  /** -L KEY: a column per label, headed by the key's last path segment in upper case. */
  labelColumns?: string[];
  /** --show-labels: a LABELS column last. */
  showLabels?: boolean;
  /** --no-headers. */
  noHeaders?: boolean;
  /** Names as KIND/NAME (kubectl does so when several kinds are printed), e.g. "pod" or "deployment.apps". */
  kindPrefix?: string;
}

/**
 * The text `kubectl get <resource>` prints for these objects, header
 * included, each line ending in "\n" (write it as is). "" when there are no
 * objects: the caller prints its own "No resources found ..." line.
 * `resource` is a plural, singular or short name ("pods", "pod", "po"),
 * optionally group-qualified ("deployments.apps"); a name kemu does not serve
 * gets NAME and AGE.
 */
export function renderTable(resource: string, objects: KubeObject[], opts: TableOptions): string {
  if (objects.length === 0) return "";
  const { header, rows } = tableRows(resource, objects, opts);
  return formatTable(opts.noHeaders ? rows : [header, ...rows]);
}

/** The header and the rows of renderTable, unformatted (for `get -w`, which prints rows as they come). */
export function tableRows(resource: string, objects: KubeObject[], opts: TableOptions): { header: string[]; rows: string[][] } {
  const printer = cliPrinter(resource);
  const shown = printer.columns.map((c: TableColumnDefinition, i) => ({ c, i })).filter(({ c }) => opts.wide || c.priority === 0);
  const nameColumn = printer.columns.findIndex((c) => c.format === "name");
  const labelKeys = opts.labelColumns ?? [];
  const header = [
    ...(opts.withNamespace ? ["NAMESPACE"] : []),
    ...shown.map(({ c }) => c.name.toUpperCase()),
    // kubectl's formatLabelHeaders: the key's last path segment, upper case.
    ...labelKeys.map((k) => k.split("/").pop()!.toUpperCase()),
    ...(opts.showLabels ? ["LABELS"] : []),
  ];
  const rows: string[][] = [];
  for (const obj of objects) {
    // kubectl's own printing (and so kemu's) cuts long load-balancer addresses unless -o wide.
    const cells = printer.cells(obj, { now: opts.now, wide: opts.wide });
    const labels = obj.metadata?.labels ?? {};
    rows.push([
      ...(opts.withNamespace ? [obj.metadata?.namespace ?? ""] : []),
      ...shown.map(({ i }) => (i === nameColumn && opts.kindPrefix ? `${opts.kindPrefix}/${cellText(cells[i] ?? null)}` : cellText(cells[i] ?? null))),
      ...labelKeys.map((k) => labels[k] ?? ""),
      ...(opts.showLabels ? [formatLabels(labels)] : []),
    ]);
  }
  return { header, rows };
}

// ---------------------------------------------------------------------------
// Lists for -o json / -o yaml

export interface KubectlList {
  apiVersion: "v1";
  items: KubeObject[];
  kind: "List";
  metadata: { resourceVersion: "" };
}

/**
 * The list `kubectl get -o json|yaml` prints for several objects. kubectl
 * always prints an empty resourceVersion here (the list it prints is its own
 * client-side "List", not the server's PodList), so the argument is accepted
 * for the caller's convenience and ignored. Keys are in kubectl's
 * (alphabetical) order: apiVersion, items, kind, metadata.
 */
export function toKubectlList(items: KubeObject[], _resourceVersion: string): KubectlList {
  return { apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } };
}
