// The healthCheckNodePort servers of externalTrafficPolicy: Local
// LoadBalancers (upstream: pkg/proxy/healthcheck/service_health.go), and the
// proxy's own /healthz on 10256. Cloud load balancers use the first to send
// traffic only to nodes that have local endpoints.
import http from "node:http";
import { servicePortKey, type EndpointInfo, type ServicePortInfo } from "./model.js";

export interface HealthTarget {
  namespace: string;
  name: string;
  localEndpoints: number;
}

/** The reply body and status for one service (pure). */
export function healthReply(t: HealthTarget, proxyHealthy: boolean): { status: number; body: string; weight: number } {
  const body = JSON.stringify({ service: { namespace: t.namespace, name: t.name }, localEndpoints: t.localEndpoints, serviceProxyHealthy: proxyHealthy });
  return { status: t.localEndpoints > 0 && proxyHealthy ? 200 : 503, body, weight: t.localEndpoints };
}

export function healthTargets(services: { port: ServicePortInfo; endpoints: EndpointInfo[] }[]): Map<number, HealthTarget> {
  const out = new Map<number, HealthTarget>();
  const seen = new Set<string>();
  for (const { port, endpoints } of services) {
    if (!port.healthCheckNodePort) continue;
    const key = servicePortKey({ ...port, portName: "" });
    const local = endpoints.filter((e) => e.isLocal && e.ready).length;
    const prev = out.get(port.healthCheckNodePort);
    // One Service, several ports: count each local endpoint once.
    if (prev && seen.has(key)) prev.localEndpoints = Math.max(prev.localEndpoints, local);
    else out.set(port.healthCheckNodePort, { namespace: port.namespace, name: port.name, localEndpoints: local });
    seen.add(key);
  }
  return out;
}

export class HealthCheckServers {
  private readonly servers = new Map<number, { server: http.Server; target: HealthTarget }>();
  private proxyServer?: http.Server;
  lastSync = 0;

  /** The proxy's own health, as kube-proxy serves it on :10256. */
  startProxyHealthz(port = 10256): void {
    this.proxyServer = http.createServer((req, res) => {
      const healthy = Date.now() - this.lastSync < 60_000;
      res.writeHead(healthy ? 200 : 503, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ lastUpdated: new Date(this.lastSync).toISOString(), currentTime: new Date().toISOString() }));
      void req;
    });
    this.proxyServer.on("error", (err) => console.error(`proxy healthz: ${err.message}`));
    this.proxyServer.listen(port, "0.0.0.0");
  }

  update(targets: Map<number, HealthTarget>): void {
    for (const [port, entry] of this.servers) {
      if (!targets.has(port)) {
        entry.server.close();
        this.servers.delete(port);
      }
    }
    for (const [port, target] of targets) {
      const existing = this.servers.get(port);
      if (existing) {
        existing.target = target;
        continue;
      }
      const entry = { server: http.createServer(), target };
      entry.server.on("request", (_req, res) => {
        const reply = healthReply(entry.target, true);
        res.writeHead(reply.status, { "Content-Type": "application/json", "X-Content-Type-Options": "nosniff", "X-Load-Balancing-Endpoint-Weight": String(reply.weight) });
        res.end(reply.body);
      });
      entry.server.on("error", (err) => console.error(`healthCheckNodePort ${port}: ${err.message}`));
      entry.server.listen(port, "0.0.0.0");
      this.servers.set(port, entry);
    }
  }

  close(): void {
    for (const { server } of this.servers.values()) server.close();
    this.servers.clear();
    this.proxyServer?.close();
  }
}
