// kemu down's decisions: --all removes only what crashed clusters left unless
// --force; an unknown cluster is an error, not "removed".
import { describe, expect, it } from "vitest";
import { describeDownAll, planDown, planDownAll } from "../../src/cli/commands/down-plan.js";

describe("kemu down --name", () => {
  it("stops a running cluster, cleans a dead one's leftovers, refuses an unknown one", () => {
    expect(planDown(true, true)).toBe("stop");
    expect(planDown(false, true)).toBe("clean");
    expect(planDown(false, false)).toBe("unknown");
  });
});

describe("kemu down --all", () => {
  const host = [
    { name: "mine", running: true },
    { name: "crashed", running: false },
    { name: "ci-7", running: true },
    { name: "old", running: false },
  ];

  it("removes only clusters whose control plane is gone, and lists the running ones with how to stop them", () => {
    const plan = planDownAll(host, false);
    expect(plan).toEqual({ clean: ["crashed", "old"], stop: [], keep: ["ci-7", "mine"] });
    expect(describeDownAll(plan)).toBe(
      'Removed what cluster "crashed" left (its control plane was not running).\n' +
        'Removed what cluster "old" left (its control plane was not running).\n' +
        'Left running: "ci-7", "mine". Stop one with `kemu down --name ci-7` (and so on), or every running cluster with `kemu down --all --force`.\n',
    );
  });

  it("stops running clusters too with --force", () => {
    const plan = planDownAll(host, true);
    expect(plan).toEqual({ clean: ["crashed", "old"], stop: ["ci-7", "mine"], keep: [] });
    expect(describeDownAll(plan)).toMatch(/^Cluster "ci-7" stopped and removed\.\nCluster "mine" stopped and removed\.\n/);
  });

  it("says so when there is nothing, or only running clusters", () => {
    expect(describeDownAll(planDownAll([], false))).toBe("No kemu clusters on this host.\n");
    expect(describeDownAll(planDownAll([{ name: "mine", running: true }], false))).toBe(
      'Left running: "mine". Stop it with `kemu down --name mine`, or every running cluster with `kemu down --all --force`.\n',
    );
  });
});
