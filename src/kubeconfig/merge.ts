// Merging a cluster's entries into a kubeconfig file's text, and taking them
// out again, as kind does (pkg/cluster/internal/kubeconfig: merge.go and
// remove.go): an entry of the same name is replaced, else appended; the
// current-context is set; on removal, a current-context naming the entries is
// unset. The rest of the file goes through the yaml package's Document API, so
// other entries, their key order, quoting and comments are kept.
import { isMap, isScalar, isSeq, parseDocument, type Document, type YAMLSeq } from "yaml";
import { KemuError } from "../errors.js";
import { standaloneObject, type KubeconfigEntry } from "./entry.js";

const LISTS = ["clusters", "users", "contexts"] as const;
type ListKey = (typeof LISTS)[number];

/** `text` (a kubeconfig file's content, "" for none) with the entry merged in; `source` names the file in errors. */
export function mergeKubeconfig(text: string, entry: KubeconfigEntry, source: string, options: { setCurrentContext?: boolean } = {}): string {
  const doc = load(text, source);
  if (doc.contents === null) {
    // An empty file (or comments only): the whole standalone config.
    doc.contents = doc.createNode(standaloneObject(entry)) as unknown as Document["contents"];
    return render(doc, text);
  }
  for (const key of LISTS) {
    const item = key === "clusters" ? entry.cluster : key === "users" ? entry.user : entry.context;
    const seq = namedList(doc, key, source);
    if (!seq) {
      doc.set(key, doc.createNode([item]));
      continue;
    }
    let replaced = false;
    seq.items = seq.items.map((node) => {
      if (nameOf(node) !== entry.key) return node;
      replaced = true;
      return doc.createNode(item);
    });
    if (!replaced) {
      // `clusters: []` becomes a block list once it has an item.
      if (seq.items.length === 0) seq.flow = false;
      seq.items.push(doc.createNode(item));
    }
  }
  if (options.setCurrentContext ?? true) doc.set("current-context", entry.key);
  // kind adds apiVersion and kind when the file has neither (kind issue 1242: some clients need them).
  if (!doc.has("apiVersion") && !doc.has("kind")) {
    doc.set("apiVersion", "v1");
    doc.set("kind", "Config");
  }
  return render(doc, text);
}

/**
 * `text` without the cluster, user and context named `key`, and with
 * current-context unset ("") if it named them; `changed` is false (and
 * `text` returned as it was) when there was nothing of them.
 */
export function removeFromKubeconfig(text: string, key: string, source: string): { text: string; changed: boolean } {
  const doc = load(text, source);
  if (doc.contents === null) return { text, changed: false };
  let changed = false;
  for (const list of LISTS) {
    const seq = namedList(doc, list, source);
    if (!seq) continue;
    const kept = seq.items.filter((node) => nameOf(node) !== key);
    if (kept.length !== seq.items.length) {
      seq.items = kept;
      changed = true;
    }
  }
  if (doc.get("current-context") === key) {
    doc.set("current-context", "");
    changed = true;
  }
  return changed ? { text: render(doc, text), changed } : { text, changed };
}

function load(text: string, source: string): Document {
  const doc = parseDocument(text);
  const [error] = doc.errors;
  if (error) throw new KemuError(`${source}: not a valid kubeconfig: ${error.message.split("\n")[0]}`);
  if (doc.contents !== null && !isMap(doc.contents) && !(isScalar(doc.contents) && doc.contents.value === null)) {
    throw new KemuError(`${source}: not a valid kubeconfig: expected a mapping (apiVersion, clusters, contexts, users…) at the top level`);
  }
  if (isScalar(doc.contents)) doc.contents = null;
  return doc;
}

/** The list under `key`, or undefined when the key is absent or null. */
function namedList(doc: Document, key: ListKey, source: string): YAMLSeq | undefined {
  const node = doc.get(key, true) as unknown;
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return undefined;
  if (!isSeq(node)) throw new KemuError(`${source}: not a valid kubeconfig: ${key}: expected a list of entries with a name`);
  return node as YAMLSeq;
}

function nameOf(node: unknown): unknown {
  return isMap(node) ? (node as { get(k: string): unknown }).get("name") : undefined;
}

/**
 * The document as text, written the way the file was: list items indented
 * under their key or not (kubectl does not), lines never folded.
 */
function render(doc: Document, original: string): string {
  return doc.toString({ indentSeq: indentsLists(original), lineWidth: 0 });
}

/** Whether the first block list in the text has its "- " indented under its key. */
export function indentsLists(text: string): boolean {
  const m = /^([ \t]*)[^\s#][^\n]*:[ \t]*(?:#[^\n]*)?\n(?:[ \t]*(?:#[^\n]*)?\n)*([ \t]*)- /m.exec(text);
  return m !== null && m[2]!.length > m[1]!.length;
}
