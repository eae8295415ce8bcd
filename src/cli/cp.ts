// kemu cp, as kubectl cp (pkg/cmd/cp): "[NAMESPACE/]POD:PATH" on one side,
// a local path on the other, the files carried as a tar stream through an
// exec of tar in the container. Pure: which side is which and the tar
// commands for each end; the command runs them (commands/cp.ts).
import { posix } from "node:path";
import { KemuError } from "../cluster.js";

export interface PodPath {
  namespace?: string;
  pod: string;
  path: string;
}

export type CopySpec = { direction: "from-pod"; src: PodPath; dest: string } | { direction: "to-pod"; src: string; dest: PodPath };

/** "pod:/tmp/x" or "ns/pod:/tmp/x"; undefined for a local path (no colon before the first slash, as kubectl decides). */
export function parsePodPath(arg: string): PodPath | undefined {
  const colon = arg.indexOf(":");
  if (colon <= 0) return undefined;
  const target = arg.slice(0, colon);
  const path = arg.slice(colon + 1);
  const parts = target.split("/");
  if (parts.length > 2 || parts.some((p) => p === "")) throw new KemuError(`cp: ${JSON.stringify(arg)}: expected [NAMESPACE/]POD:PATH`);
  if (path === "") throw new KemuError(`cp: ${JSON.stringify(arg)}: the path in the pod is empty: expected [NAMESPACE/]POD:PATH`);
  return parts.length === 2 ? { namespace: parts[0], pod: parts[1]!, path } : { pod: parts[0]!, path };
}

/** Which way the copy goes; exactly one side must be in a pod. */
export function parseCopy(src: string, dest: string): CopySpec {
  const from = parsePodPath(src);
  const to = parsePodPath(dest);
  if (from && to) throw new KemuError("cp: copying from one pod to another is not supported (kubectl cp does not either): copy to a local path first");
  if (from) return { direction: "from-pod", src: from, dest };
  if (to) return { direction: "to-pod", src, dest: to };
  throw new KemuError("cp: one of the two paths must be in a pod, as POD:PATH or NAMESPACE/POD:PATH (kemu cp web:/tmp/out.txt ./out.txt)");
}

/** A tar --transform replacement that is taken literally (GNU tar's sed syntax, ',' as the separator). */
function literal(name: string): string {
  return name.replace(/[\\&,]/g, (c) => `\\${c}`);
}

/**
 * The tar commands for one file or directory: `create` packs `src` so that
 * `extract`, run in `into`, makes exactly `dest` (a file renamed to dest's
 * name; a directory's contents into dest, which `mkdir -p` first).
 * kubectl's rule: the destination path is the source path's new name.
 */
export function tarPlan(src: string, dest: string, isDirectory: boolean, inPod: "source" | "destination"): { create: string[]; extract: string[]; mkdir?: string } {
  // In the container: -m (no modification times), as kubectl's "tar -xmf -". Locally: files belong to whoever runs kemu.
  const extractFlags = inPod === "destination" ? ["xmf", "-"] : ["xf", "-", "--no-same-owner"];
  if (isDirectory) {
    return { create: ["tar", "cf", "-", "-C", src, "."], extract: ["tar", ...extractFlags, "-C", dest], mkdir: dest };
  }
  const base = posix.basename(src);
  return {
    create: ["tar", "cf", "-", "-C", posix.dirname(src), `--transform=s,.*,${literal(posix.basename(dest))},`, base],
    extract: ["tar", ...extractFlags, "-C", posix.dirname(dest)],
  };
}
