// The HTTP hop through kemu's router, for `kemu trace`: which Ingress route a
// request's Host and path match, decided by the router's own translator and
// matcher over the same objects (so the trace and the router cannot
// disagree), and where the router's address is for a host. Pure.
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IIngressClass } from "kubernetes-models/networking.k8s.io/v1/IngressClass";
import { RouteMatcher } from "../../ingress/match.js";
import { servedIngresses, translateIngresses } from "../../ingress/translate-ingress.js";
import type { ObjectRef } from "./model.js";

type Ingress = IIngress & { metadata: NonNullable<IIngress["metadata"]> };
type IngressClass = IIngressClass & { metadata: NonNullable<IIngressClass["metadata"]> };

export interface RouteChoice {
  route?: ObjectRef;
  /** the Service the route sends to: namespace, name and its port (number or name) */
  backend?: { namespace: string; name: string; port: number | string };
}

/** `Ingress default/web rules[0].http.paths[1]` → the object and the part. */
export function routeSourceObject(source: string): ObjectRef | undefined {
  const m = /^(Ingress|HTTPRoute) ([^/\s]+)\/(\S+)(?: (.*))?$/.exec(source);
  return m ? { kind: m[1] as "Ingress" | "HTTPRoute", namespace: m[2], name: m[3]!, ...(m[4] ? { part: m[4] } : {}) } : undefined;
}

export function chooseIngressRoute(ingresses: Ingress[], classes: IngressClass[], host: string, path: string): RouteChoice {
  const decision = new RouteMatcher(translateIngresses(ingresses, classes)).match(host, path);
  if (decision.kind !== "route") return {};
  const route = routeSourceObject(decision.route.source);
  const b = decision.route.backends.find((w) => w.backend !== undefined && w.weight > 0)?.backend;
  return {
    ...(route ? { route } : {}),
    ...(b ? { backend: { namespace: b.namespace, name: b.service, port: "number" in b.port ? b.port.number : b.port.name } } : {}),
  };
}

/** The address a served Ingress for this host publishes (its status), as a client's DNS would point it there. */
export function ingressAddressFor(ingresses: Ingress[], classes: IngressClass[], host: string): string | undefined {
  const served = servedIngresses(ingresses, classes);
  const hostMatches = (rule: string | undefined) => rule === host || (rule?.startsWith("*.") && host.endsWith(rule.slice(1)) && !host.slice(0, -rule.length + 1).includes("."));
  const ing = served.find((i) => (i.spec?.rules ?? []).some((r) => hostMatches(r.host))) ?? served.find((i) => (i.spec?.rules ?? []).some((r) => r.host === undefined));
  return ing?.status?.loadBalancer?.ingress?.find((x) => x.ip)?.ip;
}
