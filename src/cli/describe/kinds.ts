// `kubectl describe` for services, deployments, nodes, ingresses and
// network policies (kubectl 1.32 pkg/describe: describeService,
// describeDeployment, describeNode, describeIngressV1,
// describeNetworkPolicy), for the fields kemu has. Pure: what the
// describers look up (endpoint slices, replica sets, events) is passed in.
import type { Deployment, EndpointSlice, Event, Ingress, LabelSelector, NetworkPolicy, Node, ReplicaSet, Service } from "../../api/types.js";
import { formatLabelSelector, formatLabels, selectorString } from "../../api/table/cells.js";
import { DescribeWriter, annotationsMultiline, describeEvents, goTimeString, labelsMultiline, rfc1123z } from "./writer.js";
import { describeContainers, describeVolumes, tolerationsMultiline, type DescribeTime } from "./pod.js";

/** formatEndpointSlices: ready endpoints as ip:port for one port name (or addresses when a slice has no ports), the first 3 then "+ N more...". */
export function formatEndpointSlices(slices: readonly EndpointSlice[], portName: string | undefined): string {
  if (slices.length === 0) return "<none>";
  const list: string[] = [];
  let count = 0;
  const add = (text: string) => {
    if (list.length < 3) list.push(text);
    count++;
  };
  for (const s of slices) {
    const ready = (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false);
    if (!s.ports?.length) {
      for (const e of ready) add(e.addresses[0]!);
      continue;
    }
    for (const p of s.ports) {
      if (portName !== undefined && (p.name ?? "") !== portName) continue;
      for (const e of ready) add(`${e.addresses[0]}:${p.port}`);
    }
  }
  return count > 3 ? `${list.join(",")} + ${count - 3} more...` : list.join(",");
}

export function describeService(svc: Service, slices: readonly EndpointSlice[], events: Event[], time: DescribeTime): string {
  const w = new DescribeWriter();
  const spec = svc.spec ?? {};
  w.write(0, `Name:\t${svc.metadata.name}\n`);
  w.write(0, `Namespace:\t${svc.metadata.namespace ?? ""}\n`);
  labelsMultiline(w, "Labels", svc.metadata.labels);
  annotationsMultiline(w, "Annotations", svc.metadata.annotations);
  w.write(0, `Selector:\t${spec.selector && Object.keys(spec.selector).length ? formatLabels(spec.selector) : "<none>"}\n`);
  w.write(0, `Type:\t${spec.type ?? "ClusterIP"}\n`);
  if (spec.ipFamilyPolicy) w.write(0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`);
  w.write(0, `IP Families:\t${spec.ipFamilies?.length ? spec.ipFamilies.join(",") : "<none>"}\n`);
  w.write(0, `IP:\t${spec.clusterIP ?? ""}\n`);
  w.write(0, `IPs:\t${spec.clusterIPs?.length ? spec.clusterIPs.join(",") : "<none>"}\n`);
  if (spec.externalIPs?.length) w.write(0, `External IPs:\t${spec.externalIPs.join(",")}\n`);
  if (spec.loadBalancerIP) w.write(0, `Desired LoadBalancer IP:\t${spec.loadBalancerIP}\n`);
  if (spec.externalName) w.write(0, `External Name:\t${spec.externalName}\n`);
  const lb = svc.status?.loadBalancer?.ingress ?? [];
  if (lb.length) w.write(0, `LoadBalancer Ingress:\t${lb.map((i) => (i.ip ? `${i.ip}${i.ipMode ? ` (${i.ipMode})` : ""}` : (i.hostname ?? ""))).join(", ")}\n`);
  for (const p of spec.ports ?? []) {
    const name = p.name || "<unset>";
    const protocol = p.protocol ?? "TCP";
    w.write(0, `Port:\t${name}\t${p.port}/${protocol}\n`);
    w.write(0, `TargetPort:\t${p.targetPort ?? p.port}/${protocol}\n`);
    if (p.nodePort) w.write(0, `NodePort:\t${name}\t${p.nodePort}/${protocol}\n`);
    w.write(0, `Endpoints:\t${formatEndpointSlices(slices, p.name ?? "")}\n`);
  }
  w.write(0, `Session Affinity:\t${spec.sessionAffinity ?? "None"}\n`);
  if (spec.externalTrafficPolicy) w.write(0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`);
  if (spec.internalTrafficPolicy) w.write(0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`);
  if (spec.healthCheckNodePort) w.write(0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`);
  if (spec.loadBalancerSourceRanges?.length) w.write(0, `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges.join(",")}\n`);
  describeEvents(w, events, time.now);
  return w.toString();
}

