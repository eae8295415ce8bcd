// REST client of the kemu API over its unix socket: what the CLI, node agents
// and in-cluster pods (DNS, Ingress) use. Errors come back as ApiError.
import http from "node:http";
import { ApiError, type StatusObject } from "./errors.js";
import { collectionPath, type ResourceInfo } from "./resources.js";
import type { KubeList, KubeObject, Stored, WatchEvent } from "./types.js";
import type { ListOptions, DeleteOptions } from "./apiserver.js";
import type { ListWatchSource, WatchHandle } from "./informer.js";

export class ApiClient implements ListWatchSource {
  private readonly agent: http.Agent;

  constructor(readonly socketPath: string) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  close(): void {
    this.agent.destroy();
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path,
          // The User-Agent's product is the field manager the API server records for kemu's writes.
          headers: { "User-Agent": "kemu", ...(payload ? { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* plain text reply */
            }
            if ((res.statusCode ?? 500) >= 400) {
              const status = parsed as StatusObject | undefined;
              reject(status?.kind === "Status" ? ApiError.fromStatus(status) : new ApiError("InternalError", `${method} ${path}: HTTP ${res.statusCode}: ${text}`));
            } else resolve(parsed as T);
          });
          res.on("error", (err: NodeJS.ErrnoException) => reject(connectionError(this.socketPath, err)));
        },
      );
      req.on("error", (err: NodeJS.ErrnoException) => reject(connectionError(this.socketPath, err)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  get<T extends KubeObject = KubeObject>(resource: ResourceInfo, namespace: string | undefined, name: string): Promise<Stored<T>> {
    return this.request("GET", `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`);
  }

  async tryGet<T extends KubeObject = KubeObject>(resource: ResourceInfo, namespace: string | undefined, name: string): Promise<Stored<T> | undefined> {
    try {
      return await this.get<T>(resource, namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.reason === "NotFound") return undefined;
      throw err;
    }
  }

  list<T extends KubeObject = KubeObject>(resource: ResourceInfo, options: ListOptions = {}): Promise<KubeList<T>> {
    return this.request("GET", `${collectionPath(resource, options.namespace)}${query({ ...options })}`);
  }

  create<T extends KubeObject = KubeObject>(resource: ResourceInfo, obj: KubeObject, namespace?: string, opts: { dryRun?: boolean } = {}): Promise<Stored<T>> {
    const ns = namespace ?? obj.metadata?.namespace ?? (resource.namespaced ? "default" : undefined);
    return this.request("POST", `${collectionPath(resource, ns)}${opts.dryRun ? "?dryRun=All" : ""}`, obj);
  }

  update<T extends KubeObject = KubeObject>(resource: ResourceInfo, obj: KubeObject, opts: { dryRun?: boolean; subresource?: "status" } = {}): Promise<Stored<T>> {
    const ns = obj.metadata?.namespace ?? (resource.namespaced ? "default" : undefined);
    const path = `${collectionPath(resource, ns)}/${encodeURIComponent(obj.metadata?.name ?? "")}${opts.subresource ? `/${opts.subresource}` : ""}`;
    return this.request("PUT", `${path}${opts.dryRun ? "?dryRun=All" : ""}`, obj);
  }

  patch<T extends KubeObject = KubeObject>(resource: ResourceInfo, namespace: string | undefined, name: string, patch: unknown, subresource?: "status"): Promise<Stored<T>> {
    const path = `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ""}`;
    return this.request("PATCH", path, patch, "application/merge-patch+json");
  }

  delete(resource: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<Stored<KubeObject>> {
    return this.request("DELETE", `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`, {
      kind: "DeleteOptions",
      apiVersion: "v1",
      ...opts,
      ...(opts.dryRun ? { dryRun: ["All"] } : {}),
    });
  }

  /** Streams watch events; onEnd is called once when the stream ends for any reason. */
  watch(
    resource: ResourceInfo,
    options: ListOptions & { resourceVersion?: string },
    onEvent: (e: WatchEvent) => void,
    onEnd: (err?: Error) => void,
  ): WatchHandle {
    let ended = false;
    const end = (err?: Error) => {
      if (!ended) {
        ended = true;
        onEnd(err);
      }
    };
    const path = `${collectionPath(resource, options.namespace)}${query({ ...options, watch: "1" })}`;
    // Watches get their own connection: they stay open for as long as the watcher lives.
    const req = http.request({ socketPath: this.socketPath, method: "GET", path, agent: false }, (res) => {
      if ((res.statusCode ?? 500) >= 400) {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          let err: Error = new Error(`watch ${path}: HTTP ${res.statusCode}`);
          try {
            err = ApiError.fromStatus(JSON.parse(Buffer.concat(chunks).toString("utf8")) as StatusObject);
          } catch {
            /* keep the generic error */
          }
          end(err);
        });
        return;
      }
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (!line.trim()) continue;
          const event = JSON.parse(line) as WatchEvent | { type: "ERROR"; object: StatusObject };
          // The server ends a watch it cannot serve (410 Expired…) with an ERROR event: the watch fails with that Status.
          if (event.type === "ERROR") {
            end(ApiError.fromStatus(event.object as StatusObject));
            req.destroy();
            return;
          }
          onEvent(event as WatchEvent);
        }
      });
      res.on("end", () => end());
      res.on("error", (err: NodeJS.ErrnoException) => end(connectionError(this.socketPath, err)));
      res.on("close", () => end());
    });
    req.on("error", (err: NodeJS.ErrnoException) => end(connectionError(this.socketPath, err)));
    req.end();
    return { stop: () => { ended = true; req.destroy(); } };
  }
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "" && k !== "namespace") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The API socket could not be reached or dropped the connection: one line that says why, never a stack. */
export class ApiConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly socketPath: string,
  ) {
    super(message);
    this.name = "ApiConnectionError";
  }
}

function connectionError(socketPath: string, err: NodeJS.ErrnoException): Error {
  switch (err.code) {
    case "ENOENT":
    case "ECONNREFUSED":
      return new ApiConnectionError(`cannot reach the kemu API at ${socketPath} (${err.code}): is the cluster running? (kemu up)`, err.code, socketPath);
    case "EACCES":
    case "EPERM":
      return new ApiConnectionError(`permission denied: cannot connect to the kemu API at ${socketPath} (${err.code}): run kemu as root (sudo)`, err.code, socketPath);
    case "ECONNRESET":
    case "EPIPE":
      return new ApiConnectionError(`the kemu API at ${socketPath} closed the connection (${err.code}): did its control plane stop?`, err.code, socketPath);
    default:
      return err;
  }
}
