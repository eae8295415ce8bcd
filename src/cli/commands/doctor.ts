// kemu doctor: can this host run kemu? Checks kernel features and tools
// inside a scratch namespace, never in the root namespace.
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { run } from "../../linux/exec.js";
import { builtinPath } from "../../paths.js";
import { isRoot } from "../../cluster.js";

interface Check {
  name: string;
  ok: boolean;
  fix?: string;
}

async function tries(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch {
    return false;
  }
}

export async function runDoctor(): Promise<Check[]> {
  const checks: Check[] = [];
  const tool = async (name: string, args: string[], pkg: string) =>
    checks.push({ name: `${name} installed`, ok: await tries(() => run(name, args)), fix: `apt-get install -y ${pkg}` });
  checks.push({ name: "running as root", ok: isRoot(), fix: "run kemu with sudo" });
  await tool("ip", ["-V"], "iproute2");
  await tool("nsenter", ["--version"], "util-linux");
  await tool("iptables-restore", ["--version"], "iptables");
  await tool("nft", ["--version"], "nftables");
  await tool("conntrack", ["--version"], "conntrack");
  await tool("curl", ["--version"], "curl");
  await tool("dig", ["-v"], "dnsutils");
  await tool(process.env.CC || "cc", ["--version"], "gcc libc6-dev");
  checks.push({
    name: "C helpers built (kemu-sandbox, agnhost)",
    ok: existsSync(builtinPath("kemu-sandbox")) && existsSync(builtinPath("agnhost")),
    fix: "they are compiled when kemu is installed or built, with a C compiler (apt-get install -y gcc libc6-dev): then `npm rebuild kemu` where kemu is installed, or `npm run build` in a clone",
  });
  if (!isRoot()) return checks;

  const ns = `kemu-doctor-${randomBytes(3).toString("hex")}`;
  const inNs = (args: string[], input?: string) => run("ip", ["netns", "exec", ns, ...args], { input });
  checks.push({ name: "network namespaces", ok: await tries(() => run("ip", ["netns", "add", ns])), fix: "a kernel with CONFIG_NET_NS" });
  try {
    checks.push({ name: "veth pairs", ok: await tries(() => run("ip", ["-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1"])), fix: "kernel module veth" });
    checks.push({ name: "bridges", ok: await tries(() => run("ip", ["-n", ns, "link", "add", "b0", "type", "bridge"])), fix: "kernel module bridge" });
    checks.push({ name: "vxlan", ok: await tries(() => run("ip", ["-n", ns, "link", "add", "x0", "type", "vxlan", "id", "1", "dstport", "4789"])), fix: "kernel module vxlan" });
    const natRules = [
      "*nat",
      ":KEMU-DOCTOR - [0:0]",
      "-A KEMU-DOCTOR -m statistic --mode random --probability 0.5 -j RETURN",
      "-A KEMU-DOCTOR -m recent --name doctor --rcheck --seconds 10 --reap -j RETURN",
      "-A KEMU-DOCTOR -m conntrack --ctstate NEW -m addrtype --dst-type LOCAL -j MASQUERADE --random-fully",
      "-A KEMU-DOCTOR -p tcp -j DNAT --to-destination 10.0.0.1:80",
      "COMMIT",
      "",
    ].join("\n");
    checks.push({ name: "iptables nat with statistic, recent, conntrack, addrtype matches", ok: await tries(() => inNs(["iptables-restore", "-w"], natRules)), fix: "apt-get install -y iptables (kernel: nf_nat, xt_statistic, xt_recent, xt_conntrack, xt_addrtype)" });
    checks.push({ name: "nftables", ok: await tries(() => inNs(["nft", "add table ip kemu_doctor"])), fix: "apt-get install -y nftables (kernel: nf_tables)" });
  } finally {
    await run("ip", ["netns", "del", ns], { okCodes: [1, 255] });
  }
  return checks;
}

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check that this host has the kernel features and tools kemu needs")
    .action(async () => {
      const checks = await runDoctor();
      for (const c of checks) process.stdout.write(`${c.ok ? "ok  " : "FAIL"}  ${c.name}${c.ok || !c.fix ? "" : `  → ${c.fix}`}\n`);
      if (checks.some((c) => !c.ok)) process.exit(1);
    });
}
