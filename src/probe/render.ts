// The matrix for people and programs: truth tables as upstream's e2e prints
// them (rows from, columns to; `.` reachable, `X` blocked, `?` unknown; one
// table per port/protocol), a wide form with addresses and why each cell is
// blocked, and JSON. Tables read back with --expect. Pure.
import { mark } from "./expect.js";
import { cellKey, ppText, type MatrixEnd, type ProbeMatrix } from "./model.js";

export interface RenderOptions {
  /** ANSI colours (only on a terminal, and not with NO_COLOR) */
  color?: boolean;
}

const COLORS: Record<string, string> = { ".": "\x1b[32m", X: "\x1b[31m", "?": "\x1b[33m" };
const paint = (m: string, color: boolean | undefined) => (color ? `${COLORS[m]}${m}\x1b[0m` : m);

/** One table per port/protocol; columns are only the targets probed on it. Each table ends with a blank line. */
export function renderTables(matrix: ProbeMatrix, options: RenderOptions = {}): string {
  const byKey = new Map(matrix.cells.map((c) => [cellKey(c), c]));
  const out: string[] = [];
  for (const pp of matrix.portProtocols) {
    const probedTo = new Set(matrix.cells.filter((c) => c.port === pp.port && c.protocol === pp.protocol).map((c) => c.to));
    const targets = matrix.targets.filter((t) => probedTo.has(t.key));
    if (targets.length === 0) continue;
    const rowWidth = Math.max(1, ...matrix.sources.map((s) => s.key.length));
    const widths = targets.map((t) => t.key.length);
    out.push(ppText(pp));
    out.push(row("-", rowWidth, targets.map((t) => t.key), widths));
    for (const s of matrix.sources) {
      const marks = targets.map((t) => {
        const c = byKey.get(cellKey({ from: s.key, to: t.key, port: pp.port, protocol: pp.protocol }));
        return c ? mark(c.reachable) : "?";
      });
      out.push(row(s.key, rowWidth, marks, widths, options.color));
    }
    out.push("");
  }
  return out.map((l) => `${l}\n`).join("");
}

function row(first: string, firstWidth: number, cells: string[], widths: number[], color?: boolean): string {
  const parts = [first.padEnd(firstWidth)];
  cells.forEach((c, i) => parts.push(i === cells.length - 1 ? paint(c, color) : paint(c, color) + " ".repeat(Math.max(0, widths[i]! - c.length))));
  return parts.join("  ").trimEnd();
}

/** The legend and what a reader should know, after the tables. */
export function renderFooter(matrix: ProbeMatrix): string {
  const lines = [". reachable   X blocked   ? unknown (protocol not supported by this kernel)   rows: from, columns: to"];
  if (matrix.sources.some((s) => matrix.targets.some((t) => t.key === s.key))) {
    lines.push("the diagonal (a pod to its own IP) never leaves the pod: --expect and --compare ignore it, as upstream's e2e does (--loopback compares it)");
  }
  for (const n of matrix.notes) lines.push(n);
  lines.push(timing(matrix));
  return `${lines.join("\n")}\n`;
}

export function timing(matrix: ProbeMatrix): string {
  const pods = matrix.sources.length;
  return `probed ${matrix.cells.length} cells from ${pods} pod${pods === 1 ? "" : "s"} in ${(matrix.elapsedMs / 1000).toFixed(2)}s (timeout ${matrix.timeoutMs} ms per probe)`;
}

/** Tables, then every end with its address and node, then every cell that is not reachable with the reason. */
export function renderWide(matrix: ProbeMatrix, options: RenderOptions = {}): string {
  const ends = new Map<string, MatrixEnd>();
  for (const e of [...matrix.sources, ...matrix.targets]) ends.set(e.key, e);
  const endRows = [...ends.values()].map((e) => [e.key, e.kind === "service" ? "Service" : e.kind === "outside" ? "host" : "Pod", e.ip, e.node ?? "", e.hostNetwork ? "hostNetwork" : ""]);
  const blocked = matrix.cells.filter((c) => c.reachable !== true).map((c) => [c.from, c.to, `${c.address}:${c.port}`, c.protocol, mark(c.reachable), c.detail]);
  return [
    renderTables(matrix, options),
    columns([["NAME", "KIND", "IP", "NODE", "NOTE"], ...endRows]),
    "\n",
    blocked.length === 0 ? "every cell is reachable\n" : columns([["FROM", "TO", "ADDRESS", "PROTOCOL", "RESULT", "DETAIL"], ...blocked]),
    "\n",
  ].join("");
}

function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r.map((c, i) => c.padEnd(widths[i]!)).join("   ").trimEnd()}\n`).join("");
}

/** `{"cells": [{from, to, port, protocol, reachable, detail}, ...]}`, the shape --expect reads back (extra keys follow the cells). */
export function renderJson(matrix: ProbeMatrix, extra: Record<string, unknown[]> = {}): string {
  // One cell per line: easy to read, to diff and to edit into an expectation.
  const cells = matrix.cells.map((c) => `    ${JSON.stringify({ from: c.from, to: c.to, port: c.port, protocol: c.protocol, reachable: c.reachable, detail: c.detail })}`);
  const list = (items: string[]) => (items.length === 0 ? "[]" : `[\n${items.join(",\n")}\n  ]`);
  const more = Object.entries(extra).map(([k, v]) => `,\n  ${JSON.stringify(k)}: ${list(v.map((x) => `    ${JSON.stringify(x)}`))}`);
  return `{\n  "cells": ${list(cells)}${more.join("")}\n}\n`;
}
