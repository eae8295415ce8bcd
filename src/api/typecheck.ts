// The JSON types of an object checked against upstream's OpenAPI schema,
// before defaulting and validation (which, like every controller, assume the
// types are right). The compiled schema validators come from the
// kubernetes-models package (generated from upstream's OpenAPI); kemu keeps
// the errors about JSON types and integer ranges and leaves `required` and
// `enum` to its own validators, which word them like upstream.
//
// Upstream answers a wrong type with a 400 decoder error naming the first
// problem; kemu answers 422 Invalid with every wrong type and its field path
// (docs/api-behaviours.md).
import { Pod } from "kubernetes-models/v1/Pod";
import { Service } from "kubernetes-models/v1/Service";
import { Node } from "kubernetes-models/v1/Node";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ReplicaSet } from "kubernetes-models/apps/v1/ReplicaSet";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { ControllerRevision } from "kubernetes-models/apps/v1/ControllerRevision";
import { Job } from "kubernetes-models/batch/v1/Job";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { EndpointSlice } from "kubernetes-models/discovery.k8s.io/v1/EndpointSlice";
import { Lease } from "kubernetes-models/coordination.k8s.io/v1/Lease";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { IngressClass } from "kubernetes-models/networking.k8s.io/v1/IngressClass";
import { Secret } from "kubernetes-models/v1/Secret";
import { Event } from "kubernetes-models/v1/Event";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Endpoints } from "kubernetes-models/v1/Endpoints";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import { FieldError } from "./errors.js";
import { REDACTED } from "./validation/secret.js";
import type { KubeObject } from "./types.js";
import { findUnknownFields, type UnknownField } from "./unknown-fields.js";

/** One schema error as ajv reports it. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: { type?: string; format?: string };
}

interface Checkable {
  prototype: { validate(): void };
}

/** A kind's compiled schema; adding a served kind is one line here. */
const schemas: Record<string, Checkable> = {
  Pod,
  Service,
  Node,
  Namespace,
  Deployment,
  ReplicaSet,
  StatefulSet,
  DaemonSet,
  ControllerRevision,
  Job,
  CronJob,
  EndpointSlice,
  Lease,
  NetworkPolicy,
  Ingress,
  IngressClass,
  Secret,
  Event,
  ConfigMap,
  ServiceAccount,
  Endpoints,
  PodDisruptionBudget,
  HorizontalPodAutoscaler,
};

/**
 * Kinds whose spec kubernetes-models has no schema for (CRDs kemu serves):
 * only their metadata is checked here; validation checks the rest of their
 * types as the CRD's schema does, in its words.
 */
const metadataOnly = new Set(["ClusterNetworkPolicy", "GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant"]);

/** Kinds typeCheck knows. */
export const typeCheckedKinds: readonly string[] = [...Object.keys(schemas), ...metadataOnly].sort();

/** The raw schema errors of obj (none for a kind without a schema). */
export function schemaErrors(obj: KubeObject): SchemaError[] {
  if (metadataOnly.has(obj.kind)) return metadataErrors(obj.metadata);
  const model = schemas[obj.kind];
  if (!model) return [];
  try {
    // The validator reads `this`; calling it on obj itself avoids the model's deep copy.
    model.prototype.validate.call(obj);
    return [];
  } catch (err) {
    const errors = (err as { errors?: SchemaError[] }).errors;
    if (!Array.isArray(errors)) throw err;
    return errors;
  }
}

/** ObjectMeta's schema errors, with pointers from the object's root. */
function metadataErrors(metadata: unknown): SchemaError[] {
  if (metadata === undefined) return [];
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    return [{ instancePath: "/metadata", keyword: "type", params: { type: "object" } }];
  }
  try {
    ObjectMeta.prototype.validate.call(metadata);
    return [];
  } catch (err) {
    const errors = (err as { errors?: SchemaError[] }).errors;
    if (!Array.isArray(errors)) throw err;
    return errors.map((e) => ({ ...e, instancePath: `/metadata${e.instancePath}` }));
  }
}

