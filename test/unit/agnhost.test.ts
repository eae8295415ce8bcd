// Unit tests for kemu's built-in agnhost (src/workloads/agnhost/agnhost.c).
// No root needed: the binary runs on the host, on random free ports, and is
// talked to over 127.0.0.1 only. Every process started here is killed by PID.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, hostname as osHostname } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as dgram from "node:dgram";
import * as http from "node:http";
import * as net from "node:net";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const source = join(root, "src", "workloads", "agnhost", "agnhost.c");
const HOST = "127.0.0.1";
const hostname = osHostname();

let workdir = "";
let bin = "";

beforeAll(() => {
  // Compile into a private directory with the flags scripts/build-native.mjs uses.
  workdir = mkdtempSync(join(tmpdir(), "kemu-agnhost-test-"));
  bin = join(workdir, "agnhost");
  execFileSync("cc", ["-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-o", bin, source], { stdio: "pipe" });
});

afterAll(() => {
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Proc {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
  done: boolean;
}

const running = new Set<Proc>();

afterEach(async () => {
  for (const p of running) {
    if (!p.done) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await p.exited;
    }
  }
  running.clear();
});

function start(args: string[], env?: NodeJS.ProcessEnv): Proc {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const p: Proc = {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    done: false,
    exited: new Promise<Exit>((resolve) => {
      child.on("exit", (code, signal) => {
        p.done = true;
        resolve({ code, signal });
      });
    }),
  };
  running.add(p);
  return p;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function waitExit(p: Proc, timeoutMs = 5000): Promise<Exit> {
  return Promise.race([
    p.exited,
    new Promise<Exit>((_, reject) => setTimeout(() => reject(new Error("process did not exit")), timeoutMs)),
  ]);
}

const usedPorts = new Set<number>();

// A port that is currently free for both TCP and UDP on 127.0.0.1.
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, HOST, () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    if (usedPorts.has(port)) continue;
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket("udp4");
      u.once("error", () => resolve(false));
      u.bind(port, HOST, () => u.close(() => resolve(true)));
    });
    if (udpFree) {
      usedPorts.add(port);
      return port;
    }
  }
}

interface Netexec {
  proc: Proc;
  http: number;
  udp: number;
}

async function startNetexec(extra: string[] = []): Promise<Netexec> {
  const httpPort = await freePort();
  const udpPort = await freePort();
  const proc = start(["netexec", `--http-port=${httpPort}`, `--udp-port=${udpPort}`, ...extra]);
  await waitFor(() => proc.stdout().includes("Started HTTP server") || proc.done, "netexec to start");
  expect(proc.done).toBe(false);
  return { proc, http: httpPort, udp: udpPort };
}

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  localPort: number;
}

function request(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port, path, method: opts.method ?? "GET", headers: opts.headers, agent: opts.agent ?? false },
      (res) => {
        const localPort = res.socket.localPort!;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body, localPort }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.setTimeout(15000, () => req.destroy(new Error("request timed out")));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

// Sends one datagram and returns the reply, or null if none arrives in time.
function udp(port: number, msg: string, timeoutMs = 1000): Promise<{ reply: string | null; localPort: number }> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    let localPort = 0;
    const timer = setTimeout(() => {
      s.close();
      resolve({ reply: null, localPort });
    }, timeoutMs);
    s.on("message", (m) => {
      clearTimeout(timer);
      s.close();
      resolve({ reply: m.toString(), localPort });
    });
    s.on("error", () => undefined);
    s.bind(0, HOST, () => {
      localPort = s.address().port;
      s.send(msg, port, HOST);
    });
  });
}

// Raw TCP exchange: writes data, collects everything until the server closes
// (or idleMs passes without data).
function raw(port: number, data: string, idleMs = 500): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, HOST);
    let text = "";
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ text, closedByServer: closed });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), idleMs);
    };
    s.on("connect", () => {
      s.write(data);
      arm();
    });
    s.on("data", (d) => {
      text += d.toString();
      arm();
    });
    s.on("end", () => finish(true));
    s.on("error", reject);
  });
}

