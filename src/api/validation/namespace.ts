// Namespaces: the name is a DNS-1123 label (checked with metadata); spec.finalizers.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { isQualifiedName } from "./names.js";
import { arr, obj, str } from "./util.js";

const standardFinalizers = new Set(["kubernetes", "orphan", "foregroundDeletion"]);

/** Namespace spec (metadata is checked by the caller). */
export function validateNamespaceBody(ns: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const path = "spec.finalizers";
  for (const raw of arr(obj(ns.spec).finalizers)) {
    const f = str(raw);
    errs.push(...isQualifiedName(f).map((msg) => fieldErrors.invalid(path, f, msg)));
    if (!f.includes("/") && !standardFinalizers.has(f)) {
      errs.push(fieldErrors.invalid(path, f, "name is neither a standard finalizer name nor is it fully qualified"));
    }
  }
  return errs;
}
