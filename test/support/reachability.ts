// Expected reachability between pods, the way upstream's NetworkPolicy e2e
// suite writes it (kubernetes test/e2e/network/netpol/reachability.go and
// truthtable.go): a square table of "ns/name" pods, filled with a default
// (everything reachable) and then edited with a few helpers — one cell, a
// pattern of cells, a whole column (ingress) or row (egress). One table is
// for one (port, protocol). Pure: no cluster, no I/O.

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface PortProtocol {
  port: number;
  protocol: Protocol;
}

/** One probed connection, in the shape `kemu probe -o json` prints and `--expect` reads. */
export interface Cell {
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
  reachable: boolean;
}

/** "x/a" → { namespace: "x", name: "a" }; anything else is a caller's mistake. */
export function splitPod(pod: string): { namespace: string; name: string } {
  const parts = pod.split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`pod ${JSON.stringify(pod)}: expected "namespace/name"`);
  return { namespace: parts[0], name: parts[1] };
}

/**
 * A pattern over pods: "x/a" (one pod), "x/*" (namespace x), "*\/a" (pod a in
 * every namespace), "*" or "*\/*" (every pod) — upstream's Peer{Namespace, Pod}
 * with "" written as "*".
 */
export function podMatcher(pattern: string): (pod: string) => boolean {
  if (pattern === "*") return () => true;
  const { namespace, name } = splitPod(pattern);
  return (pod) => {
    const p = splitPod(pod);
    return (namespace === "*" || namespace === p.namespace) && (name === "*" || name === p.name);
  };
}

/** An n×n table of booleans, rows = from, columns = to; a cell may be unset (not observed). */
export class TruthTable {
  readonly items: readonly string[];
  private readonly index: Map<string, number>;
  private readonly values: (boolean | undefined)[];

  constructor(items: readonly string[], initial?: boolean) {
    this.items = [...items];
    this.index = new Map(this.items.map((item, i) => [item, i]));
    if (this.index.size !== this.items.length) throw new Error(`truth table: duplicate items in ${this.items.join(", ")}`);
    this.values = new Array<boolean | undefined>(this.items.length * this.items.length).fill(initial);
  }

  private at(from: string, to: string): number {
    const f = this.index.get(from);
    if (f === undefined) throw new Error(`truth table: no row ${JSON.stringify(from)} (have ${this.items.join(", ")})`);
    const t = this.index.get(to);
    if (t === undefined) throw new Error(`truth table: no column ${JSON.stringify(to)} (have ${this.items.join(", ")})`);
    return f * this.items.length + t;
  }

  set(from: string, to: string, value: boolean): void {
    this.values[this.at(from, to)] = value;
  }

  get(from: string, to: string): boolean | undefined {
    return this.values[this.at(from, to)];
  }

  setAllFrom(from: string, value: boolean): void {
    for (const to of this.items) this.set(from, to, value);
  }

  setAllTo(to: string, value: boolean): void {
    for (const from of this.items) this.set(from, to, value);
  }

  isComplete(): boolean {
    return this.values.every((v) => v !== undefined);
  }

  /**
   * Upstream's printout: a header row "-" then the column names, one row per
   * source; "." = true, "X" = false, "?" = not set. Tab-separated, as upstream.
   */
  render(mark: (value: boolean | undefined, from: string, to: string) => string = defaultMark): string {
    const lines = [["-", ...this.items].join("\t")];
    for (const from of this.items) lines.push([from, ...this.items.map((to) => mark(this.get(from, to), from, to))].join("\t"));
    return lines.join("\n");
  }
}

function defaultMark(value: boolean | undefined): string {
  return value === undefined ? "?" : value ? "." : "X";
}

/** What a scenario expects for every ordered pair of pods, for one (port, protocol). */
export class Reachability {
  readonly pods: readonly string[];
  readonly expected: TruthTable;

  /** Everything reachable unless said otherwise (upstream's NewReachability(pods, true)). */
  constructor(pods: readonly string[], defaultReachable = true) {
    for (const pod of pods) splitPod(pod);
    this.pods = [...pods];
    this.expected = new TruthTable(this.pods, defaultReachable);
  }

  /** One cell; both pods named exactly. */
  expect(from: string, to: string, reachable: boolean): this {
    this.expected.set(from, to, reachable);
    return this;
  }

  /** Every cell whose source matches `from` and destination matches `to` (see podMatcher). */
  expectPeer(from: string, to: string, reachable: boolean): this {
    const fromMatches = podMatcher(from);
    const toMatches = podMatcher(to);
    let hit = false;
    for (const f of this.pods) {
      if (!fromMatches(f)) continue;
      for (const t of this.pods) {
        if (!toMatches(t)) continue;
        this.expected.set(f, t, reachable);
        hit = true;
      }
    }
    // A pattern that matches nothing is a typo in a scenario, not an expectation.
    if (!hit) throw new Error(`expectPeer(${JSON.stringify(from)}, ${JSON.stringify(to)}): no pod pair matches`);
    return this;
  }

  /** The pod's whole column: everything into it. */
  expectAllIngress(pod: string, reachable: boolean): this {
    this.expected.setAllTo(pod, reachable);
    return this;
  }

