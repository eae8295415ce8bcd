// Serves GET .../pods/{name}/log from the files the kubelet writes: one file
// per container start, so --previous is the one before the latest. The
// options are PodLogOptions as the kubelet reads logs (pkg/kubelet/
// kuberuntime/logs ReadLogs): tailLines picks the start, then sinceSeconds/
// sinceTime drop older lines, timestamps prefixes each line with its time in
// RFC 3339 with nanoseconds, limitBytes cuts the output (mid-line too).
//
// Containers write their log files directly, without per-line times (the CRI
// log format carries one per line), so a LogClock here notes when each file
// grew: a line's time is when kemu first saw it, within a second.
import type http from "node:http";
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ApiServer } from "../api/apiserver.js";
import { ApiError, fieldErrors, type FieldError } from "../api/errors.js";
import { resourceByKind } from "../api/resources.js";
import type { Pod, Stored } from "../api/types.js";
import { pickContainer } from "../api/stream/pick-container.js";

const PODS = resourceByKind("Pod")!;
const FOLLOW_POLL_MS = 100;

export function attemptsOf(podsDir: string, uid: string, container: string): number[] {
  const dir = join(podsDir, uid, "logs", container);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d+\.log$/.test(f))
    .map((f) => Number(f.slice(0, -4)))
    .sort((a, b) => a - b);
}

/** The log file of the container's latest run, if it started. */
export function currentLogFile(podsDir: string, pod: Stored<Pod>, container: string): string | undefined {
  const latest = attemptsOf(podsDir, pod.metadata.uid, container).at(-1);
  return latest === undefined ? undefined : join(podsDir, pod.metadata.uid, "logs", container, `${latest}.log`);
}

export interface LogOptions {
  container: string | null;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Lines before this time (ms since the epoch) are left out. */
  sinceMs?: number;
}

