// Reading manifests: YAML or JSON files (multi-document, `kind: List`) and
// directories of them, each object tagged with where it came from.
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, extname } from "node:path";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "./types.js";
import { MAX_NESTING_DEPTH, nestingDepth, tooDeepMessage } from "./limits.js";

export interface SourcedObject {
  object: KubeObject;
  /** "file.yaml (document 2)" */
  source: string;
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

export function manifestFiles(path: string): string[] {
  if (!existsSync(path)) throw new ManifestError(`-f ${path}: no such file or directory`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => EXTENSIONS.has(extname(f)))
    .sort()
    .map((f) => join(path, f))
    .filter((f) => statSync(f).isFile());
}

export function parseManifests(text: string, origin: string): SourcedObject[] {
  const out: SourcedObject[] = [];
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const where = list.length > 1 ? `${origin} (document ${i + 1})` : origin;
    if (doc.errors.length) {
      const message = doc.errors[0]!.message;
      // The parser recurses per level: absurd nesting overflows its stack before kemu can count the levels.
      if (message.includes("Maximum call stack size exceeded")) throw new ManifestError(`${where}: ${tooDeepMessage()}`);
      throw new ManifestError(`${where}: invalid YAML: ${message}`);
    }
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (err) {
      // The yaml library refuses alias bombs ("Excessive alias count…") and overflows on absurd nesting.
      throw new ManifestError(`${where}: invalid YAML: ${(err as Error).message}`);
    }
    if (value === null || value === undefined) return;
    if (nestingDepth(value, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) throw new ManifestError(`${where}: ${tooDeepMessage()}`);
    for (const obj of flattenList(value, where)) out.push({ object: obj, source: where });
  });
  return out;
}

function flattenList(value: unknown, where: string): KubeObject[] {
  if (typeof value !== "object" || Array.isArray(value) || value === null) throw new ManifestError(`${where}: a manifest must be a mapping with apiVersion and kind`);
  const obj = value as KubeObject;
  if (typeof obj.kind !== "string" || !obj.kind) throw new ManifestError(`${where}: kind: Required value: every object needs a kind`);
  if (typeof obj.apiVersion !== "string" || !obj.apiVersion) throw new ManifestError(`${where}: apiVersion: Required value: every object needs an apiVersion`);
  if (obj.kind === "List" || obj.kind.endsWith("List")) {
    const items = (obj as { items?: unknown }).items;
    if (items === undefined || items === null) throw new ManifestError(`${where}: items: Required value: a ${obj.kind} needs items`);
    if (!Array.isArray(items)) throw new ManifestError(`${where}: items: Invalid value: ${JSON.stringify(items)}: must be a list`);
    return items.flatMap((item, i) => flattenList(item, `${where} items[${i}]`));
  }
  return [obj];
}

export function loadManifests(paths: string[]): SourcedObject[] {
  return paths.flatMap((p) => manifestFiles(p)).flatMap((file) => parseManifests(readFileSync(file, "utf8"), file));
}
