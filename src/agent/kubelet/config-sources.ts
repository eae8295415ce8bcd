// What a container takes from ConfigMaps and Secrets, as the kubelet takes it
// (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables; the configmap and
// secret volume plugins, pkg/volume/{configmap,secret}): envFrom, env
// valueFrom.configMapKeyRef / secretKeyRef, and the files of configMap and
// secret volumes. Pure: the objects come from a lookup; errors carry the
// kubelet's messages.

export interface ConfigMapData {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface SecretData {
  /** base64, as stored */
  data?: Record<string, string>;
}

/** One ConfigMap or Secret, as a volume or an env reference names it. */
export interface ConfigRef {
  kind: "configMap" | "secret";
  namespace: string;
  name: string;
}

export interface ConfigSources {
  configMap(namespace: string, name: string): ConfigMapData | undefined;
  secret(namespace: string, name: string): SecretData | undefined;
}

/** A reference the kubelet cannot resolve: the container waits (CreateContainerConfigError) or the volume is not mounted. */
export class ConfigSourceError extends Error {
  readonly reason = "CreateContainerConfigError";
}

// The kubelet's watch-based managers name what is missing this way ("configmap \"x\" not found").
const notFound = (kind: "configmap" | "secret", name: string) => new ConfigSourceError(`${kind} ${JSON.stringify(name)} not found`);

/**
 * 1.32's RelaxedEnvironmentVariableValidation (on by default): any printable
 * ASCII but "=", not empty. envFrom keys that are not are skipped, as upstream.
 */
export function isEnvVarName(name: string): boolean {
  return name.length > 0 && /^[\x20-\x7e]+$/.test(name) && !name.includes("=");
}

interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

interface KeyRef {
  name?: string;
  key: string;
  optional?: boolean;
}

const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

/**
 * The variables of a container's envFrom, in order (later sources win);
 * and the keys skipped as invalid names, for the kubelet's
 * InvalidEnvironmentVariableNames event.
 */
export function envFromValues(namespace: string, envFrom: readonly EnvFromSource[] | undefined, sources: ConfigSources): { env: Record<string, string>; invalid: { source: string; keys: string[] }[] } {
  const env: Record<string, string> = {};
  const invalid: { source: string; keys: string[] }[] = [];
  for (const from of envFrom ?? []) {
    const prefix = from.prefix ?? "";
    let values: Record<string, string>;
    let source: string;
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? "";
      const cm = sources.configMap(namespace, name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw notFound("configmap", name);
      }
      values = cm.data ?? {};
      source = `configMap ${namespace}/${name}`;
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? "";
      const s = sources.secret(namespace, name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw notFound("secret", name);
      }
      values = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, decode(v)]));
      source = `secret ${namespace}/${name}`;
    } else continue;
    const skipped: string[] = [];
    for (const [key, value] of Object.entries(values)) {
      const name = prefix + key;
      if (!isEnvVarName(name)) skipped.push(name);
      else env[name] = value;
    }
    if (skipped.length) invalid.push({ source, keys: skipped.sort() });
  }
  return { env, invalid };
}

/** One env entry's configMapKeyRef / secretKeyRef value; undefined when optional and missing (the variable is not set). */
export function keyRefValue(namespace: string, ref: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef }, sources: ConfigSources): string | undefined {
  if (ref.configMapKeyRef) {
    const { name = "", key, optional } = ref.configMapKeyRef;
    const cm = sources.configMap(namespace, name);
    if (!cm) {
      if (optional) return undefined;
      throw notFound("configmap", name);
    }
    const value = cm.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new ConfigSourceError(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
    }
    return value;
  }
  if (ref.secretKeyRef) {
    const { name = "", key, optional } = ref.secretKeyRef;
    const s = sources.secret(namespace, name);
    if (!s) {
      if (optional) return undefined;
      throw notFound("secret", name);
    }
    const value = s.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new ConfigSourceError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
    }
    return decode(value);
  }
  return undefined;
}

export interface ProjectedFile {
  /** relative path inside the volume */
  path: string;
  data: Buffer;
  mode: number;
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface ConfigVolumeSource {
  name?: string;
  secretName?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

/** The volume plugins' default file mode (0644). */
export const DEFAULT_MODE = 0o644;

/**
 * The files of a configMap or secret volume (MakePayload): every key (data
 * and binaryData) at its own name, or only the listed items at their paths;
 * a missing optional object gives no files.
 */
export function projectedFiles(kind: "configMap" | "secret", namespace: string, source: ConfigVolumeSource, sources: ConfigSources): ProjectedFile[] {
  const name = (kind === "configMap" ? source.name : source.secretName) ?? "";
  const defaultMode = source.defaultMode ?? DEFAULT_MODE;
  let all: Map<string, Buffer>;
  if (kind === "configMap") {
    const cm = sources.configMap(namespace, name);
    if (!cm) {
      if (source.optional) return [];
      throw notFound("configmap", name);
    }
    all = new Map([...Object.entries(cm.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "utf8")] as const), ...Object.entries(cm.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")] as const)]);
  } else {
    const s = sources.secret(namespace, name);
    if (!s) {
      if (source.optional) return [];
      throw notFound("secret", name);
    }
    all = new Map(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")] as const));
  }
  if (!source.items?.length) return [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, data]) => ({ path, data, mode: defaultMode }));
  return source.items.map((item) => {
    const data = all.get(item.key);
    if (data === undefined) {
      if (source.optional) return undefined;
      throw new ConfigSourceError(kind === "configMap" ? `configmap references non-existent config key: ${item.key}` : `references non-existent secret key: ${item.key}`);
    }
    return { path: item.path, data, mode: item.mode ?? defaultMode };
  }).filter((f): f is ProjectedFile => f !== undefined);
}
