// kubectl's JSONPath dialect (k8s.io/client-go/util/jsonpath), as `-o jsonpath=`
// and `-o custom-columns=` use it: a template of literal text and {actions},
// where an action is a path (.a.b, [0], [1:3:2], [*], .*, .., ['a','b'],
// [?(@.x=="y")]), a quoted string ({"\n"}), or {range PATH}…{end}.
//
// Pure: parse once, evaluate against plain JSON data. Behaviour follows
// upstream's jsonpath.go and its tests (restated in
// test/unit/jsonpath.test.ts): a path yields a list of values, the values
// of one action are printed separated by one space, strings as they are,
// maps and lists as compact JSON, missing keys print nothing when
// allowMissingKeys is on (kubectl's default) and are an error otherwise.

export class JsonPathError extends Error {
  override name = "JsonPathError";
}

// ---------------------------------------------------------------------------
// The parsed form

type Step =
  | { kind: "root" }
  | { kind: "current" }
  | { kind: "field"; name: string }
  | { kind: "wildcard" }
  | { kind: "recursive" }
  | { kind: "slice"; start?: number; end?: number; step?: number; single: boolean }
  | { kind: "union"; branches: Step[][] }
  | { kind: "filter"; left: Operand; operator: FilterOperator | "exists"; right?: Operand };

type Operand = { kind: "path"; steps: Step[] } | { kind: "literal"; value: string | number | boolean };

type FilterOperator = "==" | "!=" | "<" | ">" | "<=" | ">=" | "=~";
const FILTER_OPERATORS: readonly string[] = ["==", "!=", "<", ">", "<=", ">=", "=~"];

type TemplateNode = { kind: "text"; text: string } | { kind: "path"; steps: Step[] } | { kind: "range"; steps: Step[]; body: TemplateNode[] };

export interface JsonPathTemplate {
  readonly source: string;
  readonly nodes: readonly TemplateNode[];
}

// ---------------------------------------------------------------------------
// Parsing

/** Splits a template into literal text and the contents of its {actions}, braces inside quotes included in the action. */
function splitActions(template: string): { text?: string; action?: string }[] {
  const parts: { text?: string; action?: string }[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    if (open < 0) {
      parts.push({ text: template.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: template.slice(i, open) });
    let j = open + 1;
    let quote: string | undefined;
    for (; j < template.length; j++) {
      const c = template[j]!;
      if (quote) {
        if (c === "\\") j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === "}") break;
    }
    if (j >= template.length) throw new JsonPathError(`unclosed action in ${JSON.stringify(template)}: expected "}"`);
    parts.push({ action: template.slice(open + 1, j) });
    i = j + 1;
  }
  return parts;
}

/** Go's strconv.Unquote for the quoted strings of a template ("…" with escapes, or '…' as they are). */
function unquote(quoted: string): string {
  const q = quoted[0];
  const body = quoted.slice(1, -1);
  if (q === "'") return body;
  const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", "'": "'", a: "\x07", b: "\b", f: "\f", v: "\v", "0": "\0" };
  return body.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    const out = escapes[e];
    if (out === undefined) throw new JsonPathError(`invalid escape \\${e} in ${quoted}`);
    return out;
  });
}

/** The index of the quote that closes the one at `start`. */
function closingQuote(s: string, start: number): number {
  const q = s[start]!;
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === q) return i;
  }
  throw new JsonPathError(`unterminated quoted string in ${JSON.stringify(s)}`);
}

const FIELD_END = new Set([" ", "\t", "\n", ".", "[", "]", "(", ")", ",", "{", "}", "$", "@"]);

/** A field name from `i`: up to a terminator, `\x` standing for x (kubernetes\.io/hostname). */
function readName(s: string, i: number): { name: string; next: number } {
  let name = "";
  while (i < s.length && !FIELD_END.has(s[i]!)) {
    if (s[i] === "\\" && i + 1 < s.length) i++;
    name += s[i];
    i++;
  }
  return { name, next: i };
}

/** The index of the "]" that closes the "[" at `open`, skipping quoted strings and nested brackets. */
function closingBracket(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === "'") i = closingQuote(s, i);
    else if (c === "[") depth++;
    else if (c === "]" && --depth === 0) return i;
  }
  throw new JsonPathError(`unterminated array in ${JSON.stringify(s)}: expected "]"`);
}

