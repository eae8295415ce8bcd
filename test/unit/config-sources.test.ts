// ConfigMaps and Secrets in a container, as the kubelet resolves them
// (kubelet_pods.go makeEnvironmentVariables; pkg/volume/configmap and
// pkg/volume/secret MakePayload; pkg/volume/util/atomic_writer.go), with the
// cases of the Kubernetes docs "Configure a Pod to Use a ConfigMap" and
// "Distribute Credentials Securely Using Secrets".
import { afterEach, describe, expect, it } from "vitest";
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigSourceError, envFromValues, isEnvVarName, keyRefValue, projectedFiles, type ConfigSources } from "../../src/agent/kubelet/config-sources.js";
import { writeAtomically } from "../../src/agent/kubelet/atomic-writer.js";
import { buildEnv } from "../../src/agent/kubelet/env.js";
import type { Container, Pod } from "../../src/api/types.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const sources: ConfigSources = {
  configMap: (ns, name) =>
    ns === "shop" && name === "game" ? { data: { "player.lives": "3", UI_COLOR: "blue", "bad=name": "x" }, binaryData: { "logo.bin": b64("\u0001\u0002") } } : undefined,
  secret: (ns, name) => (ns === "shop" && name === "creds" ? { data: { username: b64("admin"), password: b64("s3cr=t") } } : undefined),
};

describe("env from ConfigMaps and Secrets", () => {
  it("envFrom takes every key (with the prefix), decoding Secrets; keys that are not variable names are skipped and reported", () => {
    const r = envFromValues("shop", [{ configMapRef: { name: "game" }, prefix: "G_" }, { secretRef: { name: "creds" } }], sources);
    expect(r.env).toEqual({ "G_player.lives": "3", G_UI_COLOR: "blue", username: "admin", password: "s3cr=t" });
    expect(r.invalid).toEqual([{ source: "configMap shop/game", keys: ["G_bad=name"] }]);
    expect(isEnvVarName("player.lives")).toBe(true); // 1.32 RelaxedEnvironmentVariableValidation
    expect(isEnvVarName("a=b")).toBe(false);
    expect(isEnvVarName("")).toBe(false);
  });

  it("a missing object is an error unless optional, in the kubelet's words", () => {
    expect(() => envFromValues("shop", [{ configMapRef: { name: "nope" } }], sources)).toThrow(new ConfigSourceError('configmap "nope" not found'));
    expect(() => envFromValues("shop", [{ secretRef: { name: "nope" } }], sources)).toThrow('secret "nope" not found');
    expect(envFromValues("shop", [{ configMapRef: { name: "nope", optional: true } }], sources).env).toEqual({});
    expect(() => keyRefValue("shop", { configMapKeyRef: { name: "game", key: "missing" } }, sources)).toThrow("couldn't find key missing in ConfigMap shop/game");
    expect(() => keyRefValue("shop", { secretKeyRef: { name: "creds", key: "missing" } }, sources)).toThrow("couldn't find key missing in Secret shop/creds");
    expect(keyRefValue("shop", { secretKeyRef: { name: "creds", key: "missing", optional: true } }, sources)).toBeUndefined();
    expect(keyRefValue("shop", { configMapKeyRef: { name: "game", key: "UI_COLOR" } }, sources)).toBe("blue");
    expect(keyRefValue("shop", { secretKeyRef: { name: "creds", key: "username" } }, sources)).toBe("admin");
  });

  it("buildEnv layers the base, Service links, envFrom and env; $(VAR) sees what came before; an optional missing key leaves the variable unset", () => {
    const pod = { metadata: { name: "p", namespace: "shop" }, spec: { containers: [] } } as unknown as Pod;
    const container: Container = {
      name: "c",
      envFrom: [{ configMapRef: { name: "game" } }],
      env: [
        { name: "UI_COLOR", value: "red" },
        { name: "USER", valueFrom: { secretKeyRef: { name: "creds", key: "username" } } },
        { name: "GREETING", value: "hi $(USER), $(UI_COLOR)" },
        { name: "MAYBE", valueFrom: { configMapKeyRef: { name: "game", key: "absent", optional: true } } },
      ],
    };
    const env = buildEnv(pod, container, { podIp: "10.0.0.1", hostIp: "172.18.0.2", nodeName: "node-1" }, { UI_COLOR: "from-link" }, sources);
    expect(env).toMatchObject({ "player.lives": "3", UI_COLOR: "red", USER: "admin", GREETING: "hi admin, red" });
    expect("MAYBE" in env).toBe(false);
  });
});

