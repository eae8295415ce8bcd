// What the dashboard shows of a cluster, in the terms a person draws on a
// whiteboard: nodes on the underlay, pods by node, Services with their
// endpoints, the Ingress/Gateway router and its routes. Built from API
// objects; pure (layout.ts places it, the page draws it).
import type { EndpointSlice, Gateway, HTTPRoute, Ingress, Node, Pod, Service } from "../../api/types.js";

export interface ViewNode {
  name: string;
  ip?: string;
  podCIDR?: string;
  ready: boolean;
}

export type PodState = "ok" | "warn" | "bad";

export interface ViewPod {
  /** ns/name */
  key: string;
  namespace: string;
  name: string;
  node?: string;
  ip?: string;
  /** as kubectl's STATUS column would say it, roughly: Running, Pending, Terminating, Failed… */
  status: string;
  ready: boolean;
  state: PodState;
  hostNetwork: boolean;
}

export interface ViewEndpoint {
  ip: string;
  /** ns/name of the pod behind it, when the slice names one */
  pod?: string;
  ready: boolean;
}

export interface ViewService {
  key: string;
  namespace: string;
  name: string;
  type: string;
  clusterIP?: string;
  loadBalancerIPs: string[];
  /** `80/TCP→8080`, `http 80/TCP→http` */
  ports: string[];
  endpoints: ViewEndpoint[];
}

export interface ViewRoute {
  kind: "Ingress" | "HTTPRoute";
  key: string;
  hosts: string[];
  /** ns/name of the Services the route sends to */
  backends: string[];
}

export interface ViewRouter {
  /** ns/name of the router's pods */
  pods: string[];
  /** ns/name of its Service */
  service: string;
  addresses: string[];
  gateways: string[];
  routes: ViewRoute[];
}

export interface DashboardView {
  cluster: string;
  outsideIP?: string;
  nodes: ViewNode[];
  pods: ViewPod[];
  services: ViewService[];
  router?: ViewRouter;
}

