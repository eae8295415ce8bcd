// A custom resource's structural schema, written as data, and the two things
// kube-apiserver does with it: defaulting (apiextensions-apiserver's
// structural defaulting: a missing field with a `default` gets it, nested
// defaults apply inside defaulted objects too) and validation — the OpenAPI
// keywords in kube-openapi's words, x-kubernetes-list-type uniqueness, then
// the x-kubernetes-validations (CEL) rules, which upstream skips, saying so,
// when the schema found a "blocking" error (a wrong type, a missing field,
// an unsupported value, too many items or too long a string).
//
// The CEL rules are written by hand as predicates over the (defaulted) value
// with the CRD's own message. Used by the Gateway API kinds.
import { FieldError, fieldErrors } from "../errors.js";
import { byteLength } from "./names.js";
import { asObj, child, index, tooMany, type Obj } from "./util.js";

export type JsonType = "string" | "integer" | "number" | "boolean" | "object" | "array";

/** One x-kubernetes-validations rule: `ok` gets the node's value (its type already checked). */
export interface CelRule {
  message: string;
  // A CEL rule reads the JSON value freely, as CEL does (a missing field fails the rule: see safely); the any stays inside the schema files.
  ok: (self: any) => boolean;
}

interface Common {
  default?: unknown;
  cel?: CelRule[];
}
export interface StringSchema extends Common {
  type: "string";
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: readonly string[];
}
export interface IntegerSchema extends Common {
  type: "integer";
  minimum?: number;
  maximum?: number;
  enum?: readonly number[];
}
export interface BooleanSchema extends Common {
  type: "boolean";
}
export interface ObjectSchema extends Common {
  type: "object";
  properties?: Record<string, Schema>;
  /** additionalProperties: a map whose values have this schema */
  values?: Schema;
  required?: readonly string[];
  maxProperties?: number;
}
export interface ArraySchema extends Common {
  type: "array";
  items: Schema;
  minItems?: number;
  maxItems?: number;
  /** x-kubernetes-list-type: "set" items are unique; "map" items are unique by mapKeys */
  listType?: "atomic" | "set" | "map";
  mapKeys?: readonly string[];
}
export type Schema = StringSchema | IntegerSchema | BooleanSchema | ObjectSchema | ArraySchema;

const BLOCKED_RULES = "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

// ---- defaulting ----

/** Fills in the schema's defaults in place (value must already be of the node's type to be descended into). */
export function applySchemaDefaults(value: unknown, schema: Schema): void {
  if (schema.type === "object") {
    const o = asObj(value);
    if (!o) return;
    for (const [k, sub] of Object.entries(schema.properties ?? {})) {
      if ((o[k] === undefined || o[k] === null) && sub.default !== undefined) o[k] = structuredClone(sub.default);
      if (o[k] !== undefined) applySchemaDefaults(o[k], sub);
    }
    if (schema.values) for (const v of Object.values(o)) applySchemaDefaults(v, schema.values);
  } else if (schema.type === "array" && Array.isArray(value)) {
    for (const item of value) applySchemaDefaults(item, schema.items);
  }
}

// ---- validation ----

/** What one validation found, in the apiserver's three passes. */
export class Findings {
  readonly schema: FieldError[] = [];
  readonly lists: FieldError[] = [];
  readonly rules: FieldError[] = [];
  blocking = false;

  add(err: FieldError, blocking: boolean): void {
    this.schema.push(err);
    if (blocking) this.blocking = true;
  }

  /** A CEL rule that failed at `path`; upstream shows the schema type as the value. */
  rule(path: string, type: JsonType, message: string): void {
    this.rules.push(fieldErrors.invalid(path, type, message));
  }

  all(): FieldError[] {
    const cel = this.blocking ? [fieldErrors.invalid("<nil>", "null", BLOCKED_RULES)] : this.rules;
    return [...this.schema, ...this.lists, ...cel];
  }
}

/** Validates value against schema at path; [] when valid. */
export function validateSchema(value: unknown, schema: Schema, path: string): FieldError[] {
  const f = new Findings();
  check(f, value, schema, path);
  return f.all();
}

/** Checks value at path against schema, recording into f. */
export function check(f: Findings, value: unknown, schema: Schema, path: string): void {
  if (!isType(f, value, path, schema.type)) return;
  switch (schema.type) {
    case "string":
      checkString(f, value as string, schema, path);
      break;
    case "integer":
      checkInteger(f, value as number, schema, path);
      break;
    case "object":
      checkObject(f, value as Obj, schema, path);
      break;
    case "array":
      checkArray(f, value as unknown[], schema, path);
      break;
    case "boolean":
      break;
  }
  for (const rule of schema.cel ?? []) if (!safely(rule, value)) f.rule(path, schema.type, rule.message);
}

