// From the table the node should have and the one last written, the `nft -f`
// program that gets there. A full sync replaces the whole table atomically; a
// partial sync writes only the difference — set elements added and removed,
// changed chains flushed and refilled, dispatch elements swapped — in
// Calico's order: sets and chains are created before anything refers to them,
// and removed only after nothing does. Either way it is one transaction, so a
// packet never sees half a policy. Pure.
import { DISPATCH_MAP, POLICY_FAMILY, POLICY_TABLE } from "./names.js";
import type { NftChain, NftSet, PolicyTableState } from "./render.js";
import type { Direction } from "./model.js";

const T = `${POLICY_FAMILY} ${POLICY_TABLE}`;
const DIRECTIONS: Direction[] = ["ingress", "egress"];

/** The base chains: conntrack first, then dispatch by the pod's veth. Packets from pods to the node itself run their egress chain in `input`. */
function baseChains(): string[] {
  return [
    `  chain forward {`,
    `    type filter hook forward priority filter; policy accept;`,
    `    ct state established,related accept`,
    `    iifname vmap @${DISPATCH_MAP.egress}`,
    `    oifname vmap @${DISPATCH_MAP.ingress}`,
    `  }`,
    `  chain input {`,
    `    type filter hook input priority filter; policy accept;`,
    `    ct state established,related accept`,
    `    iifname vmap @${DISPATCH_MAP.egress}`,
    `  }`,
  ];
}

export interface PolicySyncPlan {
  /** the nft program; "" when nothing changed */
  text: string;
  full: boolean;
  /** what changed, for logs and benchmarks */
  counts: { setsWritten: number; elementsAdded: number; elementsRemoved: number; chainsWritten: number; chainsRemoved: number; dispatchChanged: number };
}

/** The whole table, replacing whatever is there (first sync, or after a failed one). */
export function renderFullTable(state: PolicyTableState): string {
  const lines: string[] = [`add table ${T}`, `delete table ${T}`, `table ${T} {`];
  for (const set of state.sets.values()) lines.push(...setDefinition(set));
  for (const d of DIRECTIONS) {
    const elements = [...state.dispatch[d]].map(([veth, chain]) => `"${veth}" : jump ${chain}`);
    lines.push(`  map ${DISPATCH_MAP[d]} {`, `    type ifname : verdict;`, ...(elements.length ? [`    elements = { ${elements.join(", ")} }`] : []), `  }`);
  }
  // Chains are declared before any rule refers to them (a goto to a chain defined later fails).
  for (const chain of state.chains.values()) lines.push(`  chain ${chain.name} {`, `  }`);
  for (const chain of state.chains.values()) lines.push(`  chain ${chain.name} {`, ...chain.rules.map((r) => `    ${r}`), `  }`);
  lines.push(...baseChains(), `}`);
  return `${lines.join("\n")}\n`;
}

function setDefinition(set: NftSet): string[] {
  return [
    `  set ${set.name} {`,
    `    type ${set.type};`,
    `    comment "${set.comment}";`,
    ...(set.elements.length ? [`    elements = { ${set.elements.join(", ")} }`] : []),
    `  }`,
  ];
}

export function planPolicySync(written: PolicyTableState | undefined, desired: PolicyTableState, options: { full?: boolean } = {}): PolicySyncPlan {
  const counts = { setsWritten: 0, elementsAdded: 0, elementsRemoved: 0, chainsWritten: 0, chainsRemoved: 0, dispatchChanged: 0 };
  if (!written || options.full) {
    counts.setsWritten = desired.sets.size;
    counts.chainsWritten = desired.chains.size;
    for (const s of desired.sets.values()) counts.elementsAdded += s.elements.length;
    for (const d of DIRECTIONS) counts.dispatchChanged += desired.dispatch[d].size;
    return { text: renderFullTable(desired), full: true, counts };
  }

  const create: string[] = [];
  const fill: string[] = [];
  const dispatch: string[] = [];
  const removeChains: string[] = [];
  const removeSets: string[] = [];

  for (const set of desired.sets.values()) {
    const old = written.sets.get(set.name);
    if (!old) {
      counts.setsWritten++;
      create.push(`add set ${T} ${set.name} { type ${set.type}; comment "${set.comment}"; }`);
      if (set.elements.length) create.push(`add element ${T} ${set.name} { ${set.elements.join(", ")} }`);
      counts.elementsAdded += set.elements.length;
      continue;
    }
    const before = new Set(old.elements);
    const after = new Set(set.elements);
    const gone = old.elements.filter((e) => !after.has(e));
    const added = set.elements.filter((e) => !before.has(e));
    if (gone.length) create.push(`delete element ${T} ${set.name} { ${gone.join(", ")} }`);
    if (added.length) create.push(`add element ${T} ${set.name} { ${added.join(", ")} }`);
    counts.elementsAdded += added.length;
    counts.elementsRemoved += gone.length;
  }
  for (const name of written.sets.keys()) if (!desired.sets.has(name)) removeSets.push(`delete set ${T} ${name}`);

  for (const chain of desired.chains.values()) {
    const old = written.chains.get(chain.name);
    if (old && sameRules(old, chain)) continue;
    counts.chainsWritten++;
    if (!old) create.push(`add chain ${T} ${chain.name}`);
    else fill.push(`flush chain ${T} ${chain.name}`);
    for (const rule of chain.rules) fill.push(`add rule ${T} ${chain.name} ${rule}`);
  }
  for (const name of written.chains.keys()) {
    if (desired.chains.has(name)) continue;
    counts.chainsRemoved++;
    // Flushed first, so a chain that jumps to another gone chain no longer refers to it when that one is deleted.
    fill.push(`flush chain ${T} ${name}`);
    removeChains.push(`delete chain ${T} ${name}`);
  }

  for (const d of DIRECTIONS) {
    const map = DISPATCH_MAP[d];
    for (const [veth, chain] of written.dispatch[d]) {
      if (desired.dispatch[d].get(veth) === chain) continue;
      dispatch.push(`delete element ${T} ${map} { "${veth}" }`);
      counts.dispatchChanged++;
    }
    for (const [veth, chain] of desired.dispatch[d]) {
      if (written.dispatch[d].get(veth) === chain) continue;
      dispatch.push(`add element ${T} ${map} { "${veth}" : jump ${chain} }`);
      if (!written.dispatch[d].has(veth)) counts.dispatchChanged++;
    }
  }

  const lines = [...create, ...fill, ...dispatch, ...removeChains, ...removeSets];
  return { text: lines.length ? `${lines.join("\n")}\n` : "", full: false, counts };
}

function sameRules(a: NftChain, b: NftChain): boolean {
  return a.rules.length === b.rules.length && a.rules.every((r, i) => r === b.rules[i]);
}
