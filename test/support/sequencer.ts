// The order test files start in. With no cache (a fresh CI clone) vitest
// starts the largest files first, and the corpus of bad inputs — a small
// file that runs for minutes — started near the end and ran alone while the
// other worker sat idle. Longest first keeps both workers busy to the end
// (longest-processing-time scheduling). The list holds files measured at
// over 30 s in CI, longest first; every other file keeps vitest's order.
import { BaseSequencer, type TestSpecification } from "vitest/node";

const LONGEST_FIRST = [
  "test/integration/bad-input.test.ts",
  "test/integration/netpol-spread.test.ts",
  "test/integration/netpol-single-node.test.ts",
  "test/integration/services.test.ts",
  "test/integration/healing.test.ts",
  "test/integration/services-edges.test.ts",
  "test/integration/netpol-enforcement.test.ts",
  "test/integration/kubectl-day.test.ts",
  "test/integration/isolation.test.ts",
];

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: files off the list keep the base order.
    return base.sort((a, b) => rank(a) - rank(b));
  }
}
