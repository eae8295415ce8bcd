import { describe, expect, it } from "vitest";
import type {
  ClusterNetworkPolicy,
  ContainerStatus,
  Deployment,
  EndpointSlice,
  KubeObject,
  Namespace,
  NetworkPolicy,
  Node,
  Pod,
  ReplicaSet,
  Service,
  StatefulSet,
} from "../../src/api/types.js";
import {
  formatLabelSelector,
  formatLabels,
  formatTable,
  humanDuration,
  podReadyCount,
  podRestarts,
  podStatusReason,
  renderTable,
  toKubectlList,
} from "../../src/cli/printers.js";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

/** RFC 3339 timestamp `ms` before NOW, at second precision like the API. */
function ago(ms: number): string {
  return new Date(NOW - ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function lines(...ls: string[]): string {
  return ls.map((l) => l + "\n").join("");
}

// ---------------------------------------------------------------------------
// Builders

type PodExtra = {
  namespace?: string;
  created?: number;
  deletion?: boolean;
  spec?: Partial<Pod["spec"]>;
  status?: NonNullable<Pod["status"]>;
};

function mkPod(name: string, extra: PodExtra = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: extra.namespace ?? "default",
      creationTimestamp: ago(extra.created ?? 5 * MIN),
      ...(extra.deletion ? { deletionTimestamp: ago(0) } : {}),
    },
    spec: { containers: [{ name: "app", image: "kemu/agnhost" }], ...extra.spec },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

function running(name: string, ready = true, restartCount = 0): ContainerStatus {
  return { name, image: "img", imageID: "", ready, restartCount, started: true, state: { running: { startedAt: ago(MIN) } } };
}

function waiting(name: string, reason: string, restartCount = 0): ContainerStatus {
  return { name, image: "img", imageID: "", ready: false, restartCount, state: { waiting: { reason } } };
}

function terminated(
  name: string,
  t: { exitCode: number; reason?: string; signal?: number },
  restartCount = 0,
): ContainerStatus {
  return { name, image: "img", imageID: "", ready: false, restartCount, state: { terminated: t } };
}

function withLastFinish(cs: ContainerStatus, finishedAgo: number): ContainerStatus {
  return { ...cs, lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(finishedAgo) } } };
}

const READY_TRUE = [
  { type: "Initialized", status: "True" },
  { type: "Ready", status: "True" },
];

function twoContainers(): Partial<Pod["spec"]> {
  return {
    containers: [
      { name: "a", image: "img" },
      { name: "b", image: "img" },
    ],
  };
}

function twoInits(): Partial<Pod["spec"]> {
  return {
    initContainers: [
      { name: "init-1", image: "img" },
      { name: "init-2", image: "img" },
    ],
  };
}

// ---------------------------------------------------------------------------

