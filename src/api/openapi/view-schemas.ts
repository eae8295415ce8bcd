// Messages for the kinds kemu serves as a second view of a stored kind
// (resources.ts RESOURCE_VIEWS), which the protobuf schema does not carry:
// events.k8s.io/v1 Event is core/v1 Event's fields under the view's names
// (events-v1.ts, upstream's pkg/apis/events/v1 conversion), less the ones
// events.k8s.io/v1 lacks. Its nested types stay core/v1's (EventSeries,
// EventSource, ObjectReference: the same fields upstream).
import { EVENTS_V1_FIELDS, eventToV1 } from "../events-v1.js";
import type { FieldDef, ProtoSchema } from "../protobuf/schema.js";
import type { KubeObject } from "../types.js";

const CORE_EVENT = "k8s.io.api.core.v1.Event";
export const EVENTS_V1_EVENT = "k8s.io.api.events.v1.Event";

/** The schema with events.k8s.io/v1 Event added as a message of its own. */
export function withViewMessages(schema: ProtoSchema): ProtoSchema {
  const core = schema.messages[CORE_EVENT];
  if (!core) throw new Error(`no message ${CORE_EVENT}`);
  const defs = Object.entries(core.fields);
  // The view's own renaming, applied to an object with one key per core field (in order; it puts apiVersion and kind first).
  const names = Object.keys(eventToV1(Object.fromEntries(defs.map(([, [json]]) => [json, true])) as unknown as KubeObject)).filter(
    (k) => k !== "apiVersion" && k !== "kind",
  );
  const fields: Record<string, FieldDef> = {};
  defs.forEach(([number, [, type, flags]], i) => {
    const json = names[i]!;
    if (EVENTS_V1_FIELDS.has(json)) fields[number] = [json, type, flags];
  });
  return {
    ...schema,
    kinds: { ...schema.kinds, "events.k8s.io/v1/Event": EVENTS_V1_EVENT },
    messages: { ...schema.messages, [EVENTS_V1_EVENT]: { fields } },
  };
}
