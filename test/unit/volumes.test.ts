// Pod volumes: which mounts a container gets (emptyDir, hostPath), the
// kubelet's hostPath type checks (pkg/volume/hostpath checkTypeInternal) with
// its messages, and clear errors for volume types kemu does not have.
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyDirPath, hostPathCheck, planVolumeMounts, prepareVolumeMounts, VolumeError } from "../../src/agent/kubelet/volumes.js";
import type { Container, Pod } from "../../src/api/types.js";

const POD_DIR = "/run/kemu/c/pods/u-1";

const pod = (volumes: object[], mounts: object[], securityContext: object = {}): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "default", uid: "u-1" },
    spec: { securityContext, volumes, containers: [{ name: "app", image: "busybox", volumeMounts: mounts }] },
  }) as unknown as Pod;
const app = (p: Pod): Container => p.spec.containers[0]!;

describe("planning a container's volume mounts", () => {
  it("binds emptyDir from the pod's directory and hostPath from the host, readOnly honoured, parents first", () => {
    const p = pod(
      [
        { name: "cache", emptyDir: {} },
        { name: "logs", hostPath: { path: "/var/log/app/", type: "DirectoryOrCreate" } },
        { name: "unused", configMap: { name: "x" } },
      ],
      [
        { name: "logs", mountPath: "/data/logs", readOnly: true },
        { name: "cache", mountPath: "/data" },
      ],
    );
    expect(planVolumeMounts(p, app(p), POD_DIR)).toEqual([
      { source: `${POD_DIR}/volumes/kubernetes.io~empty-dir/cache`, target: "/data", readOnly: false },
      { source: "/var/log/app", target: "/data/logs", readOnly: true },
    ]);
    expect(emptyDirPath(POD_DIR, "cache")).toBe(`${POD_DIR}/volumes/kubernetes.io~empty-dir/cache`);
  });

  it("configMap and secret volumes come from the pod's state directory and are always read-only (upstream since 1.10)", () => {
    const p = pod([{ name: "cfg", configMap: { name: "x" } }, { name: "creds", secret: { secretName: "s" } }], [{ name: "cfg", mountPath: "/etc/app" }, { name: "creds", mountPath: "/etc/creds", readOnly: false }]);
    expect(planVolumeMounts(p, app(p), POD_DIR)).toEqual([
      { source: `${POD_DIR}/volumes/kubernetes.io~configmap/cfg`, target: "/etc/app", readOnly: true },
      { source: `${POD_DIR}/volumes/kubernetes.io~secret/creds`, target: "/etc/creds", readOnly: true },
    ]);
  });

  it("names a volume type kemu does not have (CreateContainerConfigError)", () => {
    const claim = pod([{ name: "data", persistentVolumeClaim: { claimName: "d" } }], [{ name: "data", mountPath: "/d" }]);
    expect(() => planVolumeMounts(claim, app(claim), POD_DIR)).toThrow('volume "data": persistentVolumeClaim volumes are not supported by kemu (emptyDir, hostPath, configMap and secret are)');
    try {
      planVolumeMounts(claim, app(claim), POD_DIR);
    } catch (err) {
      expect(err).toBeInstanceOf(VolumeError);
      expect((err as VolumeError).reason).toBe("CreateContainerConfigError");
    }
    const sub = pod([{ name: "v", emptyDir: {} }], [{ name: "v", mountPath: "/d", subPath: "x" }]);
    expect(() => planVolumeMounts(sub, app(sub), POD_DIR)).toThrow("subPath is not supported by kemu");
    const root = pod([{ name: "v", emptyDir: {} }], [{ name: "v", mountPath: "/x/.." }]);
    expect(() => planVolumeMounts(root, app(root), POD_DIR)).toThrow('volume "v": cannot be mounted on / (the container\'s root)');
  });
});

