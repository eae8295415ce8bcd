// Table responses: which printer a kind has, and how a list, one object or a
// watch event becomes a meta.k8s.io Table (apiserver pkg/endpoints/handlers
// response.go asTable; pkg/printers/storage TableConvertor).
import { ApiError } from "../errors.js";
import type { ResourceInfo } from "../resources.js";
import type { KubeObject } from "../types.js";
import { clusterNetworkPolicyPrinter, customResourceDefaultPrinter, gatewayClassPrinter, gatewayPrinter, httpRoutePrinter } from "./custom-resources.js";
import { configMapPrinter, eventPrinter, leasePrinter, namespacePrinter, nodePrinter, secretPrinter, serviceAccountPrinter } from "./cluster.js";
import { endpointSlicePrinter, endpointsPrinter, ingressClassPrinter, ingressPrinter, networkPolicyPrinter, servicePrinter } from "./networking.js";
import { eventsV1Printer } from "./events-v1.js";
import { NAME_COLUMN, column, type PrintOptions, type Printer, type Table, type TableRow } from "./types.js";
import { controllerRevisionPrinter, cronJobPrinter, daemonSetPrinter, jobPrinter } from "./batch.js";
import { deploymentPrinter, podDisruptionBudgetPrinter, podPrinter, replicaSetPrinter, statefulSetPrinter } from "./workloads.js";

export type { PrintOptions, Printer, Table, TableCell, TableColumnDefinition, TableRow } from "./types.js";

/** Printers by "group/plural" ("" is the core group). */
const PRINTERS = new Map<string, Printer>([
  ["/pods", podPrinter],
  ["/services", servicePrinter],
  ["/nodes", nodePrinter],
  ["/namespaces", namespacePrinter],
  ["/events", eventPrinter],
  ["events.k8s.io/events", eventsV1Printer],
  ["/secrets", secretPrinter],
  ["/configmaps", configMapPrinter],
  ["/serviceaccounts", serviceAccountPrinter],
  ["/endpoints", endpointsPrinter],
  ["policy/poddisruptionbudgets", podDisruptionBudgetPrinter],
  ["apps/deployments", deploymentPrinter],
  ["apps/replicasets", replicaSetPrinter],
  ["apps/statefulsets", statefulSetPrinter],
  ["apps/daemonsets", daemonSetPrinter],
  ["apps/controllerrevisions", controllerRevisionPrinter],
  ["batch/jobs", jobPrinter],
  ["batch/cronjobs", cronJobPrinter],
  ["discovery.k8s.io/endpointslices", endpointSlicePrinter],
  ["coordination.k8s.io/leases", leasePrinter],
  ["networking.k8s.io/networkpolicies", networkPolicyPrinter],
  ["networking.k8s.io/ingresses", ingressPrinter],
  ["networking.k8s.io/ingressclasses", ingressClassPrinter],
  ["policy.networking.k8s.io/clusternetworkpolicies", clusterNetworkPolicyPrinter],
  ["gateway.networking.k8s.io/gatewayclasses", gatewayClassPrinter],
  ["gateway.networking.k8s.io/gateways", gatewayPrinter],
  ["gateway.networking.k8s.io/httproutes", httpRoutePrinter],
  ["gateway.networking.k8s.io/referencegrants", customResourceDefaultPrinter],
]);

/** RFC 3339 in UTC at second precision, as Go's time.RFC3339 writes a metav1.Time; Go's zero time when absent. */
function rfc3339(ts: string | undefined): string {
  const t = ts ? Date.parse(ts) : Number.NaN;
  return Number.isNaN(t) ? "0001-01-01T00:00:00Z" : new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * kube-apiserver's default table convertor (apiserver pkg/registry/rest
 * table.go), for a kind without a printer: Name, and "Created At" as an
 * RFC 3339 date (kubectl prints it as it is).
 */
export const defaultPrinter: Printer = {
  columns: [NAME_COLUMN, column("Created At", "date", "When the object was created.")],
  cells(obj) {
    return [obj.metadata?.name ?? "", rfc3339(obj.metadata?.creationTimestamp)];
  },
};

export function printerFor(resource: Pick<ResourceInfo, "group" | "plural">): Printer {
  return PRINTERS.get(`${resource.group}/${resource.plural}`) ?? defaultPrinter;
}

/** What each row's object is: the request's `includeObject` (metav1.IncludeObjectPolicy). */
export type IncludeObject = "None" | "Metadata" | "Object";

/** The includeObject query parameter; Metadata when absent (SetDefaults_TableOptions). */
export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === "" || value === "Metadata") return "Metadata";
  if (value === "None" || value === "Object") return value;
  throw new ApiError("BadRequest", `unrecognized includeObject value: "${value}" (expected None, Metadata or Object)`);
}

/** The Table API versions kubectl asks for; the response carries the one it chose. */
export type TableVersion = "v1" | "v1beta1";

export interface TableRequest {
  version: TableVersion;
  includeObject: IncludeObject;
  /** Leave the column definitions out (watch events after the first). */
  noHeaders?: boolean;
}

function rowObject(obj: KubeObject, version: TableVersion, include: IncludeObject): KubeObject | null {
  switch (include) {
    case "None":
      return null;
    case "Object":
      return obj;
    case "Metadata":
      return { kind: "PartialObjectMetadata", apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata ?? {} };
  }
}

/** One row per object, every column's cell filled (the server always prints wide). */
export function tableRows(printer: Printer, objects: readonly KubeObject[], request: TableRequest, opts: PrintOptions): TableRow[] {
  return objects.map((obj) => {
    const conditions = printer.conditions?.(obj);
    return { cells: printer.cells(obj, opts), ...(conditions ? { conditions } : {}), object: rowObject(obj, request.version, request.includeObject) };
  });
}

/** The Table for a list (or, with one object and its resourceVersion, for a get or a watch event). */
export function toTable(
  resource: Pick<ResourceInfo, "group" | "plural">,
  objects: readonly KubeObject[],
  meta: { resourceVersion?: string; continue?: string },
  request: TableRequest,
  now: number,
): Table {
  const printer = printerFor(resource);
  const metadata: Table["metadata"] = {};
  if (meta.resourceVersion) metadata.resourceVersion = meta.resourceVersion;
  if (meta.continue) metadata.continue = meta.continue;
  return {
    kind: "Table",
    apiVersion: `meta.k8s.io/${request.version}`,
    metadata,
    columnDefinitions: request.noHeaders ? null : printer.columns,
    rows: tableRows(printer, objects, request, { now, wide: true }),
  };
}

/**
 * Whether the Accept header asks for a Table, and which version: the first
 * media range the server can give wins, as in apiserver content negotiation.
 * Undefined means answer with the plain object or list.
 */
export function negotiateTable(accept: string | undefined): TableVersion | undefined {
  if (!accept) return undefined;
  for (const range of accept.split(",")) {
    const [mediaType = "", ...paramTexts] = range.split(";").map((s) => s.trim());
    const params = new Map(paramTexts.map((p) => p.split("=").map((s) => s.trim()) as [string, string]));
    if (mediaType !== "application/json" && mediaType !== "*/*" && mediaType !== "application/*") continue;
    const as = params.get("as");
    if (as === undefined) return undefined;
    const version = params.get("v");
    if (as === "Table" && params.get("g") === "meta.k8s.io" && (version === "v1" || version === "v1beta1")) return version;
  }
  return undefined;
}

/** The Content-Type of a Table response. */
export function tableContentType(version: TableVersion): string {
  return `application/json;as=Table;v=${version};g=meta.k8s.io`;
}
