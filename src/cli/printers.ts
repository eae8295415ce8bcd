// Human-readable output for `kemu get`: the same tables kubectl prints.
//
// Everything here is pure (no I/O, no clock): the caller passes `now` so that
// output is reproducible in tests. Column sets, cell formats and the STATUS
// logic follow kubectl's printers (pkg/printers/internalversion/printers.go)
// and its tab writer settings (minwidth 6, padding 3, pad char ' ').
//
// Where a field would always have been defaulted by a real API server before
// kubectl ever sees the object (pod phase, replicas, service type, port
// protocol, namespace phase), we apply that default here, so a kemu object
// that skipped defaulting still prints like one read from a real cluster.
import type {
  ClusterNetworkPolicy,
  Container,
  Deployment,
  EndpointSlice,
  Event,
  Gateway,
  GatewayClass,
  HTTPRoute,
  Ingress,
  IngressClass,
  KubeObject,
  LabelSelector,
  Namespace,
  NetworkPolicy,
  Node,
  ObjectMeta,
  Pod,
  ReplicaSet,
  Secret,
  Service,
  StatefulSet,
} from "../api/types.js";
import { parseTime, podStatusReason, summarizePod, type PodSummary } from "../api/podstatus.js";

// ---------------------------------------------------------------------------
// Durations

/**
 * kubectl's AGE formatting (apimachinery duration.HumanDuration): about two
 * significant units, e.g. 45s, 119s, 2m30s, 45m, 3h5m, 20h, 3d4h, 30d, 2y10d.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** kubectl's translateTimestampSince: "<unknown>" for a missing time. */
function since(ts: string | undefined, now: number): string {
  const t = parseTime(ts);
  return t === undefined ? "<unknown>" : humanDuration(now - t);
}

// ---------------------------------------------------------------------------
// Pods

/** The STATUS column of `kubectl get pods` (kept here too for the CLI's callers). */
export { podStatusReason };

/** The READY column of `kubectl get pods`, e.g. "1/2" (sidecars count). */
export function podReadyCount(pod: Pod): string {
  const s = summarizePod(pod);
  return `${s.ready}/${s.total}`;
}

function restartsCell(s: PodSummary, now: number): string {
  if (s.restarts !== 0 && s.lastRestart !== undefined) {
    return `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)`;
  }
  return String(s.restarts);
}

/** The RESTARTS column of `kubectl get pods`, e.g. "0" or "3 (2m ago)". */
export function podRestarts(pod: Pod, now: number): string {
  return restartsCell(summarizePod(pod), now);
}

