// A container's environment as the kubelet builds it: envFrom, then env
// entries in order (values, fieldRef downward API, ConfigMap and Secret key
// references), $(VAR) references expanded.
import type { Container, Pod } from "../../api/types.js";
import { envFromValues, keyRefValue, type ConfigSources } from "./config-sources.js";

export interface PodFacts {
  podIp: string;
  hostIp: string;
  nodeName: string;
}

const BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** $(VAR) → value when VAR is known; $$(VAR) → literal $(VAR); unknown references stay as written. */
export function expandVars(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === "$$") return "$";
    return name !== undefined && name in vars ? vars[name]! : match;
  });
}

export function fieldRefValue(pod: Pod, path: string, facts: PodFacts): string {
  const labelMatch = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (labelMatch) {
    const map = labelMatch[1] === "labels" ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[labelMatch[2]!] ?? "";
  }
  switch (path) {
    case "metadata.name": return pod.metadata?.name ?? "";
    case "metadata.namespace": return pod.metadata?.namespace ?? "";
    case "metadata.uid": return pod.metadata?.uid ?? "";
    case "spec.nodeName": return facts.nodeName;
    case "spec.serviceAccountName": return pod.spec.serviceAccountName ?? "default";
    case "status.podIP":
    case "status.podIPs": return facts.podIp;
    case "status.hostIP":
    case "status.hostIPs": return facts.hostIp;
    default: throw new Error(`unsupported fieldRef.fieldPath ${JSON.stringify(path)}`);
  }
}

const NO_SOURCES: ConfigSources = { configMap: () => undefined, secret: () => undefined };

/**
 * The environment: the base, the Service links (`extra`), envFrom, then env —
 * each later one wins, as makeEnvironmentVariables layers them. Throws
 * ConfigSourceError for a ConfigMap or Secret (or key) that is missing and
 * not optional.
 */
export function buildEnv(pod: Pod, container: Container, facts: PodFacts, extra: Record<string, string> = {}, sources: ConfigSources = NO_SOURCES): Record<string, string> {
  const namespace = pod.metadata?.namespace ?? "default";
  const env: Record<string, string> = {
    PATH: BASE_PATH,
    HOSTNAME: pod.spec.hostname ?? pod.metadata?.name ?? "",
    HOME: "/root",
    ...extra,
    ...envFromValues(namespace, container.envFrom, sources).env,
  };
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = expandVars(e.value, env);
    else if (e.valueFrom?.fieldRef) env[e.name] = fieldRefValue(pod, e.valueFrom.fieldRef.fieldPath, facts);
    else if (e.valueFrom?.configMapKeyRef || e.valueFrom?.secretKeyRef) {
      const value = keyRefValue(namespace, e.valueFrom, sources);
      if (value !== undefined) env[e.name] = value;
    } else env[e.name] = "";
  }
  // kemu convenience (documented): the pod's identity, unless the manifest set these names itself.
  env.POD_NAME ??= pod.metadata?.name ?? "";
  env.POD_NAMESPACE ??= pod.metadata?.namespace ?? "";
  env.POD_IP ??= facts.podIp;
  return env;
}
