// Kubernetes-style REST front end of the API server, served on a unix socket.
// Paths, verbs, query parameters and Status errors follow the real API so
// that later a TCP listener can serve kubectl with the same handler.
import http from "node:http";
import type { Duplex } from "node:stream";
import { existsSync, unlinkSync } from "node:fs";
import type { ApiServer, FieldValidation } from "./apiserver.js";
import { ApiError, fieldErrors } from "./errors.js";
import { apiVersionOf, type ResourceInfo } from "./resources.js";
import { parsePath } from "./request-path.js";
import type { KubeObject, WatchEvent } from "./types.js";
import { decodeBody, mediaType, readBody } from "./body.js";
import { APPLY_PATH, applyAll, parseApplyRequest } from "./apply-all.js";
import { discoveryResponse } from "./discovery.js";
import { openApiIndex, servedOpenApiDocument } from "./openapi.js";
import { negotiateTable, parseIncludeObject, tableContentType, toTable, type TableRequest } from "./table/index.js";
import { isWatch, parseListRequest, parseWatchRequest, startsWithInitialEvents, type WatchRequestOptions } from "./list-options.js";
import { hasScaleSubresource, hasStatusSubresource } from "./subresources.js";
import { evict } from "./eviction.js";
import { managerFromUserAgent } from "./managedfields/managed-fields.js";
import { duplicateFields } from "./duplicate-fields.js";
import { refuseUpgrade } from "./stream/refuse.js";
import { createReview, reviewAt } from "./authorization.js";
import { ApiMetrics } from "./metrics.js";

/** Extra routes the daemon adds (pod logs, kemu's own control endpoints). */
export interface ExtraRoutes {
  podLog?(namespace: string, name: string, query: URLSearchParams, res: http.ServerResponse, req: http.IncomingMessage): Promise<void>;
  kemu?(path: string, method: string, body: unknown): Promise<unknown>;
  /** Upgrade requests (WebSocket, SPDY) on a pod's exec, attach or portforward subresource; the handler owns the socket from then on. */
  podUpgrade?(subresource: string, namespace: string, name: string, query: URLSearchParams, req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
}

/** The pod subresources served over an upgraded connection. */
export const POD_STREAM_SUBRESOURCES = ["exec", "attach", "portforward"];

export interface RestServerOptions {
  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK (upstream: about a minute). */
  bookmarkIntervalMs?: number;
}

/** The annotation of the bookmark that ends a watch's initial events (metav1.InitialEventsAnnotationKey). */
export const INITIAL_EVENTS_END = "k8s.io/initial-events-end";

const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;



export class RestServer {
  /** Public so that the HTTPS endpoint (https.ts) hands its authenticated requests and upgrades to it. */
  readonly server: http.Server;
  private readonly openWatches = new Set<http.ServerResponse>();
  /** apiserver_request_total and …_duration_seconds, served on /metrics (here and, authenticated, over HTTPS) */
  readonly metrics = new ApiMetrics();

  private readonly bookmarkIntervalMs: number;

