// securityContext of pods and containers (pkg/apis/core/validation:
// ValidatePodSecurityContext, ValidateSecurityContext) and the hostPath
// volume source (validateHostPathVolumeSource). JSON types are checked before
// (typecheck.ts); these are upstream's value rules and messages.
import { FieldError, fieldErrors } from "../errors.js";
import { inclusiveRangeError } from "./names.js";
import { arr, asObj, child, index, isInt, str, unset } from "./util.js";

/** apimachinery's IsValidUserID/IsValidGroupID: 0..2^31-1. */
const MAX_ID = 2147483647;

function validateId(value: unknown, path: string): FieldError[] {
  if (!isInt(value)) return [];
  return value < 0 || value > MAX_ID ? [fieldErrors.invalid(path, value, inclusiveRangeError(0, MAX_ID))] : [];
}

export function validatePodSecurityContext(value: unknown, path: string): FieldError[] {
  const sc = asObj(value);
  if (!sc) return [];
  const errs: FieldError[] = [];
  for (const field of ["fsGroup", "runAsUser", "runAsGroup"]) errs.push(...validateId(sc[field], child(path, field)));
  arr(sc.supplementalGroups).forEach((g, i) => errs.push(...validateId(g, index(child(path, "supplementalGroups"), i))));
  const policies = ["OnRootMismatch", "Always"];
  if (!unset(sc.fsGroupChangePolicy) && !policies.includes(str(sc.fsGroupChangePolicy))) {
    errs.push(fieldErrors.notSupported(child(path, "fsGroupChangePolicy"), sc.fsGroupChangePolicy, policies));
  }
  return errs;
}

export function validateSecurityContext(value: unknown, path: string): FieldError[] {
  const sc = asObj(value);
  if (!sc) return [];
  const errs: FieldError[] = [];
  for (const field of ["runAsUser", "runAsGroup"]) errs.push(...validateId(sc[field], child(path, field)));
  const procMounts = ["Default", "Unmasked"];
  if (!unset(sc.procMount) && !procMounts.includes(str(sc.procMount))) errs.push(fieldErrors.notSupported(child(path, "procMount"), sc.procMount, procMounts));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(fieldErrors.invalid(path, sc, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"));
    for (const cap of arr(asObj(sc.capabilities)?.add)) {
      if (cap === "CAP_SYS_ADMIN") errs.push(fieldErrors.invalid(path, sc, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"));
    }
  }
  return errs;
}

export const hostPathTypes = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"];

/** A volume's hostPath source (path at `<volume>.hostPath`). */
export function validateHostPathVolumeSource(value: unknown, path: string): FieldError[] {
  const hp = asObj(value);
  if (!hp) return [];
  const errs: FieldError[] = [];
  const p = str(hp.path);
  if (p === "") errs.push(fieldErrors.required(child(path, "path")));
  else if (p.split("/").includes("..")) errs.push(fieldErrors.invalid(child(path, "path"), p, "must not contain '..'"));
  if (!unset(hp.type) && !hostPathTypes.includes(str(hp.type))) errs.push(fieldErrors.notSupported(child(path, "type"), hp.type, hostPathTypes));
  return errs;
}
