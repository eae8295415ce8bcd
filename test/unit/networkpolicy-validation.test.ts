// NetworkPolicy (networking.k8s.io/v1) as kube-apiserver validates and
// defaults it. The cases are upstream's TestValidateNetworkPolicy and
// TestValidateNetworkPolicyUpdate (kubernetes/kubernetes
// pkg/apis/networking/validation/validation_test.go: makeNetworkPolicyCustom
// with its tweaks), each with the message validation.go words for it; then
// the same rules through the API server (type check, defaults, update).
import { describe, it, expect } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import type { KubeObject, NetworkPolicy } from "../../src/api/types.js";
import { withNamespaces } from "../support/fixtures.js";
import { thrown } from "../support/api-errors.js";

const NETPOL = resourceByKind("NetworkPolicy")!;
const PORT_RANGE = "must be between 1 and 65535, inclusive";
const CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";
const NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const INVALID_SELECTOR = { "NoUppercaseOrSpecialCharsLike=Equals": "b" };

type Spec = Record<string, unknown>;
type Tweak = (spec: Spec) => void;

/** upstream's makeValidNetworkPolicy, then each tweak on its spec. */
function policy(...tweaks: Tweak[]): KubeObject {
  const spec: Spec = { podSelector: { matchLabels: { a: "b" } } };
  for (const t of tweaks) t(spec);
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "foo", namespace: "bar" }, spec };
}

/** Errors as the API server meets the object: after defaulting. */
function errs(obj: KubeObject, old?: KubeObject): string[] {
  return validateObject(applyDefaults(obj), old && applyDefaults(old)).map(String);
}

const ingress0 = (s: Spec) => (s.ingress as Spec[])[0]!;
const egress0 = (s: Spec) => (s.egress as Spec[])[0]!;
const from0 = (s: Spec) => (ingress0(s).from as Spec[])[0]!;
const to0 = (s: Spec) => (egress0(s).to as Spec[])[0]!;

// upstream's tweaks
const setIngressEmptyFirstElement: Tweak = (s) => (s.ingress = [{}]);
const setIngressEmptyFrom: Tweak = (s) => (ingress0(s).from = []);
const setIngressFromEmptyFirstElement: Tweak = (s) => (ingress0(s).from = [{}]);
const setIngressEmptyPorts: Tweak = (s) => (ingress0(s).ports = []);
const setIngressPorts: Tweak = (s) =>
  (ingress0(s).ports = [{ port: 80 }, { protocol: "TCP" }, { protocol: "TCP", port: 443 }, { protocol: "UDP", port: "dns" }, { protocol: "SCTP", port: 7777 }]);
const setIngressPortsHigher: Tweak = (s) => (ingress0(s).ports = [{ protocol: "TCP", port: 32768, endPort: 32768 }]);
const setIngressFromPodSelector: Tweak = (s) => (from0(s).podSelector = { matchLabels: { c: "d" } });
const setAlternativeIngressFromPodSelector: Tweak = (s) => (from0(s).podSelector = { matchLabels: { e: "f" } });
const setIngressFromNamespaceSelector: Tweak = (s) => (from0(s).namespaceSelector = { matchLabels: { c: "d" } });
const setIngressFromIPBlock: Tweak = (s) => (from0(s).ipBlock = { cidr: "192.168.0.0/16", except: ["192.168.3.0/24", "192.168.4.0/24"] });
const setIngressFromIPBlockIPV6: Tweak = (s) => (from0(s).ipBlock = { cidr: "fd00:192:168::/48", except: ["fd00:192:168:3::/64", "fd00:192:168:4::/64"] });
const setEgressEmptyFirstElement: Tweak = (s) => (s.egress = [{}]);
const setEgressToEmptyFirstElement: Tweak = (s) => (egress0(s).to = [{}]);
const setEgressToNamespaceSelector: Tweak = (s) => (to0(s).namespaceSelector = { matchLabels: { c: "d" } });
const setEgressToPodSelector: Tweak = (s) => (to0(s).podSelector = { matchLabels: { c: "d" } });
const setEgressToIPBlock: Tweak = (s) => (to0(s).ipBlock = { cidr: "192.168.0.0/16", except: ["192.168.3.0/24", "192.168.4.0/24"] });
const setEgressToIPBlockIPV6: Tweak = (s) => (to0(s).ipBlock = { cidr: "fd00:192:168::/48", except: ["fd00:192:168:3::/64", "fd00:192:168:4::/64"] });
const setEgressPorts: Tweak = (s) =>
  (egress0(s).ports = [{ port: 80 }, { protocol: "TCP" }, { protocol: "TCP", port: 443 }, { protocol: "UDP", port: "dns" }, { protocol: "SCTP", port: 7777 }]);
