// What a restarted agent reads back to adopt its pods: sandbox and container
// records, exit files, and a launcher watched by PID and start time.
import { describe, it, expect, afterEach } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adoptedProcess, parseExitFile } from "../../src/agent/kubelet/process.js";
import { processStartTime } from "../../src/linux/processes.js";
import { exitFilePath, parseContainerRecord, parseSandboxRecord, readRecoveredPods, writeContainerRecord, writeSandboxRecord } from "../../src/agent/kubelet/records.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "kemu-records-"));
  dirs.push(d);
  return d;
};

describe("kubelet records", () => {
  it("reads back the sandboxes of this node only, with their container records", () => {
    const pods = tempDir();
    const mine = join(pods, "uid-a");
    const other = join(pods, "uid-b");
    mkdirSync(mine);
    mkdirSync(other);
    writeSandboxRecord(mine, { namespace: "default", name: "web", uid: "uid-a", node: "node-1", netns: "kemu-c-pod-aaaaaaaaaaaa", ip: "10.244.1.5" });
    writeSandboxRecord(other, { namespace: "default", name: "db", uid: "uid-b", node: "node-2", netns: "kemu-c-pod-bbbbbbbbbbbb", ip: "10.244.2.5" });
    writeContainerRecord(mine, { name: "c", attempt: 2, restartCount: 2, launcherPid: 123, launcherStartTime: 456, hostPid: 124, startedAtMs: 1_000 });
    mkdirSync(join(pods, "garbage"));
    writeFileSync(join(pods, "garbage", "pod.json"), "{not json");
    const recovered = readRecoveredPods(pods, "node-1");
    expect([...recovered.keys()]).toEqual(["uid-a"]);
    expect(recovered.get("uid-a")!.sandbox.ip).toBe("10.244.1.5");
    expect(recovered.get("uid-a")!.containers.get("c")).toEqual({ name: "c", attempt: 2, restartCount: 2, launcherPid: 123, launcherStartTime: 456, hostPid: 124, startedAtMs: 1_000 });
    expect(readRecoveredPods(join(pods, "missing"), "node-1").size).toBe(0);
  });

  it("refuses records that are not whole", () => {
    expect(parseSandboxRecord('{"namespace":"default","name":"x"}')).toBeUndefined();
    expect(parseContainerRecord('{"name":"c","attempt":-1,"restartCount":0,"launcherPid":1,"launcherStartTime":1,"startedAtMs":1}')).toBeUndefined();
    expect(parseContainerRecord("")).toBeUndefined();
  });

  it("parses kemu-sandbox's exit files", () => {
    expect(parseExitFile("exit 3\n")).toEqual({ code: 3, signal: null });
    expect(parseExitFile("signal 9\n")).toEqual({ code: null, signal: "SIGKILL" });
    expect(parseExitFile("signal 15")).toEqual({ code: null, signal: "SIGTERM" });
    expect(parseExitFile("exit\n")).toBeUndefined();
    expect(exitFilePath("/p", "c", 3)).toBe("/p/containers/c.3.exit");
  });
});

describe("an adopted launcher", () => {
  it("is watched by PID and start time, signalled, and ends with the status from its exit file", async () => {
    const dir = tempDir();
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    const pid = child.pid!;
    const start = processStartTime(pid)!;
    expect(start).toBeGreaterThan(0);
    const exitFile = join(dir, "c.0.exit");
    const adopted = adoptedProcess(pid, start, exitFile, 20);
    let done = false;
    void adopted.exited.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    writeFileSync(exitFile, "exit 7\n");
    adopted.kill("SIGTERM");
    expect(await adopted.exited).toEqual({ code: 7, signal: null });
  });

  it("counts as killed when it left no exit file, and a recycled PID is not mistaken for it", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    const start = processStartTime(child.pid!)!;
    const wrongStart = adoptedProcess(child.pid!, start + 1, "/nonexistent/exit", 20);
    expect(await wrongStart.exited).toEqual({ code: null, signal: "SIGKILL" });
    wrongStart.kill("SIGKILL"); // a different process by that PID: left alone
    expect(processStartTime(child.pid!)).toBe(start);
    child.kill("SIGKILL");
  });
});
