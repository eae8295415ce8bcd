// ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) as kube-apiserver
// validates the custom resource against network-policy-api's CRD
// (config/crd/standard/policy.networking.k8s.io_clusternetworkpolicies.yaml,
// bundle v0.2.0): the schema's keywords in kube-openapi's words
// (k8s.io/kube-openapi pkg/validation/errors), as apiextensions-apiserver's
// ValidateCustomResource turns them into field errors; list-type "set"
// duplicates; the CEL rules (x-kubernetes-validations) with their messages
// and the schema type as the value; and hasBlockingErr, which skips the CEL
// rules when the schema found a wrong type, a missing field, an unsupported
// value, too many items or too long a string. Then kemu's additions.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateObject } from "../../src/api/validation/index.js";
import { isCIDR } from "../../src/api/validation/clusternetworkpolicy.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { RestServer } from "../../src/api/server.js";
import { parsePath } from "../../src/api/request-path.js";
import { ApiClient } from "../../src/api/client.js";
import { applyObjects, ApplyError } from "../../src/api/apply.js";
import { parseManifests } from "../../src/api/manifests.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import type { ClusterNetworkPolicy, KubeObject } from "../../src/api/types.js";
import { withNamespaces } from "../support/fixtures.js";
import { thrown } from "../support/api-errors.js";

const CNP = resourceByKind("ClusterNetworkPolicy")!;
const BLOCKED = '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

type Json = Record<string, unknown>;

const VALID: Json = { tier: "Admin", priority: 10, subject: { namespaces: { matchLabels: { tenant: "a" } } } };

function cnp(spec: unknown, name = "p"): KubeObject {
  return { apiVersion: "policy.networking.k8s.io/v1alpha2", kind: "ClusterNetworkPolicy", metadata: { name }, ...(spec === undefined ? {} : { spec }) };
}

function errs(spec: unknown): string[] {
  return validateObject(cnp(spec)).map(String);
}

const deny = (from: unknown[], extra: Json = {}) => ({ action: "Deny", from, ...extra });
const tcp = (destinationPort: unknown) => ({ tcp: { destinationPort } });

describe("valid policies", () => {
  it("every field the standard channel has", () => {
    expect(
      errs({
        tier: "Baseline",
        priority: 1000,
        subject: { pods: { namespaceSelector: { matchExpressions: [{ key: "env", operator: "NotIn", values: ["dev"] }] }, podSelector: { matchLabels: { app: "db" } } } },
        ingress: [
          { name: "from monitoring", action: "Accept", from: [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }], protocols: [tcp({ number: 9090 })] },
          { action: "Pass", from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { role: "backup" } } } }], protocols: [{ udp: { destinationPort: { range: { start: 5000, end: 5100 } } } }, { destinationNamedPort: "metrics" }] },
          { action: "Deny", from: [{ namespaces: {} }] },
        ],
        egress: [
          { action: "Accept", to: [{ networks: ["10.0.0.0/8", "fd00::/8", "192.168.1.1/24"] }], protocols: [{ sctp: { destinationPort: { number: 9003 } } }] },
          { action: "Deny", to: [{ pods: { podSelector: {} } }], protocols: [{ destinationNamedPort: "dns" }] },
        ],
      }),
    ).toEqual([]);
  });

  it("priority 0 and 1000 (the bounds), 25 rules, 25 peers, 25 protocols, 25 networks (the maxima)", () => {
    const peers = Array.from({ length: 25 }, (_, i) => ({ namespaces: { matchLabels: { n: String(i) } } }));
    const protocols = Array.from({ length: 25 }, (_, i) => tcp({ number: i + 1 }));
    const networks = Array.from({ length: 25 }, (_, i) => `10.${i}.0.0/16`);
    expect(errs({ ...VALID, priority: 0, ingress: Array.from({ length: 25 }, () => deny(peers, { protocols })) })).toEqual([]);
    expect(errs({ ...VALID, priority: 1000, egress: [{ action: "Deny", to: [{ networks }] }] })).toEqual([]);
  });
});