function replicaSetsText(sets: readonly ReplicaSet[]): string {
  return sets.map((rs) => `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 1} replicas created)`).join(", ") || "<none>";
}

/** Old and new ReplicaSets are the caller's (the one whose template matches the deployment's is the new one). */
export function describeDeployment(d: Deployment, oldRSs: readonly ReplicaSet[], newRSs: readonly ReplicaSet[], events: Event[], time: DescribeTime): string {
  const offset = time.offsetMinutes ?? 0;
  const w = new DescribeWriter();
  const spec = d.spec!;
  const status = d.status ?? {};
  w.write(0, `Name:\t${d.metadata.name}\n`);
  w.write(0, `Namespace:\t${d.metadata.namespace ?? ""}\n`);
  w.write(0, `CreationTimestamp:\t${rfc1123z(d.metadata.creationTimestamp, offset)}\n`);
  labelsMultiline(w, "Labels", d.metadata.labels);
  annotationsMultiline(w, "Annotations", d.metadata.annotations);
  w.write(0, `Selector:\t${selectorString(spec.selector as LabelSelector) ?? "<error>"}\n`);
  w.write(0, `Replicas:\t${spec.replicas ?? 1} desired | ${status.updatedReplicas ?? 0} updated | ${status.replicas ?? 0} total | ${status.availableReplicas ?? 0} available | ${status.unavailableReplicas ?? 0} unavailable\n`);
  w.write(0, `StrategyType:\t${spec.strategy?.type ?? "RollingUpdate"}\n`);
  w.write(0, `MinReadySeconds:\t${spec.minReadySeconds ?? 0}\n`);
  const ru = spec.strategy?.rollingUpdate;
  if (ru) w.write(0, `RollingUpdateStrategy:\t${ru.maxUnavailable ?? "25%"} max unavailable, ${ru.maxSurge ?? "25%"} max surge\n`);
  // DescribePodTemplate
  const template = spec.template;
  w.write(0, "Pod Template:\n");
  labelsMultiline(w, "  Labels", template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length) annotationsMultiline(w, "  Annotations", template.metadata?.annotations);
  if (template.spec?.serviceAccountName) w.write(1, `Service Account:\t${template.spec.serviceAccountName}\n`);
  if (template.spec?.initContainers?.length) describeContainers(w, "Init Containers", template.spec.initContainers, undefined, "  ", offset);
  describeContainers(w, "Containers", template.spec?.containers ?? [], undefined, "  ", offset);
  describeVolumes(w, template.spec?.volumes, "  ");
  if (template.spec?.priorityClassName) w.write(1, `Priority Class Name:\t${template.spec.priorityClassName}\n`);
  labelsMultiline(w, "  Node-Selectors", template.spec?.nodeSelector);
  tolerationsMultiline(w, "  Tolerations", template.spec?.tolerations);
  if (status.conditions?.length) {
    w.write(0, "Conditions:\n  Type\tStatus\tReason\n");
    w.write(1, "----\t------\t------\n");
    for (const c of status.conditions) w.write(1, `${c.type} \t${c.status}\t${c.reason ?? ""}\n`);
  }
  if (oldRSs.length || newRSs.length) {
    w.write(0, `OldReplicaSets:\t${replicaSetsText(oldRSs)}\n`);
    w.write(0, `NewReplicaSet:\t${replicaSetsText(newRSs)}\n`);
  }
  describeEvents(w, events, time.now);
  return w.toString();
}