describe("humanDuration matches apimachinery's HumanDuration", () => {
  // Every case of upstream's TestHumanDuration and TestHumanDurationBoundaries.
  const cases: [number, string][] = [
    [SEC, "1s"],
    [70 * SEC, "70s"],
    [190 * SEC, "3m10s"],
    [70 * MIN, "70m"],
    [47 * HOUR, "47h"],
    [49 * HOUR, "2d1h"],
    [(8 * 24 + 2) * HOUR, "8d"],
    [367 * DAY, "367d"],
    [(365 * 2 * 24 + 25) * HOUR, "2y1d"],
    [(365 * 8 * 24 + 2) * HOUR, "8y"],
    [-2 * SEC, "<invalid>"],
    [-2 * SEC + 1, "0s"],
    [0, "0s"],
    [SEC - 1, "0s"],
    [2 * MIN - 1, "119s"],
    [2 * MIN, "2m"],
    [2 * MIN + SEC, "2m1s"],
    [10 * MIN - 1, "9m59s"],
    [10 * MIN, "10m"],
    [10 * MIN + SEC, "10m"],
    [3 * HOUR - 1, "179m"],
    [3 * HOUR, "3h"],
    [3 * HOUR + MIN, "3h1m"],
    [8 * HOUR - 1, "7h59m"],
    [8 * HOUR, "8h"],
    [8 * HOUR + 59 * MIN, "8h"],
    [2 * DAY - 1, "47h"],
    [2 * DAY, "2d"],
    [2 * DAY + HOUR, "2d1h"],
    [8 * DAY - 1, "7d23h"],
    [8 * DAY, "8d"],
    [8 * DAY + 23 * HOUR, "8d"],
    [2 * YEAR - 1, "729d"],
    [2 * YEAR, "2y"],
    [2 * YEAR + 23 * HOUR, "2y"],
    [2 * YEAR + 23 * HOUR + 59 * MIN, "2y"],
    [2 * YEAR + DAY - 1, "2y"],
    [2 * YEAR + DAY, "2y1d"],
    [3 * YEAR, "3y"],
    [4 * YEAR, "4y"],
    [5 * YEAR, "5y"],
    [6 * YEAR, "6y"],
    [7 * YEAR, "7y"],
    [8 * YEAR - 1, "7y364d"],
    [8 * YEAR, "8y"],
    [8 * YEAR + 364 * DAY, "8y"],
    [9 * YEAR, "9y"],
    // A few more from the brief.
    [5 * SEC, "5s"],
    [90 * SEC, "90s"],
    [150 * SEC, "2m30s"],
  ];
  it.each(cases)("%d ms -> %s", (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe("podStatusReason (kubectl's STATUS column)", () => {
  const cases: [string, Pod, string][] = [
    ["running and ready", mkPod("p", { status: { phase: "Running", conditions: READY_TRUE, containerStatuses: [running("app")] } }), "Running"],
    ["running but not ready", mkPod("p", { status: { phase: "Running", containerStatuses: [running("app", false)] } }), "Running"],
    ["pending without statuses", mkPod("p", { status: { phase: "Pending" } }), "Pending"],
    ["no status at all defaults to Pending", mkPod("p"), "Pending"],
    ["status.reason overrides phase", mkPod("p", { status: { phase: "Failed", reason: "Evicted" } }), "Evicted"],
    [
      "scheduling gated",
      mkPod("p", { status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }] } }),
      "SchedulingGated",
    ],
    [
      "second of two init containers running",
      mkPod("p", {
        spec: twoInits(),
        status: {
          phase: "Pending",
          initContainerStatuses: [terminated("init-1", { exitCode: 0, reason: "Completed" }), running("init-2", false)],
          containerStatuses: [waiting("app", "PodInitializing")],
        },
      }),
      "Init:1/2",
    ],
    [
      "init container waiting for the pod to initialize",
      mkPod("p", {
        spec: twoInits(),
        status: { phase: "Pending", initContainerStatuses: [waiting("init-1", "PodInitializing"), waiting("init-2", "PodInitializing")] },
      }),
      "Init:0/2",
    ],
    [
      "init container crash looping",
      mkPod("p", { spec: twoInits(), status: { phase: "Pending", initContainerStatuses: [waiting("init-1", "CrashLoopBackOff", 4)] } }),
      "Init:CrashLoopBackOff",
    ],
    [
      "init container failed with a reason",
      mkPod("p", { spec: twoInits(), status: { phase: "Pending", initContainerStatuses: [terminated("init-1", { exitCode: 1, reason: "Error" })] } }),
      "Init:Error",
    ],
    [
      "init container killed by a signal",
      mkPod("p", { spec: twoInits(), status: { phase: "Pending", initContainerStatuses: [terminated("init-1", { exitCode: 137, signal: 9 })] } }),
      "Init:Signal:9",
    ],
    [
      "init container exited non-zero without a reason",
      mkPod("p", { spec: twoInits(), status: { phase: "Pending", initContainerStatuses: [terminated("init-1", { exitCode: 2 })] } }),
      "Init:ExitCode:2",
    ],
    [
      "container creating",
      mkPod("p", { status: { phase: "Pending", containerStatuses: [waiting("app", "ContainerCreating")] } }),
      "ContainerCreating",
    ],
    [
      "crash loop",
      mkPod("p", { status: { phase: "Running", containerStatuses: [waiting("app", "CrashLoopBackOff", 3)] } }),
      "CrashLoopBackOff",
    ],
    [
      "completed",
      mkPod("p", { status: { phase: "Succeeded", containerStatuses: [terminated("app", { exitCode: 0, reason: "Completed" })] } }),
      "Completed",
    ],
    [
      "terminated by a signal without a reason",
      mkPod("p", { status: { phase: "Running", containerStatuses: [terminated("app", { exitCode: 143, signal: 15 })] } }),
      "Signal:15",
    ],
    [
      "terminated without a reason or signal",
      mkPod("p", { status: { phase: "Failed", containerStatuses: [terminated("app", { exitCode: 137 })] } }),
      "ExitCode:137",
    ],
    [
      "the first container's reason wins",
      mkPod("p", {
        spec: twoContainers(),
        status: { phase: "Pending", containerStatuses: [waiting("a", "ImagePullBackOff"), waiting("b", "ErrImagePull")] },
      }),
      "ImagePullBackOff",
    ],
    [
      "one completed, another running, pod ready",
      mkPod("p", {
        spec: twoContainers(),
        status: { phase: "Running", conditions: READY_TRUE, containerStatuses: [terminated("a", { exitCode: 0, reason: "Completed" }), running("b")] },
      }),
      "Running",
    ],
    [
      "one completed, another running, pod not ready",
      mkPod("p", {
        spec: twoContainers(),
        status: {
          phase: "Running",
          conditions: [{ type: "Ready", status: "False" }],
          containerStatuses: [terminated("a", { exitCode: 0, reason: "Completed" }), running("b")],
        },
      }),
      "NotReady",
    ],
    [
      "being deleted",
      mkPod("p", { deletion: true, status: { phase: "Running", conditions: READY_TRUE, containerStatuses: [running("app")] } }),
      "Terminating",
    ],
    [
      "being deleted on an unreachable node",
      mkPod("p", { deletion: true, status: { phase: "Running", reason: "NodeLost", containerStatuses: [running("app")] } }),
      "Unknown",
    ],
    [
      "being deleted after it finished",
      mkPod("p", { deletion: true, status: { phase: "Succeeded", containerStatuses: [terminated("app", { exitCode: 0, reason: "Completed" })] } }),
      "Completed",
    ],
    [
      "sidecar started, main container running",
      mkPod("p", {
        spec: { initContainers: [{ name: "proxy", image: "img", restartPolicy: "Always" }] },
        status: { phase: "Running", conditions: READY_TRUE, initContainerStatuses: [running("proxy")], containerStatuses: [running("app")] },
      }),
      "Running",
    ],
    [
      "sidecar not started yet",
      mkPod("p", {
        spec: { initContainers: [{ name: "proxy", image: "img", restartPolicy: "Always" }] },
        status: { phase: "Pending", initContainerStatuses: [{ ...running("proxy", false), started: false }] },
      }),
      "Init:0/1",
    ],
  ];
  it.each(cases)("%s", (_name, pod, want) => {
    expect(podStatusReason(pod)).toBe(want);
  });
});

describe("podReadyCount (READY column)", () => {
  it("counts ready running containers", () => {
    const pod = mkPod("p", { spec: twoContainers(), status: { phase: "Running", containerStatuses: [running("a"), running("b", false)] } });
    expect(podReadyCount(pod)).toBe("1/2");
  });
  it("is 0/N before any status", () => {
    expect(podReadyCount(mkPod("p", { spec: twoContainers() }))).toBe("0/2");
  });
  it("counts restartable init (sidecar) containers", () => {
    const pod = mkPod("p", {
      spec: { initContainers: [{ name: "proxy", image: "img", restartPolicy: "Always" }, { name: "setup", image: "img" }] },
      status: {
        phase: "Running",
        conditions: READY_TRUE,
        initContainerStatuses: [running("proxy"), terminated("setup", { exitCode: 0, reason: "Completed" })],
        containerStatuses: [running("app")],
      },
    });
    expect(podReadyCount(pod)).toBe("2/2");
  });
  it("does not count main containers while initializing", () => {
    const pod = mkPod("p", {
      spec: twoInits(),
      status: { phase: "Pending", initContainerStatuses: [running("init-1", false)], containerStatuses: [running("app")] },
    });
    expect(podReadyCount(pod)).toBe("0/1");
  });
});

describe("podRestarts (RESTARTS column)", () => {
  it("is a bare 0 without restarts", () => {
    expect(podRestarts(mkPod("p", { status: { phase: "Running", containerStatuses: [running("app")] } }), NOW)).toBe("0");
  });
  it("adds the time since the last restart", () => {
    const pod = mkPod("p", { status: { phase: "Running", containerStatuses: [withLastFinish(running("app", true, 3), 2 * MIN)] } });
    expect(podRestarts(pod, NOW)).toBe("3 (2m ago)");
  });
  it("sums containers and uses the latest finish time", () => {
    const pod = mkPod("p", {
      spec: twoContainers(),
      status: {
        phase: "Running",
        containerStatuses: [withLastFinish(running("a", true, 2), HOUR), withLastFinish(running("b", true, 1), 90 * SEC)],
      },
    });
    expect(podRestarts(pod, NOW)).toBe("3 (90s ago)");
  });
  it("prints only the count when no finish time is known", () => {
    expect(podRestarts(mkPod("p", { status: { phase: "Running", containerStatuses: [running("app", true, 5)] } }), NOW)).toBe("5");
  });
  it("counts init container restarts while initializing", () => {
    const pod = mkPod("p", {
      spec: twoInits(),
      status: { phase: "Pending", initContainerStatuses: [withLastFinish(waiting("init-1", "CrashLoopBackOff", 2), 30 * SEC)] },
    });
    expect(podRestarts(pod, NOW)).toBe("2 (30s ago)");
  });
  it("ignores finished (non-sidecar) init containers afterwards", () => {
    const pod = mkPod("p", {
      spec: { initContainers: [{ name: "setup", image: "img" }] },
      status: {
        phase: "Running",
        conditions: READY_TRUE,
        initContainerStatuses: [withLastFinish(terminated("setup", { exitCode: 0, reason: "Completed" }, 4), MIN)],
        containerStatuses: [withLastFinish(running("app", true, 1), 10 * MIN)],
      },
    });
    expect(podRestarts(pod, NOW)).toBe("1 (10m ago)");
  });
});

// ---------------------------------------------------------------------------
// Tables

const opts = { wide: false, withNamespace: false, now: NOW };
const wide = { wide: true, withNamespace: false, now: NOW };

describe("formatTable (kubectl's tab writer)", () => {
  it("pads columns to max(6, widest + 3) and leaves the last unpadded", () => {
    expect(formatTable([["A", "B", "C"], ["x", "longer-cell", "z"]])).toBe(lines("A     B             C", "x     longer-cell   z"));
  });
  it("counts code points, not UTF-16 units", () => {
    expect(formatTable([["NAME", "AGE"], ["𝔭𝔬𝔡", "1s"]])).toBe(lines("NAME   AGE", "𝔭𝔬𝔡    1s"));
  });
});

describe("renderTable", () => {
  const web1 = mkPod("web-1", {
    spec: { nodeName: "node-1" },
    status: { phase: "Running", conditions: READY_TRUE, podIP: "10.244.1.5", podIPs: [{ ip: "10.244.1.5" }], containerStatuses: [running("app")] },
  });
  const db0 = mkPod("db-0", {
    created: 2 * DAY + 3 * HOUR,
    spec: twoContainers(),
    status: { phase: "Running", containerStatuses: [running("a"), withLastFinish(waiting("b", "CrashLoopBackOff", 3), 2 * MIN)] },
  });
  const pending = mkPod("pending-xyz", {
    namespace: "kube-system",
    created: 30 * SEC,
    spec: { readinessGates: [{ conditionType: "example.com/lb-ready" }] },
    status: { phase: "Pending" },
  });

  it("returns an empty string for no objects", () => {
    expect(renderTable("pods", [], opts)).toBe("");
  });

  it("pods", () => {
    expect(renderTable("pods", [web1, db0, pending], opts)).toBe(
      lines(
        "NAME          READY   STATUS             RESTARTS     AGE",
        "web-1         1/1     Running            0            5m",
        "db-0          1/2     CrashLoopBackOff   3 (2m ago)   2d3h",
        "pending-xyz   0/1     Pending            0            30s",
      ),
    );
  });

  it("pods -o wide -A", () => {
    expect(renderTable("pods", [web1, pending], { wide: true, withNamespace: true, now: NOW })).toBe(
      lines(
        "NAMESPACE     NAME          READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES",
        "default       web-1         1/1     Running   0          5m    10.244.1.5   node-1   <none>           <none>",
        "kube-system   pending-xyz   0/1     Pending   0          30s   <none>       <none>   <none>           0/1",
      ),
    );
  });

  it("accepts singular, short and group-qualified names", () => {
    const want = renderTable("pods", [web1], opts);
    expect(renderTable("pod", [web1], opts)).toBe(want);
    expect(renderTable("po", [web1], opts)).toBe(want);
    expect(renderTable("Pods", [web1], opts)).toBe(want);
    const d = renderTable("deployments", [], opts);
    expect(renderTable("deployments.apps", [], opts)).toBe(d);
  });

  function mkNode(name: string, extra: Partial<Node> & { created: number }): Node {
    const { created, ...rest } = extra;
    return { apiVersion: "v1", kind: "Node", ...rest, metadata: { name, creationTimestamp: ago(created), ...rest.metadata } };
  }
  const nodeInfo = {
    architecture: "amd64",
    bootID: "",
    containerRuntimeVersion: "kemu://0.1.0",
    kernelVersion: "6.5.0-kemu",
    kubeProxyVersion: "",
    kubeletVersion: "v1.30.0",
    machineID: "",
    operatingSystem: "linux",
    osImage: "Ubuntu 22.04.4 LTS",
    systemUUID: "",
  };
  const node1 = mkNode("node-1", {
    created: 10 * DAY,
    metadata: { labels: { "node-role.kubernetes.io/control-plane": "", "kubernetes.io/hostname": "node-1" } },
    spec: { podCIDR: "10.244.0.0/24" },
    status: {
      conditions: [{ type: "Ready", status: "True" }],
      addresses: [
        { type: "Hostname", address: "node-1" },
        { type: "InternalIP", address: "172.18.0.2" },
      ],
      nodeInfo,
    },
  });
  const node2 = mkNode("node-2", {
    created: 3 * HOUR + 5 * MIN,
    metadata: { labels: { "node-role.kubernetes.io/worker": "", "kubernetes.io/role": "infra" } },
    spec: { unschedulable: true, podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24", "fd00:10:244:1::/64"] },
    status: { conditions: [{ type: "Ready", status: "False" }], addresses: [{ type: "InternalIP", address: "172.18.0.3" }], nodeInfo },
  });
  const node3 = mkNode("node-3", { created: 2 * MIN - SEC });

  it("nodes (kemu's default columns add INTERNAL-IP and POD-CIDR)", () => {
    expect(renderTable("nodes", [node1, node2, node3], opts)).toBe(
      lines(
        "NAME     STATUS                        ROLES           AGE    VERSION   INTERNAL-IP   POD-CIDR",
        "node-1   Ready                         control-plane   10d    v1.30.0   172.18.0.2    10.244.0.0/24",
        "node-2   NotReady,SchedulingDisabled   infra,worker    3h5m   v1.30.0   172.18.0.3    10.244.1.0/24,fd00:10:244:1::/64",
        "node-3   Unknown                       <none>          119s             <none>        <none>",
      ),
    );
  });

  it("nodes -o wide", () => {
    expect(renderTable("nodes", [node1, node3], wide)).toBe(
      lines(
        "NAME     STATUS    ROLES           AGE    VERSION   INTERNAL-IP   POD-CIDR        EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION   CONTAINER-RUNTIME",
        "node-1   Ready     control-plane   10d    v1.30.0   172.18.0.2    10.244.0.0/24   <none>        Ubuntu 22.04.4 LTS   6.5.0-kemu       kemu://0.1.0",
        "node-3   Unknown   <none>          119s             <none>        <none>          <none>        <unknown>            <unknown>        <unknown>",
      ),
    );
  });

  it("node condition Unknown prints NotReady", () => {
    const n = mkNode("n", { created: MIN, status: { conditions: [{ type: "Ready", status: "Unknown" }] } });
    expect(renderTable("nodes", [n], opts).split("\n")[1]).toMatch(/^n {6}NotReady {3}/);
  });

  const template = (containers: { name: string; image: string }[]) => ({ metadata: {}, spec: { containers } });
  const webDeploy: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", creationTimestamp: ago(45 * MIN) },
    spec: {
      replicas: 3,
      selector: { matchLabels: { tier: "fe", app: "web" } },
      template: template([
        { name: "web", image: "nginx:1.25" },
        { name: "sidecar", image: "busybox" },
      ]),
    },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2, replicas: 3 },
  };
  const apiDeploy: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "api", namespace: "default", creationTimestamp: ago(10 * MIN - SEC) },
    spec: {
      selector: {
        matchExpressions: [
          { key: "legacy", operator: "DoesNotExist" },
          { key: "env", operator: "In", values: ["prod", "dev"] },
        ],
      },
      template: template([{ name: "api", image: "kemu/agnhost" }]),
    },
  };

  it("deployments", () => {
    expect(renderTable("deployments", [webDeploy, apiDeploy], opts)).toBe(
      lines(
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE",
        "web    2/3     3            2           45m",
        "api    0/1     0            0           9m59s",
      ),
    );
  });

  it("deployments -o wide", () => {
    expect(renderTable("deployments", [webDeploy, apiDeploy], wide)).toBe(
      lines(
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE     CONTAINERS    IMAGES               SELECTOR",
        "web    2/3     3            2           45m     web,sidecar   nginx:1.25,busybox   app=web,tier=fe",
        "api    0/1     0            0           9m59s   api           kemu/agnhost         env in (dev,prod),!legacy",
      ),
    );
  });

  const webRS: ReplicaSet = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "web-5d8f7c9b4", creationTimestamp: ago(45 * MIN) },
    spec: {
      replicas: 3,
      selector: { matchLabels: { "pod-template-hash": "5d8f7c9b4", app: "web" } },
      template: template([{ name: "web", image: "nginx:1.25" }]),
    },
    status: { replicas: 3, readyReplicas: 2 },
  };
  const orphanRS: ReplicaSet = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "orphan", creationTimestamp: ago(3 * DAY) },
    spec: { selector: {}, template: template([]) },
  };

  it("replicasets", () => {
    expect(renderTable("replicasets", [webRS, orphanRS], opts)).toBe(
      lines(
        "NAME            DESIRED   CURRENT   READY   AGE",
        "web-5d8f7c9b4   3         3         2       45m",
        "orphan          1         0         0       3d",
      ),
    );
  });

  it("replicasets -o wide", () => {
    expect(renderTable("rs", [webRS, orphanRS], wide)).toBe(
      lines(
        "NAME            DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES       SELECTOR",
        "web-5d8f7c9b4   3         3         2       45m   web          nginx:1.25   app=web,pod-template-hash=5d8f7c9b4",
        "orphan          1         0         0       3d                              <none>",
      ),
    );
  });

  function mkSvc(name: string, created: number, spec: Service["spec"], status?: Service["status"]): Service {
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: "default", creationTimestamp: ago(created) },
      spec,
      ...(status ? { status } : {}),
    };
  }
  const services: Service[] = [
    mkSvc("kubernetes", 10 * DAY, { type: "ClusterIP", clusterIP: "10.96.0.1", clusterIPs: ["10.96.0.1"], ports: [{ port: 443, protocol: "TCP" }] }),
    mkSvc("web", 45 * MIN, {
      type: "NodePort",
      clusterIPs: ["10.96.12.34"],
      selector: { tier: "fe", app: "web" },
      ports: [
        { name: "http", port: 80, nodePort: 30080, protocol: "TCP" },
        { name: "https", port: 443, protocol: "TCP" },
      ],
    }),
    mkSvc("lb", 5 * MIN, { type: "LoadBalancer", clusterIP: "10.96.7.7", ports: [{ port: 8080, nodePort: 31000, protocol: "UDP" }] }, { loadBalancer: {} }),
    mkSvc(
      "lb2",
      5 * MIN,
      { type: "LoadBalancer", clusterIP: "10.96.7.8", ports: [{ port: 80, nodePort: 30081 }] },
      { loadBalancer: { ingress: [{ ip: "192.168.1.240" }] } },
    ),
    mkSvc("ext", 5 * MIN, { type: "ExternalName", externalName: "db.example.com" }),
    mkSvc("headless", 5 * MIN, { clusterIP: "None", ports: [{ port: 53, protocol: "UDP" }] }),
  ];

  it("services", () => {
    expect(renderTable("services", services, opts)).toBe(
      lines(
        "NAME         TYPE           CLUSTER-IP    EXTERNAL-IP      PORT(S)                AGE",
        "kubernetes   ClusterIP      10.96.0.1     <none>           443/TCP                10d",
        "web          NodePort       10.96.12.34   <none>           80:30080/TCP,443/TCP   45m",
        "lb           LoadBalancer   10.96.7.7     <pending>        8080:31000/UDP         5m",
        "lb2          LoadBalancer   10.96.7.8     192.168.1.240    80:30081/TCP           5m",
        "ext          ExternalName   <none>        db.example.com   <none>                 5m",
        "headless     ClusterIP      None          <none>           53/UDP                 5m",
      ),
    );
  });

  it("services -o wide", () => {
    expect(renderTable("svc", services.slice(0, 2), wide)).toBe(
      lines(
        "NAME         TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)                AGE   SELECTOR",
        "kubernetes   ClusterIP   10.96.0.1     <none>        443/TCP                10d   <none>",
        "web          NodePort    10.96.12.34   <none>        80:30080/TCP,443/TCP   45m   app=web,tier=fe",
      ),
    );
  });

  it("service external IPs: spec.externalIPs, LB ingress plus external IPs", () => {
    const withExt = mkSvc("x", MIN, { type: "ClusterIP", clusterIP: "10.96.0.9", externalIPs: ["1.2.3.4", "5.6.7.8"], ports: [{ port: 80 }] });
    const lbExt = mkSvc(
      "y",
      MIN,
      { type: "LoadBalancer", clusterIP: "10.96.0.10", externalIPs: ["5.6.7.8"], ports: [{ port: 80, nodePort: 30000 }] },
      { loadBalancer: { ingress: [{ hostname: "lb.example.com" }] } },
    );
    const out = renderTable("services", [withExt, lbExt], opts).split("\n");
    expect(out[1]).toContain("   1.2.3.4,5.6.7.8   ");
    expect(out[2]).toContain("   lb.example.com,5.6.7.8   ");
  });

  const slices: EndpointSlice[] = [
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-abcde", creationTimestamp: ago(45 * MIN) },
      addressType: "IPv4",
      ports: [{ name: "http", port: 80, protocol: "TCP" }, { port: 443 }],
      endpoints: [
        { addresses: ["10.244.1.5", "10.244.1.6"] },
        { addresses: ["10.244.2.7", "10.244.2.8", "10.244.3.9"] },
      ],
    },
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "empty-xyz", creationTimestamp: ago(5 * MIN) },
      addressType: "IPv4",
      endpoints: [],
    },
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "dns-q1w2e", creationTimestamp: ago(10 * DAY) },
      addressType: "IPv4",
      ports: [{ port: 53 }, { name: "dns" }, {}, { port: 9153 }],
      endpoints: [{ addresses: ["10.244.0.3"] }],
    },
  ];

  it("endpointslices", () => {
    expect(renderTable("endpointslices", slices, opts)).toBe(
      lines(
        "NAME        ADDRESSTYPE   PORTS                  ENDPOINTS                                      AGE",
        "web-abcde   IPv4          80,443                 10.244.1.5,10.244.1.6,10.244.2.7 + 2 more...   45m",
        "empty-xyz   IPv4          <unset>                <unset>                                        5m",
        "dns-q1w2e   IPv4          53,dns,* + 1 more...   10.244.0.3                                     10d",
      ),
    );
  });

  it("endpointslices have no wide columns", () => {
    expect(renderTable("endpointslices", slices, wide)).toBe(renderTable("endpointslices", slices, opts));
  });

  const namespaces: Namespace[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "default", creationTimestamp: ago(10 * DAY) }, status: { phase: "Active" } },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "kemu-system", creationTimestamp: ago(10 * DAY) } },
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "old", creationTimestamp: ago(5 * MIN), deletionTimestamp: ago(0) },
      status: { phase: "Terminating" },
    },
  ];

  it("namespaces", () => {
    expect(renderTable("namespaces", namespaces, opts)).toBe(
      lines("NAME          STATUS        AGE", "default       Active        10d", "kemu-system   Active        10d", "old           Terminating   5m"),
    );
  });

  it("config maps count their keys in DATA (printConfigMap), with NAMESPACE for -A", () => {
    const cm: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "kube-root-ca.crt", namespace: "default", creationTimestamp: ago(10 * DAY) },
      data: { "ca.crt": "pem" },
    };
    expect(renderTable("configmaps", [cm], { wide: true, withNamespace: true, now: NOW })).toBe(
      lines("NAMESPACE   NAME               DATA   AGE", "default     kube-root-ca.crt   1      10d"),
    );
  });

  it("resources kemu does not serve get NAME and AGE", () => {
    const w: KubeObject = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", creationTimestamp: ago(10 * DAY) } };
    expect(renderTable("widgets", [w], opts)).toBe(lines("NAME   AGE", "w      10d"));
  });

  it("resource names that are Object.prototype keys are just other resources", () => {
    const x: KubeObject = { apiVersion: "v1", kind: "X", metadata: { name: "x", creationTimestamp: ago(5 * SEC) } };
    expect(renderTable("constructor", [x], opts)).toBe(lines("NAME   AGE", "x      5s"));
  });

  it("AGE is <unknown> without a creation timestamp", () => {
    const cm: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } };
    expect(renderTable("configmaps", [cm], opts)).toBe(lines("NAME   DATA   AGE", "x      0      <unknown>"));
  });
});

