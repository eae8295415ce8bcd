// The bad-input corpus: malformed objects, manifests and raw API requests,
// each with the error kemu must answer (cases.yaml, built on bases.yaml and
// the files in manifests/). This module turns a case into what is sent and
// checks the answer; test/unit/bad-input.test.ts runs every case against an
// in-process API server, test/integration/bad-input.test.ts against a real
// cluster (kemu apply and raw requests on its socket).
import http from "node:http";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { collectionPath, resourceByKind, RESOURCES } from "../../src/api/resources.js";
import type { KubeObject } from "../../src/api/types.js";

export const CORPUS_DIR = dirname(fileURLToPath(import.meta.url));

/** A body made by code: too big or too deep to keep as a file. */
export type Generated =
  | { kind: "padded-pod"; bytes: number }
  | { kind: "deep-pod"; depth: number }
  | { kind: "labels"; count: number }
  | { kind: "big"; megabytes: number; declareLength: boolean };

export interface CorpusCase {
  id: string;
  /** what it is about, when the id does not say it */
  why?: string;
  /** an object: a base from bases.yaml … */
  object?: string;
  /** … with fields set (dotted paths, `a.b[0].c`; keys with dots in [brackets]) … */
  set?: Record<string, unknown>;
  /** … and fields removed */
  unset?: string[];
  /** a raw API request */
  request?: { method: string; path: string; body?: unknown; text?: string; contentType?: string; generate?: Generated };
  /** a manifest: a file under manifests/, inline YAML, or a generated one */
  manifest?: string;
  yaml?: string;
  generateYaml?: { kind: "deep"; depth: number } | { kind: "objects"; count: number; base: string };
  /** expected HTTP status of the request (objects: of their POST; default 422) */
  status?: number;
  /** expected Status reason (default: the one of the status code) */
  reason?: string;
  /** the exact message */
  message?: string;
  /** or a pattern it must match */
  pattern?: string;
  /** objects and manifests: how `apply` fails; default: ApplyError with one problem, `<source>: <message>` */
  error?: "ManifestError" | "ApplyError";
  /** ApplyError: the exact problems (default [`<source>: <message>`]) */
  problems?: string[];
  /** objects: check only these paths (default both) */
  via?: ("request" | "apply")[];
}

export interface Corpus {
  cases: CorpusCase[];
  bases: Record<string, KubeObject>;
}

export function loadCorpus(): Corpus {
  const cases = parse(readFileSync(join(CORPUS_DIR, "cases.yaml"), "utf8")) as CorpusCase[];
  const bases = parse(readFileSync(join(CORPUS_DIR, "bases.yaml"), "utf8")) as Record<string, KubeObject>;
  const ids = new Set<string>();
  for (const c of cases) {
    if (ids.has(c.id)) throw new Error(`corpus: duplicate case id ${c.id}`);
    ids.add(c.id);
    const kinds = [c.object, c.request, c.manifest ?? c.yaml ?? c.generateYaml].filter((x) => x !== undefined);
    if (kinds.length !== 1) throw new Error(`corpus: case ${c.id} must be exactly one of object, request, manifest/yaml/generateYaml`);
    if (c.object && !bases[c.object]) throw new Error(`corpus: case ${c.id}: no base ${c.object}`);
  }
  return { cases, bases };
}

/** The source name a case's manifest has (what apply's problems start with). */
export function sourceName(c: CorpusCase): string {
  if (c.manifest) return `manifests/${c.manifest}`;
  return `${c.id.replace(/[^a-zA-Z0-9.-]+/g, "_")}.yaml`;
}

// ---- objects ----

/** A case's object: its base with `set` and `unset` applied. */
export function buildObject(c: CorpusCase, bases: Record<string, KubeObject>): KubeObject {
  const obj = structuredClone(bases[c.object!]!) as Record<string, unknown>;
  for (const [path, value] of Object.entries(c.set ?? {})) setPath(obj, path, value);
  for (const path of c.unset ?? []) setPath(obj, path, undefined);
  return obj as KubeObject;
}

