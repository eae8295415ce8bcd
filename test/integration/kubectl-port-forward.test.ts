// The real kubectl 1.32's port-forward against kemu (reference kubectl-api.md
// §7): SPDY/3.1 tunnelled in a WebSocket, streams paired by requestid, one
// connection to localhost:PORT inside the pod's network namespace per local
// connection. Upstream's own coverage of the same behaviour:
// test/e2e/kubectl/portforward.go ("should support forwarding over
// websockets", "that expects a client request should support a client that
// connects, sends DATA, and disconnects", "that expects NO client request").
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Cluster } from "../../src/cluster.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { rootOnly, uniqueClusterName } from "../support/host.js";
import { Kubectl, hasKubectl } from "../support/kubectl.js";

const run = promisify(execFile);
const KEMU = join(PACKAGE_ROOT, "bin", "kemu");

// netexec for HTTP; a byte echo that listens on 127.0.0.1 only, which only a
// connection made inside the pod's network namespace reaches (as the kubelet's).
const ECHO = "import socket,threading\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('127.0.0.1',9000));s.listen(16)\ndef h(c):\n  while True:\n    d=c.recv(65536)\n    if not d: break\n    c.sendall(d)\n  c.close()\nwhile True:\n  c,_=s.accept();threading.Thread(target=h,args=(c,),daemon=True).start()\n";
const MANIFEST = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", labels: { app: "web" } },
  spec: {
    containers: [
      { name: "web", image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["netexec", "--http-port=8080"], ports: [{ name: "http", containerPort: 8080 }] },
      { name: "echo", image: "python", command: ["/usr/bin/python3", "-c", ECHO] },
    ],
  },
};
const SERVICE = { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: "http" }] } };

