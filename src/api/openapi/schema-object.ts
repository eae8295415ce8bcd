// The OpenAPI v3 schema objects kemu writes under components.schemas: the
// keywords and Kubernetes extensions upstream's documents use and kubectl
// reads (explain's templates follow $ref, allOf, items, additionalProperties
// and properties; x-kubernetes-group-version-kind finds a kind's schema).

export interface GroupVersionKind {
  group: string;
  kind: string;
  version: string;
}

export type SchemaType = "object" | "array" | "string" | "integer" | "number" | "boolean";

export interface SchemaObject {
  $ref?: string;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  additionalProperties?: SchemaObject;
  default?: unknown;
  description?: string;
  enum?: readonly (string | number)[];
  format?: string;
  items?: SchemaObject;
  maxItems?: number;
  maxLength?: number;
  maxProperties?: number;
  maximum?: number;
  minItems?: number;
  minLength?: number;
  minimum?: number;
  pattern?: string;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  type?: SchemaType;
  "x-kubernetes-group-version-kind"?: GroupVersionKind[];
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-patch-merge-key"?: string;
  "x-kubernetes-patch-strategy"?: string;
}

/** `#/components/schemas/NAME`, the form of every reference in a v3 document. */
export function refTo(component: string): SchemaObject {
  return { $ref: `#/components/schemas/${component}` };
}

/** An object's properties with their keys sorted, as upstream's documents (Go maps) are written. */
export function sortedProperties(properties: Record<string, SchemaObject>): Record<string, SchemaObject> {
  return Object.fromEntries(Object.entries(properties).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
