// kemu metrics [COMPONENT] [--node N]: the Prometheus text a component
// serves, fetched from inside the cluster (observe/metrics/scrape.ts).
// Without COMPONENT, every component, each after a `# component … node …`
// header; kube-proxy without --node, every node.
import type { Command } from "commander";
import { Cluster } from "../../cluster.js";
import { nameOption } from "../options.js";
import { METRICS_COMPONENTS, resolveComponent, type MetricsComponent } from "../../metrics/components.js";
import { nodeNames, scrapeMetrics } from "../../observe/metrics/scrape.js";
import { KemuError } from "../../errors.js";

export function registerMetricsCommand(program: Command): void {
  program
    .command("metrics")
    .description("print a component's Prometheus metrics (kube-proxy :10249, coredns :9153, apiserver, router :10254) as a scraper in the cluster sees them")
    .argument("[component]", `${METRICS_COMPONENTS.join(", ")} (dns = coredns); default: all`)
    .option("--node <node>", "kube-proxy: only this node's (default: every node); coredns/router: the pod on this node")
    .addOption(nameOption())
    .action(async (name: string | undefined, opts: { node?: string; name?: string }) => {
      const components: MetricsComponent[] = name === undefined ? [...METRICS_COMPONENTS] : [resolveComponent(name)];
      const cluster = Cluster.connect(opts.name);
      try {
        const nodes = await nodeNames(cluster);
        if (opts.node !== undefined && !nodes.includes(opts.node)) throw new KemuError(`--node: no node named ${JSON.stringify(opts.node)} in cluster ${cluster.name} (nodes: ${nodes.join(", ")})`);
        const headers = components.length > 1 || (components[0] === "kube-proxy" && opts.node === undefined);
        for (const component of components) {
          const targets = component === "kube-proxy" ? (opts.node ? [opts.node] : nodes) : [opts.node];
          for (const node of targets) {
            const text = await scrapeMetrics(cluster, component, node === undefined ? {} : { node });
            if (headers) process.stdout.write(`# component ${component}${component === "kube-proxy" ? ` node ${node}` : ""}\n`);
            process.stdout.write(text);
          }
        }
      } finally {
        cluster.api.close();
      }
    });
}
