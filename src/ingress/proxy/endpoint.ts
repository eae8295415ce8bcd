// What a route's backend resolves to at request time. The controller
// resolves a ServiceBackend to the Service's ready endpoints (pod IP and
// target port), as ingress-nginx does (../shared/reference/ingress.md §7
// "Endpoints, not ClusterIP").

export interface Endpoint {
  ip: string;
  port: number;
}

/** What a route's backend resolves to now: ready endpoints (maybe none), or why it cannot be resolved. */
export type Resolution = { endpoints: Endpoint[] } | { error: string };

export function endpointKey(e: Endpoint): string {
  return e.ip.includes(":") ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}
