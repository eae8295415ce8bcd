// The cron parser and next-time search (api/cron-schedule.ts), after
// robfig/cron/v3's parser_test.go and spec_test.go cases as the CronJob
// controller uses them (ParseStandard).
import { describe, it, expect } from "vitest";
import { nextTime, parseSchedule, CronParseError } from "../../src/api/cron-schedule.js";

const at = (iso: string) => Date.parse(iso);
const next = (spec: string, from: string, tz?: string) => {
  const t = nextTime(parseSchedule(spec), at(from), tz);
  return t === undefined ? undefined : new Date(t).toISOString();
};

describe("parseSchedule", () => {
  it("expands ranges, steps, lists and names", () => {
    const s = parseSchedule("5-10/2 */6 1,15 jan-mar mon,WED");
    expect([...s.minute]).toEqual([5, 7, 9]);
    expect([...s.hour]).toEqual([0, 6, 12, 18]);
    expect([...s.dom]).toEqual([1, 15]);
    expect([...s.month]).toEqual([1, 2, 3]);
    expect([...s.dow]).toEqual([1, 3]);
    expect([s.domStar, s.dowStar]).toEqual([false, false]);
  });

  it("treats `N/step` as N to the end, and `*` / `?` as the star that makes day fields AND", () => {
    expect([...parseSchedule("50/5 * * * *").minute]).toEqual([50, 55]);
    const s = parseSchedule("0 0 ? * 1");
    expect([s.domStar, s.dowStar]).toEqual([true, false]);
  });

  it("knows the descriptors", () => {
    expect(parseSchedule("@weekly")).toEqual(parseSchedule("0 0 * * 0"));
    expect(parseSchedule("@every 90s").everyMs).toBe(90_000);
  });

  it("refuses what robfig refuses, with its words", () => {
    const message = (spec: string) => {
      try {
        parseSchedule(spec);
        return "";
      } catch (err) {
        expect(err).toBeInstanceOf(CronParseError);
        return (err as Error).message;
      }
    };
    expect(message("")).toBe("empty spec string");
    expect(message("* * * * * *")).toBe("expected exactly 5 fields, found 6: [* * * * * *]");
    expect(message("0 24 * * *")).toBe("end of range (24) above maximum (23): 24");
    expect(message("0 0 0 * *")).toBe("beginning of range (0) below minimum (1): 0");
    expect(message("5-1 * * * *")).toBe("beginning of range (5) beyond end of range (1): 5-1");
    expect(message("1-2-3 * * * *")).toBe("too many hyphens: 1-2-3");
    expect(message("x * * * *")).toBe('failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    expect(message("*/0 * * * *")).toBe("step of range should be a positive number: */0");
  });
});

describe("nextTime", () => {
  it("finds the next minute, hour, day and month boundary", () => {
    expect(next("* * * * *", "2024-03-01T10:00:30Z")).toBe("2024-03-01T10:01:00.000Z");
    expect(next("*/15 * * * *", "2024-03-01T10:01:00Z")).toBe("2024-03-01T10:15:00.000Z");
    expect(next("@hourly", "2024-03-01T10:00:00Z")).toBe("2024-03-01T11:00:00.000Z");
    expect(next("0 0 1 1 *", "2024-03-01T10:00:00Z")).toBe("2025-01-01T00:00:00.000Z");
  });

  it("ORs day-of-month and day-of-week when both are restricted, ANDs when one is *", () => {
    // 2024-03-01 is a Friday.
    expect(next("0 0 13 * 1", "2024-03-01T00:00:00Z")).toBe("2024-03-04T00:00:00.000Z");
    expect(next("0 0 * * 1", "2024-03-01T00:00:00Z")).toBe("2024-03-04T00:00:00.000Z");
    expect(next("0 0 13 * *", "2024-03-01T00:00:00Z")).toBe("2024-03-13T00:00:00.000Z");
  });

  it("reads the schedule in a time zone's wall clock, across a DST change", () => {
    // 09:00 in New York is 14:00 UTC in winter and 13:00 UTC after 10 March 2024.
    expect(next("0 9 * * *", "2024-03-08T15:00:00Z", "America/New_York")).toBe("2024-03-09T14:00:00.000Z");
    expect(next("0 9 * * *", "2024-03-09T15:00:00Z", "America/New_York")).toBe("2024-03-10T13:00:00.000Z");
  });

  it("gives up on a date that never comes", () => {
    expect(next("0 0 30 2 *", "2024-01-01T00:00:00Z")).toBeUndefined();
  });
});
