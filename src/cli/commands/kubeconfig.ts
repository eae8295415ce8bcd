// kemu kubeconfig: the cluster's kubeconfig on stdout, as `kind get kubeconfig` prints it.
import type { Command } from "commander";
import { Cluster } from "../../cluster.js";
import { nameOption } from "../options.js";

export function registerKubeconfigCommand(program: Command): void {
  program
    .command("kubeconfig")
    .description("print the cluster's kubeconfig (context kemu-<name>: HTTPS on 127.0.0.1, its CA, a bearer token), e.g. kemu kubeconfig > kemu.yaml; kubectl --kubeconfig kemu.yaml get pods")
    .addOption(nameOption())
    .action((opts: { name?: string }) => {
      const cluster = Cluster.connect(opts.name);
      process.stdout.write(cluster.kubeconfig());
      cluster.api.close();
    });
}