describe("selectors and labels", () => {
  it("formatLabels sorts keys and prints <none> when empty", () => {
    expect(formatLabels({ b: "2", a: "1" })).toBe("a=1,b=2");
    expect(formatLabels({})).toBe("<none>");
    expect(formatLabels(undefined)).toBe("<none>");
  });
  it("formatLabelSelector renders every operator, sorted by key", () => {
    expect(
      formatLabelSelector({
        matchLabels: { z: "1" },
        matchExpressions: [
          { key: "b", operator: "NotIn", values: ["y", "x"] },
          { key: "a", operator: "Exists" },
          { key: "c", operator: "DoesNotExist" },
          { key: "d", operator: "In", values: ["only"] },
        ],
      }),
    ).toBe("a,b notin (x,y),!c,d in (only),z=1");
  });
  it("formatLabelSelector: <none> when empty, <error> when invalid", () => {
    expect(formatLabelSelector({})).toBe("<none>");
    expect(formatLabelSelector(undefined)).toBe("<none>");
    expect(formatLabelSelector({ matchExpressions: [{ key: "a", operator: "In", values: [] }] })).toBe("<error>");
    expect(formatLabelSelector({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] })).toBe("<error>");
  });
});

describe("toKubectlList", () => {
  it("is kubectl's client-side List with an empty resourceVersion", () => {
    const items: KubeObject[] = [{ apiVersion: "v1", kind: "Pod", metadata: { name: "a" } }];
    const list = toKubectlList(items, "12345");
    expect(list).toEqual({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items });
    // kubectl prints the keys in alphabetical order.
    expect(Object.keys(list)).toEqual(["apiVersion", "items", "kind", "metadata"]);
    expect(list.items).toBe(items);
  });
});

