import { describe, it, expect } from "vitest";
import { applyDefaults, imageTag } from "../../src/api/defaults.js";
import { validateObject } from "../../src/api/validation/index.js";
import type { KubeObject } from "../../src/api/types.js";
import { ApiServer } from "../../src/api/apiserver.js";
import { resourceByKind } from "../../src/api/resources.js";

type Json = Record<string, unknown>;

const pod = (spec: Json): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec });
const service = (spec: Json): KubeObject => ({ apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "default" }, spec });
const specOf = (o: KubeObject): Json => o.spec as Json;

describe("Pod defaults", () => {
  it("fills in the PodSpec, container, port and probe defaults", () => {
    const out = applyDefaults(
      pod({
        containers: [
          {
            name: "web",
            image: "nginx:1.27",
            ports: [{ containerPort: 80 }],
            livenessProbe: { httpGet: { port: 80 } },
            readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 3 },
            lifecycle: { preStop: { httpGet: { port: 80, path: "/quit" } } },
            env: [{ name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
          },
        ],
      }),
    );
    expect(out).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "default" },
      spec: {
        containers: [
          {
            name: "web",
            image: "nginx:1.27",
            imagePullPolicy: "IfNotPresent",
            terminationMessagePath: "/dev/termination-log",
            terminationMessagePolicy: "File",
            ports: [{ containerPort: 80, protocol: "TCP" }],
            livenessProbe: {
              httpGet: { port: 80, path: "/", scheme: "HTTP" },
              timeoutSeconds: 1,
              periodSeconds: 10,
              successThreshold: 1,
              failureThreshold: 3,
            },
            readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 1, periodSeconds: 3, successThreshold: 1, failureThreshold: 3 },
            lifecycle: { preStop: { httpGet: { port: 80, path: "/quit", scheme: "HTTP" } } },
            env: [{ name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName", apiVersion: "v1" } } }],
          },
        ],
        restartPolicy: "Always",
        dnsPolicy: "ClusterFirst",
        terminationGracePeriodSeconds: 30,
        schedulerName: "default-scheduler",
        securityContext: {},
        enableServiceLinks: true,
        // The ServiceAccount admission plugin's default, mirrored into the deprecated field by the v1 conversion.
        serviceAccountName: "default",
        serviceAccount: "default",
      },
    });
  });

  it.each([
    ["nginx", "Always"],
    ["nginx:latest", "Always"],
    ["nginx:1.27", "IfNotPresent"],
    ["registry.local:5000/team/nginx", "Always"],
    ["registry.local:5000/team/nginx:1.2", "IfNotPresent"],
    ["nginx@sha256:0123456789abcdef", "IfNotPresent"],
    ["nginx:latest@sha256:0123456789abcdef", "Always"],
  ])("imagePullPolicy for %s is %s", (image, policy) => {
    const out = applyDefaults(pod({ containers: [{ name: "c", image }], initContainers: [{ name: "i", image }] }));
    expect((specOf(out).containers as Json[])[0]!.imagePullPolicy).toBe(policy);
    expect((specOf(out).initContainers as Json[])[0]!.imagePullPolicy).toBe(policy);
  });

  it("keeps values that are already set", () => {
    const input = pod({
      containers: [{ name: "c", image: "nginx", imagePullPolicy: "Never", terminationMessagePolicy: "FallbackToLogsOnError", ports: [{ containerPort: 53, protocol: "UDP" }] }],
      restartPolicy: "Never",
      dnsPolicy: "Default",
      terminationGracePeriodSeconds: 0,
      schedulerName: "mine",
      enableServiceLinks: false,
      securityContext: { runAsUser: 1000 },
    });
    const spec = specOf(applyDefaults(input));
    expect(spec).toMatchObject({ restartPolicy: "Never", dnsPolicy: "Default", terminationGracePeriodSeconds: 0, schedulerName: "mine", enableServiceLinks: false, securityContext: { runAsUser: 1000 } });
    expect((spec.containers as Json[])[0]).toMatchObject({ imagePullPolicy: "Never", terminationMessagePolicy: "FallbackToLogsOnError", ports: [{ containerPort: 53, protocol: "UDP" }] });
  });

  it("copies limits into missing requests (Pods only)", () => {
    const out = applyDefaults(pod({ containers: [{ name: "c", image: "x", resources: { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "100m" } } }] }));
    expect((specOf(out).containers as Json[])[0]!.resources).toEqual({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "100m", memory: "1Gi" } });
  });

  it("sets hostPort to containerPort under hostNetwork", () => {
    const out = applyDefaults(pod({ hostNetwork: true, containers: [{ name: "c", image: "x", ports: [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 9090 }] }] }));
    expect((specOf(out).containers as Json[])[0]!.ports).toEqual([
      { containerPort: 8080, hostPort: 8080, protocol: "TCP" },
      { containerPort: 9090, hostPort: 9090, protocol: "TCP" },
    ]);
  });

  it("defaults volumes", () => {
    const out = applyDefaults(pod({ containers: [{ name: "c", image: "x" }], volumes: [{ name: "scratch" }, { name: "cfg", configMap: { name: "cfg" } }, { name: "h", hostPath: { path: "/tmp" } }] }));
    expect(specOf(out).volumes).toEqual([
      { name: "scratch", emptyDir: {} },
      { name: "cfg", configMap: { name: "cfg", defaultMode: 420 } },
      { name: "h", hostPath: { path: "/tmp", type: "" } },
    ]);
  });
});

