// The real kubectl against kemu's HTTPS endpoint: `kemu up` writes the context
// kemu-<name> into $KUBECONFIG (a temporary file here, with another context
// in it) as kind does; kubectl reaches the API with the CA and token it holds
// (kubectl-api.md §0–1); a request without the token is refused as
// kube-apiserver refuses it (401 Unauthorized); nothing listens beyond
// 127.0.0.1; `kemu down` takes out exactly its context.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { Cluster, daemonAlive } from "../../src/cluster.js";
import { readApiEndpoint } from "../../src/api/https.js";
import { Kubectl, KUBECTL, hasKubectl } from "../support/kubectl.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";

const KEMU = join(PACKAGE_ROOT, "bin", "kemu");
if (rootOnly() && !hasKubectl) console.warn(`${KUBECTL} is missing: the cases that run the real kubectl are skipped (install kubectl 1.32 to run them).`);

// A kubeconfig as kubectl writes one, with a context of someone else's.
const OTHER = `apiVersion: v1
clusters:
- cluster:
    server: https://127.0.0.1:1
  name: other
contexts:
- context:
    cluster: other
    user: other
  name: other
current-context: other
kind: Config
preferences: {}
users:
- name: other
  user:
    token: not-kemus
`;

describe.skipIf(!rootOnly())("kubectl endpoint", () => {
  const name = uniqueClusterName("kc");
  const k = new Kubectl("kubectl", 60_000);
  const { dir, kubeconfig, env } = k;
  const kubectl = (...args: string[]) => k.run(args);
  let up: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    writeFileSync(kubeconfig, OTHER);
    up = spawnSync(KEMU, ["up", "--name", name, "--nodes", "1", "--no-ingress", "--timeout", "90s"], { encoding: "utf8", timeout: 150_000, env });
  }, 180_000);

  afterAll(async () => {
    if (daemonAlive(name)) await Cluster.connect(name).stop();
    k.cleanup();
    expect(leftovers(name)).toEqual(NONE);
  }, 120_000);

  it("kemu up writes the context kemu-<name> into $KUBECONFIG, makes it current, keeps the other context", () => {
    expect(up.status, String(up.stderr)).toBe(0);
    // Progress goes to stderr.
    expect(up.stderr).toContain(`kubectl context kemu-${name} written to ${kubeconfig}\n`);
    expect(up.stdout).toContain(`kubectl get pods -A --context kemu-${name}   (context written to ${kubeconfig})`);
    const text = readFileSync(kubeconfig, "utf8");
    const { server, token } = readApiEndpoint(`/run/kemu/${name}`);
    expect(server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(text).toContain(`- cluster:\n    server: https://127.0.0.1:1\n  name: other\n- cluster:\n    certificate-authority-data: `);
    expect(text).toContain(`    server: ${server}\n  name: kemu-${name}\n`);
    expect(text).toContain(`current-context: kemu-${name}\n`);
    expect(text).toContain(`- name: kemu-${name}\n  user:\n    token: ${token}\n`);
    // The endpoint's files are the cluster's, readable by root only.
    const files = readdirSync(`/run/kemu/${name}/https`).sort();
    expect(files).toEqual(["apiserver.crt", "apiserver.key", "ca.crt", "ca.key", "port", "token"]);
    for (const f of files) expect([f, statSync(`/run/kemu/${name}/https/${f}`).mode & 0o777]).toEqual([f, 0o600]);
    expect(statSync(`/run/kemu/${name}/https`).mode & 0o777).toBe(0o700);
  });

  it.skipIf(!hasKubectl)("kubectl version -o json: server 1.32 (the dispatcher runs kubectl 1.32)", () => {
    const r = kubectl("version", "-o", "json");
    expect(r.stderr).toBe("");
    const v = JSON.parse(r.stdout) as { serverVersion: Record<string, string> };
    expect(v.serverVersion).toMatchObject({ major: "1", minor: "32", gitVersion: "v1.32.0-kemu", platform: "linux/amd64" });
    expect(Object.keys(v.serverVersion).sort()).toEqual(["buildDate", "compiler", "gitCommit", "gitTreeState", "gitVersion", "goVersion", "major", "minor", "platform"]);
  });

  it.skipIf(!hasKubectl)("kubectl get --raw /api", () => {
    const r = kubectl("get", "--raw", "/api");
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({ versions: ["v1"] });
  });

  it.skipIf(!hasKubectl)("kubectl get pods -A names every pod", async () => {
    const r = kubectl("get", "pods", "-A");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const cluster = Cluster.connect(name);
    const pods = await cluster.pods();
    cluster.api.close();
    expect(pods.length).toBeGreaterThan(0);
    for (const p of pods) expect(r.stdout).toContain(p.metadata.name);
  });

  it("kemu kubeconfig prints the standalone kubeconfig, which kubectl uses as it is", () => {
    const r = spawnSync(KEMU, ["kubeconfig", "--name", name], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const { server, caPem, token } = readApiEndpoint(`/run/kemu/${name}`);
    const key = `kemu-${name}`;
    expect(r.stdout).toBe(
      `apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: ${Buffer.from(caPem).toString("base64")}\n    server: ${server}\n  name: ${key}\n` +
        `contexts:\n- context:\n    cluster: ${key}\n    user: ${key}\n  name: ${key}\ncurrent-context: ${key}\nkind: Config\npreferences: {}\n` +
        `users:\n- name: ${key}\n  user:\n    token: ${token}\n`,
    );
    if (!hasKubectl) return;
    const standalone = join(dir, "standalone");
    writeFileSync(standalone, r.stdout);
    const raw = kubectl("--kubeconfig", standalone, "get", "--raw", "/version");
    expect(raw.stderr).toBe("");
    expect(JSON.parse(raw.stdout)).toMatchObject({ minor: "32" });
  });

  it("a request without the token, or with another, is refused: 401 with kube-apiserver's Status", async () => {
    const { server, caPem, token } = readApiEndpoint(`/run/kemu/${name}`);
    const unauthorized = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 };
    expect(await get(server, caPem, "/api/v1/pods")).toEqual({ code: 401, body: unauthorized });
    expect(await get(server, caPem, "/version", "Bearer not-kemus")).toEqual({ code: 401, body: unauthorized });
    expect(await get(server, caPem, "/api/v1/pods", `Basic ${Buffer.from(`x:${token}`).toString("base64")}`)).toEqual({ code: 401, body: unauthorized });
    expect((await get(server, caPem, "/api", `Bearer ${token}`)).code).toBe(200);
  });

  it("the daemon listens on TCP on 127.0.0.1 only (its sockets, read from /proc)", () => {
    const pid = Number(readFileSync(`/run/kemu/${name}/pids/daemon`, "utf8").trim());
    const port = Number(new URL(readApiEndpoint(`/run/kemu/${name}`).server).port);
    // The daemon runs in the host's network namespace (kemu up starts it there); its listening TCP sockets by inode.
    const inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`);
          } catch {
            return "";
          }
        })
        .map((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1])
        .filter((i): i is string => i !== undefined),
    );
    const listening = ["tcp", "tcp6"].flatMap((file) =>
      readFileSync(`/proc/${pid}/net/${file}`, "utf8")
        .split("\n")
        .slice(1)
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[3] === "0A" && inodes.has(f[9]!))
        .map((f) => `${file} ${f[1]}`),
    );
    expect(listening).toEqual([`tcp 0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`]);
  });

  it("kemu down takes out its cluster, user and context, unsets current-context, and leaves the other context as it was", () => {
    const r = spawnSync(KEMU, ["down", "--name", name], { encoding: "utf8", timeout: 90_000, env });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(kubeconfig, "utf8")).toBe(OTHER.replace("current-context: other", 'current-context: ""'));
  }, 120_000);
});

function get(server: string, ca: string, path: string, authorization?: string): Promise<{ code: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${server}${path}`, { ca, headers: authorization ? { authorization } : {} }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on("error", reject);
  });
}