describe("renderTable: statefulsets", () => {
  const opts = { wide: false, withNamespace: false, now: NOW };
  const wide = { wide: true, withNamespace: false, now: NOW };
  const podTemplate = (containers: { name: string; image: string }[]) => ({ metadata: { labels: { app: "x" } }, spec: { containers } });
  const web: StatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web", namespace: "default", creationTimestamp: ago(3 * DAY + 4 * HOUR) },
    spec: {
      serviceName: "nginx",
      replicas: 3,
      selector: { matchLabels: { app: "x" } },
      template: podTemplate([
        { name: "nginx", image: "nginx:1.27" },
        { name: "sidecar", image: "busybox" },
      ]),
    },
    status: { replicas: 3, readyReplicas: 2, availableReplicas: 2 },
  };
  // Freshly created: no status yet, replicas defaulted.
  const db: StatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", namespace: "data", creationTimestamp: ago(30 * SEC) },
    spec: { selector: { matchLabels: { app: "x" } }, template: podTemplate([{ name: "pg", image: "postgres:16" }]) },
  };

  it("NAME READY AGE, READY being ready/desired; every name of the kind selects it", () => {
    const expected = lines("NAME   READY   AGE", "web    2/3     3d4h", "db     0/1     30s");
    expect(renderTable("statefulsets", [web, db], opts)).toBe(expected);
    expect(renderTable("sts", [web, db], opts)).toBe(expected);
    expect(renderTable("statefulset", [web, db], opts)).toBe(expected);
    expect(renderTable("statefulsets.apps", [web, db], opts)).toBe(expected);
  });

  it("-o wide adds CONTAINERS and IMAGES (no SELECTOR); -A adds NAMESPACE", () => {
    expect(renderTable("statefulsets", [web, db], wide)).toBe(
      lines(
        "NAME   READY   AGE    CONTAINERS      IMAGES",
        "web    2/3     3d4h   nginx,sidecar   nginx:1.27,busybox",
        "db     0/1     30s    pg              postgres:16",
      ),
    );
    expect(renderTable("sts", [web, db], { ...opts, withNamespace: true })).toBe(
      lines("NAMESPACE   NAME   READY   AGE", "default     web    2/3     3d4h", "data        db     0/1     30s"),
    );
  });
});

