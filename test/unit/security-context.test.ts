// The pure rules that turn a pod's and container's securityContext into the
// launcher's identity options: upstream's merge (container wins), the
// kubelet's verifyRunAsNonRoot messages, containerd's user/group and
// capability rules, and the launcher arguments of one container.
import { describe, it, expect } from "vitest";
import {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
  capabilityName,
  containerIdentity,
  effectiveSecurityContext,
  identityArgs,
  parseAccounts,
  resolveCapabilities,
  SecurityContextError,
  verifyRunAsNonRoot,
} from "../../src/agent/kubelet/security-context.js";
import { launcherArgs } from "../../src/agent/kubelet/runtime.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { validateObject } from "../../src/api/validation/index.js";
import type { Container, Pod } from "../../src/api/types.js";

const pod = (securityContext: object = {}, container: Partial<Container> = {}): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-1", namespace: "shop", uid: "u-1" },
    spec: { securityContext, containers: [{ name: "app", image: "busybox", ...container }] },
  }) as Pod;
const app = (p: Pod) => p.spec.containers[0]!;

const accounts = parseAccounts(
  ["root:x:0:0:root:/root:/bin/bash", "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin", "alice:x:1000:1000::/home/alice:/bin/sh", "bad line", "alice2:x:1000:7::/:/bin/sh"].join("\n"),
  ["root:x:0:", "daemon:x:1:", "alice:x:1000:alice", "audio:x:29:alice,bob", "video:x:44:bob", "staff:x:50:alice"].join("\n"),
);

describe("host accounts", () => {
  it("reads users (first entry of a uid wins, as getpwuid) and group memberships", () => {
    expect(accounts.users.get(1000)).toEqual({ name: "alice", gid: 1000 });
    expect(accounts.users.get(0)).toEqual({ name: "root", gid: 0 });
    expect(accounts.users.size).toBe(3);
    expect(accounts.groups.find((g) => g.name === "audio")).toEqual({ name: "audio", gid: 29, members: ["alice", "bob"] });
  });
});

describe("effective securityContext", () => {
  it("takes the container's runAsUser/runAsGroup/runAsNonRoot over the pod's; the rest is the container's own", () => {
    const p = pod({ runAsUser: 1, runAsGroup: 2, runAsNonRoot: true }, { securityContext: { runAsUser: 3, readOnlyRootFilesystem: true } });
    expect(effectiveSecurityContext(p, app(p))).toEqual({
      runAsUser: 3,
      runAsGroup: 2,
      runAsNonRoot: true,
      privileged: undefined,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: undefined,
      capabilities: undefined,
    });
  });
});

describe("verifyRunAsNonRoot (pkg/kubelet/kuberuntime/security_context_others.go)", () => {
  it("refuses runAsNonRoot without runAsUser: kemu's images run as root", () => {
    const p = pod({ runAsNonRoot: true });
    expect(verifyRunAsNonRoot(p, app(p))).toBe('container has runAsNonRoot and image will run as root (pod: "web-1_shop(u-1)", container: app)');
  });

  it("refuses runAsUser 0 with runAsNonRoot, from the container or the pod", () => {
    const p = pod({ runAsNonRoot: true }, { securityContext: { runAsUser: 0 } });
    expect(verifyRunAsNonRoot(p, app(p))).toBe(`container's runAsUser breaks non-root policy (pod: "web-1_shop(u-1)", container: app)`);
    const q = pod({ runAsUser: 0 }, { securityContext: { runAsNonRoot: true } });
    expect(verifyRunAsNonRoot(q, app(q))).toMatch(/^container's runAsUser breaks non-root policy/);
  });

  it("allows a non-zero runAsUser, runAsNonRoot false or unset, and a non-root image user", () => {
    const cases = [pod({ runAsNonRoot: true, runAsUser: 1000 }), pod({ runAsNonRoot: false }), pod(), pod({ runAsNonRoot: true }, { securityContext: { runAsNonRoot: false } })];
    for (const p of cases) expect(verifyRunAsNonRoot(p, app(p))).toBeUndefined();
    const p = pod({ runAsNonRoot: true });
    expect(verifyRunAsNonRoot(p, app(p), 1000)).toBeUndefined();
  });
});

describe("capabilities (containerd's WithCapabilities over Docker's default set)", () => {
  const caps = (capabilities: object, extra: object = {}) => resolveCapabilities({ capabilities, ...extra }, "app");

  it("defaults to the runtime's set, in kernel order", () => {
    expect(caps({})).toEqual(["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP"]);
    expect(new Set(caps({}))).toEqual(new Set(DEFAULT_CAPABILITIES));
  });

  it("adds and drops names with or without CAP_, in any case", () => {
    expect(caps({ add: ["NET_ADMIN", "cap_sys_time"], drop: ["CAP_NET_RAW", "mknod"] })).toEqual(
      ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "NET_ADMIN", "SYS_CHROOT", "SYS_TIME", "AUDIT_WRITE", "SETFCAP"],
    );
  });

  it("applies ALL first: drop ALL then add one; add ALL then drop one; add wins over drop of ALL", () => {
    expect(caps({ drop: ["ALL"], add: ["NET_BIND_SERVICE"] })).toEqual(["NET_BIND_SERVICE"]);
    expect(caps({ drop: ["all"] })).toEqual([]);
    expect(caps({ add: ["ALL"], drop: ["CHOWN"] })).toEqual(ALL_CAPABILITIES.filter((c) => c !== "CHOWN"));
    expect(caps({ add: ["ALL"], drop: ["ALL"] })).toEqual([]);
  });

  it("gives a privileged container every capability, whatever it drops", () => {
    expect(caps({ drop: ["ALL"] }, { privileged: true })).toEqual([...ALL_CAPABILITIES]);
  });

  it("names an unknown capability (CreateContainerError)", () => {
    expect(() => caps({ add: ["NET_FOO"] })).toThrow('container "app": unknown capability "CAP_NET_FOO" in securityContext.capabilities.add');
    expect(() => caps({ drop: ["CAP_BAR"] })).toThrow('unknown capability "CAP_BAR" in securityContext.capabilities.drop');
    try {
      caps({ add: ["X"] });
    } catch (err) {
      expect(err).toBeInstanceOf(SecurityContextError);
      expect((err as SecurityContextError).reason).toBe("CreateContainerError");
    }
    expect(capabilityName("cap_net_admin")).toBe("NET_ADMIN");
    expect(capabilityName("ALL")).toBeUndefined();
  });
});

