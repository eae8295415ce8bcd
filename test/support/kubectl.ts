// The real kubectl for an integration test file: its own temporary directory
// holding the kubeconfig the file's cluster writes (Cluster.start({ kubeconfig })),
// HOME (the kubectl dispatcher on some hosts caches /version under ~/.kube/cache),
// and a fresh --cache-dir for every run (kubectl caches discovery on disk for
// six hours: a run must not see another cluster's or an earlier run's).
import { spawn, spawnSync, type ChildProcessByStdio, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";

export const KUBECTL = "/usr/bin/kubectl";
export const hasKubectl = existsSync(KUBECTL);

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export class Kubectl {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly env: NodeJS.ProcessEnv;
  private runs = 0;

  constructor(
    prefix: string,
    private readonly defaultTimeoutMs = 60_000,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `kemu-${prefix}-`));
    this.kubeconfig = join(this.dir, "config");
    this.env = { ...process.env, KUBECONFIG: this.kubeconfig, HOME: this.dir };
  }

  /** The argv for one run: the cache flag first, since whatever follows "--" is a container's command. */
  args(a: readonly string[]): string[] {
    return ["--cache-dir", join(this.dir, `cache-${++this.runs}`), ...a];
  }

  run(a: readonly string[], o: RunOptions = {}): SpawnSyncReturns<string> {
    return spawnSync(KUBECTL, this.args(a), { encoding: "utf8", timeout: o.timeoutMs ?? this.defaultTimeoutMs, env: { ...this.env, ...o.env }, input: o.input });
  }

  /** A long-running kubectl (get -w, port-forward); the caller ends it by its PID. */
  start(a: readonly string[]): ChildProcessByStdio<null, Readable, Readable> {
    return spawn(KUBECTL, this.args(a), { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
