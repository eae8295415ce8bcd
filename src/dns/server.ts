// The DNS server: UDP and TCP (2-byte length framing, pipelined, replies in
// completion order as RFC 7766 allows) on one host/port, plus CoreDNS's
// health (:8080/health), ready (:8181/ready) and prometheus (:9153/metrics)
// endpoints.
//
// With `workers: n` the process forks n workers with node:cluster; each
// builds its own index from the API (over the unix socket) and serves the same
// UDP/TCP port (the cluster shares the bound handles; TCP connections are
// accepted by the workers directly). The primary serves the HTTP endpoints:
// /ready is OK when every worker has synced, and /metrics sums the workers'
// counters, which it asks them for over IPC.
import cluster, { type Worker } from "node:cluster";
import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { ApiClient } from "../api/client.js";
import type { ListWatchSource } from "../api/informer.js";
import { DnsHandler } from "./handler.js";
import { KubernetesIndex } from "./kubernetes/index.js";
import { ZoneIndex } from "./kubernetes/records.js";
import { ForwardCache } from "./forward/cache.js";
import { Forwarder, parseUpstream } from "./forward/forwarder.js";
import { Metrics, renderMetrics, type MetricsSnapshot } from "./metrics.js";

export interface DnsServerOptions {
  /** where Services, EndpointSlices and Namespaces come from (in-process; not with workers) */
  source?: ListWatchSource;
  /** the API's unix socket (used when `source` is not given; required with workers) */
  apiSocket?: string;
  zone?: string;
  /** the kube-dns ClusterIP: glue of ns.dns.<zone> */
  dnsIp?: string;
  ttl?: number;
  pods?: "insecure" | "disabled";
  /** "ip:port" of the upstream servers, tried in order; none: REFUSED for names outside the zone */
  upstreams?: string[];
  forwardTimeoutMs?: number;
  maxConcurrent?: number;
  cacheSize?: number;
  cacheMaxTtl?: number;
  cacheMaxDenialTtl?: number;
  /** listen address of UDP and TCP (0.0.0.0) */
  host?: string;
  /** 53; 0 picks a free port (the same for UDP and TCP) */
  port?: number;
  /** listen address of the HTTP endpoints (defaults to host) */
  httpHost?: string;
  /** null: not served; 0: a free port */
  healthPort?: number | null;
  readyPort?: number | null;
  metricsPort?: number | null;
  /** fork this many worker processes (node:cluster); 0 serves in this process */
  workers?: number;
}

export interface RunningDnsServer {
  /** the UDP and TCP port */
  readonly port: number;
  readonly healthPort?: number;
  readonly readyPort?: number;
  readonly metricsPort?: number;
  /** the index (single-process mode only) */
  readonly index?: KubernetesIndex;
  /** true once the kubernetes index has synced (every worker's, with workers) */
  ready(): boolean;
  /** resolves when ready() becomes true */
  whenReady(): Promise<void>;
  /** the Prometheus exposition (summed over workers) */
  metricsText(): Promise<string>;
  /** lameduck: keeps serving, but /ready fails from now on */
  drain(): void;
  /** stops accepting queries, closes everything; workers exit */
  close(): Promise<void>;
}

export const DEFAULTS = {
  zone: "cluster.local",
  ttl: 30,
  host: "0.0.0.0",
  port: 53,
  healthPort: 8080,
  readyPort: 8181,
  metricsPort: 9153,
  forwardTimeoutMs: 2000,
  maxConcurrent: 1000,
  cacheSize: 9984,
} as const;

const WORKER_ENV = "KEMU_DNS_WORKER_CONFIG";
type IpcMessage =
  | { kemuDns: "synced" }
  | { kemuDns: "listening" }
  | { kemuDns: "metrics"; id: number; snapshot: MetricsSnapshot }
  | { kemuDns: "metrics?"; id: number }
  | { kemuDns: "stop" };

export async function startDnsServer(opts: DnsServerOptions): Promise<RunningDnsServer> {
  if ((opts.workers ?? 0) > 0) return startPrimary(opts);
  const core = await startCore(opts);
  let closing = false;
  const http = await startHttp(opts, {
    ready: () => !closing && core.index.synced,
    metrics: async () => renderMetrics([core.metrics.snapshot()], { server: serverLabel(opts, core.port) }),
  });
  return {
    port: core.port,
    ...http.ports,
    index: core.index,
    ready: () => !closing && core.index.synced,
    whenReady: () => core.index.start(),
    drain: () => {
      closing = true;
    },
    metricsText: async () => renderMetrics([core.metrics.snapshot()], { server: serverLabel(opts, core.port) }),
    close: async () => {
      closing = true;
      await core.close();
      await http.close();
    },
  };
}

