// Tests for netns/kemu-sandbox.c, the per-container launcher. They create real
// network namespaces, so they need root; build first with `node scripts/build-native.mjs`.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
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

  it("records how the program ended with --exitfile: exit N or signal N", async () => {
    const exitfile = join(tmp, "c.exit");
    expect(run(["--netns", netnsPath, "--exitfile", exitfile, "--", "sh", "-c", "exit 3"]).code).toBe(3);
    expect(readFileSync(exitfile, "utf8")).toBe("exit 3\n");
    expect(run(["--netns", netnsPath, "--exitfile", exitfile, "--", "sh", "-c", "kill -KILL $$"]).code).toBe(137);
    expect(readFileSync(exitfile, "utf8")).toBe("signal 9\n");
    // Written by rename: no temporary file is left behind.
    expect(readdirSync(tmp)).toEqual(["c.exit"]);
  });

  it("outlives the process that started it; the program still dies with the launcher", async () => {
    const pidfile = join(tmp, "c.pid");
    // A shell stands for the node agent: it starts the launcher in the background, then is killed.
    const agent = spawn("sh", ["-c", `"${SANDBOX}" --netns ${netnsPath} --pid --pidfile ${pidfile} -- sleep 30 & echo $!; wait`], { stdio: ["ignore", "pipe", "ignore"] });
    launched.push(agent);
    let out = "";
    agent.stdout!.on("data", (d) => (out += d));
    const launcher = await waitFor("the launcher's pid", () => (/^\d+\n/.test(out) ? Number(out.trim()) : undefined));
    const program = await readPidfile(pidfile);
    agent.kill("SIGKILL");
    await waitFor("the agent to go", () => (alive(agent.pid!) ? undefined : true));
    await sleep(200);
    expect(alive(launcher)).toBe(true);
    expect(alive(program)).toBe(true);
    process.kill(launcher, "SIGKILL");
    await waitFor(`pid ${program} to go away`, () => (alive(program) ? undefined : true));
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

  // ---------------------------------------------------------------- confinement

  /** Runs a shell script as a confined container (root, Docker's default capabilities unless caps given). */
  const confined = (script: string, extra: string[] = []) =>
    run(["--netns", netnsPath, "--hostname", "pod-c", "--pid", "--confine", ...extra, "--", "sh", "-c", script]);
  const DOCKER_CAPS = "chown,dac_override,fsetid,fowner,mknod,net_raw,setgid,setuid,setfcap,setpcap,net_bind_service,sys_chroot,kill,audit_write";
  const status = (out: string, field: string) => new RegExp(`^${field}:\\s*(\\S+)$`, "m").exec(out)?.[1];

  it("makes the host's tree read-only; the container's /tmp and /dev/shm are its own and writable", () => {
    const probe = `kemu-sbt-${randomBytes(4).toString("hex")}`;
    const r = confined(`touch /etc/${probe}; touch /usr/${probe}; touch /var/tmp/${probe}; echo x > /tmp/${probe} && echo tmp-ok; echo x > /dev/shm/${probe} && echo shm-ok`, ["--caps", DOCKER_CAPS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("tmp-ok\nshm-ok\n");
    expect(r.stderr.match(/Read-only file system/g)).toHaveLength(3);
    for (const dir of ["/etc", "/usr", "/var/tmp", "/tmp", "/dev/shm"]) expect(existsSync(join(dir, probe))).toBe(false);
  });

  it("hides /run (netns, sockets), /root, /etc/netns, secret files and --hide paths", () => {
    const hidden = mkdtempSync("/var/tmp/kemu-sbt-");
    try {
      writeFileSync(join(hidden, "secret"), "s3cret");
      const r = confined(`ls -A /run /root ${hidden}; test -e /run/netns/${netns} || echo no-netns; test -e /etc/netns && ls -A /etc/netns; wc -c < /etc/shadow; wc -c < /etc/gshadow; ls -A /etc/ssh 2>/dev/null | wc -l`, [
        "--hide",
        hidden,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`/root:\n\n/run:\n\n${hidden}:\nno-netns\n0\n0\n0\n`);
      expect(readFileSync(join(hidden, "secret"), "utf8")).toBe("s3cret");
    } finally {
      rmSync(hidden, { recursive: true, force: true });
    }
  });

  it("gives a minimal /dev like a runtime's: no host disks, device nodes only in read-only /dev", () => {
    const r = confined("ls /dev; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok; ls /dev/pts");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero", "4", "null-ok", "ptmx", ""].join("\n"));
  });

  it("keeps a device node made with CAP_MKNOD unusable: nodev where writable, read-only /dev", () => {
    // The host's root disk, which a container must never read.
    const dev = statSync("/").dev;
    const [major, minor] = [(dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00)];
    const r = confined(`mknod /tmp/disk b ${major} ${minor} && head -c 1 /tmp/disk > /dev/null; echo rc=$?; mknod /dev/disk b ${major} ${minor}; echo rc=$?`, ["--caps", DOCKER_CAPS]);
    expect(r.stdout).toBe("rc=1\nrc=1\n");
    expect(r.stderr).toMatch(/\/tmp\/disk.*Permission denied/);
    expect(r.stderr).toMatch(/\/dev\/disk.*Read-only file system/);
  });

  it("shows only the container's processes in /proc, with the runtime's masked and read-only paths; /sys read-only", () => {
    const r = confined("ls /proc | grep -c '^[0-9]'; wc -c < /proc/keys; wc -c < /proc/timer_list; test -w /proc/sysrq-trigger || echo ro-sysrq; test -w /proc/sys/net/ipv4/ip_forward || echo ro-sys; test -w /sys/class/net/lo/mtu || echo ro-sysfs; ls /sys/firmware | wc -l; ls /sys/class/net");
    expect(r.code).toBe(0);
    const [procs, ...rest] = r.stdout.trim().split("\n");
    expect(Number(procs)).toBeLessThanOrEqual(6); // sh, ls, grep, and the shell's subshells
    expect(rest).toEqual(["0", "0", "ro-sysrq", "ro-sys", "ro-sysfs", "0", "lo"]);
  });

  it("runs as --uid/--gid/--groups: a non-root user has no capabilities, only the bounding set", () => {
    const r = confined("id -u; id -g; id -G; grep -E '^(Cap|NoNewPrivs)' /proc/self/status", ["--uid", "1234", "--gid", "2345", "--groups", "2345,3456", "--caps", "chown,net_bind_service", "--no-new-privs"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").slice(0, 3)).toEqual(["1234", "2345", "2345 3456"]);
    expect(status(r.stdout, "CapEff")).toBe("0000000000000000");
    expect(status(r.stdout, "CapPrm")).toBe("0000000000000000");
    expect(status(r.stdout, "CapInh")).toBe("0000000000000000");
    expect(status(r.stdout, "CapAmb")).toBe("0000000000000000");
    expect(status(r.stdout, "CapBnd")).toBe("0000000000000401"); // CHOWN (0) and NET_BIND_SERVICE (10)
    expect(status(r.stdout, "NoNewPrivs")).toBe("1");
  });

  it("gives root exactly the --caps set (Docker's default: 00000000a80425fb), and no_new_privs only when asked", () => {
    const r = confined("id -u; grep -E '^(Cap|NoNewPrivs)' /proc/self/status", ["--uid", "0", "--gid", "0", "--caps", DOCKER_CAPS]);
    expect(r.code).toBe(0);
    for (const field of ["CapEff", "CapPrm", "CapBnd"]) expect(status(r.stdout, field)).toBe("00000000a80425fb");
    expect(status(r.stdout, "CapInh")).toBe("0000000000000000");
    expect(status(r.stdout, "NoNewPrivs")).toBe("0");
  });

  it("refuses root without CAP_SYS_ADMIN/CAP_NET_ADMIN: mount, new links, other namespaces", () => {
    const r = confined("mount -t tmpfs none /mnt; echo rc=$?; ip link add kemu-sbt0 type dummy; echo rc=$?; nsenter --net=/proc/1/ns/net true; echo rc=$?", ["--caps", DOCKER_CAPS]);
    expect(r.stdout).toBe("rc=32\nrc=2\nrc=1\n");
    expect(r.stderr).toMatch(/permission denied/i);
    expect(r.stderr).toMatch(/Operation not permitted/);
  });

  it("binds read-only into a hidden directory, and makes a missing mount point without touching the host", () => {
    const hidden = mkdtempSync("/var/tmp/kemu-sbt-");
    const missing = `/usr/share/kemu-sbt-${randomBytes(4).toString("hex")}`;
    try {
      writeFileSync(join(hidden, "secret"), "s3cret");
      writeFileSync(join(hidden, "kept"), "kept");
      mkdirSync(join(tmp, "vol"));
      const r = confined(`ls ${hidden}; cat ${hidden}/kept; echo; echo x > ${hidden}/kept; ls /usr/share | grep -c .; echo data > ${missing}/data/file && echo wrote`, [
        "--hide", hidden,
        "--ro-bind", `${join(hidden, "kept")}:${join(hidden, "kept")}`,
        "--bind", `${join(tmp, "vol")}:${missing}/data`,
      ]);
      expect(r.code).toBe(0);
      const lines = r.stdout.split("\n");
      expect(lines.slice(0, 2)).toEqual(["kept", "kept"]);
      expect(r.stderr).toMatch(/Read-only file system/);
      // The rest of /usr/share is still there around the new mount point.
      expect(Number(lines[2])).toBe(readdirSync("/usr/share").length + 1);
      expect(lines[3]).toBe("wrote");
      expect(readFileSync(join(tmp, "vol", "file"), "utf8")).toBe("data\n");
      expect(existsSync(missing)).toBe(false);
    } finally {
      rmSync(hidden, { recursive: true, force: true });
    }
  });

  it("follows symlinks to a mount point inside the container's own view (a resolv.conf that points into /run)", () => {
    const dir = mkdtempSync("/var/tmp/kemu-sbt-");
    const target = `/run/kemu-sbt-${randomBytes(4).toString("hex")}`;
    try {
      symlinkSync(`${target}/resolv.conf`, join(dir, "resolv.conf"));
      writeFileSync(join(tmp, "resolv.conf"), "nameserver 10.96.0.10\n");
      const r = confined(`cat ${dir}/resolv.conf; ls ${target}`, ["--ro-bind", `${join(tmp, "resolv.conf")}:${dir}/resolv.conf`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("nameserver 10.96.0.10\nresolv.conf\n");
      expect(existsSync(target)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with --read-only makes /tmp read-only too; /dev/shm and writable binds stay writable", () => {
    mkdirSync(join(tmp, "vol"));
    const r = confined("touch /tmp/x; touch /dev/shm/x && echo shm-ok; touch /data/x && echo vol-ok", ["--read-only", "--bind", `${join(tmp, "vol")}:/data`]);
    expect(r.stdout).toBe("shm-ok\nvol-ok\n");
    expect(r.stderr).toMatch(/\/tmp\/x.*Read-only file system/);
    expect(existsSync(join(tmp, "vol", "x"))).toBe(true);
  });

  it("enters a running container with --enter: its namespaces and view, the given identity, the command's exit code", async () => {
    const pidfile = join(tmp, "c.pid");
    const l = start(["--netns", netnsPath, "--hostname", "pod-in", "--pid", "--confine", "--pidfile", pidfile, "--", "sleep", "30"]);
    const pid = await readPidfile(pidfile);
    const r = run(["--enter", String(pid), "--uid", "1000", "--gid", "1000", "--groups", "1000", "--caps", "none", "--no-new-privs", "--", "sh", "-c", "hostname; id -u; ls -A /run; cat /proc/1/comm; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; exit 5"]);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe("pod-in\n1000\nsleep\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n");
    l.child.kill("SIGKILL");
    await l.exited;
  });

  it("fails with 125 for --enter of a process that does not exist, an unknown capability, --confine without --pid", () => {
    const gone = run(["--enter", "999999999", "--", "true"]);
    expect(gone.code).toBe(125);
    expect(gone.stderr).toContain("--enter 999999999");
    const cap = run(["--netns", netnsPath, "--caps", "chown,nosuch", "--", "true"]);
    expect(cap.code).toBe(125);
    expect(cap.stderr).toContain('--caps: unknown capability "nosuch"');
    const pid = run(["--netns", netnsPath, "--confine", "--", "true"]);
    expect(pid.code).toBe(125);
    expect(pid.stderr).toContain("--confine needs --pid");
  });
});
