// kemu rollout status | undo | restart | history  (deployments)
import type { Command } from "commander";
import { Cluster, KemuError } from "../../cluster.js";
import { resourceByKind } from "../../api/resources.js";
import type { Deployment, ReplicaSet, Stored } from "../../api/types.js";
import { isControlledBy, timestamp } from "../../api/meta.js";
import { revisionOf, rollbackTemplate } from "../../controllers/history.js";
import { nameOption, parseDuration } from "../options.js";

const DEPLOYMENTS = resourceByKind("Deployment")!;
const REPLICASETS = resourceByKind("ReplicaSet")!;

function deploymentName(target: string): string {
  const m = /^(?:deployments?(?:\.apps)?|deploy)\/(.+)$/.exec(target);
  if (!m) throw new KemuError(`rollout: expected deployment/NAME, got ${JSON.stringify(target)}`);
  return m[1]!;
}

async function owned(cluster: Cluster, d: Stored<Deployment>): Promise<Stored<ReplicaSet>[]> {
  return (await cluster.api.list<ReplicaSet>(REPLICASETS, { namespace: d.metadata.namespace })).items.filter((rs) => isControlledBy(rs, d));
}

export async function rolloutUndo(cluster: Cluster, name: string, namespace = "default", toRevision?: number): Promise<number> {
  const d = await cluster.api.get<Deployment>(DEPLOYMENTS, namespace, name);
  const { revision, template } = rollbackTemplate(await owned(cluster, d), toRevision);
  await cluster.api.update(DEPLOYMENTS, { ...d, spec: { ...d.spec, template } });
  return revision;
}

/** Resolves when the Deployment's newest ReplicaSet has all replicas updated and available. */
export async function rolloutStatus(cluster: Cluster, name: string, namespace = "default", timeoutMs = 120_000): Promise<void> {
  let last = "";
  await cluster.waitFor(
    async () => {
      const d = await cluster.api.get<Deployment>(DEPLOYMENTS, namespace, name);
      const want = d.spec.replicas ?? 1;
      const s = d.status ?? {};
      last = `${s.updatedReplicas ?? 0} of ${want} updated replicas are available (${s.availableReplicas ?? 0} available, ${s.replicas ?? 0} total)`;
      return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) && s.updatedReplicas === want && s.availableReplicas === want && s.replicas === want;
    },
    { timeoutMs, what: () => `deployment "${name}" rollout: ${last}`, intervalMs: 100 },
  );
}

export function registerRolloutCommands(program: Command): void {
  const rollout = program.command("rollout").description("manage a Deployment's rollout");
  rollout
    .command("status")
    .argument("<deployment>", "deployment/NAME")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("--timeout <duration>", "how long to wait", "120s")
    .addOption(nameOption())
    .action(async (target: string, opts: { namespace: string; timeout: string; name?: string }) => {
      const cluster = Cluster.connect(opts.name);
      const name = deploymentName(target);
      await rolloutStatus(cluster, name, opts.namespace, parseDuration(opts.timeout, "--timeout"));
      process.stdout.write(`deployment "${name}" successfully rolled out\n`);
      cluster.api.close();
    });
  rollout
    .command("undo")
    .argument("<deployment>", "deployment/NAME")
    .option("--to-revision <n>", "revision to go back to (default: the previous one)")
    .option("-n, --namespace <ns>", "namespace", "default")
    .addOption(nameOption())
    .action(async (target: string, opts: { toRevision?: string; namespace: string; name?: string }) => {
      const cluster = Cluster.connect(opts.name);
      const name = deploymentName(target);
      const to = opts.toRevision !== undefined ? Number(opts.toRevision) : undefined;
      if (to !== undefined && !(Number.isInteger(to) && to > 0)) throw new KemuError(`--to-revision: expected a positive whole number, got ${JSON.stringify(opts.toRevision)}`);
      try {
        await rolloutUndo(cluster, name, opts.namespace, to);
      } catch (err) {
        throw err instanceof Error && !("reason" in err) ? new KemuError(err.message) : err;
      }
      process.stdout.write(`deployment.apps/${name} rolled back\n`);
      cluster.api.close();
    });
  rollout
    .command("restart")
    .argument("<deployment>", "deployment/NAME")
    .option("-n, --namespace <ns>", "namespace", "default")
    .addOption(nameOption())
    .action(async (target: string, opts: { namespace: string; name?: string }) => {
      const cluster = Cluster.connect(opts.name);
      const name = deploymentName(target);
      await cluster.api.patch(DEPLOYMENTS, opts.namespace, name, { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": timestamp() } } } } });
      process.stdout.write(`deployment.apps/${name} restarted\n`);
      cluster.api.close();
    });
  rollout
    .command("history")
    .argument("<deployment>", "deployment/NAME")
    .option("-n, --namespace <ns>", "namespace", "default")
    .addOption(nameOption())
    .action(async (target: string, opts: { namespace: string; name?: string }) => {
      const cluster = Cluster.connect(opts.name);
      const name = deploymentName(target);
      const d = await cluster.api.get<Deployment>(DEPLOYMENTS, opts.namespace, name);
      const rss = (await owned(cluster, d)).sort((a, b) => revisionOf(a) - revisionOf(b));
      process.stdout.write(`deployment.apps/${name}\nREVISION  CHANGE-CAUSE\n${rss.map((rs) => `${String(revisionOf(rs)).padEnd(10)}${rs.metadata.annotations?.["kubernetes.io/change-cause"] ?? "<none>"}`).join("\n")}\n`);
      cluster.api.close();
    });
}
