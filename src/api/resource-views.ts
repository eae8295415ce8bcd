// The seam between a served group version and the resource whose objects it
// shows (resources.ts RESOURCE_VIEWS): the API server reads and writes the
// stored resource and converts at the edge, so both versions see the same
// objects, watches included. Upstream does the same with one storage
// registered under two group versions and the scheme's conversions.
import { ApiError, type FieldError } from "./errors.js";
import { RESOURCE_VIEWS, RESOURCES, type ResourceInfo } from "./resources.js";
import type { KubeObject } from "./types.js";
import { parseFieldSelector } from "./selectors.js";
import { eventFromV1, eventToV1, fieldRequirementsToCore, fieldSelectorText, unknownV1Fields } from "./events-v1.js";
import { validateEventV1Create, validateEventV1Update } from "./validation/event-v1.js";

export interface ResourceView {
  /** The resource whose stored objects this one shows. */
  storage: ResourceInfo;
  /** A stored object as this version shows it. */
  toView<T extends KubeObject>(stored: T): T;
  /** An object written in this version as it is stored (its unknown top-level fields already dropped). */
  toStorage<T extends KubeObject>(obj: T): T;
  /** Top-level fields of a written object that this version does not have. */
  unknownFields(obj: KubeObject): string[];
  /** A field selector in this version's names, in the stored names. */
  storageFieldSelector(selector: string): string;
  /** This version's own rules on a create, run on the converted object (namespace filled in). */
  validateCreate(stored: KubeObject): FieldError[];
  /** …and on an update, against the stored object. */
  validateUpdate(stored: KubeObject, old: KubeObject): FieldError[];
}

const CORE_EVENTS = RESOURCES.find((r) => r.group === "" && r.plural === "events")!;
const EVENTS_V1 = RESOURCE_VIEWS.find((r) => r.group === "events.k8s.io" && r.plural === "events")!;

const EVENTS_V1_VIEW: ResourceView = {
  storage: CORE_EVENTS,
  toView: eventToV1,
  toStorage: eventFromV1,
  unknownFields: unknownV1Fields,
  storageFieldSelector(selector) {
    try {
      return fieldSelectorText(fieldRequirementsToCore(parseFieldSelector(selector)));
    } catch (err) {
      throw new ApiError("BadRequest", `unable to parse requirement: ${(err as Error).message}`);
    }
  },
  validateCreate: validateEventV1Create,
  validateUpdate: validateEventV1Update,
};

const VIEWS = new Map<ResourceInfo, ResourceView>([[EVENTS_V1, EVENTS_V1_VIEW]]);

/** The view a served resource is, or undefined for a stored one. */
export function viewOf(resource: ResourceInfo): ResourceView | undefined {
  return VIEWS.get(resource);
}
