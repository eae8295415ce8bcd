// OpenAPI v3 for the kinds kemu serves, enough for `kubectl apply` and
// `create` with their default validation (shared reference kubectl-api.md
// §3): /openapi/v3 lists one document per group version; each document
// has, per kind, its paths and operations, with the PATCH operation's
// x-kubernetes-group-version-kind and a fieldValidation parameter (which is
// how kubectl learns the server validates fields itself), and
// components.schemas with every kind's schema and what it references, for
// `kubectl explain` (src/api/openapi/). Operations have no requestBody on
// purpose: with one naming a strategic-merge-patch schema, kubectl would
// compute its patches from this document instead of its compiled-in types
// (kubectl-api.md §3).
import { createHash } from "node:crypto";
import { SERVED_RESOURCES, type ResourceInfo } from "./resources.js";
import { componentSchemas } from "./openapi/components.js";
import type { SchemaObject } from "./openapi/schema-object.js";

/** Groups that are custom resources upstream: their operation ids keep the whole group name. */
const CRD_GROUPS = new Set(["gateway.networking.k8s.io", "policy.networking.k8s.io"]);

interface Parameter {
  name: string;
  in: "path" | "query";
  description: string;
  required?: boolean;
  schema: { type: string; uniqueItems?: boolean };
}

interface Operation {
  tags: string[];
  description: string;
  operationId: string;
  parameters?: Parameter[];
  responses: Record<string, { description: string }>;
  "x-kubernetes-action": string;
  "x-kubernetes-group-version-kind": { group: string; version: string; kind: string };
}

type PathItem = { parameters?: Parameter[] } & Partial<Record<"get" | "put" | "post" | "patch" | "delete", Operation>>;

export interface OpenApiDocument {
  openapi: "3.0.0";
  info: { title: string; version: string };
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, SchemaObject> };
}

export interface OpenApiIndex {
  paths: Record<string, { serverRelativeURL: string }>;
}

const query = (name: string, type: string, description: string): Parameter => ({ name, in: "query", description, schema: { type, uniqueItems: true } });
const pathParam = (name: string, description: string): Parameter => ({ name, in: "path", description, required: true, schema: { type: "string", uniqueItems: true } });

const DRY_RUN = query("dryRun", "string", "All: validate and default without storing.");
const FIELD_MANAGER = query("fieldManager", "string", "The name of the actor making the change.");
// Its presence tells kubectl the server validates fields: it then sends fieldValidation=Strict and validates nothing itself.
const FIELD_VALIDATION = query("fieldValidation", "string", "Ignore, Warn or Strict: what to do with unknown or duplicate fields.");
const WRITE_PARAMETERS = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
const LIST_PARAMETERS = [
  query("allowWatchBookmarks", "boolean", "Ask for BOOKMARK events on a watch."),
  query("continue", "string", "The continue token of a previous page."),
  query("fieldSelector", "string", "Select objects by fields."),
  query("labelSelector", "string", "Select objects by labels."),
  query("limit", "integer", "The most objects to return."),
  query("resourceVersion", "string", "The resource version to list or watch from."),
  query("resourceVersionMatch", "string", "How resourceVersion applies to a list."),
  query("timeoutSeconds", "integer", "How long a watch lasts."),
  query("watch", "boolean", "Watch for changes instead of listing."),
];
const DELETE_PARAMETERS = [DRY_RUN, query("gracePeriodSeconds", "integer", "Seconds before the object is deleted."), query("propagationPolicy", "string", "Orphan, Background or Foreground.")];
const PATCH_PARAMETERS = [...WRITE_PARAMETERS, query("force", "boolean", "Take over conflicting fields on an apply patch.")];
const PRETTY = query("pretty", "string", "Indent the output.");

/** "" → Core, apps → Apps, networking.k8s.io → Networking, gateway.networking.k8s.io → GatewayNetworkingK8sIo. */
function groupPart(group: string): string {
  if (!group) return "Core";
  const name = CRD_GROUPS.has(group) ? group : group.replace(/\.k8s\.io$/, "");
  return name
    .split(".")
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join("");
}

