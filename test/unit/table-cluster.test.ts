// Table rows of the cluster and config kinds and the custom resources, and
// the Table envelope: kube-apiserver's printers (printers.go: printNode,
// printNamespace, printEvent, printSecret, printConfigMap,
// printServiceAccount, printLease), apiextensions-apiserver's CRD columns,
// the default table convertor (apiserver pkg/registry/rest/table.go) and
// asTable's includeObject handling (handlers/response.go).
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/api/errors.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { KubeObject } from "../../src/api/types.js";
import { configMapPrinter, eventPrinter, leasePrinter, namespacePrinter, nodePrinter, secretPrinter, serviceAccountPrinter } from "../../src/api/table/cluster.js";
import { clusterNetworkPolicyPrinter, gatewayClassPrinter, gatewayPrinter, httpRoutePrinter } from "../../src/api/table/custom-resources.js";
import { defaultPrinter, negotiateTable, parseIncludeObject, printerFor, toTable } from "../../src/api/table/index.js";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
const server = { now: NOW, wide: true };
const meta = (name: string) => ({ name, namespace: "default", creationTimestamp: ago(600) });

describe("nodes, namespaces, events", () => {
  it("node: STATUS ROLES AGE VERSION; addresses and node info only with -o wide", () => {
    expect(nodePrinter.columns.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(["Name", "Status", "Roles", "Age", "Version"]);
    const node: KubeObject = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node-1", creationTimestamp: ago(3600), labels: { "node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "worker" } },
      spec: { unschedulable: true },
      status: { conditions: [{ type: "Ready", status: "False" }], addresses: [{ type: "InternalIP", address: "172.18.0.2" }], nodeInfo: { kubeletVersion: "v1.32.0-kemu", osImage: "", kernelVersion: "6.1", containerRuntimeVersion: "kemu://0.1" } },
    };
    expect(nodePrinter.cells(node, server)).toEqual(["node-1", "NotReady,SchedulingDisabled", "control-plane,worker", "60m", "v1.32.0-kemu", "172.18.0.2", "<none>", "<unknown>", "6.1", "kemu://0.1"]);
  });

  it("namespace: STATUS is the phase", () => {
    const ns: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "old", creationTimestamp: ago(60) }, status: { phase: "Terminating" } };
    expect(namespacePrinter.cells(ns, server)).toEqual(["old", "Terminating", "60s"]);
  });

  it("event: LAST SEEN TYPE REASON OBJECT MESSAGE; SUBOBJECT SOURCE FIRST SEEN COUNT NAME with -o wide", () => {
    expect(eventPrinter.columns.map((c) => `${c.name}:${c.priority}`)).toEqual([
      "Last Seen:0",
      "Type:0",
      "Reason:0",
      "Object:0",
      "Subobject:1",
      "Source:1",
      "Message:0",
      "First Seen:1",
      "Count:1",
      "Name:1",
    ]);
    const ev: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: meta("web.17a"),
      involvedObject: { kind: "Pod", name: "web", fieldPath: "spec.containers{app}" },
      reason: "BackOff",
      type: "Warning",
      message: " Back-off restarting failed container \n",
      source: { component: "kubelet", host: "node-1" },
      firstTimestamp: ago(300),
      lastTimestamp: ago(30),
      count: 4,
    };
    expect(eventPrinter.cells(ev, server)).toEqual(["30s", "Warning", "BackOff", "pod/web", "spec.containers{app}", "kubelet, node-1", "Back-off restarting failed container", "5m", 4, "web.17a"]);
    // A new-style event: eventTime, a series, reportingComponent.
    const series: KubeObject = { apiVersion: "v1", kind: "Event", metadata: meta("e2"), involvedObject: { kind: "Node", name: "node-1" }, eventTime: ago(600), series: { count: 7, lastObservedTime: ago(10) }, reportingComponent: "kube-proxy" };
    expect(eventPrinter.cells(series, server)).toEqual(["10s", "", "", "node/node-1", "", "kube-proxy", "", "10m", 7, "e2"]);
  });
});

describe("secrets, config maps, service accounts, leases", () => {
  it("DATA counts keys (an integer cell)", () => {
    expect(secretPrinter.cells({ apiVersion: "v1", kind: "Secret", metadata: meta("s"), type: "kubernetes.io/tls", data: { "tls.crt": "", "tls.key": "" } }, server)).toEqual(["s", "kubernetes.io/tls", 2, "10m"]);
    expect(configMapPrinter.cells({ apiVersion: "v1", kind: "ConfigMap", metadata: meta("c"), data: { a: "1" }, binaryData: { b: "AA==" } }, server)).toEqual(["c", 2, "10m"]);
    expect(serviceAccountPrinter.cells({ apiVersion: "v1", kind: "ServiceAccount", metadata: meta("default") }, server)).toEqual(["default", 0, "10m"]);
    expect(leasePrinter.cells({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: meta("node-1"), spec: { holderIdentity: "node-1" } }, server)).toEqual(["node-1", "node-1", "10m"]);
  });
});

