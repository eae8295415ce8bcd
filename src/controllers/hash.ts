// pod-template-hash: FNV-1a (32 bit) of the pod template, written in the API
// server's vowel-free alphabet so it never spells a word (as upstream does).
const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function safeEncode(n: number): string {
  let s = "";
  do {
    s = ALPHABET[n % ALPHABET.length] + s;
    n = Math.floor(n / ALPHABET.length);
  } while (n > 0);
  return s;
}

/**
 * Stable across key order, so re-applying the same template gives the same
 * hash; and across the nulls and empty objects and lists a Go client writes
 * for fields it leaves unset (kubectl rollout undo sends a ReplicaSet's
 * template back with creationTimestamp: null and resources: {}), which
 * upstream's decoding into Go types drops before it hashes.
 */
export function templateHash(template: unknown, collisionCount = 0): string {
  return safeEncode(fnv32a(stableStringify(withoutUnset(template) ?? {}) + (collisionCount ? String(collisionCount) : "")));
}

/** The value without null, {} and [] fields (undefined when it is one of them itself); list items keep their places. */
export function withoutUnset(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map((v) => withoutUnset(v) ?? v);
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => [k, withoutUnset(v)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value;
}

export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