function readinessGates(pod: Pod): string {
  const gates = pod.spec.readinessGates ?? [];
  if (gates.length === 0) return "<none>";
  const conditions = pod.status?.conditions ?? [];
  let trueCount = 0;
  for (const g of gates) {
    const c = conditions.find((cond) => cond.type === g.conditionType);
    if (c?.status === "True") trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

// ---------------------------------------------------------------------------
// Selectors and labels

/** labels.FormatLabels: "a=b,c=d" sorted by key, "<none>" when empty. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return "<none>";
  return keys.map((k) => `${k}=${labels![k]}`).join(",");
}

/**
 * A label selector as the Selector.String() of apimachinery renders it:
 * requirements sorted by key, "k=v", "k in (a,b)", "k notin (a,b)", "k",
 * "!k". Returns undefined when the selector is invalid.
 */
function selectorString(sel: LabelSelector | undefined): string | undefined {
  if (!sel) return "";
  const reqs: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    reqs.push({ key, text: `${key}=${value}` });
  }
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort();
    switch (e.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) return undefined;
        reqs.push({ key: e.key, text: `${e.key} ${e.operator === "In" ? "in" : "notin"} (${values.join(",")})` });
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length !== 0) return undefined;
        reqs.push({ key: e.key, text: e.operator === "Exists" ? e.key : `!${e.key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(",");
}

/** metav1.FormatLabelSelector: "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(sel: LabelSelector | undefined): string {
  const s = selectorString(sel);
  if (s === undefined) return "<error>";
  return s === "" ? "<none>" : s;
}

function containerCells(containers: Container[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name).join(","), cs.map((c) => c.image ?? "").join(",")];
}

// ---------------------------------------------------------------------------
// Per-resource rows

interface Columns {
  headers: string[];
  /** Priority-1 columns, shown with -o wide. */
  wideHeaders: string[];
  /** wideCells replace cells with -o wide, for a column kubectl cuts short otherwise. */
  row: (obj: KubeObject, now: number) => { cells: string[]; wide: string[]; wideCells?: string[] };
  /**
   * The whole header with -o wide, for a kind whose priority-1 columns sit between
   * the others (events): its rows' wideCells are then the whole wide row.
   */
  wideLayout?: string[];
}

function meta(obj: KubeObject): ObjectMeta {
  return obj.metadata ?? {};
}

const podColumns: Columns = {
  headers: ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
  wideHeaders: ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
  row(obj, now) {
    const pod = obj as Pod;
    const s = summarizePod(pod);
    // kubectl reads podIPs[0]; podIP is the same address on any API server.
    const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || "<none>";
    return {
      cells: [meta(obj).name ?? "", `${s.ready}/${s.total}`, s.reason, restartsCell(s, now), since(meta(obj).creationTimestamp, now)],
      wide: [ip, pod.spec?.nodeName || "<none>", pod.status?.nominatedNodeName || "<none>", readinessGates(pod)],
    };
  },
};

function nodeStatus(node: Node): string {
  const parts: string[] = [];
  const readyCond = node.status?.conditions?.find((c) => c.type === "Ready");
  if (readyCond) parts.push(readyCond.status === "True" ? "Ready" : "NotReady");
  else parts.push("Unknown");
  if (node.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
}

function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role.length > 0) roles.add(role);
    } else if (k === "kubernetes.io/role" && v !== "") {
      roles.add(v);
    }
  }
  return roles.size === 0 ? "<none>" : [...roles].sort().join(",");
}

function nodeAddress(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? "<none>";
}

const nodeColumns: Columns = {
  // Deliberate deviation from kubectl: kubectl shows INTERNAL-IP only with
  // -o wide and never shows the pod CIDR. kemu is about networking, and its
  // users want each node's IP and pod CIDR at a glance, so both are default
  // columns here. The remaining wide columns are kubectl's, in its order.
  headers: ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "POD-CIDR"],
  wideHeaders: ["EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
  row(obj, now) {
    const node = obj as Node;
    const info = node.status?.nodeInfo;
    const cidrs = node.spec?.podCIDRs?.length ? node.spec.podCIDRs.join(",") : node.spec?.podCIDR || "<none>";
    return {
      cells: [
        meta(obj).name ?? "",
        nodeStatus(node),
        nodeRoles(node),
        since(meta(obj).creationTimestamp, now),
        info?.kubeletVersion ?? "",
        nodeAddress(node, "InternalIP"),
        cidrs,
      ],
      wide: [
        nodeAddress(node, "ExternalIP"),
        info?.osImage || "<unknown>",
        info?.kernelVersion || "<unknown>",
        info?.containerRuntimeVersion || "<unknown>",
      ],
    };
  },
};

const deploymentColumns: Columns = {
  headers: ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
  wideHeaders: ["CONTAINERS", "IMAGES", "SELECTOR"],
  row(obj, now) {
    const d = obj as Deployment;
    const desired = d.spec?.replicas ?? 1;
    const st = d.status ?? {};
    const [names, images] = containerCells(d.spec?.template?.spec?.containers);
    return {
      cells: [
        meta(obj).name ?? "",
        `${st.readyReplicas ?? 0}/${desired}`,
        String(st.updatedReplicas ?? 0),
        String(st.availableReplicas ?? 0),
        since(meta(obj).creationTimestamp, now),
      ],
      // Deployments print the bare selector string (empty, not "<none>").
      wide: [names, images, selectorString(d.spec?.selector) ?? "<invalid>"],
    };
  },
};

const replicaSetColumns: Columns = {
  headers: ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
  wideHeaders: ["CONTAINERS", "IMAGES", "SELECTOR"],
  row(obj, now) {
    const rs = obj as ReplicaSet;
    const st = rs.status;
    const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
    return {
      cells: [
        meta(obj).name ?? "",
        String(rs.spec?.replicas ?? 1),
        String(st?.replicas ?? 0),
        String(st?.readyReplicas ?? 0),
        since(meta(obj).creationTimestamp, now),
      ],
      wide: [names, images, formatLabelSelector(rs.spec?.selector)],
    };
  },
};

const statefulSetColumns: Columns = {
  headers: ["NAME", "READY", "AGE"],
  wideHeaders: ["CONTAINERS", "IMAGES"],
  row(obj, now) {
    const set = obj as StatefulSet;
    const [names, images] = containerCells(set.spec?.template?.spec?.containers);
    return {
      cells: [meta(obj).name ?? "", `${set.status?.readyReplicas ?? 0}/${set.spec?.replicas ?? 1}`, since(meta(obj).creationTimestamp, now)],
      wide: [names, images],
    };
  },
};

function serviceExternalIP(svc: Service, type: string): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (type) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length > 0 ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lb: string[] = [];
      for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
        const v = ing.ip || ing.hostname;
        if (v && !lb.includes(v)) lb.push(v);
      }
      if (externalIPs.length > 0) return [...lb, ...externalIPs].join(",");
      return lb.length > 0 ? lb.join(",") : "<pending>";
    }
    case "ExternalName":
      return svc.spec?.externalName ?? "";
    default:
      return "<unknown>";
  }
}

function servicePorts(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return "<none>";
  return ports
    .map((p) => {
      const proto = p.protocol ?? "TCP";
      return p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${proto}` : `${p.port}/${proto}`;
    })
    .join(",");
}

