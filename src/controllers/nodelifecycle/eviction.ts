// The taint eviction controller: a pod on a node with NoExecute taints it
// does not tolerate is deleted at once; one that tolerates them for
// tolerationSeconds is deleted when that time is up (every pod gets 300 s
// for not-ready/unreachable from DefaultTolerationSeconds). Before the
// delete the pod gets the DisruptionTarget condition, as upstream.
import { Controller, R, objectKey, splitKey } from "../controller.js";
import type { ApiServer } from "../../api/apiserver.js";
import type { Node, Pod, Stored } from "../../api/types.js";
import { deepCopy, timestamp } from "../../api/meta.js";
import { ApiError } from "../../api/errors.js";
import { evictionDelayMs } from "./taints.js";

interface Scheduled {
  timer: NodeJS.Timeout;
  /** when the eviction was first scheduled: later re-checks never postpone it */
  dueMs: number;
}

export class TaintEvictionController extends Controller {
  private readonly scheduled = new Map<string, Scheduled>();

  constructor(
    api: ApiServer,
    private readonly now: () => number = Date.now,
  ) {
    super("taint-eviction-controller", api);
  }

  start(): void {
    this.watch(R.pods, (e) => [objectKey(e.object)]);
    this.watch(R.nodes, (e) =>
      (this.api.list(R.pods, { fieldSelector: `spec.nodeName=${e.object.metadata.name}` }).items as Stored<Pod>[]).map(objectKey),
    );
    this.enqueueAll(R.pods);
  }

  override stop(): void {
    for (const s of this.scheduled.values()) clearTimeout(s.timer);
    this.scheduled.clear();
    super.stop();
  }

  protected sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const pod = this.api.tryGet(R.pods, namespace, name) as Stored<Pod> | undefined;
    const nodeName = pod?.spec?.nodeName;
    const node = nodeName ? (this.api.tryGet(R.nodes, undefined, nodeName) as Stored<Node> | undefined) : undefined;
    const delay = pod && node && !pod.metadata.deletionTimestamp ? evictionDelayMs(pod, node) : undefined;
    if (delay === undefined || delay === "never") {
      this.cancel(key);
      return;
    }
    const now = this.now();
    const existing = this.scheduled.get(key);
    const dueMs = existing ? Math.min(existing.dueMs, now + delay) : now + delay;
    // A timer may fire a millisecond early: treat "due within 5 ms" as due.
    if (dueMs <= now + 5) {
      this.cancel(key);
      this.evict(pod!);
      return;
    }
    if (existing?.dueMs === dueMs) return;
    this.cancel(key);
    // When the timer fires, the sync it queues finds the eviction due and carries it out.
    const timer = setTimeout(() => this.queue.add(key), dueMs - now);
    timer.unref();
    this.scheduled.set(key, { timer, dueMs });
  }

  private cancel(key: string): void {
    const s = this.scheduled.get(key);
    if (!s) return;
    clearTimeout(s.timer);
    this.scheduled.delete(key);
  }

  private evict(pod: Stored<Pod>): void {
    const { namespace, name } = pod.metadata;
    console.error(`${this.name}: deleting pod ${namespace}/${name} from node ${pod.spec.nodeName}: NoExecute taint`);
    try {
      const next = deepCopy(pod);
      const conditions = (next.status ??= {}).conditions ?? [];
      const condition = { type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager", message: "Taint manager: deleting due to NoExecute taint", lastTransitionTime: timestamp(this.now()) };
      next.status.conditions = [...conditions.filter((c) => c.type !== "DisruptionTarget"), condition];
      this.api.update(R.pods, next, namespace, { subresource: "status" });
      this.api.delete(R.pods, namespace, name);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
    }
  }
}
