// kemu trace FROM TARGET: one real connection attempt, followed through the
// kernel of every namespace it crosses (src/observe/trace/).
import type { Command } from "commander";
import { Option } from "commander";
import { Cluster } from "../../cluster.js";
import { KemuError } from "../../errors.js";
import { nameOption, namespaceOption, parseDuration } from "../options.js";

export function registerTraceCommand(program: Command): void {
  program
    .command("trace")
    .description("send one connection from a pod (or the outside host) and print its path through every namespace: DNS, each iptables/nftables rule it met and the Kubernetes object behind it, NAT, routes, the reply and the result")
    .argument("<from>", 'the client: a pod (NAME or NAMESPACE/NAME), or "outside"')
    .argument("<target>", "http://HOST[:PORT]/PATH, HOST:PORT, or SERVICE[:PORT] (port number or name; default: the Service's first port)")
    .addOption(new Option("--protocol <protocol>", "tcp or udp (default: the Service port's protocol, else tcp)").choices(["tcp", "udp"]))
    .option("--timeout <duration>", "how long the connection attempt may take", "3s")
    .addOption(new Option("-o, --output <format>", "text or json").choices(["text", "json"]).default("text"))
    .option("-v, --verbose", "also show the chains a packet passed without a rule deciding")
    .addOption(namespaceOption())
    .addOption(nameOption())
    .action(async (from: string, target: string, opts: { protocol?: "tcp" | "udp"; timeout: string; output: "text" | "json"; verbose?: boolean; namespace: string; name?: string }) => {
      const timeoutMs = parseDuration(opts.timeout, "--timeout");
      if (timeoutMs < 100 || timeoutMs > 60_000) throw new KemuError(`--timeout: expected between 100ms and 60s, got ${opts.timeout}`);
      const cluster = Cluster.connect(opts.name);
      // Loaded here, not at every command's start-up.
      const [{ runTrace }, { renderTrace }] = await Promise.all([import("../../observe/trace/run.js"), import("../../observe/trace/render.js")]);
      try {
        const result = await runTrace(cluster, { from, target, namespace: opts.namespace, timeoutMs, ...(opts.protocol ? { protocol: opts.protocol } : {}) });
        process.stdout.write(opts.output === "json" ? `${JSON.stringify(result, null, 2)}\n` : `${renderTrace(result, { verbose: opts.verbose ?? false })}\n`);
        process.exitCode = result.result === "connected" || result.result === "answered" ? 0 : 1;
      } finally {
        cluster.api.close();
      }
    });
}
