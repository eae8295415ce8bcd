// kemu describe's text for fixed objects, laid out as kubectl 1.32's
// pkg/describe lays it out (describePod, describeService, describeDeployment,
// describeNetworkPolicy, DescribeEvents; Go's text/tabwriter with padding 2),
// and kemu cp's argument forms and tar commands (kubectl pkg/cmd/cp).
import { describe, it, expect } from "vitest";
import { tabwrite, rfc1123z, goTimeString } from "../../src/cli/describe/writer.js";
import { describePod, describeProbe } from "../../src/cli/describe/pod.js";
import { describeNetworkPolicy, describeService, formatEndpointSlices } from "../../src/cli/describe/kinds.js";
import { parseCopy, parsePodPath, tarPlan } from "../../src/cli/cp.js";
import type { EndpointSlice, Event, NetworkPolicy, Pod, Service } from "../../src/api/types.js";

const now = Date.parse("2026-01-01T00:10:00Z");

describe("Go's tabwriter", () => {
  it("aligns runs of lines that share a column, and only those", () => {
    expect(tabwrite("Name:\tweb\nService Account:\tdefault\nIPs:\n  IP:\t10.0.0.1\n")).toBe("Name:             web\nService Account:  default\nIPs:\n  IP:  10.0.0.1\n");
  });
  it("nested columns are aligned within their block", () => {
    expect(tabwrite("  Type\tStatus\n  Ready \tTrue \n  PodScheduled \tTrue \n")).toBe("  Type           Status\n  Ready          True \n  PodScheduled   True \n");
  });
  it("times as RFC 1123 with a numeric zone, and Go's Time.String()", () => {
    expect(rfc1123z("2026-01-01T00:00:05Z")).toBe("Thu, 01 Jan 2026 00:00:05 +0000");
    expect(rfc1123z("2026-01-01T00:00:05Z", 60)).toBe("Thu, 01 Jan 2026 01:00:05 +0100");
    expect(goTimeString("2026-01-01T00:00:05Z")).toBe("2026-01-01 00:00:05 +0000 UTC");
  });
});

const pod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", uid: "u1", labels: { app: "web", tier: "front" }, creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: {
    nodeName: "node-1",
    serviceAccountName: "default",
    priority: 0,
    containers: [
      {
        name: "web",
        image: "registry.k8s.io/e2e-test-images/agnhost:2.53",
        args: ["netexec", "--http-port=8080"],
        ports: [{ containerPort: 8080, protocol: "TCP" }],
        readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 2 },
      },
    ],
    tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
  },
  status: {
    phase: "Running",
    hostIP: "172.18.0.2",
    podIP: "10.244.1.2",
    podIPs: [{ ip: "10.244.1.2" }],
    startTime: "2026-01-01T00:00:01Z",
    qosClass: "BestEffort",
    conditions: [
      { type: "Ready", status: "True" },
      { type: "PodScheduled", status: "True" },
    ],
    containerStatuses: [{ name: "web", ready: true, restartCount: 0, image: "agnhost", imageID: "", containerID: "kemu://4242", state: { running: { startedAt: "2026-01-01T00:00:02Z" } } }],
  },
} as Pod;

const event = (reason: string, message: string, at: string, extra: Partial<Event> = {}): Event =>
  ({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `web.${reason}`, namespace: "default" },
    involvedObject: { kind: "Pod", name: "web", namespace: "default", uid: "u1" },
    type: "Normal",
    reason,
    message,
    source: { component: reason === "Scheduled" ? "default-scheduler" : "kubelet" },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    ...extra,
  }) as Event;

describe("describe pod", () => {
  it("kubectl's layout, events oldest first", () => {
    const events = [event("Started", "Started container web", "2026-01-01T00:00:02Z"), event("Scheduled", "Successfully assigned default/web to node-1", "2026-01-01T00:00:00Z")];
    expect(describePod(pod, events, { now })).toBe(
      [
        "Name:             web",
        "Namespace:        default",
        "Priority:         0",
        "Service Account:  default",
        "Node:             node-1/172.18.0.2",
        "Start Time:       Thu, 01 Jan 2026 00:00:01 +0000",
        "Labels:           app=web",
        "                  tier=front",
        "Annotations:      <none>",
        "Status:           Running",
        "IP:               10.244.1.2",
        "IPs:",
        "  IP:  10.244.1.2",
        "Containers:",
        "  web:",
        "    Container ID:  kemu://4242",
        "    Image:         registry.k8s.io/e2e-test-images/agnhost:2.53",
        "    Image ID:      ",
        "    Port:          8080/TCP",
        "    Host Port:     0/TCP",
        "    Args:",
        "      netexec",
        "      --http-port=8080",
        "    State:          Running",
        "      Started:      Thu, 01 Jan 2026 00:00:02 +0000",
        "    Ready:          True",
        "    Restart Count:  0",
        "    Readiness:      http-get http://:8080/healthz delay=0s timeout=1s period=2s #success=1 #failure=3",
        "    Environment:    <none>",
        "    Mounts:         <none>",
        "Conditions:",
        "  Type           Status",
        "  Ready          True ",
        "  PodScheduled   True ",
        "Volumes:         <none>",
        "QoS Class:       BestEffort",
        "Node-Selectors:  <none>",
        "Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
        "Events:",
        "  Type    Reason     Age    From               Message",
        "  ----    ------     ----   ----               -------",
        "  Normal  Scheduled  10m    default-scheduler  Successfully assigned default/web to node-1",
        "  Normal  Started    9m58s  kubelet            Started container web",
        "",
      ].join("\n"),
    );
  });
  it("no events: Events: <none>, aligned with the lines above it (one tab-writer block from Conditions on)", () => {
    expect(describePod(pod, [], { now }).split("\n").slice(-2)).toEqual(["Events:          <none>", ""]);
  });
  it("probes as DescribeProbe prints them (kubectl 1.32: #success, #failure)", () => {
    expect(describeProbe({ exec: { command: ["cat", "/tmp/ok"] } })).toBe("exec [cat /tmp/ok] delay=0s timeout=1s period=10s #success=1 #failure=3");
    expect(describeProbe({ tcpSocket: { port: 53 }, initialDelaySeconds: 5 })).toBe("tcp-socket :53 delay=5s timeout=1s period=10s #success=1 #failure=3");
  });
});

