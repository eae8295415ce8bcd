// Which container failures make `kemu up` fail at once (they will not fix
// themselves) and which it keeps waiting through.
import { describe, expect, it } from "vitest";
import type { ContainerStatus, Pod } from "../../src/api/types.js";
import { containerCannotStart, describeContainerProblem, podStatusReason } from "../../src/api/podstatus.js";

function pod(statuses: ContainerStatus[], extra: Partial<Pod["spec"]> = {}, namespace = "default"): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace },
    spec: { containers: statuses.map((s) => ({ name: s.name, image: "busybox" })), ...extra },
    status: { phase: "Pending", containerStatuses: statuses },
  };
}

const status = (name: string, state: ContainerStatus["state"], lastState: ContainerStatus["lastState"] = {}): ContainerStatus => ({
  name,
  image: "busybox",
  imageID: "",
  ready: false,
  restartCount: 0,
  state,
  lastState,
});

describe("containerCannotStart", () => {
  it.each(["CreateContainerConfigError", "CreateContainerError", "InvalidImageName"])("reports waiting reason %s with the pod's message", (reason) => {
    const p = pod([status("app", { waiting: { reason, message: "no command" } })]);
    expect(containerCannotStart(p)).toEqual({ container: "app", reason, message: "no command" });
    expect(describeContainerProblem(p, containerCannotStart(p)!)).toBe(`pod/web: ${reason}: no command`);
  });

  it("reports a program that could not be executed (StartError, exit 126/127), now or in the last run", () => {
    const now = pod([status("app", { terminated: { exitCode: 127, reason: "StartError", message: "kemu-sandbox: exec nosuch: No such file or directory" } })]);
    expect(containerCannotStart(now)?.message).toBe("kemu-sandbox: exec nosuch: No such file or directory");
    const restarted = pod([status("app", { waiting: { reason: "CrashLoopBackOff" } }, { terminated: { exitCode: 126, reason: "StartError" } })]);
    expect(containerCannotStart(restarted)).toEqual({ container: "app", reason: "StartError", message: "exit code 126" });
  });

  it("keeps waiting through states that can pass", () => {
    expect(containerCannotStart(pod([status("app", { waiting: { reason: "ContainerCreating" } })]))).toBeUndefined();
    expect(containerCannotStart(pod([status("app", { waiting: { reason: "CrashLoopBackOff" } }, { terminated: { exitCode: 1, reason: "Error" } })]))).toBeUndefined();
    // 125 is a set-up failure of the launcher, not a missing program.
    expect(containerCannotStart(pod([status("app", { terminated: { exitCode: 125, reason: "StartError" } })]))).toBeUndefined();
    expect(containerCannotStart(pod([status("app", { running: { startedAt: "2024-01-01T00:00:00Z" } })]))).toBeUndefined();
    expect(containerCannotStart({ ...pod([]), status: undefined })).toBeUndefined();
  });

  it("looks at init containers too and names the container and namespace when not obvious", () => {
    const p = pod([status("app", { waiting: { reason: "PodInitializing" } })], { initContainers: [{ name: "init", image: "busybox" }] }, "shop");
    p.status!.initContainerStatuses = [status("init", { waiting: { reason: "CreateContainerConfigError", message: "bad" } })];
    expect(describeContainerProblem(p, containerCannotStart(p)!)).toBe("pod/web -n shop (container init): CreateContainerConfigError: bad");
    expect(podStatusReason(p)).toBe("Init:CreateContainerConfigError");
  });
});
