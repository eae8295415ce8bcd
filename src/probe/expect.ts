// Expected reachability (`kemu probe --expect FILE`, or the policies'
// verdicts with --compare) and its comparison with what was observed, as
// upstream's Reachability.Summary does: the diagonal (a pod to itself) is
// ignored unless asked for (ignoreLoopback, kubernetes#95879), each wrong
// cell is named with the direction of the error. Pure.
import { ProbeError } from "./errors.js";
import { cellKey, comparePortProtocols, PROBE_PROTOCOLS, ppText, type PortProtocol, type ProbeCell, type ProbeDetail, type ProbeMatrix, type ProbeProtocol } from "./model.js";

export interface ExpectedCell {
  from: string;
  to: string;
  port: number;
  protocol: ProbeProtocol;
  /** null: no expectation for this cell */
  reachable: boolean | null;
  /** why (the evaluator's one-line explanation, with --compare) */
  why?: string;
}

export type Expectation = ExpectedCell[];

export const mark = (v: boolean | null | undefined): string => (v === true ? "." : v === false ? "X" : "?");

/** Reads an expectation in either shape: `{"cells": [...]}` (what -o json prints) or truth tables (what the table output prints). */
export function parseExpectation(text: string, source: string): Expectation {
  const start = text.trimStart()[0];
  const cells = start === "{" || start === "[" ? parseJsonCells(text, source) : parseTables(text, source);
  if (cells.length === 0) throw new ProbeError(`${source}: no cells: expected {"cells": [...]} as kemu probe -o json prints, or tables as kemu probe prints`);
  const seen = new Map<string, ExpectedCell>();
  for (const c of cells) {
    const before = seen.get(cellKey(c));
    if (before && before.reachable !== c.reachable) throw new ProbeError(`${source}: ${describeCell(c)} is expected both ${mark(before.reachable)} and ${mark(c.reachable)}`);
    seen.set(cellKey(c), c);
  }
  return [...seen.values()];
}