function tagOf(r: ResourceInfo): string {
  const g = groupPart(r.group);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${r.version}`;
}

function operation(r: ResourceInfo, verb: string, action: string, scope: string, description: string, parameters: Parameter[], codes: string[]): Operation {
  const version = r.version.charAt(0).toUpperCase() + r.version.slice(1);
  return {
    tags: [tagOf(r)],
    description,
    operationId: `${verb}${groupPart(r.group)}${version}${scope}${r.kind}`,
    ...(parameters.length > 0 ? { parameters } : {}),
    responses: Object.fromEntries(codes.map((c) => [c, { description: c === "201" ? "Created" : "OK" }])),
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": { group: r.group, version: r.version, kind: r.kind },
  };
}

function resourcePaths(r: ResourceInfo): Record<string, PathItem> {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const scope = r.namespaced ? "Namespaced" : "";
  const prefix = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
  const nsParams = r.namespaced ? [pathParam("namespace", "The object's namespace.")] : [];
  const paths: Record<string, PathItem> = {
    [prefix]: {
      parameters: [...nsParams, PRETTY],
      get: operation(r, "list", "list", scope, `list or watch objects of kind ${r.kind}`, LIST_PARAMETERS, ["200"]),
      post: operation(r, "create", "post", scope, `create a ${r.kind}`, WRITE_PARAMETERS, ["200", "201"]),
    },
    [`${prefix}/{name}`]: {
      parameters: [pathParam("name", `The ${r.kind}'s name.`), ...nsParams, PRETTY],
      get: operation(r, "read", "get", scope, `read the specified ${r.kind}`, [], ["200"]),
      put: operation(r, "replace", "put", scope, `replace the specified ${r.kind}`, WRITE_PARAMETERS, ["200", "201"]),
      patch: operation(r, "patch", "patch", scope, `partially update the specified ${r.kind}`, PATCH_PARAMETERS, ["200", "201"]),
      delete: operation(r, "delete", "delete", scope, `delete a ${r.kind}`, DELETE_PARAMETERS, ["200"]),
    },
  };
  if (r.namespaced) {
    paths[`${base}/${r.plural}`] = {
      parameters: [PRETTY],
      get: operation(r, "list", "list", "", `list or watch objects of kind ${r.kind} in all namespaces`, LIST_PARAMETERS, ["200"]),
    };
    // Upstream names this one listCoreV1PodForAllNamespaces.
    paths[`${base}/${r.plural}`]!.get!.operationId += "ForAllNamespaces";
  }
  return paths;
}

/** "api/v1", "apis/apps/v1": the key of a group version in the index. */
function gvPath(r: ResourceInfo): string {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

/** The document of one group version ("api/v1", "apis/apps/v1"); undefined when kemu serves none of it. */
export function openApiDocument(path: string): OpenApiDocument | undefined {
  const kinds = SERVED_RESOURCES.filter((r) => gvPath(r) === path);
  if (kinds.length === 0) return undefined;
  const paths: Record<string, PathItem> = {};
  for (const r of kinds) Object.assign(paths, resourcePaths(r));
  return { openapi: "3.0.0", info: { title: "kemu", version: "v1.32.0" }, paths, components: { schemas: componentSchemas(kinds) } };
}

export interface ServedDocument {
  body: string;
  /** Upper-case hex SHA-512 of the body, as kube-openapi names a document's version. */
  hash: string;
}

const served = new Map<string, ServedDocument | undefined>();

/** The serialized document and its hash, computed once per group version (the served kinds never change at run time). */
export function servedOpenApiDocument(path: string): ServedDocument | undefined {
  if (!served.has(path)) {
    const doc = openApiDocument(path);
    const body = doc && JSON.stringify(doc);
    served.set(path, body === undefined ? undefined : { body, hash: createHash("sha512").update(body).digest("hex").toUpperCase() });
  }
  return served.get(path);
}

/** GET /openapi/v3: one entry per served group version, its URL carrying the document's hash. */
export function openApiIndex(): OpenApiIndex {
  const paths: OpenApiIndex["paths"] = {};
  // Sorted, as kube-openapi's index (a Go map) is written.
  for (const path of [...new Set(SERVED_RESOURCES.map(gvPath))].sort()) {
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${servedOpenApiDocument(path)!.hash}` };
  }
  return { paths };
}
