// ReferenceGrant (gateway.networking.k8s.io/v1beta1), validated as
// kube-apiserver does with the standard-channel CRD (kubernetes-sigs/
// gateway-api apis/v1beta1/referencegrant_types.go; config/crd/standard/
// gateway.networking.k8s.io_referencegrants.yaml): 1 to 16 `from`
// (group, kind, namespace) and 1 to 16 `to` (group, kind, optional name).
// It has no defaults and no CEL rules.
import type { FieldError } from "../errors.js";
import type { KubeObject } from "../types.js";
import { validateSchema, type ObjectSchema } from "./crd-schema.js";
import { arr, group, kind, namespace, obj, objectName } from "./gateway-shared.js";

export const MAX_GRANT_ENTRIES = 16;

export const REFERENCEGRANT_SCHEMA: ObjectSchema = obj(
  {
    spec: obj(
      {
        from: arr(obj({ group: group(), kind: kind(), namespace: namespace() }, { required: ["group", "kind", "namespace"] }), { minItems: 1, maxItems: MAX_GRANT_ENTRIES }),
        to: arr(obj({ group: group(), kind: kind(), name: objectName() }, { required: ["group", "kind"] }), { minItems: 1, maxItems: MAX_GRANT_ENTRIES }),
      },
      { required: ["from", "to"] },
    ),
  },
  { required: ["spec"] },
);

export function validateReferenceGrantBody(grant: KubeObject): FieldError[] {
  return validateSchema({ spec: grant.spec }, REFERENCEGRANT_SCHEMA, "");
}
