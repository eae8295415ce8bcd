// What a pod can and cannot do to the host (README "What a pod can and cannot
// do to your host"): a container probes its own powers and is refused, and
// securityContext fields are observed from inside containers, as upstream's
// node e2e tests do (test/e2e/common/node/security_context.go: runAsUser,
// runAsGroup, readOnlyRootFilesystem, allowPrivilegeEscalation via
// NoNewPrivs, privileged; kubelet's verifyRunAsNonRoot messages).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Cluster } from "../../src/index.js";
import type { Pod, Stored } from "../../src/index.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";

function podYaml(name: string, spec: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  terminationGracePeriodSeconds: 0\n${spec}`;
}

/** A field of /proc/self/status as the container sees it. */
const statusField = (text: string, field: string) => new RegExp(`^${field}:\\s*(\\S+)$`, "m").exec(text)?.[1];

/** Docker's default capability set (moby oci/defaults.go) as a mask. */
const DOCKER_DEFAULT_CAPS = "00000000a80425fb";

describe.skipIf(!rootOnly())("confinement: what a pod can do to the host", () => {
  const name = uniqueClusterName("conf");
  const probe = `kemu-probe-${randomBytes(4).toString("hex")}`;
  const shared = mkdtempSync("/var/tmp/kemu-conf-");
  let cluster: Cluster;

  const sh = (pod: string, script: string, container?: string) => cluster.exec(pod, ["sh", "-c", script], container ? { container } : {});
  const waiting = async (pod: string) => (await cluster.pod(pod)).status?.containerStatuses?.[0]?.state?.waiting;
  const until = (what: string, check: (p: Stored<Pod>) => boolean, pod: string, timeoutMs = 20_000) =>
    cluster.waitFor(async () => check(await cluster.pod(pod)), { timeoutMs, what: async () => `${pod}: ${what} (now ${JSON.stringify((await cluster.pod(pod)).status?.containerStatuses)})` });
  const running = (pod: string) => until("running", (p) => (p.status?.containerStatuses ?? []).length > 0 && p.status!.containerStatuses!.every((c) => c.state?.running), pod);

  beforeAll(async () => {
    writeFileSync(join(shared, "from-host"), "hello from the host\n");
    cluster = await Cluster.start({ ingress: false, name, nodes: 1, timeoutMs: 60_000 });
    await cluster.apply([
      podYaml("intruder", "  containers: [{ name: c, image: busybox, command: [sleep, '3600'] }]\n"),
      podYaml(
        "restricted",
        `  securityContext: { runAsUser: 4242, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000], runAsNonRoot: true }
  containers:
    - name: c
      image: busybox
      command: [sleep, '3600']
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: [ALL], add: [NET_BIND_SERVICE] } }
      readinessProbe: { exec: { command: [sh, -c, 'test "$(id -u)" = 4242'] }, periodSeconds: 1 }
`,
      ),
      podYaml(
        "netadmin",
        "  containers: [{ name: c, image: busybox, command: [sleep, '3600'], securityContext: { allowPrivilegeEscalation: true, capabilities: { add: [NET_ADMIN], drop: [CAP_NET_RAW] } } }]\n",
      ),
      podYaml("privileged", "  containers: [{ name: c, image: busybox, command: [sleep, '3600'], securityContext: { privileged: true } }]\n"),
      podYaml(
        "volumes",
        `  volumes:
    - { name: scratch, emptyDir: {} }
    - { name: host, hostPath: { path: ${shared}, type: Directory } }
  containers:
    - { name: writer, image: busybox, command: [sh, -c, 'echo shared > /scratch/note; sleep 3600'], volumeMounts: [{ name: scratch, mountPath: /scratch }, { name: host, mountPath: /srv/host }] }
    - { name: reader, image: busybox, command: [sleep, '3600'], volumeMounts: [{ name: scratch, mountPath: /scratch }, { name: host, mountPath: /srv/host, readOnly: true }] }