const setEgressPortsUDPandHigh: Tweak = (s) => (egress0(s).ports = [{ port: 32000, endPort: 32768 }, { protocol: "UDP", port: "dns" }]);
const setEgressPortsBothHigh: Tweak = (s) => (egress0(s).ports = [{ port: 30000, endPort: 32768 }, { port: 32000, endPort: 32768 }]);
const setPolicyTypesEgress: Tweak = (s) => (s.policyTypes = ["Egress"]);
const setPolicyTypesIngressEgress: Tweak = (s) => (s.policyTypes = ["Ingress", "Egress"]);

describe("TestValidateNetworkPolicy: upstream's valid policies", () => {
  const successCases: [string, Tweak[]][] = [
    ["an empty ingress rule", [setIngressEmptyFirstElement]],
    ["empty from and ports", [setIngressEmptyFirstElement, setIngressEmptyFrom, setIngressEmptyPorts]],
    ["numbered and named ports, every protocol", [setIngressEmptyFirstElement, setIngressPorts]],
    ["from a podSelector", [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromPodSelector]],
    ["from a namespaceSelector", [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromNamespaceSelector]],
    ["from a namespaceSelector AND a podSelector", [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromNamespaceSelector, setAlternativeIngressFromPodSelector]],
    ["egress to a namespace, ingress from an ipBlock", [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToNamespaceSelector, setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromIPBlock]],
    ["from an ipBlock with excepts", [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromIPBlock]],
    ["egress to an ipBlock, policyTypes [Egress]", [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToIPBlock, setPolicyTypesEgress]],
    ["egress to an ipBlock, policyTypes [Ingress, Egress]", [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToIPBlock, setPolicyTypesIngressEgress]],
    ["egress ports", [setEgressEmptyFirstElement, setEgressPorts]],
    ["IPv6 ipBlock from, namespace to", [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToNamespaceSelector, setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromIPBlockIPV6]],
    ["from an IPv6 ipBlock", [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromIPBlockIPV6]],
    ["to an IPv6 ipBlock, [Egress]", [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToIPBlockIPV6, setPolicyTypesEgress]],
    ["to an IPv6 ipBlock, [Ingress, Egress]", [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToIPBlockIPV6, setPolicyTypesIngressEgress]],
    ["an endPort range and a named UDP port", [setEgressEmptyFirstElement, setEgressPortsUDPandHigh]],
    ["endPort ranges both ways, endPort equal to port", [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToNamespaceSelector, setEgressPortsBothHigh, setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setAlternativeIngressFromPodSelector, setIngressPortsHigher]],
  ];
  it.each(successCases)("%s", (_name, tweaks) => {
    expect(errs(policy(...tweaks))).toEqual([]);
  });

  it("kemu's own valid shapes: no spec at all, podSelector {} (every pod), the default-deny policies", () => {
    expect(errs({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "deny", namespace: "x" } })).toEqual([]);
    expect(errs(policy((s) => (s.podSelector = {})))).toEqual([]);
    expect(errs(policy((s) => ((s.podSelector = {}), (s.policyTypes = ["Ingress", "Egress"]))))).toEqual([]);
  });
});

