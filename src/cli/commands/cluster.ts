// kemu up / kemu down
import type { Command } from "commander";
import { Cluster, KemuError, clusterFromEnvironment, daemonAlive, isRoot, resolveClusterName } from "../../cluster.js";
import { clustersWithArtefacts, footprint, isEmptyFootprint, removeArtefacts } from "../../linux/cleanup.js";
import { hostProcesses } from "../../linux/processes.js";
import { describeDownAll, planDown, planDownAll } from "./down-plan.js";
import { collect, nameOption, parseDuration } from "../options.js";
import type { ProxyMode } from "../../agent/config.js";
import { endProgress, progress } from "../output.js";
import { registerKubeconfigCommand } from "./kubeconfig.js";
import { forgetKubeconfig } from "../../kubeconfig/file.js";
import { clusterPaths } from "../../daemon/config.js";

export function registerClusterCommands(program: Command): void {
  registerKubeconfigCommand(program);
  program
    .command("up")
    .description("start a cluster (nodes, control plane) and apply manifests; returns when nodes are Ready and pods Running")
    .option("-f, --filename <path>", "manifest file or directory to apply (repeatable)", collect, [])
    .option("--nodes <n>", "number of nodes", "2")
    .option("--timeout <duration>", "how long to wait for nodes and pods", "90s")
    .option("--proxy-mode <mode>", "kube-proxy mode: iptables or userspace", "iptables")
    .option("--nodeport-addresses <cidrs>", "kube-proxy's --nodeport-addresses: NodePorts answer only on node addresses in these IPv4 CIDRs (comma-separated; \"primary\": the node IP)")
    .option("--masquerade-all", "kube-proxy's --masquerade-all: SNAT every connection to a ClusterIP (backends see the node's address)")
    .option("--dns-upstream <addr>", "where cluster DNS forwards other names, ip[:port] (repeatable; none: such names are REFUSED)", collect, [])
    .option("--test-upstream-dns", "run a test DNS server for example.test on the outside host and forward to it")
    .option("--no-ingress", "leave out the router (kemu-system/ingress-router behind a LoadBalancer Service, serving Ingresses of the IngressClasses kemu and nginx and Gateways of the GatewayClass kemu)")
    .option("--node-monitor-grace-period <duration>", "kube-controller-manager's switch: a node whose agent is silent this long turns NotReady and its pods' endpoints stop serving", "40s")
    .option("--default-unreachable-toleration-seconds <n>", "kube-apiserver's switch: how long pods stay bound to an unreachable node before they are evicted", "300")
    .option("--default-not-ready-toleration-seconds <n>", "kube-apiserver's switch: the same for a node that reports NotReady", "300")
    .option("--kubeconfig <path>", "write the kubectl context kemu-<name> into this file (default: as kind does, the first existing file of $KUBECONFIG, else $HOME/.kube/config)")
    .addOption(nameOption())
    .action(async (opts: { kubeconfig?: string; filename: string[]; nodes: string; timeout: string; name?: string; proxyMode: string; masqueradeAll?: boolean; nodeportAddresses?: string; dnsUpstream: string[]; testUpstreamDns?: boolean; ingress?: boolean; nodeMonitorGracePeriod: string; defaultUnreachableTolerationSeconds: string; defaultNotReadyTolerationSeconds: string }) => {
      const nodes = Number(opts.nodes);
      if (!/^\d+$/.test(opts.nodes)) throw new KemuError(`--nodes: expected a whole number, got ${JSON.stringify(opts.nodes)}`);
      const started = Date.now();
      const cluster = await Cluster.start({
        name: opts.name ?? clusterFromEnvironment() ?? "kemu",
        nodes,
        files: opts.filename,
        timeoutMs: parseDuration(opts.timeout, "--timeout"),
        proxyMode: opts.proxyMode as ProxyMode,
        masqueradeAll: opts.masqueradeAll ?? false,
        nodePortAddresses: opts.nodeportAddresses?.split(",").map((a) => a.trim()),
        dnsUpstreams: opts.dnsUpstream,
        testUpstreamDns: opts.testUpstreamDns,
        ingress: opts.ingress ?? true,
        nodeMonitorGracePeriodSeconds: wholeSeconds(parseDuration(opts.nodeMonitorGracePeriod, "--node-monitor-grace-period"), "--node-monitor-grace-period"),
        defaultUnreachableTolerationSeconds: count(opts.defaultUnreachableTolerationSeconds, "--default-unreachable-toleration-seconds"),
        defaultNotReadyTolerationSeconds: count(opts.defaultNotReadyTolerationSeconds, "--default-not-ready-toleration-seconds"),
        onProgress: progress,
        keepOnFailure: true,
        kubeconfig: opts.kubeconfig ?? true,
      });
      endProgress();
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const flag = cluster.name === "kemu" ? "" : ` --name ${cluster.name}`;
      process.stdout.write(
        `Cluster "${cluster.name}" is up (${nodes} nodes, ${seconds}s).\n\nTry:\n` +
          `  kubectl get pods -A --context kemu-${cluster.name}   (context written to ${cluster.kubeconfigPath})\n` +
          `  kemu get nodes${flag}\n  kemu get pods -o wide${flag}\n  kemu exec${flag} POD -- curl -s http://POD_IP:8080/hostname\n  kemu down${flag}\n`,
      );
      cluster.api.close();
    });

  program
    .command("down")
    .description("stop a cluster and remove everything it created on the host")
    .addOption(nameOption())
    .option("--all", "remove what crashed clusters left on this host (clusters still running are listed, not stopped)")
    .option("--force", "with --all: stop the running clusters too")
    .action(async (opts: { name?: string; all?: boolean; force?: boolean }) => {
      if (opts.all && opts.name !== undefined) throw new KemuError("--all and --name: give one of them");
      if (opts.force && !opts.all) throw new KemuError("--force: only with --all (kemu down --name C always stops C)");
      if (!isRoot()) throw new KemuError("permission denied: kemu down removes network namespaces and processes: run kemu as root (sudo)");
      if (opts.all) {
        const plan = planDownAll(
          clustersWithArtefacts().map((name) => ({ name, running: daemonAlive(name) })),
          opts.force ?? false,
        );
        for (const name of plan.stop) await stopCluster(name);
        for (const name of plan.clean) await removeLeftovers(name);
        process.stdout.write(describeDownAll(plan));
        return;
      }
      const name = resolveClusterName(opts.name);
      const action = planDown(daemonAlive(name), !isEmptyFootprint(footprint(name)));
      if (action === "unknown") {
        const others = clustersWithArtefacts(hostProcesses());
        throw new KemuError(`no cluster named "${name}" on this host${others.length ? ` (there are: ${others.join(", ")})` : " (there are no kemu clusters here)"}`);
      }
      if (action === "stop") {
        await stopCluster(name);
        process.stdout.write(`Cluster "${name}" removed.\n`);
      } else {
        await removeLeftovers(name);
        process.stdout.write(`Cluster "${name}" removed (its control plane was not running: removed what it left).\n`);
      }
    });
}

/** What a cluster whose control plane is not running left, its kubeconfig context included. */
async function removeLeftovers(name: string): Promise<void> {
  await forgetKubeconfig(name, clusterPaths(name).dir).catch((err: unknown) => process.stderr.write(`kemu: ${(err as Error).message}\n`));
  await removeArtefacts(name);
}

/** Asks the control plane to stop (it stops its pods gracefully), then removes whatever is left. */
async function stopCluster(name: string): Promise<void> {
  try {
    await Cluster.connect(name).stop();
  } catch {
    await removeArtefacts(name);
  }
}

function wholeSeconds(ms: number, option: string): number {
  if (ms % 1000 !== 0) throw new KemuError(`${option}: expected whole seconds (like 40s or 2m), got ${ms} ms`);
  return ms / 1000;
}

function count(text: string, option: string): number {
  if (!/^\d+$/.test(text.trim())) throw new KemuError(`${option}: expected a whole number of seconds, got ${JSON.stringify(text)}`);
  return Number(text);
}
