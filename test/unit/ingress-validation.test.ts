// Ingress and IngressClass (networking.k8s.io/v1) as kube-apiserver
// validates them (kubernetes/kubernetes pkg/apis/networking/validation/
// validation.go), with the cases of validation_test.go named per test
// (TestValidateIngressRuleValue, TestValidateIngressCreate,
// TestValidateIngressTLS, TestValidateIngressClass, TestValidateIngressClassUpdate),
// then the DefaultIngressClass admission plugin
// (plugin/pkg/admission/network/defaultingressclass) through the API server.
import { describe, it, expect } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { ApiError } from "../../src/api/errors.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import { defaultIngressClass } from "../../src/api/default-ingress-class.js";
import type { KubeObject } from "../../src/api/types.js";
import { withNamespaces } from "../support/fixtures.js";

const INGRESSES = resourceByKind("Ingress")!;
const CLASSES = resourceByKind("IngressClass")!;
const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const WILDCARD =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

type Spec = Record<string, unknown>;
const backend = { service: { name: "defaultbackend", port: { number: 80 } } };

function ingress(spec: Spec, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "test123", namespace: "test123", ...(annotations ? { annotations } : {}) }, spec };
}

/** One rule with one path, as TestValidateIngressRuleValue builds it. */
function onePath(path: Record<string, unknown>, host?: string): Spec {
  return { rules: [{ ...(host !== undefined ? { host } : {}), http: { paths: [{ backend, ...path }] } }] };
}

function ingressClass(spec: Spec, name = "test123", annotations?: Record<string, string>): KubeObject {
  return { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name, ...(annotations ? { annotations } : {}) }, spec };
}

function errs(obj: KubeObject, old?: KubeObject): string[] {
  return validateObject(applyDefaults(obj), old && applyDefaults(old)).map(String);
}

const P = "spec.rules[0].http.paths[0]";

describe("Ingress paths: TestValidateIngressRuleValue", () => {
  const cases: [string, string, string, string[]][] = [
    ["implementation specific: no leading slash", "ImplementationSpecific", "foo", [`${P}.path: Invalid value: "foo": must be an absolute path`]],
    ["implementation specific: leading slash", "ImplementationSpecific", "/foo", []],
    ["implementation specific: repeating slashes", "ImplementationSpecific", "/foo//bar/foo", []],
    ["prefix: no leading slash", "Prefix", "foo", [`${P}.path: Invalid value: "foo": must be an absolute path`]],
    ["prefix: many slashes", "Prefix", "/foo/bar/foo", []],
    ["prefix: repeating slashes", "Prefix", "/foo//bar/foo", [`${P}.path: Invalid value: "/foo//bar/foo": must not contain '//'`]],
    ["exact: repeating slashes", "Exact", "/foo//bar/foo", [`${P}.path: Invalid value: "/foo//bar/foo": must not contain '//'`]],
    ["prefix: with /./", "Prefix", "/foo/./foo", [`${P}.path: Invalid value: "/foo/./foo": must not contain '/./'`]],
    ["exact: with /../", "Exact", "/foo/../foo", [`${P}.path: Invalid value: "/foo/../foo": must not contain '/../'`]],
    ["prefix: with %2f", "Prefix", "/foo/%2f/foo", [`${P}.path: Invalid value: "/foo/%2f/foo": must not contain '%2f'`]],
    ["exact: with %2F", "Exact", "/foo/%2F/foo", [`${P}.path: Invalid value: "/foo/%2F/foo": must not contain '%2F'`]],
    // invalidPathSuffixes
    ["prefix: ending /..", "Prefix", "/foo/..", [`${P}.path: Invalid value: "/foo/..": cannot end with '/..'`]],
    ["exact: ending /.", "Exact", "/foo/.", [`${P}.path: Invalid value: "/foo/.": cannot end with '/.'`]],
    ["exact: empty path", "Exact", "", [`${P}.path: Invalid value: "": must be an absolute path`]],
    ["implementation specific: empty path is fine", "ImplementationSpecific", "", []],
  ];
  for (const [name, pathType, path, expected] of cases) {
    it(name, () => expect(errs(ingress(onePath({ path, pathType })))).toEqual(expected));
  }

  it("pathType is required in v1 (no default) and must be one of the three", () => {
    expect(errs(ingress(onePath({ path: "/" })))).toEqual([`${P}.pathType: Required value: pathType must be specified`]);
    expect(errs(ingress(onePath({ path: "/", pathType: "Regex" })))).toEqual([
      `${P}.pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"`,
    ]);
    expect(applyDefaults(ingress(onePath({ path: "/" }))).spec).toEqual(onePath({ path: "/" }));
  });

  it("a rule's http needs paths", () => {
    expect(errs(ingress({ rules: [{ host: "foo.com", http: { paths: [] } }] }))).toEqual(["spec.rules[0].http.paths: Required value"]);
    expect(errs(ingress({ rules: [{ host: "foo.com" }] }))).toEqual([]);
  });
});

