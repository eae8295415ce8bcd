#!/usr/bin/env node
// The kemu command line: kubectl-like verbs over the library in ../cluster.ts.
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { registerClusterCommands } from "./commands/cluster.js";
import { registerObjectCommands } from "./commands/objects.js";
import { registerGetCommand } from "./commands/get.js";
import { registerDescribeCommand } from "./commands/describe.js";
import { registerEventsCommand } from "./commands/events.js";
import { registerCpCommand } from "./commands/cp.js";
import { registerPodCommands } from "./commands/pods.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerRolloutCommands } from "./commands/rollout.js";
import { registerIptablesCommand, registerNftCommand } from "./commands/iptables.js";
import { registerProbeCommand } from "./commands/probe.js";
import { registerFlowsCommand } from "./commands/flows.js";
import { registerPortForwardCommand } from "./commands/port-forward.js";
import { registerDashboardCommand } from "./commands/dashboard.js";
import { registerTraceCommand } from "./commands/trace.js";
import { registerMetricsCommand } from "./commands/metrics.js";
import { fail } from "./output.js";

// `kemu get pods | head`: a reader that went away ends the command quietly, as a pipe should.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

const program = new Command("kemu")
  .description("Kubernetes networking on one Linux host: nodes and pods are network namespaces, Services are real rules")
  .version(packageVersion())
  .showHelpAfterError()
  .enablePositionalOptions();

registerClusterCommands(program);
registerObjectCommands(program);
registerGetCommand(program);
registerDescribeCommand(program);
registerEventsCommand(program);
registerCpCommand(program);
registerPodCommands(program);
registerRolloutCommands(program);
registerIptablesCommand(program);
registerProbeCommand(program);
registerFlowsCommand(program);
registerPortForwardCommand(program);
registerTraceCommand(program);
registerNftCommand(program);
registerDashboardCommand(program);
registerMetricsCommand(program);
registerDoctor(program);

// Internal entry points: the daemon and the node agents are this same program.
program
  .command("daemon", { hidden: true })
  .argument("<config>")
  .action(async (configPath: string) => {
    const { runDaemon } = await import("../daemon/main.js");
    await runDaemon(JSON.parse(readFileSync(configPath, "utf8")));
  });
program
  .command("dns", { hidden: true })
  .allowUnknownOption()
  .helpOption(false)
  .argument("[flags...]")
  .action(async (flags: string[]) => {
    const { runDnsServer, FlagError } = await import("../dns/main.js");
    await runDnsServer(flags).catch((err: unknown) => {
      process.stderr.write(`kemu-dns: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(err instanceof FlagError ? 2 : 1);
    });
  });
program
  .command("ingress-router", { hidden: true })
  .allowUnknownOption()
  .helpOption(false)
  .argument("[flags...]")
  .action(async (flags: string[]) => {
    const { runIngressRouter, RouterFlagError } = await import("../ingress/main.js");
    await runIngressRouter(flags).catch((err: unknown) => {
      process.stderr.write(`kemu-ingress-router: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(err instanceof RouterFlagError ? 2 : 1);
    });
  });
program
  .command("test-dns", { hidden: true })
  .option("--port <port>", "port", "53")
  .action(async (opts: { port: string }) => {
    const { runTestUpstreamDns } = await import("../workloads/test-upstream-dns.js");
    await runTestUpstreamDns(Number(opts.port));
  });
program
  .command("agent", { hidden: true })
  .argument("<config>")
  .action(async (configPath: string) => {
    const { runAgent } = await import("../agent/main.js");
    await runAgent(JSON.parse(readFileSync(configPath, "utf8")));
  });


function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

// The internal programs write to log files that people read after a crash: they keep the stack.
const INTERNAL = new Set(["daemon", "agent", "dns", "test-dns", "ingress-router"]);
program.parseAsync(process.argv).catch((err: unknown) => {
  if (INTERNAL.has(process.argv[2] ?? "")) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
  fail(err);
});
