// components.schemas for the built-in kinds, generated from the protobuf
// schema (src/api/protobuf/schema.json: each message's fields with their JSON
// names, types, repeated/map and inline flags, from k8s.io/api v0.32.9).
// Names are upstream's (the proto package reversed at its domain:
// k8s.io.api.core.v1.PodSpec → io.k8s.api.core.v1.PodSpec); a message field
// is a $ref to its own component, a repeated field an array, a map an object
// with additionalProperties, an inline (embedded) struct's fields are the
// parent's own, and the apimachinery types with a JSON form of their own
// (IntOrString, Quantity, Time…) have upstream's special schemas.
import type { ProtoSchema } from "../protobuf/schema.js";
import { SPECIAL_TYPES } from "./special-types.js";
import type { ExtensionTable, ListExtensions } from "./list-extensions.js";
import { refTo, sortedProperties, type GroupVersionKind, type SchemaObject } from "./schema-object.js";

/** Protobuf scalar → JSON schema, as kube-openapi writes Go's types (int32/int64 formats, []byte base64). */
const SCALARS: Readonly<Record<string, SchemaObject>> = {
  string: { type: "string" },
  bool: { type: "boolean" },
  int32: { type: "integer", format: "int32" },
  int64: { type: "integer", format: "int64" },
  double: { type: "number", format: "double" },
  float: { type: "number", format: "float" },
  bytes: { type: "string", format: "byte" },
};

/** k8s.io.api.core.v1.PodSpec → io.k8s.api.core.v1.PodSpec (upstream's component name). */
export function componentName(message: string): string {
  if (!message.startsWith("k8s.io.")) throw new Error(`message ${message} is not a Kubernetes type`);
  return `io.k8s.${message.slice("k8s.io.".length)}`;
}

export interface BuiltinKind {
  /** The key of schema.kinds: "v1/Pod", "apps/v1/Deployment". */
  apiKind: string;
  gvk: GroupVersionKind;
  description?: string;
}

/**
 * The components of the given kinds (and of other messages asked for by
 * name) and every message they reach, keyed by component name. Pure: the
 * same input gives the same (key-sorted) output.
 */
export function builtinComponents(
  schema: ProtoSchema,
  kinds: readonly BuiltinKind[],
  extensions: ExtensionTable,
  messages: readonly string[] = [],
): Record<string, SchemaObject> {
  const out: Record<string, SchemaObject> = {};
  const queue: string[] = [];
  const seen = new Set<string>();
  const reach = (message: string): SchemaObject => {
    if (!seen.has(message)) {
      seen.add(message);
      queue.push(message);
    }
    return refTo(componentName(message));
  };

  /** One value of a field's type (an item of a list, a value of a map). */
  const valueSchema = (type: string): SchemaObject => {
    const scalar = SCALARS[type];
    if (scalar) return { ...scalar };
    const def = schema.messages[type];
    if (!def) throw new Error(`unknown message ${type}`);
    // A Go named slice (type ExtraValue []string): its JSON is the list itself.
    if (def.list) {
      const [, itemType] = Object.values(def.fields)[0]!;
      return { type: "array", items: valueSchema(itemType) };
    }
    return reach(type);
  };

  const fieldSchema = (type: string, flags: string, ext: ListExtensions | undefined): SchemaObject => {
    const value = valueSchema(type);
    const shaped: SchemaObject = flags.includes("m") ? { type: "object", additionalProperties: value } : flags.includes("r") ? { type: "array", items: value } : value;
    if (!ext) return shaped;
    // A $ref has no siblings in OpenAPI 3.0: upstream wraps it in allOf to add extensions.
    return shaped.$ref ? { allOf: [shaped], ...ext } : { ...shaped, ...ext };
  };

  /** The properties of a message, its inline structs' fields merged in. */
  const properties = (message: string): Record<string, SchemaObject> => {
    const def = schema.messages[message];
    if (!def) throw new Error(`unknown message ${message}`);
    const props: Record<string, SchemaObject> = {};
    const ext = extensions.get(message);
    for (const [json, type, flags] of Object.values(def.fields)) {
      if (flags.includes("i")) Object.assign(props, properties(type));
      else props[json] = fieldSchema(type, flags, ext?.get(json));
    }
    return props;
  };

  const kindOf = new Map<string, BuiltinKind>();
  for (const k of kinds) {
    const message = schema.kinds[k.apiKind];
    if (!message) throw new Error(`no message for ${k.apiKind}`);
    kindOf.set(message, k);
    reach(message);
  }
  for (const message of messages) reach(message);

  for (let message = queue.shift(); message !== undefined; message = queue.shift()) {
    const special = SPECIAL_TYPES[message];
    if (special) {
      out[componentName(message)] = special;
      continue;
    }
    const kind = kindOf.get(message);
    const props = properties(message);
    // TypeMeta is not in the protobuf message: every kind's JSON carries it.
    if (kind) Object.assign(props, { apiVersion: { type: "string" }, kind: { type: "string" } });
    out[componentName(message)] = {
      ...(kind?.description ? { description: kind.description } : {}),
      type: "object",
      properties: sortedProperties(props),
      ...(kind ? { "x-kubernetes-group-version-kind": [kind.gvk] } : {}),
    };
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