describe("the schema: required fields, types, enums, bounds", () => {
  it("spec is required (and the CEL rules are then not run, as upstream says)", () => {
    expect(errs(undefined)).toEqual(["spec: Required value", BLOCKED]);
  });

  it("tier, priority and subject are required", () => {
    expect(errs({})).toEqual(["spec.priority: Required value", "spec.subject: Required value", "spec.tier: Required value", BLOCKED]);
  });

  it("wrong types, in kube-openapi's words with the JSON type as the value", () => {
    expect(errs({ tier: 1, priority: "10", subject: [] })).toEqual([
      'spec.tier: Invalid value: "integer": spec.tier in body must be of type string: "integer"',
      'spec.priority: Invalid value: "string": spec.priority in body must be of type integer: "string"',
      'spec.subject: Invalid value: "array": spec.subject in body must be of type object: "array"',
      BLOCKED,
    ]);
    expect(errs("x")).toEqual(['spec: Invalid value: "string": spec in body must be of type object: "string"', BLOCKED]);
    expect(errs({ ...VALID, priority: 1.5 })).toEqual(['spec.priority: Invalid value: "number": spec.priority in body must be of type integer: "number"', BLOCKED]);
  });

  it("tier is Admin or Baseline", () => {
    expect(errs({ ...VALID, tier: "Developer" })).toEqual(['spec.tier: Unsupported value: "Developer": supported values: "Admin", "Baseline"', BLOCKED]);
  });

  it("priority is 0 to 1000", () => {
    expect(errs({ ...VALID, priority: -1 })).toEqual(["spec.priority: Invalid value: -1: spec.priority in body should be greater than or equal to 0"]);
    expect(errs({ ...VALID, priority: 1001 })).toEqual(["spec.priority: Invalid value: 1001: spec.priority in body should be less than or equal to 1000"]);
  });

  it("the subject is exactly one of namespaces and pods; pods needs a podSelector", () => {
    expect(errs({ ...VALID, subject: {} })).toEqual(["spec.subject: Invalid value: 0: spec.subject in body should have at least 1 properties"]);
    expect(errs({ ...VALID, subject: { namespaces: {}, pods: { podSelector: {} } } })).toEqual(["spec.subject: Too many: 2: must have at most 1 items", BLOCKED]);
    expect(errs({ ...VALID, subject: { pods: { namespaceSelector: {} } } })).toEqual(["spec.subject.pods.podSelector: Required value", BLOCKED]);
  });

  it("at most 25 ingress and egress rules", () => {
    expect(errs({ ...VALID, ingress: Array.from({ length: 26 }, () => deny([{ namespaces: {} }])) })).toEqual(["spec.ingress: Too many: 26: must have at most 25 items", BLOCKED]);
    expect(errs({ ...VALID, egress: "none" })).toEqual(['spec.egress: Invalid value: "string": spec.egress in body must be of type array: "string"', BLOCKED]);
  });
});

