import { describe, it, expect } from "vitest";
import { validateObject, supportedKinds } from "../../src/api/validation/index.js";
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isIanaSvcName,
  isQualifiedName,
  isValidLabelValue,
  isValidPercent,
  isValidPortNum,
} from "../../src/api/validation/names.js";
import { isIPv4, isIPv6, isValidCIDR, isValidIP } from "../../src/api/validation/net.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { ApiError } from "../../src/api/errors.js";
import type { KubeObject } from "../../src/api/types.js";

const DNS1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const PORT_RANGE = "must be between 1 and 65535, inclusive";
const QUANTITY = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

type Json = Record<string, unknown>;

function errs(obj: KubeObject, old?: KubeObject): string[] {
  return validateObject(obj, old).map(String);
}

/** Both the object as given and after applyDefaults must give these errors. */
function expectErrors(obj: KubeObject, expected: string[], old?: KubeObject): void {
  expect(errs(obj, old)).toEqual(expected);
  expect(errs(applyDefaults(obj), old ? applyDefaults(old) : undefined)).toEqual(expected);
}

function container(extra: Json = {}): Json {
  return { name: "web", image: "nginx:1.27", ...extra };
}

function pod(spec: Json = {}, metadata: Json = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", labels: { app: "web" }, ...metadata },
    spec: { containers: [container()], ...spec },
  };
}

function podWith(c: Json, spec: Json = {}): KubeObject {
  return pod({ containers: [container(c)], ...spec });
}