describe("TestValidateNetworkPolicy: upstream's invalid policies, with validation.go's messages", () => {
  const errorCases: [string, Tweak[], string[]][] = [
    [
      "namespaceSelector and ipBlock",
      [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromNamespaceSelector, setIngressFromIPBlock],
      ["spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer"],
    ],
    [
      "podSelector and ipBlock",
      [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToPodSelector, setEgressToIPBlock],
      ["spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer"],
    ],
    [
      "missing from and to type",
      [setIngressEmptyFirstElement, setEgressEmptyFirstElement, (s) => ((s.ingress = [{ from: [{}] }]), (s.egress = [{ to: [{}] }]))],
      ["spec.ingress[0].from[0]: Required value: must specify a peer", "spec.egress[0].to[0]: Required value: must specify a peer"],
    ],
    [
      "invalid spec.podSelector",
      [(s) => (s.podSelector = { matchLabels: INVALID_SELECTOR })],
      [`spec.podSelector.matchLabels: Invalid value: "NoUppercaseOrSpecialCharsLike=Equals": ${NAME_PART}`],
    ],
    [
      "invalid ingress.ports.protocol",
      [setIngressEmptyFirstElement, (s) => (ingress0(s).ports = [{ protocol: "ICMP", port: 80 }])],
      ['spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'],
    ],
    [
      "invalid ingress.ports.port (int)",
      [setIngressEmptyFirstElement, (s) => (ingress0(s).ports = [{ protocol: "TCP", port: 123456789 }])],
      [`spec.ingress[0].ports[0].port: Invalid value: 123456789: ${PORT_RANGE}`],
    ],
    [
      "invalid ingress.ports.port (str)",
      [setIngressEmptyFirstElement, (s) => (ingress0(s).ports = [{ protocol: "TCP", port: "!@#$" }])],
      [
        'spec.ingress[0].ports[0].port: Invalid value: "!@#$": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.ingress[0].ports[0].port: Invalid value: "!@#$": must contain at least one letter (a-z)',
      ],
    ],
    [
      "invalid ingress.from.podSelector",
      [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, (s) => (from0(s).podSelector = { matchLabels: INVALID_SELECTOR })],
      [`spec.ingress[0].from[0].podSelector.matchLabels: Invalid value: "NoUppercaseOrSpecialCharsLike=Equals": ${NAME_PART}`],
    ],
    [
      "invalid egress.to.podSelector",
      [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, (s) => (to0(s).podSelector = { matchLabels: INVALID_SELECTOR })],
      [`spec.egress[0].to[0].podSelector.matchLabels: Invalid value: "NoUppercaseOrSpecialCharsLike=Equals": ${NAME_PART}`],
    ],
    [
      "invalid egress.ports.protocol",
      [setEgressEmptyFirstElement, (s) => (egress0(s).ports = [{ protocol: "ICMP", port: 80 }])],
      ['spec.egress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'],
    ],
    [
      "invalid egress.ports.port (int)",
      [setEgressEmptyFirstElement, (s) => (egress0(s).ports = [{ protocol: "TCP", port: 123456789 }])],
      [`spec.egress[0].ports[0].port: Invalid value: 123456789: ${PORT_RANGE}`],
    ],
    [
      "invalid egress.ports.port (str)",
      [setEgressEmptyFirstElement, (s) => (egress0(s).ports = [{ protocol: "TCP", port: "!@#$" }])],
      [
        'spec.egress[0].ports[0].port: Invalid value: "!@#$": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.egress[0].ports[0].port: Invalid value: "!@#$": must contain at least one letter (a-z)',
      ],
    ],
    [
      "invalid ingress.from.namespaceSelector",
      [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, (s) => (from0(s).namespaceSelector = { matchLabels: INVALID_SELECTOR })],
      [`spec.ingress[0].from[0].namespaceSelector.matchLabels: Invalid value: "NoUppercaseOrSpecialCharsLike=Equals": ${NAME_PART}`],
    ],
    [
      "missing cidr field",
      [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromIPBlock, (s) => ((from0(s).ipBlock as Spec).cidr = "")],
      ["spec.ingress[0].from[0].ipBlock.cidr: Required value"],
    ],
    [
      "invalid cidr format",
      [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromIPBlock, (s) => ((from0(s).ipBlock as Spec).cidr = "192.168.5.6")],
      [`spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "192.168.5.6": ${CIDR}`],
    ],
    [
      "invalid ipv6 cidr format",
      [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromIPBlockIPV6, (s) => ((from0(s).ipBlock as Spec).cidr = "fd00:192:168::")],
      [`spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "fd00:192:168::": ${CIDR}`],
    ],
    [
      "except field is an empty string",
      [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, setIngressFromIPBlock, (s) => ((from0(s).ipBlock as Spec).except = ["", " "])],
      [`spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "": ${CIDR}`, `spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: " ": ${CIDR}`],
    ],
    [
      "except IP is outside of CIDR range",
      [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, (s) => (from0(s).ipBlock = { cidr: "192.168.8.0/24", except: ["192.168.9.1/24"] })],
      ['spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "192.168.9.1/24": must be a strict subset of `cidr`'],
    ],
    [
      "except IP is not strictly within CIDR range",
      [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, (s) => (from0(s).ipBlock = { cidr: "192.168.0.0/24", except: ["192.168.0.0/24"] })],
      ['spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "192.168.0.0/24": must be a strict subset of `cidr`'],
    ],
    [
      "except IPv6 is outside of CIDR range",
      [setIngressEmptyFirstElement, setIngressFromEmptyFirstElement, (s) => (from0(s).ipBlock = { cidr: "fd00:192:168:1::/64", except: ["fd00:192:168:2::/64"] })],
      ['spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "fd00:192:168:2::/64": must be a strict subset of `cidr`'],
    ],
    [
      "invalid policyTypes",
      [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToIPBlock, (s) => (s.policyTypes = ["foo", "bar"])],
      ['spec.policyTypes[0]: Unsupported value: "foo": supported values: "Ingress", "Egress"', 'spec.policyTypes[1]: Unsupported value: "bar": supported values: "Ingress", "Egress"'],
    ],
    [
      "too many policyTypes",
      [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToIPBlock, (s) => (s.policyTypes = ["foo", "bar", "baz"])],
      ['spec.policyTypes: Invalid value: ["foo","bar","baz"]: may not specify more than two policyTypes'],
    ],
    [
      "multiple ports defined, one port range is invalid",
      [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToNamespaceSelector, (s) => (egress0(s).ports = [{ protocol: "UDP", port: 35000, endPort: 32768 }, { port: 32000, endPort: 32768 }])],
      ["spec.egress[0].ports[0].endPort: Invalid value: 32768: must be greater than or equal to `port`"],
    ],
    [
      "endPort defined with named/string port",
      [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToNamespaceSelector, (s) => (egress0(s).ports = [{ protocol: "UDP", port: "dns", endPort: 32768 }, { port: 32000, endPort: 32768 }])],
      ["spec.egress[0].ports[0].endPort: Invalid value: 32768: may not be specified when `port` is non-numeric"],
    ],
    [
      "endPort defined without port defined",
      [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToNamespaceSelector, (s) => (egress0(s).ports = [{ protocol: "TCP", endPort: 32768 }])],
      ["spec.egress[0].ports[0].endPort: Invalid value: 32768: may not be specified when `port` is not specified"],
    ],
    [
      "port is greater than endPort",
      [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToNamespaceSelector, (s) => (egress0(s).ports = [{ protocol: "SCTP", port: 33000, endPort: 32768 }])],
      ["spec.egress[0].ports[0].endPort: Invalid value: 32768: must be greater than or equal to `port`"],
    ],
    [
      "multiple invalid port ranges defined",
      [
        setEgressEmptyFirstElement,
        setEgressToEmptyFirstElement,
        setEgressToNamespaceSelector,
        (s) => (egress0(s).ports = [{ protocol: "UDP", port: 35000, endPort: 32768 }, { protocol: "TCP", endPort: 32768 }, { protocol: "TCP", port: "https", endPort: 32768 }]),
      ],
      [
        "spec.egress[0].ports[0].endPort: Invalid value: 32768: must be greater than or equal to `port`",
        "spec.egress[0].ports[1].endPort: Invalid value: 32768: may not be specified when `port` is not specified",
        "spec.egress[0].ports[2].endPort: Invalid value: 32768: may not be specified when `port` is non-numeric",
      ],
    ],
    [
      "invalid endport range defined",
      [setEgressEmptyFirstElement, setEgressToEmptyFirstElement, setEgressToNamespaceSelector, (s) => (egress0(s).ports = [{ port: 30000, endPort: 65537 }])],
      [`spec.egress[0].ports[0].endPort: Invalid value: 65537: ${PORT_RANGE}`],
    ],
  ];
  it.each(errorCases)("%s", (_name, tweaks, expected) => {
    expect(errs(policy(...tweaks))).toEqual(expected);
  });
});

