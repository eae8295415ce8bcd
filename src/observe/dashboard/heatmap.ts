// The probe's reachability matrix as the page draws it: one grid per
// port/protocol, rows the sources, columns the targets, each cell reachable
// (1), blocked (0), unknown (null: a protocol the kernel lacks) or not probed
// (-1: a Service is probed on its own ports only). Pure.
import { cellKey, ppText, type ProbeMatrix } from "../../probe/model.js";

export type HeatValue = 1 | 0 | -1 | null;

export interface HeatGrid {
  /** `80/TCP` */
  title: string;
  rows: string[];
  cols: string[];
  /** cells[row][col] */
  cells: HeatValue[][];
  /** the probe's word for each blocked cell, same shape ("" otherwise): timeout, refused… */
  details: string[][];
  reachable: number;
  blocked: number;
}

export interface Heatmap {
  grids: HeatGrid[];
  elapsedMs: number;
  notes: string[];
  /** when the probe finished (ms since the epoch) */
  at: number;
}

export function buildHeatmap(matrix: ProbeMatrix, at: number): Heatmap {
  const byKey = new Map(matrix.cells.map((c) => [cellKey(c), c]));
  const rows = matrix.sources.map((s) => s.key);
  const cols = matrix.targets.map((t) => t.key);
  const grids = matrix.portProtocols.map((pp): HeatGrid => {
    let reachable = 0;
    let blocked = 0;
    const details: string[][] = [];
    const cells = rows.map((from) => {
      const line: string[] = [];
      details.push(line);
      return cols.map((to): HeatValue => {
        const c = byKey.get(cellKey({ from, to, port: pp.port, protocol: pp.protocol }));
        line.push(c && c.reachable === false ? c.detail : "");
        if (!c) return -1;
        if (c.reachable === true) reachable++;
        if (c.reachable === false) blocked++;
        return c.reachable === null ? null : c.reachable ? 1 : 0;
      });
    });
    return { title: ppText(pp), rows, cols, cells, details, reachable, blocked };
  });
  return { grids, elapsedMs: matrix.elapsedMs, notes: matrix.notes, at };
}