describe("configMap and secret volume files", () => {
  it("every key of data and binaryData at its own name, with defaultMode (0644 when unset)", () => {
    const files = projectedFiles("configMap", "shop", { name: "game" }, sources);
    expect(files.map((f) => [f.path, f.data.toString("latin1"), f.mode.toString(8)])).toEqual([
      ["UI_COLOR", "blue", "644"],
      ["bad=name", "x", "644"],
      ["logo.bin", "\u0001\u0002", "644"],
      ["player.lives", "3", "644"],
    ]);
  });

  it("items pick keys to paths and modes; a missing key is the plugin's error; optional and missing gives no files", () => {
    expect(projectedFiles("secret", "shop", { secretName: "creds", items: [{ key: "password", path: "db/pass", mode: 0o400 }], defaultMode: 0o440 }, sources)).toEqual([{ path: "db/pass", data: Buffer.from("s3cr=t"), mode: 0o400 }]);
    expect(() => projectedFiles("configMap", "shop", { name: "game", items: [{ key: "nope", path: "x" }] }, sources)).toThrow("configmap references non-existent config key: nope");
    expect(() => projectedFiles("secret", "shop", { secretName: "creds", items: [{ key: "nope", path: "x" }] }, sources)).toThrow("references non-existent secret key: nope");
    expect(() => projectedFiles("secret", "shop", { secretName: "gone" }, sources)).toThrow('secret "gone" not found');
    expect(projectedFiles("configMap", "shop", { name: "gone", optional: true }, sources)).toEqual([]);
  });
});

describe("atomic writer", () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("files live in a timestamped directory behind ..data; each top-level name links through it; an update swaps the set and drops gone names", () => {
    const dir = mkdtempSync(join(tmpdir(), "kemu-atomic-"));
    dirs.push(dir);
    writeAtomically(dir, [
      { path: "a", data: Buffer.from("1"), mode: 0o644 },
      { path: "sub/b", data: Buffer.from("2"), mode: 0o400 },
    ]);
    expect(readdirSync(dir).filter((e) => !e.startsWith("..")).sort()).toEqual(["a", "sub"]);
    expect(readlinkSync(join(dir, "a"))).toBe("..data/a");
    expect(lstatSync(join(dir, "..data")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, "sub/b"), "utf8")).toBe("2");
    expect(statSync(join(dir, "sub/b")).mode & 0o777).toBe(0o400);
    const first = readlinkSync(join(dir, "..data"));

    writeAtomically(dir, [{ path: "a", data: Buffer.from("one"), mode: 0o644 }]);
    expect(readFileSync(join(dir, "a"), "utf8")).toBe("one");
    expect(readdirSync(dir).sort()).toEqual(["..data", readlinkSync(join(dir, "..data")), "a"].sort());
    expect(readlinkSync(join(dir, "..data"))).not.toBe(first);
  });

  it("refuses paths that would leave the volume", () => {
    const dir = mkdtempSync(join(tmpdir(), "kemu-atomic-"));
    dirs.push(dir);
    for (const path of ["../x", "/etc/passwd", "a/../../x", "..data", ""]) expect(() => writeAtomically(dir, [{ path, data: Buffer.alloc(0), mode: 0o644 }]), path).toThrow(/invalid path/);
  });
});
