// Service environment variables, as the kubelet gives every container
// (k8s.io/kubernetes pkg/kubelet/envvars/envvars.go FromServices, and
// getServiceEnvVarMap in pkg/kubelet/kubelet_pods.go). Pure.
//
// Precedence, as upstream's makeEnvironmentVariables applies it: the
// container's own env (and envFrom) wins over these; its `$(VAR)` references
// may name these variables; the ones it does not set are added afterwards.
import type { Service } from "../../api/types.js";

/** The Services of the default namespace every pod sees, whatever its enableServiceLinks. */
export const MASTER_SERVICES: readonly string[] = ["kubernetes"];

export interface ServiceEnvOptions {
  /** The pod's spec.enableServiceLinks (defaulted to true): false keeps only the master services. */
  enableServiceLinks?: boolean;
  /** Names of the master services of the default namespace (upstream: just "kubernetes"). */
  masterServices?: readonly string[];
}

/** Upper case, '-' to '_' (and nothing else, as upstream: a name starting with a digit stays so). */
function envName(name: string): string {
  return name.replace(/-/g, "_").toUpperCase();
}

/** Go's net.JoinHostPort: brackets around an address with a colon (IPv6). */
function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A ClusterIP is set: not None, not "" (so neither headless nor ExternalName Services). */
function hasClusterIP(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? "";
  return ip !== "" && ip !== "None";
}

function variablesOf(svc: Service, out: Record<string, string>): void {
  const prefix = envName(svc.metadata?.name ?? "");
  const ip = svc.spec?.clusterIP ?? "";
  const ports = svc.spec?.ports ?? [];
  out[`${prefix}_SERVICE_HOST`] = ip;
  if (ports.length === 0) return;
  const portVar = `${prefix}_SERVICE_PORT`;
  out[portVar] = String(ports[0]!.port);
  for (const p of ports) {
    if (p.name) out[`${portVar}_${envName(p.name)}`] = String(p.port);
  }
  // Docker link variables.
  ports.forEach((p, i) => {
    const protocol = p.protocol || "TCP";
    const url = `${protocol.toLowerCase()}://${joinHostPort(ip, p.port)}`;
    if (i === 0) out[`${prefix}_PORT`] = url;
    const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
    out[portPrefix] = url;
    out[`${portPrefix}_PROTO`] = protocol.toLowerCase();
    out[`${portPrefix}_PORT`] = String(p.port);
    out[`${portPrefix}_ADDR`] = ip;
  });
}

/**
 * The service environment of a container in a pod of `namespace`, from all
 * Services of the cluster (any namespace): every Service of that namespace
 * with a ClusterIP when enableServiceLinks is on (the default), and the
 * master services (`kubernetes`) of the default namespace always. A Service
 * of the pod's namespace shadows a master service of the same name.
 */
export function serviceEnv(services: Service[], namespace: string, options: ServiceEnvOptions = {}): Record<string, string> {
  const enableServiceLinks = options.enableServiceLinks ?? true;
  const masters = options.masterServices ?? MASTER_SERVICES;
  const chosen = new Map<string, Service>();
  for (const svc of services) {
    if (!hasClusterIP(svc)) continue;
    const name = svc.metadata?.name ?? "";
    const ns = svc.metadata?.namespace ?? "default";
    if (ns === "default" && masters.includes(name)) {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (ns === namespace && enableServiceLinks) {
      chosen.set(name, svc);
    }
  }
  const out: Record<string, string> = {};
  // Sorted by name so that the rare clash of variable names (a-b vs a_b…) resolves the same way every time.
  for (const name of [...chosen.keys()].sort()) variablesOf(chosen.get(name)!, out);
  return out;
}
