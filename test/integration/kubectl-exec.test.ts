// exec, attach and logs through the real kubectl 1.32 on the HTTPS endpoint
// (shared reference kubectl-api.md §4, §6): exec over WebSocket
// v5.channel.k8s.io with the exit code in the Status, stdin, a terminal and
// its resizes, upstream's errors; attach following the container's output;
// logs with --tail, --timestamps, -f and -p. The kubeconfig is the one
// Cluster.start writes (a temporary file; a fresh --cache-dir per run).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import WebSocket from "ws";
import { Cluster } from "../../src/cluster.js";
import { readApiEndpoint } from "../../src/api/https.js";
import { resourceByKind } from "../../src/api/resources.js";
import type { Pod } from "../../src/api/types.js";
import { Kubectl, KUBECTL, hasKubectl } from "../support/kubectl.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";

const PODS = resourceByKind("Pod")!;

// A line a second on stdout; an environment variable for exec to see.
const TICKER = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "ticker" },
  spec: {
    containers: [{ name: "main", image: "busybox", env: [{ name: "GREETING", value: "hello-from-env" }], command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo line $i; sleep 1; done"] }],
  },
};
const DONE = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "done" },
  spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox", command: ["true"] }] },
};

/** A WebSocket exec as client-go opens it; returns stdout, the status and the close code. */
function wsExec(stateDir: string, query: string, protocol: string, script: (send: (channel: number, data: string | number[]) => void) => void) {
  const { server, caPem, token } = readApiEndpoint(stateDir);
  return new Promise<{ stdout: string; status: string; close: number }>((resolve, reject) => {
    const ws = new WebSocket(`${server.replace("https", "wss")}/api/v1/namespaces/default/pods/ticker/exec?${query}`, [protocol], { ca: caPem, headers: { Authorization: `Bearer ${token}` } });
    let stdout = "";
    let status = "";
    ws.on("open", () => {
      expect(ws.protocol).toBe(protocol);
      script((channel, data) => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data as string)])));
    });
    ws.on("message", (m: Buffer) => {
      if (m[0] === 1) stdout += m.subarray(1).toString();
      if (m[0] === 3) status = m.subarray(1).toString();
    });
    ws.on("close", (close) => resolve({ stdout, status, close }));
    ws.on("error", reject);
  });
}