describe("container identity", () => {
  it("runs as root with the default capabilities and no_new_privs when nothing is set", () => {
    const p = pod();
    expect(containerIdentity(p, app(p), accounts)).toEqual({
      uid: 0,
      gid: 0,
      groups: [0],
      capabilities: resolveCapabilities({}, "app"),
      noNewPrivs: true,
      privileged: false,
      readOnlyRootFilesystem: false,
    });
  });

  it("takes the primary group and memberships of runAsUser from the host's accounts (containerd's WithUserID/WithAdditionalGIDs)", () => {
    const p = pod({ runAsUser: 1000 });
    expect(containerIdentity(p, app(p), accounts)).toMatchObject({ uid: 1000, gid: 1000, groups: [1000, 29, 50] });
  });

  it("uses gid 0 for a user the host does not know; runAsGroup overrides; then fsGroup, then supplementalGroups, once each", () => {
    const unknown = pod({ runAsUser: 4242 });
    expect(containerIdentity(unknown, app(unknown), accounts)).toMatchObject({ uid: 4242, gid: 0, groups: [0] });
    const p = pod({ runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 29, 2000] });
    expect(containerIdentity(p, app(p), accounts)).toMatchObject({ uid: 1000, gid: 3000, groups: [3000, 29, 50, 2000, 4000] });
  });

  it("sets no_new_privs unless allowPrivilegeEscalation is true or the container is privileged (a kemu deviation)", () => {
    const allow = pod({}, { securityContext: { allowPrivilegeEscalation: true } });
    expect(containerIdentity(allow, app(allow), accounts).noNewPrivs).toBe(false);
    const deny = pod({}, { securityContext: { allowPrivilegeEscalation: false } });
    expect(containerIdentity(deny, app(deny), accounts).noNewPrivs).toBe(true);
    const privileged = pod({}, { securityContext: { privileged: true } });
    expect(containerIdentity(privileged, app(privileged), accounts)).toMatchObject({ noNewPrivs: false, privileged: true, capabilities: [...ALL_CAPABILITIES] });
  });

  it("refuses runAsNonRoot violations as CreateContainerConfigError", () => {
    const p = pod({ runAsNonRoot: true });
    expect(() => containerIdentity(p, app(p), accounts)).toThrow(SecurityContextError);
    try {
      containerIdentity(p, app(p), accounts);
    } catch (err) {
      expect((err as SecurityContextError).reason).toBe("CreateContainerConfigError");
    }
  });
});

