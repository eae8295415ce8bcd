#!/usr/bin/env node
// Generates src/api/protobuf/schema.json: the protobuf message shapes kemu
// needs to read request bodies sent as application/vnd.kubernetes.protobuf.
//
// Reads a local copy of upstream's sources (no network):
//   node scripts/gen-proto-schema.mjs --api DIR --apimachinery DIR --note "…"
// where DIR are checkouts (or `git archive` extracts) of github.com/kubernetes/api
// and github.com/kubernetes/apimachinery at the same release tag.
//
// From each package's generated.proto: messages, field numbers, types, repeated
// and map fields. From the package's Go files (types.go…): the struct tags that
// say what protobuf alone cannot — a field's JSON name, whether the Go field is
// a pointer (a zero scalar then still means "set"), and whether it is embedded
// inline in the JSON. Only messages reachable from ROOTS are written, and only
// names, numbers and types: no comments.
import { readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";

/** apiVersion → kinds whose protobuf bodies kemu reads (its served built-in kinds and the requests kubectl posts). */
const ROOTS = {
  v1: ["Namespace", "Node", "Pod", "Service", "Secret", "Event", "ConfigMap", "ServiceAccount", "Endpoints", "Binding", "DeleteOptions"],
  "apps/v1": ["ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"],
  "batch/v1": ["CronJob", "Job"],
  "discovery.k8s.io/v1": ["EndpointSlice"],
  "coordination.k8s.io/v1": ["Lease"],
  "policy/v1": ["PodDisruptionBudget", "Eviction"],
  "autoscaling/v1": ["Scale"],
  "autoscaling/v2": ["HorizontalPodAutoscaler"],
  "networking.k8s.io/v1": ["NetworkPolicy", "Ingress", "IngressClass"],
  "authorization.k8s.io/v1": ["SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview", "LocalSubjectAccessReview"],
  "authentication.k8s.io/v1": ["TokenRequest", "TokenReview", "SelfSubjectReview"],
  "meta.k8s.io/v1": ["DeleteOptions"],
};

/** Kinds whose message lives in apimachinery's meta/v1 whatever group the body names. */
const META_KINDS = new Set(["DeleteOptions"]);

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  for (const k of ["api", "apimachinery", "note"]) if (!out[k]) throw new Error(`missing --${k}`);
  return out;
}

/** The directory holding a proto package's sources, e.g. k8s.io.api.apps.v1 → <api>/apps/v1. */
function packageDir(pkg, roots) {
  if (pkg.startsWith("k8s.io.api.")) return path.join(roots.api, ...pkg.slice("k8s.io.api.".length).split("."));
  if (pkg.startsWith("k8s.io.apimachinery.")) return path.join(roots.apimachinery, ...pkg.slice("k8s.io.apimachinery.".length).split("."));
  throw new Error(`no source directory for proto package ${pkg}`);
}

const SCALARS = new Set(["string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "double", "float"]);

/** Parses one generated.proto into { package, messages: { Name: { fields: [...], nullableList } } }. */
function parseProto(text) {
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1];
  if (!pkg) throw new Error("proto without a package");
  const messages = {};
  const lines = text.replace(/\/\*[\s\S]*?\*\//g, "").split("\n");
  let current;
  let nullable = false;
  for (const raw of lines) {
    const line = raw.trim();
    // The one comment kept: the generator's marker for a Go named slice (type X []T), whose JSON is the list itself.
    if (line === "// +protobuf.nullable=true") nullable = true;
    if (line.startsWith("//") || line === "") continue;
    let m;
    if ((m = /^message\s+(\w+)\s*\{$/.exec(line))) {
      if (current) throw new Error(`nested message ${m[1]} is not supported`);
      current = { name: m[1], fields: [], nullableList: nullable };
      messages[m[1]] = current;
      nullable = false;
      continue;
    }
    nullable = false;
    if (line === "}") {
      current = undefined;
      continue;
    }
    if (!current) continue; // syntax, package, import, option
    if ((m = /^map<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;$/.exec(line))) {
      if (m[1] !== "string") throw new Error(`${current.name}.${m[3]}: map key ${m[1]} is not supported`);
      current.fields.push({ number: Number(m[4]), name: m[3], type: m[2], map: true });
    } else if ((m = /^(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(\[[^\]]*\])?\s*;$/.exec(line))) {
      current.fields.push({ number: Number(m[4]), name: m[3], type: m[2], repeated: m[1] === "repeated" });
    } else {
      throw new Error(`${current.name}: cannot read line: ${line}`);
    }
  }
  return { package: pkg, messages };
}

/** Reads the Go struct tags of a package: struct → protobuf field number → { json, pointer, inline }. */
function parseGoTags(dir) {
  const structs = {};
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".go") || file.endsWith("_test.go") || file.startsWith("zz_generated") || file === "generated.pb.go") continue;
    let current;
    for (const raw of readFileSync(path.join(dir, file), "utf8").split("\n")) {
      let m;
      if ((m = /^type\s+(\w+)\s+struct\s*\{/.exec(raw))) {
        current = structs[m[1]] = {};
        continue;
      }
      if (/^\}/.test(raw)) {
        current = undefined;
        continue;
      }
      if (!current) continue;
      const tag = /`([^`]*)`/.exec(raw)?.[1];
      const pb = tag && /protobuf:"([^"]*)"/.exec(tag)?.[1];
      if (!pb) continue;
      const number = Number(pb.split(",")[1]);
      const json = /json:"([^"]*)"/.exec(tag)?.[1] ?? "";
      const decl = raw.slice(0, raw.indexOf("`")).trim().split(/\s+/);
      const goType = decl.length === 1 ? decl[0] : decl[1];
      const [jsonName, ...opts] = json.split(",");
      current[number] = { json: jsonName, pointer: goType.startsWith("*"), inline: opts.includes("inline") };
    }
  }
  return structs;
}