describe("the schema: rules and peers", () => {
  it("a rule's action is Accept, Deny or Pass (Allow was v1alpha1's word) and is required, as from/to is", () => {
    expect(errs({ ...VALID, ingress: [{ action: "Allow", from: [{ namespaces: {} }] }] })).toEqual([
      'spec.ingress[0].action: Unsupported value: "Allow": supported values: "Accept", "Deny", "Pass"',
      BLOCKED,
    ]);
    expect(errs({ ...VALID, ingress: [{ from: [{ namespaces: {} }] }], egress: [{ action: "Deny" }] })).toEqual([
      "spec.ingress[0].action: Required value",
      "spec.egress[0].to: Required value",
      BLOCKED,
    ]);
  });

  it("a rule's name is at most 100 characters", () => {
    expect(errs({ ...VALID, ingress: [deny([{ namespaces: {} }], { name: "n".repeat(100) })] })).toEqual([]);
    expect(errs({ ...VALID, ingress: [deny([{ namespaces: {} }], { name: "n".repeat(101) })] })).toEqual(["spec.ingress[0].name: Too long: may not be more than 100 bytes", BLOCKED]);
  });

  it("from and to hold 1 to 25 peers, protocols 1 to 25", () => {
    expect(errs({ ...VALID, ingress: [deny([], { protocols: [] })] })).toEqual([
      "spec.ingress[0].from: Invalid value: 0: spec.ingress[0].from in body should have at least 1 items",
      "spec.ingress[0].protocols: Invalid value: 0: spec.ingress[0].protocols in body should have at least 1 items",
    ]);
    expect(errs({ ...VALID, egress: [{ action: "Deny", to: Array.from({ length: 26 }, () => ({ namespaces: {} })) }] })).toEqual(["spec.egress[0].to: Too many: 26: must have at most 25 items", BLOCKED]);
  });

  it("a peer is exactly one field (spec.ingress[0].from[0]: …)", () => {
    expect(errs({ ...VALID, ingress: [deny([{}])] })).toEqual(["spec.ingress[0].from[0]: Invalid value: 0: spec.ingress[0].from[0] in body should have at least 1 properties"]);
    expect(errs({ ...VALID, ingress: [deny([{ namespaces: {}, pods: { podSelector: {} } }])] })).toEqual(["spec.ingress[0].from[0]: Too many: 2: must have at most 1 items", BLOCKED]);
    expect(errs({ ...VALID, egress: [{ action: "Deny", to: [{ pods: { podSelector: {} }, networks: ["10.0.0.0/8"] }] }] })).toEqual(["spec.egress[0].to[0]: Too many: 2: must have at most 1 items", BLOCKED]);
  });

  it("networks: 1 to 25 distinct CIDRs of at most 43 characters, each one isCIDR accepts", () => {
    expect(errs({ ...VALID, egress: [{ action: "Deny", to: [{ networks: [] }] }] })).toEqual([
      "spec.egress[0].to[0].networks: Invalid value: 0: spec.egress[0].to[0].networks in body should have at least 1 items",
    ]);
    expect(errs({ ...VALID, egress: [{ action: "Deny", to: [{ networks: ["10.0.0.0/8", "10.0.0.0/8", "1.2.3.4", "010.0.0.0/8", "::ffff:1.2.3.4/128"] }] }] })).toEqual([
      'spec.egress[0].to[0].networks[1]: Duplicate value: "10.0.0.0/8"',
      'spec.egress[0].to[0].networks[2]: Invalid value: "string": Invalid CIDR format provided',
      'spec.egress[0].to[0].networks[3]: Invalid value: "string": Invalid CIDR format provided',
      'spec.egress[0].to[0].networks[4]: Invalid value: "string": Invalid CIDR format provided',
    ]);
    expect(errs({ ...VALID, egress: [{ action: "Deny", to: [{ networks: ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", "nonsense"] }] }] })).toEqual([
      "spec.egress[0].to[0].networks[1]: Too long: may not be more than 43 bytes",
      BLOCKED,
    ]);
  });

  it("isCIDR is netip.ParsePrefix: host bits allowed, no leading zeros, no zone, no IPv4-mapped address", () => {
    expect(["10.0.0.0/8", "10.1.2.3/8", "0.0.0.0/0", "::/0", "fd00::/8", "2001:db8::1/128"].map(isCIDR)).toEqual([true, true, true, true, true, true]);
    expect(["10.0.0.0", "010.0.0.0/8", "10.0.0.0/08", "10.0.0.0/33", "fe80::1%eth0/64", "::ffff:10.0.0.0/104", "", " 10.0.0.0/8"].map(isCIDR)).toEqual(
      [false, false, false, false, false, false, false, false],
    );
  });
});

describe("the schema: protocols and ports", () => {
  const rule = (protocols: unknown[]) => ({ ...VALID, ingress: [deny([{ namespaces: {} }], { protocols })] });

  it("a protocol is exactly one of tcp, udp, sctp and destinationNamedPort", () => {
    expect(errs(rule([{}]))).toEqual(["spec.ingress[0].protocols[0]: Invalid value: 0: spec.ingress[0].protocols[0] in body should have at least 1 properties"]);
    expect(errs(rule([{ tcp: { destinationPort: { number: 80 } }, destinationNamedPort: "http" }]))).toEqual(["spec.ingress[0].protocols[0]: Too many: 2: must have at most 1 items", BLOCKED]);
  });

  it("tcp/udp/sctp need a destinationPort, which is exactly one of number and range", () => {
    expect(errs(rule([{ tcp: {} }]))).toEqual(["spec.ingress[0].protocols[0].tcp: Invalid value: 0: spec.ingress[0].protocols[0].tcp in body should have at least 1 properties"]);
    expect(errs(rule([tcp({})]))).toEqual([
      "spec.ingress[0].protocols[0].tcp.destinationPort: Invalid value: 0: spec.ingress[0].protocols[0].tcp.destinationPort in body should have at least 1 properties",
    ]);
    expect(errs(rule([tcp({ number: 80, range: { start: 1, end: 2 } })]))).toEqual(["spec.ingress[0].protocols[0].tcp.destinationPort: Too many: 2: must have at most 1 items", BLOCKED]);
  });

  it("port numbers are 1 to 65535", () => {
    expect(errs(rule([{ udp: { destinationPort: { number: 0 } } }, { sctp: { destinationPort: { number: 65536 } } }]))).toEqual([
      "spec.ingress[0].protocols[0].udp.destinationPort.number: Invalid value: 0: spec.ingress[0].protocols[0].udp.destinationPort.number in body should be greater than or equal to 1",
      "spec.ingress[0].protocols[1].sctp.destinationPort.number: Invalid value: 65536: spec.ingress[0].protocols[1].sctp.destinationPort.number in body should be less than or equal to 65535",
    ]);
  });

  it("a range needs start and end, and start < end (CEL: self.start < self.end)", () => {
    expect(errs(rule([tcp({ range: { start: 100, end: 100 } }), tcp({ range: { start: 200, end: 100 } }), tcp({ range: { start: 1, end: 65535 } })]))).toEqual([
      'spec.ingress[0].protocols[0].tcp.destinationPort.range: Invalid value: "object": Start port must be less than End port',
      'spec.ingress[0].protocols[1].tcp.destinationPort.range: Invalid value: "object": Start port must be less than End port',
    ]);
    expect(errs(rule([tcp({ range: { start: 100 } })]))).toEqual(["spec.ingress[0].protocols[0].tcp.destinationPort.range.end: Required value", BLOCKED]);
    expect(errs(rule([tcp({ range: { start: 0, end: 70000 } })]))).toEqual([
      "spec.ingress[0].protocols[0].tcp.destinationPort.range.end: Invalid value: 70000: spec.ingress[0].protocols[0].tcp.destinationPort.range.end in body should be less than or equal to 65535",
      "spec.ingress[0].protocols[0].tcp.destinationPort.range.start: Invalid value: 0: spec.ingress[0].protocols[0].tcp.destinationPort.range.start in body should be greater than or equal to 1",
    ]);
  });

  it("the CEL rules are skipped, with upstream's note, when a blocking error is found anywhere", () => {
    expect(errs({ ...rule([tcp({ range: { start: 9, end: 1 } })]), tier: "Gold" })).toEqual(['spec.tier: Unsupported value: "Gold": supported values: "Admin", "Baseline"', BLOCKED]);
  });
});

describe("the named-port rule and kemu's additions", () => {
  it("a named port cannot go with a networks peer (the experimental channel's CEL rule, which kemu enforces)", () => {
    expect(errs({ ...VALID, egress: [{ action: "Deny", to: [{ pods: { podSelector: {} } }, { networks: ["10.0.0.0/8"] }], protocols: [{ destinationNamedPort: "dns" }] }] })).toEqual([
      'spec.egress[0]: Invalid value: "object": networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames',
    ]);
    expect(errs({ ...VALID, egress: [{ action: "Deny", to: [{ networks: ["10.0.0.0/8"] }], protocols: [tcp({ number: 53 })] }] })).toEqual([]);
  });

  it("nodes and domainNames (experimental channel) are refused, naming the field", () => {
    expect(errs({ ...VALID, egress: [{ action: "Accept", to: [{ nodes: {} }, { domainNames: ["*.example.com"] }] }] })).toEqual([
      "spec.egress[0].to[0].nodes: Forbidden: not supported by kemu: nodes peers are in network-policy-api's experimental channel, and kemu serves the standard channel",
      "spec.egress[0].to[1].domainNames: Forbidden: not supported by kemu: domainNames peers are in network-policy-api's experimental channel, and kemu serves the standard channel",
    ]);
  });

  it("networks in an ingress peer is named (upstream prunes it, leaving an empty peer)", () => {
    expect(errs({ ...VALID, ingress: [{ action: "Accept", from: [{ networks: ["10.0.0.0/8"] }] }] })).toEqual([
      "spec.ingress[0].from[0]: Invalid value: 0: spec.ingress[0].from[0] in body should have at least 1 properties",
      "spec.ingress[0].from[0].networks: Forbidden: may only be used in egress peers",
    ]);
  });

  it("selectors are checked as a built-in kind's are, once their shape is right", () => {
    expect(errs({ ...VALID, subject: { namespaces: { matchLabels: { "bad key!": "v" }, matchExpressions: [{ key: "a", operator: "Has" }] } } })).toEqual([
      "spec.subject.namespaces.matchLabels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      'spec.subject.namespaces.matchExpressions[0].operator: Invalid value: "Has": not a valid selector operator',
    ]);
    expect(errs({ ...VALID, ingress: [deny([{ pods: { podSelector: { matchExpressions: [{ operator: "In", values: [1] }] } } }])] })).toEqual([
      'spec.ingress[0].from[0].pods.podSelector.matchExpressions[0].values[0]: Invalid value: "integer": spec.ingress[0].from[0].pods.podSelector.matchExpressions[0].values[0] in body must be of type string: "integer"',
      "spec.ingress[0].from[0].pods.podSelector.matchExpressions[0].key: Required value",
      BLOCKED,
    ]);
  });
});

describe("ClusterNetworkPolicy through the API server", () => {

  it("is served as policy.networking.k8s.io/v1alpha2 clusternetworkpolicies, short name cnp, cluster-scoped", () => {
    expect(CNP).toMatchObject({ group: "policy.networking.k8s.io", version: "v1alpha2", plural: "clusternetworkpolicies", singular: "clusternetworkpolicy", namespaced: false, shortNames: ["cnp"] });
    expect(resourceByName("cnp")).toBe(CNP);
    expect(resourceByKind("ClusterNetworkPolicy", "policy.networking.k8s.io/v1alpha1")).toBeUndefined();
  });

  it("stores a valid one as given (the CRD has no defaults) and counts spec changes in generation", () => {
    const api = withNamespaces();
    const spec = { ...VALID, ingress: [deny([{ namespaces: {} }])] };
    const stored = api.create(CNP, cnp(spec, "deny-all")) as ClusterNetworkPolicy;
    expect(stored.spec).toEqual(spec);
    expect(stored.metadata.namespace).toBeUndefined();
    expect(stored.metadata.generation).toBe(1);
    expect(api.patch(CNP, undefined, "deny-all", { spec: { priority: 20 } }).metadata.generation).toBe(2);
  });

  it("refuses a bad one with the CRD's messages, named as a custom resource is", () => {
    const api = withNamespaces();
    const err = thrown(() => api.create(CNP, cnp({ ...VALID, ingress: [deny([{}])] }, "bad")));
    expect(err.code).toBe(422);
    expect(err.message).toBe(
      'ClusterNetworkPolicy.policy.networking.k8s.io "bad" is invalid: spec.ingress[0].from[0]: Invalid value: 0: spec.ingress[0].from[0] in body should have at least 1 properties',
    );
  });

  it("type-checks its metadata like every kind's, and its name is a DNS subdomain", () => {
    const api = withNamespaces();
    expect(thrown(() => api.create(CNP, { ...cnp(VALID), metadata: { name: "m", labels: "x" } } as unknown as KubeObject)).message).toBe(
      'ClusterNetworkPolicy.policy.networking.k8s.io "m" is invalid: metadata.labels: Invalid value: "x": must be an object',
    );
    expect(thrown(() => api.create(CNP, cnp(VALID, "Not_A_Name"))).message).toMatch(/^ClusterNetworkPolicy\.policy\.networking\.k8s\.io "Not_A_Name" is invalid: metadata\.name: Invalid value: "Not_A_Name": a lowercase RFC 1123 subdomain/);
  });
});

describe("both kinds over REST and through kemu apply", () => {
  const NETPOL = resourceByKind("NetworkPolicy")!;
  let dir: string;
  let api: ApiServer;
  let rest: RestServer;
  let client: ApiClient;

  beforeAll(async () => {
    api = withNamespaces();
    dir = mkdtempSync(join(tmpdir(), "kemu-cnp-"));
    rest = new RestServer(api);
    await rest.listen(join(dir, "api.sock"));
    client = new ApiClient(join(dir, "api.sock"));
  });

  afterAll(async () => {
    client?.close();
    await rest?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("routes each kind under its own group version, and no other", () => {
    expect(parsePath("/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies/deny")).toMatchObject({ resource: CNP, namespace: undefined, name: "deny" });
    expect(parsePath("/apis/policy.networking.k8s.io/v1/clusternetworkpolicies")).toBeUndefined();
    expect(parsePath("/apis/policy.networking.k8s.io/v1alpha2/namespaces/x/clusternetworkpolicies")).toBeUndefined();
    expect(parsePath("/apis/networking.k8s.io/v1/namespaces/x/networkpolicies/p")).toMatchObject({ resource: NETPOL, namespace: "x", name: "p" });
  });

  it("lists the groups with their versions in discovery", async () => {
    const groups = await client.request<{ groups: { name: string; preferredVersion: { groupVersion: string } }[] }>("GET", "/apis");
    expect(groups.groups.find((g) => g.name === "policy.networking.k8s.io")?.preferredVersion.groupVersion).toBe("policy.networking.k8s.io/v1alpha2");
    expect(groups.groups.find((g) => g.name === "networking.k8s.io")?.preferredVersion.groupVersion).toBe("networking.k8s.io/v1");
    const resources = await client.request<{ groupVersion: string; resources: { name: string; namespaced: boolean; shortNames: string[] }[] }>(
      "GET",
      "/apis/policy.networking.k8s.io/v1alpha2",
    );
    expect(resources.groupVersion).toBe("policy.networking.k8s.io/v1alpha2");
    // the kind and its status subresource (as upstream lists a CRD with a status subresource)
    expect(resources.resources.map((r) => r.name)).toEqual(["clusternetworkpolicies", "clusternetworkpolicies/status"]);
    expect(resources.resources[0]).toMatchObject({ name: "clusternetworkpolicies", namespaced: false, shortNames: ["cnp"] });
  });

  it("applies a file with a NetworkPolicy and a ClusterNetworkPolicy, then lists, gets and deletes them", async () => {
    const yaml = [
      "apiVersion: networking.k8s.io/v1",
      "kind: NetworkPolicy",
      "metadata: {name: default-deny, namespace: other}",
      "spec: {podSelector: {}}",
      "---",
      "apiVersion: policy.networking.k8s.io/v1alpha2",
      "kind: ClusterNetworkPolicy",
      "metadata: {name: block-other}",
      "spec:",
      "  tier: Admin",
      "  priority: 5",
      "  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}",
      "  ingress: [{action: Deny, from: [{namespaces: {}}]}]",
    ].join("\n");
    const applied = await applyObjects(client, parseManifests(yaml, "policies.yaml"));
    expect(applied.map((a) => `${a.object.kind}/${a.object.metadata.name} ${a.action}`)).toEqual(["NetworkPolicy/default-deny created", "ClusterNetworkPolicy/block-other created"]);
    expect((await applyObjects(client, parseManifests(yaml, "policies.yaml"))).map((a) => a.action)).toEqual(["unchanged", "unchanged"]);
    expect((await client.list(NETPOL, { namespace: "other" })).items.map((o) => o.spec)).toEqual([{ podSelector: {}, policyTypes: ["Ingress"] }]);
    expect((await client.get(CNP, undefined, "block-other")).metadata.name).toBe("block-other");
    await client.delete(CNP, undefined, "block-other");
    await client.delete(NETPOL, "other", "default-deny");
    expect((await client.list(CNP)).items).toEqual([]);
  });

  it("says which version is served, and which kinds are not", async () => {
    const wrongVersion = ["apiVersion: policy.networking.k8s.io/v1alpha1", "kind: ClusterNetworkPolicy", "metadata: {name: x}"].join("\n");
    const anp = ["apiVersion: policy.networking.k8s.io/v1alpha1", "kind: AdminNetworkPolicy", "metadata: {name: x}"].join("\n");
    const problems = async (yaml: string) => {
      try {
        await applyObjects(client, parseManifests(yaml, "f.yaml"));
      } catch (err) {
        if (err instanceof ApplyError) return err.problems;
        throw err;
      }
      return [];
    };
    expect(await problems(wrongVersion)).toEqual([
      'f.yaml: no matches for kind "ClusterNetworkPolicy" in version "policy.networking.k8s.io/v1alpha1" (use apiVersion: policy.networking.k8s.io/v1alpha2)',
    ]);
    expect(await problems(anp)).toEqual(['f.yaml: no matches for kind "AdminNetworkPolicy" in version "policy.networking.k8s.io/v1alpha1": kemu does not serve this kind']);
  });

  it("refuses a bad file before sending it, naming the document", async () => {
    const yaml = ["apiVersion: policy.networking.k8s.io/v1alpha2", "kind: ClusterNetworkPolicy", "metadata: {name: x}", "spec: {tier: Admin, priority: 1, subject: {}}"].join("\n");
    await expect(applyObjects(client, parseManifests(yaml, "bad.yaml"))).rejects.toThrow(
      'bad.yaml: ClusterNetworkPolicy.policy.networking.k8s.io "x" is invalid: spec.subject: Invalid value: 0: spec.subject in body should have at least 1 properties',
    );
  });
});
