// kemu iptables NODE: the node's rules as iptables-save prints them.
import type { Command } from "commander";
import { spawn } from "node:child_process";
import { Cluster } from "../../cluster.js";
import { nameOption } from "../options.js";

export function registerIptablesCommand(program: Command): void {
  program
    .command("iptables")
    .description("print a node's iptables rules (what kube-proxy wrote), like iptables-save on a real node")
    .argument("<node>", "node-1 … node-N (or outside)")
    .option("-t, --table <table>", "only this table (nat, filter, mangle, raw)")
    .addOption(nameOption())
    .action(async (node: string, opts: { table?: string; name?: string }) => {
      const cluster = Cluster.connect(opts.name);
      const argv = cluster.hostArgv(node, ["iptables-save", ...(opts.table ? ["-t", opts.table] : [])]);
      cluster.api.close();
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "inherit", "inherit"] });
      child.on("close", (code) => process.exit(code ?? 1));
    });
}
