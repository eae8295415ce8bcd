// kemu port-forward POD|pod/NAME|svc/NAME [LOCAL:]REMOTE…: as kubectl
// port-forward, through the same API (pods/portforward, SPDY/3.1 on the
// API socket), listening on 127.0.0.1 only.
import net from "node:net";
import type { Command } from "commander";
import { Cluster, KemuError } from "../../cluster.js";
import { nameOption } from "../options.js";
import { resourceByKind } from "../../api/resources.js";
import type { Pod, Service, Stored } from "../../api/types.js";
import { containerPortFor, parsePortPair, pickServicePod, type PortPair } from "../../api/stream/portforward-target.js";
import { labelSelectorToString } from "../../api/selectors.js";

const PODS = resourceByKind("Pod")!;
const SERVICES = resourceByKind("Service")!;

export function registerPortForwardCommand(program: Command): void {
  program
    .command("port-forward")
    .description("forward local ports (on 127.0.0.1) to a pod's ports, as kubectl port-forward")
    .argument("<target>", "pod name, pod/NAME, or svc/NAME (a running pod the Service selects)")
    .argument("<ports...>", "LOCAL:REMOTE, PORT (the same on both ends) or :REMOTE (any free local port)")
    .option("-n, --namespace <ns>", "namespace", "default")
    .addOption(nameOption())
    .action(async (target: string, portSpecs: string[], opts: { namespace: string; name?: string }) => {
      let pairs: PortPair[];
      try {
        pairs = portSpecs.map(parsePortPair);
      } catch (err) {
        throw new KemuError(`port-forward: ${(err as Error).message}`);
      }
      const cluster = Cluster.connect(opts.name);
      const { pod, ports } = await resolveTarget(cluster, target, opts.namespace, pairs);
      if (pod.status?.phase !== "Running") throw new KemuError(`unable to forward port because pod is not running. Current status=${pod.status?.phase ?? "Pending"}`);
      cluster.api.close();
      // Loaded here, not at the top: its WebSocket library would slow every other command's start.
      const { dialPortForward, forwardConnection } = await import("../../api/stream/portforward-client.js");
      const session = await dialPortForward(cluster.api.socketPath, opts.namespace, pod.metadata.name);
      let requestId = 0;
      const servers = await Promise.all(
        ports.map(
          (pair) =>
            new Promise<net.Server>((resolve, reject) => {
              // Half-open: a client that has sent all and shut its side still gets the answer.
              const server = net.createServer({ allowHalfOpen: true }, (conn) => {
                const local = (server.address() as net.AddressInfo).port;
                process.stdout.write(`Handling connection for ${local}\n`);
                void forwardConnection(session, conn, pair.remote, requestId++).then((text) => {
                  if (text) process.stderr.write(`error: an error occurred forwarding ${local} -> ${pair.remote}: ${text}\n`);
                });
              });
              server.once("error", (err: NodeJS.ErrnoException) => reject(new KemuError(`unable to listen on 127.0.0.1:${pair.local}: ${err.code === "EADDRINUSE" ? "address already in use" : err.message}`)));
              server.listen(pair.local, "127.0.0.1", () => {
                process.stdout.write(`Forwarding from 127.0.0.1:${(server.address() as net.AddressInfo).port} -> ${pair.remote}\n`);
                resolve(server);
              });
            }),
        ),
      );
      let stopping = false;
      const stop = (code: number) => {
        stopping = true;
        for (const s of servers) s.close();
        session.close();
        process.exit(code);
      };
      process.on("SIGINT", () => stop(0));
      process.on("SIGTERM", () => stop(0));
      session.on("close", () => {
        if (stopping) return;
        process.stderr.write("error: lost connection to pod\n");
        process.exit(1);
      });
    });
}

/** The pod and the pod-side ports: a Service port becomes the container port it targets, as kubectl translates it. */
async function resolveTarget(cluster: Cluster, target: string, namespace: string, pairs: PortPair[]): Promise<{ pod: Stored<Pod>; ports: PortPair[] }> {
  const slash = target.indexOf("/");
  const kind = slash < 0 ? "pod" : target.slice(0, slash).toLowerCase();
  const name = slash < 0 ? target : target.slice(slash + 1);
  if (!name) throw new KemuError(`port-forward: ${JSON.stringify(target)}: give a name after the /`);
  if (["pod", "pods", "po"].includes(kind)) return { pod: await cluster.api.get<Pod>(PODS, namespace, name), ports: pairs };
  if (!["svc", "service", "services"].includes(kind)) throw new KemuError(`port-forward: ${JSON.stringify(target)}: expected a pod (NAME or pod/NAME) or a Service (svc/NAME)`);
  const service = await cluster.api.get<Service>(SERVICES, namespace, name);
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) throw new KemuError(`cannot attach to *v1.Service: invalid service '${name}': Service is defined without a selector`);
  const pods = (await cluster.api.list<Pod>(PODS, { namespace, labelSelector: labelSelectorToString({ matchLabels: selector }) })).items;
  const pod = pickServicePod(pods);
  if (!pod) throw new KemuError(`timed out waiting for the condition: no running pod selected by service ${name}`);
  try {
    return { pod, ports: pairs.map((p) => ({ local: p.local, remote: containerPortFor(service, pod, p.remote) })) };
  } catch (err) {
    throw new KemuError((err as Error).message);
  }
}
