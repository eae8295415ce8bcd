// What the kemu command loads before it does anything. Each CLI run is a new
// Node process, so every module on main.ts's static import graph is paid for
// on every `kemu get`: the benchmark (test/bench/kubectl.ts) found `kemu get
// pods -A` spending more than half its time loading the API server (through
// readApiEndpoint in api/https.ts), the kind schemas of kubernetes-models,
// execa and ws. Those are now loaded where they are used; this keeps them off
// the start-up path. Imports are read from each file as tsc emits it
// (transpileModule drops imports used only as types), so the graph is the
// one Node walks at run time.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { PACKAGE_ROOT } from "../../src/paths.js";

const SRC = join(PACKAGE_ROOT, "src");

/** The src files and the packages reached from entry through static imports (not `await import()`), as emitted. */
function staticImportGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    if (!file.endsWith(".ts")) return; // JSON data: no imports of its own
    const emitted = ts.transpileModule(readFileSync(file, "utf8"), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: file }).outputText;
    for (const m of emitted.matchAll(/^\s*(?:import|export)\s+(?:[^;'"]*?\sfrom\s*)?["']([^"']+)["']/gm)) {
      const spec = m[1]!;
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else if (!spec.startsWith("node:")) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
    }
  };
  visit(join(SRC, entry));
  return { files: [...files].map((f) => relative(SRC, f)).sort(), packages: [...packages].sort() };
}

describe("the kemu command's start-up", () => {
  const main = staticImportGraph("cli/main.ts");

  it("loads only commander, ipaddr.js and yaml from node_modules (execa, ws and kubernetes-models when a command needs them)", () => {
    expect(main.packages).toEqual(["commander", "ipaddr.js", "yaml"]);
  });

  it("does not load the API server, its schemas or the port-forward client", () => {
    const heavy = ["api/server.ts", "api/apiserver.ts", "api/typecheck.ts", "api/openapi.ts", "api/stream/portforward-client.ts"];
    expect(main.files.filter((f) => heavy.includes(f))).toEqual([]);
  });

  it("reads the HTTPS endpoint without loading the API server", () => {
    expect(staticImportGraph("api/https.ts").files.filter((f) => f === "api/server.ts")).toEqual([]);
  });
});
