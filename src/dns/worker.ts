// The entry of a DNS worker process (forked by server.ts with node:cluster).
import { runWorker } from "./server.js";

runWorker().catch((err: unknown) => {
  process.stderr.write(`kemu-dns worker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
