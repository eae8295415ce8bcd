// The last check of the suite: every cluster this test run created cleaned up
// after itself. Only this run's clusters (recorded by uniqueClusterName) are
// looked at: a cluster someone else runs on the same host is none of our business.
import { describe, it, expect } from "vitest";
import { rootOnly, leftovers, recordedClusterNames } from "../support/host.js";

const names = recordedClusterNames();

describe.skipIf(!rootOnly())("the host after the whole suite", () => {
  it("has no namespaces, /etc/netns entries, processes or state directories of this run's clusters", () => {
    expect(names, "no run directory: run the suite through scripts/run-tests.mjs (npm test)").toBeDefined();
    const left = Object.fromEntries(
      names!.map((name) => [name, leftovers(name)] as const).filter(([, l]) => l.netns.length + l.etcNetns.length + l.processes.length + l.stateDir.length > 0),
    );
    expect(left).toEqual({});
  });
});
