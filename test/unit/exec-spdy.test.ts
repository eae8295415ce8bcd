// Exec over SPDY/3.1, kubectl's fallback (shared reference kubectl-api.md §6
// "Fallback"; the kubelet's remotecommand httpstream.go): the negotiation,
// the streams expected per protocol version, what the error stream carries,
// and whole sessions against a scripted SPDY client over a unix socket.
import { afterEach, describe, expect, it } from "vitest";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { acceptSpdyExec, errorStreamBytes, expectedStreamTypes, negotiateSpdyExec, type ExpectedStreams } from "../../src/api/stream/exec-spdy.js";
import { exitCodeStatus, successStatus, type ExecStatus, type TerminalSize } from "../../src/api/stream/channels.js";
import { runSession, type SessionProcess } from "../../src/api/stream/session.js";
import { SpdySession, type SpdyStream } from "../../src/api/stream/spdy-session.js";
import { ApiError } from "../../src/api/errors.js";

const KUBECTL_OFFER = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];

describe("negotiateSpdyExec (httpstream.Handshake)", () => {
  it("answers with the highest protocol offered, whatever the order", () => {
    expect(negotiateSpdyExec(KUBECTL_OFFER)).toEqual({ protocol: "v5.channel.k8s.io", echo: true });
    expect(negotiateSpdyExec(["channel.k8s.io", "v4.channel.k8s.io", "v2.channel.k8s.io"])).toEqual({ protocol: "v4.channel.k8s.io", echo: true });
  });

  it("a client that offers none speaks v1, and no header is echoed", () => {
    expect(negotiateSpdyExec([])).toEqual({ protocol: "channel.k8s.io", echo: false });
  });

  it("offers of nothing it speaks are a 403", () => {
    let err: unknown;
    try {
      negotiateSpdyExec(["v9.channel.k8s.io"]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).toStatus()).toMatchObject({
      code: 403,
      message:
        "unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io], server accepts [v5.channel.k8s.io v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]",
    });
  });
});

describe("expectedStreamTypes and errorStreamBytes", () => {
  it("error always; stdin/stdout/stderr as asked; no stderr with a terminal; resize with a terminal from v3 on", () => {
    expect(expectedStreamTypes("v5.channel.k8s.io", { stdin: false, stdout: true, stderr: true, tty: false })).toEqual(["error", "stdout", "stderr"]);
    expect(expectedStreamTypes("v4.channel.k8s.io", { stdin: true, stdout: true, stderr: true, tty: true })).toEqual(["error", "stdin", "stdout", "resize"]);
    expect(expectedStreamTypes("v2.channel.k8s.io", { stdin: true, stdout: true, stderr: false, tty: true })).toEqual(["error", "stdin", "stdout"]);
  });

  it("v4 and v5 carry the Status as JSON; before v4 a failure's message, and nothing on success", () => {
    const failed = exitCodeStatus(["false"], 1);
    expect(errorStreamBytes("v4.channel.k8s.io", failed)?.toString()).toBe(JSON.stringify(failed));
    expect(errorStreamBytes("v5.channel.k8s.io", successStatus())?.toString()).toBe('{"metadata":{},"status":"Success"}');
    expect(errorStreamBytes("v3.channel.k8s.io", failed)?.toString()).toBe("command terminated with non-zero exit code: error executing command [false], exit code 1");
    expect(errorStreamBytes("channel.k8s.io", successStatus())).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------
// Whole sessions: an HTTP server on a unix socket whose upgrade handler runs
// acceptSpdyExec and runSession with a scripted process; the client is a
// SpdySession in the client role, opening its streams as client-go does.

let dir: string | undefined;
let server: http.Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

interface ScriptedProcess {
  proc: SessionProcess;
  stdin: PassThrough;
  stdout: PassThrough;
  stderr: PassThrough;
  resizes: TerminalSize[];
  finish(status: ExecStatus): void;
}

function scriptedProcess(): ScriptedProcess {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const resizes: TerminalSize[] = [];
  let finish!: (s: ExecStatus) => void;
  const done = new Promise<ExecStatus>((r) => (finish = r));
  return { proc: { stdin, stdout, stderr, resize: (s) => resizes.push(s), kill: () => undefined, done }, stdin, stdout, stderr, resizes, finish };
}

async function serve(expected: ExpectedStreams, p: ScriptedProcess): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), "kemu-exec-spdy-"));
  const socketPath = join(dir, "api.sock");
  server = http.createServer((_req, res) => res.end());
  server.on("upgrade", (req: http.IncomingMessage, socket, head: Buffer) => {
    void acceptSpdyExec(req, socket, head, expected).then((transport) => runSession(transport, p.proc));
  });
  await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
  return socketPath;
}

