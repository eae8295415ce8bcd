// ConfigMap (core v1), as kube-apiserver validates it (pkg/apis/core/validation:
// ValidateConfigMap, ValidateConfigMapUpdate): keys as IsConfigMapKey, no key
// in both data and binaryData, at most 1 MiB of values together, and an
// immutable ConfigMap keeps its data, binaryData and immutability.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { decodedLength } from "../secret-data.js";
import { isConfigMapKey } from "./names.js";
import { MAX_SECRET_SIZE } from "./secret.js";
import { deepEqual, key, obj, str } from "./util.js";

/** core.MaxSecretSize bounds ConfigMaps too: the bytes of every data and binaryData value together. */
export const MAX_CONFIGMAP_SIZE = MAX_SECRET_SIZE;

type ConfigMapFields = { data?: unknown; binaryData?: unknown; immutable?: unknown };

export function validateConfigMapBody(cm: KubeObject, old?: KubeObject): FieldError[] {
  const c = cm as KubeObject & ConfigMapFields;
  const errs: FieldError[] = [];
  if (old) errs.push(...validateConfigMapUpdate(c, old as KubeObject & ConfigMapFields));
  const data = obj(c.data);
  const binaryData = obj(c.binaryData);
  let total = 0;
  for (const [k, value] of Object.entries(data)) {
    for (const msg of isConfigMapKey(k)) errs.push(fieldErrors.invalid(key("data", k), k, msg));
    if (k in binaryData) errs.push(fieldErrors.invalid(key("data", k), k, "duplicate of key present in binaryData"));
    // Go's len(string): UTF-8 bytes.
    total += Buffer.byteLength(str(value), "utf8");
  }
  for (const [k, value] of Object.entries(binaryData)) {
    for (const msg of isConfigMapKey(k)) errs.push(fieldErrors.invalid(key("binaryData", k), k, msg));
    // binaryData is []byte: base64 on the wire (upstream refuses bad base64 with a 400 decode error; kemu names the key).
    const len = decodedLength(str(value));
    if ("badByte" in len) errs.push(fieldErrors.invalid(key("binaryData", k), "", `illegal base64 data at input byte ${len.badByte}`));
    else total += len.bytes;
  }
  // Upstream names the whole object (an empty field path).
  if (total > MAX_CONFIGMAP_SIZE) errs.push(fieldErrors.tooLong("", "", MAX_CONFIGMAP_SIZE));
  return errs;
}

function validateConfigMapUpdate(c: ConfigMapFields, old: ConfigMapFields): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (c.immutable !== true) errs.push(fieldErrors.forbidden("immutable", "field is immutable when `immutable` is set"));
  if (!deepEqual(obj(c.data), obj(old.data))) errs.push(fieldErrors.forbidden("data", "field is immutable when `immutable` is set"));
  if (!deepEqual(obj(c.binaryData), obj(old.binaryData))) errs.push(fieldErrors.forbidden("binaryData", "field is immutable when `immutable` is set"));
  return errs;
}
