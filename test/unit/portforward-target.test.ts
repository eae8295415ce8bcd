// What kemu port-forward resolves before forwarding, as kubectl port-forward
// does: kubectl/pkg/cmd/portforward/portforward.go (port pairs, "unable to
// forward port because pod is not running") and
// kubectl/pkg/util/service_port.go (LookupContainerPortNumberByServicePort).
import { describe, expect, it } from "vitest";
import { containerPortFor, parsePortPair, pickServicePod } from "../../src/api/stream/portforward-target.js";
import { checkForwardable, forwardError } from "../../src/api/stream/portforward.js";
import type { Pod, Service, Stored } from "../../src/api/types.js";

const pod = (name: string, phase: string, ready: boolean, created: string, extra: Partial<Pod["spec"]> = {}): Stored<Pod> =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: "1", creationTimestamp: created },
    spec: { nodeName: "node-1", containers: [{ name: "c", image: "x", ports: [{ name: "http", containerPort: 8080 }] }], ...extra },
    status: { phase, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  }) as unknown as Stored<Pod>;

const service = (ports: unknown[]): Stored<Service> =>
  ({ apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default", uid: "s", resourceVersion: "1", creationTimestamp: "" }, spec: { ports } }) as unknown as Stored<Service>;

describe("parsePortPair", () => {
  it("reads LOCAL:REMOTE, PORT, :REMOTE and 0:REMOTE", () => {
    expect(parsePortPair("8080:80")).toEqual({ local: 8080, remote: 80 });
    expect(parsePortPair("5000")).toEqual({ local: 5000, remote: 5000 });
    expect(parsePortPair(":80")).toEqual({ local: 0, remote: 80 });
    expect(parsePortPair("0:80")).toEqual({ local: 0, remote: 80 });
  });
  it("names what is wrong", () => {
    expect(() => parsePortPair("a:80")).toThrow('local port "a": expected a port number 0-65535');
    expect(() => parsePortPair("80:0")).toThrow('remote port "0": expected a port number 1-65535');
    expect(() => parsePortPair("1:2:3")).toThrow('invalid port "1:2:3": expected LOCAL:REMOTE, :REMOTE or PORT');
    expect(() => parsePortPair("70000")).toThrow('port "70000": expected a port number 1-65535');
  });
});

describe("pickServicePod", () => {
  it("takes a running pod, ready ones first, then the oldest", () => {
    const pods = [pod("new-ready", "Running", true, "2024-01-02T00:00:00Z"), pod("old-unready", "Running", false, "2024-01-01T00:00:00Z"), pod("old-ready", "Running", true, "2024-01-01T00:00:00Z"), pod("pending", "Pending", false, "2023-01-01T00:00:00Z")];
    expect(pickServicePod(pods)?.metadata.name).toBe("old-ready");
    expect(pickServicePod([pods[3]!])).toBeUndefined();
  });
});

describe("containerPortFor", () => {
  const p = pod("web", "Running", true, "");
  it("translates a Service port to its target: a number, a named container port, or the port itself", () => {
    expect(containerPortFor(service([{ port: 80, targetPort: 9376 }]), p, 80)).toBe(9376);
    expect(containerPortFor(service([{ port: 80, targetPort: "http" }]), p, 80)).toBe(8080);
    expect(containerPortFor(service([{ port: 80 }]), p, 80)).toBe(80);
  });
  it("says which port is missing, in kubectl's words", () => {
    expect(() => containerPortFor(service([{ port: 80 }]), p, 81)).toThrow("Service web does not have a service port 81");
    expect(() => containerPortFor(service([{ port: 80, targetPort: "grpc" }]), p, 80)).toThrow("Pod web does not have a named port 'grpc'");
  });
});

describe("the server's checks and error text", () => {
  it("refuses a pod without a node or not running", () => {
    expect(() => checkForwardable(pod("p", "Pending", false, "", { nodeName: undefined }))).toThrow("pod p does not have a host assigned");
    expect(() => checkForwardable(pod("p", "Succeeded", false, ""))).toThrow("unable to forward port because pod is not running. Current status=Succeeded");
    expect(() => checkForwardable(pod("p", "Running", true, ""))).not.toThrow();
  });
  it("words a failed connection as the kubelet and containerd do", () => {
    expect(forwardError("7777", { netnsPath: "/run/netns/kemu-c-pod-0123456789ab", sandboxId: "kemu-c-pod-0123456789ab" }, "IPv4: dial tcp4 127.0.0.1:7777: connect: connection refused IPv6 dial tcp6 [::1]:7777: connect: connection refused")).toBe(
      'error forwarding port 7777 to pod kemu-c-pod-0123456789ab, uid : failed to execute portforward in network namespace "/run/netns/kemu-c-pod-0123456789ab": failed to connect to localhost:7777 inside namespace "kemu-c-pod-0123456789ab", IPv4: dial tcp4 127.0.0.1:7777: connect: connection refused IPv6 dial tcp6 [::1]:7777: connect: connection refused',
    );
  });
});
