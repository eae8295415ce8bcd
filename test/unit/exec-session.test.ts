// The transport-independent exec session, the container target and the
// terminal command, without sockets or containers.
import { describe, it, expect } from "vitest";
import { PassThrough } from "node:stream";
import { runSession, type ChannelTransport, type SessionProcess } from "../../src/api/stream/session.js";
import { successStatus, exitCodeStatus, type ExecStatus, type TerminalSize } from "../../src/api/stream/channels.js";
import { parseEnviron } from "../../src/agent/kubelet/exec-target.js";
import { pickContainer } from "../../src/api/stream/pick-container.js";
import { shellQuote, terminalCommand } from "../../src/api/stream/exec-process.js";
import { parseStreamOptions, validateStreamOptions, runningContainer } from "../../src/api/stream/pod-streams.js";
import { ApiError } from "../../src/api/errors.js";
import type { Pod, Stored } from "../../src/api/types.js";

class FakeTransport implements ChannelTransport {
  sent: [number, string][] = [];
  ended = false;
  private message?: (channel: number, data: Buffer) => void;
  private gone?: () => void;
  send(channel: number, data: Buffer) {
    this.sent.push([channel, data.toString()]);
  }
  onMessage(l: (channel: number, data: Buffer) => void) {
    this.message = l;
  }
  onChannelClosed() {}
  onGone(l: () => void) {
    this.gone = l;
  }
  end() {
    this.ended = true;
  }
  client(channel: number, data: string | number[]) {
    this.message!(channel, Buffer.from(data as string));
  }
  leave() {
    this.gone!();
  }
}

function fakeProcess() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const resizes: TerminalSize[] = [];
  let kills = 0;
  let finish!: (s: ExecStatus) => void;
  const done = new Promise<ExecStatus>((r) => (finish = r));
  const proc: SessionProcess = { stdin, stdout, stderr, resize: (s) => resizes.push(s), kill: () => kills++, done };
  return { proc, stdin, stdout, stderr, resizes, kills: () => kills, finish };
}

describe("runSession", () => {
  it("moves stdin in, stdout/stderr out, then the status and a clean end", async () => {
    const t = new FakeTransport();
    const p = fakeProcess();
    const session = runSession(t, p.proc);
    const got: string[] = [];
    p.stdin.on("data", (c: Buffer) => got.push(c.toString()));
    t.client(0, "abc");
    t.client(4, '{"Width":80,"Height":24}\n');
    t.client(255, [0]);
    p.stdout.end("out\n");
    p.stderr.end("err\n");
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(["abc"]);
    expect(p.stdin.writableEnded).toBe(true);
    expect(p.resizes).toEqual([{ width: 80, height: 24 }]);
    p.finish(exitCodeStatus(["false"], 1));
    await session;
    expect(t.sent).toEqual([
      [1, "out\n"],
      [2, "err\n"],
      [3, JSON.stringify(exitCodeStatus(["false"], 1))],
    ]);
    expect(t.ended).toBe(true);
  });

  it("kills the process when the client leaves, and sends nothing more", async () => {
    const t = new FakeTransport();
    const p = fakeProcess();
    const session = runSession(t, p.proc);
    t.leave();
    expect(p.kills()).toBe(1);
    p.stdout.end("late");
    p.stderr.end();
    p.finish(successStatus());
    await session;
    expect(t.sent).toEqual([]);
    expect(t.ended).toBe(false);
  });
});

describe("exec options (PodExecOptions from the query)", () => {
  it("reads one command= per argv element and kubectl's booleans; with tty stderr is dropped", () => {
    const q = new URLSearchParams("command=sh&command=-c&command=echo+hi&container=main&stdin=true&stdout=true&tty=true");
    expect(parseStreamOptions(q)).toEqual({ command: ["sh", "-c", "echo hi"], container: "main", stdin: true, stdout: true, stderr: false, tty: true });
  });
  it("refuses no streams and, for exec, no command", () => {
    expect(() => validateStreamOptions("exec", parseStreamOptions(new URLSearchParams("command=ls")))).toThrow("you must specify at least 1 of stdin, stdout, stderr");
    expect(() => validateStreamOptions("exec", parseStreamOptions(new URLSearchParams("stdout=true")))).toThrow("you must specify at least one command for the container");
    expect(() => validateStreamOptions("attach", parseStreamOptions(new URLSearchParams("stdout=true")))).not.toThrow();
  });
});

const pod = (phase: string, containers: string[], running: Record<string, string>): Stored<Pod> =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", uid: "u", resourceVersion: "1", creationTimestamp: "" },
    spec: { containers: containers.map((name) => ({ name, image: "x" })) },
    status: { phase, containerStatuses: Object.entries(running).map(([name, id]) => ({ name, containerID: id, state: id ? { running: {} } : { waiting: { reason: "ContainerCreating" } } })) },
  }) as unknown as Stored<Pod>;

describe("pickContainer and runningContainer (apiserver's streamLocation, the kubelet's container lookup)", () => {
  it("a named container must be one of the pod's", () => {
    expect(() => pickContainer(pod("Running", ["main"], {}), "wrong")).toThrow(new ApiError("BadRequest", "container wrong is not valid for pod web"));
    expect(pickContainer(pod("Running", ["main"], {}), null).name).toBe("main");
    expect(() => pickContainer(pod("Running", ["a", "b"], {}), null)).toThrow("a container name must be specified for pod web, choose one of: [a b]");
  });
  it("a completed pod is refused with kubectl's words; a container not running with the kubelet's", () => {
    expect(() => runningContainer(pod("Succeeded", ["main"], { main: "kemu://5" }), { name: "main", image: "x" })).toThrow("cannot exec into a container in a completed pod; current phase is Succeeded");
    expect(() => runningContainer(pod("Pending", ["main"], { main: "" }), { name: "main", image: "x" })).toThrow('container not found ("main")');
    expect(runningContainer(pod("Running", ["main"], { main: "kemu://4242" }), { name: "main", image: "x" })).toBe(4242);
  });
});

describe("the container's environment", () => {
  it("is /proc/PID/environ split at NULs; '=' in values kept", () => {
    expect(parseEnviron(Buffer.from("PATH=/usr/bin:/bin\0A=b=c\0EMPTY=\0junk\0"))).toEqual({ PATH: "/usr/bin:/bin", A: "b=c", EMPTY: "" });
  });
});

describe("terminalCommand", () => {
  it("runs the command under script(1) at the client's size, quoted for sh", () => {
    expect(terminalCommand(["sh", "-c", "echo 'hi' $X"], { width: 120, height: 40 })).toEqual([
      "script", "-qfec", `stty rows 40 cols 120 2>/dev/null; exec sh -c 'echo '\\''hi'\\'' $X'`, "/dev/null",
    ]);
    expect(terminalCommand(["bash"])).toEqual(["script", "-qfec", "exec bash", "/dev/null"]);
  });
  it("quotes only what needs it", () => {
    expect(["a-b_c.d/e:f", "", "a b", "$x"].map(shellQuote)).toEqual(["a-b_c.d/e:f", "''", "'a b'", "'$x'"]);
  });
});