const serviceColumns: Columns = {
  headers: ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
  wideHeaders: ["SELECTOR"],
  row(obj, now) {
    const svc = obj as Service;
    const type = svc.spec?.type ?? "ClusterIP";
    const clusterIP = svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || "<none>";
    return {
      cells: [
        meta(obj).name ?? "",
        type,
        clusterIP,
        serviceExternalIP(svc, type),
        servicePorts(svc),
        since(meta(obj).creationTimestamp, now),
      ],
      wide: [formatLabels(svc.spec?.selector)],
    };
  },
};

/** kubectl's list-with-more: first 3, then " + N more...", "<unset>" if none. */
function listWithMore(values: string[]): string {
  const max = 3;
  if (values.length > max) return `${values.slice(0, max).join(",")} + ${values.length - max} more...`;
  return values.length === 0 ? "<unset>" : values.join(",");
}

const endpointSliceColumns: Columns = {
  headers: ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    const es = obj as EndpointSlice;
    const ports = (es.ports ?? []).map((p) =>
      p.port !== undefined && p.port !== null ? String(p.port) : p.name !== undefined && p.name !== null ? p.name : "*",
    );
    const addrs = (es.endpoints ?? []).flatMap((e) => e.addresses ?? []);
    return {
      cells: [meta(obj).name ?? "", es.addressType ?? "", listWithMore(ports), listWithMore(addrs), since(meta(obj).creationTimestamp, now)],
      wide: [],
    };
  },
};

const namespaceColumns: Columns = {
  headers: ["NAME", "STATUS", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    const ns = obj as Namespace;
    // The API server sets phase Active on create; a kemu object may not.
    return { cells: [meta(obj).name ?? "", ns.status?.phase ?? "Active", since(meta(obj).creationTimestamp, now)], wide: [] };
  },
};