/** Parses a path such as `.items[*].metadata.name`, `$..name` or `@.spec`. */
function parsePath(s: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\n") {
      i++;
    } else if (c === "$") {
      steps.push({ kind: "root" });
      i++;
    } else if (c === "@") {
      steps.push({ kind: "current" });
      i++;
    } else if (c === ".") {
      if (s[i + 1] === ".") {
        // `..name` and `...name` are both a recursive descent then the field; more dots are not.
        let dots = 2;
        while (s[i + dots] === ".") dots++;
        if (dots > 3) throw new JsonPathError(`invalid multiple recursive descent in ${JSON.stringify(s)}`);
        steps.push({ kind: "recursive" });
        i += dots;
        if (i < s.length && !FIELD_END.has(s[i]!)) {
          const { name, next } = readName(s, i);
          steps.push(name === "*" ? { kind: "wildcard" } : { kind: "field", name });
          i = next;
        }
        continue;
      }
      const { name, next } = readName(s, i + 1);
      i = next;
      if (name === "") continue; // a lone "." is the current object, as in {.}
      steps.push(name === "*" ? { kind: "wildcard" } : { kind: "field", name });
    } else if (c === "[") {
      const close = closingBracket(s, i);
      steps.push(parseBracket(s.slice(i + 1, close)));
      i = close + 1;
    } else {
      const { name } = readName(s, i);
      throw new JsonPathError(`unrecognized identifier ${name || c}`);
    }
  }
  return steps;
}

