// The probe's output: upstream's truth-table layout (rows from, columns to,
// `.` reachable, `X` blocked, `?` unknown; kubernetes test/e2e/network/netpol
// truthtable.go PrettyPrint), the wide form and the JSON shape --expect reads.
import { describe, expect, it } from "vitest";
import type { MatrixEnd, ProbeCell, ProbeDetail, ProbeMatrix } from "../../src/probe/model.js";
import { reachableOf } from "../../src/probe/model.js";
import { renderFooter, renderJson, renderTables, renderWide } from "../../src/probe/render.js";
import { parseExpectation } from "../../src/probe/expect.js";

const pod = (key: string, ip: string, node: string): MatrixEnd => ({ key, kind: "pod", ip, node });
const A = pod("x/a", "10.244.1.2", "node-1");
const B = pod("x/b", "10.244.2.2", "node-2");
const C = pod("y/c", "10.244.1.3", "node-1");

function cell(from: MatrixEnd, to: MatrixEnd, port: number, protocol: ProbeCell["protocol"], detail: ProbeDetail): ProbeCell {
  return { from: from.key, to: to.key, port, protocol, reachable: reachableOf(detail), detail, address: to.ip };
}

/** 3 pods on 80/TCP (c refuses a) and 80/SCTP (unsupported), plus a Service on 80/TCP only. */
function matrix(): ProbeMatrix {
  const svc: MatrixEnd = { key: "svc:y/web", kind: "service", ip: "10.96.0.20" };
  const pods = [A, B, C];
  const cells: ProbeCell[] = [];
  for (const f of pods) {
    for (const t of pods) cells.push(cell(f, t, 80, "TCP", f === C && t === A ? "refused" : f === A && t === C ? "timeout" : "ok"));
    cells.push(cell(f, svc, 80, "TCP", "ok"));
  }
  for (const f of pods) for (const t of pods) cells.push(cell(f, t, 80, "SCTP", "unsupported"));
  return { sources: pods, targets: [...pods, svc], portProtocols: [{ port: 80, protocol: "TCP" }, { port: 80, protocol: "SCTP" }], cells, timeoutMs: 1000, elapsedMs: 432, notes: [] };
}

describe("probe tables", () => {
  it("print one table per port/protocol, columns only where probed, as upstream's truth table", () => {
    expect(renderTables(matrix())).toBe(
      [
        "80/TCP",
        "-    x/a  x/b  y/c  svc:y/web",
        "x/a  .    .    X    .",
        "x/b  .    .    .    .",
        "y/c  X    .    .    .",
        "",
        "80/SCTP",
        "-    x/a  x/b  y/c",
        "x/a  ?    ?    ?",
        "x/b  ?    ?    ?",
        "y/c  ?    ?    ?",
        "",
        "",
      ].join("\n"),
    );
  });

  it("colour the marks only when asked (a terminal)", () => {
    const text = renderTables(matrix(), { color: true });
    expect(text).toContain("x/a  \x1b[32m.\x1b[0m    \x1b[32m.\x1b[0m    \x1b[31mX\x1b[0m    \x1b[32m.\x1b[0m\n");
    expect(text).toContain("\x1b[33m?\x1b[0m");
    expect(renderTables(matrix())).not.toContain("\x1b[");
  });

  it("end with the legend, the loopback note (upstream's ignoreLoopback), the notes and the timing", () => {
    const m = { ...matrix(), notes: ["left out (only Running pods with an IP are probed): x/d (Pending)"] };
    expect(renderFooter(m)).toBe(
      [
        ". reachable   X blocked   ? unknown (protocol not supported by this kernel)   rows: from, columns: to",
        "the diagonal (a pod to its own IP) never leaves the pod: --expect and --compare ignore it, as upstream's e2e does (--loopback compares it)",
        "left out (only Running pods with an IP are probed): x/d (Pending)",
        "probed 21 cells from 3 pods in 0.43s (timeout 1000 ms per probe)",
        "",
      ].join("\n"),
    );
  });

  it("read back with --expect as the same cells", () => {
    const m = matrix();
    const back = parseExpectation(renderTables(m) + renderFooter(m), "out.txt");
    const pick = (c: { from: string; to: string; port: number; protocol: string; reachable: boolean | null }) => `${c.from} ${c.to} ${c.port}/${c.protocol} ${c.reachable}`;
    expect(back.map(pick).sort()).toEqual(m.cells.map(pick).sort());
  });
});

describe("probe -o wide", () => {
  it("adds every end's address and node, and why each cell is not reachable", () => {
    const text = renderWide(matrix());
    expect(text.slice(renderTables(matrix()).length)).toBe(
      [
        "NAME        KIND      IP           NODE     NOTE",
        "x/a         Pod       10.244.1.2   node-1",
        "x/b         Pod       10.244.2.2   node-2",
        "y/c         Pod       10.244.1.3   node-1",
        "svc:y/web   Service   10.96.0.20",
        "",
        "FROM   TO    ADDRESS         PROTOCOL   RESULT   DETAIL",
        "x/a    y/c   10.244.1.3:80   TCP        X        timeout",
        "y/c    x/a   10.244.1.2:80   TCP        X        refused",
        ...["x/a", "x/b", "y/c"].flatMap((f) =>
          [A, B, C].map((t) => `${f}    ${t.key}   ${t.ip}:80   SCTP       ?        unsupported`),
        ),
        "",
        "",
      ].join("\n"),
    );
  });
});

describe("probe -o json", () => {
  it("prints {cells: [...]} with one cell per line, in table order", () => {
    const m = matrix();
    const text = renderJson({ ...m, cells: m.cells.slice(0, 2) });
    expect(text).toBe(
      '{\n  "cells": [\n' +
        '    {"from":"x/a","to":"x/a","port":80,"protocol":"TCP","reachable":true,"detail":"ok"},\n' +
        '    {"from":"x/a","to":"x/b","port":80,"protocol":"TCP","reachable":true,"detail":"ok"}\n' +
        "  ]\n}\n",
    );
    expect(JSON.parse(renderJson(m)).cells).toHaveLength(21);
    expect(JSON.parse(renderJson({ ...m, cells: [] }))).toEqual({ cells: [] });
    expect(JSON.parse(renderJson({ ...m, cells: [] }, { mismatches: [{ from: "x/a" }] }))).toEqual({ cells: [], mismatches: [{ from: "x/a" }] });
  });
});
