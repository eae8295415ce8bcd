// kemu probe: the reachability matrix between pods (and Services, and the
// outside host), as upstream's e2e truth tables; --expect / --compare check
// it; --explain says which policy rules decide one connection.
import { readFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { Cluster, KemuError } from "../../cluster.js";
import { explainConnection, explanationsJson, renderExplanations } from "../../probe/explain.js";
import { parseExpectation, renderComparison } from "../../probe/expect.js";
import { parseProbeCommand, type ProbeFlags } from "../../probe/options.js";
import { renderFooter, renderJson, renderTables, renderWide, timing } from "../../probe/render.js";
import { runProbe } from "../../probe/runner.js";
import { nameOption } from "../options.js";

const HELP = `
Rows are sources, columns targets; one table per port/protocol:
  .  reachable (TCP: the handshake completed; UDP/SCTP: "hostname" was answered)
  X  blocked (refused, unreachable or no answer within --timeout)
  ?  unknown (a protocol this kernel does not support, e.g. SCTP)
Every probe is a fresh connection from a fresh source port, as upstream's
e2e suite (agnhost connect) makes them; all run at once, so the whole matrix
takes about one --timeout when anything is blocked, much less otherwise.

Which pods: Running pods with an IP in -n (default: the namespace "default")
or, with -A, in every namespace but kube-system and kemu-system. Each is a
source and a target. hostNetwork pods probe from their node.

Which ports (the tables): by default every port/protocol that a probed pod
declares in its containerPorts, probed on every pod (a pod that does not
serve it shows X). --port alone takes the protocols declared for those ports
(TCP if none); --protocol alone the declared ports of those protocols; both
together every combination. A Service (--to-services) is probed on its own
ports only, at its ClusterIP; the outside host (--to-outside) on the pods'
ports, against a listener kemu runs there while the probe lasts.

--expect FILE reads what should be reachable, as -o json prints it
({"cells": [{"from": "x/a", "to": "y/b", "port": 80, "protocol": "TCP",
"reachable": true}, ...]}) or as tables like the ones printed here (a
heading PORT/PROTOCOL such as 80/TCP or 80,81/TCP,UDP above each table).
Without -n/--port/--protocol the file decides what is probed. Cells that
differ are probed once more (as upstream's ValidateOrFail); then only the
differences are printed, and the exit code is 1 if any remain. The diagonal
(a pod to itself) is not compared, as upstream's e2e ignores it (--loopback
compares it); "?" cells count neither way.

--compare does the same against what the cluster's NetworkPolicies and
ClusterNetworkPolicies say (the evaluator behind --explain), and prints the
tables too.

--explain FROM TO [--port P] [--protocol PROTO]: which policies and rules
(tier, namespace/name, rule index) allow or deny the connection on the
egress side (FROM's policies) and on the ingress side (TO's), then probes it
and says whether the kernel agreed. TO may be a pod, "outside" or an IPv4
address. Without --port, every port TO declares.

Examples:
  kemu probe -n x,y,z --port 80,81 --protocol TCP,UDP
  kemu probe -n x,y,z -o json > now.json; kemu probe --expect now.json
  kemu probe -A --to-services --to-outside -o wide
  kemu probe --explain x/a y/b --port 80
`;

export function registerProbeCommand(program: Command): void {
  program
    .command("probe")
    .description("print which pods reach which (truth tables per port/protocol); check them with --expect or --compare; --explain one connection")
    .argument("[pods...]", "with --explain: FROM and TO (ns/name)")
    .option("-n, --namespace <ns,...>", "namespaces to probe (default: default)")
    .option("-A, --all-namespaces", "every namespace except kube-system and kemu-system")
    .option("--port <ports>", "ports, comma-separated (default: the pods' containerPorts)")
    .option("--protocol <protocols>", "TCP, UDP, SCTP, comma-separated (default: the pods' containerPorts)")
    .option("--to-services", "also probe each Service's ClusterIP on its ports")
    .option("--to-outside", "also probe the outside host")
    .option("--expect <file>", "compare with this expectation (JSON or tables); print only the differences; exit 1 if any")
    .option("--compare", "compare with what the cluster's policies say, cell by cell")
    .option("--loopback", "with --expect/--compare, compare the diagonal (a pod to itself) too")
    .option("--explain", "explain FROM TO: the policies and rules deciding it, and what the kernel did")
    .option("--timeout <duration>", "per probe (e.g. 500ms, 2s)", "1s")
    .addOption(new Option("-o, --output <format>", "table, wide or json").default("table"))
    .addOption(nameOption())
    .addHelpText("after", HELP)
    .action(async (pods: string[], flags: ProbeFlags & { name?: string }) => {
      const command = parseProbeCommand(pods, flags);
      if (command.kind === "matrix" && command.expectFile !== undefined) {
        let text: string;
        try {
          text = readFileSync(command.expectFile, "utf8");
        } catch (err) {
          throw new KemuError(`--expect: cannot read ${command.expectFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        command.options.expect = parseExpectation(text, command.expectFile);
      }
      const cluster = Cluster.connect(flags.name);
      const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
      try {
        if (command.kind === "explain") {
          const list = await explainConnection(cluster, command.from, command.to, command.options);
          process.stdout.write(command.output === "json" ? explanationsJson(list) : renderExplanations(list));
          if (list.some((e) => e.agreed === false)) process.exitCode = 1;
          return;
        }
        const result = await runProbe(cluster, command.options);
        const { comparison } = result;
        if (command.output === "json") {
          process.stdout.write(renderJson(result, comparison ? { mismatches: comparison.mismatches.map(({ why: _why, ...d }) => d) } : {}));
          process.stderr.write(`${timing(result)}\n`);
        } else if (comparison && command.expectFile !== undefined) {
          // --expect: only what differs.
          process.stdout.write(renderComparison(comparison) + `${timing(result)}\n`);
        } else {
          const body = command.output === "wide" ? renderWide(result, { color }) : renderTables(result, { color });
          process.stdout.write(body + renderFooter(result) + (comparison ? `\ncompared with the cluster's policies:\n${renderComparison(comparison)}` : ""));
        }
        if (comparison && comparison.mismatches.length > 0) process.exitCode = 1;
      } finally {
        cluster.api.close();
      }
    });
}