function main() {
  const opts = args();
  const roots = { api: opts.api, apimachinery: opts.apimachinery };
  const packages = new Map(); // proto package → { messages, tags }
  const load = (pkg) => {
    if (!packages.has(pkg)) {
      const dir = packageDir(pkg, roots);
      const file = path.join(dir, "generated.proto");
      if (!existsSync(file)) throw new Error(`missing ${file}`);
      const parsed = parseProto(readFileSync(file, "utf8"));
      if (parsed.package !== pkg) throw new Error(`${file} declares package ${parsed.package}, expected ${pkg}`);
      packages.set(pkg, { messages: parsed.messages, tags: parseGoTags(dir) });
    }
    return packages.get(pkg);
  };
  const resolve = (type, pkg) => (SCALARS.has(type) ? type : type.startsWith(".") ? type.slice(1) : `${pkg}.${type}`);
  const split = (full) => {
    const i = full.lastIndexOf(".");
    return [full.slice(0, i), full.slice(i + 1)];
  };

  const kinds = {};
  const queue = [];
  for (const [apiVersion, list] of Object.entries(ROOTS)) {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    for (const kind of list) {
      const pkg = META_KINDS.has(kind) ? "k8s.io.apimachinery.pkg.apis.meta.v1" : `k8s.io.api.${group === "" ? "core" : group.split(".")[0]}.${version}`;
      kinds[`${apiVersion}/${kind}`] = `${pkg}.${kind}`;
      queue.push(`${pkg}.${kind}`);
    }
  }

  const messages = {};
  while (queue.length > 0) {
    const full = queue.shift();
    if (messages[full]) continue;
    const [pkg, name] = split(full);
    const { messages: defs, tags } = load(pkg);
    const def = defs[name];
    if (!def) throw new Error(`no message ${name} in ${pkg}`);
    const goTags = tags[name] ?? {};
    const fields = {};
    for (const f of def.fields) {
      const type = resolve(f.type, pkg);
      const go = goTags[f.number];
      // [JSON name, type, flags]: r repeated, m map<string,type>, p Go pointer, i inline in the JSON.
      let flags = "";
      if (f.repeated) flags += "r";
      if (f.map) flags += "m";
      if (go?.pointer) flags += "p";
      if (go?.inline) flags += "i";
      fields[f.number] = [go && go.json !== "" ? go.json : f.name, type, flags];
      if (!SCALARS.has(type)) queue.push(type);
    }
    messages[full] = def.nullableList ? { list: true, fields } : { fields };
  }

  const sorted = Object.fromEntries(Object.keys(messages).sort().map((k) => [k, messages[k]]));
  const out = { source: opts.note, kinds, messages: sorted };
  const target = new URL("../src/api/protobuf/schema.json", import.meta.url);
  writeFileSync(target, JSON.stringify(out, null, 0).replace(/\],"/g, '],\n"').replace(/\}\},"/g, '}},\n"') + "\n");
  console.log(`${Object.keys(kinds).length} kinds, ${Object.keys(messages).length} messages → ${target.pathname}`);
}

main();
