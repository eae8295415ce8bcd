// The meta.k8s.io/v1 Table kubectl asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`: column definitions,
// one row of cells per object (apimachinery pkg/apis/meta/v1 types.go, Table).
import type { KubeObject } from "../types.js";

export interface TableColumnDefinition {
  name: string;
  /** An OpenAPI type: string, integer, number, boolean, date. */
  type: string;
  /** "name" marks the column kubectl prefixes with kind/ when it prints several kinds. */
  format: string;
  description: string;
  /** 0: always shown; 1: shown with -o wide. */
  priority: number;
}

/** A cell: kubectl prints strings as they are, numbers in decimal, null as <none>. */
export type TableCell = string | number | boolean | null;

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  /** PartialObjectMetadata, the full object, or null (the request's includeObject). */
  object: KubeObject | null;
}

export interface Table {
  kind: "Table";
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string };
  /** null after the first event of a watch: kubectl reuses the list's columns. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

/** How a printer builds its cells (upstream printers.GenerateOptions). */
export interface PrintOptions {
  /** Current time in ms since the epoch, for AGE cells. */
  now: number;
  /**
   * kube-apiserver always prints wide (its cells are never cut short); kubectl's
   * own client-side printing cuts LoadBalancer and Ingress addresses to 16 characters.
   */
  wide: boolean;
}

/** One kind's printer: its columns, and the cells of one object (one per column, in order). */
export interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, opts: PrintOptions): TableCell[];
  conditions?(obj: KubeObject): TableRowCondition[] | undefined;
}

/** A column definition with upstream's defaults (format "", priority 0). */
export function column(name: string, type: string, description: string, extra: { format?: string; priority?: number } = {}): TableColumnDefinition {
  return { name, type, format: extra.format ?? "", description, priority: extra.priority ?? 0 };
}

// The two columns nearly every printer has, described in our own words.
export const NAME_COLUMN = column("Name", "string", "The object's name, unique within its namespace.", { format: "name" });
export const AGE_COLUMN = column("Age", "string", "How long ago the object was created.");
/** The wide-only columns of the workload printers. */
export const CONTAINERS_COLUMN = column("Containers", "string", "The names of the pod template's containers.", { priority: 1 });
export const IMAGES_COLUMN = column("Images", "string", "The images of the pod template's containers.", { priority: 1 });
