// Reading `iptables-save` output: what a full sync needs to know of the
// kernel's state — the nat chains that exist (stale kube-proxy chains are
// deleted) and the rules of the built-in chains (missing jumps are
// inserted). Pure.

export interface SavedState {
  /** chain names declared in the nat table */
  natChains: string[];
  /** per "table chain", the -A lines of that chain, as `iptables -t table -S chain` prints them */
  rules: Map<string, string[]>;
}

export function parseIptablesSave(text: string): SavedState {
  const natChains: string[] = [];
  const rules = new Map<string, string[]>();
  let table = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) {
      table = line.slice(1).trim();
    } else if (line.startsWith(":")) {
      const chain = line.slice(1).split(" ")[0]!;
      if (table === "nat") natChains.push(chain);
      rules.set(`${table} ${chain}`, []);
    } else if (line.startsWith("-A ")) {
      const chain = line.slice(3, line.indexOf(" ", 3));
      const key = `${table} ${chain}`;
      const list = rules.get(key);
      if (list) list.push(line);
      else rules.set(key, [line]);
    }
  }
  return { natChains, rules };
}