const template = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx" }] } };
const templateDefaults = {
  metadata: { labels: { app: "web" } },
  spec: {
    containers: [{ name: "web", image: "nginx", imagePullPolicy: "Always", terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File" }],
    restartPolicy: "Always",
    dnsPolicy: "ClusterFirst",
    terminationGracePeriodSeconds: 30,
    schedulerName: "default-scheduler",
    securityContext: {},
  },
};

describe("Deployment and ReplicaSet defaults", () => {
  it("defaults a Deployment and its pod template (without Pod-only defaults)", () => {
    const out = applyDefaults({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: { selector: { matchLabels: { app: "web" } }, template },
    });
    expect(out.spec).toEqual({
      replicas: 1,
      selector: { matchLabels: { app: "web" } },
      template: templateDefaults,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
  });

  it("keeps explicit values, including zero replicas, and leaves Recreate alone", () => {
    const out = applyDefaults({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: { replicas: 0, strategy: { type: "Recreate" }, revisionHistoryLimit: 0, progressDeadlineSeconds: 30, selector: {}, template },
    });
    expect(out.spec).toMatchObject({ replicas: 0, strategy: { type: "Recreate" }, revisionHistoryLimit: 0, progressDeadlineSeconds: 30 });
    const partial = applyDefaults({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "w" }, spec: { strategy: { rollingUpdate: { maxSurge: 0 } }, template } });
    expect(specOf(partial).strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: "25%" } });
  });

  it("defaults a ReplicaSet", () => {
    const out = applyDefaults({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "web-1" }, spec: { selector: { matchLabels: { app: "web" } }, template } });
    expect(out.spec).toEqual({ replicas: 1, selector: { matchLabels: { app: "web" } }, template: templateDefaults });
  });
});

