// Each Gateway of kemu's class gets an address of its own, as Gateway API
// implementations give one (Envoy Gateway: a LoadBalancer Service per
// Gateway): a LoadBalancer Service in the router's namespace, selecting the
// router's pods, with one port per listener port. Its targetPort is the
// router's internal port for that Gateway and port, so two Gateways may both
// listen on 80 and the router still knows which one a connection is for.
// Internal ports are stable: a port once given stays with its Gateway while
// the Gateway declares that listener port. Pure: desired Services from the
// Gateways and the Services there are now.
import { fnv32a, safeEncode } from "../controllers/hash.js";
import type { Service } from "../api/types.js";

/** Names the Gateway a Service serves (`namespace/name`): the annotation is the truth, the label is for selecting. */
export const GATEWAY_ANNOTATION = "gateway.kemu.dev/gateway";
export const GATEWAY_LABEL = "gateway.kemu.dev/gateway-hash";
/** The router's internal ports for Gateways (above the Ingress ports and the health port). */
export const INTERNAL_PORTS = { first: 20000, last: 29999 } as const;

export interface GatewayRef {
  namespace: string;
  name: string;
  /** the distinct listener ports, as declared */
  ports: number[];
}

export interface GatewayServicePlan {
  create: Service[];
  update: Service[];
  /** names of Services (in the router's namespace) whose Gateway is gone */
  delete: string[];
}

const keyOf = (g: { namespace: string; name: string }) => `${g.namespace}/${g.name}`;

/** `gateway-<ns>-<name>` cut to fit a DNS label, with a hash so two long names never meet. */
export function gatewayServiceName(g: { namespace: string; name: string }): string {
  const hash = safeEncode(fnv32a(keyOf(g)));
  const base = `gateway-${g.namespace}-${g.name}`.replace(/\./g, "-").slice(0, 62 - hash.length).replace(/-+$/, "");
  return `${base}-${hash}`;
}

/** The Gateway a Service was made for, or undefined for any other Service. */
export function gatewayOfService(svc: Service): string | undefined {
  return svc.metadata?.annotations?.[GATEWAY_ANNOTATION];
}

/** Which internal port serves a Gateway's listener port, from its Service (undefined: not made yet). */
export function internalPortOf(svc: Service | undefined, listenerPort: number): number | undefined {
  const p = svc?.spec?.ports?.find((x) => x.port === listenerPort);
  return typeof p?.targetPort === "number" ? p.targetPort : undefined;
}

export function planGatewayServices(gateways: GatewayRef[], existing: Service[], router: { namespace: string; selector: Record<string, string> }): GatewayServicePlan {
  const byGateway = new Map<string, Service>();
  for (const svc of existing) {
    const g = gatewayOfService(svc);
    if (g !== undefined && svc.metadata?.namespace === router.namespace) byGateway.set(g, svc);
  }
  const wanted = new Set(gateways.map(keyOf));
  const plan: GatewayServicePlan = { create: [], update: [], delete: [] };
  for (const [g, svc] of byGateway) if (!wanted.has(g)) plan.delete.push(svc.metadata!.name!);

  // Ports in use by the Services that stay; new ones take the lowest free.
  const used = new Set<number>();
  for (const gw of gateways) {
    const svc = byGateway.get(keyOf(gw));
    for (const port of gw.ports) {
      const internal = internalPortOf(svc, port);
      if (internal !== undefined) used.add(internal);
    }
  }
  let next: number = INTERNAL_PORTS.first;
  const allocate = (): number | undefined => {
    while (next <= INTERNAL_PORTS.last && used.has(next)) next++;
    if (next > INTERNAL_PORTS.last) return undefined;
    used.add(next);
    return next;
  };

  for (const gw of [...gateways].sort((a, b) => keyOf(a).localeCompare(keyOf(b)))) {
    const svc = byGateway.get(keyOf(gw));
    const ports = [...new Set(gw.ports)].sort((a, b) => a - b).flatMap((port) => {
      const internal = internalPortOf(svc, port) ?? allocate();
      return internal === undefined ? [] : [{ name: `port-${port}`, port, targetPort: internal, protocol: "TCP" }];
    });
    const spec = { type: "LoadBalancer", externalTrafficPolicy: "Local", selector: router.selector, ports };
    if (!svc) {
      if (ports.length === 0) continue; // the API refuses a Service without ports
      plan.create.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: gatewayServiceName(gw),
          namespace: router.namespace,
          labels: { [GATEWAY_LABEL]: safeEncode(fnv32a(keyOf(gw))), "app.kubernetes.io/part-of": "kemu" },
          annotations: { [GATEWAY_ANNOTATION]: keyOf(gw) },
        },
        spec,
      } as Service);
      continue;
    }
    const current = svc.spec ?? {};
    const samePorts = JSON.stringify((current.ports ?? []).map((p) => [p.name, p.port, p.targetPort, p.protocol ?? "TCP"])) === JSON.stringify(ports.map((p) => [p.name, p.port, p.targetPort, p.protocol]));
    const sameSelector = JSON.stringify(current.selector ?? {}) === JSON.stringify(router.selector);
    if (!samePorts || !sameSelector) {
      // A Service with no ports is refused by the API: a Gateway without listener ports keeps its last ones until it has some.
      if (ports.length === 0) continue;
      plan.update.push({ ...svc, spec: { ...current, selector: router.selector, ports } } as Service);
    }
  }
  return plan;
}