/** A rule that reads a field the value lacks fails, as CEL's "no such key" does. */
function safely(rule: CelRule, value: unknown): boolean {
  try {
    return rule.ok(value);
  } catch {
    return false;
  }
}

function checkString(f: Findings, s: string, schema: StringSchema, path: string): void {
  if (schema.enum && !schema.enum.includes(s)) {
    f.add(fieldErrors.notSupported(path, s, schema.enum), true);
    return;
  }
  if (schema.maxLength !== undefined && byteLength(s) > schema.maxLength) f.add(fieldErrors.tooLong(path, s, schema.maxLength), true);
  if (schema.minLength !== undefined && [...s].length < schema.minLength) {
    f.add(fieldErrors.invalid(path, s, `${path} in body should be at least ${schema.minLength} chars long`), false);
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(s)) {
    f.add(fieldErrors.invalid(path, s, `${path} in body should match '${schema.pattern}'`), false);
  }
}

function checkInteger(f: Findings, n: number, schema: IntegerSchema, path: string): void {
  if (schema.enum && !schema.enum.includes(n)) {
    f.add(fieldErrors.notSupported(path, n, schema.enum.map(String)), true);
    return;
  }
  if (schema.minimum !== undefined && n < schema.minimum) {
    f.add(fieldErrors.invalid(path, n, `${path} in body should be greater than or equal to ${schema.minimum}`), false);
  }
  if (schema.maximum !== undefined && n > schema.maximum) {
    f.add(fieldErrors.invalid(path, n, `${path} in body should be less than or equal to ${schema.maximum}`), false);
  }
}

function checkObject(f: Findings, o: Obj, schema: ObjectSchema, path: string): void {
  if (schema.maxProperties !== undefined) {
    const count = Object.keys(o).length;
    if (count > schema.maxProperties) f.add(tooMany(path, count, schema.maxProperties), true);
  }
  for (const [k, sub] of Object.entries(schema.properties ?? {})) {
    if (o[k] !== undefined && o[k] !== null) check(f, o[k], sub, child(path, k));
  }
  if (schema.values) for (const [k, v] of Object.entries(o)) check(f, v, schema.values, child(path, k));
  for (const k of schema.required ?? []) if (o[k] === undefined || o[k] === null) f.add(fieldErrors.required(child(path, k)), true);
}

function checkArray(f: Findings, items: unknown[], schema: ArraySchema, path: string): void {
  if (schema.maxItems !== undefined && items.length > schema.maxItems) {
    f.add(tooMany(path, items.length, schema.maxItems), true);
    return;
  }
  if (schema.minItems !== undefined && items.length < schema.minItems) {
    f.add(fieldErrors.invalid(path, items.length, `${path} in body should have at least ${schema.minItems} items`), false);
  }
  items.forEach((item, i) => check(f, item, schema.items, index(path, i)));
  if (schema.listType === "set") {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = JSON.stringify(item);
      if (seen.has(k)) f.lists.push(fieldErrors.duplicate(index(path, i), item));
      seen.add(k);
    });
  } else if (schema.listType === "map" && schema.mapKeys) {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const o = asObj(item);
      if (!o) return;
      const keys = Object.fromEntries(schema.mapKeys!.map((k) => [k, o[k]]));
      const k = JSON.stringify(keys);
      if (seen.has(k)) f.lists.push(new MapKeyDuplicate(index(path, i), keys));
      seen.add(k);
    });
  }
}

/** `spec.listeners[1]: Duplicate value: map[string]interface {}{"name":"http"}`, as the apiserver renders a list-map key. */
class MapKeyDuplicate extends FieldError {
  constructor(field: string, keys: Obj) {
    super("Duplicate", field, keys, "");
  }

  override toString(): string {
    const body = Object.entries(this.value as Obj)
      .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
      .join(", ");
    return `${this.field}: Duplicate value: map[string]interface {}{${body}}`;
  }
}

function jsonType(value: unknown): JsonType {
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  return "object";
}

/** `spec.port: Invalid value: "string": spec.port in body must be of type integer: "string"`. */
export function isType(f: Findings, value: unknown, path: string, type: JsonType): boolean {
  const actual = jsonType(value);
  if (actual === type || (type === "number" && actual === "integer")) return true;
  f.add(fieldErrors.invalid(path, actual, `${path} in body must be of type ${type}: "${actual}"`), true);
  return false;
}
