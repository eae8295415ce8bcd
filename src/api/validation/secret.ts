// Secret (core v1), as kube-apiserver validates it (pkg/apis/core/validation:
// ValidateSecret, ValidateSecretUpdate). A secret's values never appear in an
// error: upstream shows "<secret contents redacted>" where a value would go.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { decodedLength } from "../secret-data.js";
import { fieldImmutableErrorMsg, isConfigMapKey } from "./names.js";
import { deepEqual, key, obj, str } from "./util.js";

/** core.MaxSecretSize: the decoded bytes of all data values together. */
export const MAX_SECRET_SIZE = 1024 * 1024;
export const REDACTED = "<secret contents redacted>";

/** The keys upstream requires for each built-in type (core/types.go). */
const TLS_CERT = "tls.crt";
const TLS_KEY = "tls.key";
const DOCKERCFG = ".dockercfg";
const DOCKER_CONFIG_JSON = ".dockerconfigjson";
const SA_NAME = "kubernetes.io/service-account.name";

export function validateSecretBody(secret: KubeObject, old?: KubeObject): FieldError[] {
  const s = secret as KubeObject & { data?: unknown; type?: unknown; immutable?: unknown };
  const errs: FieldError[] = [];
  if (old) errs.push(...validateSecretUpdate(s, old as typeof s));
  const data = obj(s.data);
  const decoded = new Map<string, Buffer | undefined>();
  let total = 0;
  for (const [k, value] of Object.entries(data)) {
    for (const msg of isConfigMapKey(k)) errs.push(fieldErrors.invalid(key("data", k), k, msg));
    // Go's JSON decoder reads []byte as base64; kemu reports a bad value here, redacted (upstream: a 400 decode error).
    const len = decodedLength(str(value));
    if ("badByte" in len) {
      errs.push(fieldErrors.invalid(key("data", k), REDACTED, `illegal base64 data at input byte ${len.badByte}`));
      decoded.set(k, undefined);
      continue;
    }
    total += len.bytes;
    decoded.set(k, Buffer.from(str(value), "base64"));
  }
  if (total > MAX_SECRET_SIZE) errs.push(fieldErrors.tooLong("data", "", MAX_SECRET_SIZE));
  errs.push(...validateType(str(s.type), decoded, obj(s.metadata)));
  return errs;
}

function validateType(type: string, data: Map<string, Buffer | undefined>, metadata: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  switch (type) {
    case "kubernetes.io/service-account-token":
      if (str(obj(metadata.annotations)[SA_NAME]) === "") errs.push(fieldErrors.required(key("metadata.annotations", SA_NAME)));
      break;
    case "kubernetes.io/dockercfg":
    case "kubernetes.io/dockerconfigjson": {
      const k = type === "kubernetes.io/dockercfg" ? DOCKERCFG : DOCKER_CONFIG_JSON;
      if (!data.has(k)) {
        errs.push(fieldErrors.required(key("data", k)));
        break;
      }
      const bytes = data.get(k);
      const problem = bytes === undefined ? undefined : jsonObjectProblem(bytes.toString("utf8"));
      if (problem) errs.push(fieldErrors.invalid(key("data", k), REDACTED, problem));
      break;
    }
    case "kubernetes.io/basic-auth":
      // Either may be empty, but one must be present.
      if (!data.has("username") && !data.has("password")) {
        errs.push(fieldErrors.required(key("data", "username")), fieldErrors.required(key("data", "password")));
      }
      break;
    case "kubernetes.io/ssh-auth":
      if ((data.get("ssh-privatekey")?.length ?? 0) === 0) errs.push(fieldErrors.required(key("data", "ssh-privatekey")));
      break;
    case "kubernetes.io/tls":
      if (!data.has(TLS_CERT)) errs.push(fieldErrors.required(key("data", TLS_CERT)));
      if (!data.has(TLS_KEY)) errs.push(fieldErrors.required(key("data", TLS_KEY)));
      break;
    default:
      // Opaque, "" and any other type: no rules (types are free-form upstream).
      break;
  }
  return errs;
}

/**
 * Why text is not a JSON object as Go's json.Unmarshal into a map words it
 * (the common cases; kemu does not reproduce every offset of Go's messages).
 */
export function jsonObjectProblem(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (text.trim() === "") return "unexpected end of JSON input";
    const first = text.trimStart()[0]!;
    if (!/[{["\-0-9tfn]/.test(first)) return `invalid character '${first}' looking for beginning of value`;
    return "unexpected end of JSON input";
  }
  if (value === null || (typeof value === "object" && !Array.isArray(value))) return undefined;
  const goType = Array.isArray(value) ? "array" : typeof value === "boolean" ? "bool" : typeof value;
  return `json: cannot unmarshal ${goType} into Go value of type map[string]interface {}`;
}

/** The type may not change; an immutable secret keeps its data and stays immutable. */
function validateSecretUpdate(
  s: { data?: unknown; type?: unknown; immutable?: unknown },
  old: { data?: unknown; type?: unknown; immutable?: unknown },
): FieldError[] {
  const errs: FieldError[] = [];
  if (str(s.type) !== str(old.type)) errs.push(fieldErrors.invalid("type", s.type, fieldImmutableErrorMsg));
  if (old.immutable === true) {
    if (s.immutable !== true) errs.push(fieldErrors.forbidden("immutable", "field is immutable when `immutable` is set"));
    if (!deepEqual(obj(s.data), obj(old.data))) errs.push(fieldErrors.forbidden("data", "field is immutable when `immutable` is set"));
  }
  return errs;
}
