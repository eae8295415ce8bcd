// Small helpers over ObjectMeta shared by the API server, controllers and agents.
import { randomUUID, randomInt } from "node:crypto";
import type { KubeObject, OwnerReference, Stored } from "./types.js";

/** RFC 3339 at second precision, as Kubernetes prints timestamps. */
export function timestamp(at: number = Date.now()): string {
  return new Date(Math.floor(at / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export function newUid(): string {
  return randomUUID();
}

// The API server's generateName alphabet: no vowels (no words), no confusable characters.
const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export function randomSuffix(length = 5): string {
  let s = "";
  for (let i = 0; i < length; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

export function controllerRef(owner: Stored<KubeObject>): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  // Tolerant of what the API once let through: controllers call this on every object they see.
  const refs: unknown = obj.metadata?.ownerReferences;
  return Array.isArray(refs) ? (refs as OwnerReference[]).find((r) => r?.controller === true) : undefined;
}

export function isControlledBy(obj: KubeObject, owner: Stored<KubeObject>): boolean {
  return controllerOf(obj)?.uid === owner.metadata.uid;
}

export function namespacedName(obj: KubeObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ""}` : m.name ?? "";
}

export function deepCopy<T>(value: T): T {
  return structuredClone(value);
}

/**
 * A copy of a decoded JSON value without its null members: to the API server
 * `"field": null` means the field is unset (Go's decoder leaves it zero), so
 * `creationTimestamp: null` in a generated manifest is no type error.
 */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => withoutNulls(v)) as T;
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
  return out as T;
}