describe("Ingress: TestValidateIngressCreate and the spec's rules", () => {
  it("class field and annotation set with different value (only on create)", () => {
    const ing = ingress({ defaultBackend: backend, ingressClassName: "bar" }, { "kubernetes.io/ingress.class": "foo" });
    expect(errs(ing)).toEqual(['annotations.kubernetes.io/ingress.class: Invalid value: "foo": must match `ingressClassName` when both are specified']);
    expect(errs(ingress({ defaultBackend: backend, ingressClassName: "foo" }, { "kubernetes.io/ingress.class": "foo" }))).toEqual([]);
    expect(errs(ing, ingress({ defaultBackend: backend }))).toEqual([]);
  });

  it("regex-looking ImplementationSpecific paths are allowed (valid regex path, invalid regex path allowed (v1))", () => {
    expect(errs(ingress(onePath({ path: "/([a-z0-9]*)[", pathType: "ImplementationSpecific" }, "foo.bar.com")))).toEqual([]);
  });

  it("invalid secret", () => {
    expect(errs(ingress({ defaultBackend: backend, tls: [{ secretName: "invalid name" }] }))).toEqual([
      `spec.tls[0].secretName: Invalid value: "invalid name": ${SUBDOMAIN}`,
    ]);
  });

  it("valid / invalid rules with wildcard host", () => {
    expect(errs(ingress({ tls: [{ hosts: ["*.bar.com"] }], ...onePath({ path: "/foo", pathType: "Exact" }, "*.foo.com") }))).toEqual([]);
    expect(errs(ingress({ tls: [{ hosts: ["*.bar.com"] }], ...onePath({ path: "foo", pathType: "Exact" }, "*.foo.com") }))).toEqual([
      `${P}.path: Invalid value: "foo": must be an absolute path`,
    ]);
  });

  it("either defaultBackend or rules", () => {
    expect(errs(ingress({}))).toEqual(["spec: Invalid value: null: either `defaultBackend` or `rules` must be specified"]);
  });

  it("hosts: DNS subdomains, one leading wildcard label, never an IP", () => {
    const at = (host: string) => errs(ingress(onePath({ path: "/", pathType: "Prefix" }, host)));
    expect(at("foo.bar.com")).toEqual([]);
    expect(at("127.0.0.1")).toEqual(['spec.rules[0].host: Invalid value: "127.0.0.1": must be a DNS name, not an IP address']);
    expect(at("*.*.bar.com")).toEqual([`spec.rules[0].host: Invalid value: "*.*.bar.com": ${WILDCARD}`]);
    expect(at("f*.bar.com")).toEqual([`spec.rules[0].host: Invalid value: "f*.bar.com": ${WILDCARD}`]);
    expect(at("*")).toEqual([`spec.rules[0].host: Invalid value: "*": ${WILDCARD}`]);
    expect(at("Foo.com")).toEqual([`spec.rules[0].host: Invalid value: "Foo.com": ${SUBDOMAIN}`]);
    expect(at("foo.com:80")).toEqual([`spec.rules[0].host: Invalid value: "foo.com:80": ${SUBDOMAIN}`]);
  });

  it("TestValidateIngressTLS: wildcard TLS hosts as rule hosts", () => {
    expect(errs(ingress({ defaultBackend: backend, tls: [{ hosts: ["*.foo.com"] }] }))).toEqual([]);
    expect(errs(ingress({ defaultBackend: backend, tls: [{ hosts: ["foo.*.bar.com"] }] }))).toEqual([
      `spec.tls[0].hosts[0]: Invalid value: "foo.*.bar.com": ${WILDCARD}`,
    ]);
  });

  it("backends: one of service and resource; one of port name and number", () => {
    const at = (b: unknown) => errs(ingress({ defaultBackend: b }));
    const resource = { apiGroup: "example.com", kind: "foo", name: "bar" };
    expect(at({ resource })).toEqual([]);
    expect(at({ ...backend, resource })).toEqual(['spec.defaultBackend: Invalid value: "": cannot set both resource and service backends']);
    expect(at({})).toEqual(['spec.defaultBackend: Invalid value: "": resource or service backend is required']);
    expect(at({ service: { name: "svc", port: { name: "http", number: 80 } } })).toEqual(['spec.defaultBackend: Invalid value: "": cannot set both port name & port number']);
    expect(at({ service: { name: "svc", port: {} } })).toEqual(["spec.defaultBackend: Required value: port name or number is required"]);
    expect(at({ service: { name: "svc", port: { number: 70000 } } })).toEqual([
      "spec.defaultBackend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive",
    ]);
    expect(at({ service: { name: "svc", port: { name: "HTTP" } } })).toEqual([
      'spec.defaultBackend.service.port.name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.defaultBackend.service.port.name: Invalid value: "HTTP": must contain at least one letter (a-z)',
    ]);
    expect(at({ service: { port: { number: 80 } } })).toEqual(["spec.defaultBackend.service.name: Required value"]);
    expect(at({ service: { name: "1svc", port: { number: 80 } } })).toEqual([
      `spec.defaultBackend.service.name: Invalid value: "1svc": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
    expect(at({ resource: { kind: "", name: "a/b" } })).toEqual([
      "spec.defaultBackend.resource.kind: Required value",
      `spec.defaultBackend.resource.name: Invalid value: "a/b": may not contain '/'`,
    ]);
  });

  it("ingressClassName is a DNS subdomain", () => {
    expect(errs(ingress({ defaultBackend: backend, ingressClassName: "Bad_Class" }))).toEqual([`spec.ingressClassName: Invalid value: "Bad_Class": ${SUBDOMAIN}`]);
  });
});

describe("IngressClass: TestValidateIngressClass and TestValidateIngressClassUpdate", () => {
  it("controller: required, a domain-prefixed path, at most 250 bytes", () => {
    expect(errs(ingressClass({ controller: "foo.co/bar" }))).toEqual([]);
    expect(errs(ingressClass({}))).toEqual(["spec.controller: Required value"]);
    expect(errs(ingressClass({ controller: "foo" }))).toEqual(['spec.controller: Invalid value: "foo": must be a domain-prefixed path (such as "acme.io/foo")']);
    expect(errs(ingressClass({ controller: "foo.co/" }))).toEqual(['spec.controller: Invalid value: "foo.co/": must be a domain-prefixed path (such as "acme.io/foo")']);
    expect(errs(ingressClass({ controller: "Foo.co/bar" }))).toEqual([`spec.controller: Invalid value: "Foo.co": ${SUBDOMAIN}`]);
    expect(errs(ingressClass({ controller: "foo.co/b ar" }))).toEqual([
      `spec.controller: Invalid value: "b ar": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')`,
    ]);
    expect(errs(ingressClass({ controller: `foo.co/${"a".repeat(244)}` }))).toEqual(["spec.controller: Too long: may not be more than 250 bytes"]);
  });

  it("parameters: kind and name required, scope defaulted to Cluster, Namespace scope needs a namespace, Cluster scope forbids one", () => {
    const withParams = (parameters: unknown) => errs(ingressClass({ controller: "foo.co/bar", parameters }));
    expect(withParams({ apiGroup: "example.com", kind: "foo", name: "bar" })).toEqual([]);
    expect(applyDefaults(ingressClass({ controller: "foo.co/bar", parameters: { kind: "k", name: "n" } })).spec).toEqual({
      controller: "foo.co/bar",
      parameters: { kind: "k", name: "n", scope: "Cluster" },
    });
    expect(withParams({ apiGroup: "Example.com", kind: "foo", name: "bar" })).toEqual([`spec.parameters.apiGroup: Invalid value: "Example.com": ${SUBDOMAIN}`]);
    expect(withParams({ scope: "Cluster" })).toEqual(["spec.parameters.kind: Required value", "spec.parameters.name: Required value"]);
    expect(withParams({ kind: "k", name: "n", scope: "Namespace" })).toEqual(["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"]);
    expect(withParams({ kind: "k", name: "n", scope: "Namespace", namespace: "ns" })).toEqual([]);
    expect(withParams({ kind: "k", name: "n", scope: "Cluster", namespace: "ns" })).toEqual(["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]);
    expect(withParams({ kind: "k", name: "n", scope: "Galaxy" })).toEqual(['spec.parameters.scope: Unsupported value: "Galaxy": supported values: "Cluster", "Namespace"']);
  });

  it("controller is immutable; parameters may change", () => {
    const old = ingressClass({ controller: "foo.co/bar" });
    expect(errs(ingressClass({ controller: "foo.co/baz" }), old)).toEqual(['spec.controller: Invalid value: "foo.co/baz": field is immutable']);
    expect(errs(ingressClass({ controller: "foo.co/bar", parameters: { kind: "k", name: "n" } }), old)).toEqual([]);
  });
});

describe("DefaultIngressClass admission", () => {
  const stamp = (obj: KubeObject, t: string): KubeObject => ({ ...obj, metadata: { ...obj.metadata, creationTimestamp: t } });
  const def = { "ingressclass.kubernetes.io/is-default-class": "true" };

  it("picks the class annotated default; of several the newest, then the first name (getDefaultClass)", () => {
    expect(defaultIngressClass([ingressClass({ controller: "a.io/x" }, "a")])).toBeUndefined();
    expect(defaultIngressClass([ingressClass({ controller: "a.io/x" }, "a", { "ingressclass.kubernetes.io/is-default-class": "True" })])).toBeUndefined();
    const older = stamp(ingressClass({ controller: "a.io/x" }, "older", def), "2026-01-01T00:00:00Z");
    const newer = stamp(ingressClass({ controller: "a.io/x" }, "newer", def), "2026-01-02T00:00:00Z");
    const twin = stamp(ingressClass({ controller: "a.io/x" }, "alpha", def), "2026-01-02T00:00:00Z");
    expect(defaultIngressClass([older, newer])).toBe("newer");
    expect(defaultIngressClass([older, newer, twin])).toBe("alpha");
  });

  it("sets ingressClassName on create when the Ingress names no class, and on no update", () => {
    expect(resourceByName("ing")).toBe(INGRESSES);
    expect(resourceByName("ingressclasses")).toBe(CLASSES);
    const api = withNamespaces();
    const plain = { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "a", namespace: "default" }, spec: { defaultBackend: backend } };
    expect((api.create(INGRESSES, plain).spec as Spec).ingressClassName).toBeUndefined();
    api.create(CLASSES, ingressClass({ controller: "k8s.io/ingress-nginx" }, "nginx", def));
    expect((api.create(INGRESSES, { ...plain, metadata: { name: "b", namespace: "default" } }).spec as Spec).ingressClassName).toBe("nginx");
    const annotated = { ...plain, metadata: { name: "c", namespace: "default", annotations: { "kubernetes.io/ingress.class": "other" } } };
    expect((api.create(INGRESSES, annotated).spec as Spec).ingressClassName).toBeUndefined();
    expect((api.create(INGRESSES, { ...plain, metadata: { name: "d", namespace: "default" }, spec: { defaultBackend: backend, ingressClassName: "mine" } }).spec as Spec).ingressClassName).toBe("mine");
    expect((api.update(INGRESSES, plain).spec as Spec).ingressClassName).toBeUndefined();
    expect(api.get(INGRESSES, "default", "b").metadata.generation).toBe(1);
  });

  it("an invalid Ingress is refused with the field path in the API server's words", () => {
    const api = withNamespaces();
    let message = "";
    try {
      api.create(INGRESSES, { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "x", namespace: "default" }, spec: onePath({ path: "/" }) });
    } catch (err) {
      message = (err as ApiError).message;
    }
    expect(message).toBe(`Ingress.networking.k8s.io "x" is invalid: ${P}.pathType: Required value: pathType must be specified`);
  });
});