describe.skipIf(!rootOnly() || !hasKubectl)("kubectl exec, attach and logs", () => {
  const name = uniqueClusterName("kx");
  const k = new Kubectl("kubectl-exec");
  const { kubeconfig, env } = k;
  const args = (a: string[]) => k.args(a);
  const kubectl = (a: string[], input?: string) => k.run(a, input === undefined ? {} : { input });
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 150_000, kubeconfig, keepOnFailure: true });
    await cluster.apply([TICKER, DONE]);
    await cluster.waitFor(async () => (await cluster.api.get<Pod>(PODS, "default", "ticker")).status?.phase === "Running", { timeoutMs: 60_000, what: () => "pod ticker Running" });
    await cluster.waitFor(async () => (await cluster.api.get<Pod>(PODS, "default", "done")).status?.phase === "Succeeded", { timeoutMs: 60_000, what: () => "pod done Succeeded" });
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
    k.cleanup();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("kubectl exec pod -- echo hi prints hi (WebSocket v5.channel.k8s.io)", () => {
    const r = kubectl(["exec", "ticker", "--", "echo", "hi"]);
    expect([r.stdout, r.stderr, r.status]).toEqual(["hi\n", "", 0]);
  });

  it("a non-zero exit code comes back as kubectl's own exit code (NonZeroExitCode, cause ExitCode)", () => {
    const r = kubectl(["exec", "ticker", "--", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect([r.stdout, r.stderr, r.status]).toEqual(["out\n", "err\ncommand terminated with exit code 3\n", 3]);
  });

  it("kubectl exec -i passes stdin and its end (the v5 close channel)", () => {
    const r = kubectl(["exec", "-i", "ticker", "--", "sh", "-c", "cat; echo end"], "abc\ndef\n");
    expect([r.stdout, r.status]).toEqual(["abc\ndef\nend\n", 0]);
  });

  it("the command gets the container's environment", () => {
    const r = kubectl(["exec", "ticker", "--", "sh", "-c", "echo $GREETING $HOSTNAME"]);
    expect(r.stdout).toBe("hello-from-env ticker\n");
  });

  it("kemu exec (Cluster.exec) gets the container's environment too", async () => {
    const r = await cluster.exec("ticker", ["sh", "-c", "echo $GREETING"]);
    expect(r.stdout).toBe("hello-from-env\n");
  });

  it("kubectl exec -c wrong: apiserver's BadRequest", () => {
    const r = kubectl(["exec", "ticker", "-c", "wrong", "--", "true"]);
    expect([r.stderr, r.status]).toEqual(["Error from server (BadRequest): container wrong is not valid for pod ticker\n", 1]);
  });

  it("kubectl exec into a completed pod is refused", () => {
    const r = kubectl(["exec", "done", "--", "true"]);
    expect(r.stderr).toBe("error: cannot exec into a container in a completed pod; current phase is Succeeded\n");
    expect(r.status).toBe(1);
  });

  it("kubectl exec -it gives a terminal of the client's size (script(1) as kubectl's terminal), TERM=xterm, the exit code", async () => {
    const inner = `stty cols 120 rows 40; ${KUBECTL} ${args(["exec", "-it", "ticker", "--", "sh", "-c", "'stty size; tty; echo $TERM; exit 7'"]).join(" ")}`;
    // stdin stays open until the end, as a user's terminal does (its EOF would be typed into the session).
    const child = spawn("script", ["-qec", inner, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(out.replace(/\r/g, "")).toBe("40 120\n/dev/pts/0\nxterm\ncommand terminated with exit code 7\n");
    expect(code).toBe(7);
  });

  it("a resize message changes the terminal's size; v4.channel.k8s.io is served too", async () => {
    const q = "command=sh&command=-c&command=stty+size%3B+sleep+1.5%3B+stty+size&stdin=true&stdout=true&tty=true";
    const r = await wsExec(`/run/kemu/${name}`, q, "v5.channel.k8s.io", (send) => {
      send(4, '{"Width":100,"Height":20}\n');
      setTimeout(() => send(4, '{"Width":90,"Height":30}\n'), 800);
    });
    expect(r).toEqual({ stdout: "20 100\r\n30 90\r\n", status: '{"metadata":{},"status":"Success"}', close: 1000 });
    const v4 = await wsExec(`/run/kemu/${name}`, "command=echo&command=v4&stdout=true", "v4.channel.k8s.io", () => undefined);
    expect(v4).toEqual({ stdout: "v4\n", status: '{"metadata":{},"status":"Success"}', close: 1000 });
  });

  it("kubectl attach follows the container's output; attach -i is refused (containers start with stdin closed)", () => {
    const r = k.run(["attach", "ticker"], { timeoutMs: 3_500 });
    expect(r.stdout).toMatch(/^(line \d+\n)+$/);
    const i = kubectl(["attach", "-i", "ticker"], "");
    expect(i.stderr).toContain("Error from server (BadRequest): kemu cannot attach to the stdin of container main in pod ticker");
    expect(i.status).toBe(1);
  });

  it("kubectl logs --tail=2 --timestamps: the last two lines, each after its RFC 3339 time", () => {
    const r = kubectl(["logs", "ticker", "--tail=2", "--timestamps"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    for (const line of lines.slice(0, 2)) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z line \d+$/);
    const [t1, t2] = lines.slice(0, 2).map((l) => Date.parse(l.split(" ")[0]!));
    expect(Math.abs(Date.now() - t2!)).toBeLessThan(10_000);
    expect(t2! - t1!).toBeGreaterThanOrEqual(0);
  });

  it("kubectl logs --limit-bytes cuts mid-line; --since keeps only recent lines", () => {
    expect(kubectl(["logs", "ticker", "--limit-bytes=7"]).stdout).toBe("line 1\n");
    const recent = kubectl(["logs", "ticker", "--since=3s"]).stdout.trim().split("\n");
    expect(recent.length).toBeGreaterThanOrEqual(1);
    expect(recent.length).toBeLessThanOrEqual(5);
  });

  it("kubectl logs -f: a line written after the start arrives", async () => {
    const child = spawn(KUBECTL, args(["logs", "-f", "--tail=0", "ticker"]), { env });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    try {
      await cluster.waitFor(async () => /line \d+\n/.test(out), { timeoutMs: 15_000, what: () => `a followed line (${JSON.stringify(out)})` });
    } finally {
      child.kill();
    }
  });

  it("kubectl logs -p without a previous container: upstream's error", () => {
    const r = kubectl(["logs", "-p", "ticker"]);
    expect([r.stderr, r.status]).toEqual(['Error from server (BadRequest): previous terminated container "main" in pod "ticker" not found\n', 1]);
  });

  // kubectl's SPDY path (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false, kubectl's cmdutil.RemoteCommandWebsockets
  // switch): POST …/exec with Upgrade: SPDY/3.1, one stream per channel (reference kubectl-api.md §6 "Fallback").
  describe("over SPDY/3.1 (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false)", () => {
    const spdy = (a: string[], input?: string) => k.run(a, { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false" }, ...(input === undefined ? {} : { input }) });

    it("kubectl exec pod -- echo hi prints hi, through POST …/exec upgraded to SPDY/3.1", () => {
      const r = spdy(["exec", "ticker", "--", "echo", "hi"]);
      expect([r.stdout, r.stderr, r.status]).toEqual(["hi\n", "", 0]);
      // -v=6 logs each request with its method and answer: the upgrade is a POST answered 101.
      const traced = spdy(["-v=6", "exec", "ticker", "--", "echo", "hi"]);
      expect(traced.stdout).toBe("hi\n");
      expect(traced.stderr).toMatch(/POST https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/pods\/ticker\/exec\?\S+ 101 Switching Protocols/);
      expect(traced.stderr).not.toMatch(/GET \S+\/exec\?/);
    });

    it("a non-zero exit code comes back as kubectl's own exit code (the v4+ Status on the error stream)", () => {
      const r = spdy(["exec", "ticker", "--", "sh", "-c", "echo out; echo err >&2; exit 3"]);
      expect([r.stdout, r.stderr, r.status]).toEqual(["out\n", "err\ncommand terminated with exit code 3\n", 3]);
    });

    it("kubectl exec -i passes stdin and its end (FIN on the stdin stream)", () => {
      const r = spdy(["exec", "-i", "ticker", "--", "sh", "-c", "cat; echo end"], "abc\ndef\n");
      expect([r.stdout, r.status]).toEqual(["abc\ndef\nend\n", 0]);
    });
  });
});
