// kemu cp POD:PATH LOCAL and kemu cp LOCAL POD:PATH: tar through an exec
// in the container (as kubectl cp), on top of Cluster.execArgv.
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { posix, resolve } from "node:path";
import type { Command } from "commander";
import { Cluster, KemuError } from "../../cluster.js";
import { nameOption } from "../options.js";
import { parseCopy, tarPlan } from "../cp.js";

interface Ran {
  code: number | null;
  stderr: string;
}

function run(argv: string[], stdin: "ignore" | "pipe" = "ignore"): { child: ReturnType<typeof spawn>; done: Promise<Ran> } {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: [stdin, "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Ran>((resolveRun, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolveRun({ code, stderr }));
  });
  return { child, done };
}

/** Runs `create | extract` and fails with the first side's message. */
async function pipeline(create: string[], extract: string[], what: string): Promise<void> {
  const a = run(create);
  const b = run(extract, "pipe");
  a.child.stdout!.pipe(b.child.stdin!);
  b.child.stdout!.resume();
  const [ra, rb] = await Promise.all([a.done, b.done]);
  for (const r of [ra, rb]) {
    if (r.code !== 0) throw new KemuError(`cp: ${what}: ${r.stderr.trim() || `tar exited with ${r.code}`}`);
  }
}

async function check(argv: string[]): Promise<boolean> {
  return (await run(argv).done).code === 0;
}

function localKind(path: string): "dir" | "file" | undefined {
  try {
    return statSync(path).isDirectory() ? "dir" : "file";
  } catch {
    return undefined;
  }
}

export function registerCpCommand(program: Command): void {
  program
    .command("cp")
    .description("copy files between a pod's container and this host, like kubectl cp: kemu cp web:/tmp/a ./a, kemu cp ./a web:/tmp/a")
    .argument("<src>", "[NAMESPACE/]POD:PATH or a local path")
    .argument("<dest>", "a local path or [NAMESPACE/]POD:PATH")
    .option("-c, --container <name>", "container (default: the first)")
    .option("-n, --namespace <ns>", "namespace of the pod", "default")
    .addOption(nameOption())
    .action(async (src: string, dest: string, opts: { container?: string; namespace: string; name?: string }) => {
      const spec = parseCopy(src, dest);
      const cluster = Cluster.connect(opts.name);
      try {
        if (spec.direction === "from-pod") {
          const inPod = { namespace: spec.src.namespace ?? opts.namespace, container: opts.container };
          const exec = (argv: string[]) => cluster.execArgv(spec.src.pod, argv, inPod);
          if (!(await check(await exec(["test", "-e", spec.src.path])))) throw new KemuError(`cp: ${spec.src.path}: no such file or directory in pod ${spec.src.pod}`);
          const isDir = await check(await exec(["test", "-d", spec.src.path]));
          let target = resolve(spec.dest);
          // A file copied onto an existing directory lands inside it.
          if (!isDir && localKind(target) === "dir") target = posix.join(target, posix.basename(spec.src.path));
          const plan = tarPlan(spec.src.path, target, isDir, "source");
          if (plan.mkdir && !(await check(["mkdir", "-p", plan.mkdir]))) throw new KemuError(`cp: cannot create ${plan.mkdir}`);
          await pipeline(await exec(plan.create), plan.extract, `${spec.src.pod}:${spec.src.path} to ${target}`);
        } else {
          const source = resolve(spec.src);
          const kind = localKind(source);
          if (!kind) throw new KemuError(`cp: ${spec.src}: no such file or directory`);
          const inPod = { namespace: spec.dest.namespace ?? opts.namespace, container: opts.container };
          const exec = (argv: string[]) => cluster.execArgv(spec.dest.pod, argv, inPod);
          let target = spec.dest.path;
          // As kubectl: an existing directory in the pod receives the source under its own name.
          if (await check(await exec(["test", "-d", target]))) target = posix.join(target, posix.basename(source));
          const plan = tarPlan(source, target, kind === "dir", "destination");
          if (plan.mkdir && !(await check(await exec(["mkdir", "-p", plan.mkdir])))) throw new KemuError(`cp: cannot create ${plan.mkdir} in pod ${spec.dest.pod}`);
          await pipeline(plan.create, await exec(plan.extract), `${spec.src} to ${spec.dest.pod}:${target}`);
        }
      } finally {
        cluster.api.close();
      }
    });
}
