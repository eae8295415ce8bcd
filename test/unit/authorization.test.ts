// SelfSubjectAccessReview and SelfSubjectRulesReview as kube-apiserver
// answers them with --authorization-mode=AlwaysAllow (kemu's one user may do
// everything): pkg/registry/authorization/selfsubject{access,rules}review/rest.go,
// pkg/apis/authorization/validation ValidateSelfSubjectAccessReview,
// authorizerfactory alwaysAllowAuthorizer.RulesFor; in discovery as create-only
// kinds of authorization.k8s.io/v1, cluster-scoped.
import { describe, expect, it } from "vitest";
import { createReview, reviewAt, REVIEW_RESOURCES } from "../../src/api/authorization.js";
import { aggregatedDiscovery, discoveryResponse, legacyGroup, legacyResourceList } from "../../src/api/discovery.js";
import { ApiError } from "../../src/api/errors.js";

const SSAR = REVIEW_RESOURCES[0]!;
const SSRR = REVIEW_RESOURCES[1]!;

function refusal(f: () => unknown): { reason: string; code: number; message: string } {
  try {
    f();
  } catch (err) {
    if (err instanceof ApiError) {
      const s = err.toStatus();
      return { reason: s.reason, code: s.code, message: s.message };
    }
    throw err;
  }
  throw new Error("not refused");
}

describe("SelfSubjectAccessReview (kubectl auth can-i)", () => {
  it("the body client-go sends for `can-i create pods -n shop` is allowed, the spec echoed, nothing else", () => {
    const body = {
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: "shop", verb: "create", resource: "pods" } },
      status: { allowed: false },
    };
    expect(createReview(SSAR, "POST", body)).toEqual({
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: "shop", verb: "create", resource: "pods" } },
      status: { allowed: true },
    });
  });

  it("a non-resource URL (`can-i get /healthz`) is allowed too", () => {
    expect(createReview(SSAR, "POST", { spec: { nonResourceAttributes: { path: "/healthz", verb: "get" } } })).toMatchObject({ status: { allowed: true } });
  });

  it("asking nothing, or two things at once, is a 422 naming the field (ValidateSelfSubjectAccessReviewSpec)", () => {
    expect(refusal(() => createReview(SSAR, "POST", { spec: {} }))).toEqual({
      reason: "Invalid",
      code: 422,
      message: 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified',
    });
    expect(refusal(() => createReview(SSAR, "POST", { spec: { resourceAttributes: { verb: "get" }, nonResourceAttributes: { path: "/" } } })).message).toBe(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: {"path":"/"}: cannot be specified in combination with resourceAttributes',
    );
  });

  it("metadata must be empty (a name is refused; creationTimestamp null and empty labels are empty)", () => {
    expect(refusal(() => createReview(SSAR, "POST", { metadata: { name: "mine" }, spec: { resourceAttributes: { verb: "get" } } })).message).toBe(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: metadata: Invalid value: {"name":"mine"}: must be empty',
    );
    expect(createReview(SSAR, "POST", { metadata: { labels: {}, name: "" }, spec: { resourceAttributes: { verb: "get" } } })).toMatchObject({ status: { allowed: true } });
  });

  it("another kind, another apiVersion, a body that is not an object, or a GET are refused", () => {
    expect(refusal(() => createReview(SSAR, "POST", { kind: "Pod", spec: {} }))).toEqual({
      reason: "BadRequest",
      code: 400,
      message: "the body of the request is a Pod, not a SelfSubjectAccessReview (apiVersion authorization.k8s.io/v1)",
    });
    expect(refusal(() => createReview(SSAR, "POST", { apiVersion: "authorization.k8s.io/v1beta1", spec: {} })).message).toBe(
      "SelfSubjectAccessReview is served as apiVersion authorization.k8s.io/v1, not authorization.k8s.io/v1beta1",
    );
    expect(refusal(() => createReview(SSAR, "POST", [1]))).toEqual({ reason: "BadRequest", code: 400, message: "the request body must be a SelfSubjectAccessReview object" });
    expect(refusal(() => createReview(SSAR, "GET", undefined))).toEqual({
      reason: "MethodNotAllowed",
      code: 405,
      message: "GET is not supported on selfsubjectaccessreviews.authorization.k8s.io: a review can only be created",
    });
  });
});

describe("SelfSubjectRulesReview (kubectl auth can-i --list)", () => {
  it("every verb on every resource of every group, and every non-resource URL (AlwaysAllow's RulesFor); the spec not echoed", () => {
    expect(createReview(SSRR, "POST", { kind: "SelfSubjectRulesReview", apiVersion: "authorization.k8s.io/v1", metadata: { creationTimestamp: null }, spec: { namespace: "shop" } })).toEqual({
      kind: "SelfSubjectRulesReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: {},
      status: {
        resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
        nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
        incomplete: false,
      },
    });
  });

  it("without spec.namespace: 400 no namespace on request (rest.go)", () => {
    expect(refusal(() => createReview(SSRR, "POST", { spec: {} }))).toEqual({ reason: "BadRequest", code: 400, message: "no namespace on request" });
  });
});

describe("routes and discovery", () => {
  it("reviewAt names the two review kinds and nothing else", () => {
    expect(reviewAt("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")).toBe(SSAR);
    expect(reviewAt("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews/")).toBe(SSRR);
    expect(reviewAt("/apis/authorization.k8s.io/v1/subjectaccessreviews")).toBeUndefined();
    expect(reviewAt("/apis/authorization.k8s.io/v1beta1/selfsubjectaccessreviews")).toBeUndefined();
    expect(reviewAt("/api/v1/pods")).toBeUndefined();
  });

  it("legacy discovery: the group, and its two cluster-scoped create-only kinds", () => {
    expect(legacyGroup("authorization.k8s.io")).toEqual({
      kind: "APIGroup",
      apiVersion: "v1",
      name: "authorization.k8s.io",
      versions: [{ groupVersion: "authorization.k8s.io/v1", version: "v1" }],
      preferredVersion: { groupVersion: "authorization.k8s.io/v1", version: "v1" },
    });
    expect(legacyResourceList("authorization.k8s.io", "v1")).toEqual({
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: "authorization.k8s.io/v1",
      resources: [
        { name: "selfsubjectaccessreviews", singularName: "selfsubjectaccessreview", namespaced: false, kind: "SelfSubjectAccessReview", verbs: ["create"] },
        { name: "selfsubjectrulesreviews", singularName: "selfsubjectrulesreview", namespaced: false, kind: "SelfSubjectRulesReview", verbs: ["create"] },
      ],
    });
    expect(discoveryResponse("/apis/authorization.k8s.io/v1", undefined)?.body).toEqual(legacyResourceList("authorization.k8s.io", "v1"));
  });

  it("aggregated discovery lists the group with its kinds", () => {
    const group = aggregatedDiscovery("/apis").items.find((g) => g.metadata.name === "authorization.k8s.io");
    expect(group).toEqual({
      metadata: { name: "authorization.k8s.io" },
      versions: [
        {
          version: "v1",
          freshness: "Current",
          resources: [
            { resource: "selfsubjectaccessreviews", responseKind: { group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview" }, scope: "Cluster", singularResource: "selfsubjectaccessreview", verbs: ["create"] },
            { resource: "selfsubjectrulesreviews", responseKind: { group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectRulesReview" }, scope: "Cluster", singularResource: "selfsubjectrulesreview", verbs: ["create"] },
          ],
        },
      ],
    });
  });
});
