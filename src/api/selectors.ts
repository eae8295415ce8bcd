// Label and field selectors: the kubectl `-l` / `--field-selector` text
// syntax, the LabelSelector API type, matching, printing and validation.
//
// Semantics to keep in mind (they follow the API):
//  - A *parsed* or *converted* list of requirements is a conjunction; the empty
//    list matches every object (`matchesRequirements([], x)` is true).
//  - For the LabelSelector API type, `{}` (no matchLabels, no
//    matchExpressions) matches everything, while an absent (undefined/null)
//    selector matches nothing: `matchesLabelSelector(undefined, x)` is false.
//    A selector that cannot be converted (bad operator, ...) matches nothing.
import type { KubeObject, LabelSelector } from "./types.js";
import { FieldError, fieldErrors } from "./errors.js";
import { isQualifiedName, isValidLabelValue } from "./validation/names.js";
import { validateLabelName, validateLabels } from "./validation/labels.js";

export type RequirementOperator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Equals" | "NotEquals";

/** One term of a label selector: `key in (a,b)`, `key!=v`, `!key`... */
export interface Requirement {
  key: string;
  operator: RequirementOperator;
  /** One value for Equals/NotEquals, at least one (sorted, unique) for In/NotIn, none for Exists/DoesNotExist. */
  values: string[];
}

export type FieldSelectorOperator = "=" | "!=";

/** One term of a field selector: `metadata.name=web`, `spec.nodeName!=`. */
export interface FieldRequirement {
  field: string;
  operator: FieldSelectorOperator;
  value: string;
}

// ---------------------------------------------------------------------------
// Label selector text (kubectl -l)

type TokenKind = "ident" | "in" | "notin" | "=" | "==" | "!=" | "!" | "," | "(" | ")" | ">" | "<" | "eof";
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const specialChars = new Set(["!", "=", ",", "(", ")", ">", "<"]);

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === "!=" || two === "==") {
      tokens.push({ kind: two, text: two, pos: i });
      i += 2;
      continue;
    }
    if (specialChars.has(ch)) {
      tokens.push({ kind: ch as TokenKind, text: ch, pos: i });
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && !/\s/.test(text[i]!) && !specialChars.has(text[i]!)) i++;
    const word = text.slice(start, i);
    tokens.push({ kind: word === "in" ? "in" : word === "notin" ? "notin" : "ident", text: word, pos: start });
  }
  tokens.push({ kind: "eof", text: "", pos: text.length });
  return tokens;
}

function describe(tok: Token): string {
  return tok.kind === "eof" ? "end of input" : `'${tok.text}' at position ${tok.pos}`;
}

class SelectorParser {
  private readonly tokens: Token[];
  private at = 0;

  constructor(private readonly text: string) {
    this.tokens = lex(text);
  }

  private fail(detail: string): never {
    throw new Error(`invalid label selector "${this.text}": ${detail}`);
  }

  private peek(): Token {
    return this.tokens[this.at]!;
  }

  private next(): Token {
    const tok = this.tokens[this.at]!;
    if (tok.kind !== "eof") this.at++;
    return tok;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    if (this.peek().kind === "eof") return reqs;
    for (;;) {
      reqs.push(this.requirement());
      const tok = this.next();
      if (tok.kind === "eof") break;
      if (tok.kind !== ",") this.fail(`expected ',' or end of input after a requirement, found ${describe(tok)}`);
      if (this.peek().kind === "eof") this.fail("expected a requirement after the trailing ','");
    }
    return sortByKey(reqs);
  }

  private key(tok: Token): string {
    if (tok.kind !== "ident") this.fail(`expected a label key, found ${describe(tok)}`);
    const errs = isQualifiedName(tok.text);
    if (errs.length > 0) this.fail(`invalid label key "${tok.text}": ${errs.join("; ")}`);
    return tok.text;
  }

  private value(key: string, text: string): string {
    const errs = isValidLabelValue(text);
    if (errs.length > 0) this.fail(`invalid label value "${text}" for key "${key}": ${errs.join("; ")}`);
    return text;
  }

  private requirement(): Requirement {
    const first = this.next();
    if (first.kind === "!") {
      return { key: this.key(this.next()), operator: "DoesNotExist", values: [] };
    }
    const key = this.key(first);
    const op = this.peek();
    switch (op.kind) {
      case "eof":
      case ",":
        return { key, operator: "Exists", values: [] };
      case "=":
      case "==":
      case "!=": {
        this.next();
        const operator = op.kind === "!=" ? "NotEquals" : "Equals";
        return { key, operator, values: [this.value(key, this.exactValue())] };
      }
      case "in":
      case "notin": {
        this.next();
        const open = this.next();
        if (open.kind !== "(") this.fail(`expected '(' after '${op.text}', found ${describe(open)}`);
        const values = this.valueList(key);
        return { key, operator: op.kind === "in" ? "In" : "NotIn", values };
      }
      case ">":
      case "<":
        return this.fail(`operator '${op.text}' at position ${op.pos} is not supported`);
      default:
        return this.fail(`expected an operator (=, ==, !=, in, notin), ',' or end of input after key "${key}", found ${describe(op)}`);
    }
  }

