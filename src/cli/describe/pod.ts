// `kubectl describe pod` (kubectl pkg/describe describePod,
// describeContainers, DescribePodTemplate, describeVolumes) for the fields
// kemu's pods have. Pure.
import type { Container, Event, Pod } from "../../api/types.js";
import { humanDuration } from "../../api/table/cells.js";
import { DescribeWriter, annotationsMultiline, describeEvents, labelsMultiline, rfc1123z } from "./writer.js";

type ContainerStatus = NonNullable<NonNullable<Pod["status"]>["containerStatuses"]>[number];
type ContainerState = NonNullable<ContainerStatus["state"]>;
type Volume = NonNullable<Pod["spec"]["volumes"]>[number];
type Probe = NonNullable<Container["livenessProbe"]>;
type Toleration = NonNullable<Pod["spec"]["tolerations"]>[number];

export interface DescribeTime {
  /** ms since epoch, for ages. */
  now: number;
  /** The UTC offset kubectl's local time zone has, in minutes east (0: UTC). */
  offsetMinutes?: number;
}

function ports(container: Container, which: "containerPort" | "hostPort"): string {
  return (container.ports ?? []).map((p) => `${p[which] ?? 0}/${p.protocol ?? "TCP"}${p.name ? ` (${p.name})` : ""}`).join(", ");
}

function describeState(w: DescribeWriter, title: string, state: ContainerState | undefined, offset: number): void {
  if (state?.running) {
    w.write(2, `${title}:\tRunning\n`);
    w.write(3, `Started:\t${rfc1123z(state.running.startedAt as string | undefined, offset)}\n`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.write(2, `${title}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if ((t.signal ?? 0) > 0) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${rfc1123z(t.startedAt as string | undefined, offset)}\n`);
    w.write(3, `Finished:\t${rfc1123z(t.finishedAt as string | undefined, offset)}\n`);
  } else {
    w.write(2, `${title}:\tWaiting\n`);
    if (state?.waiting?.reason) w.write(3, `Reason:\t${state.waiting.reason}\n`);
  }
}

/** DescribeProbe: "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3". */
export function describeProbe(p: Probe): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(" ")}] ${attrs}`;
  if (p.httpGet) {
    const scheme = (p.httpGet.scheme ?? "HTTP").toLowerCase();
    const host = p.httpGet.host ?? "";
    return `http-get ${scheme}://${host}:${p.httpGet.port}${p.httpGet.path ?? ""} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ""}:${p.tcpSocket.port} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ""} ${attrs}`;
  return `unknown ${attrs}`;
}

function describeResources(w: DescribeWriter, resources: Container["resources"], level: number): void {
  for (const [title, list] of [
    ["Limits", resources?.limits],
    ["Requests", resources?.requests],
  ] as const) {
    const names = Object.keys(list ?? {}).sort();
    if (names.length === 0) continue;
    w.write(level, `${title}:\n`);
    for (const n of names) w.write(level + 1, `${n}:\t${String((list as Record<string, unknown>)[n])}\n`);
  }
}