  constructor(
    private readonly api: ApiServer,
    private readonly extra: ExtraRoutes = {},
    options: RestServerOptions = {},
  ) {
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS;
    this.server = http.createServer((req, res) => {
      this.metrics.track(req, res);
      this.handle(req, res).catch((err: unknown) => sendError(req, res, err));
    });
    this.server.keepAliveTimeout = 60_000;
    this.server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(req, socket, head).catch((err: unknown) => refuseUpgrade(socket, err));
    });
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? "/", "http://kemu");
    const route = parsePath(url.pathname);
    const sub = route?.subresource;
    if (route?.resource.kind !== "Pod" || !route.name || !sub || !POD_STREAM_SUBRESOURCES.includes(sub) || !this.extra.podUpgrade) {
      throw new ApiError("NotFound", `the server could not find the requested resource (${req.method ?? "GET"} ${url.pathname} with Upgrade: ${String(req.headers.upgrade)})`);
    }
    return this.extra.podUpgrade(sub, route.namespace ?? "default", route.name, url.searchParams, req, socket, head);
  }

  listen(socketPath: string): Promise<void> {
    if (existsSync(socketPath)) unlinkSync(socketPath);
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(socketPath, () => resolve());
    });
  }

  close(): Promise<void> {
    for (const res of this.openWatches) res.end();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://kemu");
    const method = req.method ?? "GET";
    const raw = method === "GET" || method === "HEAD" ? undefined : await readBody(req);
    const text = raw?.toString("utf8");
    // The bytes, not the text: a protobuf body is binary.
    const body = raw === undefined ? undefined : decodeBody(raw, req.headers["content-type"], method);

    if (url.pathname === "/healthz" || url.pathname === "/readyz" || url.pathname === "/livez") return sendText(res, 200, "ok");
    if (url.pathname === "/metrics" && method === "GET") return sendText(res, 200, this.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
    if (url.pathname === "/version") return sendJson(res, 200, { major: "1", minor: "32", gitVersion: "v1.32.0-kemu", gitCommit: "", gitTreeState: "clean", buildDate: "1970-01-01T00:00:00Z", goVersion: process.version, compiler: "gc", platform: "linux/amd64" });
    if (url.pathname === APPLY_PATH) {
      if (method !== "POST") throw new ApiError("MethodNotAllowed", `${method} is not supported on ${APPLY_PATH}`);
      return sendJson(res, 200, applyAll(this.api, parseApplyRequest(body)));
    }
    if (url.pathname.startsWith("/kemu/") && this.extra.kemu) return sendJson(res, 200, await this.extra.kemu(url.pathname, method, body));
    const found = method === "GET" ? discoveryResponse(url.pathname, req.headers.accept) : undefined;
    if (found) return sendJson(res, 200, found.body, found.contentType);
    if (url.pathname === "/openapi/v3" || url.pathname.startsWith("/openapi/v3/")) return serveOpenApi(url, res);
    // SelfSubjectAccessReview and SelfSubjectRulesReview: answered, never stored (authorization.ts).
    const review = reviewAt(url.pathname);
    if (review) return sendJson(res, 201, createReview(review, method, body));

    const route = parsePath(url.pathname);
    if (!route) throw new ApiError("NotFound", `the server could not find the requested resource (${method} ${url.pathname})`);
    const q = url.searchParams;
    const dryRun = q.get("dryRun") === "All";
    // Writes: unknown fields warned about by default, as upstream (kubectl sends Strict); the warnings go out as Warning headers.
    const warnings: string[] = [];
    // …and recorded in managedFields under fieldManager, or the User-Agent's product name (upstream's default).
    const validation =
      method === "POST" || method === "PUT" || method === "PATCH"
        ? {
            fieldValidation: fieldValidationOf(q, method),
            warnings,
            fieldManager: q.get("fieldManager") ?? undefined,
            defaultFieldManager: managerFromUserAgent(req.headers["user-agent"]),
            // Only an object body's keys are fields (a JSON patch is a list of operations; YAML is not JSON).
            duplicateFields: text !== undefined && isPlainJsonObject(body) && /json/.test(mediaType(req.headers["content-type"])) ? duplicateFields(text) : [],
          }
        : {};
    const writeWarnings = () => {
      if (warnings.length && !res.headersSent) res.setHeader("Warning", warnings.map(warningHeader));
    };
    const { resource, namespace, name, subresource } = route;
    // kubectl get asks for a Table (reference §5); other clients get objects.
    const tableVersion = method === "GET" ? negotiateTable(req.headers.accept) : undefined;
    const table: TableRequest | undefined = tableVersion && { version: tableVersion, includeObject: parseIncludeObject(q.get("includeObject")) };

    if (subresource === "log" && resource.kind === "Pod" && name && method === "GET") {
      if (!this.extra.podLog) throw new ApiError("NotFound", "logs are not served here");
      this.api.get(resource, namespace, name);
      return this.extra.podLog(namespace ?? "default", name, q, res, req);
    }
    // policy/v1 Eviction: deleted as the pod's disruption budget allows (eviction.ts)
    if (subresource === "eviction" && resource.kind === "Pod" && name) {
      if (method !== "POST") throw new ApiError("MethodNotAllowed", `${method} is not supported on the eviction subresource`);
      return sendJson(res, 201, evict(this.api, namespace ?? "default", name, body));
    }
    if (subresource === "scale" && name && hasScaleSubresource(resource)) {
      switch (method) {
        case "GET":
          return sendJson(res, 200, this.api.getScale(resource, namespace, name));
        case "PUT":
          return sendJson(res, 200, this.api.updateScale(resource, namespace, name, body, { dryRun, ...validation, managedSubresource: "scale" }));
        case "PATCH":
          return sendJson(
            res,
            200,
            this.api.patchScale(resource, namespace, name, body, mediaType(req.headers["content-type"]) || "application/merge-patch+json", { dryRun, ...validation, managedSubresource: "scale" }),
          );
        default:
          throw new ApiError("MethodNotAllowed", `${method} is not supported on the scale subresource`);
      }
    }
    // Only kinds whose status is a subresource upstream have …/status (subresources.ts).
    if (subresource && !(subresource === "status" && hasStatusSubresource(resource))) {
      throw new ApiError("NotFound", `the server could not find the requested resource (${subresource})`);
    }

    if (!name) {
      const listOptions = { namespace, labelSelector: q.get("labelSelector") ?? undefined, fieldSelector: q.get("fieldSelector") ?? undefined };
      if (method === "GET" && isWatch(q)) return this.serveWatch(resource, listOptions, parseWatchRequest(q), res, table);
      if (method === "GET") {
        const list = this.api.list(resource, { ...listOptions, ...parseListRequest(q) });
        const metadata = {
          resourceVersion: list.resourceVersion,
          ...(list.continue ? { continue: list.continue } : {}),
          ...(list.remainingItemCount !== undefined ? { remainingItemCount: list.remainingItemCount } : {}),
        };
        if (table) return sendJson(res, 200, { ...toTable(resource, list.items, metadata, table, Date.now()), metadata }, tableContentType(table.version));
        return sendJson(res, 200, { apiVersion: apiVersionOf(resource), kind: resource.listKind, metadata, items: list.items });
      }
      if (method === "POST") {
        const created = this.api.create(resource, asObject(body), namespace, { dryRun, ...validation });
        writeWarnings();
        return sendJson(res, 201, created);
      }
      throw new ApiError("MethodNotAllowed", `${method} is not supported on a collection`);
    }

    const sub = subresource === "status" ? ("status" as const) : undefined;
    switch (method) {
      case "GET": {
        const obj = this.api.get(resource, namespace, name);
        if (table) return sendJson(res, 200, toTable(resource, [obj], { resourceVersion: obj.metadata.resourceVersion }, table, Date.now()), tableContentType(table.version));
        return sendJson(res, 200, obj);
      }
      case "PUT": {
        const obj = asObject(body);
        if (obj.metadata?.name && obj.metadata.name !== name) throw new ApiError("BadRequest", `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
        // A metadata of the wrong type is left for the type check to name.
        if (obj.metadata === undefined || (typeof obj.metadata === "object" && obj.metadata !== null && !Array.isArray(obj.metadata))) obj.metadata = { ...(obj.metadata ?? {}), name };
        const updated = this.api.update(resource, obj, namespace, { dryRun, subresource: sub, ...validation });
        writeWarnings();
        return sendJson(res, 200, updated);
      }
      case "PATCH": {
        const force = q.get("force") === null ? undefined : q.get("force") === "true";
        const options = { dryRun, subresource: sub, force, ...validation };
        const patched = this.api.patchWithResult(resource, namespace, name, body, mediaType(req.headers["content-type"]) || "application/merge-patch+json", options);
        writeWarnings();
        return sendJson(res, patched.created ? 201 : 200, patched.object);
      }
      case "DELETE": {
        const opts = (body ?? {}) as { gracePeriodSeconds?: number; propagationPolicy?: "Background" | "Foreground" | "Orphan" };
        const grace = q.get("gracePeriodSeconds");
        return sendJson(
          res,
          200,
          this.api.delete(resource, namespace, name, {
            dryRun,
            gracePeriodSeconds: grace !== null ? Number(grace) : opts.gracePeriodSeconds,
            propagationPolicy: (q.get("propagationPolicy") as typeof opts.propagationPolicy) ?? opts.propagationPolicy,
          }),
        );
      }
      default:
        throw new ApiError("MethodNotAllowed", `${method} is not supported`);
    }
  }

  /**
   * A watch stream (chunked, one JSON event a line). Errors the store raises
   * once the request is accepted — 410 Expired, 504 too large — come as an
   * ERROR event carrying the Status, as upstream's cacher answers them.
   * With allowWatchBookmarks, a BOOKMARK every bookmarkIntervalMs; with
   * sendInitialEvents=true, one annotated k8s.io/initial-events-end after the
   * current objects; timeoutSeconds ends the stream.
   */
  private serveWatch(
    resource: ResourceInfo,
    listOptions: { namespace?: string; labelSelector?: string; fieldSelector?: string },
    request: WatchRequestOptions,
    res: http.ServerResponse,
    table?: TableRequest,
  ): void {
    // With a Table, each event carries a Table of one row; only the first has column definitions (apiserver watch.go).
    let headersSent = false;
    const asTable = (e: WatchEvent): unknown => {
      if (!table || e.type === "ERROR") return e;
      const rows = e.type === "BOOKMARK" ? [] : [e.object];
      const t = toTable(resource, rows, { resourceVersion: e.object.metadata?.resourceVersion }, { ...table, noHeaders: headersSent }, Date.now());
      headersSent = true;
      return { type: e.type, object: t };
    };
    const write = (e: WatchEvent) => res.write(`${JSON.stringify(asTable(e))}\n`);
    const bookmark = (annotations?: Record<string, string>): WatchEvent => ({
      type: "BOOKMARK",
      object: {
        kind: resource.kind,
        apiVersion: apiVersionOf(resource),
        metadata: { resourceVersion: this.api.store.resourceVersion, ...(annotations ? { annotations } : {}) },
      } as unknown as WatchEvent["object"],
    });
    const initialEvents = startsWithInitialEvents(request);
    const buffered: WatchEvent[] = [];
    let ready = false;
    let stop: () => void;
    try {
      stop = this.api.watch(resource, { ...listOptions, resourceVersion: request.resourceVersion, initialEvents }, (e) => (ready ? write(e) : buffered.push(e)));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
      res.end(`${JSON.stringify({ type: "ERROR", object: err.toStatus() })}\n`);
      return;
    }
    // Taken in the same tick as the subscription: every change up to it is in `buffered` or before it.
    if (request.sendInitialEvents === true && request.allowWatchBookmarks) buffered.push(bookmark({ [INITIAL_EVENTS_END]: "true" }));
    res.writeHead(200, { "Content-Type": table ? tableContentType(table.version) : "application/json", "Transfer-Encoding": "chunked" });
    res.flushHeaders();
    for (const e of buffered) write(e);
    ready = true;
    this.openWatches.add(res);
    const timers: NodeJS.Timeout[] = [];
    if (request.allowWatchBookmarks) timers.push(setInterval(() => write(bookmark()), this.bookmarkIntervalMs));
    if (request.timeoutSeconds !== undefined) timers.push(setTimeout(() => res.end(), request.timeoutSeconds * 1000));
    for (const t of timers) t.unref();
    res.on("close", () => {
      for (const t of timers) clearTimeout(t);
      stop();
      this.openWatches.delete(res);
    });
  }
}

/**
 * /openapi/v3 (the index) and /openapi/v3/<api/v1|apis/group/version>. A
 * hash that is not the document's current one is redirected to the current
 * URL, as kube-openapi does; the current one may be cached for good.
 */
function serveOpenApi(url: URL, res: http.ServerResponse): void {
  if (url.pathname === "/openapi/v3" || url.pathname === "/openapi/v3/") return sendJson(res, 200, openApiIndex());
  const path = url.pathname.slice("/openapi/v3/".length).replace(/\/$/, "");
  const doc = servedOpenApiDocument(path);
  if (!doc) throw new ApiError("NotFound", `the server could not find the requested resource (GET ${url.pathname})`);
  const hash = url.searchParams.get("hash");
  if (hash && hash !== doc.hash) {
    res.writeHead(301, { Location: `/openapi/v3/${path}?hash=${doc.hash}`, "Content-Length": 0 });
    res.end();
    return;
  }
  res.writeHead(200, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(doc.body),
    Etag: `"${doc.hash}"`,
    Vary: "Accept",
    // Only with the current hash: that URL's content never changes.
    ...(hash ? { "Cache-Control": "public, immutable", Expires: new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString() } : {}),
  });
  res.end(doc.body);
}

const FIELD_VALIDATIONS: readonly string[] = ["Ignore", "Warn", "Strict"];

function isPlainJsonObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The fieldValidation query parameter ("" or absent: Warn, upstream's default); 422 on the options for another value. */
function fieldValidationOf(q: URLSearchParams, method: string): FieldValidation {
  const v = q.get("fieldValidation") ?? "";
  if (v === "") return "Warn";
  if (FIELD_VALIDATIONS.includes(v)) return v as FieldValidation;
  const options = method === "POST" ? "CreateOptions" : method === "PUT" ? "UpdateOptions" : "PatchOptions";
  throw ApiError.invalid(options, "meta.k8s.io", "", [fieldErrors.notSupported("fieldValidation", v, ["", "Ignore", "Strict", "Warn"])]);
}

/** A Warning header value as the API server writes one (RFC 7234: code 299, agent "-", the text quoted). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

function asObject(body: unknown): KubeObject {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError("BadRequest", "the request body must be a JSON object");
  return body as KubeObject;
}

export function sendJson(res: http.ServerResponse, code: number, value: unknown, contentType = "application/json"): void {
  const text = JSON.stringify(value);
  res.writeHead(code, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: http.ServerResponse, code: number, text: string, contentType = "text/plain"): void {
  res.writeHead(code, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Answers with a Status. An unexpected error is logged with its stack (the
 * daemon log) and the client gets one line: stack traces never leave the process.
 */
function sendError(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
  let apiErr: ApiError;
  if (err instanceof ApiError) apiErr = err;
  else {
    console.error(`api: ${req.method ?? "?"} ${req.url ?? "?"}: ${(err as Error)?.stack ?? String(err)}`);
    apiErr = new ApiError("InternalError", `Internal error occurred: ${oneLine(err)}`);
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  // A body refused unread is discarded as it arrives (never held), and the
  // connection stays open meanwhile: closing it while the client still sends
  // would cut the answer off with EPIPE on the client's side. A body that
  // has not ended after a while has its connection cut.
  if (apiErr.reason === "RequestEntityTooLarge" && !req.readableEnded) {
    req.resume();
    const cut = setTimeout(() => req.destroy(), DISCARD_MS);
    cut.unref();
    req.once("end", () => clearTimeout(cut));
    req.once("close", () => clearTimeout(cut));
  }
  const status = apiErr.toStatus();
  sendJson(res, status.code, status);
}

/** How long the rest of a refused body is read and thrown away before the connection is cut. */
const DISCARD_MS = 10_000;

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]!.slice(0, 200);
}
