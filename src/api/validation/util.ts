// Helpers shared by the validators: field-path building, tolerant access to
// objects that came off the wire (any field may have any JSON type), and the
// few API-server error shapes FieldError does not have a type for.
import { FieldError, fieldErrors } from "../errors.js";
import { isNegativeErrorMsg } from "./names.js";

export type Obj = Record<string, unknown>;

/** `a.b`, or just `b` at the root. */
export function child(path: string, ...names: string[]): string {
  return [path, ...names].filter((p) => p !== "").join(".");
}

/** `a[3]` */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** `a[key]`, as upstream renders map keys. */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

export function asObj(value: unknown): Obj | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

export function obj(value: unknown): Obj {
  return asObj(value) ?? {};
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

export function isInt(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

/** A string-to-string map (labels, annotations, selectors); non-string values become "". */
export function strMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value))) out[k] = typeof v === "string" ? v : String(v ?? "");
  return out;
}

/** True when the field is absent or the empty string: a value the defaulter would fill in. */
export function unset(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

/** `path: Invalid value: -1: must be greater than or equal to 0` when an integer field is negative. */
export function validateNonnegative(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (!isInt(value)) return [fieldErrors.invalid(path, value, "must be an integer")];
  return value < 0 ? [fieldErrors.invalid(path, value, isNegativeErrorMsg)] : [];
}

/** A FieldError whose rendering differs from the standard ones (NotFound, TooMany, detailed Duplicate). */
class CustomFieldError extends FieldError {
  constructor(
    type: FieldError["type"],
    field: string,
    value: unknown,
    private readonly body: string,
  ) {
    super(type, field, value, "");
  }

  override toString(): string {
    return `${this.field}: ${this.body}`;
  }
}

function render(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "null";
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/** `path: Not found: "name"` */
export function notFound(field: string, value: unknown): FieldError {
  return new CustomFieldError("Invalid", field, value, `Not found: ${render(value)}`);
}

/** `path: Too many: 101: must have at most 100 items` */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return new CustomFieldError("Invalid", field, actual, `Too many: ${actual}: must have at most ${max} items`);
}

/** `path: Duplicate value: {...}: detail` */
export function duplicateWithDetail(field: string, value: unknown, detail: string): FieldError {
  return new CustomFieldError("Duplicate", field, value, `Duplicate value: ${render(value)}: ${detail}`);
}

/** Structural equality of JSON values, treating absent and undefined fields alike. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  const oa = asObj(a);
  const ob = asObj(b);
  if (!oa || !ob) return false;
  const keys = new Set([...Object.keys(oa), ...Object.keys(ob)]);
  for (const k of keys) if (!deepEqual(oa[k], ob[k])) return false;
  return true;
}
