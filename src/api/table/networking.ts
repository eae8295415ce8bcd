// Printers of the networking kinds: services, endpoint slices, ingresses,
// ingress classes and network policies, as kube-apiserver's printers write
// them (pkg/printers/internalversion/printers.go: printService,
// printEndpointSlice, printIngress, printIngressClass, printNetworkPolicy).
import type { EndpointSlice, Ingress, IngressClass, KubeObject, NetworkPolicy, Service } from "../types.js";
import { formatLabelSelector, formatLabels, listWithMore, since } from "./cells.js";
import { AGE_COLUMN, NAME_COLUMN, column, type Printer } from "./types.js";

const created = (obj: KubeObject, now: number) => since(obj.metadata?.creationTimestamp, now);
const nameOf = (obj: KubeObject) => obj.metadata?.name ?? "";

/** loadBalancerStatusStringer: IPs (else hostnames), sorted and unique, cut to 16 characters unless wide. */
export function loadBalancerAddresses(entries: { ip?: string; hostname?: string }[] | undefined, wide: boolean): string {
  const seen = new Set<string>();
  for (const entry of entries ?? []) {
    const v = entry.ip || entry.hostname;
    if (v) seen.add(v);
  }
  const text = [...seen].sort().join(",");
  const width = 16;
  return !wide && text.length > width ? `${text.slice(0, width - 3)}...` : text;
}

/** getServiceExternalIP: external IPs, else (LoadBalancer) the balancer's addresses, "<pending>" before it has one. */
export function serviceExternalIP(svc: Service, wide: boolean): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type ?? "ClusterIP") {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length > 0 ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = loadBalancerAddresses(svc.status?.loadBalancer?.ingress, wide);
      if (externalIPs.length > 0) return [...(lb ? [lb] : []), ...externalIPs].join(",");
      return lb.length > 0 ? lb : "<pending>";
    }
    case "ExternalName":
      return svc.spec?.externalName ?? "";
    default:
      return "<unknown>";
  }
}

/** makePortString: "80/TCP", "80:30080/TCP" with a node port, comma-joined; "<none>" without ports. */
export function servicePorts(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return "<none>";
  return ports.map((p) => `${p.port}${p.nodePort && p.nodePort > 0 ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",");
}

export const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Type", "string", "The service type: ClusterIP, NodePort, LoadBalancer or ExternalName."),
    column("Cluster-IP", "string", "The service's virtual IP."),
    column("External-IP", "string", "External IPs, or the load balancer's addresses."),
    column("Port(s)", "string", "Service ports (and node ports) with their protocols."),
    AGE_COLUMN,
    column("Selector", "string", "The labels of the pods the service sends traffic to.", { priority: 1 }),
  ],
  cells(obj, { now, wide }) {
    const svc = obj as Service;
    return [
      nameOf(obj),
      svc.spec?.type ?? "ClusterIP",
      svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || "<none>",
      serviceExternalIP(svc, wide),
      servicePorts(svc),
      created(obj, now),
      formatLabels(svc.spec?.selector),
    ];
  },
};

export const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("AddressType", "string", "The type of the slice's addresses: IPv4, IPv6 or FQDN."),
    column("Ports", "string", "The slice's port numbers (names when a port has no number)."),
    column("Endpoints", "string", "The endpoints' addresses."),
    AGE_COLUMN,
  ],
  cells(obj, { now }) {
    const es = obj as EndpointSlice;
    const ports = (es.ports ?? []).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : p.name !== undefined && p.name !== null ? p.name : "*"));
    const addrs = (es.endpoints ?? []).flatMap((e) => e.addresses ?? []);
    return [nameOf(obj), es.addressType ?? "", listWithMore(ports), listWithMore(addrs), created(obj, now)];
  },
};

/** formatHosts: the first three rule hosts, then " + N more..." (N counts rules), "*" when no rule has a host. */
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

export const ingressPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Class", "string", "The ingress class that serves the ingress."),
    column("Hosts", "string", "The hosts requests are matched against."),
    column("Address", "string", "The addresses of the ingress's load balancer."),
    column("Ports", "string", "The ports the ingress is served on."),
    AGE_COLUMN,
  ],
  cells(obj, { now, wide }) {
    const ing = obj as Ingress;
    return [
      nameOf(obj),
      ing.spec?.ingressClassName ?? "<none>",
      ingressHosts(ing.spec?.rules),
      loadBalancerAddresses(ing.status?.loadBalancer?.ingress, wide),
      (ing.spec?.tls ?? []).length > 0 ? "80, 443" : "80",
      created(obj, now),
    ];
  },
};

export const ingressClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column("Controller", "string", "The controller that implements the class."),
    column("Parameters", "string", "The object holding the class's parameters."),
    AGE_COLUMN,
  ],
  cells(obj, { now }) {
    const p = (obj as IngressClass).spec?.parameters;
    // Kind[.apiGroup]/name
    const parameters = p ? `${p.kind}${p.apiGroup !== undefined ? `.${p.apiGroup}` : ""}/${p.name}` : "<none>";
    return [nameOf(obj), (obj as IngressClass).spec?.controller ?? "", parameters, created(obj, now)];
  },
};

export const networkPolicyPrinter: Printer = {
  columns: [NAME_COLUMN, column("Pod-Selector", "string", "The label selector of the pods the policy applies to."), AGE_COLUMN],
  cells(obj, { now }) {
    return [nameOf(obj), formatLabelSelector((obj as NetworkPolicy).spec?.podSelector ?? {}), created(obj, now)];
  },
};

interface EndpointSubset {
  addresses?: { ip: string }[];
  ports?: { port: number; name?: string }[];
}

/** formatEndpoints: ready ip:port pairs (bare IPs for a subset without ports), the first three, then " + N more..."; "<none>" without subsets. */
export function formatEndpoints(subsets: EndpointSubset[] | undefined): string {
  if (!subsets || subsets.length === 0) return "<none>";
  const max = 3;
  const list: string[] = [];
  let count = 0;
  let more = false;
  const add = (text: string) => {
    if (list.length === max) more = true;
    else list.push(text);
  };
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if ((ss.ports ?? []).length === 0) {
      count += addresses.length;
      for (const a of addresses) add(a.ip);
      continue;
    }
    for (const p of ss.ports ?? []) {
      count += addresses.length;
      // net.JoinHostPort brackets an IPv6 address.
      for (const a of addresses) add(`${a.ip.includes(":") ? `[${a.ip}]` : a.ip}:${p.port}`);
    }
  }
  return more ? `${list.join(",")} + ${count - max} more...` : list.join(",");
}

export const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, column("Endpoints", "string", "The ready addresses with their ports."), AGE_COLUMN],
  cells(obj, { now }) {
    return [nameOf(obj), formatEndpoints((obj as KubeObject & { subsets?: EndpointSubset[] }).subsets), created(obj, now)];
  },
};