/** PodLogOptions from the query, checked as upstream's ValidatePodLogOptions; `now` resolves sinceSeconds. */
export function parseLogOptions(q: URLSearchParams, podName: string, now: number): LogOptions {
  const flag = (name: string) => q.get(name) === "true" || q.get(name) === "1";
  const integer = (name: string): number | undefined => {
    const raw = q.get(name);
    if (raw === null) return undefined;
    if (!/^-?\d+$/.test(raw.trim())) throw new ApiError("BadRequest", `${name}: expected an integer, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const tailLines = integer("tailLines");
  const limitBytes = integer("limitBytes");
  const sinceSeconds = integer("sinceSeconds");
  const sinceTimeRaw = q.get("sinceTime");
  let sinceTime: number | undefined;
  if (sinceTimeRaw !== null) {
    sinceTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTimeRaw) ? Date.parse(sinceTimeRaw) : NaN;
    if (Number.isNaN(sinceTime)) throw new ApiError("BadRequest", `sinceTime: expected an RFC 3339 time such as 2024-01-02T15:04:05Z, got ${JSON.stringify(sinceTimeRaw)}`);
  }
  const errors: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) errors.push(fieldErrors.invalid("tailLines", tailLines, "must be greater than or equal to 0"));
  if (limitBytes !== undefined && limitBytes < 1) errors.push(fieldErrors.invalid("limitBytes", limitBytes, "must be greater than 0"));
  if (sinceSeconds !== undefined && sinceTime !== undefined) errors.push(fieldErrors.forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"));
  else if (sinceSeconds !== undefined && sinceSeconds < 1) errors.push(fieldErrors.invalid("sinceSeconds", sinceSeconds, "must be greater than 0"));
  if (errors.length > 0) throw ApiError.invalid("PodLogOptions", "", podName, errors);
  return {
    container: q.get("container"),
    follow: flag("follow"),
    previous: flag("previous"),
    timestamps: flag("timestamps"),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(sinceSeconds !== undefined ? { sinceMs: now - sinceSeconds * 1000 } : sinceTime !== undefined ? { sinceMs: sinceTime } : {}),
  };
}

/** Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped, no fraction when it is zero. */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-01-02T15:04:05.120Z
  return iso.replace(/\.(\d+)Z$/, (_, frac: string) => {
    const trimmed = frac.replace(/0+$/, "");
    return trimmed ? `.${trimmed}Z` : "Z";
  });
}

/** One line of a log with the offset just past it (its newline, if any). */
export interface LogLine {
  text: Buffer;
  end: number;
}

/** Splits `buf` (read from file offset `base`) into lines, each keeping its newline; the last may lack one. */
export function splitLines(buf: Buffer, base: number): LogLine[] {
  const lines: LogLine[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) break;
    lines.push({ text: buf.subarray(start, nl + 1), end: base + nl + 1 });
    start = nl + 1;
  }
  if (start < buf.length) lines.push({ text: buf.subarray(start), end: base + buf.length });
  return lines;
}

/** The lines to print: the last tailLines, then those not older than since; each with its time (ms) when known. */
export function selectLines(lines: LogLine[], options: Pick<LogOptions, "tailLines" | "sinceMs">, timeOf: (end: number) => number): { line: LogLine; time: number }[] {
  const tailed = options.tailLines === undefined ? lines : options.tailLines === 0 ? [] : lines.slice(-options.tailLines);
  const timed = tailed.map((line) => ({ line, time: timeOf(line.end) }));
  return options.sinceMs === undefined ? timed : timed.filter((l) => l.time >= options.sinceMs!);
}

/** What is written for one line: its text, after its time and a space with timestamps. */
export function formatLine(text: Buffer, time: number, timestamps: boolean): Buffer {
  return timestamps ? Buffer.concat([Buffer.from(`${rfc3339Nano(time)} `), text]) : text;
}

/** Output cut at limitBytes. */
class LimitedOutput {
  private written = 0;
  constructor(
    private readonly res: http.ServerResponse,
    private readonly limit: number | undefined,
  ) {}
  get full(): boolean {
    return this.limit !== undefined && this.written >= this.limit;
  }
  write(data: Buffer): void {
    if (this.full || data.length === 0) return;
    const room = this.limit === undefined ? data.length : Math.min(data.length, this.limit - this.written);
    this.res.write(data.subarray(0, room));
    this.written += room;
  }
}

interface Stamps {
  /** (offset the file had reached, when it was seen), offsets rising */
  offsets: number[];
  times: number[];
  /** the file's size last seen */
  size: number;
}

/** The most stamps kept per file; past it every other old one is dropped (old lines' times get coarser). */
const MAX_STAMPS = 4096;

/**
 * When each container log file grew, as seen by polling the running
 * containers' files every second: a line's time is the first time kemu saw
 * the file reach past it. Files seen for the first time get their mtime.
 */
export class LogClock {
  private readonly files = new Map<string, Stamps>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly podsDir: string) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => this.scan(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Notes each current log file's growth; forgets files no longer current. */
  scan(now = Date.now()): void {
    const seen = new Set<string>();
    for (const uid of readdirSafe(this.podsDir)) {
      const logs = join(this.podsDir, uid, "logs");
      for (const container of readdirSafe(logs)) {
        const latest = attemptsOf(this.podsDir, uid, container).at(-1);
        if (latest === undefined) continue;
        const file = join(logs, container, `${latest}.log`);
        seen.add(file);
        this.observe(file, now);
      }
    }
    for (const file of this.files.keys()) if (!seen.has(file) && !existsSync(file)) this.files.delete(file);
  }

  /** Records the file's size now (also called by readers, so what they print has a time). */
  observe(file: string, now = Date.now()): void {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return;
    }
    let stamps = this.files.get(file);
    if (!stamps) {
      // Bytes written before kemu watched the file: its last modification is the best bound.
      stamps = { offsets: [stat.size], times: [Math.min(stat.mtimeMs, now)], size: stat.size };
      this.files.set(file, stamps);
      return;
    }
    if (stat.size <= stamps.size) return;
    stamps.size = stat.size;
    stamps.offsets.push(stat.size);
    stamps.times.push(now);
    if (stamps.offsets.length > MAX_STAMPS) {
      // Keep the newest half exact; thin the oldest half.
      const half = MAX_STAMPS / 2;
      const keep = (_: number, i: number) => i >= half || i % 2 === 1;
      stamps.offsets = stamps.offsets.filter(keep);
      stamps.times = stamps.times.filter(keep);
    }
  }

  /** The time of the byte just before `end`: the first stamp at or past it; now when none is yet. */
  timeOf(file: string, end: number, now = Date.now()): number {
    const stamps = this.files.get(file);
    if (!stamps) return now;
    const { offsets, times } = stamps;
    let lo = 0;
    let hi = offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid]! >= end) hi = mid;
      else lo = mid + 1;
    }
    return lo < offsets.length ? times[lo]! : now;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export async function servePodLog(api: ApiServer, podsDir: string, clock: LogClock, namespace: string, name: string, q: URLSearchParams, res: http.ServerResponse, req: http.IncomingMessage): Promise<void> {
  const pod = api.get(PODS, namespace, name) as Stored<Pod>;
  const options = parseLogOptions(q, name, Date.now());
  const container = pickContainer(pod, options.container).name;
  const attempts = attemptsOf(podsDir, pod.metadata.uid, container);
  const attempt = options.previous ? attempts[attempts.length - 2] : attempts[attempts.length - 1];
  if (attempt === undefined) {
    const why = options.previous ? `previous terminated container "${container}" in pod "${name}" not found` : `container "${container}" in pod "${name}" is waiting to start: ContainerCreating`;
    throw new ApiError("BadRequest", why);
  }
  const file = join(podsDir, pod.metadata.uid, "logs", container, `${attempt}.log`);
  clock.observe(file);
  res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
  const out = new LimitedOutput(res, options.limitBytes);

  const { data, size } = readFrom(file, 0);
  const lines = splitLines(data, 0);
  // Following, a last line without its newline waits for it (as the CRI log holds whole lines).
  const following = options.follow && !options.previous;
  const partial = following && lines.length > 0 && lines.at(-1)!.text.at(-1) !== 10 ? lines.pop()! : undefined;
  for (const { line, time } of selectLines(lines, options, (end) => clock.timeOf(file, end))) out.write(formatLine(line.text, time, options.timestamps));
  if (!following || out.full) {
    res.end();
    return;
  }
  let offset = partial ? size - partial.text.length : size;
  // Follow until the client leaves, the limit is reached, the pod goes away or the container is restarted.
  await new Promise<void>((resolve) => {
    const pump = () => {
      clock.observe(file);
      const { data: more } = readFrom(file, offset);
      const fresh = splitLines(more, offset);
      for (const line of fresh) {
        if (line.text.at(-1) !== 10) break;
        const time = clock.timeOf(file, line.end);
        if (options.sinceMs === undefined || time >= options.sinceMs) out.write(formatLine(line.text, time, options.timestamps));
        offset = line.end;
      }
    };
    const timer = setInterval(() => {
      pump();
      const stillThere = api.tryGet(PODS, namespace, name);
      const latest = attemptsOf(podsDir, pod.metadata.uid, container).at(-1);
      const ended = !stillThere || stillThere.metadata.uid !== pod.metadata.uid || latest !== attempt;
      if (ended) {
        // The container's last words, a final line without its newline included.
        const { data: rest } = readFrom(file, offset);
        if (rest.length > 0) out.write(formatLine(rest, clock.timeOf(file, offset + rest.length), options.timestamps));
      }
      if (ended || out.full) {
        clearInterval(timer);
        res.end();
        resolve();
      }
    }, FOLLOW_POLL_MS);
    req.on("close", () => {
      clearInterval(timer);
      resolve();
    });
  });
}

/** The file's bytes from `offset` to its current end. */
function readFrom(file: string, offset: number): { data: Buffer; size: number } {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return { data: Buffer.alloc(0), size: offset };
  }
  try {
    const size = statSync(file).size;
    if (size <= offset) return { data: Buffer.alloc(0), size };
    const data = Buffer.alloc(size - offset);
    const n = readSync(fd, data, 0, data.length, offset);
    return { data: data.subarray(0, n), size: offset + n };
  } finally {
    closeSync(fd);
  }
}
