// Prometheus text exposition format 0.0.4 → samples. Pure; what the
// dashboard and the tests read a component's /metrics with. Histograms come
// out as their _bucket (with an "le" label), _sum and _count samples, as the
// format writes them. Comments (# HELP, # TYPE) are read for the type only.
// Format: https://prometheus.io/docs/instrumenting/exposition_formats/

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** milliseconds since the epoch, when the line carries one */
  timestampMs?: number;
}

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** The samples of an exposition, in the order they appear. Throws on a malformed line, naming it. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      samples.push(parseSampleLine(line));
    } catch (err) {
      throw new Error(`metrics text line ${i + 1}: ${(err as Error).message}: ${JSON.stringify(line)}`);
    }
  }
  return samples;
}

/** The `# TYPE` of each metric family named in the text. */
export function parseMetricTypes(text: string): Map<string, MetricType> {
  const types = new Map<string, MetricType>();
  for (const line of text.split("\n")) {
    const m = /^#\s*TYPE\s+(\S+)\s+(counter|gauge|histogram|summary|untyped)\s*$/.exec(line.trim());
    if (m) types.set(m[1]!, m[2] as MetricType);
  }
  return types;
}

function parseSampleLine(line: string): Sample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new Error("expected a metric name");
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    for (;;) {
      rest = rest.trimStart();
      if (rest.startsWith("}")) {
        rest = rest.slice(1);
        break;
      }
      const label = LABEL_NAME.exec(rest)?.[0];
      if (!label) throw new Error("expected a label name or }");
      rest = rest.slice(label.length).trimStart();
      if (!rest.startsWith('="')) throw new Error(`expected ="…" after label ${label}`);
      const { value, end } = readQuoted(rest, 2);
      labels[label] = value;
      rest = rest.slice(end).trimStart();
      if (rest.startsWith(",")) rest = rest.slice(1);
      else if (!rest.startsWith("}")) throw new Error("expected , or } after a label value");
    }
  }
  const fields = rest.trim().split(/\s+/);
  if (fields.length < 1 || fields.length > 2 || fields[0] === "") throw new Error("expected a value and an optional timestamp");
  const value = parseValue(fields[0]!);
  const sample: Sample = { name, labels, value };
  if (fields[1] !== undefined) {
    if (!/^-?\d+$/.test(fields[1])) throw new Error(`expected an integer timestamp, got ${fields[1]}`);
    sample.timestampMs = Number(fields[1]);
  }
  return sample;
}

/** A label value from just after its opening quote: \\, \" and \n are the escapes. */
function readQuoted(s: string, start: number): { value: string; end: number } {
  let out = "";
  for (let i = start; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return { value: out, end: i + 1 };
    if (c === "\\") {
      const n = s[++i];
      if (n === "n") out += "\n";
      else if (n === "\\" || n === '"') out += n;
      else throw new Error(`unknown escape \\${n ?? ""} in a label value`);
    } else out += c;
  }
  throw new Error("unterminated label value");
}

/** Go's ParseFloat spellings that the format uses: +Inf, -Inf, NaN, and decimal or exponent numbers. */
function parseValue(v: string): number {
  if (v === "+Inf" || v === "Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  if (v === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`expected a number, got ${v}`);
  return Number(v);
}
