// CronJob schedules: the standard 5-field cron format as kube-controller-manager
// parses it (robfig/cron/v3 ParseStandard: minute hour day-of-month month
// day-of-week, names JAN–DEC and SUN–SAT, `*`, `?`, ranges, steps, lists, and
// the descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly
// and @every <duration>), and the next matching time in a time zone. Pure.
// Error texts are robfig's, as the API server returns them in validation.

export interface CronSchedule {
  /** bit sets of allowed values per field */
  minute: Set<number>;
  hour: Set<number>;
  dom: Set<number>;
  month: Set<number>;
  dow: Set<number>;
  /** `*` or `?` given for day-of-month / day-of-week: then both must match (robfig's star bit) */
  domStar: boolean;
  dowStar: boolean;
  /** @every: a fixed interval instead of fields */
  everyMs?: number;
  /** a TZ= or CRON_TZ= prefix (refused by CronJob validation, but parsed) */
  timeZone?: string;
}

export class CronParseError extends Error {}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

function parseInt10(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new CronParseError(`failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  return Number(text);
}

function parseValue(text: string, bounds: Bounds): number {
  const named = bounds.names?.[text.toLowerCase()];
  return named ?? parseInt10(text);
}

/** One comma-separated part of a field: `*`, `?`, `a`, `a-b`, with an optional `/step`. */
function parseRange(expr: string, bounds: Bounds, into: Set<number>): boolean {
  const slash = expr.split("/");
  const dash = slash[0]!.split("-");
  let star = false;
  let start: number;
  let end: number;
  if (dash[0] === "*" || dash[0] === "?") {
    start = bounds.min;
    end = bounds.max;
    star = true;
  } else {
    start = parseValue(dash[0]!, bounds);
    if (dash.length === 1) end = start;
    else if (dash.length === 2) end = parseValue(dash[1]!, bounds);
    else throw new CronParseError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (slash.length === 2) {
    step = parseInt10(slash[1]!);
    // `N/step` means from N to the end of the field.
    if (dash.length === 1 && !star) end = bounds.max;
    if (step > 1) star = false;
  } else if (slash.length > 2) {
    throw new CronParseError(`too many slashes: ${expr}`);
  }
  if (start < bounds.min) throw new CronParseError(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  if (end > bounds.max) throw new CronParseError(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) into.add(v);
  return star;
}

function parseField(text: string, bounds: Bounds): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(",")) star = parseRange(part, bounds, values) || star;
  return { values, star };
}

/** Go's time.ParseDuration for the units a schedule may use (ns … h), in milliseconds. */
export function parseGoDuration(text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/gy;
  if (text === "0") return 0;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched !== text.length || text === "") throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
  return total;
}

/** Parses a schedule as robfig's ParseStandard does; throws CronParseError with robfig's message. */
export function parseSchedule(spec: string): CronSchedule {
  let text = spec.trim();
  if (text === "") throw new CronParseError("empty spec string");
  let timeZone: string | undefined;
  const tz = /^(CRON_TZ|TZ)=(\S*)\s*/.exec(text);
  if (tz) {
    timeZone = tz[2]!;
    if (!isTimeZone(timeZone)) throw new CronParseError(`provided bad location ${timeZone}: unknown time zone ${timeZone}`);
    text = text.slice(tz[0].length);
  }
  if (text.startsWith("@")) {
    if (text.startsWith("@every ")) {
      let ms: number;
      try {
        ms = parseGoDuration(text.slice("@every ".length).trim());
      } catch (err) {
        throw new CronParseError(`failed to parse duration ${text}: ${(err as Error).message}`);
      }
      // robfig rounds intervals below a second up to one second.
      return { ...allFields(), everyMs: Math.max(1000, Math.floor(ms / 1000) * 1000), ...(timeZone ? { timeZone } : {}) };
    }
    const expanded = DESCRIPTORS[text];
    if (!expanded) throw new CronParseError(`unrecognized descriptor: ${text}`);
    text = expanded;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`);
  const [minute, hour, dom, month, dow] = fields.map((f, i) => parseField(f, FIELDS[i]!));
  return {
    minute: minute!.values,
    hour: hour!.values,
    dom: dom!.values,
    month: month!.values,
    dow: dow!.values,
    domStar: dom!.star,
    dowStar: dow!.star,
    ...(timeZone ? { timeZone } : {}),
  };
}

function allFields(): Omit<CronSchedule, "everyMs"> {
  const range = (a: number, b: number) => new Set(Array.from({ length: b - a + 1 }, (_, i) => a + i));
  return { minute: range(0, 59), hour: range(0, 23), dom: range(1, 31), month: range(1, 12), dow: range(0, 6), domStar: true, dowStar: true };
}

/** Whether the IANA zone exists (Go's time.LoadLocation; "" is UTC there). */
export function isTimeZone(name: string): boolean {
  if (name === "") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  dow: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall clock in a zone at an instant (UTC for "" or undefined). */
export function wallClock(ms: number, timeZone?: string): WallClock {
  const zone = timeZone || "UTC";
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", weekday: "short" });
    formatters.set(zone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(ms)) parts[p.type] = p.value;
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), dow: WEEKDAYS[parts.weekday!]! };
}

function dayMatches(s: CronSchedule, w: WallClock): boolean {
  const dom = s.dom.has(w.day);
  const dow = s.dow.has(w.dow);
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

const MINUTE = 60_000;
/** robfig gives up after five years without a match (e.g. 30 February). */
const SEARCH_LIMIT_MS = 5 * 366 * 24 * 3_600_000;

/**
 * The first time strictly after `afterMs` the schedule fires, in the zone's
 * wall clock; undefined when it never does (a date that does not exist).
 * Steps forward by the largest unit that cannot skip a match: a day that does
 * not match is left 23 real hours at most before its midnight (no day is
 * shorter), then by the hour.
 */
export function nextTime(s: CronSchedule, afterMs: number, timeZone?: string): number | undefined {
  if (s.everyMs !== undefined) return Math.floor(afterMs / 1000) * 1000 + s.everyMs;
  const zone = s.timeZone ?? timeZone;
  let t = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  const limit = afterMs + SEARCH_LIMIT_MS;
  while (t <= limit) {
    const w = wallClock(t, zone);
    const minuteOfDay = w.hour * 60 + w.minute;
    if (!s.month.has(w.month) || !dayMatches(s, w)) {
      // Towards 23:00 in one step, then hour by hour to midnight.
      t += (minuteOfDay < 1380 ? 1380 - minuteOfDay : 60 - w.minute) * MINUTE;
      continue;
    }
    if (!s.hour.has(w.hour)) {
      t += (60 - w.minute) * MINUTE;
      continue;
    }
    if (!s.minute.has(w.minute)) {
      t += MINUTE;
      continue;
    }
    return t;
  }
  return undefined;
}