interface Forward {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

describe.skipIf(!rootOnly() || !hasKubectl)("kubectl port-forward", () => {
  const name = uniqueClusterName("pf");
  const k = new Kubectl("port-forward");
  const { kubeconfig } = k;
  let cluster: Cluster;
  const forwards: ChildProcess[] = [];

  /** kubectl port-forward …, resolved once it says which local port it listens on. */
  function portForward(...args: string[]): Promise<Forward> {
    return started(k.start(["port-forward", ...args]));
  }

  /** kemu port-forward … (SPDY/3.1 on the raw upgraded socket, over the API's unix socket). */
  function kemuPortForward(...args: string[]): Promise<Forward> {
    return started(spawn(KEMU, ["port-forward", "--name", name, ...args], { env: k.env, stdio: ["ignore", "pipe", "pipe"] }));
  }

  function started(child: ChildProcess): Promise<Forward> {
    forwards.push(child);
    let text = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`port-forward did not start: ${text}`)), 60_000);
      const seen = (chunk: Buffer) => {
        text += chunk.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve({ child, port: Number(m[1]), output: () => text, exited });
        }
      };
      child.stdout!.on("data", seen);
      child.stderr!.on("data", seen);
      void exited.then((code) => reject(new Error(`port-forward exited ${code}: ${text}`)));
    });
  }

  /** Sends bytes on a fresh connection, half-closes, and reads everything back. */
  function exchange(port: number, payload: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      const socket = net.connect(port, "127.0.0.1", () => socket.end(payload));
      socket.on("data", (c: Buffer) => parts.push(c));
      socket.on("end", () => resolve(Buffer.concat(parts)));
      socket.on("error", reject);
    });
  }

  beforeAll(async () => {
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 150_000, kubeconfig, keepOnFailure: true });
    await cluster.apply([MANIFEST, SERVICE]);
    await cluster.waitForPods({ labelSelector: "app=web", count: 1, condition: "Ready", timeoutMs: 60_000 });
  }, 240_000);

  afterAll(async () => {
    for (const child of forwards) if (child.exitCode === null) child.kill("SIGTERM");
    await cluster?.stop();
    k.cleanup();
  }, 120_000);

  it("pod/web 0:8080: several HTTP requests, each on its own connection, reach netexec", async () => {
    const fwd = await portForward("pod/web", "0:8080");
    for (const msg of ["one", "two", "three"]) {
      const { stdout } = await run("curl", ["-sS", "--max-time", "10", `http://127.0.0.1:${fwd.port}/echo?msg=${msg}`]);
      expect(stdout).toBe(msg);
    }
    const { stdout: hostname } = await run("curl", ["-sS", "--max-time", "10", `http://127.0.0.1:${fwd.port}/hostname`]);
    expect(hostname).toBe("web");
    // kubectl says so per local connection, naming the local port (portforward.go handleConnection).
    expect(fwd.output().match(new RegExp(`Handling connection for ${fwd.port}\n`, "g"))?.length).toBe(4);
    fwd.child.kill("SIGTERM");
    await fwd.exited;
  }, 120_000);

  it("reaches a port bound to the pod's 127.0.0.1 and moves 1 MB both ways, on connections at once", async () => {
    const fwd = await portForward("pod/web", "0:9000");
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 10)) & 0xff;
    const [a, b, c] = await Promise.all([exchange(fwd.port, big), exchange(fwd.port, Buffer.from("small")), exchange(fwd.port, big.subarray(0, 100_000))]);
    expect(a.length).toBe(big.length);
    expect(a.equals(big)).toBe(true);
    expect(b.toString()).toBe("small");
    expect(c.equals(big.subarray(0, 100_000))).toBe(true);
    fwd.child.kill("SIGTERM");
    await fwd.exited;
  }, 120_000);

  it("svc/web 0:80 forwards to a pod the Service selects, on the target port (a named port, resolved by kubectl)", async () => {
    const fwd = await portForward("svc/web", "0:80");
    expect(fwd.output()).toMatch(/Forwarding from 127\.0\.0\.1:\d+ -> 8080/);
    const { stdout } = await run("curl", ["-sS", "--max-time", "10", `http://127.0.0.1:${fwd.port}/echo?msg=svc`]);
    expect(stdout).toBe("svc");
    fwd.child.kill("SIGTERM");
    await fwd.exited;
  }, 120_000);

  it("a port nothing listens on: the kubelet's error, and kubectl ends the session (lost connection to pod)", async () => {
    const fwd = await portForward("pod/web", "0:7777");
    await run("curl", ["-sS", "--max-time", "10", `http://127.0.0.1:${fwd.port}/`]).catch(() => undefined);
    const code = await fwd.exited;
    expect(code).not.toBe(0);
    expect(fwd.output()).toContain("error forwarding port 7777 to pod kemu-");
    expect(fwd.output()).toContain("failed to connect to localhost:7777 inside namespace");
    expect(fwd.output()).toContain("IPv4: dial tcp4 127.0.0.1:7777: connect: connection refused");
    expect(fwd.output()).toContain("error: lost connection to pod");
  }, 120_000);

  it("a pod that is not running is refused", async () => {
    await cluster.apply({ apiVersion: "v1", kind: "Pod", metadata: { name: "stuck" }, spec: { nodeSelector: { nowhere: "true" }, containers: [{ name: "c", image: "registry.k8s.io/pause:3.10" }] } });
    const fwd = portForward("pod/stuck", "0:80");
    await expect(fwd).rejects.toThrow("unable to forward port because pod is not running. Current status=Pending");
  }, 60_000);

  it("kemu port-forward: the same API over the raw SPDY upgrade, pod and svc forms, several ports, the error text per connection", async () => {
    const fwd = await kemuPortForward("web", "0:9000", "0:8080");
    for (let i = 0; i < 100 && fwd.output().split("Forwarding from").length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    const ports = [...fwd.output().matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)].map((m) => [Number(m[1]), m[2]] as const);
    expect(ports.map(([, remote]) => remote)).toEqual(["9000", "8080"]);
    const big = Buffer.alloc(1024 * 1024, 0x5a);
    const back = await exchange(ports[0]![0], big);
    expect(back.length).toBe(big.length);
    expect(back.equals(big)).toBe(true);
    const { stdout } = await run("curl", ["-sS", "--max-time", "10", `http://127.0.0.1:${ports[1]![0]}/echo?msg=kemu`]);
    expect(stdout).toBe("kemu");
    fwd.child.kill("SIGTERM");
    expect(await fwd.exited).toBe(0);

    const svc = await kemuPortForward("svc/web", ":80");
    expect(svc.output()).toMatch(/Forwarding from 127\.0\.0\.1:\d+ -> 8080\n/);
    expect((await run("curl", ["-sS", "--max-time", "10", `http://127.0.0.1:${svc.port}/hostname`])).stdout).toBe("web");
    svc.child.kill("SIGTERM");
    await svc.exited;

    const refused = await kemuPortForward("pod/web", "0:7777");
    expect((await exchange(refused.port, Buffer.from("x"))).length).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(refused.output()).toContain("IPv4: dial tcp4 127.0.0.1:7777: connect: connection refused");
    refused.child.kill("SIGTERM");
    await refused.exited;
  }, 120_000);
});
