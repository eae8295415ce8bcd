// Server-side apply (application/apply-patch+yaml): the applied
// configuration is merged into the live object with the kind's merge keys
// (containers by name, ports by containerPort…), so a field the
// configuration does not mention is never wiped — kubectl's second apply,
// which carries only metadata, leaves the spec alone (kubectl-api.md §4).
// Field ownership — managedFields, conflicts, and removing what a manager
// stopped applying — is managedfields/managed-fields.ts's, run after this merge.
import { applyStrategicMergePatch } from "./strategic-merge.js";
import type { PatchSchema } from "./strategy.js";

type JsonObject = Record<string, unknown>;

/** Why an apply configuration is refused; the caller turns it into a 400. */
export class ApplyPatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApplyPatchError";
  }
}

/**
 * Checks an apply configuration as upstream's field manager does before
 * merging it (managedfields/internal/structuredmerge.go Apply): the version
 * must be the one served, managedFields must be absent, and no key may be a
 * strategic-merge directive (an apply configuration is plain data).
 */
export function checkApplyConfiguration(config: JsonObject, acceptedVersions: readonly string[]): void {
  const version = config.apiVersion;
  if (typeof version !== "string" || !acceptedVersions.includes(version)) {
    throw new ApplyPatchError(
      `Incorrect version specified in apply patch. Specified patch version: ${typeof version === "string" ? version : ""}, expected: ${acceptedVersions[0]}`,
    );
  }
  const meta = config.metadata;
  if (typeof meta === "object" && meta !== null && (meta as JsonObject).managedFields != null) throw new ApplyPatchError("metadata.managedFields must be nil");
  const directive = firstDirective(config, "");
  if (directive) throw new ApplyPatchError(`${directive}: an apply configuration may not carry strategic merge patch directives`);
}

/** The live object with the configuration merged in. */
export function applyConfiguration(live: JsonObject, config: JsonObject, schema: PatchSchema): JsonObject {
  return applyStrategicMergePatch(live, config, schema);
}

function firstDirective(value: unknown, path: string): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = firstDirective(item, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const here = path ? `${path}.${key}` : key;
      if (key.startsWith("$")) return here;
      const found = firstDirective(item, here);
      if (found) return found;
    }
  }
  return undefined;
}
