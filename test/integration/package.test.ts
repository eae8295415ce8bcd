// kemu as a test author installs it: `npm pack` of this repository installed
// into a fresh project (offline, from npm's cache, at the versions of this
// repository's lock file), the C helpers compiled on install, the types found
// through the package's exports, and `import { Cluster } from "kemu"` starting
// a 1-node cluster, exec'ing in a pod and stopping it.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { PACKAGE_ROOT } from "../../src/paths.js";

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * A project that depends on the tarball, with a lock file holding this
 * repository's resolved versions of kemu's dependencies, so that `npm ci
 * --offline` takes them from npm's cache (filled by this repository's own `npm ci`).
 */
function writeProject(dir: string, tarball: string): void {
  const repoLock = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    "": { name: "kemu-user", dependencies: { kemu: spec } },
    "node_modules/kemu": {
      version: pkg.version,
      resolved: spec,
      integrity: `sha512-${createHash("sha512").update(readFileSync(join(dir, tarball))).digest("base64")}`,
      license: pkg.license,
      hasInstallScript: true,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(repoLock.packages)) if (path && !entry.dev) packages[path] = entry;
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "kemu-user", private: true, type: "module", dependencies: { kemu: spec } }, null, 2));
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ name: "kemu-user", lockfileVersion: 3, requires: true, packages }, null, 2));
}

const SMOKE = `import { Cluster } from "kemu";
const cluster = await Cluster.start({
  ingress: false,
  name: process.argv[2],
  nodes: 1,
  manifests: [{ apiVersion: "v1", kind: "Pod", metadata: { name: "hello" }, spec: { containers: [{ name: "c", image: "busybox", command: ["sleep", "3600"] }] } }],
});
try {
  const r = await cluster.exec("hello", ["echo", "ok"]);
  process.stdout.write(JSON.stringify(r));
} finally {
  await cluster.stop();
}
`;

// Type-checked against the installed package's declarations, as a TypeScript user's test would be.
const TYPED = `import { Cluster, KemuError, type StartOptions } from "kemu";
const options: StartOptions = { name: "x", nodes: 1, files: ["k8s/"] };
const start: (o?: StartOptions) => Promise<Cluster> = Cluster.start;
export const used = [options, start, KemuError];
`;

describe.skipIf(!rootOnly())("kemu as an installed package", () => {
  const dir = mkdtempSync(join(tmpdir(), "kemu-user-"));
  const name = uniqueClusterName("pkg");

  beforeAll(() => {
    // The suite runs after `npm run build`: pack that build (prepack would only run tsc again).
    const packed = ok(run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], PACKAGE_ROOT), "npm pack").trim().split("\n").pop()!;
    writeProject(dir, packed);
    const offline = run("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], dir);
    // Not all in npm's cache (it was cleaned): the registry then, at the same locked versions.
    if (offline.status !== 0) ok(run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], dir), "npm ci");
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(leftovers(name)).toEqual(NONE);
  });

  it("ships the build and compiles the C helpers on install", () => {
    const installed = join(dir, "node_modules", "kemu");
    for (const f of ["dist/index.js", "dist/index.d.ts", "dist/cli/main.js", "build/native/kemu-sandbox", "build/native/agnhost"]) expect(existsSync(join(installed, f)), f).toBe(true);
    expect(readdirSync(installed).sort()).toEqual(["README.md", "bin", "build", "dist", "netns", "package.json", "scripts", "src"]);
    expect(ok(run(join(dir, "node_modules", ".bin", "kemu"), ["--version"], dir), "kemu --version").trim()).toBe(JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).version);
  });

  it("resolves the types of `import { Cluster } from \"kemu\"` through the package's exports", () => {
    writeFileSync(join(dir, "typed.ts"), TYPED);
    const tsc = join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc");
    const args = ["--noEmit", "--strict", "--skipLibCheck", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node", "--typeRoots", join(PACKAGE_ROOT, "node_modules", "@types"), "typed.ts"];
    ok(run(process.execPath, [tsc, ...args], dir), "tsc on typed.ts");
  });

  it("starts a cluster, execs in a pod and stops it", () => {
    writeFileSync(join(dir, "smoke.mjs"), SMOKE);
    const out = ok(run(process.execPath, ["smoke.mjs", name], dir), "the smoke script");
    expect(JSON.parse(out)).toEqual({ exitCode: 0, stdout: "ok\n", stderr: "" });
  });

  it("without a C compiler: the install still finishes and Cluster.start says what to do", () => {
    const installed = join(dir, "node_modules", "kemu");
    rmSync(join(installed, "build"), { recursive: true, force: true });
    const build = run(process.execPath, [join(installed, "scripts", "build-native.mjs"), "--install"], installed, { CC: "/nonexistent/cc" });
    expect(build.status).toBe(0);
    expect(build.stderr).toMatch(/^kemu: no C compiler \(\/nonexistent\/cc\) found: .*apt-get install -y gcc/m);
    writeFileSync(join(dir, "nohelpers.mjs"), `import { Cluster } from "kemu";\nawait Cluster.start({ ingress: false, name: "${name}" }).catch((e) => process.stdout.write(e.message));\n`);
    expect(ok(run(process.execPath, ["nohelpers.mjs"], dir), "nohelpers.mjs")).toMatch(/^kemu's C helpers are not built \(.*build\/native\/kemu-sandbox is missing\).*npm rebuild kemu/);
  });
});
