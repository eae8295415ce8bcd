// `npm run bench [-- startup|sync|datapath|ingress|kubectl|trace …]`: benchmarks print figures with
// ratios against references measured in the same run. They are not tests and
// assert nothing. With no argument, all of them run in sequence.
import { benchStartup } from "./startup.js";
import { benchProxySync } from "./proxy-sync.js";
import { benchDatapath } from "./datapath.js";
import { benchRollout } from "./rollout.js";
import { benchDns } from "./dns.js";
import { benchControlPlane } from "./controlplane.js";
import { benchHealing } from "./healing.js";
import { benchNetpol } from "./netpol.js";
import { benchIngress } from "./ingress.js";
import { benchKubectl } from "./kubectl.js";
import { benchFlows } from "./flows.js";
import { benchDashboard } from "./dashboard.js";
import { benchTrace } from "./trace.js";

const BENCHES: Record<string, () => Promise<void>> = {
  startup: benchStartup,
  sync: benchProxySync,
  datapath: benchDatapath,
  rollout: benchRollout,
  dns: benchDns,
  controlplane: benchControlPlane,
  healing: benchHealing,
  netpol: benchNetpol,
  ingress: benchIngress,
  kubectl: benchKubectl,
  dashboard: benchDashboard,
  trace: benchTrace,
  flows: benchFlows,
};

const chosen = process.argv.slice(2);
const unknown = chosen.filter((b) => !(b in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")} (choose from: ${Object.keys(BENCHES).join(", ")})`);
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error("benchmarks need root (they create network namespaces)");
  process.exit(1);
}
// One benchmark failing does not keep the others from running.
const failed: string[] = [];
for (const name of chosen.length ? chosen : Object.keys(BENCHES)) {
  try {
    await BENCHES[name]!();
  } catch (err) {
    console.error(`\nbenchmark ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    failed.push(name);
  }
}
if (failed.length) {
  console.error(`\nfailed: ${failed.join(", ")}`);
  process.exitCode = 1;
}