describe("describe service", () => {
  const svc = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default", uid: "s1" },
    spec: { type: "NodePort", selector: { app: "web" }, clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"], ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack", ports: [{ port: 80, targetPort: 8080, nodePort: 30080, protocol: "TCP" }], sessionAffinity: "None", externalTrafficPolicy: "Cluster", internalTrafficPolicy: "Cluster" },
  } as Service;
  const slice = { metadata: { name: "web-abc" }, addressType: "IPv4", ports: [{ name: "", port: 8080, protocol: "TCP" }], endpoints: [{ addresses: ["10.244.1.2"], conditions: { ready: true } }, { addresses: ["10.244.2.2"], conditions: { ready: false } }] } as unknown as EndpointSlice;
  it("kubectl's layout; endpoints are the ready ones, ip:port", () => {
    expect(describeService(svc, [slice], [], { now })).toBe(
      [
        "Name:                     web",
        "Namespace:                default",
        "Labels:                   <none>",
        "Annotations:              <none>",
        "Selector:                 app=web",
        "Type:                     NodePort",
        "IP Family Policy:         SingleStack",
        "IP Families:              IPv4",
        "IP:                       10.96.0.10",
        "IPs:                      10.96.0.10",
        "Port:                     <unset>  80/TCP",
        "TargetPort:               8080/TCP",
        "NodePort:                 <unset>  30080/TCP",
        "Endpoints:                10.244.1.2:8080",
        "Session Affinity:         None",
        "External Traffic Policy:  Cluster",
        "Internal Traffic Policy:  Cluster",
        "Events:                   <none>",
        "",
      ].join("\n"),
    );
  });
  it("formatEndpointSlices: the first three, then + N more", () => {
    const many = { ...slice, endpoints: [1, 2, 3, 4, 5].map((i) => ({ addresses: [`10.0.0.${i}`], conditions: { ready: true } })) } as unknown as EndpointSlice;
    expect(formatEndpointSlices([many], "")).toBe("10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 2 more...");
    expect(formatEndpointSlices([], "")).toBe("<none>");
  });
});

describe("describe networkpolicy", () => {
  it("rules as kubectl words them", () => {
    const np = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "db", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: 5432 }] }] },
    } as NetworkPolicy;
    expect(describeNetworkPolicy(np, { now })).toBe(
      [
        "Name:         db",
        "Namespace:    default",
        "Created on:   2026-01-01 00:00:00 +0000 UTC",
        "Labels:       <none>",
        "Annotations:  <none>",
        "Spec:",
        "  PodSelector:     app=db",
        "  Allowing ingress traffic:",
        "    To Port: 5432/TCP",
        "    From:",
        "      PodSelector: app=web",
        "  Not affecting egress traffic",
        "  Policy Types: Ingress",
        "",
      ].join("\n"),
    );
  });
});

describe("cp", () => {
  it("which side is the pod", () => {
    expect(parsePodPath("web:/tmp/a")).toEqual({ pod: "web", path: "/tmp/a" });
    expect(parsePodPath("ns1/web:/tmp/a")).toEqual({ namespace: "ns1", pod: "web", path: "/tmp/a" });
    expect(parsePodPath("./local")).toBeUndefined();
    expect(parseCopy("web:/tmp/a", "./a")).toEqual({ direction: "from-pod", src: { pod: "web", path: "/tmp/a" }, dest: "./a" });
    expect(() => parseCopy("a", "b")).toThrow("one of the two paths must be in a pod");
    expect(() => parseCopy("a:/x", "b:/y")).toThrow("from one pod to another is not supported");
    expect(() => parsePodPath("web:")).toThrow("the path in the pod is empty");
  });
  it("tar commands: a file takes the destination's name, a directory's contents go into it", () => {
    expect(tarPlan("/tmp/in.txt", "/out/new,name.txt", false, "source")).toEqual({
      create: ["tar", "cf", "-", "-C", "/tmp", "--transform=s,.*,new\\,name.txt,", "in.txt"],
      extract: ["tar", "xf", "-", "--no-same-owner", "-C", "/out"],
    });
    expect(tarPlan("/src/dir", "/tmp/dir", true, "destination")).toEqual({ create: ["tar", "cf", "-", "-C", "/src/dir", "."], extract: ["tar", "xmf", "-", "-C", "/tmp/dir"], mkdir: "/tmp/dir" });
  });
});
