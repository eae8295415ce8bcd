// Which kubeconfig file a cluster's entries go into: kind's rule
// (pkg/cluster/internal/kubeconfig/internal/kubeconfig/paths.go, after
// kubectl's): an explicit path; else the files of $KUBECONFIG (empty and
// repeated ones dropped): the first that exists, else the last; else
// $HOME/.kube/config. $HOME is the process's own: under sudo, root's home
// unless sudo keeps the caller's environment (sudo -E).
import { delimiter, join } from "node:path";
import { KemuError } from "../errors.js";

export function kubeconfigPaths(explicit: string | undefined, env: { KUBECONFIG?: string; HOME?: string }): string[] {
  if (explicit) return [explicit];
  const listed = [...new Set((env.KUBECONFIG ?? "").split(delimiter).filter((p) => p !== ""))];
  if (listed.length > 0) return listed;
  if (!env.HOME) throw new KemuError("neither KUBECONFIG nor HOME is set: give the kubeconfig file with --kubeconfig");
  return [join(env.HOME, ".kube", "config")];
}

/** The file kubectl would merge a new entry into. */
export function pathForMerge(explicit: string | undefined, env: { KUBECONFIG?: string; HOME?: string }, isFile: (path: string) => boolean): string {
  const paths = kubeconfigPaths(explicit, env);
  if (paths.length === 1) return paths[0]!;
  return paths.find(isFile) ?? paths[paths.length - 1]!;
}