/** Wrong JSON types and out-of-range integers in obj, as field errors with Kubernetes paths ([] when the types are right). */
export function typeCheck(obj: KubeObject): FieldError[] {
  const errors = schemaErrors(obj);
  // The validators take int64 on trust (JavaScript numbers have no 64-bit integers): kemu checks the range itself.
  const reported = new Set(errors.map((e) => e.instancePath));
  for (const pointer of beyondInt64(obj)) if (!reported.has(pointer)) errors.push({ instancePath: pointer, keyword: "format", params: { format: "int64" } });
  return errors.length ? typeErrorsFrom(errors, obj) : [];
}

const INT64_LIMIT = 2 ** 63;

/** Pure: JSON pointers of the integers in value that no 64-bit integer holds (found without recursion). */
export function beyondInt64(value: unknown): string[] {
  // Every write passes here: look for such a number first, and build paths only when there is one.
  if (!hasHugeInteger(value)) return [];
  const out: string[] = [];
  const stack: [unknown, string][] = [[value, ""]];
  while (stack.length > 0) {
    const [v, pointer] = stack.pop()!;
    if (typeof v === "number") {
      if (isHuge(v)) out.push(pointer);
    } else if (typeof v === "object" && v !== null) {
      for (const [k, child] of Object.entries(v)) stack.push([child, `${pointer}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`]);
    }
  }
  return out.reverse();
}

function isHuge(v: number): boolean {
  return Number.isInteger(v) && (v >= INT64_LIMIT || v < -INT64_LIMIT);
}

function hasHugeInteger(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "number") {
      if (isHuge(v)) return true;
    } else if (Array.isArray(v)) {
      for (const child of v) if (typeof child === "object" || typeof child === "number") stack.push(child);
    } else if (typeof v === "object" && v !== null) {
      for (const key in v) {
        const child = (v as Record<string, unknown>)[key];
        if (typeof child === "object" || typeof child === "number") stack.push(child);
      }
    }
  }
  return false;
}

/** Formats kept: integer ranges. Strings' formats (quantity, date-time, byte) are left to kemu's validators. */
const RANGES: Record<string, string> = {
  int32: "must be an integer from -2147483648 to 2147483647 (32 bits)",
  int64: "must be an integer from -9223372036854775808 to 9223372036854775807 (64 bits)",
};

const NOUNS: Record<string, string> = {
  object: "an object",
  array: "a list",
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "a boolean (true or false)",
};
const ORDER = ["integer", "number", "string", "boolean", "object", "array"];

/** Pure: ajv's errors for obj → one FieldError per wrong field, in the order found. */
export function typeErrorsFrom(errors: SchemaError[], obj: unknown): FieldError[] {
  const byPath = new Map<string, SchemaError[]>();
  for (const e of errors) {
    const list = byPath.get(e.instancePath);
    if (list) list.push(e);
    else byPath.set(e.instancePath, [e]);
  }
  const out: FieldError[] = [];
  for (const [pointer, errs] of byPath) {
    const value = isSecretValue(obj, pointer) ? REDACTED : valueAt(obj, pointer);
    const detail = describe(errs, value);
    if (detail) out.push(new WrongType(fieldPath(pointer, obj), value, detail));
  }
  return out;
}

/** A Secret's data and stringData are never shown, not even when of the wrong type. */
function isSecretValue(obj: unknown, pointer: string): boolean {
  return (obj as { kind?: unknown } | null)?.kind === "Secret" && /^\/(data|stringData)(\/|$)/.test(pointer);
}

