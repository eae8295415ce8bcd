// What `kemu port-forward` resolves before forwarding, as kubectl
// port-forward does (kubectl/pkg/cmd/portforward/portforward.go and
// kubectl/pkg/util/service_port.go): the port pairs, the pod a Service
// selects, and a Service port translated to the pod's container port.
import type { Pod, Service, Stored } from "../types.js";

export interface PortPair {
  /** 0: any free local port */
  local: number;
  remote: number;
}

function portNumber(text: string, what: string, allowZero: boolean): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n > 65535 || (!allowZero && n === 0)) {
    throw new Error(`${what} ${JSON.stringify(text)}: expected a port number ${allowZero ? "0" : "1"}-65535`);
  }
  return n;
}

/** "8080" (the same port on both ends), "8080:80", ":80" or "0:80" (any free local port). */
export function parsePortPair(spec: string): PortPair {
  const parts = spec.split(":");
  if (parts.length > 2) throw new Error(`invalid port ${JSON.stringify(spec)}: expected LOCAL:REMOTE, :REMOTE or PORT`);
  if (parts.length === 1) {
    const port = portNumber(parts[0]!, "port", false);
    return { local: port, remote: port };
  }
  return { local: parts[0] === "" ? 0 : portNumber(parts[0]!, "local port", true), remote: portNumber(parts[1]!, "remote port", false) };
}

/** The pod a Service's forward goes to: a running pod it selects, ready ones first, then the oldest (kubectl's GetFirstPod order). */
export function pickServicePod(pods: Stored<Pod>[]): Stored<Pod> | undefined {
  const running = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === "Running");
  const ready = (p: Stored<Pod>) => (p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? 0 : 1);
  return running.sort((a, b) => ready(a) - ready(b) || a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp) || a.metadata.name.localeCompare(b.metadata.name))[0];
}

/** A Service port as the pod's container port: targetPort as a number, a named container port, or the port itself. */
export function containerPortFor(service: Stored<Service>, pod: Stored<Pod>, servicePort: number): number {
  const port = service.spec?.ports?.find((p) => p.port === servicePort);
  if (!port) throw new Error(`Service ${service.metadata.name} does not have a service port ${servicePort}`);
  const target = port.targetPort;
  if (target === undefined || target === "") return servicePort;
  if (typeof target === "number") return target;
  if (/^[0-9]+$/.test(target)) return Number(target);
  for (const c of pod.spec.containers) {
    const named = c.ports?.find((p) => p.name === target);
    if (named) return named.containerPort;
  }
  throw new Error(`Pod ${pod.metadata.name} does not have a named port '${target}'`);
}