/** Splits on commas outside quotes. */
function splitTopLevel(s: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"' || s[i] === "'") i = closingQuote(s, i);
    else if (s[i] === sep) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

function parseBracket(inner: string): Step {
  const text = inner.trim();
  if (text.startsWith("?")) return parseFilter(text);
  if (text === "*") return { kind: "slice", single: false };
  const parts = splitTopLevel(text, ",").map((p) => p.trim());
  if (parts.length > 1 || /^['"]/.test(text)) {
    // ['a', 'b.c'] is a union of paths; [1,3,4] a union of indexes.
    return {
      kind: "union",
      branches: parts.map((p) => {
        if (/^['"]/.test(p)) return parsePath(`.${unquote(p.slice(0, closingQuote(p, 0) + 1))}`);
        return [parseSlice(p)];
      }),
    };
  }
  return parseSlice(text);
}

function parseSlice(text: string): Step {
  const fields = text.split(":").map((f) => f.trim());
  if (fields.length > 3 || fields.some((f) => f !== "" && !/^-?\d+$/.test(f))) throw new JsonPathError(`invalid array index ${JSON.stringify(text)}: expected [i], [start:end], [start:end:step] or [*]`);
  const num = (f: string | undefined) => (f === undefined || f === "" ? undefined : Number(f));
  if (fields.length === 1) {
    const index = num(fields[0]);
    if (index === undefined) throw new JsonPathError(`invalid array index ${JSON.stringify(text)}: expected a number`);
    return { kind: "slice", start: index, end: index + 1, single: true };
  }
  return { kind: "slice", start: num(fields[0]), end: num(fields[1]), step: num(fields[2]), single: false };
}

function parseFilter(text: string): Step {
  const m = /^\?\s*\((.*)\)$/s.exec(text);
  if (!m) throw new JsonPathError(`invalid filter ${JSON.stringify(text)}: expected [?(@.field OP value)]`);
  const body = m[1]!;
  // The operator is the first run of operator characters outside quotes.
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"' || c === "'") {
      i = closingQuote(body, i);
      continue;
    }
    if ("!<>=~".includes(c)) {
      let j = i;
      while (j < body.length && "!<>=~".includes(body[j]!)) j++;
      const operator = body.slice(i, j);
      if (!FILTER_OPERATORS.includes(operator)) throw new JsonPathError(`unrecognized filter operator ${operator}`);
      return { kind: "filter", left: parseOperand(body.slice(0, i)), operator: operator as FilterOperator, right: parseOperand(body.slice(j)) };
    }
  }
  return { kind: "filter", left: parseOperand(body), operator: "exists" };
}

function parseOperand(raw: string): Operand {
  const text = raw.trim();
  if (/^['"]/.test(text)) return { kind: "literal", value: unquote(text) };
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return { kind: "literal", value: Number(text) };
  if (text === "true" || text === "false") return { kind: "literal", value: text === "true" };
  return { kind: "path", steps: parsePath(text) };
}

/** Parses a template; throws JsonPathError naming what is wrong. */
export function parseJsonPath(template: string): JsonPathTemplate {
  const root: TemplateNode[] = [];
  const stack: TemplateNode[][] = [root];
  for (const part of splitActions(template)) {
    const into = stack[stack.length - 1]!;
    if (part.text !== undefined) {
      into.push({ kind: "text", text: part.text });
      continue;
    }
    const action = part.action!.trim();
    if (action === "end") {
      if (stack.length === 1) throw new JsonPathError("not in range, nothing to end");
      stack.pop();
    } else if (/^range\s/.test(action)) {
      const node: TemplateNode = { kind: "range", steps: parsePath(action.slice(5)), body: [] };
      into.push(node);
      stack.push(node.body);
    } else if (/^["']/.test(action) && closingQuote(action, 0) === action.length - 1) {
      into.push({ kind: "text", text: unquote(action) });
    } else {
      into.push({ kind: "path", steps: parsePath(action) });
    }
  }
  if (stack.length > 1) throw new JsonPathError(`unclosed range in ${JSON.stringify(template)}: expected {end}`);
  return { source: template, nodes: root };
}

// ---------------------------------------------------------------------------
// Evaluation

export interface JsonPathOptions {
  /** Missing keys give no value instead of an error (kubectl's --allow-missing-template-keys, default true). */
  allowMissingKeys: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return isObject(v) ? "map[string]interface {}" : typeof v;
}

interface Scope {
  root: unknown;
  options: JsonPathOptions;
}

function evalSteps(steps: readonly Step[], input: unknown[], scope: Scope): unknown[] {
  let cur = input;
  for (const step of steps) cur = evalStep(step, cur, scope);
  return cur;
}

function evalStep(step: Step, input: unknown[], scope: Scope): unknown[] {
  switch (step.kind) {
    case "root":
      return [scope.root];
    case "current":
      return input;
    case "field": {
      // Nothing to look in (an empty slice before) is no error: only a key missing from what there is.
      if (input.length === 0) return [];
      const out: unknown[] = [];
      for (const v of input) if (isObject(v) && Object.hasOwn(v, step.name)) out.push(v[step.name]);
      if (out.length === 0 && !scope.options.allowMissingKeys) throw new JsonPathError(`${step.name} is not found`);
      return out;
    }
    case "wildcard":
      return input.flatMap((v) => (isObject(v) ? Object.values(v) : Array.isArray(v) ? v : []));
    case "recursive":
      return descend(input);
    case "slice":
      return input.flatMap((v) => slice(v, step));
    case "union":
      return step.branches.flatMap((branch) => evalSteps(branch, input, scope));
    case "filter":
      return input.flatMap((v) => filter(v, step, scope));
  }
}

/** Every non-empty map, list and string at or below the inputs, each before what it holds (upstream's evalRecursive). */
function descend(input: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of input) {
    const children = isObject(v) ? Object.values(v) : Array.isArray(v) ? v : typeof v === "string" ? Array.from(v) : [];
    if (children.length === 0) continue;
    out.push(v);
    if (typeof v !== "string") out.push(...descend(children));
  }
  return out;
}

function slice(value: unknown, step: Extract<Step, { kind: "slice" }>): unknown[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new JsonPathError(`${typeName(value)} is not array or slice`);
  const len = value.length;
  let start = step.start ?? 0;
  if (start < 0) start += len;
  let end = step.end ?? len;
  // [i] is [i:i+1]: [-1] becomes [len-1:len].
  if (end < 0 || (end === 0 && step.single)) end += len;
  if (start === end) return [];
  if (start >= len || start < 0) throw new JsonPathError(`array index out of bounds: index ${start}, length ${len}`);
  if (end > len || end < 0) throw new JsonPathError(`array index out of bounds: index ${end - 1}, length ${len}`);
  if (start > end) throw new JsonPathError(`starting index ${start} is greater than ending index ${end}`);
  const stride = step.step ?? 1;
  if (stride <= 0) throw new JsonPathError("step must be > 0");
  const out: unknown[] = [];
  for (let i = start; i < end; i += stride) out.push(value[i]);
  return out;
}

function operandValues(operand: Operand, item: unknown, scope: Scope): unknown[] {
  return operand.kind === "literal" ? [operand.value] : evalSteps(operand.steps, [item], scope);
}

function filter(value: unknown, step: Extract<Step, { kind: "filter" }>, scope: Scope): unknown[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new JsonPathError(`${typeName(value)} is not array or slice`);
  const out: unknown[] = [];
  for (const item of value) {
    if (step.operator === "exists") {
      let found: unknown[] = [];
      try {
        found = operandValues(step.left, item, scope);
      } catch {
        /* a missing key: does not exist */
      }
      if (found.length > 0) out.push(item);
      continue;
    }
    const lefts = operandValues(step.left, item, scope);
    if (lefts.length === 0) continue;
    if (lefts.length > 1) throw new JsonPathError("can only compare one element at a time");
    const rights = operandValues(step.right!, item, scope);
    if (rights.length === 0) continue;
    if (rights.length > 1) throw new JsonPathError("can only compare one element at a time");
    if (compare(lefts[0], step.operator, rights[0])) out.push(item);
  }
  return out;
}

function compare(left: unknown, operator: FilterOperator, right: unknown): boolean {
  if (operator === "=~") {
    if (typeof left !== "string" || typeof right !== "string") throw new JsonPathError(`regular expressions match strings only, got ${typeName(left)} =~ ${typeName(right)}`);
    return new RegExp(right).test(left);
  }
  const comparable = (typeof left === "number" && typeof right === "number") || (typeof left === "string" && typeof right === "string") || (typeof left === "boolean" && typeof right === "boolean");
  if (!comparable) throw new JsonPathError(`incompatible types for comparison: ${typeName(left)} ${operator} ${typeName(right)}`);
  if (operator === "==") return left === right;
  if (operator === "!=") return left !== right;
  if (typeof left === "boolean") throw new JsonPathError(`invalid type for comparison: bool ${operator} bool`);
  const l = left as number | string;
  const r = right as number | string;
  switch (operator) {
    case "<":
      return l < r;
    case ">":
      return l > r;
    case "<=":
      return l <= r;
    case ">=":
      return l >= r;
  }
}

/** The values each path action of a template finds, in order (custom-columns reads these). */
export function findResults(template: JsonPathTemplate, data: unknown, options: JsonPathOptions = { allowMissingKeys: true }): unknown[][] {
  const scope: Scope = { root: data, options };
  return template.nodes.filter((n) => n.kind === "path").map((n) => evalSteps(n.steps, [data], scope).filter((v) => v !== undefined));
}

/** The text a template prints for `data`. */
export function executeJsonPath(template: JsonPathTemplate, data: unknown, options: JsonPathOptions = { allowMissingKeys: true }): string {
  const scope: Scope = { root: data, options };
  const render = (nodes: readonly TemplateNode[], current: unknown): string => {
    let out = "";
    for (const node of nodes) {
      if (node.kind === "text") out += node.text;
      else if (node.kind === "path") out += evalSteps(node.steps, [current], scope).map(printValue).join(" ");
      else for (const item of evalSteps(node.steps, [current], scope)) out += render(node.body, item);
    }
    return out;
  };
  return render(template.nodes, data);
}

/** Parses and runs in one go. */
export function jsonPath(template: string, data: unknown, options: JsonPathOptions = { allowMissingKeys: true }): string {
  return executeJsonPath(parseJsonPath(template), data, options);
}

// ---------------------------------------------------------------------------
// Printing values as Go prints them

/** encoding/json's output: map keys sorted, <, > and & escaped for HTML. */
export function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
    return v;
  };
  return JSON.stringify(sorted(value))
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** One value of a jsonpath result: maps and lists as JSON, null as Go's <nil>, the rest as text. */
function printValue(v: unknown): string {
  if (Array.isArray(v) || isObject(v)) return goJson(v);
  return goSprint(v);
}

/** fmt.Sprint of a decoded JSON value: map[k:v] with sorted keys, [a b] lists, <nil> for null. */
export function goSprint(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goSprint).join(" ")}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goSprint(v[k])}`).join(" ")}]`;
  if (typeof v === "number") return goNumber(v);
  return String(v);
}

/** Go's %v for a float64: shortest form, exponent from 1e21 (as JS) and below 1e-4. */
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) return n.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  return String(n);
}
