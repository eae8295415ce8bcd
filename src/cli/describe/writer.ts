// How `kubectl describe` lays text out: a PrefixWriter (two spaces per
// level) into Go's text/tabwriter with minwidth 0, padding 2 (kubectl
// pkg/describe tabbedString), and the helpers every describer shares:
// multi-line labels and annotations, RFC 1123 times, the Events section.
// Pure: the caller passes `now`.
import type { Event } from "../../api/types.js";
import { eventInterval, sortEvents } from "../events.js";

function runeLength(s: string): number {
  return Array.from(s).length;
}

/**
 * Go's text/tabwriter (AlignLeft, pad char ' '): cells end at tabs; a
 * column block is a run of consecutive lines that all have a cell in that
 * column, and each block is as wide as its widest cell plus `padding`. The
 * text after a line's last tab is never padded.
 */
export function tabwrite(text: string, minwidth = 0, padding = 2): string {
  const endsWithNewline = text.endsWith("\n");
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split("\n").map((l) => l.split("\t"));
  if (text === "") return "";
  const out: string[] = [];
  const widths: number[] = [];
  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      out.push(cells.map((c, j) => (j < widths.length && j < cells.length - 1 ? c + " ".repeat(Math.max(0, widths[j]! - runeLength(c))) : c)).join(""));
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      writeLines(line0, i);
      line0 = i;
      let width = minwidth;
      for (; i < line1; i++) {
        const cells = lines[i]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, runeLength(cells[column]!) + padding);
      }
      widths.push(width);
      format(line0, i);
      widths.pop();
      line0 = i;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join("\n") + (endsWithNewline ? "\n" : "");
}

/** kubectl's PrefixWriter over a tab writer that can be flushed (a new alignment starts after each flush). */
export class DescribeWriter {
  private flushed = "";
  private pending = "";

  /** Text at an indentation level (two spaces per level). */
  write(level: number, text: string): void {
    this.pending += "  ".repeat(level) + text;
  }

  /** The rest of a line, then a newline (WriteLine). */
  line(text: string): void {
    this.pending += `${text}\n`;
  }

  flush(): void {
    this.flushed += tabwrite(this.pending);
    this.pending = "";
  }

  toString(): string {
    this.flush();
    return this.flushed;
  }
}

/** Go's time.Format(time.RFC1123Z), e.g. "Mon, 02 Jan 2006 15:04:05 -0700", at the given UTC offset (minutes east). */
export function rfc1123z(ts: string | undefined | null, offsetMinutes = 0): string {
  const t = ts ? Date.parse(ts) : Number.NaN;
  // Go's zero time when absent, as kubectl prints an unset metav1.Time.
  if (Number.isNaN(t)) return "Mon, 01 Jan 0001 00:00:00 +0000";
  const d = new Date(t + offsetMinutes * 60_000);
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const two = (n: number) => String(n).padStart(2, "0");
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${days[d.getUTCDay()]}, ${two(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${sign}${two(Math.trunc(abs / 60))}${two(abs % 60)}`;
}

/** Go's time.Time.String() ("2006-01-02 15:04:05 +0000 UTC"), as describe prints NetworkPolicy's "Created on". */
export function goTimeString(ts: string | undefined | null, offsetMinutes = 0): string {
  const t = ts ? Date.parse(ts) : Number.NaN;
  if (Number.isNaN(t)) return "0001-01-01 00:00:00 +0000 UTC";
  const d = new Date(t + offsetMinutes * 60_000).toISOString();
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const zone = `${sign}${String(Math.trunc(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
  return `${d.slice(0, 10)} ${d.slice(11, 19)} ${zone} ${offsetMinutes === 0 ? "UTC" : zone}`;
}

/** printLabelsMultilineWithIndent: "Labels:\ta=b" then "\tc=d" per further label, sorted; <none> when empty. */
export function labelsMultiline(w: DescribeWriter, title: string, labels: Record<string, string> | undefined, initialIndent = "", innerIndent = "\t"): void {
  w.write(0, `${initialIndent}${title}:${innerIndent}`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) {
    w.line("<none>");
    return;
  }
  keys.forEach((k, i) => {
    if (i > 0) w.write(0, `${initialIndent}${innerIndent}`);
    w.write(0, `${k}=${labels![k]}\n`);
  });
}

/** describe's annotations: sorted, kubectl.kubernetes.io/last-applied-configuration left out, long or multi-line values on their own lines. */
export function annotationsMultiline(w: DescribeWriter, title: string, annotations: Record<string, string> | undefined): void {
  const MAX = 140;
  w.write(0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {})
    .filter((k) => k !== "kubectl.kubernetes.io/last-applied-configuration")
    .sort();
  if (keys.length === 0) {
    w.line("<none>");
    return;
  }
  keys.forEach((k, i) => {
    if (i > 0) w.write(0, "\t");
    const value = annotations![k]!.replace(/\n$/, "");
    if (value.length + k.length + 2 > MAX || value.includes("\n")) {
      w.write(0, `${k}:\n`);
      for (const s of value.split("\n")) w.write(0, `\t  ${s.length > MAX - 2 ? `${s.slice(0, MAX - 2)}...` : s}\n`);
    } else {
      w.write(0, `${k}: ${value}\n`);
    }
  });
}

/** DescribeEvents: a flush, then Type Reason Age From Message, oldest first; "Events:\t<none>" when there are none. */
export function describeEvents(w: DescribeWriter, events: readonly Event[], now: number): void {
  if (events.length === 0) {
    w.write(0, "Events:\t<none>\n");
    return;
  }
  w.flush();
  w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
  w.write(1, "----\t------\t----\t----\t-------\n");
  for (const e of sortEvents(events)) {
    const source = e.source?.component || e.reportingComponent || "";
    // kubectl 1.32 prints the message alone (later versions put the involved field path first).
    w.write(1, `${e.type ?? ""}\t${e.reason ?? ""}\t${eventInterval(e, now)}\t${source}\t${(e.message ?? "").trim()}\n`);
  }
}
