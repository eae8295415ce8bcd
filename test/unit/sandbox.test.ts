// Tests for netns/kemu-sandbox.c, the per-container launcher. They create real
// network namespaces, so they need root; build first with `node scripts/build-native.mjs`.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SANDBOX = join(root, "build", "native", "kemu-sandbox");
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("sandbox.test.ts: skipped, creating network namespaces needs root");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** True while PID exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

describe.skipIf(!isRoot)("kemu-sandbox", () => {
  let netns = "";
  let netnsPath = "";
  let tmp = "";
  const launched: ChildProcess[] = [];

  const run = (args: string[]) => {
    const r = spawnSync(SANDBOX, args, { encoding: "utf8", timeout: 20_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  /** Starts the launcher in the background; resolves its exit code. */
  const start = (args: string[]) => {
    const child = spawn(SANDBOX, args, { stdio: ["ignore", "pipe", "pipe"] });
    launched.push(child);
    let stdout = "";
    child.stdout!.on("data", (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return { child, exited, stdout: () => stdout };
  };

  const readPidfile = (path: string) =>
    waitFor("pidfile", () => (existsSync(path) ? Number(readFileSync(path, "utf8").trim()) : undefined));

  beforeAll(() => {
    if (!existsSync(SANDBOX)) throw new Error(`${SANDBOX} missing: run node scripts/build-native.mjs first`);
  });

  beforeEach(() => {
    netns = `kemu-sbt-${randomBytes(4).toString("hex")}`;
    netnsPath = `/run/netns/${netns}`;
    execFileSync("ip", ["netns", "add", netns]);
    tmp = mkdtempSync(join(tmpdir(), "kemu-sbt-"));
  });

  afterEach(() => {
    for (const c of launched.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    spawnSync("ip", ["netns", "del", netns]);
    rmSync(tmp, { recursive: true, force: true });
  });

  afterAll(() => {
    // Safety net in case a test failed between add and afterEach.
    if (netns && existsSync(netnsPath)) spawnSync("ip", ["netns", "del", netns]);
  });

  it("passes the program's exit code through", () => {
    expect(run(["--netns", netnsPath, "--", "sh", "-c", "exit 3"]).code).toBe(3);
  });

  it("reports death by signal N as 128+N", () => {
    expect(run(["--netns", netnsPath, "--", "sh", "-c", "kill -KILL $$"]).code).toBe(137);
  });

  it("gives the program its own /tmp with --tmpfs: nothing reaches the host's", () => {
    const name = `kemu-sbt-${randomBytes(4).toString("hex")}`;
    const r = run(["--netns", netnsPath, "--tmpfs", "/tmp", "--", "sh", "-c", `echo x > /tmp/${name} && ls /tmp`]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(name);
    expect(existsSync(`/tmp/${name}`)).toBe(false);
  });

  it("keeps one host directory visible under the private /tmp with --keep", () => {
    // tmp (from mkdtemp under the host's /tmp) stands for a kemu checkout under /tmp.
    writeFileSync(join(tmp, "kept"), "still here");
    const r = run(["--netns", netnsPath, "--tmpfs", "/tmp", "--keep", tmp, "--", "sh", "-c", `cat ${tmp}/kept; ls /tmp | wc -l`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("still here1\n");
  });

  it("sets the hostname in a new UTS namespace", () => {
    const r = run(["--netns", netnsPath, "--hostname", "pod-abc", "--", "hostname"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("pod-abc");
  });

  it("bind-mounts a file over /etc/hosts without touching the host's", () => {
    const before = readFileSync("/etc/hosts", "utf8");
    const src = join(tmp, "hosts");
    writeFileSync(src, `10.1.2.3 ${netns}\n`);
    const r = run(["--netns", netnsPath, "--bind", `${src}:/etc/hosts`, "--", "cat", "/etc/hosts"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`10.1.2.3 ${netns}\n`);
    expect(readFileSync("/etc/hosts", "utf8")).toBe(before);
  });

  it("runs in the pod's network namespace (only lo, also in /sys/class/net)", () => {
    const links = run(["--netns", netnsPath, "--", "ip", "-o", "link"]);
    expect(links.code).toBe(0);
    const lines = links.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^1: lo:/);
    // With a mount namespace, /sys is remounted so it shows the pod's interfaces too.
    const sys = run(["--netns", netnsPath, "--pid", "--", "ls", "/sys/class/net"]);
    expect(sys.code).toBe(0);
    expect(sys.stdout.trim()).toBe("lo");
  });

  it("makes the program PID 1 with --pid", () => {
    const r = run(["--netns", netnsPath, "--pid", "--", "sh", "-c", "echo $$"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("1");
  });

  it("writes a pidfile whose process is in the netns and can be entered with nsenter", async () => {
    const pidfile = join(tmp, "c.pid");
    const l = start(["--netns", netnsPath, "--hostname", "pod-pf", "--pid", "--pidfile", pidfile, "--", "sleep", "30"]);
    const pid = await readPidfile(pidfile);
    expect(pid).toBeGreaterThan(1);
    expect(statSync(`/proc/${pid}/ns/net`).ino).toBe(statSync(netnsPath).ino);
    const inside = execFileSync("nsenter", ["-t", String(pid), "-n", "-u", "-m", "-p", "hostname"], {
      encoding: "utf8",
    });
    expect(inside.trim()).toBe("pod-pf");
    l.child.kill("SIGKILL");
    await l.exited;
  });

  it("forwards SIGTERM to the program (PID 1 with a trap handler)", async () => {
    const pidfile = join(tmp, "c.pid");
    const script = 'trap "exit 7" TERM; echo ready; while true; do sleep 0.1; done';
    const l = start(["--netns", netnsPath, "--pid", "--pidfile", pidfile, "--", "sh", "-c", script]);
    await waitFor("trap installed", () => (l.stdout().includes("ready") ? true : undefined));
    l.child.kill("SIGTERM");
    expect(await l.exited).toBe(7);
  });

  it("kills the program when the launcher is SIGKILLed", async () => {
    const pidfile = join(tmp, "c.pid");
    const l = start(["--netns", netnsPath, "--pid", "--pidfile", pidfile, "--", "sleep", "30"]);
    const pid = await readPidfile(pidfile);
    expect(alive(pid)).toBe(true);
    l.child.kill("SIGKILL");
    await l.exited;
    await waitFor(`pid ${pid} to go away`, () => (alive(pid) ? undefined : true));
  });

  it("fails with 125 and names --netns for a bad netns path", () => {
    const bad = `/run/netns/${netns}-missing`;
    const r = run(["--netns", bad, "--", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("--netns");
    expect(r.stderr).toContain(bad);
  });

  it("exits 127 when the program does not exist", () => {
    const r = run(["--netns", netnsPath, "--", "/nonexistent/kemu-no-such-program"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('cannot run "/nonexistent/kemu-no-such-program"');
  });
});
