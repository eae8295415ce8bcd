// The reviews a client asks about itself, in authorization.k8s.io/v1:
// SelfSubjectAccessReview ("may I create pods?", kubectl auth can-i) and
// SelfSubjectRulesReview ("what may I do here?", kubectl auth can-i --list).
// They are create-only and never stored: the answer comes back in the
// created object's status (kubernetes pkg/registry/authorization/
// selfsubjectaccessreview/rest.go, selfsubjectrulesreview/rest.go).
//
// kemu has one user, who may do everything, so it answers as a
// kube-apiserver run with --authorization-mode=AlwaysAllow (apiserver
// pkg/authorization/authorizerfactory/builtin.go): allowed, with no reason;
// rules "*" on every group and resource, and on every non-resource URL.
import { ApiError, fieldErrors, type FieldError } from "./errors.js";
import type { ResourceInfo } from "./resources.js";

export const AUTHORIZATION_GROUP = "authorization.k8s.io";
const API_VERSION = `${AUTHORIZATION_GROUP}/v1`;

function review(kind: string, plural: string): ResourceInfo {
  return { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames: [], group: AUTHORIZATION_GROUP, version: "v1", namespaced: false };
}

/** The review kinds kemu serves, in upstream's discovery order (alphabetical), with the one verb they have. */
export const REVIEW_RESOURCES: readonly ResourceInfo[] = [
  review("SelfSubjectAccessReview", "selfsubjectaccessreviews"),
  review("SelfSubjectRulesReview", "selfsubjectrulesreviews"),
];
export const REVIEW_VERBS: readonly string[] = ["create"];

/** The review kind a path names (/apis/authorization.k8s.io/v1/<plural>), or undefined. */
export function reviewAt(pathname: string): ResourceInfo | undefined {
  const m = /^\/apis\/authorization\.k8s\.io\/v1\/([a-z]+)\/?$/.exec(pathname);
  return m ? REVIEW_RESOURCES.find((r) => r.plural === m[1]) : undefined;
}

export interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

export interface SelfSubjectAccessReview {
  apiVersion: typeof API_VERSION;
  kind: "SelfSubjectAccessReview";
  metadata: { creationTimestamp: null };
  spec: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: { path?: string; verb?: string } };
  status: { allowed: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

export interface SelfSubjectRulesReview {
  apiVersion: typeof API_VERSION;
  kind: "SelfSubjectRulesReview";
  metadata: { creationTimestamp: null };
  spec: Record<string, never>;
  status: {
    resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
    nonResourceRules: { verbs: string[]; nonResourceURLs?: string[] }[];
    incomplete: boolean;
    evaluationError?: string;
  };
}

/**
 * POST of a review: the answer, as the API server returns it with 201
 * Created. Bad input is refused as upstream refuses it: 400 for a body that
 * is not this kind, 422 naming the field for a SelfSubjectAccessReview that
 * asks nothing (or two things) or carries metadata, 400 for a rules review
 * without spec.namespace.
 */
export function createReview(resource: ResourceInfo, method: string, body: unknown): SelfSubjectAccessReview | SelfSubjectRulesReview {
  if (method !== "POST") throw new ApiError("MethodNotAllowed", `${method} is not supported on ${resource.plural}.${AUTHORIZATION_GROUP}: a review can only be created`);
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError("BadRequest", `the request body must be a ${resource.kind} object`);
  const input = body as Record<string, unknown>;
  if (input.kind !== undefined && input.kind !== resource.kind) {
    throw new ApiError("BadRequest", `the body of the request is a ${String(input.kind)}, not a ${resource.kind} (apiVersion ${API_VERSION})`);
  }
  if (input.apiVersion !== undefined && input.apiVersion !== API_VERSION) {
    throw new ApiError("BadRequest", `${resource.kind} is served as apiVersion ${API_VERSION}, not ${String(input.apiVersion)}`);
  }
  const spec = isObject(input.spec) ? input.spec : {};
  return resource.kind === "SelfSubjectAccessReview" ? accessReview(input, spec) : rulesReview(spec);
}

function accessReview(input: Record<string, unknown>, spec: Record<string, unknown>): SelfSubjectAccessReview {
  // pkg/apis/authorization/validation ValidateSelfSubjectAccessReview.
  const errors: FieldError[] = [];
  const resourceAttributes = spec.resourceAttributes ?? undefined;
  const nonResourceAttributes = spec.nonResourceAttributes ?? undefined;
  if (resourceAttributes !== undefined && nonResourceAttributes !== undefined) {
    errors.push(fieldErrors.invalid("spec.nonResourceAttributes", nonResourceAttributes, "cannot be specified in combination with resourceAttributes"));
  }
  if (resourceAttributes === undefined && nonResourceAttributes === undefined) {
    errors.push(fieldErrors.invalid("spec.resourceAttributes", null, "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
  }
  if (!emptyMetadata(input.metadata)) errors.push(fieldErrors.invalid("metadata", input.metadata, "must be empty"));
  if (errors.length) throw ApiError.invalid("SelfSubjectAccessReview", AUTHORIZATION_GROUP, "", errors);
  return {
    apiVersion: API_VERSION,
    kind: "SelfSubjectAccessReview",
    metadata: { creationTimestamp: null },
    spec: spec as SelfSubjectAccessReview["spec"],
    // AlwaysAllow: DecisionAllow with no reason.
    status: { allowed: true },
  };
}

function rulesReview(spec: Record<string, unknown>): SelfSubjectRulesReview {
  if (typeof spec.namespace !== "string" || spec.namespace === "") throw new ApiError("BadRequest", "no namespace on request");
  return {
    apiVersion: API_VERSION,
    kind: "SelfSubjectRulesReview",
    metadata: { creationTimestamp: null },
    // Upstream answers with a new object: the spec is not echoed.
    spec: {},
    status: {
      resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
      nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
      incomplete: false,
    },
  };
}

/**
 * ObjectMeta{} once managedFields are set aside (client-go sends
 * creationTimestamp: null). Go decodes null, "" and 0 to the zero value, and
 * apimachinery's semantic DeepEqual holds empty maps and lists equal to nil.
 */
function emptyMetadata(metadata: unknown): boolean {
  if (metadata === undefined || metadata === null) return true;
  if (!isObject(metadata)) return false;
  return Object.entries(metadata).every(([k, v]) => k === "managedFields" || zero(v));
}

function zero(v: unknown): boolean {
  if (v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
