// The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go) for
// configMap and secret volumes: the files go into a fresh hidden directory
// `..<timestamp>`, the `..data` symlink is swapped onto it in one rename,
// and each top-level name is a symlink through `..data`. A container reading
// the volume while it is updated sees the old set or the new one, never a
// mix. The volume directory itself is what is bind-mounted.
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import type { ProjectedFile } from "./config-sources.js";

const DATA = "..data";

/** A relative path that stays inside the volume (upstream validates items[].path the same way). */
function safePath(path: string): boolean {
  if (path === "" || posix.isAbsolute(path)) return false;
  const parts = path.split("/");
  return !parts.some((p) => p === ".." || p === "") && !parts[0]!.startsWith("..");
}

/** Writes `files` into `dir` atomically; unchanged content is rewritten (cheap, and keeps the code one path). */
export function writeAtomically(dir: string, files: readonly ProjectedFile[], now = new Date()): void {
  for (const f of files) if (!safePath(f.path)) throw new Error(`invalid path ${JSON.stringify(f.path)} in a projected volume`);
  mkdirSync(dir, { recursive: true });
  const stamp = `..${now.toISOString().replace(/[-:]/g, "_").replace(/\..*$/, "")}.${process.hrtime.bigint().toString(36)}`;
  const fresh = join(dir, stamp);
  mkdirSync(fresh, { mode: 0o755 });
  for (const f of files) {
    const target = join(fresh, f.path);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, f.data);
    chmodSync(target, f.mode & 0o777);
  }
  rmSync(join(dir, `${DATA}_tmp`), { force: true });
  symlinkSync(stamp, join(dir, `${DATA}_tmp`));
  renameSync(join(dir, `${DATA}_tmp`), join(dir, DATA));
  // top-level names: one symlink each through ..data; names no longer projected go
  const wanted = new Set(files.map((f) => f.path.split("/")[0]!));
  for (const name of wanted) {
    const link = join(dir, name);
    if (!existsSync(link) && !isSymlink(link)) symlinkSync(join(DATA, name), link);
  }
  for (const entry of readdirSync(dir)) {
    if (entry === DATA || entry === stamp) continue;
    // older timestamped directories (and a ..data_tmp left by a crash); names no longer projected
    if (entry.startsWith("..") || !wanted.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
