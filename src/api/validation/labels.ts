// Label and annotation maps, as ObjectMeta, selectors and node selectors use them.
import { FieldError, fieldErrors } from "../errors.js";
import { byteLength, isQualifiedName, isValidLabelValue } from "./names.js";
import { obj } from "./util.js";

/** Each problem with a label key, reported at `path` with the key as the value. */
export function validateLabelName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((msg) => fieldErrors.invalid(path, name, msg));
}

/** Keys must be qualified names, values valid label values; errors name the map, as upstream does. */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(obj(labels))) {
    errs.push(...validateLabelName(k, path));
    if (typeof v !== "string") {
      errs.push(fieldErrors.invalid(path, v, "must be a string"));
      continue;
    }
    errs.push(...isValidLabelValue(v).map((msg) => fieldErrors.invalid(path, v, msg)));
  }
  return errs;
}

export const TotalAnnotationSizeLimitB = 256 * 1024;

/** Keys are qualified names compared lower-cased; keys plus values at most 256 KiB. */
export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(obj(annotations))) {
    errs.push(...isQualifiedName(k.toLowerCase()).map((msg) => fieldErrors.invalid(path, k, msg)));
    if (typeof v !== "string") errs.push(fieldErrors.invalid(`${path}[${k}]`, v, "must be a string"));
    total += byteLength(k) + byteLength(typeof v === "string" ? v : "");
  }
  if (total > TotalAnnotationSizeLimitB) errs.push(fieldErrors.tooLong(path, "", TotalAnnotationSizeLimitB));
  return errs;
}