describe("name and format checks", () => {
  it("DNS-1123 labels", () => {
    expect(isDNS1123Label("my-name")).toEqual([]);
    expect(isDNS1123Label("123-abc")).toEqual([]);
    expect(isDNS1123Label("My_Name")).toEqual([DNS1123_LABEL]);
    expect(isDNS1123Label("a.b")).toEqual(["must not contain dots"]);
    expect(isDNS1123Label("a".repeat(64))).toEqual(["must be no more than 63 characters"]);
    expect(isDNS1123Label("")).toEqual([DNS1123_LABEL]);
  });

  it("DNS-1123 subdomains and DNS-1035 labels", () => {
    expect(isDNS1123Subdomain("example.com")).toEqual([]);
    expect(isDNS1123Subdomain("Example.com")).toEqual([DNS1123_SUBDOMAIN]);
    expect(isDNS1123Subdomain("a".repeat(254))).toEqual(["must be no more than 253 characters"]);
    expect(isDNS1035Label("web-1")).toEqual([]);
    expect(isDNS1035Label("1web")).toEqual([DNS1035_LABEL]);
  });

  it("qualified names (label keys) and label values", () => {
    expect(isQualifiedName("example.com/MyName")).toEqual([]);
    expect(isQualifiedName("/a")).toEqual(["prefix part must be non-empty"]);
    expect(isQualifiedName("a/")).toEqual(["name part must be non-empty", NAME_PART]);
    expect(isQualifiedName("Bad_Prefix/a")).toEqual([`prefix part ${DNS1123_SUBDOMAIN}`]);
    expect(isQualifiedName("a".repeat(64))).toEqual(["name part must be no more than 63 characters"]);
    expect(isValidLabelValue("")).toEqual([]);
    expect(isValidLabelValue("my_value")).toEqual([]);
    expect(isValidLabelValue("-x")).toEqual([LABEL_VALUE]);
  });

  it("ports, IANA service names, percents, env names", () => {
    expect(isValidPortNum(1)).toEqual([]);
    expect(isValidPortNum(65535)).toEqual([]);
    expect(isValidPortNum(0)).toEqual([PORT_RANGE]);
    expect(isValidPortNum(65536)).toEqual([PORT_RANGE]);
    expect(isIanaSvcName("http")).toEqual([]);
    expect(isIanaSvcName("-a--")).toEqual(["must not contain consecutive hyphens", "must not begin or end with a hyphen"]);
    expect(isIanaSvcName("1234567890123456")).toEqual([
      "must be no more than 15 characters",
      "must contain at least one letter (a-z)",
    ]);
    expect(isIanaSvcName("Http")).toEqual(["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"]);
    expect(isValidPercent("25%")).toEqual([]);
    expect(isValidPercent("25")).toEqual([
      "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ]);
    expect(isEnvVarName("MY_VAR")).toEqual([]);
    expect(isEnvVarName("1VAR")).toEqual([
      "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
    ]);
  });

  it("IP addresses and CIDRs", () => {
    expect(isValidIP("10.0.0.1")).toBe(true);
    expect(isValidIP("010.000.000.001")).toBe(true);
    expect(isValidIP("10.0.0.256")).toBe(false);
    expect(isValidIP("10.0.0")).toBe(false);
    expect(isValidIP("fd00::1")).toBe(true);
    expect(isValidIP("::")).toBe(true);
    expect(isValidIP("1::2::3")).toBe(false);
    expect(isValidIP("fe80::1%eth0")).toBe(false);
    expect(isIPv4("::ffff:10.0.0.1")).toBe(true);
    expect(isIPv6("2001:db8::ffff")).toBe(true);
    expect(isIPv6("10.0.0.1")).toBe(false);
    expect(isValidCIDR("10.0.0.0/8")).toBe(true);
    expect(isValidCIDR("fd00::/64")).toBe(true);
    expect(isValidCIDR("10.0.0.0/33")).toBe(false);
    expect(isValidCIDR("10.0.0.0")).toBe(false);
  });
});

describe("validateObject dispatch", () => {
  it("rejects unknown kinds", () => {
    expect(errs({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "x" } })).toEqual([
      'kind: Unsupported value: "PersistentVolumeClaim": supported values: "ClusterNetworkPolicy", "ConfigMap", "ControllerRevision", "CronJob", "DaemonSet", "Deployment", "EndpointSlice", "Endpoints", "Event", "Gateway", "GatewayClass", "HTTPRoute", "HorizontalPodAutoscaler", "Ingress", "IngressClass", "Job", "Lease", "Namespace", "NetworkPolicy", "Node", "Pod", "PodDisruptionBudget", "ReferenceGrant", "ReplicaSet", "Secret", "Service", "ServiceAccount", "StatefulSet"',
    ]);
    expect(supportedKinds).toEqual(["ClusterNetworkPolicy", "ConfigMap", "ControllerRevision", "CronJob", "DaemonSet", "Deployment", "EndpointSlice", "Endpoints", "Event", "Gateway", "GatewayClass", "HTTPRoute", "HorizontalPodAutoscaler", "Ingress", "IngressClass", "Job", "Lease", "Namespace", "NetworkPolicy", "Node", "Pod", "PodDisruptionBudget", "ReferenceGrant", "ReplicaSet", "Secret", "Service", "ServiceAccount", "StatefulSet"]);
  });

  it("rejects a wrong apiVersion for a known kind", () => {
    expect(errs({ ...deployment(), apiVersion: "extensions/v1beta1" })).toEqual([
      'apiVersion: Unsupported value: "extensions/v1beta1": supported values: "apps/v1"',
    ]);
  });

  it("feeds ApiError.invalid", () => {
    const d = deployment({ replicas: -1 });
    expect(ApiError.invalid("Deployment", "apps", "web", validateObject(d)).message).toBe(
      'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
  });
});

describe("metadata", () => {
  it("requires a name unless generateName is set", () => {
    expectErrors(pod({}, { name: undefined }), ["metadata.name: Required value: name or generateName is required"]);
    expectErrors(pod({}, { name: undefined, generateName: "web-" }), []);
  });

  it("checks name and generateName syntax", () => {
    expectErrors(pod({}, { name: "Web_1" }), [`metadata.name: Invalid value: "Web_1": ${DNS1123_SUBDOMAIN}`]);
    expectErrors(pod({}, { name: undefined, generateName: "Web_" }), [`metadata.generateName: Invalid value: "Web_": ${DNS1123_SUBDOMAIN}`]);
  });

  it("checks the namespace name", () => {
    expectErrors(pod({}, { namespace: "Default" }), [`metadata.namespace: Invalid value: "Default": ${DNS1123_LABEL}`]);
  });

  it("checks labels and annotations", () => {
    expectErrors(pod({}, { labels: { "bad key": "ok", ok: "not ok" }, annotations: { "example.com/Fine": "x", "a/b/c": "y" } }), [
      `metadata.labels: Invalid value: "bad key": ${NAME_PART}`,
      `metadata.labels: Invalid value: "not ok": ${LABEL_VALUE}`,
      "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]);
  });

  it("limits the total size of annotations", () => {
    expectErrors(pod({}, { annotations: { big: "x".repeat(256 * 1024) } }), ["metadata.annotations: Too long: may not be more than 262144 bytes"]);
  });

  it("checks owner references and finalizers", () => {
    const refs = [
      { apiVersion: "apps/v1", kind: "ReplicaSet", name: "a", uid: "1", controller: true },
      { apiVersion: "apps/v1", kind: "ReplicaSet", name: "b", uid: "2", controller: true },
      { apiVersion: "apps/", kind: "", name: "", uid: "" },
    ];
    expectErrors(pod({}, { ownerReferences: refs, finalizers: ["example.com/ok", "kubernetes", "mine"], generation: -1 }), [
      "metadata.generation: Invalid value: -1: must be greater than or equal to 0",
      `metadata.ownerReferences: Invalid value: ${JSON.stringify(refs)}: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b`,
      'metadata.ownerReferences.apiVersion: Invalid value: "apps/": version must not be empty',
      'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
      'metadata.ownerReferences.name: Invalid value: "": must not be empty',
      'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
      'metadata.finalizers[2]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });

  it("keeps name, namespace and uid on update", () => {
    const old = pod({}, { uid: "u1", resourceVersion: "1" });
    expectErrors(pod({}, { name: "web2", namespace: "other", uid: "u2" }), [
      'metadata.name: Invalid value: "web2": field is immutable',
      'metadata.namespace: Invalid value: "other": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
    ], old);
    expectErrors(pod({}, { uid: "u1" }), [], old);
  });
});

describe("Pod", () => {
  const valid = pod({
    volumes: [{ name: "data", emptyDir: {} }],
    containers: [
      container({
        ports: [{ name: "http", containerPort: 80 }, { containerPort: 9090, hostPort: 9090, protocol: "UDP" }],
        env: [{ name: "A", value: "1" }, { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
        volumeMounts: [{ name: "data", mountPath: "/data" }],
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: 1, memory: "128Mi" } },
        readinessProbe: { httpGet: { port: "http" }, periodSeconds: 5 },
        livenessProbe: { tcpSocket: { port: 80 } },
        startupProbe: { exec: { command: ["true"] }, failureThreshold: 30 },
        lifecycle: { preStop: { sleep: { seconds: 5 } } },
      }),
      container({ name: "sidecar", image: "busybox" }),
    ],
    initContainers: [container({ name: "init" }), container({ name: "proxy", restartPolicy: "Always", readinessProbe: { grpc: { port: 8080 } } })],
    restartPolicy: "OnFailure",
    dnsPolicy: "None",
    dnsConfig: { nameservers: ["10.96.0.10"], searches: ["svc.cluster.local", "_srv.example.com."], options: [{ name: "ndots", value: "2" }] },
    hostAliases: [{ ip: "10.0.0.1", hostnames: ["db.local"] }],
    hostname: "web-0",
    subdomain: "web",
    nodeSelector: { "kubernetes.io/os": "linux" },
    nodeName: "node-a",
    tolerations: [{ key: "dedicated", operator: "Equal", value: "web", effect: "NoSchedule" }, { operator: "Exists" }],
    terminationGracePeriodSeconds: 10,
  });

  it("accepts a representative pod, raw and defaulted", () => {
    expectErrors(valid, []);
    expectErrors(pod(), []);
  });

  it("requires containers", () => {
    expectErrors(pod({ containers: [] }), ["spec.containers: Required value"]);
    expectErrors({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } }, ["spec.containers: Required value"]);
  });

  it("checks container names and images", () => {
    expectErrors(pod({ containers: [container({ name: "" }), container({ name: "Web" }), container(), container({ image: "" })] }), [
      "spec.containers[0].name: Required value",
      `spec.containers[1].name: Invalid value: "Web": ${DNS1123_LABEL}`,
      "spec.containers[3].image: Required value",
      'spec.containers[3].name: Duplicate value: "web"',
    ]);
  });

  it("refuses an image with surrounding whitespace in pods", () => {
    expectErrors(podWith({ image: " nginx" }), ['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace']);
  });

  it("checks container ports", () => {
    expectErrors(
      podWith({
        ports: [
          { containerPort: 70000 },
          { name: "http", containerPort: 80, hostPort: 70000, protocol: "HTTP" },
          { name: "http", containerPort: 81 },
          { name: "Web_Port", containerPort: 82 },
          { name: "averyverylongname", containerPort: 83 },
          { name: "metrics" },
        ],
      }),
      [
        `spec.containers[0].ports[0].containerPort: Invalid value: 70000: ${PORT_RANGE}`,
        `spec.containers[0].ports[1].hostPort: Invalid value: 70000: ${PORT_RANGE}`,
        'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        'spec.containers[0].ports[2].name: Duplicate value: "http"',
        'spec.containers[0].ports[3].name: Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.containers[0].ports[4].name: Invalid value: "averyverylongname": must be no more than 15 characters',
        "spec.containers[0].ports[5].containerPort: Required value",
      ],
    );
  });

  it("refuses the same host port twice", () => {
    expectErrors(
      pod({
        containers: [
          container({ ports: [{ containerPort: 80, hostPort: 8080 }] }),
          container({ name: "b", ports: [{ containerPort: 81, hostPort: 8080 }, { containerPort: 82, hostPort: 8080, protocol: "UDP" }] }),
        ],
      }),
      ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'],
    );
  });

  it("requires hostPort to match containerPort with hostNetwork", () => {
    expectErrors(podWith({ ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }] }, { hostNetwork: true }), [
      "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true",
    ]);
  });

  it("checks env", () => {
    expectErrors(
      podWith({
        env: [
          { value: "x" },
          { name: "A=B" },
          { name: "C", valueFrom: {} },
          { name: "D", value: "x", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
          { name: "E", valueFrom: { fieldRef: { fieldPath: "spec.foo" } } },
          { name: "F", valueFrom: { configMapKeyRef: { name: "Bad", key: "" } } },
          { name: "G", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" }, resourceFieldRef: { resource: "limits.cpu" } } },
        ],
      }),
      [
        "spec.containers[0].env[0].name: Required value",
        "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
        'spec.containers[0].env[2].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        'spec.containers[0].env[3].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
        'spec.containers[0].env[4].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.foo": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
        `spec.containers[0].env[5].valueFrom.configMapKeyRef.name: Invalid value: "Bad": ${DNS1123_SUBDOMAIN}`,
        "spec.containers[0].env[5].valueFrom.configMapKeyRef.key: Required value",
        'spec.containers[0].env[6].valueFrom: Invalid value: "": may not have more than one field specified at a time',
      ],
    );
  });

  it("checks volumes and volume mounts", () => {
    expectErrors(
      pod({
        volumes: [{ name: "data", emptyDir: {} }, { name: "data", emptyDir: {} }, { name: "Cache" }],
        containers: [container({ volumeMounts: [{ name: "data", mountPath: "/d" }, { name: "logs", mountPath: "/d" }] })],
      }),
      [
        'spec.volumes[1].name: Duplicate value: "data"',
        `spec.volumes[2].name: Invalid value: "Cache": ${DNS1123_LABEL}`,
        'spec.containers[0].volumeMounts[1].name: Not found: "logs"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
      ],
    );
  });

  it("checks pull and termination message policies", () => {
    expectErrors(podWith({ imagePullPolicy: "Sometimes", terminationMessagePolicy: "Stdout" }), [
      'spec.containers[0].terminationMessagePolicy: Unsupported value: "Stdout": supported values: "File", "FallbackToLogsOnError"',
      'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
    ]);
  });

  it("checks resources", () => {
    const p = podWith({
      resources: {
        limits: { cpu: "1", memory: "abc", gpu: "1", "example.com/gpu": "2" },
        requests: { cpu: "1500m", memory: "-1Mi", "example.com/fpga": "1" },
      },
    });
    // Defaulting copies the limits of a Pod into missing requests, so "gpu" shows up twice.
    expect(errs(applyDefaults(p))).toContain('spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers');
    expect(errs(p)).toEqual(
      [
        `spec.containers[0].resources.limits[memory]: Invalid value: "abc": ${QUANTITY}`,
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
        'spec.containers[0].resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0',
        'spec.containers[0].resources.requests: Invalid value: "1500m": must be less than or equal to cpu limit of 1',
        "spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources",
      ]);
    expectErrors(podWith({ resources: { limits: { "example.com/gpu": "1" }, requests: { "example.com/gpu": "500m" } } }), [
      'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an integer',
      'spec.containers[0].resources.requests: Invalid value: "500m": must be equal to example.com/gpu limit of 1',
    ]);
  });

  it("checks probes", () => {
    expectErrors(
      pod({
        containers: [
          container({
            livenessProbe: { periodSeconds: -1, successThreshold: 2 },
            readinessProbe: { httpGet: { port: 0, scheme: "FTP", httpHeaders: [{ name: "X Bad", value: "1" }] }, tcpSocket: { port: 80 }, terminationGracePeriodSeconds: 5 },
            startupProbe: { exec: {}, terminationGracePeriodSeconds: 0 },
          }),
          container({ name: "b", livenessProbe: { tcpSocket: { port: "Http" } }, readinessProbe: { grpc: { port: 70000 } } }),
        ],
      }),
      [
        "spec.containers[0].livenessProbe: Required value: must specify a handler type",
        "spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
        `spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: ${PORT_RANGE}`,
        'spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"',
        "spec.containers[0].readinessProbe.httpGet.httpHeaders: Invalid value: \"X Bad\": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
        "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
        "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes",
        "spec.containers[0].startupProbe.exec.command: Required value",
        "spec.containers[0].startupProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0",
        'spec.containers[1].livenessProbe.tcpSocket.port: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        `spec.containers[1].readinessProbe.grpc.port: Invalid value: 70000: ${PORT_RANGE}`,
      ],
    );
  });

  it("checks lifecycle hooks", () => {
    expectErrors(podWith({ lifecycle: { preStop: {}, postStart: { exec: { command: ["x"] } } } }), [
      "spec.containers[0].lifecycle.preStop: Required value: must specify a handler type",
    ]);
    expectErrors(podWith({ lifecycle: { preStop: { sleep: { seconds: 60 } } } }), [
      "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be non-negative and less than terminationGracePeriodSeconds (30)",
    ]);
    expectErrors(podWith({ lifecycle: { preStop: { httpGet: { port: 8080 } } } }), []);
  });

  it("checks init containers", () => {
    expectErrors(
      pod({
        initContainers: [
          container({ name: "web", livenessProbe: { exec: { command: ["x"] } } }),
          container({ name: "side", restartPolicy: "OnFailure" }),
        ],
        containers: [container({ restartPolicy: "Always" })],
      }),
      [
        "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
        'spec.initContainers[0].name: Duplicate value: "web"',
        "spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
        'spec.initContainers[1].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
      ],
    );
  });

  it("checks restartPolicy, dnsPolicy and terminationGracePeriodSeconds", () => {
    expectErrors(pod({ restartPolicy: "Sometimes", dnsPolicy: "Google", terminationGracePeriodSeconds: -1 }), [
      "spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0",
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ]);
  });

  it("requires dnsConfig nameservers with dnsPolicy None", () => {
    expectErrors(pod({ dnsPolicy: "None" }), ["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"]);
    expectErrors(pod({ dnsPolicy: "None", dnsConfig: { searches: ["a.b"] } }), [
      "spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None",
    ]);
  });

  it("checks dnsConfig limits", () => {
    const searches = Array.from({ length: 33 }, (_, i) => `s${i}.example.com`);
    expectErrors(pod({ dnsConfig: { nameservers: ["1.1.1.1", "8.8.8.8", "9.9.9.9", "dns"], searches, options: [{ value: "1" }] } }), [
      'spec.dnsConfig.nameservers: Invalid value: ["1.1.1.1","8.8.8.8","9.9.9.9","dns"]: must not have more than 3 nameservers',
      'spec.dnsConfig.nameservers[3]: Invalid value: "dns": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      `spec.dnsConfig.searches: Invalid value: ${JSON.stringify(searches)}: must not have more than 32 search paths`,
      "spec.dnsConfig.options[0]: Required value: must not be empty",
    ]);
    expectErrors(pod({ dnsConfig: { searches: ["Bad.Domain"] } }), [
      "spec.dnsConfig.searches[0]: Invalid value: \"Bad.Domain\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*')",
    ]);
  });

  it("checks hostAliases, hostname, subdomain, nodeName and nodeSelector", () => {
    expectErrors(
      pod({
        hostAliases: [{ ip: "10.0.0", hostnames: ["ok.local", "Bad"] }],
        hostname: "Web",
        subdomain: "a.b",
        nodeName: "Node_1",
        nodeSelector: { zone: "a b" },
      }),
      [
        `spec.nodeSelector: Invalid value: "a b": ${LABEL_VALUE}`,
        `spec.nodeName: Invalid value: "Node_1": ${DNS1123_SUBDOMAIN}`,
        `spec.hostname: Invalid value: "Web": ${DNS1123_LABEL}`,
        'spec.subdomain: Invalid value: "a.b": must not contain dots',
        'spec.hostAliases[0].ip: Invalid value: "10.0.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        `spec.hostAliases[0].hostnames[1]: Invalid value: "Bad": ${DNS1123_SUBDOMAIN}`,
      ],
    );
  });

  it("checks tolerations", () => {
    expectErrors(
      pod({
        tolerations: [
          { operator: "Equal", value: "x" },
          { key: "a", operator: "Exists", value: "x", effect: "NoSchedule", tolerationSeconds: 5 },
          { key: "b", operator: "Gt", effect: "Never" },
        ],
      }),
      [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
        "spec.tolerations[1].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
        "spec.tolerations[1].operator: Invalid value: \"x\": value must be empty when `operator` is 'Exists'",
        'spec.tolerations[2].operator: Unsupported value: "Gt": supported values: "Equal", "Exists"',
        'spec.tolerations[2].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ],
    );
  });

  it("refuses ephemeral containers on create only", () => {
    const p = pod({ ephemeralContainers: [{ name: "debug", image: "busybox" }] });
    expectErrors(p, ["spec.ephemeralContainers: Forbidden: cannot be set on create"]);
    expectErrors(p, [], pod());
  });
});

function deployment(spec: Json = {}, metadata: Json = {}): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", ...metadata },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web", tier: "frontend" } }, spec: { containers: [container()] } },
      ...spec,
    },
  };
}

function replicaSet(spec: Json = {}): KubeObject {
  return { ...deployment(spec), kind: "ReplicaSet", metadata: { name: "web-5d8f", namespace: "default" } };
}

function template(labels: Json | undefined, spec: Json = {}): Json {
  return { metadata: labels ? { labels } : {}, spec: { containers: [container()], ...spec } };
}

describe("Deployment", () => {
  it("accepts a representative deployment, raw and defaulted", () => {
    expectErrors(deployment(), []);
    expectErrors(
      deployment({
        replicas: 3,
        selector: { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["frontend", "edge"] }] },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: "10%" } },
        minReadySeconds: 5,
        revisionHistoryLimit: 0,
        progressDeadlineSeconds: 60,
      }),
      [],
    );
    expectErrors(deployment({ strategy: { type: "Recreate" } }), []);
  });

  it("checks replicas and the counters", () => {
    expectErrors(deployment({ replicas: -1, minReadySeconds: -1, revisionHistoryLimit: -1 }), [
      "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
      "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0",
      "spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
    ]);
    expectErrors(deployment({ minReadySeconds: 10, progressDeadlineSeconds: 10 }), [
      "spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds",
    ]);
  });

  it("requires a selector", () => {
    expectErrors(deployment({ selector: undefined }), [
      "spec.selector: Required value",
      'spec.template.metadata.labels: Invalid value: {"app":"web","tier":"frontend"}: `selector` does not match template `labels`',
    ]);
    expectErrors(deployment({ selector: {} }), ["spec.selector: Invalid value: {}: empty selector is invalid for deployment"]);
  });

  it("requires the selector to match the template labels", () => {
    expectErrors(deployment({ template: template({ app: "db" }) }), [
      'spec.template.metadata.labels: Invalid value: {"app":"db"}: `selector` does not match template `labels`',
    ]);
    expectErrors(deployment({ template: template(undefined) }), ["spec.template.metadata.labels: Invalid value: null: `selector` does not match template `labels`"]);
  });

  it("stops at a selector that does not convert", () => {
    const selector = { matchExpressions: [{ key: "app", operator: "Near", values: ["web"] }] };
    expectErrors(deployment({ selector, template: template({ app: "web" }, { restartPolicy: "Never" }) }), [
      'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
      `spec.selector: Invalid value: ${JSON.stringify(selector)}: invalid label selector`,
    ]);
  });

  it("validates the pod template", () => {
    expectErrors(
      deployment({
        template: template(
          { app: "web", "bad key": "x" },
          { containers: [container({ ports: [{ containerPort: 80 }, { containerPort: 70000 }] })], restartPolicy: "Never", activeDeadlineSeconds: 10 },
        ),
      }),
      [
        `spec.template.labels: Invalid value: "bad key": ${NAME_PART}`,
        `spec.template.spec.containers[0].ports[1].containerPort: Invalid value: 70000: ${PORT_RANGE}`,
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
      ],
    );
  });

  it("checks the strategy", () => {
    expectErrors(deployment({ strategy: { type: "BlueGreen" } }), [
      'spec.strategy: Unsupported value: {"type":"BlueGreen"}: supported values: "Recreate", "RollingUpdate"',
    ]);
    expectErrors(deployment({ strategy: { type: "Recreate", rollingUpdate: { maxSurge: 1 } } }), [
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ]);
    expectErrors(deployment({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }), [
      "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0",
    ]);
    expectErrors(deployment({ strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "0%", maxUnavailable: "0%" } } }), [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
    ]);
    expectErrors(deployment({ strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "abc", maxUnavailable: "120%" } } }), [
      "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"abc\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "120%": must not be greater than 100%',
    ]);
    expectErrors(deployment({ strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: -1, maxUnavailable: 1.5 } } }), [
      "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 1.5: must be an integer or percentage (e.g '5%%')",
      "spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0",
    ]);
  });

  it("keeps the selector on update", () => {
    const old = deployment();
    const changed = deployment({ selector: { matchLabels: { app: "web", tier: "frontend" } } });
    expectErrors(changed, ['spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"frontend"}}: field is immutable'], old);
    expectErrors(deployment({ replicas: 5 }), [], old);
  });
});

