// Cell formats shared by the printers, as kubectl's and kube-apiserver's
// printers write them (apimachinery util/duration, labels.FormatLabels,
// metav1.FormatLabelSelector). Pure: the caller passes `now`.
import type { Container, LabelSelector } from "../types.js";
import { parseTime } from "../podstatus.js";

/**
 * apimachinery's duration.HumanDuration: about two significant units, e.g.
 * 45s, 119s, 2m30s, 45m, 3h5m, 20h, 3d4h, 30d, 2y10d.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** The printers' translateTimestampSince: "<unknown>" for a missing time. */
export function since(ts: string | undefined | null, now: number): string {
  const t = parseTime(ts ?? undefined);
  return t === undefined ? "<unknown>" : humanDuration(now - t);
}

/** labels.FormatLabels: "a=b,c=d" sorted by key, "<none>" when empty. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return "<none>";
  return keys.map((k) => `${k}=${labels![k]}`).join(",");
}

/**
 * A label selector as apimachinery's Selector.String() renders it:
 * requirements sorted by key, "k=v", "k in (a,b)", "k notin (a,b)", "k",
 * "!k". Undefined when the selector is invalid.
 */
export function selectorString(sel: LabelSelector | undefined): string | undefined {
  if (!sel) return "";
  const reqs: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    reqs.push({ key, text: `${key}=${value}` });
  }
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort();
    switch (e.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) return undefined;
        reqs.push({ key: e.key, text: `${e.key} ${e.operator === "In" ? "in" : "notin"} (${values.join(",")})` });
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length !== 0) return undefined;
        reqs.push({ key: e.key, text: e.operator === "Exists" ? e.key : `!${e.key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(",");
}

/** metav1.FormatLabelSelector: "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(sel: LabelSelector | undefined): string {
  const s = selectorString(sel);
  if (s === undefined) return "<error>";
  return s === "" ? "<none>" : s;
}

/** The CONTAINERS and IMAGES cells of a pod template: names and images, comma-joined. */
export function containerCells(containers: Container[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name).join(","), cs.map((c) => c.image ?? "").join(",")];
}

/** The printers' list-with-more: the first 3, then " + N more...", "<unset>" if none. */
export function listWithMore(values: string[]): string {
  const max = 3;
  if (values.length > max) return `${values.slice(0, max).join(",")} + ${values.length - max} more...`;
  return values.length === 0 ? "<unset>" : values.join(",");
}