/** findNodeRoles: node-role.kubernetes.io/ROLE labels and kubernetes.io/role, sorted. */
function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/") && k.length > "node-role.kubernetes.io/".length) roles.add(k.slice("node-role.kubernetes.io/".length));
    else if (k === "kubernetes.io/role" && v) roles.add(v);
  }
  return [...roles].sort();
}

/** kemu leaves out the Non-terminated Pods and Allocated resources sections (kemu does not account resources). */
export function describeNode(node: Node, events: Event[], time: DescribeTime): string {
  const offset = time.offsetMinutes ?? 0;
  const w = new DescribeWriter();
  const spec = node.spec ?? {};
  const status = node.status ?? {};
  w.write(0, `Name:\t${node.metadata.name}\n`);
  const roles = nodeRoles(node);
  w.write(0, `Roles:\t${roles.length ? roles.join(",") : "<none>"}\n`);
  labelsMultiline(w, "Labels", node.metadata.labels);
  annotationsMultiline(w, "Annotations", node.metadata.annotations);
  w.write(0, `CreationTimestamp:\t${rfc1123z(node.metadata.creationTimestamp, offset)}\n`);
  w.write(0, "Taints:\t");
  if (!spec.taints?.length) w.line("<none>");
  else spec.taints.forEach((t, i) => w.write(0, `${i > 0 ? "\t" : ""}${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}\n`));
  w.write(0, `Unschedulable:\t${spec.unschedulable ?? false}\n`);
  if (status.conditions?.length) {
    w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
    w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n");
    for (const c of status.conditions) {
      w.write(1, `${c.type} \t${c.status} \t${rfc1123z(c.lastHeartbeatTime as string | undefined, offset)} \t${rfc1123z(c.lastTransitionTime as string | undefined, offset)} \t${c.reason ?? ""} \t${c.message ?? ""}\n`);
    }
  }
  w.write(0, "Addresses:\n");
  for (const a of status.addresses ?? []) w.write(1, `${a.type}:\t${a.address}\n`);
  for (const [title, list] of [
    ["Capacity", status.capacity],
    ["Allocatable", status.allocatable],
  ] as const) {
    const names = Object.keys(list ?? {}).sort();
    if (!names.length) continue;
    w.write(0, `${title}:\n`);
    for (const n of names) w.write(0, `  ${n}:\t${String((list as Record<string, unknown>)[n])}\n`);
  }
  const info = status.nodeInfo;
  w.write(0, "System Info:\n");
  w.write(0, `  Machine ID:\t${info?.machineID ?? ""}\n`);
  w.write(0, `  System UUID:\t${info?.systemUUID ?? ""}\n`);
  w.write(0, `  Boot ID:\t${info?.bootID ?? ""}\n`);
  w.write(0, `  Kernel Version:\t${info?.kernelVersion ?? ""}\n`);
  w.write(0, `  OS Image:\t${info?.osImage ?? ""}\n`);
  w.write(0, `  Operating System:\t${info?.operatingSystem ?? ""}\n`);
  w.write(0, `  Architecture:\t${info?.architecture ?? ""}\n`);
  w.write(0, `  Container Runtime Version:\t${info?.containerRuntimeVersion ?? ""}\n`);
  w.write(0, `  Kubelet Version:\t${info?.kubeletVersion ?? ""}\n`);
  w.write(0, `  Kube-Proxy Version:\t${info?.kubeProxyVersion ?? ""}\n`);
  if (spec.podCIDR) w.write(0, `PodCIDR:\t${spec.podCIDR}\n`);
  if (spec.podCIDRs?.length) w.write(0, `PodCIDRs:\t${spec.podCIDRs.join(",")}\n`);
  if (spec.providerID) w.write(0, `ProviderID:\t${spec.providerID}\n`);
  describeEvents(w, events, time.now);
  return w.toString();
}