/** `a.b[0][x.y].c` → ["a","b",0,"x.y","c"] */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[([^\]]*)\]/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) out.push(m[1]);
    else out.push(/^\d+$/.test(m[2]!) ? Number(m[2]) : m[2]!);
  }
  return out;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = parsePath(path);
  let node: Record<string | number, unknown> = obj;
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1) {
      if (value === undefined) delete node[part];
      else node[part] = value;
      return;
    }
    if (typeof node[part] !== "object" || node[part] === null) node[part] = typeof parts[i + 1] === "number" ? [] : {};
    node = node[part] as Record<string | number, unknown>;
  }
}

// ---- generated bodies and manifests ----

/** A Pod's JSON padded with one annotation to exactly `bytes` bytes. */
export function paddedPod(bytes: number): string {
  const make = (pad: number) => JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "big", annotations: { pad: "x".repeat(pad) } }, spec: { containers: [{ name: "c", image: "i", command: ["sleep"] }] } });
  const base = Buffer.byteLength(make(0));
  if (bytes < base) throw new Error(`a padded pod is at least ${base} bytes`);
  return make(bytes - base);
}

/** A Pod whose spec carries arrays nested `depth` levels. */
export function deepPod(depth: number): string {
  return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"deep"},"spec":{"containers":[{"name":"c","image":"i","command":["sleep"]}],"x":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
}

/** A Pod with `count` labels (l0: v, l1: v, …). */
export function labelledPod(count: number): string {
  const labels: Record<string, string> = {};
  for (let i = 0; i < count; i++) labels[`label-${i}`] = "value";
  return JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "labels", labels }, spec: { containers: [{ name: "c", image: "i", command: ["sleep"] }] } });
}

/** The text of a case's manifest. */
export function manifestText(c: CorpusCase, bases: Record<string, KubeObject>): string {
  if (c.manifest) return readFileSync(join(CORPUS_DIR, "manifests", c.manifest), "utf8");
  if (c.yaml !== undefined) return c.yaml;
  const g = c.generateYaml!;
  if (g.kind === "deep") return `apiVersion: v1\nkind: Pod\nmetadata: {name: deep}\nspec:\n  x: ${"[".repeat(g.depth)}${"]".repeat(g.depth)}\n`;
  const docs: string[] = [];
  for (let i = 0; i < g.count; i++) {
    const obj = structuredClone(bases[g.base]!);
    obj.metadata = { ...obj.metadata, name: `many-${i}` };
    docs.push(JSON.stringify(obj));
  }
  return docs.join("\n---\n");
}

// ---- raw requests ----

export interface RawResponse {
  status: number;
  body: unknown;
  text: string;
}

/** Sends a request as given (any body, any content type) on the API socket. */
export function rawRequest(socketPath: string, method: string, path: string, body?: string | Buffer, contentType = "application/json"): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers["Content-Type"] = contentType;
      headers["Content-Length"] = Buffer.byteLength(body);
    }
    // A kept-alive connection, as kubectl's: with "Connection: close" the server closes
    // right after its answer, and a client still sending a refused body gets EPIPE instead.
    const agent = new http.Agent({ keepAlive: true });
    const req = http.request({ socketPath, method, path, headers, agent }, (res) =>
      collect(res, (r) => {
        agent.destroy();
        resolve(r);
      }),
    );
    req.on("error", (err) => {
      agent.destroy();
      reject(err);
    });
    req.end(body);
  });
}

/**
 * Streams `megabytes` MB at the server; with declareLength the size is
 * announced in Content-Length, else it is sent chunked. The server may answer
 * and close before the body is sent: the answer is what counts.
 */
