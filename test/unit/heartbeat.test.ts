// The agent's heartbeats (pure parts): the conditions a healthy kubelet
// posts, when a re-post is needed, Lease MicroTime, and the supervisor's
// restart back-off.
import { describe, it, expect } from "vitest";
import { conditionsDiffer, healthyConditions, microTime } from "../../src/agent/heartbeat.js";
import { nextAgentRestart } from "../../src/daemon/supervisor.js";

describe("node heartbeat", () => {
  it("posts the kubelet's four conditions, keeping transition times whose status did not change", () => {
    const out = healthyConditions([{ type: "Ready", status: "True", lastTransitionTime: "t0" }, { type: "DiskPressure", status: "Unknown", lastTransitionTime: "t1" }], "now");
    expect(out.map((c) => [c.type, c.status, c.reason, c.lastHeartbeatTime, c.lastTransitionTime])).toEqual([
      ["MemoryPressure", "False", "KubeletHasSufficientMemory", "now", "now"],
      ["DiskPressure", "False", "KubeletHasNoDiskPressure", "now", "now"],
      ["PIDPressure", "False", "KubeletHasSufficientPID", "now", "now"],
      ["Ready", "True", "KubeletReady", "now", "t0"],
    ]);
  });

  it("re-posts when the API's conditions differ (the node lifecycle controller set Unknown), not for timestamps alone", () => {
    const healthy = healthyConditions([], "a");
    expect(conditionsDiffer(healthy)).toBe(false);
    expect(conditionsDiffer(healthy.map((c) => ({ ...c, lastHeartbeatTime: "b" })))).toBe(false);
    expect(conditionsDiffer(healthy.map((c) => (c.type === "Ready" ? { ...c, status: "Unknown", reason: "NodeStatusUnknown" } : c)))).toBe(true);
    expect(conditionsDiffer([{ type: "Ready", status: "False", reason: "KubeletNotReady" }])).toBe(true);
  });

  it("writes Lease times with microseconds", () => {
    expect(microTime(Date.UTC(2026, 11, 7, 13, 45, 53, 123))).toBe("2026-12-07T13:45:53.123000Z");
  });
});

describe("agent supervisor", () => {
  it("restarts at once, then 1 s, 2 s, 4 s … up to 30 s while the agent keeps dying young; a stable run resets", () => {
    let restarts = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const next = nextAgentRestart({ restarts, uptimeMs: 1_000 });
      delays.push(next.delayMs);
      restarts = next.restarts;
    }
    expect(delays).toEqual([0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(nextAgentRestart({ restarts, uptimeMs: 60_000 })).toEqual({ delayMs: 0, restarts: 1 });
  });
});
