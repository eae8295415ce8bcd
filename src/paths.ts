// Where kemu's own files are: the package root, compiled JavaScript and the
// native helpers, found relative to this module whether it runs from src/ or dist/.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("kemu: cannot find the package root");
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot();

export function builtinPath(name: "agnhost" | "kemu-sandbox" | "kemu-probe" | "kemu-portforward"): string {
  return join(PACKAGE_ROOT, "build", "native", name);
}

/** The compiled CLI entry (daemon and agents are started through it). */
export function cliEntry(): string {
  return join(PACKAGE_ROOT, "dist", "cli", "main.js");
}

/** The Ingress router pod's program (src/ingress/entry.ts): the router without the command line around it. */
export function routerEntry(): string {
  return join(PACKAGE_ROOT, "dist", "ingress", "entry.js");
}
