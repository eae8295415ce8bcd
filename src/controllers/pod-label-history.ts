// Each pod's labels as a controller last saw them. A relabelled pod concerns
// the selectors it left as well as those it now matches (upstream's
// controllers compare old and new pods in their update handlers); a watch
// event only carries the new object, so the old labels are kept here.
import type { KubeObject, Stored, WatchEvent } from "../api/types.js";

export interface PodLabelChange {
  namespace: string;
  /** the labels the event carries */
  labels: Record<string, string> | undefined;
  /** the labels before it (undefined for a pod not seen before) */
  before: Record<string, string> | undefined;
}

export class PodLabelHistory {
  private readonly labels = new Map<string, Record<string, string>>();

  /** Remembers pods that exist already (listed at start). */
  seed(pods: readonly Stored<KubeObject>[]): void {
    for (const pod of pods) this.labels.set(`${pod.metadata.namespace}/${pod.metadata.name}`, { ...(pod.metadata.labels ?? {}) });
  }

  /** Records a pod watch event; undefined for events that carry no pod (BOOKMARK, ERROR). */
  observe(e: WatchEvent): PodLabelChange | undefined {
    if (e.type === "BOOKMARK" || e.type === "ERROR") return undefined;
    const pod = e.object;
    const namespace = pod.metadata.namespace ?? "";
    const key = `${namespace}/${pod.metadata.name}`;
    const before = this.labels.get(key);
    if (e.type === "DELETED") this.labels.delete(key);
    else this.labels.set(key, { ...(pod.metadata.labels ?? {}) });
    return { namespace, labels: pod.metadata.labels, before };
  }
}
