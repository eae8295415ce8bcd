// The list and patch extensions of each field, from kemu's patch strategy
// table (src/api/patch/strategy.ts, upstream's patchStrategy/patchMergeKey
// struct tags) laid onto the protobuf messages the table's paths reach:
//   merge by a key → x-kubernetes-list-type map, list-map-keys, patch-merge-key, patch-strategy merge
//   merge as a set → x-kubernetes-list-type set, patch-strategy merge
//   retainKeys     → patch-strategy …retainKeys
// Lists without a strategy get no list type: kemu's data does not say which
// upstream marks atomic.
import type { MessageDef, ProtoSchema } from "../protobuf/schema.js";
import { patchSchemaOf, type FieldStrategy, type PatchSchema } from "../patch/strategy.js";
import type { SchemaObject } from "./schema-object.js";

export type ListExtensions = Pick<
  SchemaObject,
  "x-kubernetes-list-map-keys" | "x-kubernetes-list-type" | "x-kubernetes-patch-merge-key" | "x-kubernetes-patch-strategy"
>;

/**
 * Lists whose +listMapKey markers name more keys than the patch merge key
 * (k8s.io/api v0.32.9 core/v1 types.go: Container.Ports, ServiceSpec.Ports,
 * PodSpec.TopologySpreadConstraints). Keyed "message.jsonField".
 */
const EXTRA_MAP_KEYS: Readonly<Record<string, readonly string[]>> = {
  "k8s.io.api.core.v1.Container.ports": ["protocol"],
  "k8s.io.api.core.v1.ServiceSpec.ports": ["protocol"],
  "k8s.io.api.core.v1.PodSpec.topologySpreadConstraints": ["whenUnsatisfiable"],
};

/** The extensions one strategy table entry stands for ({} when it only describes what lies below). */
export function extensionsOf(strategy: FieldStrategy, extraKeys: readonly string[] = []): ListExtensions {
  const out: ListExtensions = {};
  if (strategy.strategy === "merge") {
    if (strategy.mergeKey) {
      out["x-kubernetes-list-map-keys"] = [strategy.mergeKey, ...extraKeys];
      out["x-kubernetes-list-type"] = "map";
      out["x-kubernetes-patch-merge-key"] = strategy.mergeKey;
    } else {
      out["x-kubernetes-list-type"] = "set";
    }
  }
  const strategies = [...(strategy.strategy ? [strategy.strategy] : []), ...(strategy.retainKeys ? ["retainKeys"] : [])];
  if (strategies.length > 0) out["x-kubernetes-patch-strategy"] = strategies.join(",");
  return out;
}

/** message full name → JSON field name → its extensions. */
export type ExtensionTable = ReadonlyMap<string, ReadonlyMap<string, ListExtensions>>;

/** The message that declares `field` in `message`: the message itself or one inlined into it. */
function owner(schema: ProtoSchema, message: string, field: string): { message: string; type: string } | undefined {
  const def: MessageDef | undefined = schema.messages[message];
  if (!def) return undefined;
  for (const [json, type, flags] of Object.values(def.fields)) {
    if (flags.includes("i")) {
      const found = owner(schema, type, field);
      if (found) return found;
    } else if (json === field) return { message, type };
  }
  return undefined;
}

/** Lays every served built-in kind's patch table onto the messages; throws if an entry names a field the messages lack. */
export function extensionTable(schema: ProtoSchema, kinds: readonly string[]): ExtensionTable {
  const table = new Map<string, Map<string, ListExtensions>>();
  const lay = (message: string, patch: PatchSchema, path: string): void => {
    for (const [field, strategy] of Object.entries(patch)) {
      const found = owner(schema, message, field);
      if (!found) throw new Error(`patch strategy ${path}.${field}: ${message} has no field ${field}`);
      const ext = extensionsOf(strategy, EXTRA_MAP_KEYS[`${found.message}.${field}`]);
      if (Object.keys(ext).length > 0) {
        const fields = table.get(found.message) ?? new Map<string, ListExtensions>();
        const before = fields.get(field);
        if (before && JSON.stringify(before) !== JSON.stringify(ext)) throw new Error(`patch strategy ${path}.${field} disagrees with another path to ${found.message}`);
        fields.set(field, ext);
        table.set(found.message, fields);
      }
      if (strategy.schema) lay(found.type, strategy.schema, `${path}.${field}`);
    }
  };
  for (const apiKind of kinds) {
    const message = schema.kinds[apiKind];
    if (!message) throw new Error(`no message for ${apiKind}`);
    lay(message, patchSchemaOf(apiKind.slice(apiKind.lastIndexOf("/") + 1)), apiKind);
  }
  return table;
}
