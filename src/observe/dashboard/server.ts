// `kemu dashboard`'s server: node:http on 127.0.0.1 only, a per-run token on
// every request and on the WebSocket upgrade, the page's three files, the
// live feeds over one WebSocket (topology, probe heatmap, flows, charts) and
// POST /api/trace. The feeds are started here and stopped with the server.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { WebSocketServer, WebSocket } from "ws";
import type { ProbeOptions } from "../../probe/options.js";
import type { ProbeMatrix } from "../../probe/model.js";
import { outsideIP } from "../../probe/execute.js";
import { PACKAGE_ROOT } from "../../paths.js";
import type { Flow } from "../flows/model.js";
import type { ScrapableCluster } from "../metrics/scrape.js";
import type { ObservedCluster } from "../snapshot.js";
import type { TraceRequest, TraceResult } from "../trace/model.js";
import { flowRow, keepRecent, type FlowRow } from "./flow-rows.js";
import type { ChartMessage, ServerMessage } from "./messages.js";
import { MetricsPoll } from "./metrics-poll.js";
import { ProbeLoop } from "./probe-loop.js";
import { TopologyWatch } from "./topology-watch.js";
import { hostAllowed, newToken, tokenMatches, tokenOfUrl } from "./token.js";
import { MAX_TRACE_BODY, parseTraceRequest, TraceRequestError } from "./trace-request.js";
import { traceDrawing } from "./trace-drawing.js";

/** The page's files: shipped as they are (no build), found from src/ and from dist/ alike. */
export const PAGE_DIR = join(PACKAGE_ROOT, "src", "observe", "dashboard", "page");
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

export type TraceRunner = (request: TraceRequest) => Promise<TraceResult>;
/** Starts a stream of flows; resolves once it is running. */
export type FlowSource = (onFlow: (flow: Flow) => void) => Promise<{ stop(): void | Promise<void> }>;

export interface DashboardCluster extends ObservedCluster, ScrapableCluster {
  probe(options: ProbeOptions): Promise<ProbeMatrix>;
}

export interface DashboardOptions {
  /** 0 (default): any free port */
  port?: number;
  /** run the reachability probe (default true) */
  probe?: boolean;
  /** poll the components' metrics (default true) */
  metrics?: boolean;
  trace?: TraceRunner;
  flows?: FlowSource;
  /** for tests: a known token */
  token?: string;
  /** problems worth a line on stderr (a feed that failed) */
  log?: (line: string) => void;
}

export interface DashboardServer {
  url: string;
  port: number;
  token: string;
  stop(): Promise<void>;
}

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

export async function startDashboard(cluster: DashboardCluster, options: DashboardOptions = {}): Promise<DashboardServer> {
  const token = options.token ?? newToken();
  const log = options.log ?? (() => undefined);
  const sockets = new Set<WebSocket>();
  const broadcast = (msg: ServerMessage) => {
    const text = JSON.stringify(msg);
    for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  };

  const probe =
    options.probe === false
      ? undefined
      : new ProbeLoop(
          () => cluster.probe({ allNamespaces: true }),
          (status, heatmap) => broadcast({ type: "probe", status, ...(heatmap ? { heatmap } : {}) }),
        );
  const topology = new TopologyWatch(cluster.api, cluster.name, outsideIP(cluster), (update) => broadcast({ type: "scene", update }), () => probe?.inputsChanged());
  let charts: ChartMessage[] = [];
  const metrics = options.metrics === false ? undefined : new MetricsPoll(cluster, (c) => ((charts = c), broadcast({ type: "charts", charts: c })));
  let flows: FlowRow[] | null = options.flows ? [] : null;
  let flowStream: { stop(): void | Promise<void> } | undefined;
  let pendingFlows: FlowRow[] = [];
  let flowTimer: ReturnType<typeof setTimeout> | undefined;

  await topology.start();
  probe?.inputsChanged();
  metrics?.start();
  if (options.flows) {
    try {
      flowStream = await options.flows((f) => {
        pendingFlows.push(flowRow(f));
        // Flows come in bursts: one message per 200 ms at most.
        flowTimer ??= setTimeout(() => {
          flowTimer = undefined;
          flows = keepRecent(flows ?? [], pendingFlows);
          broadcast({ type: "flows", rows: pendingFlows.slice(-200) });
          pendingFlows = [];
        }, 200);
      });
    } catch (err) {
      log(`dashboard: flows are not shown: ${err instanceof Error ? err.message : String(err)}`);
      flows = null;
    }
  }

  let port = 0;
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, port)) return send(res, 403, "text/plain; charset=utf-8", "forbidden: Host must be 127.0.0.1 or localhost\n");
    if (!tokenMatches(token, tokenOfUrl(req.url))) return send(res, 403, "text/plain; charset=utf-8", "forbidden: the URL needs the token kemu dashboard printed (?token=…)\n");
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    if (path === "/api/trace") return traceEndpoint(req, res);
    const page = PAGE_FILES[path];
    if (!page) return send(res, 404, "text/plain; charset=utf-8", `not found: ${path}\n`);
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", `${req.method}: only GET\n`, { allow: "GET, HEAD" });
    let body = await readFile(join(PAGE_DIR, page.file), "utf8");
    // The page's own files are fetched with the token too; it is base64url, safe in an attribute.
    if (page.file === "index.html") body = body.replaceAll("{{token}}", token);
    send(res, 200, page.type, body, {
      "content-security-policy": `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; base-uri 'none'; form-action 'none'`,
    });
  }

  async function traceEndpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = (status: number, value: unknown) => send(res, status, "application/json", JSON.stringify(value));
    if (req.method !== "POST") return send(res, 405, "text/plain; charset=utf-8", `${req.method}: only POST\n`, { allow: "POST" });
    if (!options.trace) return json(501, { error: "kemu trace is not available in this dashboard" });
    let text: string;
    try {
      text = await readBody(req, MAX_TRACE_BODY);
    } catch (err) {
      return json(413, { error: (err as Error).message });
    }
    let request: TraceRequest;
    try {
      request = parseTraceRequest(text);
    } catch (err) {
      if (err instanceof TraceRequestError) return json(400, { error: err.message });
      throw err;
    }
    try {
      const result = await options.trace(request);
      return json(200, { result, drawing: traceDrawing(result, topology.scene()) });
    } catch (err) {
      return json(422, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    if (path !== "/ws" || !hostAllowed(req.headers.host, port) || !tokenMatches(token, tokenOfUrl(req.url))) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on("close", () => sockets.delete(ws));
      ws.on("error", () => sockets.delete(ws));
      const p = probe?.current();
      const hello: ServerMessage = {
        type: "hello",
        cluster: cluster.name,
        scene: topology.scene(),
        probe: p?.status ?? { state: "off", message: "started with --no-probe" },
        ...(p?.heatmap ? { heatmap: p.heatmap } : {}),
        flows,
        charts,
        traceAvailable: options.trace !== undefined,
      };
      ws.send(JSON.stringify(hello));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new Error(`--port: ${options.port} is in use on 127.0.0.1; choose another, or 0 for any free port`) : err),
    );
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      topology.stop();
      probe?.stop();
      metrics?.stop();
      if (flowTimer) clearTimeout(flowTimer);
      await Promise.resolve(flowStream?.stop()).catch(() => undefined);
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());

  return { url: `http://127.0.0.1:${port}/?token=${token}`, port, token, stop };
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`body: larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
