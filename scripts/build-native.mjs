// Compiles kemu's two small C programs: the pod sandbox launcher and the
// agnhost-compatible workload. Both are tiny so a pod costs ~1 MB, not a Node.js process.
import { execFileSync } from "node:child_process";
import { mkdirSync, statSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build", "native");
mkdirSync(out, { recursive: true });

const programs = [
  { name: "kemu-sandbox", source: "netns/kemu-sandbox.c" },
  { name: "agnhost", source: "src/workloads/agnhost/agnhost.c" },
];

for (const { name, source } of programs) {
  const src = join(root, source);
  const bin = join(out, name);
  if (!existsSync(src)) {
    console.error(`build-native: missing ${source}`);
    process.exit(1);
  }
  if (existsSync(bin) && statSync(bin).mtimeMs > statSync(src).mtimeMs) continue;
  execFileSync("cc", ["-O2", "-Wall", "-Wextra", "-std=gnu11", "-o", bin, src], { stdio: "inherit" });
}
