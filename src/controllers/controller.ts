// What every in-process controller shares: the API server, a queue of object
// keys, and a way to wire watches on resources to that queue.
import { EventRecorder } from "../api/event-recorder.js";
import type { ApiServer } from "../api/apiserver.js";
import type { ResourceInfo } from "../api/resources.js";
import { resourceByKind } from "../api/resources.js";
import type { KubeObject, Stored, WatchEvent } from "../api/types.js";
import { WorkQueue } from "./workqueue.js";

export const R = {
  namespaces: resourceByKind("Namespace")!,
  nodes: resourceByKind("Node")!,
  pods: resourceByKind("Pod")!,
  services: resourceByKind("Service")!,
  deployments: resourceByKind("Deployment")!,
  replicasets: resourceByKind("ReplicaSet")!,
  endpointslices: resourceByKind("EndpointSlice")!,
};

export function objectKey(obj: Stored<KubeObject>): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

export function splitKey(key: string): [namespace: string | undefined, name: string] {
  const i = key.indexOf("/");
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}

export abstract class Controller {
  protected readonly queue: WorkQueue;
  /** Events about the objects it acts on, reported as its name (upstream's controllers' source.component). */
  protected readonly events: EventRecorder;
  private readonly unwatch: (() => void)[] = [];

  constructor(
    readonly name: string,
    protected readonly api: ApiServer,
  ) {
    this.queue = new WorkQueue(name, (key) => this.sync(key));
    this.events = new EventRecorder(api, { component: name, log: (line) => console.error(`${name}: ${line}`) });
  }

  /** Brings the object named by key to its desired state; must be idempotent. */
  protected abstract sync(key: string): Promise<void> | void;

  /**
   * Subscribes to a resource; `keysFor` maps each event to the keys to (re)sync.
   * An event keysFor cannot handle (an object it did not expect) is logged
   * and skipped: a controller never takes the control plane down with it.
   */
  protected watch(resource: ResourceInfo, keysFor: (e: WatchEvent) => string[]): void {
    const onEvent = (e: WatchEvent) => {
      let keys: string[];
      try {
        keys = keysFor(e);
      } catch (err) {
        console.error(`${this.name}: skipped a ${e.type} event of ${resource.plural} ${e.object?.metadata?.namespace ?? ""}/${e.object?.metadata?.name ?? ""}: ${(err as Error)?.message ?? err}`);
        return;
      }
      keys.forEach((k) => this.queue.add(k));
    };
    this.unwatch.push(this.api.watch(resource, {}, (e) => queueMicrotask(() => onEvent(e))));
  }

  /** Queues every existing object of a resource (start-up and periodic resync). */
  protected enqueueAll(resource: ResourceInfo): void {
    for (const obj of this.api.list(resource).items) this.queue.add(objectKey(obj));
  }

  abstract start(): void;

  stop(): void {
    this.unwatch.forEach((u) => u());
    this.queue.close();
  }
}
