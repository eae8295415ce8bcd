// The components that serve Prometheus metrics, where each one listens
// (its namespace and conventional port), and the names a user may call them by.
import { KemuError } from "../errors.js";

export const METRICS_COMPONENTS = ["kube-proxy", "coredns", "apiserver", "router"] as const;
export type MetricsComponent = (typeof METRICS_COMPONENTS)[number];

const ALIASES: Record<string, MetricsComponent> = { dns: "coredns", "kube-dns": "coredns", "kube-apiserver": "apiserver", ingress: "router" };

/** kube-proxy's metricsBindAddress port (upstream default 127.0.0.1:10249; kemu binds 0.0.0.0 in the node's namespace). */
export const KUBE_PROXY_METRICS_PORT = 10249;
/** CoreDNS's prometheus plugin default. */
export const COREDNS_METRICS_PORT = 9153;
/** ingress-nginx serves /metrics beside /healthz on 10254. */
export const ROUTER_METRICS_PORT = 10254;

/** The component a name means, or an error naming the argument and the choices. */
export function resolveComponent(name: string): MetricsComponent {
  const lower = name.toLowerCase();
  if ((METRICS_COMPONENTS as readonly string[]).includes(lower)) return lower as MetricsComponent;
  const alias = ALIASES[lower];
  if (alias) return alias;
  throw new KemuError(`COMPONENT: expected one of ${METRICS_COMPONENTS.join(", ")} (or dns), got ${JSON.stringify(name)}`);
}