// Splits a stream of HTTP/1.1 responses (Content-Length framed).
function splitResponses(text: string): { head: string; body: string }[] {
  const out: { head: string; body: string }[] = [];
  let rest = text;
  while (rest.length) {
    const i = rest.indexOf("\r\n\r\n");
    if (i < 0) break;
    const head = rest.slice(0, i);
    const m = /\r\nContent-Length: (\d+)/i.exec(head);
    const len = m ? Number(m[1]) : 0;
    out.push({ head, body: rest.slice(i + 4, i + 4 + len) });
    rest = rest.slice(i + 4 + len);
  }
  return out;
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(bin, args, { encoding: "utf8", timeout: 10000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("agnhost netexec HTTP endpoints", () => {
  let srv: Netexec;
  beforeAll(async () => {
    srv = await startNetexec();
    running.delete(srv.proc); // shared by the tests in this block
  });
  afterAll(async () => {
    process.kill(srv.proc.pid, "SIGKILL");
    await srv.proc.exited;
  });

  it("/ returns the time like Go's fmt of time.Now(), with Go's headers", async () => {
    const r = await request(srv.http, "/");
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^NOW: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? [+-]\d{4} \S+ m=\+\d+\.\d{9}$/);
    expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(r.headers["content-length"]).toBe(String(Buffer.byteLength(r.body)));
    expect(r.headers.date).toMatch(/^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
    // Unknown paths fall through to the root handler, as with Go's ServeMux "/".
    expect((await request(srv.http, "/no/such/path")).body).toMatch(/^NOW: /);
  });

  it("/clientip returns the caller's ip:port", async () => {
    const r = await request(srv.http, "/clientip");
    expect(r.status).toBe(200);
    expect(r.body).toBe(`127.0.0.1:${r.localPort}`);
  });

  it("/echo echoes msg, honours code, and reports a bad code like upstream", async () => {
    let r = await request(srv.http, "/echo?msg=hello%20world");
    expect([r.status, r.body]).toEqual([200, "hello world"]);
    r = await request(srv.http, "/echo?msg=gone&code=404");
    expect([r.status, r.body]).toEqual([404, "gone"]);
    r = await request(srv.http, "/echo?msg=x&code=abc");
    expect([r.status, r.body]).toEqual([200, `argument 'code' must be an integer or empty, got "abc"\n`]);
    r = await request(srv.http, "/echo");
    expect([r.status, r.body]).toEqual([200, ""]);
    expect(r.headers["content-length"]).toBe("0");
    expect(r.headers["content-type"]).toBeUndefined();
    // FormValue: an urlencoded POST body wins over the query string.
    r = await request(srv.http, "/echo?msg=query", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "msg=body+value",
    });
    expect(r.body).toBe("body value");
    // HEAD: same headers, no body.
    r = await request(srv.http, "/echo?msg=abc", { method: "HEAD" });
    expect([r.status, r.body, r.headers["content-length"]]).toEqual([200, "", "3"]);
  });

  it("/hostname and /hostName return the hostname without a newline", async () => {
    for (const path of ["/hostname", "/hostName"]) {
      const r = await request(srv.http, path);
      expect([r.status, r.body]).toEqual([200, hostname]);
    }
  });

  it("/header returns one header's value, or all headers as JSON", async () => {
    let r = await request(srv.http, "/header?key=x-kemu-test", { headers: { "X-Kemu-Test": "abc 123" } });
    expect([r.status, r.body]).toEqual([200, "abc 123"]);
    r = await request(srv.http, "/header?key=X-Missing");
    expect([r.status, r.body]).toEqual([200, ""]);
    r = await request(srv.http, "/header", { headers: { "x-kemu-test": "<v>", "User-Agent": "t" } });
    const parsed = JSON.parse(r.body) as Record<string, string[]>;
    expect(parsed["X-Kemu-Test"]).toEqual(["<v>"]);
    expect(parsed["User-Agent"]).toEqual(["t"]);
    expect(parsed.Host).toBeUndefined(); // Go keeps Host out of r.Header
    expect(r.body).toContain('"\\u003cv\\u003e"'); // encoding/json HTML escaping
    const keys = Object.keys(parsed);
    expect(keys).toEqual([...keys].sort());
  });

  it("/healthz and /readyz report ready once the UDP server runs", async () => {
    let r = await request(srv.http, "/healthz");
    expect([r.status, r.body]).toEqual([200, ""]);
    r = await request(srv.http, "/readyz");
    expect([r.status, r.body]).toEqual([200, "ok"]);
  });

  it("/redirect answers like http.Redirect", async () => {
    let r = await request(srv.http, "/redirect?location=/echo%3Fmsg%3Dfoobar&code=307");
    expect(r.status).toBe(307);
    expect(r.headers.location).toBe("/echo?msg=foobar");
    expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(r.body).toBe('<a href="/echo?msg=foobar">Temporary Redirect</a>.\n\n');
    r = await request(srv.http, "/redirect?location=somewhere/../else");
    expect([r.status, r.headers.location]).toEqual([302, "/else"]);
    expect(r.body).toBe('<a href="/else">Found</a>.\n\n');
    r = await request(srv.http, "/redirect?location=/x&code=nope");
    expect([r.status, r.body]).toEqual([200, `argument 'code' must be an integer or empty, got "nope"\n`]);
  });

  it("redirects unclean paths like Go's ServeMux", async () => {
    const r = await request(srv.http, "/a/../hostname?x=1");
    expect([r.status, r.headers.location]).toEqual([301, "/hostname?x=1"]);
  });

  it("/shell runs sh -c and returns upstream's JSON", async () => {
    let r = await request(srv.http, "/shell?cmd=echo%20hi");
    expect([r.status, r.body]).toEqual([200, '{"output":"hi\\n"}']);
    r = await request(srv.http, "/shell?cmd=echo%20out%3B%20echo%20err%201%3E%262%3B%20exit%203");
    expect([r.status, JSON.parse(r.body)]).toEqual([200, { error: "exit status 3", output: "out\nerr\n" }]);
    r = await request(srv.http, "/shell?shellCommand=true");
    expect(r.body).toBe("{}");
    r = await request(srv.http, "/shell?cmd=kill%20-9%20%24%24");
    expect(r.body).toBe('{"error":"signal: killed"}');
  });

  it("/dial validates its parameters like upstream", async () => {
    let r = await request(srv.http, "/dial?host=127.0.0.1&port=1");
    expect([r.status, r.body]).toEqual([400, "request parameter not specified. <nil>\n"]);
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    r = await request(srv.http, "/dial?request=hostname&host=127.0.0.1&port=1&tries=x");
    expect([r.status, r.body]).toEqual([
      400,
      'tries parameter is invalid. strconv.Atoi: parsing "x": invalid syntax\n',
    ]);
    r = await request(srv.http, "/dial?request=hostname&host=127.0.0.1&port=1&protocol=icmp");
    expect([r.status, r.body]).toEqual([400, "unsupported protocol. icmp\n"]);
    r = await request(srv.http, "/dial?request=hostname&host=127.0.0.1&port=1&tries=0");
    expect([r.status, r.body]).toEqual([200, "{}"]);
  });

  it("serves many concurrent keep-alive connections", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    try {
      const results = await Promise.all(
        Array.from({ length: 400 }, (_, i) => request(srv.http, `/echo?msg=m${i}`, { agent })),
      );
      results.forEach((r, i) => expect([r.status, r.body]).toEqual([200, `m${i}`]));
    } finally {
      agent.destroy();
    }
  });

  it("keeps connections alive, pipelines, and honours Connection: close", async () => {
    const req = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
    // Three requests on one connection, answered in order; the connection stays open.
    let r = await raw(srv.http, req("/echo?msg=one") + req("/clientip") + req("/echo?msg=three"));
    let parts = splitResponses(r.text);
    expect(parts.map((p) => p.body.replace(/:\d+$/, ":P"))).toEqual(["one", "127.0.0.1:P", "three"]);
    expect(parts.every((p) => p.head.startsWith("HTTP/1.1 200 OK\r\n"))).toBe(true);
    expect(r.closedByServer).toBe(false);
    // Connection: close is honoured (and echoed in the response).
    r = await raw(srv.http, req("/echo?msg=a") + req("/echo?msg=b", "Connection: close\r\n") + req("/echo?msg=c"));
    parts = splitResponses(r.text);
    expect(parts.map((p) => p.body)).toEqual(["a", "b"]);
    expect(parts[1].head).toContain("\r\nConnection: close");
    expect(r.closedByServer).toBe(true);
    // HTTP/1.0 without keep-alive is closed after one response.
    r = await raw(srv.http, "GET /echo?msg=old HTTP/1.0\r\n\r\n");
    expect(r.text.startsWith("HTTP/1.0 200 OK\r\n")).toBe(true);
    expect(r.closedByServer).toBe(true);
    // Missing Host on HTTP/1.1 is rejected as Go does.
    r = await raw(srv.http, "GET / HTTP/1.1\r\n\r\n");
    expect(r.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*400 Bad Request: missing required Host header$/);
  });

  it("accepts a chunked request body", async () => {
    const body = "msg=chunk";
    const r = await raw(
      srv.http,
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
        `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    expect(splitResponses(r.text)[0].body).toBe("chunk");
  });
});

describe("agnhost netexec UDP server", () => {
  it("answers hostname, echo and clientip; ignores unknown commands", async () => {
    const srv = await startNetexec();
    expect(srv.proc.stdout()).toContain(`Started UDP server on port  ${srv.udp}`);
    expect((await udp(srv.udp, "hostname")).reply).toBe(hostname);
    expect((await udp(srv.udp, "  HOSTNAME\n")).reply).toBe(hostname);
    // Upstream lower-cases the whole datagram before echoing it.
    expect((await udp(srv.udp, "echo Hello World")).reply).toBe("hello world");
    const c = await udp(srv.udp, "clientip");
    expect(c.reply).toBe(`127.0.0.1:${c.localPort}`);
    expect((await udp(srv.udp, "frobnicate", 300)).reply).toBeNull();
    await waitFor(() => srv.proc.stdout().includes("Unknown UDP command received from"), "log line");
  });

  it("binds only the given --udp-listen-addresses", async () => {
    const srv = await startNetexec(["--udp-listen-addresses=127.0.0.1"]);
    expect(srv.proc.stdout()).toContain(`Started UDP server on port 127.0.0.1 ${srv.udp}`);
    expect((await udp(srv.udp, "hostname")).reply).toBe(hostname);
  });

  it("with --udp-port=-1 has no UDP server and is never ready (as upstream)", async () => {
    const httpPort = await freePort();
    const proc = start(["netexec", `--http-port=${httpPort}`, "--udp-port=-1"]);
    await waitFor(() => proc.stdout().includes("Started HTTP server"), "netexec to start");
    expect(proc.stdout()).not.toContain("Started UDP server");
    let r = await request(httpPort, "/healthz");
    expect([r.status, r.body]).toEqual([412, ""]);
    r = await request(httpPort, "/readyz");
    expect([r.status, r.body]).toEqual([412, ""]);
  });
});

describe("agnhost netexec /dial", () => {
  it("dials another instance over http and udp", async () => {
    const a = await startNetexec();
    const b = await startNetexec();
    let r = await request(a.http, `/dial?request=hostname&protocol=http&host=${HOST}&port=${b.http}&tries=3`);
    expect([r.status, r.body]).toEqual([200, JSON.stringify({ responses: [hostname, hostname, hostname] })]);
    // b's log lines reach us through a pipe: give the last one a moment to arrive.
    for (let i = 0; i < 100 && (b.proc.stdout().match(/GET \/hostname/g)?.length ?? 0) < 3; i++) await new Promise((res) => setTimeout(res, 20));
    expect(b.proc.stdout().match(/GET \/hostname/g)?.length).toBe(3);
    r = await request(a.http, `/dial?request=echo%3Fmsg%3Dvia-dial&host=${HOST}&port=${b.http}`);
    expect(r.body).toBe('{"responses":["via-dial"]}');
    // The target sees the dial as coming from a Go HTTP client.
    r = await request(a.http, `/dial?request=header%3Fkey%3DUser-Agent&host=${HOST}&port=${b.http}`);
    expect(r.body).toBe('{"responses":["Go-http-client/1.1"]}');
    // Redirects are followed, like Go's http.Client does.
    r = await request(a.http, `/dial?request=redirect%3Flocation%3D/hostName&host=${HOST}&port=${b.http}`);
    expect(r.body).toBe(JSON.stringify({ responses: [hostname] }));
    r = await request(a.http, `/dial?request=hostname&protocol=udp&host=${HOST}&port=${b.udp}&tries=2`);
    expect([r.status, r.body]).toEqual([200, JSON.stringify({ responses: [hostname, hostname] })]);
    r = await request(a.http, `/dial?request=echo%20kemu&protocol=UDP&host=${HOST}&port=${b.udp}`);
    expect(r.body).toBe('{"responses":["kemu"]}');
  });

  it("reports failures in upstream's error format", async () => {
    const a = await startNetexec();
    const closed = await freePort();
    let r = await request(a.http, `/dial?request=hostname&host=${HOST}&port=${closed}&tries=2`);
    const err = `Get "http://${HOST}:${closed}/hostname": dial tcp ${HOST}:${closed}: connect: connection refused`;
    expect([r.status, r.body]).toEqual([200, JSON.stringify({ errors: [err, err] })]);
    r = await request(a.http, `/dial?request=hostname&protocol=udp&host=${HOST}&port=${closed}`);
    const body = JSON.parse(r.body) as { errors: string[]; responses?: string[] };
    expect(body.responses).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatch(
      new RegExp(
        `^reading from udp connection failed\\. err:'read udp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${closed}: read: connection refused'$`,
      ),
    );
    r = await request(a.http, "/dial?request=hostname&host=no-such-host.invalid&port=80");
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/^host and\/or port param are invalid\. lookup no-such-host\.invalid: .+\n$/);
  });

  it("keeps serving other requests while a dial is in flight", async () => {
    const a = await startNetexec();
    const b = await startNetexec();
    // /exit?wait holds b's reply for 1.5s, so a's dial blocks that long.
    const slow = request(a.http, `/dial?request=exit%3Fwait%3D1500ms%26timeout%3D1s&host=${HOST}&port=${b.http}`);
    await new Promise((res) => setTimeout(res, 200));
    const t0 = Date.now();
    const quick = await request(a.http, "/hostname");
    expect(quick.body).toBe(hostname);
    expect(Date.now() - t0).toBeLessThan(500);
    const r = await slow;
    expect(r.body).toBe("{}"); // empty 200 body: upstream only lists non-empty last responses
    expect((await waitExit(b.proc)).code).toBe(0);
  });
});

describe("agnhost netexec process lifecycle", () => {
  it("exits 0 on SIGTERM", async () => {
    const srv = await startNetexec();
    process.kill(srv.proc.pid, "SIGTERM");
    expect(await waitExit(srv.proc)).toEqual({ code: 0, signal: null });
  });

  it("--delay-shutdown keeps serving with /readyz failing, then exits 0", async () => {
    const srv = await startNetexec(["--delay-shutdown=2"]);
    const t0 = Date.now();
    process.kill(srv.proc.pid, "SIGTERM");
    await waitFor(() => srv.proc.stdout().includes("Sleeping 2 seconds before terminating..."), "delay log");
    let r = await request(srv.http, "/readyz");
    expect([r.status, r.body]).toEqual([503, "shutting down"]);
    r = await request(srv.http, "/healthz");
    expect(r.status).toBe(200);
    r = await request(srv.http, "/hostname");
    expect(r.body).toBe(hostname);
    process.kill(srv.proc.pid, "SIGTERM"); // a second SIGTERM changes nothing
    const exit = await waitExit(srv.proc, 6000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
  });

  it("/exit?code=3 exits with 3 immediately, without a reply", async () => {
    const srv = await startNetexec();
    await expect(request(srv.http, "/exit?code=3")).rejects.toThrow();
    expect((await waitExit(srv.proc)).code).toBe(3);
    expect(srv.proc.stdout()).toContain(
      "Will begin shutdown in 0s, allowing 0s for connections to close, then will exit with 3",
    );
  });

  it("/exit with a timeout replies, shuts down gracefully and exits with the code", async () => {
    const srv = await startNetexec();
    const r = await request(srv.http, "/exit?code=4&timeout=2s");
    expect([r.status, r.body, r.headers.connection]).toEqual([200, "", "close"]);
    expect((await waitExit(srv.proc)).code).toBe(4);
    expect(srv.proc.stdout()).toContain("Graceful shutdown completed with: <nil>");
  });

  it("/exit rejects bad arguments like upstream", async () => {
    const srv = await startNetexec();
    let r = await request(srv.http, "/exit?code=x");
    expect([r.status, r.body]).toEqual([200, `argument 'code' must be an integer [0-127] or empty, got "x"\n`]);
    r = await request(srv.http, "/exit?timeout=5");
    expect(r.body).toBe(`argument 'timeout' must be a valid golang duration or empty, got "5"\n`);
    expect(srv.proc.done).toBe(false);
  });

  it("/shutdown exits 0", async () => {
    const srv = await startNetexec();
    await expect(request(srv.http, "/shutdown")).rejects.toThrow();
    expect((await waitExit(srv.proc)).code).toBe(0);
  });

  it("--http-override serves every request as the given path", async () => {
    const srv = await startNetexec(["--http-override=/echo?msg=overridden"]);
    const r = await request(srv.http, "/anything/else");
    expect([r.status, r.body]).toEqual([200, "overridden"]);
  });

  it("fails like log.Fatal when the HTTP port is taken", async () => {
    const srv = await startNetexec();
    const udpPort = await freePort();
    const r = run(["netexec", `--http-port=${srv.http}`, `--udp-port=${udpPort}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`listen tcp :${srv.http}: bind: address already in use`));
  });

  it("uses little memory", async () => {
    const srv = await startNetexec();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    await Promise.all(Array.from({ length: 200 }, () => request(srv.http, "/hostname", { agent })));
    agent.destroy();
    const status = readFileSync(`/proc/${srv.proc.pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    const rss = kb("VmRSS");
    const anon = kb("RssAnon");
    console.log(`agnhost netexec memory: VmRSS ${rss} kB (RssAnon ${anon} kB)`);
    expect(rss).toBeLessThan(8 * 1024);
  });
});

describe("agnhost serve-hostname", () => {
  it("serves the hostname over HTTP by default", async () => {
    const port = await freePort();
    const p = start(["serve-hostname", `--port=${port}`]);
    await waitFor(() => p.stdout().includes(`Serving on port ${port}.`), "serve-hostname");
    const r = await request(port, "/any/path");
    expect([r.status, r.body]).toEqual([200, hostname]);
    expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8");
    await waitFor(() => p.stdout().includes("HTTP request from 127.0.0.1:"), "log line");
    // SIGTERM: upstream logs, keeps serving and waits (60s) for the pod to be deleted.
    process.kill(p.pid, "SIGTERM");
    await waitFor(() => p.stdout().includes("Shutting down after receiving signal: terminated."), "shutdown log");
    expect(p.stdout()).toContain("Awaiting pod deletion.");
    expect((await request(port, "/")).body).toBe(hostname);
    expect(p.done).toBe(false);
  });

  it("--close adds Connection: close", async () => {
    const port = await freePort();
    const p = start(["serve-hostname", "--port", String(port), "--close"]);
    await waitFor(() => p.stdout().includes("Serving on port"), "serve-hostname");
    const r = await raw(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(r.closedByServer).toBe(true);
    expect(r.text).toContain("\r\nConnection: close\r\n");
    expect(r.text.endsWith(`\r\n\r\n${hostname}`)).toBe(true);
  });

  it("serves raw TCP and UDP with --http=false", async () => {
    const port = await freePort();
    const p = start(["serve-hostname", "--tcp", "--udp", "--http=false", `--port=${port}`]);
    await waitFor(() => p.stdout().includes("Serving on port"), "serve-hostname");
    const t = await raw(port, "");
    expect(t).toEqual({ text: hostname, closedByServer: true });
    expect((await udp(port, "anything")).reply).toBe(hostname);
    await waitFor(() => p.stdout().includes("UDP request from 127.0.0.1:"), "udp log");
    expect(p.stdout()).toContain("TCP request from 127.0.0.1:");
  });

  it("refuses TCP/UDP together with HTTP, like upstream", () => {
    const r = run(["serve-hostname", "--tcp", "--port=1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d Can't server TCP\/UDP mode and HTTP mode at the same time\n$/);
  });
});

describe("agnhost pause", () => {
  it("prints Paused and exits 2 on SIGTERM (upstream's code)", async () => {
    const p = start(["pause"]);
    await waitFor(() => p.stdout().includes("Signals registered"), "pause to start");
    expect(p.stdout().startsWith("Paused\n")).toBe(true);
    process.kill(p.pid, "SIGTERM");
    expect(await waitExit(p)).toEqual({ code: 2, signal: null });
    expect(p.stdout()).toContain('exiting because of signal "terminated"\n');
  });

  it("exits 1 on SIGINT and writes the termination message", async () => {
    const msgFile = join(workdir, "termination-log");
    const p = start(["pause"], { ...process.env, TERMINATION_MESSAGE_PATH: msgFile });
    await waitFor(() => p.stdout().includes("Signals registered"), "pause to start");
    process.kill(p.pid, "SIGINT");
    expect(await waitExit(p)).toEqual({ code: 1, signal: null });
    expect(readFileSync(msgFile, "utf8")).toBe('exiting because of signal "interrupt"\n');
  });
});

describe("agnhost command line", () => {
  it("reports an unknown subcommand like cobra (upstream ignores the error: exit 0)", () => {
    const r = run(["frobnicate"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('Error: unknown command "frobnicate" for "app"');
  });

  it("fails clearly for real agnhost subcommands kemu does not implement", () => {
    const r = run(["liveness"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('subcommand "liveness" is not implemented');
  });

  it("reports bad flags like pflag", () => {
    let r = run(["netexec", "--http-port=abc"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(
      'Error: invalid argument "abc" for "--http-port" flag: strconv.ParseInt: parsing "abc": invalid syntax',
    );
    r = run(["netexec", "--no-such-flag=1"]);
    expect(r.stderr).toContain("Error: unknown flag: --no-such-flag");
    r = run(["serve-hostname", "--http=maybe"]);
    expect(r.stderr).toContain('Error: invalid argument "maybe" for "--http" flag: strconv.ParseBool');
    r = run(["pause", "extra"]);
    expect(r.stderr).toContain("Error: accepts at most 0 arg(s), received 1");
  });

  it("accepts klog flags and --flag value syntax", async () => {
    const port = await freePort();
    const p = start(["--v=2", "serve-hostname", "--port", String(port), "--logtostderr"]);
    await waitFor(() => p.stdout().includes(`Serving on port ${port}.`) || p.done, "serve-hostname");
    expect(p.done).toBe(false);
    expect((await request(port, "/")).body).toBe(hostname);
  });

  it("prints help", () => {
    const r = run(["netexec", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--http-port");
  });
});
