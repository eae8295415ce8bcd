// A route's backend as the router reaches it: the Service's ready endpoints
// (pod IP and target port, from its EndpointSlices), not its ClusterIP —
// ingress-nginx's "endpoints, not services" (../shared/reference/ingress.md
// §7), which is what makes affinity and retries on another pod possible.
// The Ingress names the Service's port (number or name); the slices carry
// the target port under that port's name. Headless Services work too. Pure.
import type { EndpointSlice, Service } from "../api/types.js";
import { endpointsOf } from "../agent/proxy/model.js";
import type { ServiceBackend } from "./table.js";
import type { Resolution } from "./proxy/endpoint.js";

export type { Endpoint, Resolution } from "./proxy/endpoint.js";

export interface BackendObjects {
  service(namespace: string, name: string): Service | undefined;
  /** the EndpointSlices of one Service (label kubernetes.io/service-name) */
  slices(namespace: string, name: string): EndpointSlice[];
}

export function resolveBackend(backend: ServiceBackend, objects: BackendObjects): Resolution {
  const what = `service ${backend.namespace}/${backend.service}`;
  const svc = objects.service(backend.namespace, backend.service);
  if (!svc) return { error: `${what} not found` };
  if (svc.spec?.type === "ExternalName") return { error: `${what} is of type ExternalName, which kemu's router does not proxy to` };
  const port = (svc.spec?.ports ?? []).find((p) => ("number" in backend.port ? p.port === backend.port.number : p.name === backend.port.name));
  if (!port) return { error: `${what} has no port ${"number" in backend.port ? backend.port.number : JSON.stringify(backend.port.name)}` };
  if ((port.protocol ?? "TCP") !== "TCP") return { error: `${what} port ${port.port} is ${port.protocol}, not TCP` };
  const endpoints = endpointsOf({ namespace: backend.namespace, name: backend.service, portName: port.name ?? "", protocol: "TCP" }, objects.slices(backend.namespace, backend.service), "");
  return { endpoints: endpoints.filter((e) => e.ready).map((e) => ({ ip: e.ip, port: e.port })) };
}