describe("hostPath type checks (the kubelet's checkType)", () => {
  it("creates what *OrCreate asks for, and a missing path of the empty type as a directory (as containerd does)", () => {
    expect(hostPathCheck("/x", "DirectoryOrCreate", "missing")).toEqual({ create: "directory" });
    expect(hostPathCheck("/x", "FileOrCreate", "missing")).toEqual({ create: "file" });
    expect(hostPathCheck("/x", "", "missing")).toEqual({ create: "directory" });
    expect(hostPathCheck("/x", "", "socket")).toEqual({});
  });

  it("fails with upstream's messages when the kind differs", () => {
    expect(hostPathCheck("/x", "Directory", "missing").error).toBe("hostPath type check failed: /x is not a directory");
    expect(hostPathCheck("/x", "DirectoryOrCreate", "file").error).toBe("hostPath type check failed: /x is not a directory");
    expect(hostPathCheck("/x", "File", "directory").error).toBe("hostPath type check failed: /x is not a file");
    expect(hostPathCheck("/x", "FileOrCreate", "directory").error).toBe("hostPath type check failed: /x is not a file");
    expect(hostPathCheck("/x", "Socket", "file").error).toBe("hostPath type check failed: /x is not a socket file");
    expect(hostPathCheck("/x", "CharDevice", "file").error).toBe("hostPath type check failed: /x is not a character device");
    expect(hostPathCheck("/x", "BlockDevice", "char").error).toBe("hostPath type check failed: /x is not a block device");
    expect(hostPathCheck("/x", "Socket", "socket")).toEqual({});
    expect(hostPathCheck("/x", "Pipe", "file").error).toBe("Pipe is an invalid volume type");
  });
});

describe("preparing volumes on the host", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "kemu-vol-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("makes emptyDir 0777 (setgid and fsGroup's group with fsGroup) and the *OrCreate hostPaths", () => {
    const p = pod(
      [
        { name: "scratch", emptyDir: {} },
        { name: "made", hostPath: { path: join(dir, "made/deep"), type: "DirectoryOrCreate" } },
        { name: "file", hostPath: { path: join(dir, "f"), type: "FileOrCreate" } },
      ],
      [
        { name: "scratch", mountPath: "/s" },
        { name: "made", mountPath: "/m" },
        { name: "file", mountPath: "/f" },
      ],
      { fsGroup: 2000 },
    );
    const podDir = join(dir, "pod");
    expect(prepareVolumeMounts(p, app(p), podDir).map((m) => m.target)).toEqual(["/s", "/m", "/f"]);
    const scratch = statSync(emptyDirPath(podDir, "scratch"));
    expect(scratch.mode & 0o7777).toBe(0o2777);
    expect(scratch.gid).toBe(2000);
    expect(statSync(join(dir, "made/deep")).isDirectory()).toBe(true);
    expect(statSync(join(dir, "f")).isFile()).toBe(true);
  });

  it("leaves the container ContainerCreating with the kubelet's FailedMount message when a check fails", () => {
    writeFileSync(join(dir, "file"), "");
    const p = pod([{ name: "d", hostPath: { path: join(dir, "file"), type: "Directory" } }], [{ name: "d", mountPath: "/d" }]);
    expect(() => prepareVolumeMounts(p, app(p), join(dir, "pod"))).toThrow(`MountVolume.SetUp failed for volume "d" : hostPath type check failed: ${join(dir, "file")} is not a directory`);
    try {
      prepareVolumeMounts(p, app(p), join(dir, "pod"));
    } catch (err) {
      expect((err as VolumeError).reason).toBe("ContainerCreating");
    }
    const missingParent = pod([{ name: "f", hostPath: { path: join(dir, "no/such/file"), type: "FileOrCreate" } }], [{ name: "f", mountPath: "/f" }]);
    expect(() => prepareVolumeMounts(missingParent, app(missingParent), join(dir, "pod"))).toThrow(/MountVolume.SetUp failed for volume "f" : ENOENT/);
    mkdirSync(join(dir, "kept"));
    expect(existsSync(join(dir, "no"))).toBe(false);
  });
});
