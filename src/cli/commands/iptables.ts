// kemu iptables NODE: the node's rules as iptables-save prints them; kemu nft
// NODE: its NetworkPolicy table.
import type { Command } from "commander";
import { spawn } from "node:child_process";
import { Cluster } from "../../cluster.js";
import { nameOption } from "../options.js";
import { POLICY_FAMILY, POLICY_TABLE } from "../../agent/policy/names.js";

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

/** kemu nft NODE: the node's NetworkPolicy table (nftables), or its whole ruleset. */
export function registerNftCommand(program: Command): void {
  program
    .command("nft")
    .description(`print a node's NetworkPolicy rules: the nftables table ${POLICY_FAMILY} ${POLICY_TABLE} (per-pod chains, selector sets), as nft lists it`)
    .argument("<node>", "node-1 … node-N")
    .option("--ruleset", "the node's whole nftables ruleset (iptables-nft's tables included)")
    .addOption(nameOption())
    .action(async (node: string, opts: { ruleset?: boolean; name?: string }) => {
      const cluster = Cluster.connect(opts.name);
      const argv = cluster.hostArgv(node, opts.ruleset ? ["nft", "list", "ruleset"] : ["nft", "list", "table", POLICY_FAMILY, POLICY_TABLE]);
      cluster.api.close();
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "inherit", "inherit"] });
      child.on("close", (code) => process.exit(code ?? 1));
    });
}