/** POST …/exec with Upgrade: SPDY/3.1; resolves with the 101's headers and a client session. */
function dial(socketPath: string, offer: string[]): Promise<{ headers: http.IncomingHttpHeaders; session: SpdySession }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath,
      method: "POST",
      path: "/api/v1/namespaces/default/pods/web/exec?command=sh&stdin=true&stdout=true&stderr=true",
      headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", ...(offer.length ? { "X-Stream-Protocol-Version": offer.join(", ") } : {}), "Content-Length": 0 },
      agent: false,
    });
    req.on("upgrade", (res, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve({ headers: res.headers, session: new SpdySession(socket, "client") });
    });
    req.on("response", (res) => reject(new Error(`HTTP ${res.statusCode}`)));
    req.on("error", reject);
    req.end();
  });
}

function readAll(stream: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (s: string) => (text += s));
    stream.on("end", () => resolve(text));
  });
}

describe("a whole exec session over SPDY", () => {
  it("v5 (kubectl's offer): stdin in, stdout and stderr out, the Status JSON on error, FIN on every stream, then the session closes", async () => {
    const p = scriptedProcess();
    const socketPath = await serve({ stdin: true, stdout: true, stderr: true, tty: false }, p);
    const { headers, session } = await dial(socketPath, KUBECTL_OFFER);
    expect(headers.upgrade).toBe("SPDY/3.1");
    expect(headers["x-stream-protocol-version"]).toBe("v5.channel.k8s.io");
    const closed = new Promise<void>((resolve) => session.on("close", resolve));
    // client-go's order: error (half-closed at once), stdin, stdout, stderr.
    const open = (type: string, fin = false) => session.openStream({ streamtype: [type] }, { fin });
    const error = open("error", true);
    const stdin = open("stdin");
    const stdout = open("stdout", true);
    const stderr = open("stderr", true);
    const outputs = Promise.all([readAll(error), readAll(stdout), readAll(stderr)]);
    const gotStdin = new Promise<string>((resolve) => {
      let text = "";
      p.stdin.setEncoding("utf8");
      p.stdin.on("data", (s: string) => (text += s));
      p.stdin.on("end", () => resolve(text));
    });
    await Promise.all([error, stdin, stdout, stderr].map((s) => s.whenReplied()));
    stdin.end("echo hi\n");
    expect(await gotStdin).toBe("echo hi\n");
    p.stdout.end("hi\n");
    p.stderr.end("warning\n");
    const status = exitCodeStatus(["sh"], 3);
    p.finish(status);
    expect(await outputs).toEqual([JSON.stringify(status), "hi\n", "warning\n"]);
    await closed;
  });

  it("v3 with a terminal: the resize stream's sizes reach the process; a failure is its message alone on the error stream", async () => {
    const p = scriptedProcess();
    const socketPath = await serve({ stdin: true, stdout: true, stderr: false, tty: true }, p);
    const { headers, session } = await dial(socketPath, ["v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"]);
    expect(headers["x-stream-protocol-version"]).toBe("v3.channel.k8s.io");
    const error = session.openStream({ streamtype: ["error"] }, { fin: true });
    const stdin = session.openStream({ streamtype: ["stdin"] });
    const stdout = session.openStream({ streamtype: ["stdout"] }, { fin: true });
    const resize = session.openStream({ streamtype: ["resize"] });
    const outputs = Promise.all([readAll(error), readAll(stdout)]);
    await Promise.all([error, stdin, stdout, resize].map((s) => s.whenReplied()));
    // One JSON object a line, split across writes as a stream may be.
    resize.write('{"Width":80,"Heig');
    resize.write('ht":24}\n{"Width":100,"Height":30}\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(p.resizes).toEqual([
      { width: 80, height: 24 },
      { width: 100, height: 30 },
    ]);
    p.stdout.end("$ ");
    p.stderr.end();
    p.finish(exitCodeStatus(["sh"], 2));
    expect(await outputs).toEqual(["command terminated with non-zero exit code: error executing command [sh], exit code 2", "$ "]);
  });

  it("v1 (no protocol offered): no header in the 101, and a success writes nothing on the error stream", async () => {
    const p = scriptedProcess();
    const socketPath = await serve({ stdin: false, stdout: true, stderr: false, tty: false }, p);
    const { headers, session } = await dial(socketPath, []);
    expect(headers["x-stream-protocol-version"]).toBeUndefined();
    const error = session.openStream({ streamtype: ["error"] }, { fin: true });
    const stdout = session.openStream({ streamtype: ["stdout"] }, { fin: true });
    const outputs = Promise.all([readAll(error), readAll(stdout)]);
    await Promise.all([error.whenReplied(), stdout.whenReplied()]);
    p.stdout.end("done\n");
    p.stderr.end();
    p.finish(successStatus());
    expect(await outputs).toEqual(["", "done\n"]);
  });
});
