// The entry of the Ingress router pod (what the kubelet starts for the
// kemu-system/ingress-router Deployment): the controller reading the API
// and the data plane serving HTTP and HTTPS, in --workers processes that
// share the listening sockets (node:cluster), so the router uses every core.
// Health for the kubelet's probes on --health-port (/healthz, as
// ingress-nginx's 10254), and /metrics there (the workers' counts, summed).
import cluster, { type Worker } from "node:cluster";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSecureContext, type SecureContext } from "node:tls";
import type { IngressController } from "./controller.js";
import { renderFamilies, type FamilySnapshot } from "../metrics/exposition.js";
import { mergeSnapshots } from "../metrics/registry.js";

export const USAGE = `Usage: kemu-ingress-router --api-socket PATH [flags]

kemu's Ingress router: serves the Ingresses of its IngressClasses (controller
kemu.dev/ingress-router, and k8s.io/ingress-nginx's) from one route table.

  --api-socket PATH        the kemu API's unix socket (required)
  --http-port N            plain HTTP (80)
  --https-port N           HTTPS with SNI (443)
  --health-port N          GET /healthz and /metrics (10254)
  --publish-service NS/N   the Service whose LoadBalancer address goes into each Ingress's status
  --workers N              serving processes (2)
  --help                   this text
`;

export class RouterFlagError extends Error {}

export interface RouterCommand {
  apiSocket: string;
  httpPort: number;
  httpsPort: number;
  healthPort: number;
  publishService?: string;
  workers: number;
}

