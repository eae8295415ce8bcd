// The server's picture of the cluster: informers (list + watch) on the
// objects the view is made of, a scene rebuilt at most every 200 ms after
// changes, and the difference from the last one handed to the listeners.
// Pods and policies also feed the probe's "did anything that decides
// reachability change" signature.
import type { ListWatchSource } from "../../api/informer.js";
import { Informer } from "../../api/informer.js";
import { resourceByKind } from "../../api/resources.js";
import type { EndpointSlice, Gateway, HTTPRoute, Ingress, KubeObject, Node, Pod, Service } from "../../api/types.js";
import { Coalescer } from "./coalesce.js";
import { layoutScene, type Scene } from "./layout.js";
import { probeSignature } from "./probe-loop.js";
import { diffScene, isEmptyUpdate, type SceneUpdate } from "./scene-diff.js";
import { buildView } from "./view.js";

export const SCENE_DEBOUNCE_MS = 200;

const informerOf = <T extends KubeObject>(source: ListWatchSource, kind: string) => new Informer<T>(source, resourceByKind(kind)!);

export class TopologyWatch {
  private readonly nodes: Informer<Node>;
  private readonly pods: Informer<Pod>;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly ingresses: Informer<Ingress>;
  private readonly gateways: Informer<Gateway>;
  private readonly routes: Informer<HTTPRoute>;
  private readonly policies: Informer<KubeObject>;
  private readonly clusterPolicies: Informer<KubeObject>;
  private current: Scene = { width: 0, height: 0, shapes: [], links: [] };
  private signature = "";
  private readonly rebuild: Coalescer;

  constructor(
    source: ListWatchSource,
    private readonly cluster: string,
    private readonly outsideIP: string | undefined,
    private readonly onScene: (update: SceneUpdate) => void,
    private readonly onProbeInputs: () => void,
  ) {
    this.nodes = informerOf(source, "Node");
    this.pods = informerOf(source, "Pod");
    this.services = informerOf(source, "Service");
    this.slices = informerOf(source, "EndpointSlice");
    this.ingresses = informerOf(source, "Ingress");
    this.gateways = informerOf(source, "Gateway");
    this.routes = informerOf(source, "HTTPRoute");
    this.policies = informerOf(source, "NetworkPolicy");
    this.clusterPolicies = informerOf(source, "ClusterNetworkPolicy");
    this.rebuild = new Coalescer(() => this.publish(), { debounceMs: SCENE_DEBOUNCE_MS, minIntervalMs: SCENE_DEBOUNCE_MS });
  }

  private all(): Informer<KubeObject>[] {
    return [this.nodes, this.pods, this.services, this.slices, this.ingresses, this.gateways, this.routes, this.policies, this.clusterPolicies] as unknown as Informer<KubeObject>[];
  }

  /** Resolves once every informer has listed; the scene is built by then. */
  async start(): Promise<void> {
    for (const inf of this.all()) inf.on(() => this.rebuild.poke());
    await Promise.all(this.all().map((inf) => inf.start()));
    this.current = this.build();
    this.signature = this.probeInputs();
  }

  stop(): void {
    this.rebuild.stop();
    for (const inf of this.all()) inf.stop();
  }

  scene(): Scene {
    return this.current;
  }

  private build(): Scene {
    return layoutScene(
      buildView({
        cluster: this.cluster,
        ...(this.outsideIP ? { outsideIP: this.outsideIP } : {}),
        nodes: this.nodes.list(),
        pods: this.pods.list(),
        services: this.services.list(),
        endpointSlices: this.slices.list(),
        ingresses: this.ingresses.list(),
        gateways: this.gateways.list(),
        httpRoutes: this.routes.list(),
      }),
    );
  }

  private probeInputs(): string {
    return probeSignature(this.pods.list(), [...this.policies.list(), ...this.clusterPolicies.list()]);
  }

  private publish(): void {
    const next = this.build();
    const update = diffScene(this.current, next);
    const changed = !isEmptyUpdate(update, this.current);
    this.current = next;
    if (changed) this.onScene(update);
    const signature = this.probeInputs();
    if (signature !== this.signature) {
      this.signature = signature;
      this.onProbeInputs();
    }
  }
}
