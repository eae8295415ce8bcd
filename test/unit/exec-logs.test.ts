// pods/log options as the kubelet and kube-apiserver read them
// (ValidatePodLogOptions; kuberuntime/logs ReadLogs: tail, then since;
// timestamps in time.RFC3339Nano), and the LogClock that gives lines times.
import { describe, it, expect, afterAll } from "vitest";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiError } from "../../src/api/errors.js";
import { LogClock, attemptsOf, formatLine, parseLogOptions, rfc3339Nano, selectLines, splitLines } from "../../src/daemon/logs.js";

const NOW = Date.parse("2024-05-06T07:08:09.500Z");
const q = (s: string) => new URLSearchParams(s);

describe("parseLogOptions", () => {
  it("reads kubectl logs' query", () => {
    expect(parseLogOptions(q("container=main&follow=true&previous=true&timestamps=true&tailLines=2&limitBytes=10&sinceSeconds=5"), "web", NOW)).toEqual({
      container: "main", follow: true, previous: true, timestamps: true, tailLines: 2, limitBytes: 10, sinceMs: NOW - 5000,
    });
    expect(parseLogOptions(q("sinceTime=2024-05-06T07:00:00Z"), "web", NOW)).toEqual({
      container: null, follow: false, previous: false, timestamps: false, sinceMs: Date.parse("2024-05-06T07:00:00Z"),
    });
  });

  it("refuses what ValidatePodLogOptions refuses, as a PodLogOptions Invalid", () => {
    let err: unknown;
    try {
      parseLogOptions(q("tailLines=-1&limitBytes=0&sinceSeconds=0"), "web", NOW);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
    expect((err as ApiError).message).toBe(
      'PodLogOptions "web" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0, sinceSeconds: Invalid value: 0: must be greater than 0]',
    );
    expect(() => parseLogOptions(q("sinceSeconds=5&sinceTime=2024-05-06T07:00:00Z"), "web", NOW)).toThrow(
      'PodLogOptions "web" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    );
  });

  it("names the parameter that is no number or no time", () => {
    expect(() => parseLogOptions(q("tailLines=ten"), "web", NOW)).toThrow('tailLines: expected an integer, got "ten"');
    expect(() => parseLogOptions(q("sinceTime=yesterday"), "web", NOW)).toThrow('sinceTime: expected an RFC 3339 time such as 2024-01-02T15:04:05Z, got "yesterday"');
  });
});

describe("rfc3339Nano", () => {
  it("is Go's RFC3339Nano: trailing zeros of the fraction dropped", () => {
    expect(rfc3339Nano(Date.parse("2024-05-06T07:08:09.120Z"))).toBe("2024-05-06T07:08:09.12Z");
    expect(rfc3339Nano(Date.parse("2024-05-06T07:08:09.000Z"))).toBe("2024-05-06T07:08:09Z");
    expect(rfc3339Nano(Date.parse("2024-05-06T07:08:09.007Z"))).toBe("2024-05-06T07:08:09.007Z");
  });
});

describe("lines", () => {
  const lines = splitLines(Buffer.from("a\nbb\n\nccc"), 10);
  it("keep their newline and know where they end", () => {
    expect(lines.map((l) => [l.text.toString(), l.end])).toEqual([["a\n", 12], ["bb\n", 15], ["\n", 16], ["ccc", 19]]);
  });
  it("tail first, then since (kuberuntime ReadLogs)", () => {
    const times: Record<number, number> = { 12: 1000, 15: 2000, 16: 3000, 19: 4000 };
    const pick = (o: { tailLines?: number; sinceMs?: number }) => selectLines(lines, o, (end) => times[end]!).map((l) => l.line.text.toString());
    expect(pick({})).toEqual(["a\n", "bb\n", "\n", "ccc"]);
    expect(pick({ tailLines: 2 })).toEqual(["\n", "ccc"]);
    expect(pick({ tailLines: 0 })).toEqual([]);
    expect(pick({ tailLines: 10 })).toEqual(["a\n", "bb\n", "\n", "ccc"]);
    expect(pick({ sinceMs: 2500 })).toEqual(["\n", "ccc"]);
    expect(pick({ tailLines: 3, sinceMs: 1500 })).toEqual(["bb\n", "\n", "ccc"]);
  });
  it("with timestamps, the time and a space go first", () => {
    expect(formatLine(Buffer.from("hi\n"), Date.parse("2024-05-06T07:08:09.5Z"), true).toString()).toBe("2024-05-06T07:08:09.5Z hi\n");
    expect(formatLine(Buffer.from("hi\n"), 0, false).toString()).toBe("hi\n");
  });
});

describe("LogClock", () => {
  const dir = mkdtempSync(join(tmpdir(), "kemu-logclock-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("stamps each growth of the current log files; bytes before the first look get the file's mtime", () => {
    const logs = join(dir, "uid-1", "logs", "main");
    mkdirSync(logs, { recursive: true });
    const file = join(logs, "1.log");
    writeFileSync(join(logs, "0.log"), "old\n");
    writeFileSync(file, "one\n");
    utimesSync(file, new Date(5_000), new Date(5_000));
    expect(attemptsOf(dir, "uid-1", "main")).toEqual([0, 1]);
    const clock = new LogClock(dir);
    clock.scan(10_000);
    appendFileSync(file, "two\n");
    clock.scan(11_000);
    clock.scan(12_000);
    appendFileSync(file, "three\n");
    clock.scan(13_000);
    expect([4, 8, 14].map((end) => clock.timeOf(file, end, 99_000))).toEqual([5_000, 11_000, 13_000]);
    // Written since the last look: now.
    expect(clock.timeOf(file, 20, 99_000)).toBe(99_000);
    // A file never looked at: now.
    expect(clock.timeOf(join(logs, "0.log"), 4, 99_000)).toBe(99_000);
  });
});
