// One entry for every patch kube-apiserver takes, by media type: JSON patch,
// JSON merge patch, strategic merge patch and server-side apply. Turns each
// engine's own error into the API error upstream answers with.
import { ApiError } from "../errors.js";
import { applyMergePatch } from "./merge-patch.js";
import { applyStrategicMergePatch, StrategicPatchError } from "./strategic-merge.js";
import { applyJsonPatch, JsonPatchError } from "./json-patch.js";
import { ApplyPatchError, applyConfiguration, checkApplyConfiguration } from "./apply-patch.js";
import { isCustomResourceGroup, patchSchemaOf } from "./strategy.js";

export const JSON_PATCH = "application/json-patch+json";
export const MERGE_PATCH = "application/merge-patch+json";
export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
export const APPLY_PATCH = "application/apply-patch+yaml";

export type PatchType = typeof JSON_PATCH | typeof MERGE_PATCH | typeof STRATEGIC_MERGE_PATCH | typeof APPLY_PATCH;

/** What a built-in kind takes, in upstream's order (apiserver installer.go). */
export const PATCH_TYPES: readonly PatchType[] = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH];
/** What a custom resource takes: no strategic merge patch (apiextensions customresource_handler.go). */
export const CUSTOM_RESOURCE_PATCH_TYPES: readonly PatchType[] = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH];

/** The kind being patched, as the patch engines need it. */
export interface PatchTarget {
  kind: string;
  group: string;
  /** apiVersions an apply configuration may name, the served one first. */
  apiVersions: readonly string[];
}

type JsonObject = Record<string, unknown>;

/** Refuses a patch type the kind does not take (415, with the accepted types listed, as upstream). */
export function checkPatchType(target: PatchTarget, patchType: string): PatchType {
  const accepted = isCustomResourceGroup(target.group) ? CUSTOM_RESOURCE_PATCH_TYPES : PATCH_TYPES;
  if (!(accepted as readonly string[]).includes(patchType)) {
    throw new ApiError("UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`);
  }
  return patchType as PatchType;
}

/** The live object with a (non-apply) patch applied. */
export function patchObject(target: PatchTarget, live: JsonObject, patch: unknown, patchType: PatchType): unknown {
  switch (patchType) {
    case MERGE_PATCH:
      return applyMergePatch(live, requireObject(patch, "a merge patch"));
    case STRATEGIC_MERGE_PATCH:
      try {
        return applyStrategicMergePatch(live, requireObject(patch, "a strategic merge patch"), patchSchemaOf(target.kind));
      } catch (err) {
        if (err instanceof StrategicPatchError) throw new ApiError(err.unprocessable ? "Invalid" : "BadRequest", err.message);
        throw err;
      }
    case JSON_PATCH:
      try {
        return applyJsonPatch(live, patch);
      } catch (err) {
        if (err instanceof JsonPatchError) {
          throw new ApiError(err.kind === "malformed" ? "BadRequest" : err.kind === "tooLarge" ? "RequestEntityTooLarge" : "Invalid", err.message);
        }
        throw err;
      }
    case APPLY_PATCH:
      return applyConfiguration(live, checkedConfiguration(target, patch), patchSchemaOf(target.kind));
  }
}

/** An apply configuration, checked (400 when it cannot be applied). */
export function checkedConfiguration(target: PatchTarget, patch: unknown): JsonObject {
  const config = requireObject(patch, "an apply patch");
  try {
    checkApplyConfiguration(config, target.apiVersions);
  } catch (err) {
    if (err instanceof ApplyPatchError) throw new ApiError("BadRequest", err.message);
    throw err;
  }
  return config;
}

function requireObject(patch: unknown, what: string): JsonObject {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) throw new ApiError("BadRequest", `${what} must be a JSON object`);
  return patch as JsonObject;
}
