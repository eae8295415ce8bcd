// kube-apiserver's request metrics (staging/src/k8s.io/apiserver/pkg/
// endpoints/metrics/metrics.go): apiserver_request_total and
// apiserver_request_duration_seconds with upstream's labels, buckets and
// verb rules — GET vs LIST by scope, WATCH for ?watch=true, APPLY for a
// server-side apply PATCH, CONNECT for exec/attach/portforward/log/proxy,
// POST/PUT/PATCH/DELETE otherwise (a collection DELETE reports DELETE, as
// upstream's MonitorRequest does). Recorded when the response ends; the
// per-request cost is one label computation and two map updates.
import type http from "node:http";
import { Registry, type Counter, type Histogram } from "../metrics/registry.js";
import { parsePath } from "./request-path.js";

/** Upstream's buckets for apiserver_request_duration_seconds (chosen for the API call latency SLO). */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

/** upstream's validConnectRequests: these subresources report the CONNECT verb */
const CONNECT_SUBRESOURCES = new Set(["log", "exec", "portforward", "attach", "proxy"]);

/** Paths that are not resources, recorded with the path as the subresource and no scope, as upstream does for its own handlers. */
const NON_RESOURCE_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version", "/metrics", "/api", "/apis", "/openapi/v2", "/openapi/v3"]);

const APPLY_CONTENT_TYPE = "application/apply-patch+yaml";

export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
}

/** The labels of a request as upstream reports them, or undefined for a path it would not record (an unknown one). Pure. */
export function requestLabels(method: string, rawUrl: string, contentType: string | undefined): RequestLabels | undefined {
  const url = new URL(rawUrl, "http://kemu");
  const upper = method.toUpperCase();
  const route = parsePath(url.pathname);
  if (!route) {
    const path = url.pathname.replace(/\/$/, "") || "/";
    const known = NON_RESOURCE_PATHS.has(path) || path.startsWith("/apis/") || path.startsWith("/api/");
    if (!known) return undefined;
    // Discovery documents (/apis/<group>/<version>, /api/v1) count under their path too.
    return { verb: upper === "HEAD" ? "GET" : upper, dry_run: dryRunLabel(url), group: "", version: "", resource: "", subresource: path, scope: "" };
  }
  const { resource, namespace, name, subresource } = route;
  const create = upper === "POST" && !name;
  const scope = name || create ? "resource" : namespace !== undefined ? "namespace" : "cluster";
  let verb = upper === "GET" || upper === "HEAD" ? (scope === "resource" ? "GET" : "LIST") : upper;
  const watch = url.searchParams.get("watch");
  if ((upper === "GET" || upper === "HEAD") && watch !== null && watch.toLowerCase() !== "false" && watch !== "0") verb = "WATCH";
  if (upper === "PATCH" && (contentType ?? "").split(";")[0]!.trim() === APPLY_CONTENT_TYPE) verb = "APPLY";
  if (subresource && CONNECT_SUBRESOURCES.has(subresource)) verb = "CONNECT";
  return { verb, dry_run: dryRunLabel(url), group: resource.group, version: resource.version, resource: resource.plural, subresource: subresource ?? "", scope };
}

/** upstream's cleanDryRun: "" without the parameter, its values sorted and deduplicated, "invalid" for anything but All. */
function dryRunLabel(url: URL): string {
  if (!url.search.includes("dryRun")) return "";
  const values = url.searchParams.getAll("dryRun");
  if (values.some((v) => v !== "All")) return "invalid";
  return [...new Set(values)].sort().join(",");
}

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter;
  private readonly durations: Histogram;

  constructor() {
    const labels = ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"];
    this.requests = this.registry.counter(
      "apiserver_request_total",
      "[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
      [...labels, "code"],
    );
    this.durations = this.registry.histogram(
      "apiserver_request_duration_seconds",
      "[STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
      REQUEST_DURATION_BUCKETS,
      labels,
    );
  }

  record(l: RequestLabels, code: number, seconds: number): void {
    const values = [l.verb, l.dry_run, l.group, l.version, l.resource, l.subresource, l.scope, "apiserver"];
    this.durations.observe(seconds, values);
    values.push(String(code));
    this.requests.inc(values);
  }

  /** Records the request once its response has ended (or its connection closed: a watch). */
  track(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = performance.now();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const labels = requestLabels(req.method ?? "GET", req.url ?? "/", req.headers["content-type"]);
      if (labels) this.record(labels, res.statusCode, (performance.now() - started) / 1000);
    };
    res.once("finish", finish);
    res.once("close", finish);
  }

  render(): string {
    return this.registry.render();
  }
}