/** describeContainers: one block per container, with its status when there is one (not in a template). */
export function describeContainers(w: DescribeWriter, label: string, containers: Container[], statuses: ContainerStatus[] | undefined, space: string, offset: number): void {
  w.write(0, `${space}${label}:${containers.length === 0 ? " <none>" : ""}\n`);
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  for (const c of containers) {
    const status = statuses ? byName.get(c.name) : undefined;
    w.write(1, `${space ? " " : ""}${c.name}:\n`);
    if (status) w.write(2, `Container ID:\t${status.containerID ?? ""}\n`);
    w.write(2, `Image:\t${c.image ?? ""}\n`);
    if (status) w.write(2, `Image ID:\t${status.imageID ?? ""}\n`);
    const p = ports(c, "containerPort");
    w.write(2, p.includes(",") ? `Ports:\t${p}\n` : `Port:\t${p || "<none>"}\n`);
    const hp = ports(c, "hostPort");
    w.write(2, hp.includes(",") ? `Host Ports:\t${hp}\n` : `Host Port:\t${hp || "<none>"}\n`);
    for (const [title, words] of [
      ["Command", c.command],
      ["Args", c.args],
    ] as const) {
      if (!words?.length) continue;
      w.write(2, `${title}:\n`);
      for (const word of words) for (const s of word.split("\n")) w.write(3, `${s}\n`);
    }
    if (status) {
      describeState(w, "State", status.state, offset);
      if (status.lastState?.terminated) describeState(w, "Last State", status.lastState, offset);
      w.write(2, `Ready:\t${status.ready ? "True" : "False"}\n`);
      w.write(2, `Restart Count:\t${status.restartCount ?? 0}\n`);
    }
    describeResources(w, c.resources, 2);
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    if (c.envFrom?.length) {
      w.write(2, "Environment Variables from:\n");
      for (const f of c.envFrom) {
        const [kind, ref] = f.configMapRef ? ["ConfigMap", f.configMapRef] : ["Secret", f.secretRef];
        w.write(3, `${ref?.name ?? ""}\t${kind}\t${f.prefix ? `with prefix '${f.prefix}'` : ""}\tOptional: ${ref?.optional ?? false}\n`);
      }
    }
    w.write(2, `Environment:${c.env?.length ? "" : "\t<none>"}\n`);
    for (const e of c.env ?? []) {
      if (!e.valueFrom) {
        (e.value ?? "").split("\n").forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
      } else if (e.valueFrom.fieldRef) {
        w.write(3, `${e.name}:\t (${e.valueFrom.fieldRef.apiVersion ?? "v1"}:${e.valueFrom.fieldRef.fieldPath})\n`);
      } else if (e.valueFrom.configMapKeyRef) {
        const r = e.valueFrom.configMapKeyRef;
        w.write(3, `${e.name}:\t<set to the key '${r.key}' of config map '${r.name}'>\tOptional: ${r.optional ?? false}\n`);
      } else if (e.valueFrom.secretKeyRef) {
        const r = e.valueFrom.secretKeyRef;
        w.write(3, `${e.name}:\t<set to the key '${r.key}' in secret '${r.name}'>\tOptional: ${r.optional ?? false}\n`);
      } else {
        w.write(3, `${e.name}:\t\n`);
      }
    }
    w.write(2, `Mounts:${c.volumeMounts?.length ? "" : "\t<none>"}\n`);
    for (const m of [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0))) {
      const flags = [m.readOnly ? "ro" : "rw", ...(m.subPath ? [`path=${JSON.stringify(m.subPath)}`] : [])];
      w.write(3, `${m.mountPath} from ${m.name} (${flags.join(",")})\n`);
    }
  }
}

/** describeVolumes for the volume kinds kemu mounts; others by their kind's name. */
export function describeVolumes(w: DescribeWriter, volumes: Volume[] | undefined, space: string): void {
  if (!volumes?.length) {
    w.write(0, `${space}Volumes:\t<none>\n`);
    return;
  }
  w.write(0, `${space}Volumes:\n`);
  for (const v of volumes) {
    w.write(1, `${space ? " " : ""}${v.name}:\n`);
    if (v.hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path}\n    HostPathType:\t${v.hostPath.type || "<none>"}\n`);
    } else if (v.emptyDir) {
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ""}\n    SizeLimit:\t${v.emptyDir.sizeLimit ?? "<unset>"}\n`);
    } else if (v.secret) {
      w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v.secret.secretName ?? ""}\n    Optional:\t${v.secret.optional ?? false}\n`);
    } else if (v.configMap) {
      w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v.configMap.name ?? ""}\n    Optional:\t${v.configMap.optional ?? false}\n`);
    } else if (v.projected) {
      w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
      for (const s of v.projected.sources ?? []) {
        if (s.secret) w.write(2, `SecretName:\t${s.secret.name ?? ""}\n    Optional:\t${s.secret.optional ?? false}\n`);
        else if (s.downwardAPI) w.write(2, "DownwardAPI:\ttrue\n");
        else if (s.configMap) w.write(2, `ConfigMapName:\t${s.configMap.name ?? ""}\n    Optional:\t${s.configMap.optional ?? false}\n`);
        else if (s.serviceAccountToken) w.write(2, `TokenExpirationSeconds:\t${s.serviceAccountToken.expirationSeconds ?? 3607}\n`);
      }
    } else {
      const kind = Object.keys(v).find((k) => k !== "name") ?? "unknown";
      w.write(2, `Type:\t${kind}\n`);
    }
  }
}

