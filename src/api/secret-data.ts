// A Secret's stringData, as the API server's conversion treats it
// (Convert_v1_Secret_To_core_Secret): each entry is written into data,
// base64-encoded, over any data entry of the same key, and stringData itself
// is never stored or returned. It runs on every create, update and patch,
// after the JSON types are checked and before defaulting and validation.
import type { KubeObject } from "./types.js";

/** obj with stringData merged into data (mutated in place; objects of other kinds untouched). */
export function mergeStringData<T extends KubeObject>(obj: T): T {
  if (obj.kind !== "Secret") return obj;
  const secret = obj as T & { data?: Record<string, string>; stringData?: Record<string, string> };
  const stringData = secret.stringData;
  delete secret.stringData;
  if (!stringData || Object.keys(stringData).length === 0) return obj;
  const data: Record<string, string> = { ...(secret.data ?? {}) };
  for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(value, "utf8").toString("base64");
  secret.data = data;
  return obj;
}

const base64Chunk = /^[A-Za-z0-9+/]*$/;

/**
 * Decoded length of a data value as Go's base64.StdEncoding reads it (padding
 * required; '\r' and '\n' skipped), or the offset of the first bad byte as
 * Go's CorruptInputError reports it.
 */
export function decodedLength(text: string): { bytes: number } | { badByte: number } {
  const clean = text.replace(/[\r\n]/g, "");
  const firstBad = [...clean].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
  const pad = clean.indexOf("=");
  const body = pad >= 0 ? clean.slice(0, pad) : clean;
  const padding = pad >= 0 ? clean.slice(pad) : "";
  if (firstBad >= 0 && (pad < 0 || firstBad < pad)) return { badByte: offsetInOriginal(text, firstBad) };
  const valid = base64Chunk.test(body) && clean.length % 4 === 0 && /^={0,2}$/.test(padding) && (padding.length === 0 || body.length % 4 === 4 - padding.length);
  if (!valid) {
    // Go stops at the quantum that could not be completed: its first byte.
    const at = pad >= 0 ? pad - (pad % 4) : clean.length - (clean.length % 4 === 0 ? 4 : clean.length % 4);
    return { badByte: offsetInOriginal(text, Math.max(0, at)) };
  }
  return { bytes: (body.length * 3) >> 2 };
}

function offsetInOriginal(text: string, cleanIndex: number): number {
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\r" || text[i] === "\n") continue;
    if (seen === cleanIndex) return i;
    seen++;
  }
  return text.length;
}
