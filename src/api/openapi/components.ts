// The components.schemas of one group version's document: its served kinds
// (built-in from the protobuf schema, custom from kemu's CRD schemas) and
// everything they reference.
import { isCustomResourceGroup } from "../patch/strategy.js";
import { SCHEMA } from "../protobuf/schema.js";
import { SERVED_RESOURCES, type ResourceInfo } from "../resources.js";
import type { Schema } from "../validation/crd-schema.js";
import { GATEWAY_SCHEMA, GATEWAYCLASS_SCHEMA } from "../validation/gateway-gateway.js";
import { HTTPROUTE_SCHEMA } from "../validation/gateway-httproute.js";
import { REFERENCEGRANT_SCHEMA } from "../validation/gateway-referencegrant.js";
import { builtinComponents, componentName, type BuiltinKind } from "./builtin-schemas.js";
import { crdComponentName, crdKindSchema } from "./crd-schemas.js";
import { KIND_DESCRIPTIONS } from "./kind-descriptions.js";
import { extensionTable, type ExtensionTable } from "./list-extensions.js";
import type { GroupVersionKind, SchemaObject } from "./schema-object.js";
import { withViewMessages } from "./view-schemas.js";

/** The custom kinds' schemas as kemu validates them; ClusterNetworkPolicy is validated in code, so it has none. */
const CRD_BODIES: Readonly<Record<string, Schema>> = {
  GatewayClass: GATEWAYCLASS_SCHEMA,
  Gateway: GATEWAY_SCHEMA,
  HTTPRoute: HTTPROUTE_SCHEMA,
  ReferenceGrant: REFERENCEGRANT_SCHEMA,
};

const META = "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta";

const apiKindOf = (r: ResourceInfo): string => `${r.group ? `${r.group}/` : ""}${r.version}/${r.kind}`;
const gvkOf = (r: ResourceInfo): GroupVersionKind => ({ group: r.group, kind: r.kind, version: r.version });

/** The protobuf schema with the served views' kinds (events.k8s.io/v1 Event) added. */
const PROTO = withViewMessages(SCHEMA);

let extensions: ExtensionTable | undefined;

/** The table of every served built-in kind, built once. */
function allExtensions(): ExtensionTable {
  extensions ??= extensionTable(PROTO, SERVED_RESOURCES.map(apiKindOf).filter((k) => PROTO.kinds[k]));
  return extensions;
}

/** components.schemas for the kinds of one group version, keys sorted (the custom ones and any built-in kind without a message inline). */
export function componentSchemas(kinds: readonly ResourceInfo[]): Record<string, SchemaObject> {
  const builtin: BuiltinKind[] = [];
  const custom: Record<string, SchemaObject> = {};
  for (const r of kinds) {
    const description = KIND_DESCRIPTIONS[r.kind];
    if (PROTO.kinds[apiKindOf(r)]) builtin.push({ apiKind: apiKindOf(r), gvk: gvkOf(r), ...(description ? { description } : {}) });
    else if (isCustomResourceGroup(r.group)) custom[crdComponentName(gvkOf(r))] = crdKindSchema(gvkOf(r), CRD_BODIES[r.kind], description);
    // A built-in kind the protobuf schema lacks: upstream's name (events.k8s.io → io.k8s.api.events.v1.Event), an open spec.
    else custom[`io.k8s.api.${r.group.replace(/\.k8s\.io$/, "")}.${r.version}.${r.kind}`] = crdKindSchema(gvkOf(r), undefined, description);
  }
  // A custom kind's metadata is a $ref to ObjectMeta: its components come along.
  const metaRoots = Object.keys(custom).length > 0 ? builtinComponents(PROTO, [], allExtensions(), [META]) : {};
  const all = { ...metaRoots, ...builtinComponents(PROTO, builtin, allExtensions()), ...custom };
  if (Object.keys(custom).length > 0 && !all[componentName(META)]) throw new Error("ObjectMeta missing");
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
