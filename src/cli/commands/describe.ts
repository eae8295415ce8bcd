// kemu describe KIND NAME | KIND/NAME | KIND (all of a kind): kubectl
// describe's text for pods, services, deployments, nodes, ingresses and
// network policies, with the object's Events at the bottom.
import type { Command } from "commander";
import { Cluster, KemuError } from "../../cluster.js";
import { resourceByName, type ResourceInfo } from "../../api/resources.js";
import type { Deployment, EndpointSlice, Event, Ingress, KubeObject, NetworkPolicy, Node, Pod, ReplicaSet, Service, Stored } from "../../api/types.js";
import type { ApiClient } from "../../api/client.js";
import { nameOption } from "../options.js";
import { parseGetTargets } from "../get-args.js";
import { goJson } from "../jsonpath.js";
import { requireResource } from "./objects.js";
import { describePod, type DescribeTime } from "../describe/pod.js";
import { describeDeployment, describeIngress, describeNetworkPolicy, describeNode, describeService } from "../describe/kinds.js";

const DESCRIBED = ["pods", "services", "deployments", "nodes", "ingresses", "networkpolicies"];

function must(name: string): ResourceInfo {
  const r = resourceByName(name);
  if (!r) throw new Error(`kemu serves no ${name}`);
  return r;
}

/** The events about an object, as searchEvents finds them (involvedObject kind, name, namespace and uid). */
async function eventsFor(api: ApiClient, obj: Stored<KubeObject>): Promise<Event[]> {
  const list = await api.list<Event>(must("events"), { namespace: obj.metadata.namespace });
  return list.items.filter((e) => {
    const ref = e.involvedObject;
    if (!ref || ref.kind !== obj.kind || ref.name !== obj.metadata.name) return false;
    if (obj.metadata.namespace && ref.namespace && ref.namespace !== obj.metadata.namespace) return false;
    return !ref.uid || ref.uid === obj.metadata.uid;
  });
}

async function slicesOf(api: ApiClient, namespace: string | undefined, service: string): Promise<EndpointSlice[]> {
  return (await api.list<EndpointSlice>(must("endpointslices"), { namespace, labelSelector: `kubernetes.io/service-name=${service}` })).items;
}

/** The text for one object of a described kind. */
async function describeOne(api: ApiClient, resource: ResourceInfo, obj: Stored<KubeObject>, time: DescribeTime): Promise<string> {
  const ns = obj.metadata.namespace;
  switch (resource.plural) {
    case "pods":
      return describePod(obj as Pod, await eventsFor(api, obj), time);
    case "services":
      return describeService(obj as Service, await slicesOf(api, ns, obj.metadata.name), await eventsFor(api, obj), time);
    case "deployments": {
      const d = obj as Deployment;
      const owned = (await api.list<ReplicaSet>(must("replicasets"), { namespace: ns })).items.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller && r.uid === d.metadata.uid));
      // FindNewReplicaSet: the set whose pod template is the deployment's, pod-template-hash aside.
      const templateKey = (t: unknown) => {
        const copy = JSON.parse(JSON.stringify(t ?? {})) as { metadata?: { labels?: Record<string, string> } };
        delete copy.metadata?.labels?.["pod-template-hash"];
        return goJson(copy);
      };
      const wanted = templateKey(d.spec?.template);
      const isNew = (rs: ReplicaSet) => templateKey(rs.spec?.template) === wanted;
      // kubectl lists only old sets that still have pods.
      const old = owned.filter((rs) => !isNew(rs) && (rs.spec?.replicas ?? 0) > 0);
      return describeDeployment(d, old, owned.filter(isNew), await eventsFor(api, obj), time);
    }
    case "nodes":
      return describeNode(obj as Node, await eventsFor(api, obj), time);
    case "ingresses": {
      const ing = obj as Ingress;
      const names = new Set<string>();
      if (ing.spec?.defaultBackend?.service) names.add(ing.spec.defaultBackend.service.name);
      for (const r of ing.spec?.rules ?? []) for (const p of r.http?.paths ?? []) if (p.backend.service) names.add(p.backend.service.name);
      const services = new Map<string, Service>();
      const slices = new Map<string, EndpointSlice[]>();
      for (const n of names) {
        const svc = await api.tryGet<Service>(must("services"), ns, n);
        if (svc) services.set(n, svc);
        slices.set(n, await slicesOf(api, ns, n));
      }
      return describeIngress(ing, services, slices, await eventsFor(api, obj), time);
    }
    case "networkpolicies":
      return describeNetworkPolicy(obj as NetworkPolicy, time);
  }
  throw new KemuError(`describe: kemu describes ${DESCRIBED.join(", ")}; for ${resource.plural} use kemu get ${resource.plural} ${obj.metadata.name} -o yaml`);
}

export function registerDescribeCommand(program: Command): void {
  program
    .command("describe")
    .description(`show an object in detail with its events, like kubectl describe (${DESCRIBED.join(", ")})`)
    .argument("<kind>", "a kind, or KIND/NAME")
    .argument("[names...]", "object names (none: every object of the kind)")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-A, --all-namespaces", "describe across all namespaces")
    .option("-l, --selector <selector>", "label selector")
    .addOption(nameOption())
    .action(async (first: string, rest: string[], opts: { namespace: string; allNamespaces?: boolean; selector?: string; name?: string }) => {
      const targets = parseGetTargets([first, ...rest]).map((t) => ({ ...t, resource: requireResource(t.kind) }));
      for (const t of targets) {
        if (!DESCRIBED.includes(t.resource.plural)) throw new KemuError(`describe: kemu describes ${DESCRIBED.join(", ")}, not ${t.resource.plural} (kemu get ${t.resource.plural} -o yaml shows every field)`);
      }
      const cluster = Cluster.connect(opts.name);
      const time: DescribeTime = { now: Date.now(), offsetMinutes: -new Date().getTimezoneOffset() };
      const texts: string[] = [];
      for (const t of targets) {
        const ns = t.resource.namespaced ? (opts.allNamespaces && t.names.length === 0 ? undefined : opts.namespace) : undefined;
        const objects = t.names.length
          ? await Promise.all(t.names.map((n) => cluster.api.get(t.resource, ns, n)))
          : (await cluster.api.list(t.resource, { namespace: ns, labelSelector: opts.selector })).items;
        for (const obj of objects) texts.push(await describeOne(cluster.api, t.resource, { ...obj, kind: obj.kind ?? t.resource.kind }, time));
      }
      cluster.api.close();
      if (texts.length === 0) {
        process.stderr.write(targets[0]!.resource.namespaced && !opts.allNamespaces ? `No resources found in ${opts.namespace} namespace.\n` : "No resources found\n");
        return;
      }
      // kubectl separates the objects it describes with a blank line.
      process.stdout.write(texts.join("\n\n"));
    });
}
