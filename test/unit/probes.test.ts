// Probes and lifecycle hooks (src/agent/kubelet/{probe,prober,hooks}.ts).
// No root needed: small HTTP, TCP and HTTP/2 servers listen on 127.0.0.1
// (used as the pod IP), exec handlers run `sh -c` directly through an
// injected command runner, and probe workers run on a fake clock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { runCommand, runProbe, type CommandRunner, type Probe, type ProbeResult, type ProbeTarget } from "../../src/agent/kubelet/probe.js";
import { ProbeManager, ProbeWorker, probeTiming, type ContainerProbeStatus, type ProbeKind, type SetTimer } from "../../src/agent/kubelet/prober.js";
import { graceAfterPreStop, runPreStop } from "../../src/agent/kubelet/hooks.js";

const HOST = "127.0.0.1";
const direct: CommandRunner = (command, target, timeoutMs) => runCommand(command, { timeoutMs, env: target.env });

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
}

let server: http.Server;
let port = 0;
let closedPort = 0;
const seen: Seen[] = [];

function listen(s: net.Server | http.Server | http2.Http2Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, HOST, () => resolve((s.address() as net.AddressInfo).port)));
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.push({ path: url.pathname + url.search, headers: req.headers });
    const status = /^\/status\/(\d+)$/.exec(url.pathname);
    if (status) {
      res.writeHead(Number(status[1]), { "content-type": "text/plain" });
      res.end(`status ${status[1]}`);
    } else if (url.pathname === "/slow") {
      const t = setTimeout(() => res.end("late"), 5_000);
      res.on("close", () => clearTimeout(t));
    } else if (url.pathname === "/headers") {
      res.end(JSON.stringify(req.headers));
    } else if (url.pathname === "/redirect-local") {
      res.writeHead(302, { location: "/status/200" });
      res.end();
    } else if (url.pathname === "/redirect-away") {
      res.writeHead(302, { location: "http://example.invalid/elsewhere" });
      res.end("moved away");
    } else if (url.pathname === "/loop") {
      res.writeHead(302, { location: "/loop" });
      res.end();
    } else if (url.pathname === "/big") {
      res.end("x".repeat(100_000));
    } else {
      res.writeHead(404);
      res.end("not found");
    }
  });
  port = await listen(server);
  const closed = net.createServer();
  closedPort = await listen(closed);
  await new Promise<void>((r) => closed.close(() => r()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const target = (extra: Partial<ProbeTarget> = {}): ProbeTarget => ({ podIP: HOST, containerPorts: [], ...extra });

describe("httpGet probe", () => {
  const get = (path: string, extra: Partial<Probe["httpGet"]> = {}) => runProbe({ httpGet: { port, path, ...extra } }, target());

  it("succeeds for 200 and 399, with the body as output", async () => {
    expect(await get("/status/200")).toEqual({ result: "success", output: "status 200" });
    const r = await get("/status/399");
    expect(r.result).toBe("success");
    expect(r.warning).toBe(true);
    expect(r.output).toBe("Probe terminated redirects, Response body: status 399");
  });

  it("fails for 400 and 500 with upstream's message", async () => {
    expect(await get("/status/400")).toEqual({ result: "failure", output: "HTTP probe failed with statuscode: 400" });
    expect(await get("/status/500")).toEqual({ result: "failure", output: "HTTP probe failed with statuscode: 500" });
  });

  it("fails after timeoutSeconds when the server does not answer", async () => {
    const t0 = Date.now();
    const r = await runProbe({ httpGet: { port, path: "/slow" }, timeoutSeconds: 1 }, target());
    const took = Date.now() - t0;
    expect(r.result).toBe("failure");
    expect(r.error).toBeUndefined();
    expect(r.output).toBe(`Get "http://${HOST}:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(2_500);
  });

  it("fails when the connection is refused", async () => {
    const r = await runProbe({ httpGet: { port: closedPort, path: "/" } }, target());
    expect(r).toEqual({ result: "failure", output: `Get "http://${HOST}:${closedPort}/": dial tcp ${HOST}:${closedPort}: connect: connection refused` });
  });

  it("resolves a named port from the container's ports; an unknown name is an error, not a failure", async () => {
    const ports = [{ name: "metrics", containerPort: closedPort }, { name: "http", containerPort: port, protocol: "TCP" }];
    expect((await runProbe({ httpGet: { port: "http", path: "/status/204" } }, target({ containerPorts: ports }))).result).toBe("success");
    const r = await runProbe({ httpGet: { port: "nope", path: "/" } }, target({ containerPorts: ports }));
    expect(r).toEqual({ result: "failure", output: 'port "nope" not found', error: true });
  });

  it("sends the probe headers: User-Agent kube-probe/1.31, Accept */*, custom headers, Host override", async () => {
    const r = await runProbe(
      { httpGet: { port, path: "/headers?x=1", httpHeaders: [{ name: "x-custom", value: "a" }, { name: "Host", value: "web.example" }] } },
      target(),
    );
    const headers = JSON.parse(r.output) as Record<string, string>;
    expect(headers["user-agent"]).toBe("kube-probe/1.31");
    expect(headers["accept"]).toBe("*/*");
    expect(headers["x-custom"]).toBe("a");
    expect(headers["host"]).toBe("web.example");
    expect(headers["connection"]).toBe("close");
    expect(headers["accept-encoding"]).toBeUndefined();
    expect(seen.some((s) => s.path === "/headers?x=1")).toBe(true);

    const own = await runProbe({ httpGet: { port, path: "/headers", httpHeaders: [{ name: "User-Agent", value: "mine" }, { name: "Accept", value: "" }] } }, target());
    const h2 = JSON.parse(own.output) as Record<string, string>;
    expect(h2["user-agent"]).toBe("mine");
    expect(h2["accept"]).toBeUndefined();
    expect(h2["host"]).toBe(`${HOST}:${port}`);
  });

  it("defaults the host to the pod IP and the path to /", async () => {
    const before = seen.length;
    const r = await runProbe({ httpGet: { port } }, target());
    expect(r.result).toBe("failure"); // our server answers / with 404
    expect(seen[before]?.path).toBe("/");
  });

  it("follows redirects to the same host only, at most 10", async () => {
    expect(await get("/redirect-local")).toEqual({ result: "success", output: "status 200" });
    const away = await get("/redirect-away");
    expect(away).toEqual({ result: "success", output: "Probe terminated redirects, Response body: moved away", warning: true });
    const loop = await get("/loop");
    expect(loop).toEqual({ result: "failure", output: `Get "http://${HOST}:${port}/loop": stopped after 10 redirects` });
  });

  it("reads at most 10 KiB of the body", async () => {
    const r = await get("/big");
    expect(r.result).toBe("success");
    expect(r.output.length).toBe(10 * 1024);
  });

  it("HTTPS to a plain HTTP server fails", async () => {
    const r = await get("/status/200", { scheme: "HTTPS" });
    expect(r.result).toBe("failure");
    expect(r.output).toMatch(/^Get "https:\/\/127\.0\.0\.1:\d+\/status\/200": /);
  });
});

describe("tcpSocket probe", () => {
  it("succeeds when the port is open, fails when it is closed", async () => {
    expect(await runProbe({ tcpSocket: { port } }, target())).toEqual({ result: "success", output: "" });
    expect(await runProbe({ tcpSocket: { port: closedPort } }, target())).toEqual({
      result: "failure",
      output: `dial tcp ${HOST}:${closedPort}: connect: connection refused`,
    });
  });

  it("uses tcpSocket.host and named ports", async () => {
    const r = await runProbe({ tcpSocket: { port: "web", host: HOST } }, { podIP: "192.0.2.1", containerPorts: [{ name: "web", containerPort: port }] });
    expect(r.result).toBe("success");
  });
});

describe("exec probe", () => {
  const exec = (script: string, extra: Partial<Probe> = {}, t: Partial<ProbeTarget> = {}) =>
    runProbe({ exec: { command: ["sh", "-c", script] }, ...extra }, target(t), { runCommand: direct });

  it("succeeds on exit 0 and fails otherwise, with stdout and stderr as output", async () => {
    expect(await exec("echo ok")).toEqual({ result: "success", output: "ok\n" });
    const r = await exec("echo out; echo err >&2; exit 3");
    expect(r.result).toBe("failure");
    expect(r.output).toContain("out\n");
    expect(r.output).toContain("err\n");
    expect((await exec("exit 1")).result).toBe("failure");
  });

  it("kills the command after timeoutSeconds and fails", async () => {
    const t0 = Date.now();
    const r = await exec("sleep 5", { timeoutSeconds: 1 });
    expect(r).toEqual({ result: "failure", output: 'command "sh -c sleep 5" timed out' });
    expect(Date.now() - t0).toBeLessThan(2_500);
  });

  it("expands $(VAR) from the container's environment and runs with it", async () => {
    const r = await exec("echo $(GREETING) $TARGET", {}, { env: { GREETING: "hello", TARGET: "world", PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    expect(r.output).toBe("hello world\n");
  });

  it("an exec probe without a running container is an error", async () => {
    const r = await runProbe({ exec: { command: ["true"] } }, target());
    expect(r).toEqual({ result: "failure", output: "container is not running", error: true });
  });

  it.runIf(process.getuid?.() === 0)("enters the container with kemu-sandbox --enter (as root: our own namespaces)", async () => {
    const r = await runProbe({ exec: { command: ["sh", "-c", "echo inside; exit 0"] } }, target({ containerPid: process.pid }));
    expect(r).toEqual({ result: "success", output: "inside\n" });
  });

  it.runIf(process.getuid?.() === 0)("runs the command with the container's identity and workingDir, as kubectl exec does", async () => {
    const identity = ["--uid", "1000", "--gid", "1000", "--groups", "1000", "--caps", "none", "--no-new-privs"];
    const r = await runProbe({ exec: { command: ["sh", "-c", "id -u; pwd; grep NoNewPrivs /proc/self/status"] } }, target({ containerPid: process.pid, identity, cwd: "/usr" }));
    expect(r).toEqual({ result: "success", output: "1000\n/usr\nNoNewPrivs:\t1\n" });
  });
});

describe("grpc probe", () => {
  let grpcServer: http2.Http2Server;
  let grpcPort = 0;
  let plainH2: http2.Http2Server;
  let plainPort = 0;

  const frame = (status: number) => Buffer.from([0, 0, 0, 0, 2, 0x08, status]);

  beforeAll(async () => {
    grpcServer = http2.createServer();
    grpcServer.on("stream", (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on("data", (b: Buffer) => chunks.push(b));
      stream.on("end", () => {
        const body = Buffer.concat(chunks);
        const service = body.length > 7 ? body.subarray(7, 7 + body[6]!).toString() : "";
        if (headers[":path"] !== "/grpc.health.v1.Health/Check" || service === "missing") {
          stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "unknown%20service" }, { endStream: true });
          return;
        }
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(frame(service === "down" ? 2 : 1));
      });
    });
    grpcPort = await listen(grpcServer);
    plainH2 = http2.createServer();
    plainH2.on("stream", (stream) => {
      stream.on("data", () => undefined);
      stream.on("end", () => stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12", "grpc-message": "unknown service grpc.health.v1.Health" }, { endStream: true }));
    });
    plainPort = await listen(plainH2);
  });

  afterAll(async () => {
    await Promise.all([grpcServer, plainH2].map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it("speaks grpc.health.v1: SERVING succeeds, others fail with upstream's messages", async () => {
    expect(await runProbe({ grpc: { port: grpcPort } }, target())).toEqual({ result: "success", output: "service healthy" });
    expect(await runProbe({ grpc: { port: grpcPort, service: "down" } }, target())).toEqual({ result: "failure", output: 'service unhealthy (responded with "NOT_SERVING")' });
    expect(await runProbe({ grpc: { port: grpcPort, service: "missing" } }, target())).toEqual({
      result: "failure",
      output: "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service",
    });
    expect((await runProbe({ grpc: { port: plainPort } }, target())).output).toBe(
      "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service grpc.health.v1.Health",
    );
    expect((await runProbe({ grpc: { port: closedPort } }, target())).output).toBe(
      `error: failed to connect service at "${HOST}:${closedPort}": dial tcp ${HOST}:${closedPort}: connect: connection refused`,
    );
  });
});

// ------------------------------------------------------------------ workers

/** A fake clock: timers fire in order as time is advanced; promises settle in between. */
class FakeClock {
  t = 0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  readonly now = (): number => this.t;
  readonly setTimer: SetTimer = (fn, ms) => {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  };
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await settle();
  }
}

const settle = () => new Promise<void>((r) => setImmediate(r));

/** A probe runner answering from a script (the last answer repeats), recording when it ran. */
function scripted(clock: FakeClock, answers: ("success" | "failure" | "error")[]) {
  const calls: number[] = [];
  let i = 0;
  const run = async (): Promise<ProbeResult> => {
    calls.push(clock.t);
    const a = answers[Math.min(i++, answers.length - 1)]!;
    if (a === "error") return { result: "failure", output: "cannot run", error: true };
    return { result: a, output: a === "failure" ? "boom" : "fine" };
  };
  return { calls, run };
}

function worker<K extends ProbeKind>(kind: K, probe: Probe, clock: FakeClock, answers: ("success" | "failure" | "error")[], tgt: () => ProbeTarget | undefined = () => target({ containerId: "c1", startedAtMs: 0 })) {
  const s = scripted(clock, answers);
  const changes: { t: number; state: unknown }[] = [];
  const w = new ProbeWorker(kind, probe, tgt, (state) => changes.push({ t: clock.t, state }), { now: clock.now, setTimer: clock.setTimer, runProbe: s.run });
  return { w, calls: s.calls, changes };
}

const P: Probe = { tcpSocket: { port: 1 } };

describe("ProbeWorker timing", () => {
  it("applies upstream's defaults; successThreshold is 1 for liveness and startup", () => {
    expect(probeTiming("readiness", P)).toEqual({ initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    expect(probeTiming("liveness", { ...P, successThreshold: 3 }).successThreshold).toBe(1);
    expect(probeTiming("startup", { ...P, successThreshold: 3 }).successThreshold).toBe(1);
    expect(probeTiming("readiness", { ...P, successThreshold: 3 }).successThreshold).toBe(3);
  });

  it("probes at start, then every periodSeconds", async () => {
    const clock = new FakeClock();
    const { w, calls } = worker("readiness", { ...P, periodSeconds: 2 }, clock, ["success"]);
    w.start();
    await clock.advance(7_000);
    w.stop();
    await clock.advance(10_000);
    expect(calls).toEqual([0, 2_000, 4_000, 6_000]);
  });

  it("honours initialDelaySeconds from the container's start (on the ticker's grid)", async () => {
    const clock = new FakeClock();
    const a = worker("readiness", { ...P, periodSeconds: 1, initialDelaySeconds: 5 }, clock, ["success"]);
    a.w.start();
    await clock.advance(7_000);
    a.w.stop();
    expect(a.calls).toEqual([5_000, 6_000, 7_000]);
    expect(a.changes).toEqual([{ t: 5_000, state: { ready: true } }]);

    // With a 10 s period the first allowed tick is at 10 s, as upstream.
    const clock2 = new FakeClock();
    const b = worker("liveness", { ...P, periodSeconds: 10, initialDelaySeconds: 5 }, clock2, ["success"]);
    b.w.start();
    await clock2.advance(25_000);
    b.w.stop();
    expect(b.calls).toEqual([10_000, 20_000]);
  });

  it("readiness starts not ready; liveness starts healthy", () => {
    const clock = new FakeClock();
    expect(worker("readiness", P, clock, ["success"]).w.state).toEqual({ ready: false });
    expect(worker("liveness", P, clock, ["success"]).w.state).toEqual({ healthy: true, shouldRestart: false });
    expect(worker("startup", P, clock, ["success"]).w.state).toEqual({ started: false, shouldRestart: false });
  });

  it("liveness: restart only after failureThreshold failures in a row; then on hold until a new container", async () => {
    const clock = new FakeClock();
    let id = "c1";
    const { w, calls, changes } = worker("liveness", { ...P, periodSeconds: 1, failureThreshold: 3 }, clock, ["success", "failure", "failure", "success", "failure", "failure", "failure", "success"], () =>
      target({ containerId: id, startedAtMs: 0 }),
    );
    w.start();
    await clock.advance(6_500);
    // S F F S F F F: the success at 3 s resets the count; restart at 6 s.
    expect(changes).toEqual([{ t: 6_000, state: { healthy: false, shouldRestart: true, message: "Liveness probe failed: boom" } }]);
    await clock.advance(3_000);
    expect(calls.length).toBe(7); // on hold: no probes of the failed container
    id = "c2"; // the kubelet restarted it
    await clock.advance(1_000);
    expect(changes[1]).toEqual({ t: 10_000, state: { healthy: true, shouldRestart: false } });
    expect(calls.length).toBe(8);
    w.stop();
  });

  it("liveness with failureThreshold 1 and successThreshold 1: one failure is enough, one success heals", async () => {
    const clock = new FakeClock();
    let id = "c1";
    const { w, changes } = worker("liveness", { ...P, periodSeconds: 1, failureThreshold: 1, successThreshold: 1 }, clock, ["failure", "success"], () => target({ containerId: id, startedAtMs: clock.t }));
    w.start();
    await settle();
    expect(w.state.shouldRestart).toBe(true);
    id = "c2";
    await clock.advance(1_000);
    expect(w.state).toEqual({ healthy: true, shouldRestart: false });
    expect(changes.length).toBe(2);
    w.stop();
  });

  it("readiness flaps with successThreshold and failureThreshold", async () => {
    const clock = new FakeClock();
    const { w, changes } = worker("readiness", { ...P, periodSeconds: 1, successThreshold: 2, failureThreshold: 2 }, clock, [
      "success", "success", "failure", "success", "failure", "failure", "success", "success", "success",
    ]);
    w.start();
    await clock.advance(8_500);
    w.stop();
    expect(changes.map((c) => [c.t, (c.state as { ready: boolean }).ready])).toEqual([
      [1_000, true],
      [5_000, false],
      [7_000, true],
    ]);
    expect(changes[1]!.state).toEqual({ ready: false, message: "Readiness probe failed: boom" });
  });

  it("readiness is lost when the container stops running, and starts over for a new container", async () => {
    const clock = new FakeClock();
    let tgt: ProbeTarget | undefined = target({ containerId: "c1", startedAtMs: 0 });
    const { w, changes } = worker("readiness", { ...P, periodSeconds: 1 }, clock, ["success"], () => tgt);
    w.start();
    await settle();
    expect(w.state.ready).toBe(true);
    tgt = undefined;
    await clock.advance(1_000);
    expect(w.state.ready).toBe(false);
    tgt = target({ containerId: "c2", startedAtMs: 1_500 });
    await clock.advance(1_000);
    expect(w.state.ready).toBe(true);
    expect(changes.map((c) => c.t)).toEqual([0, 1_000, 2_000]);
    w.stop();
  });

  it("runs that could not be made are retried 3 times, then ignored (not counted)", async () => {
    const clock = new FakeClock();
    const { w, calls, changes } = worker("liveness", { ...P, periodSeconds: 1, failureThreshold: 1 }, clock, ["error"]);
    w.start();
    await clock.advance(1_500);
    w.stop();
    expect(calls).toEqual([0, 0, 0, 1_000, 1_000, 1_000]);
    expect(changes).toEqual([]);
    expect(w.state.healthy).toBe(true);
  });

  it("a manual trigger probes at once; a slow probe delays the next tick", async () => {
    const clock = new FakeClock();
    const calls: number[] = [];
    let release: (() => void) | undefined;
    const run = (): Promise<ProbeResult> => {
      calls.push(clock.t);
      return new Promise((resolve) => (release = () => resolve({ result: "success", output: "" })));
    };
    const w = new ProbeWorker("readiness", { ...P, periodSeconds: 10 }, () => target({ containerId: "c", startedAtMs: 0 }), () => undefined, { now: clock.now, setTimer: clock.setTimer, runProbe: run });
    w.start();
    await clock.advance(12_000); // the tick at 10 s waits for the first run
    expect(calls).toEqual([0]);
    release!();
    await settle();
    expect(calls).toEqual([0, 12_000]);
    release!();
    await settle();
    w.trigger();
    await settle();
    expect(calls).toEqual([0, 12_000, 12_000]);
    release!();
    w.stop();
  });
});

describe("ProbeManager", () => {
  const startup: Probe = { exec: { command: ["startup"] }, periodSeconds: 1, failureThreshold: 3 };
  const liveness: Probe = { exec: { command: ["liveness"] }, periodSeconds: 1, failureThreshold: 1 };
  const readiness: Probe = { exec: { command: ["readiness"] }, periodSeconds: 10 };

  function manager(clock: FakeClock, answers: Record<string, ("success" | "failure")[]>, containerId = () => "c1") {
    const calls: Record<string, number[]> = { startup: [], liveness: [], readiness: [] };
    const index: Record<string, number> = { startup: 0, liveness: 0, readiness: 0 };
    const run = async (p: Probe): Promise<ProbeResult> => {
      const name = p.exec!.command![0]!;
      calls[name]!.push(clock.t);
      const list = answers[name]!;
      const a = list[Math.min(index[name]!++, list.length - 1)]!;
      return { result: a, output: `${name} ${a}` };
    };
    const changes: { t: number; status: ContainerProbeStatus }[] = [];
    const m = new ProbeManager(
      [{ name: "app", startupProbe: startup, livenessProbe: liveness, readinessProbe: readiness }, { name: "plain" }],
      () => target({ containerId: containerId(), startedAtMs: 0 }),
      (name, status) => changes.push({ t: clock.t, status }),
      { now: clock.now, setTimer: clock.setTimer, runProbe: run },
    );
    return { m, calls, changes };
  }

  it("gates liveness and readiness on the startup probe; readiness runs as soon as startup passes", async () => {
    const clock = new FakeClock();
    const { m, calls, changes } = manager(clock, { startup: ["failure", "failure", "success"], liveness: ["success"], readiness: ["success"] });
    expect(m.status("app")).toEqual({ started: false, ready: false });
    expect(m.status("plain")).toEqual({ started: true, ready: true });
    m.start();
    await clock.advance(4_500);
    m.stop();
    expect(calls.startup).toEqual([0, 1_000, 2_000]); // stops once started
    // Liveness may run in the very tick in which startup passed (a race upstream too).
    expect(calls.liveness).toEqual([2_000, 3_000, 4_000]);
    expect(calls.readiness).toEqual([2_000]); // triggered by "started", not at the 10 s tick
    expect(changes).toEqual([
      { t: 2_000, status: { started: true, ready: false } },
      { t: 2_000, status: { started: true, ready: true } },
    ]);
  });

  it("a startup probe failing past its threshold asks for a restart; a new container starts over", async () => {
    const clock = new FakeClock();
    let id = "c1";
    const { m, calls, changes } = manager(clock, { startup: ["failure", "failure", "failure", "failure", "success"], liveness: ["success"], readiness: ["success"] }, () => id);
    m.start();
    await clock.advance(3_500);
    expect(changes).toEqual([{ t: 2_000, status: { started: false, ready: false, restart: { probe: "startup", message: "Startup probe failed: startup failure" } } }]);
    expect(calls.liveness).toEqual([]);
    id = "c2";
    m.containerStarted("app");
    expect(m.status("app")).toEqual({ started: false, ready: false });
    await clock.advance(2_000);
    expect(m.status("app")).toEqual({ started: true, ready: true });
    m.stop();
  });

  it("a liveness failure asks for a restart; syncStatus re-runs readiness of not-ready containers", async () => {
    const clock = new FakeClock();
    const { m, calls } = manager(clock, { startup: ["success"], liveness: ["success", "failure"], readiness: ["failure", "success"] });
    m.start();
    await clock.advance(2_500);
    // At 0 s startup was still running, so liveness first ran at 1 s.
    expect(calls.liveness).toEqual([1_000, 2_000]);
    expect(m.status("app")).toEqual({ started: true, ready: false, restart: { probe: "liveness", message: "Liveness probe failed: liveness failure" } });
    expect(calls.readiness).toEqual([0]);
    m.syncStatus();
    await settle();
    expect(calls.readiness).toEqual([0, 2_500]);
    expect(m.status("app").ready).toBe(true);
    m.stop();
  });
});

// ------------------------------------------------------------------ hooks

describe("preStop hooks", () => {
  const quiet = () => {
    const lines: string[] = [];
    return { lines, log: (m: string) => lines.push(m) };
  };
  const names = { container: "app", pod: "shop/web-1" };

  it("exec: success, and a failure that is logged (termination goes on)", async () => {
    const q = quiet();
    const ok = await runPreStop({ exec: { command: ["sh", "-c", "exit 0"] } }, target(), 5_000, { runCommand: direct, log: q.log, ...names });
    expect(ok).toMatchObject({ ok: true, timedOut: false, message: "" });
    const bad = await runPreStop({ exec: { command: ["sh", "-c", "echo bye; exit 2"] } }, target(), 5_000, { runCommand: direct, log: q.log, ...names });
    expect(bad.ok).toBe(false);
    expect(bad.message).toBe(`Exec lifecycle hook ([sh -c echo bye; exit 2]) for Container "app" in Pod "shop/web-1" failed - error: command 'sh -c echo bye; exit 2' exited with 2: bye\n, message: "bye\\n"`);
    expect(q.lines).toEqual([`kubelet: PreStop hook failed for container app of pod shop/web-1: ${bad.message}`]);
  });

  it("exec: a hook longer than the grace period is killed at the limit", async () => {
    const q = quiet();
    const r = await runPreStop({ exec: { command: ["sh", "-c", "sleep 10"] } }, target(), 300, { runCommand: direct, log: q.log });
    expect(r.timedOut).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.elapsedMs).toBeLessThan(2_000);
    expect(q.lines[0]).toContain("PreStop hook not completed in grace period");
  });

  it("httpGet: sends kube-lifecycle/1.31; the status code does not matter, a refused connection does", async () => {
    const q = quiet();
    const before = seen.length;
    const r = await runPreStop({ httpGet: { port: "http", path: "/status/500" } }, target({ containerPorts: [{ name: "http", containerPort: port }] }), 5_000, { log: q.log, ...names });
    expect(r.ok).toBe(true);
    expect(seen[before]?.headers["user-agent"]).toBe("kube-lifecycle/1.31");
    const refused = await runPreStop({ httpGet: { port: closedPort, path: "/shutdown" } }, target(), 5_000, { log: q.log, ...names });
    expect(refused.ok).toBe(false);
    expect(refused.message).toBe(
      `HTTP lifecycle hook (/shutdown) for Container "app" in Pod "shop/web-1" failed - error: Get "http://${HOST}:${closedPort}/shutdown": dial tcp ${HOST}:${closedPort}: connect: connection refused`,
    );
    expect(q.lines.length).toBe(1);
  });

  it("httpGet: HTTPS answered in plain HTTP is retried as HTTP", async () => {
    const before = seen.length;
    const r = await runPreStop({ httpGet: { port, path: "/status/200", scheme: "HTTPS" } }, target(), 5_000, { log: () => undefined });
    expect(r.ok).toBe(true);
    expect(seen.slice(before).map((s) => s.path)).toEqual(["/status/200"]);
  });

  it("sleep: waits sleep.seconds, or gives up at the limit", async () => {
    const r = await runPreStop({ sleep: { seconds: 1 } }, target(), 5_000);
    expect(r.ok).toBe(true);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(990);
    const q = quiet();
    const cut = await runPreStop({ sleep: { seconds: 30 } }, target(), 200, { log: q.log });
    expect(cut).toMatchObject({ ok: false, timedOut: true });
    expect(cut.elapsedMs).toBeLessThan(1_000);
    expect(q.lines.length).toBe(1);
  });

  it("tcpSocket is not a valid lifecycle handler", async () => {
    const q = quiet();
    const r = await runPreStop({ tcpSocket: { port } }, target(), 1_000, { log: q.log });
    expect(r).toMatchObject({ ok: false, message: "Cannot run handler: invalid handler: tcpSocket is not supported as a lifecycle handler" });
  });

  it("the hook's whole seconds come off the grace period, leaving at least 2 s", () => {
    expect(graceAfterPreStop(30, 4_500)).toBe(26);
    expect(graceAfterPreStop(3, 2_500)).toBe(2);
    expect(graceAfterPreStop(30, 0)).toBe(30);
  });
});