function parseJsonCells(text: string, source: string): ExpectedCell[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ProbeError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { cells?: unknown } | null)?.cells;
  const where = Array.isArray(doc) ? "" : "cells";
  if (!Array.isArray(list)) throw new ProbeError(`${source}: expected an object {"cells": [...]}`);
  return list.map((raw: unknown, i) => {
    const at = `${source}: ${where}[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ProbeError(`${at}: expected an object {from, to, port, protocol, reachable}`);
    const c = raw as Record<string, unknown>;
    for (const f of ["from", "to"] as const) {
      if (typeof c[f] !== "string" || c[f] === "") throw new ProbeError(`${at}.${f}: expected a pod as "ns/name"${f === "to" ? ', a Service as "svc:ns/name" or "outside"' : ""}, got ${JSON.stringify(c[f])}`);
    }
    const port = c.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) throw new ProbeError(`${at}.port: expected a number from 1 to 65535, got ${JSON.stringify(port)}`);
    const protocol = typeof c.protocol === "string" ? c.protocol.toUpperCase() : c.protocol;
    if (!(PROBE_PROTOCOLS as readonly unknown[]).includes(protocol)) throw new ProbeError(`${at}.protocol: expected TCP, UDP or SCTP, got ${JSON.stringify(c.protocol)}`);
    if (c.reachable !== true && c.reachable !== false && c.reachable !== null) throw new ProbeError(`${at}.reachable: expected true, false or null, got ${JSON.stringify(c.reachable)}`);
    return { from: c.from as string, to: c.to as string, port, protocol: protocol as ProbeProtocol, reachable: c.reachable };
  });
}

const HEADING_RE = /^\s*(\d+(?:\s*,\s*\d+)*)\s*\/\s*((?:tcp|udp|sctp)(?:\s*,\s*(?:tcp|udp|sctp))*)\b/i;

/**
 * Truth tables: a heading `PORT/PROTOCOL` (lists allowed: `80,81/TCP,UDP`
 * applies the table to each combination), a header row `- TO...`, then one
 * row `FROM MARK...` per source with `.` reachable, `X` blocked, `?` no
 * expectation. A blank line ends a table; other text between tables is ignored.
 */
function parseTables(text: string, source: string): ExpectedCell[] {
  const cells: ExpectedCell[] = [];
  let heading: { pps: PortProtocol[]; line: number } | undefined;
  let columns: string[] | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === "") {
      columns = undefined;
      return;
    }
    const h = HEADING_RE.exec(line);
    if (h) {
      const ports = h[1]!.split(",").map((p) => Number(p.trim()));
      const bad = ports.find((p) => p < 1 || p > 65535);
      if (bad !== undefined) throw new ProbeError(`${source}:${n}: invalid port ${bad} in ${JSON.stringify(line)}: expected 1 to 65535`);
      const protocols = [...new Set(h[2]!.split(",").map((p) => p.trim().toUpperCase() as ProbeProtocol))];
      heading = { pps: ports.flatMap((port) => protocols.map((protocol) => ({ port, protocol }))), line: n };
      columns = undefined;
      return;
    }
    const tokens = line.split(/\s+/);
    if (tokens[0] === "-") {
      if (!heading) throw new ProbeError(`${source}:${n}: a table needs a heading PORT/PROTOCOL (like 80/TCP) on a line above its header`);
      columns = tokens.slice(1);
      if (columns.length === 0) throw new ProbeError(`${source}:${n}: the header row names no targets`);
      const dup = columns.find((c, j) => columns!.indexOf(c) !== j);
      if (dup) throw new ProbeError(`${source}:${n}: target ${dup} appears twice in the header row`);
      return;
    }
    if (!columns) return; // text outside a table (a legend, a summary)
    const [from, ...marks] = tokens;
    if (marks.length !== columns.length) throw new ProbeError(`${source}:${n}: row ${from} has ${marks.length} marks for ${columns.length} targets`);
    marks.forEach((m, j) => {
      const reachable = m === "." ? true : m === "X" || m === "x" ? false : m === "?" ? null : undefined;
      if (reachable === undefined) throw new ProbeError(`${source}:${n}: unknown mark ${JSON.stringify(m)} for ${from} -> ${columns![j]}: expected . (reachable), X (blocked) or ? (no expectation)`);
      for (const pp of heading!.pps) cells.push({ from: from!, to: columns![j]!, port: pp.port, protocol: pp.protocol, reachable });
    });
  });
  return cells;
}

export interface Difference {
  from: string;
  to: string;
  port: number;
  protocol: ProbeProtocol;
  expected: boolean;
  /** undefined: the cell was not probed (no such pod, or not running) */
  observed: boolean | null | undefined;
  detail?: ProbeDetail;
  why?: string;
}

export interface Comparison {
  /** expected one thing, observed the other (or nothing could be probed) */
  mismatches: Difference[];
  /** observed "?" (a protocol this kernel lacks): neither right nor wrong */
  unknown: Difference[];
  /** cells compared and equal */
  agreed: number;
  /** diagonal cells left out (upstream's ignoreLoopback) */
  ignoredLoopback: number;
  /** observed cells the expectation says nothing about (or "?" for) */
  unexpected: number;
  /** mismatching cells probed a second time before this verdict */
  reprobed: number;
}

export function compareWithExpectation(matrix: Pick<ProbeMatrix, "cells">, expectation: Expectation, options: { loopback?: boolean; reprobed?: number } = {}): Comparison {
  const observed = new Map(matrix.cells.map((c) => [cellKey(c), c]));
  const result: Comparison = { mismatches: [], unknown: [], agreed: 0, ignoredLoopback: 0, unexpected: 0, reprobed: options.reprobed ?? 0 };
  const expectedKeys = new Set<string>();
  for (const e of expectation) {
    if (e.reachable === null) continue;
    expectedKeys.add(cellKey(e));
    if (!options.loopback && e.from === e.to) {
      result.ignoredLoopback++;
      continue;
    }
    const o: ProbeCell | undefined = observed.get(cellKey(e));
    const diff: Difference = { from: e.from, to: e.to, port: e.port, protocol: e.protocol, expected: e.reachable, observed: o?.reachable, ...(o ? { detail: o.detail } : {}), ...(e.why ? { why: e.why } : {}) };
    if (o?.reachable === null) result.unknown.push(diff);
    else if (o?.reachable === e.reachable) result.agreed++;
    else result.mismatches.push(diff);
  }
  for (const c of matrix.cells) if (!expectedKeys.has(cellKey(c))) result.unexpected++;
  const order = (a: Difference, b: Difference) => comparePortProtocols(a, b) || a.from.localeCompare(b.from) || a.to.localeCompare(b.to);
  result.mismatches.sort(order);
  result.unknown.sort(order);
  return result;
}

export function describeCell(c: { from: string; to: string; port: number; protocol: ProbeProtocol }): string {
  return `${c.from} -> ${c.to} ${ppText(c)}`;
}

/** `x/a -> y/b 80/TCP: expected X, observed .` per difference, then a summary line. */
export function renderComparison(c: Comparison): string {
  const lines = c.mismatches.map((d) => {
    const seen = d.observed === undefined ? "not probed (no such running pod, or its port/protocol was not probed)" : `observed ${mark(d.observed)}${d.observed === false && d.detail ? ` (${d.detail})` : ""}`;
    return `${describeCell(d)}: expected ${mark(d.expected)}, ${seen}${d.why ? `\n    ${d.why.split("\n").join("\n    ")}` : ""}`;
  });
  const total = c.mismatches.length + c.agreed;
  const parts = [c.mismatches.length === 0 ? `all ${cells(total)} as expected` : `${c.mismatches.length} of ${cells(total)} differ${c.reprobed > 0 ? " (each probed twice)" : ""}`];
  if (c.ignoredLoopback > 0) parts.push(`${cells(c.ignoredLoopback, "loopback cell")} (a pod to itself) ignored, as upstream's e2e does (--loopback compares them)`);
  if (c.unknown.length > 0) parts.push(`${cells(c.unknown.length)} unknown (? : ${[...new Set(c.unknown.map((u) => u.protocol))].join(", ")} unsupported by this kernel), not counted`);
  if (c.unexpected > 0) parts.push(`${cells(c.unexpected, "probed cell")} without an expectation`);
  lines.push(parts.join("; "));
  return `${lines.join("\n")}\n`;
}

const cells = (n: number, what = "cell") => `${n} ${what}${n === 1 ? "" : "s"}`;

/** What an expectation covers: the scope to probe when no flags say otherwise. */
export function expectationScope(e: Expectation): { namespaces: string[]; portProtocols: PortProtocol[]; services: boolean; outside: boolean } {
  const namespaces = new Set<string>();
  const pps = new Map<string, PortProtocol>();
  let services = false;
  let outside = false;
  for (const c of e) {
    for (const end of [c.from, c.to]) {
      if (end === "outside") outside = true;
      else if (end.startsWith("svc:")) services = true;
      else if (end.includes("/")) namespaces.add(end.slice(0, end.indexOf("/")));
    }
    pps.set(ppText(c), { port: c.port, protocol: c.protocol });
  }
  return { namespaces: [...namespaces].sort(), portProtocols: [...pps.values()].sort(comparePortProtocols), services, outside };
}