describe("Service defaults", () => {
  it("defaults a ClusterIP service", () => {
    expect(applyDefaults(service({ selector: { app: "web" }, ports: [{ port: 80 }, { name: "b", port: 81, targetPort: 0 }, { name: "c", port: 82, targetPort: "" }, { name: "d", port: 83, targetPort: "http" }] })).spec).toEqual({
      selector: { app: "web" },
      ports: [
        { port: 80, protocol: "TCP", targetPort: 80 },
        { name: "b", port: 81, protocol: "TCP", targetPort: 81 },
        { name: "c", port: 82, protocol: "TCP", targetPort: 82 },
        { name: "d", port: 83, protocol: "TCP", targetPort: "http" },
      ],
      type: "ClusterIP",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      ipFamilyPolicy: "SingleStack",
      ipFamilies: ["IPv4"],
    });
  });

  it("copies clusterIP into clusterIPs", () => {
    expect(specOf(applyDefaults(service({ clusterIP: "10.96.0.10", ports: [{ port: 80 }] })))).toMatchObject({ clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"] });
  });

  it("sets externalTrafficPolicy for NodePort and LoadBalancer, allocateLoadBalancerNodePorts for LoadBalancer", () => {
    expect(specOf(applyDefaults(service({ type: "NodePort", ports: [{ port: 80 }] })))).toMatchObject({ externalTrafficPolicy: "Cluster", internalTrafficPolicy: "Cluster" });
    const lb = specOf(applyDefaults(service({ type: "LoadBalancer", ports: [{ port: 80 }], externalTrafficPolicy: "Local" })));
    expect(lb).toMatchObject({ externalTrafficPolicy: "Local", allocateLoadBalancerNodePorts: true });
    expect(specOf(applyDefaults(service({ ports: [{ port: 80 }] }))).externalTrafficPolicy).toBeUndefined();
    expect(specOf(applyDefaults(service({ ports: [{ port: 80 }], externalIPs: ["192.0.2.1"] }))).externalTrafficPolicy).toBe("Cluster");
  });

  it("defaults session affinity", () => {
    expect(specOf(applyDefaults(service({ sessionAffinity: "ClientIP", ports: [{ port: 80 }] }))).sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    expect(specOf(applyDefaults(service({ sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }))).sessionAffinityConfig).toEqual({
      clientIP: { timeoutSeconds: 60 },
    });
    expect(specOf(applyDefaults(service({ sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }))).sessionAffinityConfig).toBeUndefined();
  });

  it("gives headless services without a selector RequireDualStack", () => {
    expect(specOf(applyDefaults(service({ clusterIP: "None" })))).toMatchObject({ ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4"], clusterIPs: ["None"] });
    expect(specOf(applyDefaults(service({ clusterIP: "None", selector: { app: "db" } })))).toMatchObject({ ipFamilyPolicy: "SingleStack" });
  });

  it("leaves ExternalName services without IP-family fields or internalTrafficPolicy", () => {
    expect(applyDefaults(service({ type: "ExternalName", externalName: "db.example.com" })).spec).toEqual({
      type: "ExternalName",
      externalName: "db.example.com",
      sessionAffinity: "None",
    });
  });
});

describe("other kinds", () => {
  it("defaults EndpointSlice ports", () => {
    const out = applyDefaults({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "s" }, addressType: "IPv4", endpoints: [], ports: [{ port: 80 }, { name: "dns", port: 53, protocol: "UDP" }] });
    expect(out.ports).toEqual([
      { port: 80, name: "", protocol: "TCP" },
      { name: "dns", port: 53, protocol: "UDP" },
    ]);
  });

  it("defaults Namespace phase and the metadata.name label", () => {
    expect(applyDefaults({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a", labels: { owner: "me" } } })).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "team-a", labels: { owner: "me", "kubernetes.io/metadata.name": "team-a" } },
      status: { phase: "Active" },
    });
    expect(applyDefaults({ apiVersion: "v1", kind: "Namespace", metadata: { name: "x" }, status: { phase: "Terminating" } }).status).toEqual({ phase: "Terminating" });
  });

  it("defaults Node allocatable from capacity", () => {
    expect(applyDefaults({ apiVersion: "v1", kind: "Node", metadata: { name: "n" }, status: { capacity: { cpu: "4" } } }).status).toEqual({
      capacity: { cpu: "4" },
      allocatable: { cpu: "4" },
    });
  });

  it("only copies kinds it does not know", () => {
    const cm: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" } };
    const out = applyDefaults(cm);
    expect(out).toEqual(cm);
    expect(out).not.toBe(cm);
  });
});

describe("applyDefaults contract", () => {
  const samples: KubeObject[] = [
    pod({ containers: [{ name: "c", image: "nginx", readinessProbe: { httpGet: { port: 80 } }, resources: { limits: { cpu: "1" } } }], hostNetwork: true }),
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "default" }, spec: { selector: { matchLabels: { app: "web" } }, template } },
    { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "r", namespace: "default" }, spec: { selector: { matchLabels: { app: "web" } }, template } },
    service({ selector: { app: "web" }, sessionAffinity: "ClientIP", type: "LoadBalancer", ports: [{ port: 80 }] }),
    service({ clusterIP: "None" }),
    { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "e", namespace: "default" }, addressType: "IPv4", endpoints: [], ports: [{ port: 80 }] },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns" } },
    { apiVersion: "v1", kind: "Node", metadata: { name: "n" }, status: { capacity: { cpu: "2" } } },
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "np", namespace: "default" }, spec: { egress: [{ ports: [{ port: 53 }] }] } },
    {
      apiVersion: "policy.networking.k8s.io/v1alpha2",
      kind: "ClusterNetworkPolicy",
      metadata: { name: "cnp" },
      spec: { tier: "Admin", priority: 0, subject: { namespaces: {} }, ingress: [{ action: "Deny", from: [{ namespaces: {} }] }] },
    },
  ];

  it.each(samples.map((s) => [s.kind, s] as const))("%s: is idempotent, does not touch its input, and validates", (_kind, sample) => {
    const before = structuredClone(sample);
    const once = applyDefaults(sample);
    expect(sample).toEqual(before);
    expect(applyDefaults(once)).toEqual(once);
    expect(validateObject(once).map(String)).toEqual([]);
  });

  it("returns a deep copy", () => {
    const input = pod({ containers: [{ name: "c", image: "x" }] });
    const out = applyDefaults(input);
    (specOf(out).containers as Json[])[0]!.name = "changed";
    expect((specOf(input).containers as Json[])[0]!.name).toBe("c");
  });

  it("imageTag follows image reference syntax", () => {
    expect(imageTag("nginx")).toBe("latest");
    expect(imageTag("localhost:5000/nginx")).toBe("latest");
    expect(imageTag("localhost:5000/nginx:v2")).toBe("v2");
    expect(imageTag("nginx@sha256:abc")).toBe("");
    expect(imageTag("")).toBe("");
  });
});

