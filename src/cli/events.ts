// Events as `kubectl events` and `kubectl describe` print them (kubectl
// pkg/cmd/events: SortableEvents, EventPrinter, getInterval). Pure: the
// caller passes `now`.
import type { Event } from "../api/types.js";
import { humanDuration } from "../api/table/cells.js";
import { formatTable } from "./printers.js";

function time(ts: string | undefined | null): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/** The time kubectl sorts an event by: its series' last observation, else lastTimestamp, else eventTime. */
export function eventSortTime(ev: Event): number {
  if (ev.series) return time(ev.series.lastObservedTime) ?? 0;
  return time(ev.lastTimestamp) ?? time(ev.eventTime) ?? 0;
}

/** Oldest first, as SortableEvents (a stable sort: equal times keep the server's order). */
export function sortEvents<T extends Event>(events: readonly T[]): T[] {
  return [...events].sort((a, b) => eventSortTime(a) - eventSortTime(b));
}

function sinceText(t: number | undefined, now: number): string {
  return t === undefined ? "<unknown>" : humanDuration(now - t);
}

/** "5s", or "2s (x3 over 40s)" for an event seen several times (getInterval). */
export function eventInterval(ev: Event, now: number): string {
  const first = ev.eventTime ? sinceText(time(ev.eventTime), now) : sinceText(time(ev.firstTimestamp), now);
  if (ev.series) return `${sinceText(time(ev.series.lastObservedTime), now)} (x${ev.series.count ?? 0} over ${first})`;
  if ((ev.count ?? 0) > 1) return `${sinceText(time(ev.lastTimestamp), now)} (x${ev.count} over ${first})`;
  return first;
}

/** The types --types accepts, case-insensitively. */
export function parseEventTypes(value: string | undefined): string[] | undefined {
  if (value === undefined || value === "") return undefined;
  const types = value.split(",").map((t) => t.trim());
  for (const t of types) if (!/^(normal|warning)$/i.test(t)) throw new Error("valid --types are Normal or Warning");
  return types.map((t) => t.toLowerCase());
}

/** The table `kubectl events` prints: [NAMESPACE] LAST SEEN TYPE REASON OBJECT MESSAGE, oldest first. */
export function renderEvents(events: readonly Event[], opts: { now: number; allNamespaces?: boolean; noHeaders?: boolean }): string {
  const rows: string[][] = [];
  if (!opts.noHeaders) rows.push([...(opts.allNamespaces ? ["NAMESPACE"] : []), "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
  for (const ev of sortEvents(events)) rows.push(eventRow(ev, opts));
  return formatTable(rows);
}

/** One event's row of `kubectl events`. */
export function eventRow(ev: Event, opts: { now: number; allNamespaces?: boolean }): string[] {
  return [
    ...(opts.allNamespaces ? [ev.metadata.namespace ?? ""] : []),
    eventInterval(ev, opts.now),
    ev.type ?? "",
    ev.reason ?? "",
    `${ev.involvedObject?.kind ?? ""}/${ev.involvedObject?.name ?? ""}`,
    (ev.message ?? "").trim(),
  ];
}
