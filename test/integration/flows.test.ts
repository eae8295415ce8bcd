// kemu flows in a real 2-node cluster: a pod curls a Service and the stream
// shows one record per connection with the client's, the Service's and the
// chosen endpoint's names (a connection across nodes once, with both nodes);
// a deny-all ingress NetworkPolicy makes the next attempt a drop naming the
// policy; `kemu flows -o json` without -f lists the nodes' tables; the filters.
// Upstream: hubble observe prints a flow per event with its verdict and, for
// policy drops, the policy (cilium/hubble, `hubble observe --verdict DROPPED`);
// kemu prints one line per connection instead (docs/observe-behaviours.md).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Cluster } from "../../src/index.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { Pod } from "../../src/api/types.js";
import type { Flow } from "../../src/observe/flows/model.js";
import { watchFlows } from "../../src/observe/flows/watch.js";
import { leftovers, NONE, rootOnly, uniqueClusterName } from "../support/host.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!rootOnly())("kemu flows", () => {
  const name = uniqueClusterName("fl");
  let cluster: Cluster;
  const kemu = (...args: string[]) => spawnSync(KEMU, ["flows", "--name", name, ...args], { encoding: "utf8", timeout: 30_000 });
  const podsOf = async () => {
    const pods = await cluster.api.list<Pod>(resourceByKind("Pod")!, { namespace: "default" });
    return new Map(pods.items.map((p) => [p.metadata.name ?? "", p.spec.nodeName ?? ""]));
  };

  beforeAll(async () => {
    cluster = await Cluster.start({ name, nodes: 2, ingress: false, files: [join(PACKAGE_ROOT, "examples", "quickstart")], timeoutMs: 150_000 });
  }, 200_000);

  afterAll(async () => {
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("a curl to a Service: one forwarded record per connection naming client, Service and the endpoint that answered; its close", async () => {
    const flows: Flow[] = [];
    const watch = await watchFlows(cluster, { namespace: "default", pod: "client" }, (f) => flows.push(f));
    const answered: string[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const r = await cluster.exec("client", ["curl", "-s", "-m", "3", "http://web/hostname"]);
        expect(r.exitCode).toBe(0);
        answered.push(r.stdout.trim());
      }
      // past the merge window, so both nodes have reported each connection
      await sleep(3500);
    } finally {
      await watch.stop();
    }
    const nodeOf = await podsOf();
    const toWeb = flows.filter((f) => f.destination.name === "default/web" && f.protocol === "TCP");
    const opened = toWeb.filter((f) => f.state === "new");
    // one record per connection, not one per node that saw it
    // (the same endpoints; two nodes' readers may deliver a connection's first event in another order)
    expect(opened.map((f) => f.endpoint?.name).sort()).toEqual(answered.map((h) => `default/${h}`).sort());
    for (const f of opened) {
      expect(f).toMatchObject({ verdict: "forwarded", source: { name: "default/client", kind: "pod" }, destination: { port: 80, kind: "service" }, endpoint: { port: 8080, kind: "pod" } });
      const endpointNode = nodeOf.get(f.endpoint!.name!.slice("default/".length))!;
      expect(f.node).toBe(nodeOf.get("client"));
      expect(f.endpoint!.node).toBe(endpointNode);
      expect(f.nodes).toEqual(endpointNode === f.node ? [f.node] : [f.node, endpointNode]);
    }
    expect(new Set(opened.map((f) => f.source.port)).size).toBe(6);
    // each closed (TIME_WAIT), once
    const closed = toWeb.filter((f) => f.state === "closed");
    expect(closed.map((f) => f.source.port).sort()).toEqual(opened.map((f) => f.source.port).sort());
    for (const f of closed) expect(f.durationMs).toBeGreaterThanOrEqual(0);
    // the name lookups went through the DNS Service
    expect(flows.some((f) => f.destination.name === "kube-system/kube-dns" && f.protocol === "UDP")).toBe(true);
  }, 60_000);

  it("kemu flows -o json (no -f) lists the connections the nodes track now; -n, --pod, --verdict filter them", () => {
    const all = kemu("-o", "json", "--pod", "client");
    expect(all.status).toBe(0);
    const flows = all.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { flow: Flow }).flow);
    const toWeb = flows.filter((f) => f.destination.name === "default/web");
    expect(toWeb.length).toBeGreaterThanOrEqual(6);
    for (const f of toWeb) expect(f).toMatchObject({ source: { name: "default/client" }, endpoint: { port: 8080 }, verdict: "forwarded" });
    // TIME_WAIT entries: closed; none is still waiting for an answer
    expect(toWeb.every((f) => f.state === "closed")).toBe(true);
    for (const f of flows) expect([f.source.name, f.destination.name, f.endpoint?.name]).toContain("default/client");

    const other = kemu("-o", "json", "-n", "kube-system", "--pod", "client");
    expect(other.status).toBe(0);
    expect(other.stdout).toBe("");
    const dropped = kemu("-o", "json", "--verdict", "dropped");
    expect(dropped.stdout).toBe("");
    const text = kemu("--pod", "client", "--verdict", "forwarded");
    expect(text.stdout).toMatch(/ {2}default\/client:\d+ -> default\/web:80 \(Service\) => default\/web-[a-z0-9-]+:8080 \(node-\d\) {2}TCP {2}FORWARDED {2}closed\n/);
    const bad = kemu("--verdict", "denied");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--verdict: expected one of forwarded, dropped, rejected, got "denied"');
  }, 60_000);

  it("a deny-all ingress NetworkPolicy: the next attempts are dropped records naming the policy", async () => {
    await cluster.apply({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "deny-all", namespace: "default" },
      spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] },
    });
    // until the agents have written it
    for (let i = 0; i < 50; i++) {
      if ((await cluster.exec("client", ["curl", "-s", "-m", "1", "http://web/hostname"])).exitCode !== 0) break;
      await sleep(200);
    }
    const flows: Flow[] = [];
    const watch = await watchFlows(cluster, { verdict: "dropped" }, (f) => flows.push(f));
    try {
      for (let i = 0; i < 4; i++) expect((await cluster.exec("client", ["curl", "-s", "-m", "1", "http://web/hostname"])).exitCode).not.toBe(0);
      await sleep(600);
    } finally {
      await watch.stop();
    }
    expect(flows.length).toBeGreaterThanOrEqual(4);
    for (const f of flows) {
      expect(f).toMatchObject({ verdict: "dropped", protocol: "TCP", source: { name: "default/client" }, policy: { kind: "NetworkPolicy", namespace: "default", name: "deny-all", part: "ingress" } });
      // the web pod it was sent to: as the endpoint behind the Service when the client's node confirmed the connection, else as the destination
      expect((f.endpoint ?? f.destination).name).toMatch(/^default\/web-/);
      expect((f.endpoint ?? f.destination).port).toBe(8080);
    }
    // across nodes the client's node saw the Service: at least one record says so
    const nodeOf = await podsOf();
    const crossed = flows.filter((f) => f.nodes.length === 2);
    for (const f of crossed) expect(f.destination).toMatchObject({ name: "default/web", port: 80 });
    if ([...nodeOf.entries()].some(([pod, node]) => pod.startsWith("web-") && node !== nodeOf.get("client"))) expect(crossed.length).toBeGreaterThan(0);
  }, 90_000);
});
