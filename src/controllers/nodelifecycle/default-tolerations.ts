// The DefaultTolerationSeconds admission plugin: every new pod that does not
// already tolerate the not-ready and unreachable NoExecute taints gets a
// toleration for each, 300 s by default (kube-apiserver's
// --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds).
// That is how long a pod stays bound to a node that stopped answering
// before the taint eviction controller deletes it.
import type { Admission } from "../../api/apiserver.js";
import type { ResourceInfo } from "../../api/resources.js";
import type { KubeObject, Pod, Stored } from "../../api/types.js";
import { TAINT_NOT_READY, TAINT_UNREACHABLE, type Toleration } from "./taints.js";

export const DEFAULT_TOLERATION_SECONDS = 300;

/** The tolerations the plugin adds (pure): one per taint key the pod does not already tolerate for NoExecute. */
export function defaultTolerations(existing: Toleration[], notReadySeconds: number, unreachableSeconds: number): Toleration[] {
  const covers = (key: string) => existing.some((t) => (t.key === key || !t.key) && (t.effect === "NoExecute" || !t.effect));
  const added: Toleration[] = [];
  if (!covers(TAINT_NOT_READY)) added.push({ key: TAINT_NOT_READY, operator: "Exists", effect: "NoExecute", tolerationSeconds: notReadySeconds });
  if (!covers(TAINT_UNREACHABLE)) added.push({ key: TAINT_UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: unreachableSeconds });
  return added;
}

export class DefaultTolerationSeconds implements Admission {
  constructor(
    private readonly notReadySeconds = DEFAULT_TOLERATION_SECONDS,
    private readonly unreachableSeconds = DEFAULT_TOLERATION_SECONDS,
  ) {}

  admitCreate(resource: ResourceInfo, obj: Stored<KubeObject>): void {
    if (resource.kind !== "Pod") return;
    const pod = obj as Stored<Pod>;
    if (!pod.spec || typeof pod.spec !== "object") return;
    const existing = (Array.isArray(pod.spec.tolerations) ? pod.spec.tolerations : []) as Toleration[];
    const added = defaultTolerations(existing, this.notReadySeconds, this.unreachableSeconds);
    if (added.length) pod.spec.tolerations = [...existing, ...added] as Pod["spec"]["tolerations"];
  }
}