export function bigRequest(socketPath: string, path: string, megabytes: number, declareLength: boolean): Promise<RawResponse & { sentBytes: number }> {
  return new Promise((resolve, reject) => {
    const total = megabytes * 1024 * 1024;
    const headers: Record<string, string | number> = { "Content-Type": "application/json" };
    if (declareLength) headers["Content-Length"] = total;
    let sent = 0;
    let answered = false;
    const agent = new http.Agent({ keepAlive: true });
    const req = http.request({ socketPath, method: "POST", path, headers, agent }, (res) => {
      answered = true;
      collect(res, (r) => {
        req.destroy();
        agent.destroy();
        resolve({ ...r, sentBytes: sent });
      });
    });
    req.on("error", (err) => {
      if (!answered) {
        agent.destroy();
        reject(err);
      }
    });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (sent < total && !answered && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered && !req.destroyed) req.end();
    };
    req.write("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"big\"},\"x\":\"");
    pump();
  });
}

function collect(res: http.IncomingMessage, done: (r: RawResponse) => void): void {
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.on("end", () => {
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    done({ status: res.statusCode ?? 0, body, text });
  });
}

/** What a case's request sends: method, path, body text, content type. */
export function requestOf(c: CorpusCase, bases: Record<string, KubeObject>): { method: string; path: string; body?: string; contentType?: string } {
  if (c.object) {
    const obj = buildObject(c, bases);
    const resource = resourceByKind(String(obj.kind), String(obj.apiVersion))!;
    const ns = typeof obj.metadata?.namespace === "string" ? obj.metadata.namespace : "default";
    return { method: "POST", path: collectionPath(resource, resource.namespaced ? ns : undefined), body: JSON.stringify(obj) };
  }
  const r = c.request!;
  const g = r.generate;
  let body: string | undefined;
  if (g?.kind === "padded-pod") body = paddedPod(g.bytes);
  else if (g?.kind === "deep-pod") body = deepPod(g.depth);
  else if (g?.kind === "labels") body = labelledPod(g.count);
  else if (r.text !== undefined) body = r.text;
  else if (r.body !== undefined) body = JSON.stringify(r.body);
  return { method: r.method, path: r.path, body, contentType: r.contentType };
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "AlreadyExists",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
};

/** Problems with an API answer against the case (none: it passed). */
export function checkResponse(c: CorpusCase, r: RawResponse): string[] {
  const problems: string[] = [];
  const want = c.status ?? 422;
  if (r.status !== want) problems.push(`status ${r.status}, expected ${want}`);
  const status = r.body as { kind?: string; reason?: string; message?: string; code?: number } | undefined;
  if (status?.kind !== "Status") return [...problems, `answer is not a Status: ${r.text.slice(0, 300)}`];
  const reason = c.reason ?? REASONS[want];
  if (reason && status.reason !== reason) problems.push(`reason ${status.reason}, expected ${reason}`);
  if (status.code !== r.status) problems.push(`Status code ${status.code} differs from HTTP ${r.status}`);
  problems.push(...checkMessage(c, status.message ?? ""));
  if (/\n\s+at /.test(r.text)) problems.push("a stack trace reached the client");
  return problems;
}

export function checkMessage(c: CorpusCase, message: string): string[] {
  if (c.message !== undefined && message !== c.message) return [`message\n  ${JSON.stringify(message)}\nexpected\n  ${JSON.stringify(c.message)}`];
  if (c.pattern !== undefined && !new RegExp(c.pattern, "s").test(message)) return [`message\n  ${JSON.stringify(message)}\ndoes not match /${c.pattern}/`];
  return [];
}

/** The problems `apply` must report for a case (ApplyError), or undefined when it must fail before (ManifestError). */
export function expectedApplyProblems(c: CorpusCase): string[] | undefined {
  if (c.error === "ManifestError") return undefined;
  if (c.problems) return c.problems;
  return [`${sourceName(c)}: ${c.message}`];
}

/** Every object the API serves, as kind/namespace/name, sorted: what a failed case must leave as it was. */
export async function listEverything(socketPath: string, withVersions: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const r of RESOURCES) {
    const res = await rawRequest(socketPath, "GET", collectionPath(r));
    const items = (res.body as { items?: { metadata: { namespace?: string; name: string; resourceVersion: string } }[] }).items ?? [];
    for (const o of items) out.push(`${r.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}${withVersions ? `@${o.metadata.resourceVersion}` : ""}`);
  }
  return out.sort();
}
