// Compiles kemu's small C programs: the pod sandbox launcher, the
// agnhost-compatible workload (both tiny, so a pod costs ~1 MB, not a Node.js
// process), the reachability probe behind `kemu probe`, and the reader of
// logged policy drops behind `kemu flows`.
//
//   node scripts/build-native.mjs            (npm run build: a missing compiler is an error)
//   node scripts/build-native.mjs --install  (npm's install hook: says what is missing and lets
//                                              the install finish; kemu up and kemu doctor say it again)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, statSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build", "native");
const installing = process.argv.includes("--install");
const cc = process.env.CC || "cc";

const programs = [
  { name: "kemu-sandbox", source: "netns/kemu-sandbox.c" },
  { name: "agnhost", source: "src/workloads/agnhost/agnhost.c" },
  { name: "kemu-probe", source: "netns/kemu-probe.c" },
  { name: "kemu-portforward", source: "netns/kemu-portforward.c" },
  { name: "kemu-nflog", source: "netns/kemu-nflog.c" },
];

function giveUp(message) {
  console.error(`kemu: ${message}`);
  if (installing) {
    console.error("kemu: installed without its C helpers: Cluster.start and `kemu up` will say so until they are built (npm rebuild kemu).");
    process.exit(0);
  }
  process.exit(1);
}

if (spawnSync(cc, ["--version"], { stdio: "ignore" }).error) {
  giveUp(`no C compiler (${cc}) found: kemu builds three small C helpers. Install one (apt-get install -y gcc libc6-dev), then run this again.`);
}
mkdirSync(out, { recursive: true });
for (const { name, source } of programs) {
  const src = join(root, source);
  const bin = join(out, name);
  if (!existsSync(src)) giveUp(`missing ${source}`);
  if (existsSync(bin) && statSync(bin).mtimeMs > statSync(src).mtimeMs) continue;
  try {
    execFileSync(cc, ["-O2", "-Wall", "-Wextra", "-std=gnu11", "-o", bin, src], { stdio: "inherit" });
  } catch {
    giveUp(`compiling ${source} with ${cc} failed (are the C library headers there? apt-get install -y libc6-dev)`);
  }
}
