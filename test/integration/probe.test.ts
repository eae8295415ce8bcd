// kemu probe end to end: the reachability matrix between real pods, probed
// in their network namespaces as upstream's e2e netpol suite probes them
// (kubernetes test/e2e/network/netpol/probe.go with `agnhost connect`:
// TCP = the handshake, UDP = "hostname" answered), printed as its truth
// tables, checked with --expect, explained with --explain.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster } from "../../src/index.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { renderTables, timing } from "../../src/probe/render.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { AGNHOST } from "../support/workloads.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");

/** A pod as upstream's netpol model makes them: one agnhost netexec container per port, serving TCP and UDP there. */
function servingPod(namespace: string, name: string, node: string, ports: number[]): string {
  const containers = ports
    .map(
      (p) => `    - name: cont-${p}
      image: ${AGNHOST}
      args: [netexec, --http-port=${p}, --udp-port=${p}]
      ports: [{ name: serve-${p}-tcp, containerPort: ${p} }, { name: serve-${p}-udp, containerPort: ${p}, protocol: UDP }]
`,
    )
    .join("");
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${namespace}, labels: { pod: ${name} } }
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 0
  containers:
${containers}`;
}

const PODS = ["x/a", "x/b", "y/a", "y/b", "y/c"];

describe.skipIf(!rootOnly())("kemu probe", () => {
  const name = uniqueClusterName("probe");
  const dir = mkdtempSync(join(tmpdir(), "kemu-probe-"));
  let cluster: Cluster;
  const kemu = (...args: string[]) => spawnSync(KEMU, ["probe", "--name", name, ...args], { encoding: "utf8", timeout: 60_000 });

  beforeAll(async () => {
    cluster = await Cluster.start({
      ingress: false,
      name,
      nodes: 3,
      timeoutMs: 90_000,
      manifests: [
        "apiVersion: v1\nkind: Namespace\nmetadata: { name: x }\n",
        "apiVersion: v1\nkind: Namespace\nmetadata: { name: y }\n",
        servingPod("x", "a", "node-1", [80, 81]),
        servingPod("x", "b", "node-2", [80, 81]),
        servingPod("y", "a", "node-3", [80, 81]),
        servingPod("y", "b", "node-1", [80, 81]),
        // Serves 80 only: nothing listens on its 81.
        servingPod("y", "c", "node-2", [80]),
        `apiVersion: v1
kind: Service
metadata: { name: s-y-b, namespace: y }
spec:
  selector: { pod: b }
  ports: [{ name: tcp-80, port: 80, targetPort: 80 }, { name: udp-81, port: 81, targetPort: 81, protocol: UDP }]