type IngressBackend = NonNullable<NonNullable<Ingress["spec"]>["defaultBackend"]>;

/** describeBackendV1: "svc:port (endpoints)"; slices and services by service name. */
function ingressBackendText(b: IngressBackend, services: ReadonlyMap<string, Service>, slices: ReadonlyMap<string, EndpointSlice[]>): string {
  if (b.service) {
    const port = b.service.port?.number ? String(b.service.port.number) : (b.service.port?.name ?? "");
    const text = `${b.service.name}:${port}`;
    const svc = services.get(b.service.name);
    if (!svc) return `${text} (<error: services "${b.service.name}" not found>)`;
    let portName = "";
    for (const sp of svc.spec?.ports ?? []) {
      if ((b.service.port?.number && b.service.port.number === sp.port) || (b.service.port?.name && b.service.port.name === sp.name)) portName = sp.name ?? "";
    }
    return `${text} (${formatEndpointSlices(slices.get(b.service.name) ?? [], portName)})`;
  }
  if (b.resource) return `APIGroup: ${b.resource.apiGroup ?? "<none>"}, Kind: ${b.resource.kind}, Name: ${b.resource.name}`;
  return "";
}

export function describeIngress(ing: Ingress, services: ReadonlyMap<string, Service>, slices: ReadonlyMap<string, EndpointSlice[]>, events: Event[], time: DescribeTime): string {
  const w = new DescribeWriter();
  const spec = ing.spec ?? {};
  w.write(0, `Name:\t${ing.metadata.name}\n`);
  labelsMultiline(w, "Labels", ing.metadata.labels);
  w.write(0, `Namespace:\t${ing.metadata.namespace ?? ""}\n`);
  const addresses = [...new Set((ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || "").filter(Boolean))].sort();
  w.write(0, `Address:\t${addresses.join(",")}\n`);
  w.write(0, `Ingress Class:\t${spec.ingressClassName ?? "<none>"}\n`);
  const def = spec.defaultBackend ? ingressBackendText(spec.defaultBackend, services, slices) : "<default>";
  w.write(0, `Default backend:\t${def}\n`);
  if (spec.tls?.length) {
    w.write(0, "TLS:\n");
    for (const t of spec.tls) w.write(1, t.secretName ? `${t.secretName} terminates ${(t.hosts ?? []).join(",")}\n` : `SNI routes ${(t.hosts ?? []).join(",")}\n`);
  }
  w.write(0, "Rules:\n  Host\tPath\tBackends\n");
  w.write(1, "----\t----\t--------\n");
  let count = 0;
  for (const rule of spec.rules ?? []) {
    if (!rule.http) continue;
    count++;
    w.write(1, `${rule.host || "*"}\t\n`);
    for (const p of rule.http.paths) w.write(2, `\t${p.path ?? ""} \t${ingressBackendText(p.backend, services, slices)}\n`);
  }
  if (count === 0) w.write(1, `*\t*\t${def}\n`);
  annotationsMultiline(w, "Annotations", ing.metadata.annotations);
  describeEvents(w, events, time.now);
  return w.toString();
}

type PolicyPeer = NonNullable<NonNullable<NonNullable<NetworkPolicy["spec"]>["ingress"]>[number]["from"]>[number];
type PolicyPort = NonNullable<NonNullable<NonNullable<NetworkPolicy["spec"]>["ingress"]>[number]["ports"]>[number];

