// kemu apply / delete / wait (get: get.ts)
import type { Command } from "commander";
import { Cluster, KemuError } from "../../cluster.js";
import { describeApplied } from "../../api/apply.js";
import { loadManifests } from "../../api/manifests.js";
import { RESOURCES, resourceByName, resourceByKind, type ResourceInfo } from "../../api/resources.js";
import { ApiError } from "../../api/errors.js";
import type { KubeObject, Stored } from "../../api/types.js";
import { collect, nameOption, parseDuration } from "../options.js";

export function requireResource(name: string): ResourceInfo {
  const r = resourceByName(name);
  if (!r) throw new KemuError(`the server doesn't have a resource type "${name}" (kemu serves: ${RESOURCES.map((x) => x.plural).join(", ")})`);
  return r;
}

export function registerObjectCommands(program: Command): void {
  program
    .command("apply")
    .description("create or update objects from manifests, all or nothing: one bad object, or a ClusterIP or NodePort already taken, and nothing changes")
    .requiredOption("-f, --filename <path>", "manifest file or directory (repeatable)", collect, [])
    .option("-n, --namespace <ns>", "namespace for objects that name none", "default")
    .addOption(nameOption())
    .action(async (opts: { filename: string[]; namespace: string; name?: string }) => {
      const objects = loadManifests(opts.filename);
      const cluster = Cluster.connect(opts.name);
      const { applyObjects } = await import("../../api/apply.js");
      const applied = await applyObjects(cluster.api, objects, opts.namespace);
      for (const a of applied) process.stdout.write(`${describeApplied(a)}\n`);
      cluster.api.close();
    });

  program
    .command("delete")
    .description("delete objects by kind and name, or those in manifests")
    .argument("[kind]", "kind of object")
    .argument("[names...]", "object names")
    .option("-f, --filename <path>", "delete the objects in a manifest (repeatable)", collect, [])
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("--grace-period <seconds>", "seconds a pod gets to stop (default: the pod's terminationGracePeriodSeconds)")
    .option("--now", "same as --grace-period=1")
    .option("--force", "with --grace-period=0: remove immediately")
    .option("--wait <bool>", "wait until the objects are gone", "true")
    .option("--ignore-not-found", "no error for objects that do not exist")
    .addOption(nameOption())
    .action(async (kind: string | undefined, names: string[], opts: { filename: string[]; namespace: string; gracePeriod?: string; now?: boolean; wait: string; ignoreNotFound?: boolean; name?: string }) => {
      const targets: { resource: ResourceInfo; namespace?: string; name: string }[] = [];
      if (opts.filename.length) {
        for (const { object, source } of loadManifests(opts.filename)) {
          const resource = resourceByKind(object.kind, object.apiVersion);
          if (!resource) throw new KemuError(`${source}: no matches for kind "${object.kind}" in version "${object.apiVersion}"`);
          targets.push({ resource, namespace: resource.namespaced ? (object.metadata?.namespace ?? opts.namespace) : undefined, name: object.metadata?.name ?? "" });
        }
      } else {
        if (!kind || names.length === 0) throw new KemuError("delete: give a kind and at least one name (kemu delete pod web-1), or -f FILE");
        const resource = requireResource(kind);
        for (const n of names) targets.push({ resource, namespace: resource.namespaced ? opts.namespace : undefined, name: n });
      }
      const grace = opts.now ? 1 : opts.gracePeriod !== undefined ? Number(opts.gracePeriod) : undefined;
      if (grace !== undefined && !(Number.isInteger(grace) && grace >= 0)) throw new KemuError(`--grace-period: expected a whole number of seconds, got ${JSON.stringify(opts.gracePeriod)}`);
      const cluster = Cluster.connect(opts.name);
      let failed = false;
      for (const t of targets) {
        try {
          const deleted = await cluster.api.delete(t.resource, t.namespace, t.name, grace !== undefined ? { gracePeriodSeconds: grace } : {});
          process.stdout.write(`${t.resource.singular}${t.resource.group ? `.${t.resource.group}` : ""} "${t.name}" deleted\n`);
          if (opts.wait !== "false") {
            await cluster.waitFor(async () => (await cluster.api.tryGet(t.resource, t.namespace, t.name))?.metadata.uid !== deleted.metadata.uid, {
              timeoutMs: ((grace ?? 30) + 30) * 1000,
              what: () => `${t.resource.singular} "${t.name}" to be deleted`,
              intervalMs: 50,
            });
          }
        } catch (err) {
          if (err instanceof ApiError && err.reason === "NotFound" && opts.ignoreNotFound) continue;
          failed = true;
          process.stderr.write(err instanceof ApiError ? `Error from server (${err.reason}): ${err.message}\n` : `error: ${(err as Error).message}\n`);
        }
      }
      cluster.api.close();
      if (failed) process.exit(1);
    });

  program
    .command("wait")
    .description("wait for a condition on objects, e.g. kemu wait pods -l app=web --for=condition=Ready")
    .argument("<target>", "kind (with -l) or kind/name")
    .requiredOption("--for <condition>", "ready, condition=NAME, or delete")
    .option("-l, --selector <selector>", "label selector")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("--timeout <duration>", "how long to wait", "30s")
    .addOption(nameOption())
    .action(async (target: string, opts: { for: string; selector?: string; namespace: string; timeout: string; name?: string }) => {
      const [kind, objName] = target.split("/") as [string, string | undefined];
      const resource = requireResource(kind);
      const forWhat = opts.for.toLowerCase();
      const conditionName = forWhat === "ready" ? "Ready" : /^condition=(.+)$/i.exec(opts.for)?.[1];
      if (!conditionName && forWhat !== "delete") throw new KemuError(`--for: expected ready, condition=NAME or delete, got ${JSON.stringify(opts.for)}`);
      const timeoutMs = parseDuration(opts.timeout, "--timeout");
      const cluster = Cluster.connect(opts.name);
      const ns = resource.namespaced ? opts.namespace : undefined;
      const fetch = async () =>
        objName ? [await cluster.api.tryGet(resource, ns, objName)].filter((o): o is Stored<KubeObject> => o !== undefined) : (await cluster.api.list(resource, { namespace: ns, labelSelector: opts.selector })).items;
      const met = (o: Stored<KubeObject>) =>
        ((o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type.toLowerCase() === conditionName!.toLowerCase() && c.status === "True");
      let last: Stored<KubeObject>[] = [];
      await cluster.waitFor(
        async () => {
          last = await fetch();
          return forWhat === "delete" ? last.length === 0 : last.length > 0 && last.every(met);
        },
        { timeoutMs, what: () => (forWhat === "delete" ? `deletion of ${last.map((o) => o.metadata.name).join(", ")}` : `condition ${conditionName} on ${last.length ? last.filter((o) => !met(o)).map((o) => `${resource.singular}/${o.metadata.name}`).join(", ") : `${target}${opts.selector ? ` -l ${opts.selector}` : ""} (none found)`}`), intervalMs: 50 },
      );
      for (const o of last) process.stdout.write(`${resource.singular}/${o.metadata.name} condition met\n`);
      cluster.api.close();
    });
}