  /** The pod's whole row: everything out of it. */
  expectAllEgress(pod: string, reachable: boolean): this {
    this.expected.setAllFrom(pod, reachable);
    return this;
  }

  reachable(from: string, to: string): boolean {
    const v = this.expected.get(from, to);
    if (v === undefined) throw new Error(`reachability: ${from} → ${to} has no expectation`);
    return v;
  }
}

/** One (port, protocol) and what is expected on it. */
export interface Expectation extends PortProtocol {
  reachability: Reachability;
}

/** Upstream ignores a pod reaching itself (ignoreLoopback; kubernetes#95879: CNIs disagree). */
export function isLoopback(from: string, to: string): boolean {
  return from === to;
}

/** The expected cells, in table order, in the probe's JSON shape. */
export function expectedCells(expectations: readonly Expectation[], opts: { ignoreLoopback?: boolean } = {}): Cell[] {
  const ignoreLoopback = opts.ignoreLoopback ?? true;
  const cells: Cell[] = [];
  for (const e of expectations) {
    for (const from of e.reachability.pods) {
      for (const to of e.reachability.pods) {
        if (ignoreLoopback && isLoopback(from, to)) continue;
        cells.push({ from, to, port: e.port, protocol: e.protocol, reachable: e.reachability.reachable(from, to) });
      }
    }
  }
  return cells;
}

export function cellKey(c: { from: string; to: string; port: number; protocol: string }): string {
  return `${c.from}>${c.to}:${c.port}/${c.protocol}`;
}

export interface Mismatch extends PortProtocol {
  from: string;
  to: string;
  expected: boolean;
  /** undefined: the cell was not observed at all. */
  observed: boolean | undefined;
}

export interface Comparison {
  correct: number;
  ignored: number;
  wrong: Mismatch[];
}

/**
 * Expected against observed, cell by cell (upstream's Summary): the diagonal
 * is counted as ignored; a cell the observation lacks is wrong (observed
 * undefined), so a probe that skips cells cannot pass.
 */
export function compareReachability(
  expectations: readonly Expectation[],
  observed: Iterable<Cell>,
  opts: { ignoreLoopback?: boolean } = {},
): Comparison {
  const ignoreLoopback = opts.ignoreLoopback ?? true;
  const seen = new Map<string, boolean>();
  for (const c of observed) seen.set(cellKey(c), c.reachable);
  const result: Comparison = { correct: 0, ignored: 0, wrong: [] };
  for (const e of expectations) {
    for (const from of e.reachability.pods) {
      for (const to of e.reachability.pods) {
        if (ignoreLoopback && isLoopback(from, to)) {
          result.ignored++;
          continue;
        }
        const expected = e.reachability.reachable(from, to);
        const got = seen.get(cellKey({ from, to, port: e.port, protocol: e.protocol }));
        if (got === expected) result.correct++;
        else result.wrong.push({ from, to, port: e.port, protocol: e.protocol, expected, observed: got });
      }
    }
  }
  return result;
}

/**
 * A failure message a person can act on: per (port, protocol) with a wrong
 * cell, the expected, observed and comparison tables (upstream's
 * PrintSummary), then each wrong cell with its direction of error.
 */
export function formatComparison(expectations: readonly Expectation[], observed: Iterable<Cell>, comparison: Comparison): string {
  const seen = new Map<string, boolean>();
  for (const c of observed) seen.set(cellKey(c), c.reachable);
  const out: string[] = [`reachability: correct ${comparison.correct}, incorrect ${comparison.wrong.length}, ignored ${comparison.ignored}`];
  for (const e of expectations) {
    const wrongHere = comparison.wrong.filter((w) => w.port === e.port && w.protocol === e.protocol);
    if (wrongHere.length === 0) continue;
    const obs = new TruthTable(e.reachability.pods);
    for (const from of e.reachability.pods) {
      for (const to of e.reachability.pods) {
        const v = seen.get(cellKey({ from, to, port: e.port, protocol: e.protocol }));
        if (v !== undefined) obs.set(from, to, v);
      }
    }
    const loop = (from: string, to: string) => isLoopback(from, to);
    out.push(
      `\n${e.port}/${e.protocol} expected:\n${e.reachability.expected.render((v, f, t) => (loop(f, t) ? "-" : defaultMark(v)))}`,
      `${e.port}/${e.protocol} observed:\n${obs.render((v, f, t) => (loop(f, t) ? "-" : defaultMark(v)))}`,
      `${e.port}/${e.protocol} comparison (X = wrong):\n${e.reachability.expected.render((v, f, t) =>
        loop(f, t) ? "-" : obs.get(f, t) === undefined ? "?" : obs.get(f, t) === v ? "." : "X",
      )}`,
    );
  }
  for (const w of comparison.wrong) {
    const seenText = w.observed === undefined ? "not probed" : w.observed ? "reachable" : "blocked";
    out.push(`${w.from} → ${w.to} ${w.port}/${w.protocol}: expected ${w.expected ? "reachable" : "blocked"}, observed ${seenText}`);
  }
  return out.join("\n");
}
