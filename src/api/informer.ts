// List-then-watch with a local cache, reconnecting (and re-listing after 410
// Gone) on its own: the level-triggered input of every controller and agent.
import type { ResourceInfo } from "./resources.js";
import type { KubeObject, Stored, WatchEvent } from "./types.js";
import type { ListOptions } from "./apiserver.js";

export interface WatchHandle {
  stop(): void;
}

/** Where an informer reads from: the REST client, or the API server in-process. */
export interface ListWatchSource {
  list(resource: ResourceInfo, options: ListOptions): Promise<{ items: Stored<KubeObject>[]; metadata?: { resourceVersion: string }; resourceVersion?: string }>;
  watch(
    resource: ResourceInfo,
    options: ListOptions & { resourceVersion?: string },
    onEvent: (e: WatchEvent) => void,
    onEnd: (err?: Error) => void,
  ): WatchHandle;
}

export type InformerHandler<T extends KubeObject> = (type: "ADDED" | "MODIFIED" | "DELETED", obj: Stored<T>, old?: Stored<T>) => void;

export class Informer<T extends KubeObject = KubeObject> {
  readonly cache = new Map<string, Stored<T>>();
  private handle?: WatchHandle;
  private stopped = false;
  private resourceVersion = "";
  private readonly handlers: InformerHandler<T>[] = [];
  private synced!: Promise<void>;

  constructor(
    private readonly source: ListWatchSource,
    readonly resource: ResourceInfo,
    private readonly options: ListOptions = {},
  ) {}

  on(handler: InformerHandler<T>): this {
    this.handlers.push(handler);
    return this;
  }

  /** Resolves after the first full list has been delivered. */
  start(): Promise<void> {
    this.synced = this.relist();
    return this.synced;
  }

  stop(): void {
    this.stopped = true;
    this.handle?.stop();
  }

  list(): Stored<T>[] {
    return [...this.cache.values()];
  }

  get(namespace: string | undefined, name: string): Stored<T> | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  private async relist(): Promise<void> {
    const result = await this.source.list(this.resource, this.options);
    const items = result.items as Stored<T>[];
    this.resourceVersion = result.metadata?.resourceVersion ?? result.resourceVersion ?? "";
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emit("ADDED", obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit("MODIFIED", obj, old);
    }
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit("DELETED", old);
      }
    }
    this.startWatch();
  }

  private startWatch(): void {
    if (this.stopped) return;
    this.handle = this.source.watch(
      this.resource,
      { ...this.options, resourceVersion: this.resourceVersion },
      (e) => this.apply(e),
      (err) => {
        if (this.stopped) return;
        // Resume from the last seen version; re-list when that is too old (410) or on errors.
        const retry = () => (err ? this.relist().catch(() => setTimeout(retry, 500)) : this.startWatch());
        setTimeout(retry, err ? 200 : 0);
      },
    );
  }

  private apply(e: WatchEvent): void {
    if (e.type === "BOOKMARK" || e.type === "ERROR") return;
    const obj = e.object as Stored<T>;
    this.resourceVersion = obj.metadata.resourceVersion;
    const key = keyOf(obj);
    const old = this.cache.get(key);
    if (e.type === "DELETED") {
      this.cache.delete(key);
      this.emit("DELETED", obj, old);
    } else {
      this.cache.set(key, obj);
      this.emit(old ? "MODIFIED" : "ADDED", obj, old);
    }
  }

  private emit(type: "ADDED" | "MODIFIED" | "DELETED", obj: Stored<T>, old?: Stored<T>): void {
    for (const h of this.handlers) h(type, obj, old);
  }
}

function keyOf(obj: Stored<KubeObject>): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}