function serverLabel(opts: DnsServerOptions, port: number): string {
  const host = opts.host ?? DEFAULTS.host;
  return `dns://${host === "0.0.0.0" || host === "::" ? "" : host}:${port}`;
}

// ---- one process: index, handler, listeners --------------------------------------

interface Core {
  port: number;
  index: KubernetesIndex;
  metrics: Metrics;
  close(): Promise<void>;
}

async function startCore(opts: DnsServerOptions): Promise<Core> {
  let client: ApiClient | undefined;
  let source = opts.source;
  if (!source) {
    if (!opts.apiSocket) throw new Error("the DNS server needs an API: give source or apiSocket");
    source = client = new ApiClient(opts.apiSocket);
  }
  const index = new KubernetesIndex(source, {
    zone: opts.zone ?? DEFAULTS.zone,
    ttl: opts.ttl ?? DEFAULTS.ttl,
    dnsIp: opts.dnsIp,
    pods: opts.pods ?? "insecure",
  });
  const metrics = new Metrics();
  const upstreams = (opts.upstreams ?? []).map(parseUpstream);
  const forwarder = upstreams.length
    ? new Forwarder({
        upstreams,
        timeoutMs: opts.forwardTimeoutMs ?? DEFAULTS.forwardTimeoutMs,
        maxConcurrent: opts.maxConcurrent ?? DEFAULTS.maxConcurrent,
        onExchange: (to, rcode, seconds) => metrics.proxyExchange(to, rcode, seconds),
        onReject: () => metrics.maxConcurrentRejects++,
      })
    : undefined;
  const handler = new DnsHandler({
    zone: index,
    metrics,
    forwarder,
    forwardCache: new ForwardCache({ capacity: opts.cacheSize ?? DEFAULTS.cacheSize, maxTtl: opts.cacheMaxTtl, maxDenialTtl: opts.cacheMaxDenialTtl }),
  });
  void index.start();

  const host = opts.host ?? DEFAULTS.host;
  const { udp, tcp, port } = await listen(host, opts.port ?? DEFAULTS.port, handler);
  return {
    port,
    index,
    metrics,
    close: async () => {
      udp.close();
      await new Promise<void>((resolve) => {
        tcp.server.close(() => resolve());
        for (const s of tcp.connections) s.destroy();
      });
      forwarder?.close();
      index.stop();
      client?.close();
    },
  };
}

interface TcpListener {
  server: net.Server;
  connections: Set<net.Socket>;
}

async function listen(host: string, wanted: number, handler: DnsHandler): Promise<{ udp: dgram.Socket; tcp: TcpListener; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = await bindUdp(host, wanted, handler);
    const port = udp.address().port;
    try {
      const tcp = await listenTcp(host, port, handler);
      return { udp, tcp, port };
    } catch (err) {
      udp.close();
      // A free UDP port whose TCP twin is taken: try another one.
      if (wanted !== 0 || attempt >= 20 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    }
  }
}

function bindUdp(host: string, port: number, handler: DnsHandler): Promise<dgram.Socket> {
  const sock = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    sock.once("error", onError);
    sock.bind({ port, address: host, exclusive: false }, () => {
      sock.off("error", onError);
      sock.on("error", () => undefined); // send errors (an unreachable client) are not ours to report
      try {
        sock.setRecvBufferSize(4 << 20);
        sock.setSendBufferSize(4 << 20);
      } catch {
        /* limited by net.core.rmem_max: keep the default */
      }
      sock.on("message", (msg, rinfo) => {
        handler.handle(msg, false, rinfo.family === "IPv6", (reply) => sock.send(reply, rinfo.port, rinfo.address));
      });
      resolve(sock);
    });
  });
}