describe("custom resources (CRD printer columns)", () => {
  it("a path that finds nothing is null (kubectl prints <none>); lists print as JSON; integers stay numbers", () => {
    const gc: KubeObject = { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "kemu", creationTimestamp: ago(60) }, spec: { controllerName: "kemu.dev/gateway" }, status: { conditions: [{ type: "Accepted", status: "True" }] } };
    expect(gatewayClassPrinter.cells(gc, server)).toEqual(["kemu", "kemu.dev/gateway", "True", "60s", null]);
    expect(gatewayClassPrinter.columns.map((c) => `${c.name}:${c.type}:${c.priority}`)).toEqual(["Name:string:0", "Controller:string:0", "Accepted:string:0", "Age:date:0", "Description:string:1"]);
    const gw: KubeObject = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: meta("gw"), spec: { gatewayClassName: "kemu" }, status: { addresses: [{ value: "172.18.0.20" }, { value: "172.18.0.21" }] } };
    expect(gatewayPrinter.cells(gw, server)).toEqual(["gw", "kemu", "172.18.0.20", null, "10m"]);
    const route: KubeObject = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: meta("r"), spec: { hostnames: ["a.example", "b.example"] } };
    expect(httpRoutePrinter.cells(route, server)).toEqual(["r", '["a.example","b.example"]', "10m"]);
    const cnp: KubeObject = { apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy", metadata: { name: "deny", creationTimestamp: ago(60) }, spec: { tier: "Admin", priority: 10 } };
    expect(clusterNetworkPolicyPrinter.cells(cnp, server)).toEqual(["deny", "Admin", 10, "60s"]);
  });
});

describe("the Table envelope", () => {
  const PODS = resourceByKind("Pod")!;
  const p: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { ...meta("web"), resourceVersion: "12", labels: { app: "web" } }, spec: { containers: [{ name: "c" }] } };

  it("rows carry PartialObjectMetadata by default (what -A and --show-labels read)", () => {
    const t = toTable(PODS, [p], { resourceVersion: "42" }, { version: "v1", includeObject: "Metadata" }, NOW);
    expect({ ...t, columnDefinitions: t.columnDefinitions!.length }).toEqual({
      kind: "Table",
      apiVersion: "meta.k8s.io/v1",
      metadata: { resourceVersion: "42" },
      columnDefinitions: 9,
      rows: [{ cells: ["web", "0/1", "Pending", "0", "10m", "<none>", "<none>", "<none>", "<none>"], object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: p.metadata } }],
    });
  });

  it("includeObject=Object keeps the object, None leaves null; noHeaders (watch events after the first) drops the columns", () => {
    expect(toTable(PODS, [p], {}, { version: "v1beta1", includeObject: "Object" }, NOW).rows[0]!.object).toBe(p);
    const t = toTable(PODS, [p], {}, { version: "v1", includeObject: "None", noHeaders: true }, NOW);
    expect(t.rows[0]!.object).toBeNull();
    expect(t.columnDefinitions).toBeNull();
    expect(t.metadata).toEqual({});
  });

  it("includeObject accepts None, Metadata, Object; anything else is a BadRequest naming it", () => {
    expect(parseIncludeObject(null)).toBe("Metadata");
    expect(parseIncludeObject("Object")).toBe("Object");
    expect(() => parseIncludeObject("All")).toThrow(ApiError);
    expect(() => parseIncludeObject("All")).toThrow(/unrecognized includeObject value: "All"/);
  });

  it("a kind without a printer gets the default convertor: Name and Created At (RFC 3339)", () => {
    expect(printerFor({ group: "example.com", plural: "widgets" })).toBe(defaultPrinter);
    expect(defaultPrinter.columns.map((c) => `${c.name}:${c.type}:${c.format}`)).toEqual(["Name:string:name", "Created At:date:"]);
    expect(defaultPrinter.cells({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", creationTimestamp: "2024-06-01T11:50:00.000Z" } }, server)).toEqual(["w", "2024-06-01T11:50:00Z"]);
  });

  it("kubectl's Accept (reference §5) gets a v1 Table; v1beta1 alone gets v1beta1; plain JSON gets none", () => {
    expect(negotiateTable("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")).toBe("v1");
    expect(negotiateTable("application/json;as=Table;v=v1beta1;g=meta.k8s.io")).toBe("v1beta1");
    expect(negotiateTable("application/json")).toBeUndefined();
    expect(negotiateTable("application/vnd.kubernetes.protobuf,application/json")).toBeUndefined();
    expect(negotiateTable(undefined)).toBeUndefined();
  });
});