function policyRules(w: DescribeWriter, rules: { ports?: PolicyPort[]; peers?: PolicyPeer[] }[], direction: "ingress" | "egress"): void {
  const indent = "    ";
  const [peerTitle, anyPeer, isolated] =
    direction === "ingress"
      ? ["From", "From: <any> (traffic not restricted by source)", "<none> (Selected pods are isolated for ingress connectivity)"]
      : ["To", "To: <any> (traffic not restricted by destination)", "<none> (Selected pods are isolated for egress connectivity)"];
  if (rules.length === 0) {
    w.write(0, `${indent}${isolated}\n`);
    return;
  }
  rules.forEach((rule, i) => {
    if (!rule.ports?.length) w.write(0, `${indent}To Port: <any> (traffic allowed to all ports)\n`);
    for (const p of rule.ports ?? []) {
      const proto = p.protocol ?? "TCP";
      // An unset port prints as Go prints a nil *IntOrString with %s.
      const port = p.port === undefined ? "%!s(<nil>)" : String(p.port);
      w.write(0, p.endPort === undefined ? `${indent}To Port: ${port}/${proto}\n` : `${indent}To Port Range: ${port}-${p.endPort}/${proto}\n`);
    }
    if (!rule.peers?.length) w.write(0, `${indent}${anyPeer}\n`);
    for (const peer of rule.peers ?? []) {
      w.write(0, `${indent}${peerTitle}:\n`);
      if (peer.podSelector && peer.namespaceSelector) {
        w.write(1, `${indent}NamespaceSelector: ${formatLabelSelector(peer.namespaceSelector as LabelSelector)}\n`);
        w.write(1, `${indent}PodSelector: ${formatLabelSelector(peer.podSelector as LabelSelector)}\n`);
      } else if (peer.podSelector) {
        w.write(1, `${indent}PodSelector: ${formatLabelSelector(peer.podSelector as LabelSelector)}\n`);
      } else if (peer.namespaceSelector) {
        w.write(1, `${indent}NamespaceSelector: ${formatLabelSelector(peer.namespaceSelector as LabelSelector)}\n`);
      } else if (peer.ipBlock) {
        w.write(1, `${indent}IPBlock:\n`);
        w.write(2, `${indent}CIDR: ${peer.ipBlock.cidr}\n`);
        w.write(2, `${indent}Except: ${(peer.ipBlock.except ?? []).join(", ")}\n`);
      }
    }
    if (i !== rules.length - 1) w.write(0, `${indent}----------\n`);
  });
}

/** describeNetworkPolicy: kubectl shows no events for network policies. */
export function describeNetworkPolicy(np: NetworkPolicy, time: DescribeTime): string {
  const w = new DescribeWriter();
  const spec = np.spec ?? {};
  w.write(0, `Name:\t${np.metadata.name}\n`);
  w.write(0, `Namespace:\t${np.metadata.namespace ?? ""}\n`);
  w.write(0, `Created on:\t${goTimeString(np.metadata.creationTimestamp, time.offsetMinutes ?? 0)}\n`);
  labelsMultiline(w, "Labels", np.metadata.labels);
  annotationsMultiline(w, "Annotations", np.metadata.annotations);
  w.write(0, "Spec:\n");
  w.write(1, "PodSelector: ");
  const sel = spec.podSelector as LabelSelector | undefined;
  if (!Object.keys(sel?.matchLabels ?? {}).length && !sel?.matchExpressions?.length) w.write(2, "<none> (Allowing the specific traffic to all pods in this namespace)\n");
  else w.write(2, `${formatLabelSelector(sel)}\n`);
  const types = spec.policyTypes ?? [];
  if (types.includes("Ingress")) {
    w.write(1, "Allowing ingress traffic:\n");
    policyRules(w, (spec.ingress ?? []).map((r) => ({ ports: r.ports, peers: r.from })), "ingress");
  } else w.write(1, "Not affecting ingress traffic\n");
  if (types.includes("Egress")) {
    w.write(1, "Allowing egress traffic:\n");
    policyRules(w, (spec.egress ?? []).map((r) => ({ ports: r.ports, peers: r.to })), "egress");
  } else w.write(1, "Not affecting egress traffic\n");
  w.write(1, `Policy Types: ${types.length ? types.join(", ") : "<none>"}\n`);
  return w.toString();
}
