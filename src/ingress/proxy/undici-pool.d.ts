// undici's Pool on its own: the package's entry loads all of undici (fetch,
// websockets, caches: about 20 MiB of RSS per router process), the Pool
// module about half of that. The package has no "exports" map, so the path
// is reachable; the version is pinned (~7.30) because it is not public API.
declare module "undici/lib/dispatcher/pool.js" {
  import type { Pool } from "undici";
  const PoolClass: typeof Pool;
  export default PoolClass;
}