const leaseColumns: Columns = {
  headers: ["NAME", "HOLDER", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    const holder = (obj.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? "";
    return { cells: [meta(obj).name ?? "", holder, since(meta(obj).creationTimestamp, now)], wide: [] };
  },
};

/** kubectl's printNetworkPolicy: the pod selector as metav1.FormatLabelSelector writes it. */
const networkPolicyColumns: Columns = {
  headers: ["NAME", "POD-SELECTOR", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    const np = obj as NetworkPolicy;
    return { cells: [meta(obj).name ?? "", formatLabelSelector(np.spec?.podSelector ?? {}), since(meta(obj).creationTimestamp, now)], wide: [] };
  },
};

/** The CRD's additionalPrinterColumns: Tier (.spec.tier), Priority (.spec.priority), Age. */
const clusterNetworkPolicyColumns: Columns = {
  headers: ["NAME", "TIER", "PRIORITY", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    const spec = (obj as ClusterNetworkPolicy).spec as Partial<ClusterNetworkPolicy["spec"]> | undefined;
    const cell = (v: unknown) => (v === undefined || v === null ? "<none>" : String(v));
    return { cells: [meta(obj).name ?? "", cell(spec?.tier), cell(spec?.priority), since(meta(obj).creationTimestamp, now)], wide: [] };
  },
};

// The Gateway API CRDs' additionalPrinterColumns. A custom resource's cell is
// the first value its JSONPath finds, "<none>" when it finds none; a list is
// printed as JSON (apiextensions-apiserver's tableconvertor, client-go's
// jsonpath PrintResults).

/** A CRD printer cell: strings as they are, other values as JSON, absent as <none>. */
function crdCell(value: unknown): string {
  if (value === undefined || value === null) return "<none>";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `.status.conditions[?(@.type=="T")].status` */
function conditionStatus(status: { conditions?: { type: string; status: string }[] } | undefined, type: string): string | undefined {
  return status?.conditions?.find((c) => c.type === type)?.status;
}

/** GatewayClass: Controller, Accepted, Age; Description with -o wide (priority 1). */
const gatewayClassColumns: Columns = {
  headers: ["NAME", "CONTROLLER", "ACCEPTED", "AGE"],
  wideHeaders: ["DESCRIPTION"],
  row(obj, now) {
    const gc = obj as GatewayClass;
    return {
      cells: [meta(obj).name ?? "", crdCell(gc.spec?.controllerName), crdCell(conditionStatus(gc.status, "Accepted")), since(meta(obj).creationTimestamp, now)],
      wide: [crdCell(gc.spec?.description)],
    };
  },
};

/** Gateway: Class, Address (the first of .status.addresses[*].value), Programmed, Age. */
const gatewayColumns: Columns = {
  headers: ["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    const gw = obj as Gateway;
    const cells = [
      meta(obj).name ?? "",
      crdCell(gw.spec?.gatewayClassName),
      crdCell(gw.status?.addresses?.[0]?.value),
      crdCell(conditionStatus(gw.status, "Programmed")),
      since(meta(obj).creationTimestamp, now),
    ];
    return { cells, wide: [] };
  },
};

/** HTTPRoute: Hostnames (the list, as JSON), Age. */
const httpRouteColumns: Columns = {
  headers: ["NAME", "HOSTNAMES", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    const route = obj as HTTPRoute;
    return { cells: [meta(obj).name ?? "", crdCell(route.spec?.hostnames), since(meta(obj).creationTimestamp, now)], wide: [] };
  },
};

/** kubectl's printSecret: DATA counts the keys (stringData is never stored). */
const secretColumns: Columns = {
  headers: ["NAME", "TYPE", "DATA", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    const secret = obj as Secret;
    return { cells: [meta(obj).name ?? "", secret.type ?? "Opaque", String(Object.keys(secret.data ?? {}).length), since(meta(obj).creationTimestamp, now)], wide: [] };
  },
};

/** kubectl's printIngressClass: PARAMETERS is Kind[.apiGroup]/name. */
const ingressClassColumns: Columns = {
  headers: ["NAME", "CONTROLLER", "PARAMETERS", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    const spec = (obj as IngressClass).spec;
    const p = spec?.parameters;
    const parameters = p ? `${p.kind}${p.apiGroup !== undefined ? `.${p.apiGroup}` : ""}/${p.name}` : "<none>";
    return { cells: [meta(obj).name ?? "", spec?.controller ?? "", parameters, since(meta(obj).creationTimestamp, now)], wide: [] };
  },
};

/** kubectl's formatHosts: the first three rule hosts, then " + N more..." (N counts rules), "*" when none has a host. */
export function ingressHosts(rules: { host?: string }[] | undefined): string {
  const all = rules ?? [];
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const rule of all) {
    if (list.length === max) more = true;
    if (!more && rule.host) list.push(rule.host);
  }
  if (list.length === 0) return "*";
  return more ? `${list.join(",")} + ${all.length - max} more...` : list.join(",");
}

/** kubectl's ingressLoadBalancerStatusStringer: IPs or hostnames, sorted and unique, cut to 16 characters unless wide. */
export function ingressAddress(ingress: Ingress, wide: boolean): string {
  const seen = new Set<string>();
  for (const entry of ingress.status?.loadBalancer?.ingress ?? []) {
    const v = entry.ip || entry.hostname;
    if (v) seen.add(v);
  }
  const text = [...seen].sort().join(",");
  const width = 16;
  return !wide && text.length > width ? `${text.slice(0, width - 3)}...` : text;
}

/** kubectl's printIngress. ADDRESS is cut to 16 characters except with -o wide. */
const ingressColumns: Columns = {
  headers: ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    const ing = obj as Ingress;
    const cells = (wide: boolean) => [
      meta(obj).name ?? "",
      ing.spec?.ingressClassName ?? "<none>",
      ingressHosts(ing.spec?.rules),
      ingressAddress(ing, wide),
      (ing.spec?.tls ?? []).length > 0 ? "80, 443" : "80",
      since(meta(obj).creationTimestamp, now),
    ];
    return { cells: cells(false), wide: [], wideCells: cells(true) };
  },
};