export function parseRouterFlags(argv: string[]): RouterCommand | "help" {
  const cmd: Partial<RouterCommand> = { httpPort: 80, httpsPort: 443, healthPort: 10254, workers: 2 };
  const port = (flag: string, v: string | undefined): number => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535) throw new RouterFlagError(`${flag}: expected a port 0-65535, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    switch (flag) {
      case "--help":
        return "help";
      case "--api-socket":
        if (!value) throw new RouterFlagError("--api-socket: expected a path");
        cmd.apiSocket = value;
        break;
      case "--http-port":
        cmd.httpPort = port(flag, value);
        break;
      case "--https-port":
        cmd.httpsPort = port(flag, value);
        break;
      case "--health-port":
        cmd.healthPort = port(flag, value);
        break;
      case "--publish-service":
        if (!value || !/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(value)) throw new RouterFlagError(`--publish-service: expected NAMESPACE/NAME, got ${JSON.stringify(value)}`);
        cmd.publishService = value;
        break;
      case "--workers":
        if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64) throw new RouterFlagError(`--workers: expected 1-64, got ${JSON.stringify(value)}`);
        cmd.workers = Number(value);
        break;
      default:
        throw new RouterFlagError(`unknown flag ${JSON.stringify(flag)} (see --help)`);
    }
    i++;
  }
  if (!cmd.apiSocket) throw new RouterFlagError("--api-socket is required");
  return cmd as RouterCommand;
}

/** ingress-nginx's fallback certificate for unknown server names: self-signed, made at start. */
function fakeCertificate(): SecureContext {
  const dir = mkdtempSync(join(tmpdir(), "kemu-ingress-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "365",
      "-subj", "/O=Acme Co/CN=Kubernetes Ingress Controller Fake Certificate",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    return createSecureContext({ cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One serving process: controller + router (loaded here, so the supervising primary stays small). */
export async function serve(cmd: RouterCommand): Promise<void> {
  const [{ ApiClient }, { IngressController }, { IngressRouter }, { RouterMetrics }] = await Promise.all([
    import("../api/client.js"),
    import("./controller.js"),
    import("./proxy/router.js"),
    import("./metrics.js"),
  ]);
  // The pod's name is its hostname (the sandbox sets it), as ingress-nginx's controller_pod.
  const metrics = new RouterMetrics({ namespace: process.env.POD_NAMESPACE ?? "kemu-system", pod: process.env.POD_NAME ?? hostname() });
  // The primary asks each worker for its counts when /metrics is scraped.
  process.on("message", (m: unknown) => {
    if (isMetricsAsk(m)) process.send?.({ kemuRouter: "metrics", id: m.id, snapshot: metrics.registry.snapshot() } satisfies RouterIpc);
  });
  const api = new ApiClient(cmd.apiSocket);
  let controller: IngressController | undefined;
  // One secret for every worker (from the primary): a sticky cookie issued by one is valid in the other.
  const secret = process.env.KEMU_AFFINITY_SECRET;
  const router = new IngressRouter({
    ...(secret ? { affinitySecret: Buffer.from(secret, "hex") } : {}),
    resolve: (backend) => controller!.resolve(backend),
    http: { host: "0.0.0.0", port: cmd.httpPort },
    https: { host: "0.0.0.0", port: cmd.httpsPort, certificates: (name, gateway) => controller!.certificate(name, gateway), defaultCertificate: fakeCertificate() },
    onListenError: (server, err) => console.error(`ingress-router: ${server.source}: cannot listen on port ${server.port}: ${err.message}`),
    onRequest: (req, res, routeOf) => metrics.track(req, res, routeOf),
  });
  // One worker writes statuses and Gateway Services (the primary names it), so two never race.
  const writer = process.env.KEMU_ROUTER_WRITER === "1";
  controller = new IngressController(api, router, { writer, ...(cmd.publishService ? { publishService: cmd.publishService } : {}) });
  await controller.start();
  await router.start();
  process.send?.("ready");
  const stop = async () => {
    controller?.stop();
    await router.stop();
    api.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

export async function runIngressRouter(argv: string[]): Promise<void> {
  const cmd = parseRouterFlags(argv);
  if (cmd === "help") {
    process.stdout.write(USAGE);
    return;
  }
  // The primary only supervises: workers share the listening sockets and each runs a controller.
  // They start from worker.ts (which calls serve), not from here.
  cluster.setupPrimary({ exec: fileURLToPath(new URL("./worker.js", import.meta.url)), args: argv });
  // Workers that have their table and listen: /healthz is 200 once there is one.
  const live = new Set<number>();
  const affinitySecret = randomBytes(32).toString("hex");
  let writer: number | undefined;
  const fork = () => {
    const isWriter = writer === undefined;
    const w = cluster.fork({ KEMU_AFFINITY_SECRET: affinitySecret, KEMU_ROUTER_WRITER: isWriter ? "1" : "0" });
    if (isWriter) writer = w.id;
    w.on("message", (m: unknown) => {
      if (m === "ready") live.add(w.id);
      else if (isMetricsReply(m)) metricsWaiters.get(m.id)?.(m.snapshot);
    });
    w.on("exit", (code, signal) => {
      live.delete(w.id);
      if (writer === w.id) writer = undefined;
      if (!stopping) {
        console.error(`ingress-router: worker ${w.process.pid} exited (${signal ?? code}); starting another`);
        fork();
      }
    });
  };
  let stopping = false;
  // /metrics: every worker's counts, summed (as ingress-nginx's one controller process reports them).
  const metricsWaiters = new Map<number, (s: FamilySnapshot[]) => void>();
  let nextAsk = 0;
  const gather = (): Promise<FamilySnapshot[][]> => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected() && live.has(w.id));
    if (workers.length === 0) return Promise.resolve([]);
    const id = ++nextAsk;
    return new Promise((resolve) => {
      const got: FamilySnapshot[][] = [];
      const done = () => {
        clearTimeout(timer);
        metricsWaiters.delete(id);
        resolve(got);
      };
      const timer = setTimeout(done, 1000);
      metricsWaiters.set(id, (s) => {
        got.push(s);
        if (got.length === workers.length) done();
      });
      for (const w of workers) w.send({ kemuRouter: "metrics?", id } satisfies RouterIpc);
    });
  };
  for (let i = 0; i < cmd.workers; i++) fork();
  const health = http.createServer((req, res) => {
    if (req.url === "/metrics") {
      void gather().then((snapshots) => res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(renderFamilies(mergeSnapshots(snapshots))));
      return;
    }
    const ok = req.url === "/healthz" && live.size > 0;
    res.writeHead(ok ? 200 : req.url === "/healthz" ? 503 : 404, { "content-type": "text/plain" }).end(ok ? "ok" : "");
  });
  health.listen(cmd.healthPort, "0.0.0.0");
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    health.close();
    setTimeout(() => process.exit(0), 2000).unref();
    if (live.size === 0) process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** What the primary and its workers say about metrics. */
type RouterIpc = { kemuRouter: "metrics?"; id: number } | { kemuRouter: "metrics"; id: number; snapshot: FamilySnapshot[] };

function isMetricsAsk(m: unknown): m is Extract<RouterIpc, { kemuRouter: "metrics?" }> {
  return typeof m === "object" && m !== null && (m as { kemuRouter?: unknown }).kemuRouter === "metrics?";
}

function isMetricsReply(m: unknown): m is Extract<RouterIpc, { kemuRouter: "metrics" }> {
  return typeof m === "object" && m !== null && (m as { kemuRouter?: unknown }).kemuRouter === "metrics";
}