function listenTcp(host: string, port: number, handler: DnsHandler): Promise<TcpListener> {
  const connections = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    connections.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(10_000, () => sock.destroy()); // idle connections (CoreDNS: a few seconds)
    sock.on("error", () => undefined);
    sock.on("close", () => connections.delete(sock));
    const v6 = sock.remoteFamily === "IPv6";
    const write = (reply: Buffer) => {
      if (!sock.destroyed && sock.writable) sock.write(reply);
    };
    let buf: Buffer | undefined;
    sock.on("data", (chunk: Buffer) => {
      let b = buf ? Buffer.concat([buf, chunk]) : chunk;
      while (b.length >= 2) {
        const n = b.readUInt16BE(0);
        if (b.length < 2 + n) break;
        const msg = b.subarray(2, 2 + n);
        b = b.subarray(2 + n);
        handler.handle(msg, true, v6, write);
      }
      buf = b.length ? b : undefined;
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, exclusive: false }, () => {
      server.off("error", reject);
      resolve({ server, connections });
    });
  });
}

// ---- HTTP: health, ready, metrics ---------------------------------------------------

interface HttpEndpoints {
  ports: { healthPort?: number; readyPort?: number; metricsPort?: number };
  close(): Promise<void>;
}

async function startHttp(opts: DnsServerOptions, state: { ready: () => boolean; metrics: () => Promise<string> }): Promise<HttpEndpoints> {
  const host = opts.httpHost ?? opts.host ?? DEFAULTS.host;
  const wanted: [keyof HttpEndpoints["ports"], number | null | undefined, number][] = [
    ["healthPort", opts.healthPort, DEFAULTS.healthPort],
    ["readyPort", opts.readyPort, DEFAULTS.readyPort],
    ["metricsPort", opts.metricsPort, DEFAULTS.metricsPort],
  ];
  const ports: HttpEndpoints["ports"] = {};
  const servers = new Map<number, { server: http.Server; routes: Set<string> }>();
  for (const [which, value, fallback] of wanted) {
    if (value === null) continue;
    const port = value ?? fallback;
    let entry = port !== 0 ? servers.get(port) : undefined;
    if (!entry) {
      const routes = new Set<string>();
      const server = http.createServer((req, res) => {
        const path = new URL(req.url ?? "/", "http://x").pathname;
        if (path === "/health" && routes.has("healthPort")) return text(res, 200, "OK");
        if (path === "/ready" && routes.has("readyPort")) return state.ready() ? text(res, 200, "OK") : text(res, 503, "kubernetes");
        if (path === "/metrics" && routes.has("metricsPort")) {
          state.metrics().then(
            (body) => text(res, 200, body, "text/plain; version=0.0.4; charset=utf-8"),
            (err: Error) => text(res, 500, err.message),
          );
          return;
        }
        text(res, 404, "404 page not found");
      });
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port, host }, () => {
          server.off("error", reject);
          resolve();
        });
      });
      entry = { server, routes };
      servers.set((server.address() as net.AddressInfo).port, entry);
    }
    entry.routes.add(which);
    ports[which] = (entry.server.address() as net.AddressInfo).port;
  }
  return {
    ports,
    close: async () => {
      await Promise.all(
        [...servers.values()].map(
          ({ server }) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}

function text(res: http.ServerResponse, code: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(code, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

// ---- workers (node:cluster) -----------------------------------------------------------

/** The file a worker runs: worker.js next to this one (worker.ts through tsx when running from source). */
function workerEntry(): { exec: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".ts")) return { exec: here.replace(/server\.ts$/, "worker.ts"), execArgv: ["--import", "tsx"] };
  return { exec: here.replace(/server\.js$/, "worker.js"), execArgv: [] };
}

async function freePort(host: string): Promise<number> {
  const handler = new DnsHandler({ zone: { zone: new ZoneIndex(), synced: false }, metrics: new Metrics() });
  const { udp, tcp, port } = await listen(host, 0, handler);
  udp.close();
  await new Promise<void>((r) => tcp.server.close(() => r()));
  return port;
}

async function startPrimary(opts: DnsServerOptions): Promise<RunningDnsServer> {
  if (!cluster.isPrimary) throw new Error("workers can only be forked from the primary process");
  if (opts.source) throw new Error("workers read the API over its socket: give apiSocket, not source");
  if (!opts.apiSocket) throw new Error("workers need apiSocket");
  const host = opts.host ?? DEFAULTS.host;
  const port = (opts.port ?? DEFAULTS.port) === 0 ? await freePort(host) : (opts.port ?? DEFAULTS.port);
  const n = opts.workers!;
  const workerOpts: DnsServerOptions = { ...opts, port, workers: 0, healthPort: null, readyPort: null, metricsPort: null };

  // Workers accept TCP connections themselves instead of the primary handing each one over.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ ...workerEntry(), args: [], silent: false });

  const synced = new Set<number>();
  const live = new Set<Worker>();
  let closing = false;
  let readyWaiters: (() => void)[] = [];
  let listeningWaiters: (() => void)[] = [];
  let listening = 0;
  let nextId = 1;
  const metricsWaiters = new Map<number, { want: number; got: MetricsSnapshot[]; done: (s: MetricsSnapshot[]) => void }>();

  const ready = () => !closing && live.size === n && [...live].every((w) => synced.has(w.id));
  const checkReady = () => {
    if (ready()) {
      for (const w of readyWaiters) w();
      readyWaiters = [];
    }
  };
  const fork = () => {
    const w = cluster.fork({ [WORKER_ENV]: JSON.stringify(workerOpts) });
    live.add(w);
    w.on("message", (m: IpcMessage) => {
      if (m.kemuDns === "synced") {
        synced.add(w.id);
        checkReady();
      } else if (m.kemuDns === "listening") {
        listening++;
        if (listening >= n) for (const l of listeningWaiters.splice(0)) l();
      } else if (m.kemuDns === "metrics") {
        const waiter = metricsWaiters.get(m.id);
        if (waiter) {
          waiter.got.push(m.snapshot);
          if (waiter.got.length >= waiter.want) waiter.done(waiter.got);
        }
      }
    });
    w.on("exit", () => {
      live.delete(w);
      synced.delete(w.id);
      if (!closing) setTimeout(() => !closing && fork(), 500); // a crashed worker is replaced
    });
  };
  for (let i = 0; i < n; i++) fork();
  await new Promise<void>((resolve, reject) => {
    listeningWaiters.push(resolve);
    const t = setTimeout(() => reject(new Error(`DNS workers did not listen on ${host}:${port} within 20 s`)), 20_000);
    listeningWaiters.push(() => clearTimeout(t));
  });

  const gather = (): Promise<MetricsSnapshot[]> => {
    const workers = [...live].filter((w) => w.isConnected());
    if (workers.length === 0) return Promise.resolve([]);
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(metricsWaiters.get(id)?.got ?? []), 1000);
      const finish = (s: MetricsSnapshot[]) => {
        clearTimeout(timer);
        metricsWaiters.delete(id);
        resolve(s);
      };
      metricsWaiters.set(id, { want: workers.length, got: [], done: finish });
      for (const w of workers) w.send({ kemuDns: "metrics?", id } satisfies IpcMessage);
    });
  };
  const metricsText = async () => renderMetrics(await gather(), { server: serverLabel(opts, port) });
  const httpEndpoints = await startHttp(opts, { ready, metrics: metricsText });

  return {
    port,
    ...httpEndpoints.ports,
    ready,
    whenReady: () => (ready() ? Promise.resolve() : new Promise<void>((r) => readyWaiters.push(r))),
    drain: () => {
      closing = true;
    },
    metricsText,
    close: async () => {
      closing = true;
      const exits = [...live].map(
        (w) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => w.process.kill("SIGKILL"), 3000);
            w.once("exit", () => {
              clearTimeout(t);
              resolve();
            });
            if (w.isConnected()) w.send({ kemuDns: "stop" } satisfies IpcMessage);
            else w.process.kill("SIGTERM");
          }),
      );
      await Promise.all(exits);
      await httpEndpoints.close();
    },
  };
}

/** A worker's life: serve, report "synced", answer metrics requests, stop when told. */
export async function runWorker(): Promise<void> {
  const opts = JSON.parse(process.env[WORKER_ENV] ?? "{}") as DnsServerOptions;
  const core = await startCore(opts);
  const send = (m: IpcMessage) => process.send?.(m);
  send({ kemuDns: "listening" });
  void core.index.start().then(() => send({ kemuDns: "synced" }));
  const stop = async () => {
    await core.close();
    process.exit(0);
  };
  process.on("message", (m: IpcMessage) => {
    if (m.kemuDns === "metrics?") send({ kemuDns: "metrics", id: m.id, snapshot: core.metrics.snapshot() });
    else if (m.kemuDns === "stop") void stop();
  });
  process.on("SIGTERM", () => void stop());
  // The primary went away (killed): do not linger.
  process.on("disconnect", () => void stop());
}
