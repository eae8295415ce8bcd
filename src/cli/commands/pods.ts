// kemu exec / kemu logs
import { spawn } from "node:child_process";
import http from "node:http";
import type { Command } from "commander";
import { Cluster, KemuError } from "../../cluster.js";
import { nameOption } from "../options.js";

export function registerPodCommands(program: Command): void {
  program
    .command("exec")
    .description("run a command in a pod's container, or with --host on a node or the outside host")
    .argument("[pod]", "pod name (omit with --host)")
    .argument("[command...]", "command and arguments, after --")
    .option("-c, --container <name>", "container (default: the first)")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("--host <host>", "node-1 … node-N, or outside")
    .option("-i, --stdin", "pass stdin to the command")
    .addOption(nameOption())
    .action(async (pod: string | undefined, command: string[], opts: { container?: string; namespace: string; host?: string; stdin?: boolean; name?: string }) => {
      const cluster = Cluster.connect(opts.name);
      let argv: string[];
      // In a pod, the command gets the container's environment, as kubectl exec gives it.
      let env: Record<string, string> | undefined;
      if (opts.host) {
        // With --host there is no pod: the first word is the command itself.
        const words = pod ? [pod, ...command] : command;
        if (words.length === 0) throw new KemuError("exec: give a command after --, e.g. kemu exec --host node-1 -- ip route");
        argv = cluster.hostArgv(opts.host, words);
      } else {
        if (!pod) throw new KemuError("exec: give a pod name, or --host NODE|outside");
        if (command.length === 0) throw new KemuError("exec: give a command after --, e.g. kemu exec web -- hostname");
        ({ argv, env } = await cluster.execCommand(pod, command, { namespace: opts.namespace, container: opts.container }));
      }
      cluster.api.close();
      const child = spawn(argv[0]!, argv.slice(1), { stdio: [opts.stdin ? "inherit" : "ignore", "inherit", "inherit"], ...(env ? { env } : {}) });
      child.on("error", (err) => {
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(126);
      });
      // exec exits with the command's own exit code.
      child.on("close", (code, signal) => process.exit(code ?? (signal === "SIGKILL" ? 137 : 143)));
    });

  program
    .command("logs")
    .description("print a container's stdout/stderr")
    .argument("<pod>", "pod name")
    .option("-c, --container <name>", "container (needed when the pod has several)")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-f, --follow", "stream new output")
    .option("-p, --previous", "the previous (restarted) container's output")
    .option("--tail <lines>", "only the last N lines")
    .addOption(nameOption())
    .action(async (pod: string, opts: { container?: string; namespace: string; follow?: boolean; previous?: boolean; tail?: string; name?: string }) => {
      const cluster = Cluster.connect(opts.name);
      const q = new URLSearchParams();
      if (opts.container) q.set("container", opts.container);
      if (opts.follow) q.set("follow", "true");
      if (opts.previous) q.set("previous", "true");
      if (opts.tail !== undefined) q.set("tailLines", opts.tail);
      const path = `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods/${encodeURIComponent(pod)}/log?${q}`;
      // Streamed straight through, so -f shows lines as they come.
      await new Promise<void>((resolve, reject) => {
        const req = http.request({ socketPath: cluster.paths.socket, path, method: "GET" }, (res) => {
          if ((res.statusCode ?? 500) >= 400) {
            let body = "";
            res.on("data", (c: Buffer) => (body += c.toString()));
            res.on("end", () => {
              let message = body;
              try {
                message = (JSON.parse(body) as { message: string }).message;
              } catch {
                /* plain text */
              }
              reject(new KemuError(message));
            });
            return;
          }
          res.pipe(process.stdout, { end: false });
          res.on("end", () => resolve());
        });
        req.on("error", reject);
        req.end();
      });
      cluster.api.close();
    });
}
