// components.schemas for the kinds that are CustomResourceDefinitions
// upstream (the Gateway API, network-policy-api): kube-apiserver publishes a
// CRD's structural schema inline under one component named by the reversed
// group (io.k8s.networking.gateway.v1.Gateway), with apiVersion, kind and a
// $ref to ObjectMeta added (apiextensions-apiserver controller/openapi/builder).
// kemu's schema of each is the one its validation uses
// (src/api/validation/crd-schema.ts); its CEL rules are code, not text, so
// they are left out. A kind with no schema data gets an open spec and status.
import type { Schema } from "../validation/crd-schema.js";
import { refTo, sortedProperties, type GroupVersionKind, type SchemaObject } from "./schema-object.js";

export const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/** gateway.networking.k8s.io, v1, Gateway → io.k8s.networking.gateway.v1.Gateway. */
export function crdComponentName(gvk: GroupVersionKind): string {
  return [...gvk.group.split(".").reverse(), gvk.version, gvk.kind].join(".");
}

/** One node of kemu's CRD schema as OpenAPI (defaults, limits, patterns, enums, required, list types). */
export function crdSchemaObject(schema: Schema): SchemaObject {
  const out: SchemaObject = { type: schema.type };
  if (schema.default !== undefined) out.default = schema.default;
  switch (schema.type) {
    case "string":
      if (schema.enum) out.enum = [...schema.enum];
      if (schema.maxLength !== undefined) out.maxLength = schema.maxLength;
      if (schema.minLength !== undefined) out.minLength = schema.minLength;
      if (schema.pattern !== undefined) out.pattern = schema.pattern;
      break;
    case "integer":
      if (schema.enum) out.enum = [...schema.enum];
      if (schema.maximum !== undefined) out.maximum = schema.maximum;
      if (schema.minimum !== undefined) out.minimum = schema.minimum;
      break;
    case "boolean":
      break;
    case "object":
      if (schema.values) out.additionalProperties = crdSchemaObject(schema.values);
      if (schema.maxProperties !== undefined) out.maxProperties = schema.maxProperties;
      if (schema.properties && Object.keys(schema.properties).length > 0) {
        out.properties = sortedProperties(Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, crdSchemaObject(v)])));
      }
      if (schema.required && schema.required.length > 0) out.required = [...schema.required];
      break;
    case "array":
      out.items = crdSchemaObject(schema.items);
      if (schema.maxItems !== undefined) out.maxItems = schema.maxItems;
      if (schema.minItems !== undefined) out.minItems = schema.minItems;
      if (schema.listType) out["x-kubernetes-list-type"] = schema.listType;
      if (schema.mapKeys) out["x-kubernetes-list-map-keys"] = [...schema.mapKeys];
      break;
  }
  return out;
}

/**
 * A custom kind's whole component: kemu's schema of its body (spec, and what
 * else it validates) with apiVersion, kind and metadata; without one, spec
 * and status are open objects.
 */
export function crdKindSchema(gvk: GroupVersionKind, body: Schema | undefined, description?: string): SchemaObject {
  const converted = body ? crdSchemaObject(body) : { type: "object" as const, properties: { spec: { type: "object" as const } } };
  const properties: Record<string, SchemaObject> = {
    apiVersion: { type: "string" },
    kind: { type: "string" },
    metadata: refTo(OBJECT_META),
    status: { type: "object" },
    ...converted.properties,
  };
  return {
    ...(description ? { description } : {}),
    type: "object",
    properties: sortedProperties(properties),
    ...(converted.required ? { required: converted.required } : {}),
    "x-kubernetes-group-version-kind": [gvk],
  };
}
