// The router pod's program (what the kubelet runs for the
// kemu-ingress-router image): `kemu ingress-router` without the command
// line around it, so the supervising primary loads only what it needs.
import { RouterFlagError, runIngressRouter } from "./main.js";

await runIngressRouter(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`kemu-ingress-router: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof RouterFlagError ? 2 : 1);
});
