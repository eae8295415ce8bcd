// Picking values out of parsed samples (pure): the sum of a metric over the
// series whose labels match, as a PromQL `sum(name{l="v"})` would give it.
import type { Sample } from "./parse.js";

export function matches(sample: Sample, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(labels)) if ((sample.labels[k] ?? "") !== v) return false;
  return true;
}

/** The sum over the series of `name` whose labels include `labels` (0 when there are none). */
export function sumOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) if (s.name === name && matches(s, labels)) total += s.value;
  return total;
}

/** The series of `name` whose labels include `labels`. */
export function seriesOf(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && matches(s, labels));
}