describe("renderTable: network policies", () => {
  const netpol = (name: string, namespace: string, podSelector: NetworkPolicy["spec"]["podSelector"], age: number): NetworkPolicy => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, creationTimestamp: ago(age) },
    spec: { podSelector, policyTypes: ["Ingress"] },
  });
  const policies = [
    netpol("default-deny", "x", {}, 10 * DAY),
    netpol("allow-web", "x", { matchLabels: { app: "web" } }, 45 * MIN),
    netpol("api-from-y", "y", { matchLabels: { app: "api" }, matchExpressions: [{ key: "tier", operator: "In", values: ["b", "a"] }] }, 5 * SEC),
  ];

  // kubectl's printNetworkPolicy: NAME, POD-SELECTOR (metav1.FormatLabelSelector), AGE.
  it("netpol: the pod selector as kubectl formats it, <none> for {}", () => {
    const expected = lines(
      "NAME           POD-SELECTOR            AGE",
      "default-deny   <none>                  10d",
      "allow-web      app=web                 45m",
      "api-from-y     app=api,tier in (a,b)   5s",
    );
    expect(renderTable("networkpolicies", policies, opts)).toBe(expected);
    expect(renderTable("netpol", policies, wide)).toBe(expected);
  });

  it("netpol -A: NAMESPACE first", () => {
    expect(renderTable("netpol", policies.slice(1), { ...opts, withNamespace: true })).toBe(
      lines("NAMESPACE   NAME         POD-SELECTOR            AGE", "x           allow-web    app=web                 45m", "y           api-from-y   app=api,tier in (a,b)   5s"),
    );
  });

  // The CRD's additionalPrinterColumns (network-policy-api config/crd): Tier, Priority, Age.
  it("cnp: TIER and PRIORITY from the spec", () => {
    const cnp = (name: string, tier: "Admin" | "Baseline", priority: number, age: number): ClusterNetworkPolicy => ({
      apiVersion: "policy.networking.k8s.io/v1alpha2",
      kind: "ClusterNetworkPolicy",
      metadata: { name, creationTimestamp: ago(age) },
      spec: { tier, priority, subject: { namespaces: {} } },
    });
    const items = [cnp("sensitive-ns-deny", "Admin", 10, 3 * HOUR), cnp("default-baseline", "Baseline", 1000, 2 * DAY), cnp("pass-monitoring", "Admin", 0, 90 * SEC)];
    expect(renderTable("clusternetworkpolicies", items, opts)).toBe(
      lines(
        "NAME                TIER       PRIORITY   AGE",
        "sensitive-ns-deny   Admin      10         3h",
        "default-baseline    Baseline   1000       2d",
        "pass-monitoring     Admin      0          90s",
      ),
    );
    expect(renderTable("cnp", items, opts)).toBe(renderTable("clusternetworkpolicies", items, opts));
  });
});

