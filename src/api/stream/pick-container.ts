// The container a pods/log, exec or attach request is about.
import { ApiError } from "../errors.js";
import type { Container, Pod } from "../types.js";

/**
 * The container a pods/log, exec or attach request means, as kube-apiserver
 * picks it (pod strategy's streamLocation): the named one, else the only one.
 */
export function pickContainer(pod: Pod, requested: string | null | undefined): Container {
  const containers = pod.spec.containers;
  const name = pod.metadata?.name ?? "";
  if (requested) {
    const found = containers.find((c) => c.name === requested);
    if (!found) throw new ApiError("BadRequest", `container ${requested} is not valid for pod ${name}`);
    return found;
  }
  if (containers.length === 1) return containers[0]!;
  throw new ApiError("BadRequest", `a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(" ")}]`);
}