describe("launcher arguments", () => {
  it("turns an identity into --uid/--gid/--groups/--caps/--no-new-privs", () => {
    const p = pod({ runAsUser: 1000, fsGroup: 2000 }, { securityContext: { capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } } });
    expect(identityArgs(containerIdentity(p, app(p), accounts))).toEqual(["--uid", "1000", "--gid", "1000", "--groups", "1000,29,50,2000", "--caps", "net_bind_service", "--no-new-privs"]);
    const none = pod({}, { securityContext: { capabilities: { drop: ["ALL"] }, allowPrivilegeEscalation: true } });
    expect(identityArgs(containerIdentity(none, app(none), accounts))).toEqual(["--uid", "0", "--gid", "0", "--groups", "0", "--caps", "none"]);
    const privileged = pod({}, { securityContext: { privileged: true } });
    expect(identityArgs(containerIdentity(privileged, app(privileged), accounts))).toContain("all");
  });

  it("confines every container: kemu's directory hidden, the built-in's own files, resolv.conf/hosts and volumes bound", () => {
    const p = pod({}, { securityContext: { readOnlyRootFilesystem: true } });
    const identity = containerIdentity(p, app(p), accounts);
    const args = launcherArgs(
      {
        podDir: "/run/kemu/c/pods/u-1",
        netns: "kemu-c-pod-u1",
        hostname: "web-1",
        container: "app",
        attempt: 0,
        file: "/bin/sh",
        args: ["-c", "true"],
        env: {},
        cwd: "/data",
        identity,
        readOnlyPaths: ["/opt/agnhost"],
        volumes: [{ source: "/run/kemu/c/pods/u-1/volumes/kubernetes.io~empty-dir/cache", target: "/data", readOnly: false }],
      },
      "/run/kemu/c/pods/u-1/app.pid",
    );
    expect(args).toEqual([
      "--netns", "/run/netns/kemu-c-pod-u1",
      "--hostname", "web-1",
      "--pid",
      "--confine",
      "--hide", PACKAGE_ROOT,
      "--read-only",
      ...identityArgs(identity),
      "--ro-bind", "/opt/agnhost:/opt/agnhost",
      "--ro-bind", "/run/kemu/c/pods/u-1/resolv.conf:/etc/resolv.conf",
      "--ro-bind", "/run/kemu/c/pods/u-1/hosts:/etc/hosts",
      "--bind", "/run/kemu/c/pods/u-1/volumes/kubernetes.io~empty-dir/cache:/data",
      "--pidfile", "/run/kemu/c/pods/u-1/app.pid",
      "--cwd", "/data",
      "--", "/bin/sh", "-c", "true",
    ]);
  });
});

describe("API validation (ValidatePodSecurityContext, ValidateSecurityContext, validateHostPathVolumeSource)", () => {
  const errors = (spec: object) =>
    validateObject({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec: { containers: [{ name: "c", image: "x" }], ...spec } }).map(String);
  const RANGE = "must be between 0 and 2147483647, inclusive";

  it("checks user and group ids of the pod and its containers", () => {
    expect(errors({ securityContext: { runAsUser: -1, runAsGroup: 2147483648, fsGroup: -5, supplementalGroups: [1, -2] } })).toEqual([
      `spec.securityContext.fsGroup: Invalid value: -5: ${RANGE}`,
      `spec.securityContext.runAsUser: Invalid value: -1: ${RANGE}`,
      `spec.securityContext.runAsGroup: Invalid value: 2147483648: ${RANGE}`,
      `spec.securityContext.supplementalGroups[1]: Invalid value: -2: ${RANGE}`,
    ]);
    expect(errors({ containers: [{ name: "c", image: "x", securityContext: { runAsUser: 2147483648, runAsGroup: -1 } }] })).toEqual([
      `spec.containers[0].securityContext.runAsUser: Invalid value: 2147483648: ${RANGE}`,
      `spec.containers[0].securityContext.runAsGroup: Invalid value: -1: ${RANGE}`,
    ]);
    expect(errors({ securityContext: { runAsUser: 0, runAsGroup: 2147483647, fsGroup: 0, fsGroupChangePolicy: "Always" } })).toEqual([]);
    expect(errors({ securityContext: { fsGroupChangePolicy: "Never" } })).toEqual(['spec.securityContext.fsGroupChangePolicy: Unsupported value: "Never": supported values: "OnRootMismatch", "Always"']);
  });

  it("refuses allowPrivilegeEscalation: false with privileged or CAP_SYS_ADMIN", () => {
    const sc = { allowPrivilegeEscalation: false, privileged: true, capabilities: { add: ["CAP_SYS_ADMIN"] } };
    expect(errors({ containers: [{ name: "c", image: "x", securityContext: sc }] })).toEqual([
      `spec.containers[0].securityContext: Invalid value: ${JSON.stringify(sc)}: cannot set \`allowPrivilegeEscalation\` to false and \`privileged\` to true`,
      `spec.containers[0].securityContext: Invalid value: ${JSON.stringify(sc)}: cannot set \`allowPrivilegeEscalation\` to false and \`capabilities.Add\` CAP_SYS_ADMIN`,
    ]);
    // Upstream compares the exact string: SYS_ADMIN without the prefix passes the API.
    expect(errors({ containers: [{ name: "c", image: "x", securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ["SYS_ADMIN"] } } }] })).toEqual([]);
    expect(errors({ containers: [{ name: "c", image: "x", securityContext: { allowPrivilegeEscalation: true, privileged: true } }] })).toEqual([]);
  });

  it("checks hostPath volumes: a path without '..', a known type", () => {
    expect(errors({ volumes: [{ name: "a", hostPath: { path: "" } }, { name: "b", hostPath: { path: "/x/../etc" } }, { name: "c", hostPath: { path: "/x", type: "Pipe" } }] })).toEqual([
      "spec.volumes[0].hostPath.path: Required value",
      `spec.volumes[1].hostPath.path: Invalid value: "/x/../etc": must not contain '..'`,
      'spec.volumes[2].hostPath.type: Unsupported value: "Pipe": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
    ]);
  });
});
