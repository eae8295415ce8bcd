// ObjectMeta: name / generateName syntax per kind, namespace scoping,
// labels, annotations, owner references, finalizers; and what may not change
// on update.
import { FieldError, fieldErrors } from "../errors.js";
import { fieldImmutableErrorMsg, isQualifiedName, nameIsDNSLabel, type NameValidator } from "./names.js";
import { validateAnnotations, validateLabels } from "./labels.js";
import { arr, asObj, child, index, obj, str, validateNonnegative } from "./util.js";

export interface MetaRules {
  /** Namespaced kinds may carry metadata.namespace; cluster-scoped kinds may not. */
  namespaced: boolean;
  /** Syntax of metadata.name (and of generateName, as a prefix). */
  nameFn: NameValidator;
}

const standardFinalizers = new Set(["kubernetes", "orphan", "foregroundDeletion"]);

function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(finalizers).map(str);
  for (const f of list) errs.push(...isQualifiedName(f).map((msg) => fieldErrors.invalid(path, f, msg)));
  if (list.includes("orphan") && list.includes("foregroundDeletion")) {
    errs.push(fieldErrors.invalid(path, list, "finalizer orphan and foregroundDeletion cannot be both set"));
  }
  list.forEach((f, i) => {
    if (!f.includes("/") && !standardFinalizers.has(f)) {
      errs.push(fieldErrors.invalid(index(path, i), f, "name is neither a standard finalizer name nor is it fully qualified"));
    }
  });
  return errs;
}

function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = "";
  for (const raw of arr(refs)) {
    const ref = obj(raw);
    const apiVersion = str(ref.apiVersion);
    const version = apiVersion.includes("/") ? apiVersion.slice(apiVersion.indexOf("/") + 1) : apiVersion;
    if (version === "") errs.push(fieldErrors.invalid(child(path, "apiVersion"), apiVersion, "version must not be empty"));
    if (str(ref.kind) === "") errs.push(fieldErrors.invalid(child(path, "kind"), str(ref.kind), "must not be empty"));
    if (str(ref.name) === "") errs.push(fieldErrors.invalid(child(path, "name"), str(ref.name), "must not be empty"));
    if (str(ref.uid) === "") errs.push(fieldErrors.invalid(child(path, "uid"), str(ref.uid), "must not be empty"));
    if (ref.controller === true) {
      const current = `${str(ref.kind)}/${str(ref.name)}`;
      if (firstController !== "") {
        errs.push(
          fieldErrors.invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

/**
 * metadata on create: name (or generateName; the store generates the name
 * later), namespace scoping, labels, annotations, owner references,
 * finalizers. A missing namespace on a namespaced kind is not an error: the
 * API layer fills it in from the request.
 */
export function validateObjectMeta(meta: unknown, rules: MetaRules, path = "metadata"): FieldError[] {
  const m = obj(meta);
  const errs: FieldError[] = [];
  const name = str(m.name);
  const generateName = str(m.generateName);
  if (generateName !== "") {
    errs.push(...rules.nameFn(generateName, true).map((msg) => fieldErrors.invalid(child(path, "generateName"), generateName, msg)));
  }
  if (name === "") {
    if (generateName === "") errs.push(fieldErrors.required(child(path, "name"), "name or generateName is required"));
  } else {
    errs.push(...rules.nameFn(name, false).map((msg) => fieldErrors.invalid(child(path, "name"), name, msg)));
  }
  const namespace = str(m.namespace);
  if (rules.namespaced) {
    if (namespace !== "") {
      errs.push(...nameIsDNSLabel(namespace, false).map((msg) => fieldErrors.invalid(child(path, "namespace"), namespace, msg)));
    }
  } else if (namespace !== "") {
    errs.push(fieldErrors.forbidden(child(path, "namespace"), "not allowed on this type"));
  }
  errs.push(...validateNonnegative(m.generation, child(path, "generation")));
  errs.push(...validateLabels(m.labels, child(path, "labels")));
  errs.push(...validateAnnotations(m.annotations, child(path, "annotations")));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, "ownerReferences")));
  errs.push(...validateFinalizers(m.finalizers, child(path, "finalizers")));
  return errs;
}

/**
 * metadata on update: name and namespace may not change; nor uid and
 * creationTimestamp once both sides carry them; generation may not go down.
 */
export function validateObjectMetaUpdate(meta: unknown, oldMeta: unknown, path = "metadata"): FieldError[] {
  const m = obj(meta);
  const o = asObj(oldMeta) ?? {};
  const errs: FieldError[] = [];
  if (typeof m.generation === "number" && typeof o.generation === "number" && m.generation < o.generation) {
    errs.push(fieldErrors.invalid(child(path, "generation"), m.generation, "must not be decremented"));
  }
  for (const field of ["name", "namespace"] as const) {
    if (str(m[field]) !== str(o[field])) errs.push(fieldErrors.invalid(child(path, field), str(m[field]), fieldImmutableErrorMsg));
  }
  for (const field of ["uid", "creationTimestamp"] as const) {
    const now = str(m[field]);
    const before = str(o[field]);
    if (now !== "" && before !== "" && now !== before) errs.push(fieldErrors.invalid(child(path, field), now, fieldImmutableErrorMsg));
  }
  return errs;
}