describe("ReplicaSet", () => {
  it("accepts a representative replica set", () => {
    expectErrors(replicaSet({ replicas: 2 }), []);
  });

  it("checks replicas, minReadySeconds, selector and template", () => {
    expectErrors(replicaSet({ replicas: -2, minReadySeconds: -1, template: template({ app: "other" }, { restartPolicy: "OnFailure" }) }), [
      "spec.replicas: Invalid value: -2: must be greater than or equal to 0",
      "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0",
      'spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
      'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    ]);
    expectErrors(replicaSet({ selector: { matchLabels: {} } }), ['spec.selector: Invalid value: {"matchLabels":{}}: empty selector is invalid for deployment']);
  });

  it("keeps the selector on update", () => {
    expectErrors(replicaSet({ selector: { matchLabels: { tier: "frontend" } } }), [
      'spec.selector: Invalid value: {"matchLabels":{"tier":"frontend"}}: field is immutable',
    ], replicaSet());
  });
});

function service(spec: Json = {}, metadata: Json = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default", ...metadata },
    spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
  };
}

describe("Service", () => {
  it("accepts representative services of each type, raw and defaulted", () => {
    expectErrors(service(), []);
    expectErrors(service({ clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, targetPort: "http" }, { name: "dns", port: 53, protocol: "UDP" }] }), []);
    expectErrors(service({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }], externalTrafficPolicy: "Local" }), []);
    expectErrors(service({ type: "LoadBalancer", loadBalancerSourceRanges: ["10.0.0.0/8", " 192.168.0.0/16 "], externalIPs: ["192.0.2.10"] }), []);
    expectErrors(service({ type: "ExternalName", externalName: "db.example.com.", selector: undefined, ports: undefined }), []);
    expectErrors(service({ clusterIP: "None", selector: undefined, ports: undefined }), []);
    expectErrors(service({ sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 86400 } } }), []);
  });

  it("names services with DNS-1035 labels", () => {
    expectErrors(service({}, { name: "1web" }), [`metadata.name: Invalid value: "1web": ${DNS1035_LABEL}`]);
  });

  it("requires ports", () => {
    expectErrors(service({ ports: [] }), ["spec.ports: Required value"]);
  });

  it("checks port numbers", () => {
    expectErrors(service({ ports: [{ port: 70000, targetPort: 8080 }] }), [`spec.ports[0].port: Invalid value: 70000: ${PORT_RANGE}`]);
    // The defaulted targetPort copies the port, bad value and all.
    expect(errs(applyDefaults(service({ ports: [{ port: 70000 }] })))).toEqual([
      `spec.ports[0].port: Invalid value: 70000: ${PORT_RANGE}`,
      `spec.ports[0].targetPort: Invalid value: 70000: ${PORT_RANGE}`,
    ]);
    expectErrors(service({ ports: [{ port: 0, targetPort: 70000 }] }), [
      `spec.ports[0].port: Invalid value: 0: ${PORT_RANGE}`,
      `spec.ports[0].targetPort: Invalid value: 70000: ${PORT_RANGE}`,
    ]);
  });

  it("checks target port names, protocols and app protocols", () => {
    expectErrors(service({ ports: [{ port: 80, targetPort: "HTTP", protocol: "HTTP", appProtocol: "a/b/c" }] }), [
      'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      'spec.ports[0].targetPort: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.ports[0].targetPort: Invalid value: "HTTP": must contain at least one letter (a-z)',
      "spec.ports[0].appProtocol: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]);
  });

  it("requires unique names when there are several ports, and unique port/protocol pairs", () => {
    expectErrors(service({ ports: [{ port: 80 }, { port: 443 }] }), ["spec.ports[0].name: Required value", "spec.ports[1].name: Required value"]);
    expectErrors(service({ ports: [{ name: "http", port: 80 }, { name: "http", port: 80 }, { name: "Web", port: 80, protocol: "UDP" }] }), [
      'spec.ports[1].name: Duplicate value: "http"',
      `spec.ports[2].name: Invalid value: "Web": ${DNS1123_LABEL}`,
      'spec.ports[1]: Duplicate value: {"protocol":"TCP","port":80}',
    ]);
  });

  it("checks node ports", () => {
    expectErrors(service({ ports: [{ port: 80, nodePort: 30080 }] }), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
    expectErrors(service({ type: "NodePort", ports: [{ name: "a", port: 80, nodePort: 70000 }, { name: "b", port: 81, nodePort: 70000 }] }), [
      `spec.ports[0].nodePort: Invalid value: 70000: ${PORT_RANGE}`,
      `spec.ports[1].nodePort: Invalid value: 70000: ${PORT_RANGE}`,
      "spec.ports[1].nodePort: Duplicate value: 70000",
    ]);
  });

  it("checks the type", () => {
    expectErrors(service({ type: "Ingress" }), ['spec.type: Unsupported value: "Ingress": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']);
  });

  it("checks cluster IPs", () => {
    expectErrors(service({ clusterIP: "10.96.0.300" }), [
      'spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
    expectErrors(service({ type: "NodePort", clusterIP: "None" }), ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"]);
    expectErrors(service({ clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.11"] }), [
      'spec.clusterIPs: Invalid value: ["10.96.0.11"]: first value must match `clusterIP`',
    ]);
    expectErrors(service({ clusterIP: "fd00::10", ipFamilies: ["IPv4"] }), [
      "spec.clusterIPs[0]: Invalid value: \"fd00::10\": expected an IPv4 value as indicated by `ipFamilies[0]`",
    ]);
    expectErrors(service({ ipFamilies: ["IPv5"], ipFamilyPolicy: "DualStack" }), [
      'spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"',
      'spec.ipFamilyPolicy: Unsupported value: "DualStack": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"',
    ]);
  });

  it("checks session affinity", () => {
    expectErrors(service({ sessionAffinity: "Sticky" }), ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"']);
    expectErrors(service({ sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } } }), [
      "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400",
    ]);
    expectErrors(service({ sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } } }), [
      "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400",
    ]);
    expect(errs(service({ sessionAffinity: "None", sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } } }))).toEqual([
      "spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None",
    ]);
  });

  it("checks traffic policies", () => {
    expectErrors(service({ externalTrafficPolicy: "Local" }), [
      'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services',
    ]);
    expectErrors(service({ type: "LoadBalancer", externalTrafficPolicy: "Global", internalTrafficPolicy: "Node" }), [
      'spec.externalTrafficPolicy: Unsupported value: "Global": supported values: "Cluster", "Local"',
      'spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"',
    ]);
    expectErrors(service({ type: "NodePort", healthCheckNodePort: 30000 }), [
      "spec.healthCheckNodePort: Invalid value: 30000: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
    ]);
  });

  it("checks external IPs and load-balancer fields", () => {
    expectErrors(service({ externalIPs: ["192.0.2.1", "127.0.0.1", "nope"], loadBalancerSourceRanges: ["10.0.0.0/8"], allocateLoadBalancerNodePorts: false }), [
      'spec.externalIPs[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      'spec.externalIPs[2]: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
      "spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'",
    ]);
    expectErrors(service({ type: "LoadBalancer", loadBalancerSourceRanges: ["10.0.0.0/33"], loadBalancerClass: "Bad Class" }), [
      'spec.LoadBalancerSourceRanges[0]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      `spec.loadBalancerClass: Invalid value: "Bad Class": ${NAME_PART}`,
    ]);
  });

  it("checks ExternalName services", () => {
    expectErrors(service({ type: "ExternalName", ports: undefined }), ["spec.externalName: Required value"]);
    expectErrors(service({ type: "ExternalName", externalName: "Bad_Name", clusterIP: "10.96.0.1", ipFamilies: ["IPv4"] }), [
      "spec.clusterIPs: Forbidden: may not be set for ExternalName services",
      "spec.ipFamilies: Forbidden: may not be set for ExternalName services",
      `spec.externalName: Invalid value: "Bad_Name": ${DNS1123_SUBDOMAIN}`,
    ]);
  });

  it("checks the selector", () => {
    expectErrors(service({ selector: { app: "web app" } }), [`spec.selector: Invalid value: "web app": ${LABEL_VALUE}`]);
  });

  it("keeps the cluster IP on update, except to or from empty", () => {
    const old = service({ clusterIP: "10.96.0.10" });
    expectErrors(service({ clusterIP: "10.96.0.11" }), ['spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set'], old);
    expectErrors(service({ clusterIP: "None" }), ['spec.clusterIPs[0]: Invalid value: ["None"]: may not change once set'], old);
    expectErrors(service({ clusterIP: "10.96.0.10" }), [], old);
    expectErrors(service(), [], old);
    expectErrors(service({ clusterIP: "10.96.0.12" }), [], service());
    expectErrors(service({ clusterIP: "10.96.0.12" }), [], service({ type: "ExternalName", externalName: "x.example.com", ports: undefined }));
  });
});