export interface ViewInput {
  cluster: string;
  outsideIP?: string;
  nodes: Node[];
  pods: Pod[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  ingresses: Ingress[];
  gateways: Gateway[];
  httpRoutes: HTTPRoute[];
}

/** The router's objects, as src/daemon/addons.ts names them. */
export const ROUTER_NAMESPACE = "kemu-system";
export const ROUTER_NAME = "ingress-router";
const ROUTER_LABEL = "app.kubernetes.io/name";

const keyOf = (o: { metadata: { namespace?: string; name?: string } }) => `${o.metadata.namespace ?? "default"}/${o.metadata.name ?? ""}`;
const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export function viewNode(n: Node): ViewNode {
  const ip = n.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
  const ready = n.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
  return { name: n.metadata.name ?? "", ...(ip ? { ip } : {}), ...(n.spec?.podCIDR ? { podCIDR: n.spec.podCIDR } : {}), ready };
}

export function viewPod(p: Pod): ViewPod {
  const phase = p.status?.phase ?? "Pending";
  const ready = p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
  const waiting = p.status?.containerStatuses?.map((c) => c.state?.waiting?.reason).find((r) => r !== undefined);
  const status = p.metadata.deletionTimestamp ? "Terminating" : phase === "Running" || phase === "Pending" ? (waiting ?? phase) : phase;
  const state: PodState = status === "Running" && ready ? "ok" : status === "Failed" || status === "Terminating" || status === "CrashLoopBackOff" ? "bad" : "warn";
  return {
    key: keyOf(p),
    namespace: p.metadata.namespace ?? "default",
    name: p.metadata.name ?? "",
    ...(p.spec.nodeName ? { node: p.spec.nodeName } : {}),
    ...(p.status?.podIP ? { ip: p.status.podIP } : {}),
    status,
    ready,
    state,
    hostNetwork: p.spec.hostNetwork === true,
  };
}

function portText(p: { name?: string; port: number; protocol?: string; targetPort?: number | string; nodePort?: number }): string {
  const target = p.targetPort !== undefined && String(p.targetPort) !== String(p.port) ? `→${p.targetPort}` : "";
  const node = p.nodePort ? ` (node ${p.nodePort})` : "";
  return `${p.name ? `${p.name} ` : ""}${p.port}/${p.protocol ?? "TCP"}${target}${node}`;
}

export function viewService(s: Service, slices: EndpointSlice[]): ViewService {
  const key = keyOf(s);
  const seen = new Set<string>();
  const endpoints: ViewEndpoint[] = [];
  for (const slice of slices) {
    for (const e of slice.endpoints ?? []) {
      const pod = e.targetRef?.kind === "Pod" ? `${e.targetRef.namespace ?? s.metadata.namespace ?? "default"}/${e.targetRef.name ?? ""}` : undefined;
      for (const ip of e.addresses ?? []) {
        if (seen.has(ip)) continue;
        seen.add(ip);
        // kube-proxy's reading: an endpoint without conditions.ready is ready.
        endpoints.push({ ip, ...(pod ? { pod } : {}), ready: e.conditions?.ready !== false });
      }
    }
  }
  endpoints.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  const clusterIP = s.spec?.clusterIP;
  return {
    key,
    namespace: s.metadata.namespace ?? "default",
    name: s.metadata.name ?? "",
    type: s.spec?.type ?? "ClusterIP",
    ...(clusterIP ? { clusterIP } : {}),
    loadBalancerIPs: (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
    ports: (s.spec?.ports ?? []).map(portText),
    endpoints,
  };
}

function ingressRoute(i: Ingress): ViewRoute {
  const ns = i.metadata.namespace ?? "default";
  const backends = new Set<string>();
  const add = (name?: string) => name && backends.add(`${ns}/${name}`);
  add(i.spec?.defaultBackend?.service?.name);
  for (const r of i.spec?.rules ?? []) for (const p of r.http?.paths ?? []) add(p.backend.service?.name);
  const hosts = [...new Set((i.spec?.rules ?? []).map((r) => r.host ?? "*"))];
  return { kind: "Ingress", key: keyOf(i), hosts, backends: [...backends].sort() };
}

function httpRouteView(r: HTTPRoute): ViewRoute {
  const ns = r.metadata.namespace ?? "default";
  const backends = new Set<string>();
  for (const rule of r.spec?.rules ?? []) for (const b of rule.backendRefs ?? []) if ((b.kind ?? "Service") === "Service") backends.add(`${b.namespace ?? ns}/${b.name}`);
  return { kind: "HTTPRoute", key: keyOf(r), hosts: r.spec?.hostnames?.length ? [...r.spec.hostnames] : ["*"], backends: [...backends].sort() };
}

export function buildView(input: ViewInput): DashboardView {
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of input.endpointSlices) {
    const svc = slice.metadata.labels?.["kubernetes.io/service-name"];
    if (!svc) continue;
    const key = `${slice.metadata.namespace ?? "default"}/${svc}`;
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }
  const services = input.services.map((s) => viewService(s, slicesByService.get(keyOf(s)) ?? [])).sort(byKey);
  const pods = input.pods.map(viewPod).sort(byKey);
  const nodes = input.nodes.map(viewNode).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const routerService = services.find((s) => s.key === `${ROUTER_NAMESPACE}/${ROUTER_NAME}`);
  const routerPods = input.pods.filter((p) => p.metadata.namespace === ROUTER_NAMESPACE && p.metadata.labels?.[ROUTER_LABEL] === ROUTER_NAME).map(keyOf).sort();
  const routes = [...input.ingresses.map(ingressRoute), ...input.httpRoutes.map(httpRouteView)].sort(byKey);
  const router: ViewRouter | undefined =
    routerService || routerPods.length > 0
      ? {
          pods: routerPods,
          service: `${ROUTER_NAMESPACE}/${ROUTER_NAME}`,
          addresses: routerService?.loadBalancerIPs ?? [],
          gateways: input.gateways.map(keyOf).sort(),
          routes,
        }
      : undefined;
  return { cluster: input.cluster, ...(input.outsideIP ? { outsideIP: input.outsideIP } : {}), nodes, pods, services, ...(router ? { router } : {}) };
}
