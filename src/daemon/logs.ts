// Serves GET .../pods/{name}/log from the files the kubelet writes: one file
// per container start, so --previous is the one before the latest.
import type http from "node:http";
import { existsSync, readdirSync, statSync, openSync, readSync, closeSync } from "node:fs";
import { join } from "node:path";
import type { ApiServer } from "../api/apiserver.js";
import { ApiError } from "../api/errors.js";
import { resourceByKind } from "../api/resources.js";
import type { Pod, Stored } from "../api/types.js";
import { pickContainer } from "../api/stream/exec-target.js";

const PODS = resourceByKind("Pod")!;

export function attemptsOf(podsDir: string, uid: string, container: string): number[] {
  const dir = join(podsDir, uid, "logs", container);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => Number(f.replace(/\.log$/, "")))
    .filter(Number.isInteger)
    .sort((a, b) => a - b);
}

/** The log file of the container's latest run, if it started. */
export function currentLogFile(podsDir: string, pod: Stored<Pod>, container: string): string | undefined {
  const latest = attemptsOf(podsDir, pod.metadata.uid, container).at(-1);
  return latest === undefined ? undefined : join(podsDir, pod.metadata.uid, "logs", container, `${latest}.log`);
}

export async function servePodLog(api: ApiServer, podsDir: string, namespace: string, name: string, q: URLSearchParams, res: http.ServerResponse, req: http.IncomingMessage): Promise<void> {
  const pod = api.get(PODS, namespace, name) as Stored<Pod>;
  const container = pickContainer(pod, q.get("container")).name;
  const attempts = attemptsOf(podsDir, pod.metadata.uid, container);
  const previous = q.get("previous") === "true";
  const attempt = previous ? attempts[attempts.length - 2] : attempts[attempts.length - 1];
  if (attempt === undefined) {
    const why = previous ? `previous terminated container "${container}" in pod "${name}" not found` : `container "${container}" in pod "${name}" is waiting to start: ContainerCreating`;
    throw new ApiError("BadRequest", why);
  }
  const file = join(podsDir, pod.metadata.uid, "logs", container, `${attempt}.log`);
  const tail = q.get("tailLines");
  res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
  let offset = 0;
  if (tail !== null) {
    offset = tailOffset(file, Number(tail));
  }
  offset = pump(file, offset, res);
  if (q.get("follow") !== "true" || previous) {
    res.end();
    return;
  }
  // Follow until the client leaves, the pod goes away or the container is restarted.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      offset = pump(file, offset, res);
      const stillThere = api.tryGet(PODS, namespace, name);
      const latest = attemptsOf(podsDir, pod.metadata.uid, container).at(-1);
      if (!stillThere || stillThere.metadata.uid !== pod.metadata.uid || latest !== attempt) {
        clearInterval(timer);
        res.end();
        resolve();
      }
    }, 100);
    req.on("close", () => {
      clearInterval(timer);
      resolve();
    });
  });
}

function pump(file: string, offset: number, res: http.ServerResponse): number {
  if (!existsSync(file)) return offset;
  const size = statSync(file).size;
  if (size <= offset) return offset;
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    res.write(buf);
  } finally {
    closeSync(fd);
  }
  return size;
}

function tailOffset(file: string, lines: number): number {
  if (!existsSync(file) || !(lines >= 0)) return 0;
  const size = statSync(file).size;
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    let seen = 0;
    for (let i = size - 2; i >= 0; i--) {
      if (buf[i] === 10 && ++seen === lines) return i + 1;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}