describe("kemu's further cases, from the rules of validation.go", () => {
  it("a protocol given as the empty string is a value, not an absence (Go's field is a pointer)", () => {
    expect(errs(policy((s) => (s.ingress = [{ ports: [{ protocol: "", port: 80 }] }])))).toEqual([
      'spec.ingress[0].ports[0].protocol: Unsupported value: "": supported values: "TCP", "UDP", "SCTP"',
    ]);
  });

  it("a numeric-looking string is a port name, and 0 is not a port", () => {
    expect(errs(policy((s) => (s.ingress = [{ ports: [{ port: "80" }, { port: 0 }] }])))).toEqual([
      'spec.ingress[0].ports[0].port: Invalid value: "80": must contain at least one letter (a-z)',
      `spec.ingress[0].ports[1].port: Invalid value: 0: ${PORT_RANGE}`,
    ]);
  });

  it("a named port longer than 15 characters (IANA_SVC_NAME)", () => {
    expect(errs(policy((s) => (s.ingress = [{ ports: [{ port: "a-very-long-port-name" }] }])))).toEqual([
      'spec.ingress[0].ports[0].port: Invalid value: "a-very-long-port-name": must be no more than 15 characters',
    ]);
  });

  it("selectors: expressions checked as every selector is", () => {
    expect(errs(policy((s) => (s.egress = [{ to: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "In" }, { key: "x", operator: "Maybe" }] } }] }])))).toEqual([
      "spec.egress[0].to[0].namespaceSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.egress[0].to[0].namespaceSelector.matchExpressions[1].operator: Invalid value: "Maybe": not a valid selector operator',
    ]);
  });

  it("ipBlock: an address with host bits is a CIDR (Go's ParseCIDR), an IPv4 except never fits an IPv6 cidr, IPv4-mapped excepts read as IPv4", () => {
    expect(errs(policy((s) => (s.ingress = [{ from: [{ ipBlock: { cidr: "10.1.2.3/8", except: ["10.1.0.0/16"] } }] }])))).toEqual([]);
    expect(errs(policy((s) => (s.ingress = [{ from: [{ ipBlock: { cidr: "::/0", except: ["10.0.0.0/8"] } }] }])))).toEqual([
      'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
    ]);
    expect(errs(policy((s) => (s.ingress = [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["::ffff:10.1.0.0/112"] } }] }])))).toEqual([]);
  });

  it("TestValidateNetworkPolicyUpdate: the spec may change, the name may not", () => {
    const old = policy((s) => ((s.podSelector = {}), (s.ingress = [])));
    expect(errs(policy((s) => (s.ingress = [])), old)).toEqual([]);
    const renamed = { ...old, metadata: { name: "baz", namespace: "bar" } };
    expect(errs(renamed, old)).toEqual(['metadata.name: Invalid value: "baz": field is immutable']);
  });

  it("the name is a DNS subdomain (ValidateNetworkPolicyName)", () => {
    expect(errs({ ...policy(), metadata: { name: "a.b-c", namespace: "bar" } })).toEqual([]);
    expect(errs({ ...policy(), metadata: { name: "Foo", namespace: "bar" } })[0]).toMatch(/^metadata\.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain/);
  });
});

