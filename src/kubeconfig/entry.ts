// A cluster's kubeconfig entries as kind writes them: one cluster, one user
// and one context, all named after the cluster (kind-<name> there, kemu-<name>
// here), and the context made current. Keys in the order kubectl writes them.
import { Document } from "yaml";

/** What a client needs to reach a cluster's HTTPS endpoint. */
export interface ApiEndpoint {
  /** https://127.0.0.1:PORT */
  server: string;
  /** the cluster CA's certificate, PEM */
  caPem: string;
  /** the bearer token */
  token: string;
}

export interface NamedCluster {
  cluster: { "certificate-authority-data": string; server: string };
  name: string;
}
export interface NamedUser {
  name: string;
  user: { token: string };
}
export interface NamedContext {
  context: { cluster: string; user: string };
  name: string;
}

/** The three entries of one cluster; every name is `key`. */
export interface KubeconfigEntry {
  key: string;
  cluster: NamedCluster;
  user: NamedUser;
  context: NamedContext;
}

/** The name kemu gives a cluster's kubeconfig cluster, user and context (kind: kind-<name>). */
export function kubeconfigKey(clusterName: string): string {
  return `kemu-${clusterName}`;
}

export function kubeconfigEntry(clusterName: string, endpoint: ApiEndpoint): KubeconfigEntry {
  const key = kubeconfigKey(clusterName);
  return {
    key,
    cluster: { cluster: { "certificate-authority-data": Buffer.from(endpoint.caPem, "utf8").toString("base64"), server: endpoint.server }, name: key },
    user: { name: key, user: { token: endpoint.token } },
    context: { context: { cluster: key, user: key }, name: key },
  };
}

/** The entry as a whole kubeconfig file, as `kind get kubeconfig` prints one. */
export function standaloneKubeconfig(entry: KubeconfigEntry): string {
  return renderYaml(standaloneObject(entry));
}

export function standaloneObject(entry: KubeconfigEntry): Record<string, unknown> {
  return {
    apiVersion: "v1",
    clusters: [entry.cluster],
    contexts: [entry.context],
    "current-context": entry.key,
    kind: "Config",
    preferences: {},
    users: [entry.user],
  };
}

/** YAML as kubectl writes it: list items not indented under their key, long lines never folded. */
export function renderYaml(value: unknown): string {
  return new Document(value).toString({ indentSeq: false, lineWidth: 0 });
}
