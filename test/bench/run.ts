// `npm run bench`: benchmarks print figures with ratios against references
// measured in the same run. They are not tests and assert nothing.
import { benchStartup } from "./startup.js";

if (process.getuid?.() !== 0) {
  console.error("benchmarks need root (they create network namespaces)");
  process.exit(1);
}
await benchStartup();
