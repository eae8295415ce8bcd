// Entry of the daemon process (`kemu daemon CONFIG`), started detached by `kemu up`.
import { ControlPlane } from "./controlplane.js";
import type { ClusterConfig } from "./config.js";

export async function runDaemon(config: ClusterConfig): Promise<void> {
  const cp = new ControlPlane(config);
  const stop = (code: number) => void cp.stop({ keepLog: code !== 0 }).finally(() => process.exit(code));
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
  try {
    await cp.start();
    console.log(`kemu daemon for cluster ${config.name} is up (pid ${process.pid})`);
  } catch (err) {
    console.error(`kemu daemon: start failed: ${(err as Error).stack ?? err}`);
    stop(1);
  }
}
