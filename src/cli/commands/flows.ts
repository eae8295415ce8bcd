// kemu flows: the connections in the cluster, one line each, with pod and
// Service names, the node(s), the endpoint kube-proxy chose and the policy
// verdict — from conntrack and the policy table's logged drops in each node.
// Like `hubble observe`, without Cilium.
import { Option, type Command } from "commander";
import { Cluster, KemuError } from "../../cluster.js";
import type { Flow, FlowNotice } from "../../observe/flows/model.js";
import { nameOption } from "../options.js";

const HELP = `
Without -f: the connections each node's conntrack table holds now, then exit
(state "established", or "closed" for TCP in TIME_WAIT). With -f: new
connections, drops and closes as they happen, until Ctrl-C.

One line per connection:
  TIME  NODES  SOURCE -> DESTINATION [=> ENDPOINT (its node)]  PROTOCOL  VERDICT
DESTINATION is what the client addressed (a Service's cluster IP and port);
ENDPOINT the pod kube-proxy's DNAT chose. NODES are the nodes whose tables
show it: the client's node first. A dropped connection names the policy:
  DROPPED by NetworkPolicy x/deny-all (ingress)
Lines saying "events lost" mean the kernel dropped events before kemu read
them (a burst bigger than the socket buffer): flows are missing there.

Filters: -n NS (a pod or Service of NS at either end), --pod P (a pod whose
name starts with P, or ns/P, at either end), --verdict forwarded|dropped,
--node N.

Examples:
  kemu flows -f
  kemu flows -f -n x --verdict dropped
  kemu flows --pod client -o json
`;

export function registerFlowsCommand(program: Command): void {
  program
    .command("flows")
    .description("the cluster's connections with pod/Service names, the endpoint chosen and policy verdicts (-f: live)")
    .option("-n, --namespace <ns>", "only flows with a pod or Service of this namespace at either end")
    .option("--pod <pod>", "only flows with this pod (name prefix, or ns/name) at either end")
    .option("--verdict <verdict>", "forwarded, dropped or rejected")
    .option("--node <node>", "only flows a node's table shows")
    .option("-f, --follow", "stream new flows until interrupted")
    .addOption(new Option("-o, --output <format>", "text or json (one object per line)").choices(["text", "json"]).default("text"))
    .addOption(nameOption())
    .addHelpText("after", HELP)
    .action(async (flags: { namespace?: string; pod?: string; verdict?: string; node?: string; follow?: boolean; output: string; name?: string }) => {
      // Loaded here, not at every command's start-up.
      const [{ parseFlowFilter }, { flowJson, noticeJson, renderFlow, renderNotice }, { listFlows, watchFlows }] = await Promise.all([
        import("../../observe/flows/name.js"),
        import("../../observe/flows/render.js"),
        import("../../observe/flows/watch.js"),
      ]);
      let filter;
      try {
        filter = parseFlowFilter(flags);
      } catch (err) {
        throw new KemuError((err as Error).message);
      }
      const json = flags.output === "json";
      const print = (f: Flow) => process.stdout.write(`${json ? flowJson(f) : renderFlow(f)}\n`);
      const tell = (n: FlowNotice) => (json ? process.stdout : process.stderr).write(`${json ? noticeJson(n) : renderNotice(n)}\n`);
      const cluster = Cluster.connect(flags.name);
      try {
        if (!flags.follow) {
          for (const f of await listFlows(cluster, filter)) print(f);
          return;
        }
        const watch = await watchFlows(cluster, filter, print, { onNotice: tell });
        // Ctrl-C, kill, or the reader going away: stop the readers in the nodes before exiting.
        await new Promise<void>((resolve) => {
          const end = () => {
            for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.removeListener(s, end);
            resolve();
          };
          for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(s, end);
          process.stdout.once("error", end);
        });
        await watch.stop();
      } finally {
        cluster.api.close();
      }
    });
}
