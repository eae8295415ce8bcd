// ControllerRevisions (pkg/apis/apps/validation: ValidateControllerRevisionCreate,
// ValidateControllerRevisionUpdate): data is required, revision is not negative,
// and data never changes once written.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { fieldImmutableErrorMsg } from "./names.js";
import { deepEqual, validateNonnegative } from "./util.js";

export function validateControllerRevisionBody(rev: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (rev.data === undefined || rev.data === null) errs.push(fieldErrors.required("data", "data is mandatory"));
  errs.push(...validateNonnegative(rev.revision, "revision"));
  if (old && !deepEqual(rev.data, old.data)) errs.push(fieldErrors.invalid("data", "", fieldImmutableErrorMsg));
  return errs;
}
