// Following a growing file (a container's log, which the container writes
// directly): polled, since the writer is another process and inotify on
// every log file would cost more than a stat every 100 ms per follower.
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { PassThrough } from "node:stream";

const POLL_MS = 100;
/** Read at most this much per poll, so a chatty container cannot make one read hold a huge buffer. */
const MAX_READ = 1 << 20;

export interface Follower {
  output: PassThrough;
  stop(): void;
  /** Settles when following ended (stopped, or the file's writer is gone). */
  done: Promise<void>;
}

export interface FollowOptions {
  /** Start at the file's current end (attach) rather than at `offset`. */
  fromEnd?: boolean;
  offset?: number;
  /** Checked on each poll: false ends the follow after the last bytes are read. */
  stillThere(): boolean;
}

export function followFile(file: string, options: FollowOptions): Follower {
  const output = new PassThrough();
  let offset = options.fromEnd ? sizeOf(file) : (options.offset ?? 0);
  let timer: NodeJS.Timeout | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const finish = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    output.end();
    resolveDone();
  };
  const poll = () => {
    const alive = options.stillThere();
    offset = readNew(file, offset, output);
    if (!alive) finish();
  };
  timer = setInterval(poll, POLL_MS);
  return { output, stop: finish, done };
}

function sizeOf(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** Writes the bytes after `offset` to `out`; returns the new offset. */
export function readNew(file: string, offset: number, out: NodeJS.WritableStream): number {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return offset;
  }
  if (size <= offset) return offset;
  const fd = openSync(file, "r");
  try {
    while (offset < size) {
      const buf = Buffer.alloc(Math.min(size - offset, MAX_READ));
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n <= 0) break;
      out.write(buf.subarray(0, n));
      offset += n;
    }
  } finally {
    closeSync(fd);
  }
  return offset;
}