describe("NetworkPolicy through the API server", () => {

  it("is served as networking.k8s.io/v1 networkpolicies, short name netpol, namespaced", () => {
    expect(NETPOL).toMatchObject({ group: "networking.k8s.io", version: "v1", plural: "networkpolicies", namespaced: true, shortNames: ["netpol"] });
    expect(resourceByName("netpol")).toBe(NETPOL);
    expect(resourceByName("networkpolicies.networking.k8s.io")).toBe(NETPOL);
  });

  it("stores it defaulted: podSelector {}, policyTypes, TCP on every port", () => {
    const api = withNamespaces();
    const stored = api.create(NETPOL, {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "egress-only" },
      spec: { egress: [{ ports: [{ port: 53 }, { protocol: "UDP", port: 53 }] }] },
    }) as NetworkPolicy;
    expect(stored.metadata.namespace).toBe("default");
    expect(stored.metadata.generation).toBe(1);
    expect(stored.spec).toEqual({ podSelector: {}, egress: [{ ports: [{ port: 53, protocol: "TCP" }, { protocol: "UDP", port: 53 }] }], policyTypes: ["Ingress", "Egress"] });
  });

  it("refuses a bad policy with every problem, as kube-apiserver words it", () => {
    const api = withNamespaces();
    const err = thrown(() =>
      api.create(NETPOL, {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "bad" },
        spec: { ingress: [{ from: [{ namespaceSelector: {} }, {}] }], policyTypes: ["Ingress", "Sideways"] },
      }),
    );
    expect(err.code).toBe(422);
    expect(err.message).toBe(
      'NetworkPolicy.networking.k8s.io "bad" is invalid: [spec.ingress[0].from[1]: Required value: must specify a peer, spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"]',
    );
  });

  it("type-checks it against the schema first (a port is an int or a string)", () => {
    const api = withNamespaces();
    const err = thrown(() =>
      api.create(NETPOL, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "t" }, spec: { ingress: [{ ports: [{ port: true }] }], policyTypes: "Ingress" } }),
    );
    expect(err.message).toBe(
      'NetworkPolicy.networking.k8s.io "t" is invalid: [spec.ingress[0].ports[0].port: Invalid value: true: must be an integer or a string, spec.policyTypes: Invalid value: "Ingress": must be a list]',
    );
  });

  it("updates the spec (generation counts it) and keeps the defaults", () => {
    const api = withNamespaces();
    api.create(NETPOL, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "p" }, spec: { podSelector: {} } });
    const updated = api.patch(NETPOL, "default", "p", { spec: { policyTypes: null, egress: [{}] } }) as NetworkPolicy;
    expect(updated.metadata.generation).toBe(2);
    expect(updated.spec.policyTypes).toEqual(["Ingress", "Egress"]);
  });

  it("goes when its namespace goes (the namespace controller deletes every namespaced kind)", async () => {
    const { NamespaceController } = await import("../../src/controllers/namespace.js");
    const api = withNamespaces(new ApiServer());
    api.create(NETPOL, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "p", namespace: "other" }, spec: {} });
    const controller = new NamespaceController(api);
    controller.start();
    api.delete(resourceByKind("Namespace")!, undefined, "other");
    const deadline = Date.now() + 2000;
    while (api.tryGet(resourceByKind("Namespace")!, undefined, "other") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    controller.stop();
    expect(api.list(NETPOL, { namespace: "other" }).items).toEqual([]);
    expect(api.tryGet(resourceByKind("Namespace")!, undefined, "other")).toBeUndefined();
  });
});
