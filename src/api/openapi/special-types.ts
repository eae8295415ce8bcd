// The apimachinery types whose JSON is not their protobuf message: upstream
// gives each an OpenAPI schema of its own through the kube-openapi hooks on
// the Go type (OpenAPISchemaType, OpenAPISchemaFormat, OpenAPIV3OneOfTypes).
// Sources: apimachinery v0.32.9 pkg/util/intstr/intstr.go,
// pkg/api/resource/quantity.go, pkg/apis/meta/v1/time.go, micro_time.go,
// types.go (FieldsV1), pkg/runtime/types.go (RawExtension).
import type { SchemaObject } from "./schema-object.js";

/** Protobuf message full name → the schema of its component (the message's own fields are not described). */
export const SPECIAL_TYPES: Readonly<Record<string, SchemaObject>> = {
  // OpenAPISchemaFormat "int-or-string"; OpenAPIV3OneOfTypes integer, string.
  "k8s.io.apimachinery.pkg.util.intstr.IntOrString": { format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }] },
  // OpenAPIV3OneOfTypes string, number ("1Gi", 0.5).
  "k8s.io.apimachinery.pkg.api.resource.Quantity": { oneOf: [{ type: "string" }, { type: "number" }] },
  // RFC 3339 in JSON.
  "k8s.io.apimachinery.pkg.apis.meta.v1.Time": { type: "string", format: "date-time" },
  "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": { type: "string", format: "date-time" },
  // Any JSON object: an embedded object, and managedFields' field set.
  "k8s.io.apimachinery.pkg.runtime.RawExtension": { type: "object" },
  "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1": { type: "object" },
};