describe("renderTable: secrets, ingress classes and ingresses", () => {
  const wideOpts = { wide: true, withNamespace: false, now: NOW };
  const obj = (kind: string, name: string, age: number, rest: Record<string, unknown>): KubeObject =>
    ({ apiVersion: "v1", kind, metadata: { name, namespace: "default", creationTimestamp: ago(age) }, ...rest }) as KubeObject;

  // kubectl's printSecret: NAME, TYPE, DATA (the number of keys), AGE.
  it("secrets: TYPE and the number of data keys, never a value", () => {
    const out = renderTable("secrets", [obj("Secret", "tls", 3 * MIN, { type: "kubernetes.io/tls", data: { "tls.crt": "Yw==", "tls.key": "aw==" } }), obj("Secret", "empty", 2 * DAY, {})], opts);
    expect(out).toBe(lines("NAME    TYPE                DATA   AGE", "tls     kubernetes.io/tls   2      3m", "empty   Opaque              0      2d"));
    expect(out).not.toContain("Yw==");
  });

  // kubectl's printIngressClass: PARAMETERS is Kind[.apiGroup]/name, <none> without parameters.
  it("ingressclass: CONTROLLER and PARAMETERS", () => {
    const ic = (name: string, spec: Record<string, unknown>) => obj("IngressClass", name, 1 * HOUR, { spec });
    expect(
      renderTable("ingressclass", [ic("nginx", { controller: "k8s.io/ingress-nginx" }), ic("ext", { controller: "example.com/ic", parameters: { apiGroup: "k8s.example.com", kind: "IngressParameters", name: "external-lb" } })], opts),
    ).toBe(
      lines(
        "NAME    CONTROLLER             PARAMETERS                                      AGE",
        "nginx   k8s.io/ingress-nginx   <none>                                          60m",
        "ext     example.com/ic         IngressParameters.k8s.example.com/external-lb   60m",
      ),
    );
  });

  // kubectl's printIngress: formatHosts (three, then "+ N more..." counting rules; * without hosts),
  // formatPorts ("80, 443" with TLS), and the address list cut to 16 characters unless -o wide.
  it("ing: CLASS, HOSTS, ADDRESS, PORTS", () => {
    const rules = (...hosts: (string | undefined)[]) => hosts.map((host) => (host ? { host } : {}));
    const lb = (...ips: string[]) => ({ loadBalancer: { ingress: ips.map((ip) => ({ ip })) } });
    const items = [
      obj("Ingress", "web", 5 * MIN, { spec: { ingressClassName: "nginx", rules: rules("a.example.com"), tls: [{ hosts: ["a.example.com"] }] }, status: lb("172.18.0.100") }),
      obj("Ingress", "many", 5 * MIN, { spec: { rules: rules("a.io", undefined, "b.io", "c.io", "d.io") }, status: lb("172.18.0.101", "172.18.0.100") }),
      obj("Ingress", "catch-all", 5 * MIN, { spec: { defaultBackend: {} } }),
    ];
    expect(renderTable("ing", items, opts)).toBe(
      lines(
        "NAME        CLASS    HOSTS                        ADDRESS            PORTS     AGE",
        "web         nginx    a.example.com                172.18.0.100       80, 443   5m",
        "many        <none>   a.io,b.io,c.io + 2 more...   172.18.0.100,...   80        5m",
        "catch-all   <none>   *                                               80        5m",
      ),
    );
    expect(renderTable("ingresses", items.slice(1, 2), wideOpts)).toContain("172.18.0.100,172.18.0.101");
  });
});