// pkg/apis/networking/v1/defaults.go: SetDefaults_NetworkPolicy, SetDefaults_NetworkPolicyPort.
describe("NetworkPolicy defaults", () => {
  const np = (spec?: Json): KubeObject => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "np", namespace: "default" }, ...(spec ? { spec } : {}) });

  it("policyTypes is [Ingress] without egress rules, whatever the ingress rules", () => {
    expect(specOf(applyDefaults(np()))).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
    expect(specOf(applyDefaults(np({ podSelector: {}, ingress: [] }))).policyTypes).toEqual(["Ingress"]);
    expect(specOf(applyDefaults(np({ podSelector: {}, egress: [] }))).policyTypes).toEqual(["Ingress"]);
  });

  it("an egress rule adds Egress — and keeps Ingress: an egress-only policy without policyTypes isolates ingress too (the trap)", () => {
    expect(specOf(applyDefaults(np({ podSelector: {}, egress: [{}] }))).policyTypes).toEqual(["Ingress", "Egress"]);
  });

  it("an explicit policyTypes is kept; an empty one is defaulted (len == 0 upstream)", () => {
    expect(specOf(applyDefaults(np({ podSelector: {}, egress: [{}], policyTypes: ["Egress"] }))).policyTypes).toEqual(["Egress"]);
    expect(specOf(applyDefaults(np({ podSelector: {}, policyTypes: [] }))).policyTypes).toEqual(["Ingress"]);
  });

  it("every port of every rule without a protocol is TCP; a given protocol, even \"\", is kept", () => {
    const out = specOf(applyDefaults(np({ podSelector: {}, ingress: [{ ports: [{ port: 80 }, { protocol: "UDP", port: 53 }] }], egress: [{ ports: [{}, { protocol: "" }] }] })));
    expect(out.ingress).toEqual([{ ports: [{ port: 80, protocol: "TCP" }, { protocol: "UDP", port: 53 }] }]);
    expect(out.egress).toEqual([{ ports: [{ protocol: "TCP" }, { protocol: "" }] }]);
  });
});

// The label kube-apiserver puts on every namespace since 1.21 (GA 1.22): SetDefaults_Namespace
// (pkg/apis/core/v1/defaults.go) and the namespace strategy's Canonicalize, which also covers generateName.
describe("Namespace label kubernetes.io/metadata.name through the API server", () => {
  const NS = resourceByKind("Namespace")!;
  const LABEL = "kubernetes.io/metadata.name";

  it("is set on create, beside the user's labels, and overwrites a wrong value", () => {
    const api = new ApiServer();
    expect(api.create(NS, { apiVersion: "v1", kind: "Namespace", metadata: { name: "x", labels: { team: "a" } } }).metadata.labels).toEqual({ team: "a", [LABEL]: "x" });
    expect(api.create(NS, { apiVersion: "v1", kind: "Namespace", metadata: { name: "y", labels: { [LABEL]: "z" } } }).metadata.labels).toEqual({ [LABEL]: "y" });
  });

  it("names a generated name", () => {
    const api = new ApiServer();
    const ns = api.create(NS, { apiVersion: "v1", kind: "Namespace", metadata: { generateName: "lab-" } });
    expect(ns.metadata.name).toMatch(/^lab-[a-z0-9]{5}$/);
    expect(ns.metadata.labels).toEqual({ [LABEL]: ns.metadata.name });
  });

  it("is kept on update and patch: removing or changing it puts it back", () => {
    const api = new ApiServer();
    const ns = api.create(NS, { apiVersion: "v1", kind: "Namespace", metadata: { name: "x", labels: { team: "a" } } });
    expect(api.update(NS, { ...ns, metadata: { ...ns.metadata, labels: {} } }).metadata.labels).toEqual({ [LABEL]: "x" });
    expect(api.patch(NS, undefined, "x", { metadata: { labels: { [LABEL]: null, team: "b" } } }).metadata.labels).toEqual({ [LABEL]: "x", team: "b" });
    expect(api.patch(NS, undefined, "x", { metadata: { labels: { [LABEL]: "other" } } }).metadata.labels).toEqual({ [LABEL]: "x", team: "b" });
  });
});
