// The in-process API server as a list/watch source, for code that runs inside
// the daemon. Events are handed over in a microtask so that a handler never
// runs inside another write.
import type { ApiServer, ListOptions } from "./apiserver.js";
import type { ListWatchSource, WatchHandle } from "./informer.js";
import type { ResourceInfo } from "./resources.js";
import type { WatchEvent } from "./types.js";

export function localSource(api: ApiServer): ListWatchSource {
  return {
    list: async (resource: ResourceInfo, options: ListOptions) => api.list(resource, options),
    watch(resource, options, onEvent: (e: WatchEvent) => void, onEnd): WatchHandle {
      let stopped = false;
      try {
        const deliver = (e: WatchEvent) => {
          if (stopped) return;
          try {
            onEvent(e);
          } catch (err) {
            // Thrown from a microtask it would end the process: logged instead.
            console.error(`watch of ${resource.plural}: a handler failed on ${e.type}: ${(err as Error)?.stack ?? err}`);
          }
        };
        const stop = api.watch(resource, options, (e) => queueMicrotask(() => deliver(e)));
        return { stop: () => { stopped = true; stop(); } };
      } catch (err) {
        queueMicrotask(() => onEnd(err as Error));
        return { stop: () => undefined };
      }
    },
  };
}