/** What is wrong at one path, or undefined when nothing kemu checks is. */
function describe(errs: SchemaError[], value: unknown): string | undefined {
  const types = new Set(errs.filter((e) => e.keyword === "type").map((e) => e.params.type!));
  const range = errs.find((e) => e.keyword === "format" && RANGES[e.params.format ?? ""]);
  if (errs.some((e) => e.keyword === "oneOf")) {
    // IntOrString, Quantity: a branch that failed on its format had the right type.
    if (errs.some((e) => e.keyword === "format")) return range ? RANGES[range.params.format!] : undefined;
    return `must be ${[...types].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)).map((t) => NOUNS[t] ?? t).join(" or ")}`;
  }
  if (types.size > 0) return `must be ${NOUNS[[...types][0]!] ?? [...types][0]}`;
  return range ? RANGES[range.params.format!] : undefined;
}

/** Fields whose keys are data (label names, resource names), shown as `labels[app]` as upstream's field paths do. */
const MAP_FIELDS = new Set([
  "labels",
  "annotations",
  "nodeSelector",
  "matchLabels",
  "limits",
  "requests",
  "capacity",
  "allocatable",
  "overhead",
  "deprecatedTopology",
  "volumeAttributes",
  "options",
  "data",
  "stringData",
  "binaryData",
]);

/** Pure: a JSON pointer into obj as a Kubernetes field path: /spec/containers/0/command → spec.containers[0].command. */
export function fieldPath(pointer: string, obj: unknown): string {
  if (pointer === "") return "<root>";
  const serviceSelector = (obj as { kind?: unknown } | null)?.kind === "Service";
  let path = "";
  let node: unknown = obj;
  let field = "";
  for (const seg of segments(pointer)) {
    const isMap = MAP_FIELDS.has(field) || (serviceSelector && path === "spec.selector");
    if (Array.isArray(node) || isMap) {
      path += `[${seg}]`;
    } else {
      path += path === "" ? seg : `.${seg}`;
      field = seg;
    }
    if (isMap) field = "";
    node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[seg] : undefined;
  }
  return path;
}

function segments(pointer: string): string[] {
  return pointer === "" ? [] : pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function valueAt(obj: unknown, pointer: string): unknown {
  let node = obj;
  for (const seg of segments(pointer)) {
    node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[seg] : undefined;
  }
  return node;
}

/** Longest value shown in an error; longer ones are cut, as a 100,000-entry map should not fill a terminal. */
const SHOWN_VALUE = 80;

/** Pure: a value as an error shows it (JSON), cut to SHOWN_VALUE characters. */
export function abbreviate(value: unknown): string {
  const text = value === undefined ? "null" : JSON.stringify(value);
  return text.length > SHOWN_VALUE ? `${text.slice(0, SHOWN_VALUE - 3)}...` : text;
}

/** `spec.replicas: Invalid value: "3": must be an integer`, with the value abbreviated. */
class WrongType extends FieldError {
  constructor(field: string, value: unknown, detail: string) {
    super("Invalid", field, value, detail);
  }

  override toString(): string {
    return `${this.field}: Invalid value: ${abbreviate(this.value)}: ${this.detail}`;
  }
}

/**
 * The fields obj carries that its kind's schema does not have, in document
 * order (field validation: dropped, warned about, or refused). None for a kind
 * without a schema; only metadata's for the CRD kinds, whose schemas kemu lacks.
 */
export function unknownFields(obj: KubeObject): UnknownField[] {
  const ignoreErrors = (run: () => void) => {
    try {
      run();
    } catch {
      // Type errors are typeCheck's to report; here only the reads count.
    }
  };
  if (metadataOnly.has(obj.kind)) {
    const meta = obj.metadata;
    if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return [];
    return findUnknownFields(meta, (m) => ignoreErrors(() => ObjectMeta.prototype.validate.call(m))).map((f) => ({ ...f, path: `metadata.${f.path}` }));
  }
  const model = schemas[obj.kind];
  if (!model) return [];
  return findUnknownFields(obj, (o) => ignoreErrors(() => model.prototype.validate.call(o)));
}
