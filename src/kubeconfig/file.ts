// Reading and writing a kubeconfig file under client-go's lock (<file>.lock,
// created exclusively; kind takes the same lock), and the record of where a
// cluster's entries were written, so that `kemu down` takes out exactly those.
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, constants } from "node:fs";
import { dirname, join } from "node:path";
import { KemuError } from "../errors.js";
import { kubeconfigKey, type KubeconfigEntry } from "./entry.js";
import { mergeKubeconfig, removeFromKubeconfig } from "./merge.js";

const LOCK_ATTEMPTS = 5;
const LOCK_RETRY_MS = 100;

/** Merges the entry into the file (created if absent, mode 0600) and makes its context current. */
export async function writeMerged(path: string, entry: KubeconfigEntry): Promise<void> {
  await withLock(path, () => {
    const before = readIfExists(path);
    writeKeepingOwner(path, mergeKubeconfig(before ?? "", entry, path));
  });
}

/** Takes the cluster's entries out of the file; false when the file had none (or does not exist). */
export async function removeEntries(path: string, clusterName: string): Promise<boolean> {
  if (!existsSync(path)) return false;
  return withLock(path, () => {
    const before = readIfExists(path);
    if (before === undefined) return false;
    const { text, changed } = removeFromKubeconfig(before, kubeconfigKey(clusterName), path);
    if (changed) writeFileSync(path, text);
    return changed;
  });
}

/** Where the cluster's entries were written: a file in its state directory (removed with it). */
function recordPath(stateDir: string): string {
  return join(stateDir, "kubeconfig-written-to");
}

export function recordWrittenTo(stateDir: string, path: string): void {
  writeFileSync(recordPath(stateDir), `${path}\n`, { mode: 0o600 });
}

export function writtenTo(stateDir: string): string | undefined {
  try {
    return readFileSync(recordPath(stateDir), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Takes the cluster's entries out of the file they were written to, if any; returns that file. */
export async function forgetKubeconfig(clusterName: string, stateDir: string): Promise<string | undefined> {
  const path = writtenTo(stateDir);
  if (path === undefined) return undefined;
  await removeEntries(path, clusterName);
  rmSync(recordPath(stateDir), { force: true });
  return path;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new KemuError(`cannot read kubeconfig ${path}: ${(err as Error).message}`);
  }
}

/**
 * Writes in place (an existing file keeps its owner and mode). A new file,
 * and any directory made for it, get mode 0600/0755 and the owner of the
 * directory they are made in: `sudo -E kemu up` leaves the user's
 * ~/.kube/config readable by the user.
 */
function writeKeepingOwner(path: string, text: string): void {
  const created = !existsSync(path);
  if (created) makeDirs(dirname(path));
  writeFileSync(path, text, { mode: 0o600 });
  if (created) ownLikeParent(path);
}

function makeDirs(dir: string): void {
  if (existsSync(dir)) return;
  makeDirs(dirname(dir));
  mkdirSync(dir, { mode: 0o755 });
  ownLikeParent(dir);
}

function ownLikeParent(path: string): void {
  const parent = statSync(dirname(path));
  const self = statSync(path);
  if (parent.uid !== self.uid || parent.gid !== self.gid) chownSync(path, parent.uid, parent.gid);
}

async function withLock<T>(path: string, body: () => T): Promise<T> {
  makeDirs(dirname(path));
  const lock = `${path}.lock`;
  for (let attempt = 1; ; attempt++) {
    try {
      closeSync(openSync(lock, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new KemuError(`cannot lock kubeconfig ${path}: ${(err as Error).message}`);
      if (attempt === LOCK_ATTEMPTS) throw new KemuError(`kubeconfig ${path} is locked (${lock} exists): another program is writing it; if none is, remove ${lock}`);
      await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
    }
  }
  try {
    return body();
  } finally {
    rmSync(lock, { force: true });
  }
}
