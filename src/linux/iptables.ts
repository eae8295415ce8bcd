// Small iptables operations outside iptables-restore: rules in built-in
// chains that flannel and the userspace proxy insert only when missing.
import { run } from "./exec.js";

/** Runs each `iptables … -I/-A …` argv unless the same rule is there already (checked with -C). */
export async function insertUnlessPresent(rules: string[][]): Promise<void> {
  for (const argv of rules) {
    const check = argv.map((a) => (a === "-I" || a === "-A" ? "-C" : a));
    try {
      await run("iptables", ["-w", "5", ...check]);
    } catch {
      await run("iptables", ["-w", "5", ...argv]);
    }
  }
}

