// kemu dashboard: a live web view of the cluster on 127.0.0.1 (topology,
// reachability heatmap, recent flows, metrics, traces drawn on the topology),
// until Ctrl-C.
import type { Command } from "commander";
import { Cluster, KemuError } from "../../cluster.js";
import { nameOption } from "../options.js";

const HELP = `
Serves one page on 127.0.0.1 only (never on other addresses), with a random
token in its URL that every request and the live WebSocket must carry: open
the printed URL in a browser on this machine (or through ssh -L).

The page shows the underlay, the nodes with their pods, the Services with
their endpoints and the Ingress/Gateway router, updated as the cluster
changes; the reachability matrix of \`kemu probe -A\` as a heatmap per port,
re-probed when pods or policies change (at most every 5 s; --no-probe turns
it off); kube-proxy's sync duration and the DNS and API request rates; and a
form that runs \`kemu trace\` and draws the path on the topology.

Examples:
  kemu dashboard
  kemu dashboard --port 8080 --no-probe
`;

export function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new KemuError(`--port: expected a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(text)}`);
  return Number(text);
}

export function registerDashboardCommand(program: Command): void {
  program
    .command("dashboard")
    .description("serve a live web view of the cluster on 127.0.0.1 (prints the URL with its token)")
    .option("--port <port>", "port on 127.0.0.1 (0: any free port)", "0")
    .option("--no-probe", "do not run the reachability probe")
    .addOption(nameOption())
    .addHelpText("after", HELP)
    .action(async (flags: { port: string; probe: boolean; name?: string }) => {
      const port = parsePort(flags.port);
      const cluster = Cluster.connect(flags.name);
      // Loaded here: the server brings ws, which the CLI's other commands do not need at start-up.
      const [{ startDashboard }, { watchFlows }, { runTrace }] = await Promise.all([import("../../observe/dashboard/server.js"), import("../../observe/flows/watch.js"), import("../../observe/trace/run.js")]);
      const dashboard = await startDashboard(cluster, {
        port,
        probe: flags.probe,
        trace: (request) => runTrace(cluster, request),
        flows: (onFlow) => watchFlows(cluster, {}, onFlow),
        log: (line) => process.stderr.write(`${line}\n`),
      }).catch((err: unknown) => {
        cluster.api.close();
        throw err;
      });
      process.stdout.write(`${dashboard.url}\n`);
      process.stderr.write("kemu dashboard: serving on 127.0.0.1 only; Ctrl-C stops it\n");
      await new Promise<void>((resolve) => {
        const quit = () => resolve();
        process.once("SIGINT", quit);
        process.once("SIGTERM", quit);
      });
      await dashboard.stop();
      cluster.api.close();
    });
}