`,
      ),
    ]);
    for (const pod of ["intruder", "restricted", "netadmin", "privileged", "volumes"]) await running(pod);
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(shared, { recursive: true, force: true });
    expect(leftovers(name)).toEqual(NONE);
  });

  it("runs as root with a runtime's default capabilities and no_new_privs, nothing more", async () => {
    const r = await sh("intruder", "id; grep -E '^(Cap|NoNewPrivs)' /proc/self/status");
    expect(r.stdout).toMatch(/^uid=0\(root\) gid=0\(root\) groups=0\(root\)/);
    expect(statusField(r.stdout, "CapEff")).toBe(DOCKER_DEFAULT_CAPS);
    expect(statusField(r.stdout, "CapBnd")).toBe(DOCKER_DEFAULT_CAPS);
    expect(statusField(r.stdout, "NoNewPrivs")).toBe("1");
  });

  it("cannot write the host's /etc nor kemu's own directory", async () => {
    const r = await sh("intruder", `touch /etc/${probe}; echo rc=$?; touch /usr/bin/${probe}; echo rc=$?; ls -A ${PACKAGE_ROOT}; touch ${PACKAGE_ROOT}/${probe}; echo rc=$?; touch ${PACKAGE_ROOT}/dist/${probe}; echo rc=$?`);
    expect(r.stdout).toBe("rc=1\nrc=1\nrc=1\nrc=1\n");
    // The host's tree is read-only; kemu's directory is hidden — or, when kemu is installed under
    // /tmp (a CI checkout), it is not even there: the container's /tmp is its own.
    expect(r.stderr.match(/Read-only file system/g)?.length).toBeGreaterThanOrEqual(2);
    expect(r.stderr.match(/touch: cannot touch '[^']+': (Read-only file system|No such file or directory)/g)).toHaveLength(4);
    for (const path of [`/etc/${probe}`, `/usr/bin/${probe}`, join(PACKAGE_ROOT, probe), join(PACKAGE_ROOT, "dist", probe)]) expect(existsSync(path)).toBe(false);
  });

  it("sees neither /run/netns nor /run/kemu: no API socket, no other namespace to enter", async () => {
    const socket = cluster.api.socketPath;
    expect(existsSync(socket)).toBe(true);
    const r = await sh(
      "intruder",
      `ls -A /run; ls /run/netns; ls /run/kemu; curl -s --max-time 2 --unix-socket ${socket} http://kemu/api/v1/pods; echo curl=$?; nsenter --net=/run/netns/kemu-${name}-node-1 true; echo nsenter=$?; unshare --net true; echo unshare=$?`,
    );
    expect(r.stdout).toBe("curl=7\nnsenter=1\nunshare=1\n");
    expect(r.stderr).toMatch(/\/run\/netns.*No such file or directory/);
    expect(r.stderr).toMatch(/unshare failed: Operation not permitted/);
  });

  it("cannot mount, add links to its own network namespace, load modules or read a disk", async () => {
    const dev = statSync("/").dev;
    const [major, minor] = [(dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00)];
    const r = await sh(
      "intruder",
      [
        "mount -t tmpfs none /mnt; echo mount=$?",
        "ip link add kemu-probe0 type veth peer name kemu-probe1; echo link=$?",
        // finit_module(2): EPERM without CAP_SYS_MODULE (ENOSYS on a kernel built without modules).
        `/usr/bin/python3 -c 'import ctypes; libc = ctypes.CDLL(None, use_errno=True); libc.syscall(313, -1, b"", 0); print("module", ctypes.get_errno())'`,
        "ls /dev | tr '\\n' ' '; echo",
        `mknod /tmp/disk b ${major} ${minor} && head -c 1 /tmp/disk > /dev/null; echo disk=$?`,
      ].join("; "),
    );
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("mount=32");
    expect(lines[1]).toBe("link=2");
    expect(["module 1", "module 38"]).toContain(lines[2]); // EPERM, ENOSYS
    expect(lines[3]).toBe("fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero ");
    expect(lines[4]).toBe("disk=1");
    expect(r.stderr).toMatch(/Operation not permitted/);
    expect(r.stderr).toMatch(/\/tmp\/disk.*Permission denied/);
  });

  it("honours runAsUser, runAsGroup, fsGroup, supplementalGroups, capabilities and readOnlyRootFilesystem (kemu exec and exec probes run as the container)", async () => {
    await until("ready (its exec probe checks the uid)", (p) => p.status?.containerStatuses?.[0]?.ready === true, "restricted");
    const r = await sh("restricted", "id -u; id -g; id -G; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; touch /tmp/x; touch /dev/shm/x && echo shm-ok");
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual(["4242", "3000", "3000 2000 4000"]);
    expect(statusField(r.stdout, "CapEff")).toBe("0000000000000000");
    expect(statusField(r.stdout, "CapBnd")).toBe("0000000000000400"); // NET_BIND_SERVICE only
    expect(statusField(r.stdout, "NoNewPrivs")).toBe("1");
    expect(r.stdout).toMatch(/shm-ok\n$/);
    expect(r.stderr).toMatch(/\/tmp\/x.*Read-only file system/);
    // The container's own process runs so too, not only what exec starts.
    const main = await sh("restricted", "grep -E '^(Uid|Gid|Groups)' /proc/1/status");
    expect(main.stdout).toBe("Uid:\t4242\t4242\t4242\t4242\nGid:\t3000\t3000\t3000\t3000\nGroups:\t2000 3000 4000 \n");
  });

  it("adds and drops capabilities; NET_ADMIN changes the pod's own network only; allowPrivilegeEscalation lifts no_new_privs", async () => {
    const r = await sh("netadmin", "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; ip link add kemu-probe0 type veth peer name kemu-probe1 && ip -o link show kemu-probe0 | cut -d: -f2");
    // Docker's default set without NET_RAW (bit 13), with NET_ADMIN (bit 12).
    expect(statusField(r.stdout, "CapEff")).toBe((0xa80425fbn & ~(1n << 13n) | (1n << 12n)).toString(16).padStart(16, "0"));
    expect(statusField(r.stdout, "NoNewPrivs")).toBe("0");
    expect(r.stdout).toMatch(/ kemu-probe0@kemu-probe1\n$/);
    expect((await cluster.execOnHost("node-1", ["ip", "link", "show", "kemu-probe0"])).exitCode).not.toBe(0);
  });

  it("gives a privileged container every capability kemu itself holds, unmasked /proc and writable /sys", async () => {
    const own = statusField(readFileSync("/proc/self/status", "utf8"), "CapBnd");
    const r = await sh("privileged", "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; test -w /proc/sys/net/ipv4/ip_forward && echo proc-sys-writable");
    expect(statusField(r.stdout, "CapEff")).toBe(own);
    expect(statusField(r.stdout, "NoNewPrivs")).toBe("0");
    expect(r.stdout).toMatch(/proc-sys-writable/);
  });

  it("refuses runAsNonRoot without a non-root user, in the kubelet, with upstream's messages", async () => {
    await cluster.apply([
      podYaml("nonroot-image", "  securityContext: { runAsNonRoot: true }\n  containers: [{ name: app, image: busybox, command: [sleep, '3600'] }]\n"),
      podYaml("nonroot-zero", "  containers: [{ name: app, image: busybox, command: [sleep, '3600'], securityContext: { runAsNonRoot: true, runAsUser: 0 } }]\n"),
      podYaml("unknown-cap", "  containers: [{ name: app, image: busybox, command: [sleep, '3600'], securityContext: { capabilities: { add: [NET_FOO] } } }]\n"),
    ]);
    for (const pod of ["nonroot-image", "nonroot-zero", "unknown-cap"]) await until("waiting with a reason", (p) => Boolean(p.status?.containerStatuses?.[0]?.state?.waiting?.message), pod);
    const image = await cluster.pod("nonroot-image");
    expect(await waiting("nonroot-image")).toEqual({
      reason: "CreateContainerConfigError",
      message: `container has runAsNonRoot and image will run as root (pod: "nonroot-image_default(${image.metadata.uid})", container: app)`,
    });
    const zero = await cluster.pod("nonroot-zero");
    expect(await waiting("nonroot-zero")).toEqual({
      reason: "CreateContainerConfigError",
      message: `container's runAsUser breaks non-root policy (pod: "nonroot-zero_default(${zero.metadata.uid})", container: app)`,
    });
    expect(await waiting("unknown-cap")).toEqual({ reason: "CreateContainerError", message: 'container "app": unknown capability "CAP_NET_FOO" in securityContext.capabilities.add' });
  });

  it("shares an emptyDir between the pod's containers and writes the host only through a hostPath volume (readOnly honoured)", async () => {
    expect((await sh("volumes", "cat /scratch/note", "reader")).stdout).toBe("shared\n");
    expect((await sh("volumes", "cat /srv/host/from-host; echo from-pod > /srv/host/from-pod", "writer")).stdout).toBe("hello from the host\n");
    expect(readFileSync(join(shared, "from-pod"), "utf8")).toBe("from-pod\n");
    const ro = await sh("volumes", "echo x > /srv/host/nope", "reader");
    expect(ro.exitCode).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(existsSync(join(shared, "nope"))).toBe(false);
  });

  it("keeps a pod waiting with the kubelet's FailedMount message when a hostPath check fails", async () => {
    const notADir = join(shared, "from-host");
    await cluster.apply(podYaml("badmount", `  volumes: [{ name: d, hostPath: { path: ${notADir}, type: Directory } }]\n  containers: [{ name: c, image: busybox, command: [sleep, '3600'], volumeMounts: [{ name: d, mountPath: /d }] }]\n`));
    await until("a mount failure", (p) => Boolean(p.status?.containerStatuses?.[0]?.state?.waiting?.message), "badmount");
    expect(await waiting("badmount")).toEqual({ reason: "ContainerCreating", message: `MountVolume.SetUp failed for volume "d" : hostPath type check failed: ${notADir} is not a directory` });
  });
});
