// Printers of the kinds kemu serves built in that are custom resources
// upstream (Gateway API, network-policy-api): their CRDs'
// additionalPrinterColumns, printed as apiextensions-apiserver's table
// convertor prints them: Name first; a "string" column prints the first value
// its JSONPath finds (a list or map as JSON); an "integer" one a number; a
// "date" one the age; a path that finds nothing prints null (kubectl: <none>).
import type { ClusterNetworkPolicy, Gateway, GatewayClass, HTTPRoute, KubeObject } from "../types.js";
import { since } from "./cells.js";
import { NAME_COLUMN, column, type Printer, type TableCell } from "./types.js";

/** A CRD's Age column: type date, .metadata.creationTimestamp. */
const CRD_AGE_COLUMN = column("Age", "date", "");
const nameOf = (obj: KubeObject) => obj.metadata?.name ?? "";
const age = (obj: KubeObject, now: number) => since(obj.metadata?.creationTimestamp, now);

/** A "string" column's cell. */
function stringCell(value: unknown): TableCell {
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** An "integer" column's cell. */
function integerCell(value: unknown): TableCell {
  return typeof value === "number" ? value : null;
}

/** `.status.conditions[?(@.type=="T")].status` */
function conditionStatus(status: { conditions?: { type: string; status: string }[] } | undefined, type: string): string | undefined {
  return status?.conditions?.find((c) => c.type === type)?.status;
}

/** network-policy-api v0.2.0 ClusterNetworkPolicy: Tier (.spec.tier), Priority (.spec.priority), Age. */
export const clusterNetworkPolicyPrinter: Printer = {
  columns: [NAME_COLUMN, column("Tier", "string", ""), column("Priority", "integer", ""), CRD_AGE_COLUMN],
  cells(obj, { now }) {
    const spec = (obj as ClusterNetworkPolicy).spec as Partial<ClusterNetworkPolicy["spec"]> | undefined;
    return [nameOf(obj), stringCell(spec?.tier), integerCell(spec?.priority), age(obj, now)];
  },
};

/** Gateway API GatewayClass: Controller, Accepted, Age; Description with -o wide (priority 1). */
export const gatewayClassPrinter: Printer = {
  columns: [NAME_COLUMN, column("Controller", "string", ""), column("Accepted", "string", ""), CRD_AGE_COLUMN, column("Description", "string", "", { priority: 1 })],
  cells(obj, { now }) {
    const gc = obj as GatewayClass;
    return [nameOf(obj), stringCell(gc.spec?.controllerName), stringCell(conditionStatus(gc.status, "Accepted")), age(obj, now), stringCell(gc.spec?.description)];
  },
};

/** Gateway API Gateway: Class, Address (the first of .status.addresses[*].value), Programmed, Age. */
export const gatewayPrinter: Printer = {
  columns: [NAME_COLUMN, column("Class", "string", ""), column("Address", "string", ""), column("Programmed", "string", ""), CRD_AGE_COLUMN],
  cells(obj, { now }) {
    const gw = obj as Gateway;
    return [nameOf(obj), stringCell(gw.spec?.gatewayClassName), stringCell(gw.status?.addresses?.[0]?.value), stringCell(conditionStatus(gw.status, "Programmed")), age(obj, now)];
  },
};

/** Gateway API HTTPRoute: Hostnames (the list, as JSON), Age. */
export const httpRoutePrinter: Printer = {
  columns: [NAME_COLUMN, column("Hostnames", "string", ""), CRD_AGE_COLUMN],
  cells(obj, { now }) {
    return [nameOf(obj), stringCell((obj as HTTPRoute).spec?.hostnames), age(obj, now)];
  },
};

/** A CRD with no printer columns of its own (ReferenceGrant): Name and Age. */
export const customResourceDefaultPrinter: Printer = {
  columns: [NAME_COLUMN, CRD_AGE_COLUMN],
  cells(obj, { now }) {
    return [nameOf(obj), age(obj, now)];
  },
};