/** printTolerationsMultilineWithIndent. */
export function tolerationsMultiline(w: DescribeWriter, title: string, tolerations: Toleration[] | undefined, initialIndent = ""): void {
  w.write(0, `${initialIndent}${title}:\t`);
  if (!tolerations?.length) {
    w.line("<none>");
    return;
  }
  [...tolerations]
    .sort((a, b) => ((a.key ?? "") < (b.key ?? "") ? -1 : (a.key ?? "") > (b.key ?? "") ? 1 : 0))
    .forEach((t, i) => {
      if (i > 0) w.write(0, `${initialIndent}\t`);
      let text = t.key ?? "";
      if (t.value) text += `=${t.value}`;
      if (t.effect) text += `:${t.effect}`;
      if (t.operator === "Exists" && !t.value) text += t.key || t.effect ? " op=Exists" : "op=Exists";
      if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) text += ` for ${t.tolerationSeconds}s`;
      w.write(0, `${text}\n`);
    });
}

/** QoS class: the status's, else from the containers' requests and limits (GetPodQOS, simplified to cpu and memory). */
function qosClass(pod: Pod): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const containers = pod.spec.containers;
  const any = containers.some((c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length);
  if (!any) return "BestEffort";
  const guaranteed = containers.every((c) => ["cpu", "memory"].every((r) => c.resources?.limits?.[r] !== undefined && String(c.resources.limits[r]) === String(c.resources?.requests?.[r] ?? c.resources.limits[r])));
  return guaranteed ? "Guaranteed" : "Burstable";
}

export function describePod(pod: Pod, events: Event[], time: DescribeTime): string {
  const offset = time.offsetMinutes ?? 0;
  const w = new DescribeWriter();
  const spec = pod.spec;
  const status = pod.status ?? {};
  w.write(0, `Name:\t${pod.metadata.name}\n`);
  w.write(0, `Namespace:\t${pod.metadata.namespace ?? ""}\n`);
  if (spec.priority !== undefined && spec.priority !== null) w.write(0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) w.write(0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec.serviceAccountName) w.write(0, `Service Account:\t${spec.serviceAccountName}\n`);
  w.write(0, spec.nodeName ? `Node:\t${spec.nodeName}/${status.hostIP ?? ""}\n` : "Node:\t<none>\n");
  if (status.startTime) w.write(0, `Start Time:\t${rfc1123z(status.startTime as string, offset)}\n`);
  labelsMultiline(w, "Labels", pod.metadata.labels);
  annotationsMultiline(w, "Annotations", pod.metadata.annotations);
  if (pod.metadata.deletionTimestamp && status.phase !== "Failed" && status.phase !== "Succeeded") {
    w.write(0, `Status:\tTerminating (lasts ${humanSince(pod.metadata.deletionTimestamp, time.now)})\n`);
    w.write(0, `Termination Grace Period:\t${pod.metadata.deletionGracePeriodSeconds ?? 0}s\n`);
  } else {
    w.write(0, `Status:\t${status.phase ?? ""}\n`);
  }
  if (status.reason) w.write(0, `Reason:\t${status.reason}\n`);
  if (status.message) w.write(0, `Message:\t${status.message}\n`);
  w.write(0, `IP:\t${status.podIP ?? ""}\n`);
  if (!status.podIPs?.length) w.write(0, "IPs:\t<none>\n");
  else {
    w.write(0, "IPs:\n");
    for (const ip of status.podIPs) w.write(1, `IP:\t${ip.ip}\n`);
  }
  const controller = pod.metadata.ownerReferences?.find((r) => r.controller);
  if (controller) w.write(0, `Controlled By:\t${controller.kind}/${controller.name}\n`);
  if (spec.initContainers?.length) describeContainers(w, "Init Containers", spec.initContainers, status.initContainerStatuses ?? [], "", offset);
  describeContainers(w, "Containers", spec.containers, status.containerStatuses ?? [], "", offset);
  if (spec.readinessGates?.length) {
    w.write(0, "Readiness Gates:\n  Type\tStatus\n");
    for (const g of spec.readinessGates) w.write(1, `${g.conditionType} \t${status.conditions?.find((c) => c.type === g.conditionType)?.status ?? "<none>"} \n`);
  }
  if (status.conditions?.length) {
    w.write(0, "Conditions:\n  Type\tStatus\n");
    for (const c of status.conditions) w.write(1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(w, spec.volumes, "");
  w.write(0, `QoS Class:\t${qosClass(pod)}\n`);
  labelsMultiline(w, "Node-Selectors", spec.nodeSelector);
  tolerationsMultiline(w, "Tolerations", spec.tolerations);
  describeEvents(w, events, time.now);
  return w.toString();
}

function humanSince(ts: string, now: number): string {
  const t = Date.parse(ts);
  return Number.isNaN(t) ? "<unknown>" : humanDuration(now - t);
}