/** kubectl's formatEventSource: component (else reportingComponent), then ", host" (else reportingInstance) when there is one. */
function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || "";
  const instance = ev.source?.host || ev.reportingInstance || "";
  return instance ? `${component}, ${instance}` : component;
}

/**
 * kubectl's printEvent. LAST SEEN is lastTimestamp, else FIRST SEEN, which is
 * firstTimestamp, else eventTime; a series gives its lastObservedTime and
 * count; a count of 0 is 1. OBJECT is kind/name with the kind in lower case.
 */
const eventColumns: Columns = {
  headers: ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
  wideHeaders: [],
  wideLayout: ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME"],
  row(obj, now) {
    const ev = obj as Event;
    const firstSeen = ev.firstTimestamp ? since(ev.firstTimestamp, now) : since(ev.eventTime, now);
    let lastSeen = ev.lastTimestamp ? since(ev.lastTimestamp, now) : firstSeen;
    let count = ev.count ?? 0;
    if (ev.series) {
      lastSeen = since(ev.series.lastObservedTime, now);
      count = ev.series.count ?? 0;
    } else if (count === 0) {
      count = 1;
    }
    const involved = ev.involvedObject ?? {};
    const kind = (involved.kind ?? "").toLowerCase();
    const target = involved.name ? `${kind}/${involved.name}` : kind;
    const message = (ev.message ?? "").trim();
    return {
      cells: [lastSeen, ev.type ?? "", ev.reason ?? "", target, message],
      wide: [],
      wideCells: [lastSeen, ev.type ?? "", ev.reason ?? "", target, involved.fieldPath ?? "", eventSource(ev), message, firstSeen, String(count), meta(obj).name ?? ""],
    };
  },
};

const defaultColumns: Columns = {
  headers: ["NAME", "AGE"],
  wideHeaders: [],
  row(obj, now) {
    return { cells: [meta(obj).name ?? "", since(meta(obj).creationTimestamp, now)], wide: [] };
  },
};

