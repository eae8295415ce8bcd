// The message shapes of schema.json (written by scripts/gen-proto-schema.mjs
// from upstream's generated.proto files and Go struct tags), typed.
import data from "./schema.json" with { type: "json" };

/** [JSON name, type, flags]: the type is a scalar name or a message's full name; flags r repeated, m map<string,type>, p Go pointer, i inline. */
export type FieldDef = readonly [json: string, type: string, flags: string];

export interface MessageDef {
  /** A Go named slice (type X []T): its JSON is the list of its one repeated field. */
  readonly list?: boolean;
  readonly fields: Readonly<Record<string, FieldDef>>;
}

export interface ProtoSchema {
  /** Where the data came from (upstream versions and commits). */
  readonly source: string;
  /** "apiVersion/Kind" → the message's full name. */
  readonly kinds: Readonly<Record<string, string>>;
  readonly messages: Readonly<Record<string, MessageDef>>;
}

// The generator writes exactly this shape; test/unit/protobuf-schema.test.ts checks every entry.
export const SCHEMA: ProtoSchema = data as unknown as ProtoSchema;