`,
      ],
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(leftovers(name)).toEqual(NONE);
  });

  it("without policies every pod reaches every pod on 80 and 81, TCP and UDP; a port nobody serves is X (refused)", async () => {
    const m = await cluster.probe({ namespaces: ["x", "y"] });
    console.log(`5×5 pods × 4 port/protocols: ${timing(m)}`);
    expect(m.sources.map((s) => s.key)).toEqual(PODS);
    expect(m.portProtocols).toEqual([
      { port: 80, protocol: "TCP" },
      { port: 80, protocol: "UDP" },
      { port: 81, protocol: "TCP" },
      { port: 81, protocol: "UDP" },
    ]);
    expect(m.cells).toHaveLength(5 * 5 * 4);
    for (const c of m.cells) {
      if (c.to === "y/c" && c.port === 81) expect([c.from, c.to, c.port, c.protocol, c.reachable, c.detail]).toEqual([c.from, "y/c", 81, c.protocol, false, "refused"]);
      else expect([c.from, c.to, c.port, c.protocol, c.reachable, c.detail]).toEqual([c.from, c.to, c.port, c.protocol, true, "ok"]);
    }
    const text = renderTables(m);
    expect(text).toContain("81/UDP\n-    x/a  x/b  y/a  y/b  y/c\nx/a  .    .    .    .    X\n");
    expect(m.elapsedMs).toBeLessThan(3_000);
  });

  it("SCTP cells are ? where the kernel has no SCTP (never X), else X (refused: nobody serves SCTP here)", async () => {
    const m = await cluster.probe({ namespaces: ["x", "y"], ports: [80], protocols: ["SCTP"] });
    // Read after the probe: a probe that made the kernel load SCTP would show it here.
    const kernelHasSctp = /^SCTP\b/m.test(readFileSync("/proc/net/protocols", "utf8"));
    expect(m.cells).toHaveLength(25);
    for (const c of m.cells) expect([c.reachable, c.detail]).toEqual(kernelHasSctp ? [false, "refused"] : [null, "unsupported"]);
    if (!kernelHasSctp) expect(renderTables(m)).toContain("80/SCTP\n-    x/a  x/b  y/a  y/b  y/c\nx/a  ?    ?    ?    ?    ?\n");
  });

  it("prints -o json as {cells: [...]}, which --expect reads back: no difference, exit 0", () => {
    const r = kemu("-n", "x,y", "-o", "json");
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { cells: Record<string, unknown>[] };
    expect(Object.keys(doc)).toEqual(["cells"]);
    expect(doc.cells).toHaveLength(100);
    expect(doc.cells[0]).toEqual({ from: "x/a", to: "x/a", port: 80, protocol: "TCP", reachable: true, detail: "ok" });
    expect(doc.cells.find((c) => c.from === "x/b" && c.to === "y/c" && c.port === 81 && c.protocol === "UDP")).toEqual({ from: "x/b", to: "y/c", port: 81, protocol: "UDP", reachable: false, detail: "refused" });
    expect(r.stderr).toMatch(/^probed 100 cells from 5 pods in \d+\.\d\ds \(timeout 1000 ms per probe\)\n$/);

    writeFileSync(join(dir, "now.json"), r.stdout);
    const same = kemu("--expect", join(dir, "now.json"));
    expect(same.stdout).toMatch(/^all 80 cells as expected; 20 loopback cells \(a pod to itself\) ignored, as upstream's e2e does \(--loopback compares them\)\nprobed 100 cells/);
    expect(same.status).toBe(0);
  });

  it("--expect prints only the differences and exits 1 (JSON and table expectations alike)", () => {
    const cells = [
      { from: "x/a", to: "y/b", port: 80, protocol: "TCP", reachable: false },
      { from: "x/a", to: "y/a", port: 80, protocol: "TCP", reachable: true },
      { from: "y/a", to: "y/c", port: 81, protocol: "TCP", reachable: true },
      { from: "y/a", to: "y/a", port: 81, protocol: "TCP", reachable: false },
    ];
    writeFileSync(join(dir, "wrong.json"), JSON.stringify({ cells }));
    const r = kemu("--expect", join(dir, "wrong.json"));
    expect(r.stdout.split("\n").slice(0, 3)).toEqual([
      "x/a -> y/b 80/TCP: expected X, observed .",
      "y/a -> y/c 81/TCP: expected ., observed X (refused)",
      // The file decides what is probed: x and y on 80/TCP and 81/TCP.
      "2 of 3 cells differ (each probed twice); 1 loopback cell (a pod to itself) ignored, as upstream's e2e does (--loopback compares them); 46 probed cells without an expectation",
    ]);
    expect(r.status).toBe(1);

    writeFileSync(join(dir, "wrong.txt"), ["80/UDP", "-    x/a  y/c", "x/a  .    .", "y/c  X    .", ""].join("\n"));
    const t = kemu("--expect", join(dir, "wrong.txt"));
    expect(t.stdout).toMatch(/^y\/c -> x\/a 80\/UDP: expected X, observed \.\n1 of 2 cells differ \(each probed twice\); 2 loopback cells/);
    expect(t.status).toBe(1);

    const missing = kemu("--expect", join(dir, "nope.json"));
    expect(missing.stderr).toBe(`error: --expect: cannot read ${join(dir, "nope.json")}: ENOENT\n`);
    expect(missing.status).toBe(1);
  });

  it("bad flags get one line naming the flag", () => {
    const r = kemu("-n", "x", "--port", "80,http");
    expect(r.stderr).toBe('error: --port: invalid port "http": expected a number from 1 to 65535\n');
    expect(r.status).toBe(1);
    const none = kemu("-n", "nothing-here");
    expect(none.stderr).toBe("error: no running pods with an IP in namespace nothing-here: choose namespaces with -n x,y or -A\n");
  });

  it("--to-services probes each Service's ClusterIP on its own ports; --to-outside the outside host, through a listener kemu runs there", async () => {
    const m = await cluster.probe({ namespaces: ["x", "y"], ports: [80, 81], protocols: ["TCP", "UDP"], toServices: true, toOutside: true });
    const svcCells = m.cells.filter((c) => c.to === "svc:y/s-y-b");
    expect(svcCells.map((c) => `${c.port}/${c.protocol}`).sort()).toEqual([...Array(5).fill("80/TCP"), ...Array(5).fill("81/UDP")]);
    expect(svcCells.every((c) => c.reachable)).toBe(true);
    const outside = m.cells.filter((c) => c.to === "outside");
    expect(outside).toHaveLength(5 * 4);
    expect(outside.every((c) => c.reachable && c.address === "172.18.0.1")).toBe(true);
    expect(renderTables(m)).toContain("80/TCP\n-    x/a  x/b  y/a  y/b  y/c  svc:y/s-y-b  outside\n");
    // The listener is gone with the probe.
    expect(leftovers(name).processes.filter((p) => p.includes(" --serve "))).toEqual([]);
  });

  it("--explain says which side decides (no policy: default allow on both) and that the kernel agreed", async () => {
    const r = kemu("--explain", "x/a", "y/b", "--port", "80", "--protocol", "TCP");
    expect(r.stdout).toBe(
      [
        "x/a -> y/b 80/TCP: allowed by the policies",
        "  egress of x/a: allowed: no policy decides (default allow)",
        "  ingress of y/b: allowed: no policy decides (default allow)",
        "  kernel: . reachable: agrees",
        "",
      ].join("\n"),
    );
    expect(r.status).toBe(0);
    const e = await cluster.explain("y/a", "y/c", { port: 81 });
    expect([e.verdict.allowed, e.observed.reachable, e.observed.detail, e.agreed]).toEqual([true, false, "refused", false]);
  });

  it("--compare checks every cell against the policies in force (a default-deny ingress in y, then x allowed to y/b on 80)", async () => {
    await cluster.apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny-ingress, namespace: y }
spec: { podSelector: {}, policyTypes: [Ingress] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-x-to-b, namespace: y }
spec:
  podSelector: { matchLabels: { pod: b } }
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: x } } }], ports: [{ port: 80 }] }]
`);
    // Enforcement lands within the agents' coalescing period; the probe re-probes what disagrees once.
    let m = await cluster.probe({ namespaces: ["x", "y"], compare: true, timeoutMs: 300 });
    for (let i = 0; i < 20 && m.comparison!.mismatches.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      m = await cluster.probe({ namespaces: ["x", "y"], compare: true, timeoutMs: 300 });
    }
    console.log(`with policies: ${timing(m)}`);
    expect(m.comparison!.mismatches).toEqual([]);
    const get = (from: string, to: string, port: number, protocol: string) => m.cells.find((c) => c.from === from && c.to === to && c.port === port && c.protocol === protocol)!.reachable;
    expect(get("x/a", "y/b", 80, "TCP")).toBe(true);
    expect(get("x/a", "y/b", 80, "UDP")).toBe(false);
    expect(get("y/a", "y/b", 80, "TCP")).toBe(false);
    expect(get("y/a", "x/b", 81, "UDP")).toBe(true);
    const r = kemu("--explain", "y/a", "y/b", "--port", "80", "--protocol", "TCP");
    expect(r.stdout).toContain("  ingress of y/b: denied: isolated by NetworkPolicy y/allow-x-to-b, y/default-deny-ingress and no rule of theirs allows it\n  kernel: X blocked (timeout): agrees\n");
  });
});