const COLUMNS = new Map<string, Columns>([
  ["pods", podColumns],
  ["pod", podColumns],
  ["po", podColumns],
  ["nodes", nodeColumns],
  ["node", nodeColumns],
  ["no", nodeColumns],
  ["deployments", deploymentColumns],
  ["deployment", deploymentColumns],
  ["deploy", deploymentColumns],
  ["replicasets", replicaSetColumns],
  ["replicaset", replicaSetColumns],
  ["rs", replicaSetColumns],
  ["statefulsets", statefulSetColumns],
  ["statefulset", statefulSetColumns],
  ["sts", statefulSetColumns],
  ["services", serviceColumns],
  ["service", serviceColumns],
  ["svc", serviceColumns],
  ["endpointslices", endpointSliceColumns],
  ["endpointslice", endpointSliceColumns],
  ["namespaces", namespaceColumns],
  ["namespace", namespaceColumns],
  ["ns", namespaceColumns],
  ["leases", leaseColumns],
  ["lease", leaseColumns],
  ["networkpolicies", networkPolicyColumns],
  ["networkpolicy", networkPolicyColumns],
  ["netpol", networkPolicyColumns],
  ["clusternetworkpolicies", clusterNetworkPolicyColumns],
  ["clusternetworkpolicy", clusterNetworkPolicyColumns],
  ["cnp", clusterNetworkPolicyColumns],
  ["secrets", secretColumns],
  ["secret", secretColumns],
  ["events", eventColumns],
  ["event", eventColumns],
  ["ev", eventColumns],
  ["ingressclasses", ingressClassColumns],
  ["ingressclass", ingressClassColumns],
  ["ingresses", ingressColumns],
  ["ingress", ingressColumns],
  ["ing", ingressColumns],
  ["gatewayclasses", gatewayClassColumns],
  ["gatewayclass", gatewayClassColumns],
  ["gc", gatewayClassColumns],
  ["gateways", gatewayColumns],
  ["gateway", gatewayColumns],
  ["gtw", gatewayColumns],
  ["httproutes", httpRouteColumns],
  ["httproute", httpRouteColumns],
  // ReferenceGrant's only column is Age: the default NAME, AGE table.
]);

// ---------------------------------------------------------------------------
// Table layout

/** kubectl's tab writer: minimum cell width 6 (padding included), padding 3. */
const TAB_MIN_WIDTH = 6;
const TAB_PADDING = 3;

function textWidth(s: string): number {
  // Go's tabwriter counts runes (code points), not UTF-16 units.
  return Array.from(s).length;
}

/**
 * Lay out rows the way kubectl's tab writer does: every column but the last
 * is padded with spaces to max(6, widest cell + 3); the last column is not
 * padded. Each line, the last included, ends with "\n".
 */
export function formatTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (let i = 0; i < row.length - 1; i++) {
      widths[i] = Math.max(widths[i] ?? TAB_MIN_WIDTH, textWidth(row[i]!) + TAB_PADDING);
    }
  }
  let out = "";
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const cell = row[i]!;
      out += i === row.length - 1 ? cell : cell + " ".repeat(widths[i]! - textWidth(cell));
    }
    out += "\n";
  }
  return out;
}

export interface TableOptions {
  /** -o wide: add kubectl's priority-1 columns. */
  wide: boolean;
  /** -A / --all-namespaces: a NAMESPACE column first. */
  withNamespace: boolean;
  /** Current time, ms since epoch, for the AGE column. */
  now: number;
}

/**
 * The text `kubectl get <resource>` prints for these objects, header
 * included, each line ending in "\n" (write it as is). "" when there are no
 * objects: the caller prints its own "No resources found ..." line.
 * `resource` is a plural, singular or short name ("pods", "pod", "po"),
 * optionally group-qualified ("deployments.apps"); unknown resources get
 * NAME and AGE.
 */
export function renderTable(resource: string, objects: KubeObject[], opts: TableOptions): string {
  if (objects.length === 0) return "";
  const key = resource.toLowerCase().split(".")[0] ?? "";
  const cols = COLUMNS.get(key) ?? defaultColumns;
  const columns = opts.wide ? (cols.wideLayout ?? [...cols.headers, ...cols.wideHeaders]) : cols.headers;
  const header = [...(opts.withNamespace ? ["NAMESPACE"] : []), ...columns];
  const rows: string[][] = [header];
  for (const obj of objects) {
    const r = cols.row(obj, opts.now);
    rows.push([
      ...(opts.withNamespace ? [meta(obj).namespace ?? ""] : []),
      ...(opts.wide ? (r.wideCells ?? r.cells) : r.cells),
      ...(opts.wide ? r.wide : []),
    ]);
  }
  return formatTable(rows);
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