function slice(extra: Json = {}): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-abc12", namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    endpoints: [
      { addresses: ["10.244.1.5"], conditions: { ready: true }, nodeName: "node-a", hostname: "web-0" },
      { addresses: ["10.244.2.7"], conditions: { ready: false } },
    ],
    ports: [{ name: "http", port: 8080, protocol: "TCP" }, { name: "dns", port: 53, protocol: "UDP", appProtocol: "dns" }],
    ...extra,
  };
}

describe("EndpointSlice", () => {
  it("accepts a representative slice, raw and defaulted", () => {
    expectErrors(slice(), []);
    expectErrors(slice({ addressType: "IPv6", endpoints: [{ addresses: ["fd00::5"] }], ports: [{ port: 80 }] }), []);
    expectErrors(slice({ addressType: "FQDN", endpoints: [{ addresses: ["web.example.com"] }], ports: [] }), []);
  });

  it("checks the address type", () => {
    expectErrors(slice({ addressType: undefined, endpoints: [] }), ["addressType: Required value"]);
    expectErrors(slice({ addressType: "IP" }), ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"']);
  });

  it("checks addresses against the type", () => {
    const many = Array.from({ length: 101 }, (_, i) => `10.0.${Math.floor(i / 200)}.${(i % 200) + 1}`);
    expectErrors(
      slice({ endpoints: [{ addresses: [] }, { addresses: ["fd00::1", "127.0.0.1", "nope", "0.0.0.0"] }, { addresses: many }, { addresses: ["10.0.0.1"], hostname: "Web" }] }),
      [
        "endpoints[0].addresses: Required value: must contain at least 1 address",
        'endpoints[1].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
        'endpoints[1].addresses[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'endpoints[1].addresses[2]: Invalid value: "nope": must be a valid IPv4 address',
        'endpoints[1].addresses[2]: Invalid value: "nope": must be a valid IP address',
        'endpoints[1].addresses[3]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        "endpoints[2].addresses: Too many: 101: must have at most 100 items",
        `endpoints[3].hostname: Invalid value: "Web": ${DNS1123_LABEL}`,
      ],
    );
    expectErrors(slice({ addressType: "IPv6", endpoints: [{ addresses: ["10.0.0.1", "fe80::1"] }] }), [
      'endpoints[0].addresses[0]: Invalid value: "10.0.0.1": must be a valid IPv6 address',
      'endpoints[0].addresses[1]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
    ]);
    expectErrors(slice({ addressType: "FQDN", endpoints: [{ addresses: ["localhost"] }] }), [
      'endpoints[0].addresses[0]: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
    ]);
  });

  it("checks ports", () => {
    expectErrors(slice({ ports: [{ port: 0, protocol: "HTTP" }, { name: "Web", port: 80 }, { port: 81 }] }), [
      'ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      `ports[0].port: Invalid value: 0: ${PORT_RANGE}`,
      `ports[1].name: Invalid value: "Web": ${DNS1123_LABEL}`,
      'ports[2].name: Duplicate value: ""',
    ]);
  });

  it("keeps the address type on update", () => {
    expectErrors(slice({ addressType: "IPv6", endpoints: [] }), ['addressType: Invalid value: "IPv6": field is immutable'], slice());
  });
});

function node(spec: Json = {}, extra: Json = {}): KubeObject {
  return { apiVersion: "v1", kind: "Node", metadata: { name: "node-a", labels: { "kubernetes.io/hostname": "node-a" } }, spec, ...extra };
}

describe("Node", () => {
  it("accepts a representative node", () => {
    expectErrors(
      node(
        { podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24", "fd00:1::/64"], taints: [{ key: "dedicated", value: "web", effect: "NoSchedule" }] },
        { status: { capacity: { cpu: "4", memory: "8Gi", pods: "110" }, addresses: [{ type: "InternalIP", address: "10.0.0.2" }] } },
      ),
      [],
    );
  });

  it("is cluster-scoped and named like a DNS subdomain", () => {
    expectErrors({ ...node(), metadata: { name: "node_1", namespace: "default" } }, [
      `metadata.name: Invalid value: "node_1": ${DNS1123_SUBDOMAIN}`,
      "metadata.namespace: Forbidden: not allowed on this type",
    ]);
  });

  it("checks taints (reported under metadata.taints, as upstream does)", () => {
    expectErrors(node({ taints: [{ key: "a", effect: "NoSchedule" }, { key: "a", effect: "NoSchedule" }, { key: "b" }, { key: "c c", value: "-", effect: "Never" }] }), [
      'metadata.taints[1]: Duplicate value: {"key":"a","effect":"NoSchedule"}: taints must be unique by key and effect pair',
      "metadata.taints[2].effect: Required value",
      `metadata.taints[3].key: Invalid value: "c c": ${NAME_PART}`,
      `metadata.taints[3].value: Invalid value: "-": ${LABEL_VALUE}`,
      'metadata.taints[3].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
  });

  it("checks pod CIDRs and capacity", () => {
    expectErrors(node({ podCIDRs: ["10.244.1.0/24", "10.244.2.0/24", "10.244.1.0/24", "10.244.0.0/99"] }, { status: { capacity: { cpu: "-1", memory: "lots" }, allocatable: {} } }), [
      'status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0',
      `status.capacity.memory: Invalid value: "lots": ${QUANTITY}`,
      'spec.podCIDRs[3]: Invalid value: "10.244.0.0/99": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.podCIDRs[2]: Duplicate value: "10.244.1.0/24"',
    ]);
    expectErrors(node({ podCIDRs: ["10.244.1.0/24", "10.244.2.0/24"] }), [
      'spec.podCIDRs: Invalid value: ["10.244.1.0/24","10.244.2.0/24"]: may specify no more than one CIDR for each IP family',
    ]);
  });

  it("keeps pod CIDRs and providerID once set", () => {
    const old = node({ podCIDRs: ["10.244.1.0/24"], providerID: "kemu://node-a" });
    expectErrors(node({ podCIDRs: ["10.244.9.0/24"], providerID: "kemu://other" }), [
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
      'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
    ], old);
    expectErrors(node({ podCIDRs: ["10.244.9.0/24"] }), [], node());
  });
});

function namespace(name: string, extra: Json = {}): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name }, ...extra };
}

describe("Namespace", () => {
  it("accepts a representative namespace", () => {
    expectErrors(namespace("team-a", { spec: { finalizers: ["kubernetes"] } }), []);
  });

  it("is named like a DNS-1123 label", () => {
    expectErrors(namespace("Team_A"), [`metadata.name: Invalid value: "Team_A": ${DNS1123_LABEL}`]);
    expectErrors(namespace("team.a"), ['metadata.name: Invalid value: "team.a": must not contain dots']);
  });

  it("is cluster-scoped", () => {
    expectErrors({ ...namespace("x"), metadata: { name: "x", namespace: "default" } }, ["metadata.namespace: Forbidden: not allowed on this type"]);
  });

  it("checks spec.finalizers", () => {
    expectErrors(namespace("x", { spec: { finalizers: ["custom"] } }), [
      'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });
});

describe("container command and args types", () => {
  it("rejects non-string command and args items (YAML booleans and numbers)", async () => {
    const { validateObject } = await import("../../src/api/validation/index.js");
    const { applyDefaults } = await import("../../src/api/defaults.js");
    const pod = applyDefaults({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec: { containers: [{ name: "c", image: "busybox", command: [true], args: ["ok", 3] }] } });
    expect(validateObject(pod).map(String)).toEqual([
      "spec.containers[0].command[0]: Invalid value: true: must be a string (quote it in YAML)",
      "spec.containers[0].args[1]: Invalid value: 3: must be a string (quote it in YAML)",
    ]);
  });
});

describe("Lease (coordination.k8s.io/v1)", () => {
  const lease = (spec: Record<string, unknown>) => ({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "node-1", namespace: "kube-node-lease" }, spec });
  it("accepts a node heartbeat", () => {
    expect(validateObject(lease({ holderIdentity: "node-1", leaseDurationSeconds: 40, renewTime: "2026-12-07T10:00:00.000000Z" }))).toEqual([]);
  });
  it("refuses a non-positive duration and negative transitions, as upstream's ValidateLeaseSpec", () => {
    expect(validateObject(lease({ leaseDurationSeconds: 0, leaseTransitions: -1 })).map(String)).toEqual([
      "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
      "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
    ]);
  });
});