  private exactValue(): string {
    const tok = this.peek();
    if (tok.kind === "eof" || tok.kind === ",") return "";
    if (tok.kind === "ident" || tok.kind === "in" || tok.kind === "notin") {
      this.next();
      return tok.text;
    }
    return this.fail(`expected a value, found ${describe(tok)}`);
  }

  private valueList(key: string): string[] {
    const values = new Set<string>();
    let current: string | undefined;
    for (;;) {
      const tok = this.next();
      if (tok.kind === "ident" || tok.kind === "in" || tok.kind === "notin") {
        if (current !== undefined) this.fail(`expected ',' or ')' in the value list, found ${describe(tok)}`);
        current = tok.text;
      } else if (tok.kind === "," || tok.kind === ")") {
        values.add(this.value(key, current ?? ""));
        current = undefined;
        if (tok.kind === ")") break;
      } else {
        this.fail(tok.kind === "eof" ? "missing ')' to close the value list" : `unexpected ${describe(tok)} in the value list`);
      }
    }
    return [...values].sort();
  }
}

function sortByKey(reqs: Requirement[]): Requirement[] {
  return [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Parses kubectl's `-l` syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, comma-separated, whitespace tolerant. The empty
 * string gives [] (everything). Requirements come back sorted by key, as the
 * API server sorts them. Throws an Error naming the offending part.
 */
export function parseLabelSelector(text: string): Requirement[] {
  return new SelectorParser(text).parse();
}

// ---------------------------------------------------------------------------
// LabelSelector (the API type)

const operatorOf: Record<string, RequirementOperator> = {
  In: "In",
  NotIn: "NotIn",
  Exists: "Exists",
  DoesNotExist: "DoesNotExist",
};

/**
 * Converts a LabelSelector to requirements (matchLabels as Equals, then
 * matchExpressions), sorted by key. `{}` gives [] (everything). Throws an
 * Error, prefixed with `field`, when the selector cannot be converted.
 */
export function requirementsFromLabelSelector(sel: LabelSelector, field = "spec.selector"): Requirement[] {
  const reqs: Requirement[] = [];
  const fail = (path: string, detail: string): never => {
    throw new Error(`${path}: ${detail}`);
  };
  const checkKey = (path: string, k: string) => {
    const errs = isQualifiedName(k);
    if (errs.length > 0) fail(path, `invalid label key "${k}": ${errs.join("; ")}`);
  };
  const checkValue = (path: string, v: unknown) => {
    if (typeof v !== "string") return fail(path, `label value ${JSON.stringify(v)} is not a string`);
    const errs = isValidLabelValue(v);
    if (errs.length > 0) fail(path, `invalid label value "${v}": ${errs.join("; ")}`);
    return v;
  };
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) {
    checkKey(`${field}.matchLabels`, k);
    reqs.push({ key: k, operator: "Equals", values: [checkValue(`${field}.matchLabels`, v)] });
  }
  (sel?.matchExpressions ?? []).forEach((expr, i) => {
    const path = `${field}.matchExpressions[${i}]`;
    const operator = operatorOf[String(expr.operator)];
    if (!operator) return fail(`${path}.operator`, `${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    checkKey(`${path}.key`, expr.key);
    const values = [...new Set((expr.values ?? []).map((v, j) => checkValue(`${path}.values[${j}]`, v)))].sort();
    if ((operator === "In" || operator === "NotIn") && values.length === 0) {
      fail(`${path}.values`, "for 'in', 'notin' operators, values set can't be empty");
    }
    if ((operator === "Exists" || operator === "DoesNotExist") && values.length > 0) {
      fail(`${path}.values`, "values set must be empty for exists and does not exist");
    }
    reqs.push({ key: expr.key, operator, values });
  });
  return sortByKey(reqs);
}

/** True when every requirement holds for the labels (so [] matches everything). */
export function matchesRequirements(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const set = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(set, r.key);
    const value = has ? set[r.key] : undefined;
    switch (r.operator) {
      case "In":
      case "Equals":
        return has && r.values.includes(value!);
      case "NotIn":
      case "NotEquals":
        return !has || !r.values.includes(value!);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
    }
  });
}

/**
 * Whether a LabelSelector (API type) selects an object with these labels.
 * `{}` matches everything; undefined/null matches nothing; a selector that
 * cannot be converted matches nothing.
 */
export function matchesLabelSelector(sel: LabelSelector | undefined | null, labels: Record<string, string> | undefined): boolean {
  if (sel === undefined || sel === null) return false;
  let reqs: Requirement[];
  try {
    reqs = requirementsFromLabelSelector(sel);
  } catch {
    return false;
  }
  return matchesRequirements(reqs, labels);
}

/** One requirement in selector syntax: `app=web`, `tier in (a,b)`, `!canary`. */
export function requirementToString(r: Requirement): string {
  switch (r.operator) {
    case "Exists":
      return r.key;
    case "DoesNotExist":
      return `!${r.key}`;
    case "Equals":
      return `${r.key}=${r.values[0] ?? ""}`;
    case "NotEquals":
      return `${r.key}!=${r.values[0] ?? ""}`;
    case "In":
      return `${r.key} in (${[...r.values].sort().join(",")})`;
    case "NotIn":
      return `${r.key} notin (${[...r.values].sort().join(",")})`;
  }
}

/** Requirements in selector syntax, comma-separated (the empty string for []). */
export function requirementsToString(reqs: Requirement[]): string {
  return reqs.map(requirementToString).join(",");
}

/**
 * A LabelSelector as kubectl prints it (`app=web,tier in (a,b)`): `<none>`
 * when it is absent or empty, `<error>` when it cannot be converted.
 */
export function labelSelectorToString(sel: LabelSelector | undefined | null): string {
  if (sel === undefined || sel === null) return "<none>";
  try {
    const text = requirementsToString(requirementsFromLabelSelector(sel));
    return text === "" ? "<none>" : text;
  } catch {
    return "<error>";
  }
}

/**
 * API-server validation of a LabelSelector (path e.g. `spec.selector`):
 * matchLabels syntax, a known operator, values required for In/NotIn and
 * forbidden for Exists/DoesNotExist, key and value syntax.
 */
export function validateLabelSelector(sel: LabelSelector | undefined | null, path: string): FieldError[] {
  if (sel === undefined || sel === null) return [];
  const errs: FieldError[] = [...validateLabels(sel.matchLabels, `${path}.matchLabels`)];
  (sel.matchExpressions ?? []).forEach((expr, i) => {
    const exprPath = `${path}.matchExpressions[${i}]`;
    const values = Array.isArray(expr.values) ? expr.values : [];
    switch (expr.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          errs.push(fieldErrors.required(`${exprPath}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        }
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          errs.push(fieldErrors.forbidden(`${exprPath}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        }
        break;
      default:
        errs.push(fieldErrors.invalid(`${exprPath}.operator`, expr.operator, "not a valid selector operator"));
    }
    errs.push(...validateLabelName(typeof expr.key === "string" ? expr.key : "", `${exprPath}.key`));
    values.forEach((v, j) => {
      const text = typeof v === "string" ? v : String(v);
      errs.push(...isValidLabelValue(text).map((msg) => fieldErrors.invalid(`${exprPath}.values[${j}]`, text, msg)));
    });
  });
  return errs;
}

// ---------------------------------------------------------------------------
// Field selectors (kubectl --field-selector)

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\" && i + 1 < text.length) {
      cur += ch + text[i + 1]!;
      i++;
    } else if (ch === sep) {
      parts.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  return parts;
}

function unescapeFieldValue(selector: string, value: string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const nextCh = value[i + 1];
    if (nextCh === "\\" || nextCh === "," || nextCh === "=") {
      out += nextCh;
      i++;
    } else {
      throw new Error(`invalid field selector "${selector}": unrecognized escape sequence in value "${value}"`);
    }
  }
  return out;
}

const fieldOperators = ["!=", "==", "="] as const;

/**
 * Each parsed requirement's field split at the dots, so that matching many
 * objects does not split it again for every one. Kept with the field it was
 * split from: a requirement whose field was changed since is split afresh.
 */
const fieldPaths = new WeakMap<FieldRequirement, { field: string; parts: string[] }>();

/**
 * Parses `--field-selector` syntax: `field=value`, `field==value`,
 * `field!=value`, comma-separated; `\,`, `\=` and `\\` escape in values.
 */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  for (const rawTerm of splitUnescaped(text, ",")) {
    const term = rawTerm.trim();
    if (term === "") continue;
    let found: FieldRequirement | undefined;
    for (let i = 0; i < term.length && !found; i++) {
      for (const op of fieldOperators) {
        if (term.startsWith(op, i)) {
          const field = term.slice(0, i).trim();
          if (field === "") throw new Error(`invalid field selector "${text}": missing field name in '${term}'`);
          found = { field, operator: op === "!=" ? "!=" : "=", value: unescapeFieldValue(text, term.slice(i + op.length).trim()) };
          break;
        }
      }
    }
    if (!found) throw new Error(`invalid field selector "${text}": can't understand '${term}' (expected field=value, field==value or field!=value)`);
    fieldPaths.set(found, { field: found.field, parts: found.field.split(".") });
    reqs.push(found);
  }
  return reqs;
}

function fieldParts(r: FieldRequirement): string[] {
  const cached = fieldPaths.get(r);
  return cached?.field === r.field ? cached.parts : r.field.split(".");
}

function fieldValue(obj: KubeObject, parts: string[]): string {
  let cur: unknown = obj;
  for (const part of parts) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return "";
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return "";
  if (typeof cur === "string") return cur;
  if (typeof cur === "number" || typeof cur === "boolean") return String(cur);
  return JSON.stringify(cur);
}

/**
 * Whether an object satisfies every field requirement. Fields are dotted
 * paths (`metadata.name`, `metadata.namespace`, `spec.nodeName`,
 * `status.phase`, ...); an absent field reads as "".
 */
export function matchesFieldSelector(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, fieldParts(r)) === r.value) === (r.operator === "="));
}
