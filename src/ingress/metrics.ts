// The router's request counts, under the name a user of an Ingress
// controller expects: ingress-nginx's nginx_ingress_controller_requests
// (counter; labels status, method, path, namespace, ingress, service, canary,
// host — metrics-per-host is on by default — and the constant
// controller_namespace, controller_class, controller_pod), served like
// ingress-nginx on :10254/metrics. Each worker process counts its own; the
// primary sums them per scrape.
import type http from "node:http";
import { Registry, type Counter } from "../metrics/registry.js";
import type { Route } from "./table.js";

export const ROUTER_CONTROLLER_CLASS = "kemu.dev/ingress-router";

export interface RequestMetricLabels {
  status: string;
  method: string;
  path: string;
  namespace: string;
  ingress: string;
  service: string;
  host: string;
}

/** The labels of one answered request (pure): the Ingress and Service from the route that matched, empty when none did. */
export function requestMetricLabels(method: string, hostHeader: string | undefined, status: number, route: Route | undefined): RequestMetricLabels {
  const fromIngress = route && /^Ingress ([^/\s]+)\/(\S+)/.exec(route.source);
  const backend = route?.backends.find((b) => b.backend)?.backend;
  const path = !route ? "" : route.path.kind === "regex" ? route.path.source : route.path.path;
  return {
    status: String(status),
    method: method.toUpperCase(),
    path,
    namespace: fromIngress ? fromIngress[1]! : (backend?.namespace ?? ""),
    ingress: fromIngress ? fromIngress[2]! : "",
    service: backend?.service ?? "",
    host: route ? (hostHeader ?? "").replace(/:\d+$/, "").toLowerCase() : "",
  };
}

export class RouterMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter;

  constructor(private readonly controller: { namespace: string; pod: string; class?: string }) {
    this.requests = this.registry.counter("nginx_ingress_controller_requests", "The total number of client requests", [
      "canary",
      "controller_class",
      "controller_namespace",
      "controller_pod",
      "host",
      "ingress",
      "method",
      "namespace",
      "path",
      "service",
      "status",
    ]);
  }

  record(l: RequestMetricLabels): void {
    const c = this.controller;
    this.requests.inc(["", c.class ?? ROUTER_CONTROLLER_CLASS, c.namespace, c.pod, l.host, l.ingress, l.method, l.namespace, l.path, l.service, l.status]);
  }

  /** Counts the request once its response has ended; `routeOf` tells the route it matched, if any. */
  track(req: http.IncomingMessage, res: http.ServerResponse, routeOf: (req: http.IncomingMessage) => Route | undefined): void {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.record(requestMetricLabels(req.method ?? "GET", req.headers.host, res.statusCode, routeOf(req)));
    };
    res.once("finish", finish);
    res.once("close", finish);
  }
}
