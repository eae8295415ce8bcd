// Defaulting, as the API server applies it before validation and storage
// (k8s.io/kubernetes pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go, pkg/apis/batch/v1/defaults.go,
// pkg/apis/discovery/v1/defaults.go, pkg/apis/networking/v1/defaults.go, plus
// the IP-family fields the Service registry fills in). applyDefaults returns a deep copy and is idempotent.
import type { KubeObject } from "./types.js";
import { defaultGateway } from "./validation/gateway-gateway.js";
import { defaultHTTPRoute } from "./validation/gateway-httproute.js";

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** parent[key] as an object, created when absent. */
function ensure(parent: Obj, key: string): Obj {
  const cur = parent[key];
  if (isObj(cur)) return cur;
  const created: Obj = {};
  parent[key] = created;
  return created;
}

function objects(value: unknown): Obj[] {
  return Array.isArray(value) ? value.filter(isObj) : [];
}

/** Sets parent[key] when it is absent or "" (Go's zero value for strings). */
function setIfUnset(parent: Obj, key: string, value: unknown): void {
  if (parent[key] === undefined || parent[key] === null || parent[key] === "") parent[key] = value;
}

/** Sets parent[key] when it is absent or 0 (Go's zero value for numbers). */
function setIfZero(parent: Obj, key: string, value: number): void {
  if (parent[key] === undefined || parent[key] === null || parent[key] === 0) parent[key] = value;
}

/** The tag of an image reference: "latest" when there is neither tag nor digest, "" with only a digest. */
export function imageTag(image: string): string {
  if (image === "") return "";
  const at = image.indexOf("@");
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) return name.slice(colon + 1);
  return at >= 0 ? "" : "latest";
}

function defaultHTTPGet(handler: Obj | undefined): void {
  const httpGet = handler?.httpGet;
  if (!isObj(httpGet)) return;
  setIfUnset(httpGet, "path", "/");
  setIfUnset(httpGet, "scheme", "HTTP");
}

function defaultContainer(c: Obj): void {
  if (c.imagePullPolicy === undefined || c.imagePullPolicy === null || c.imagePullPolicy === "") {
    c.imagePullPolicy = imageTag(typeof c.image === "string" ? c.image : "") === "latest" ? "Always" : "IfNotPresent";
  }
  setIfUnset(c, "terminationMessagePath", "/dev/termination-log");
  setIfUnset(c, "terminationMessagePolicy", "File");
  for (const port of objects(c.ports)) setIfUnset(port, "protocol", "TCP");
  for (const kind of ["livenessProbe", "readinessProbe", "startupProbe"]) {
    const probe = c[kind];
    if (!isObj(probe)) continue;
    setIfZero(probe, "timeoutSeconds", 1);
    setIfZero(probe, "periodSeconds", 10);
    setIfZero(probe, "successThreshold", 1);
    setIfZero(probe, "failureThreshold", 3);
    defaultHTTPGet(probe);
  }
  const lifecycle = c.lifecycle;
  if (isObj(lifecycle)) {
    for (const hook of ["postStart", "preStop"]) defaultHTTPGet(isObj(lifecycle[hook]) ? lifecycle[hook] : undefined);
  }
  for (const env of objects(c.env)) {
    const fieldRef = isObj(env.valueFrom) ? env.valueFrom.fieldRef : undefined;
    if (isObj(fieldRef)) setIfUnset(fieldRef, "apiVersion", "v1");
  }
}

function defaultVolume(v: Obj): void {
  const sources = Object.keys(v).filter((k) => k !== "name" && v[k] !== undefined && v[k] !== null);
  if (sources.length === 0) v.emptyDir = {};
  for (const kind of ["secret", "configMap", "downwardAPI", "projected"]) {
    const source = v[kind];
    if (isObj(source)) setIfUnset(source, "defaultMode", 420);
  }
  if (isObj(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = "";
}

/** Defaults every PodSpec gets, in Pods and in pod templates alike. */
function defaultPodSpec(spec: Obj): void {
  setIfUnset(spec, "dnsPolicy", "ClusterFirst");
  setIfUnset(spec, "restartPolicy", "Always");
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  setIfUnset(spec, "schedulerName", "default-scheduler");
  mirrorServiceAccount(spec);
  for (const v of objects(spec.volumes)) defaultVolume(v);
  for (const list of ["containers", "initContainers", "ephemeralContainers"]) {
    for (const c of objects(spec[list])) defaultContainer(c);
  }
}

/**
 * serviceAccount is the deprecated alias of serviceAccountName: the v1
 * conversion reads it when serviceAccountName is empty and always writes
 * serviceAccountName back into it.
 */
function mirrorServiceAccount(spec: Obj): void {
  const nonEmpty = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const name = nonEmpty(spec.serviceAccountName) ?? nonEmpty(spec.serviceAccount);
  if (name === undefined) return;
  spec.serviceAccountName = name;
  spec.serviceAccount = name;
}

/**
 * Defaults only Pods get (not templates): the ServiceAccount admission
 * plugin's serviceAccountName "default", service links, requests from
 * limits, host ports under hostNetwork.
 */
function defaultPod(pod: Obj): void {
  const spec = ensure(pod, "spec");
  defaultPodSpec(spec);
  setIfUnset(spec, "serviceAccountName", "default");
  mirrorServiceAccount(spec);
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  for (const list of ["containers", "initContainers"]) {
    for (const c of objects(spec[list])) {
      const resources = c.resources;
      if (!isObj(resources) || !isObj(resources.limits)) continue;
      const requests = ensure(resources, "requests");
      for (const [name, value] of Object.entries(resources.limits)) {
        if (!(name in requests)) requests[name] = value;
      }
    }
    if (spec.hostNetwork === true) {
      for (const c of objects(spec[list])) {
        for (const port of objects(c.ports)) {
          if (port.hostPort === undefined || port.hostPort === null || port.hostPort === 0) port.hostPort = port.containerPort;
        }
      }
    }
  }
}

function defaultTemplate(spec: Obj): void {
  defaultPodSpec(ensure(ensure(spec, "template"), "spec"));
}

function defaultDeployment(d: Obj): void {
  const spec = ensure(d, "spec");
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  const strategy = ensure(spec, "strategy");
  setIfUnset(strategy, "type", "RollingUpdate");
  if (strategy.type === "RollingUpdate") {
    const rollingUpdate = ensure(strategy, "rollingUpdate");
    if (rollingUpdate.maxUnavailable === undefined || rollingUpdate.maxUnavailable === null) rollingUpdate.maxUnavailable = "25%";
    if (rollingUpdate.maxSurge === undefined || rollingUpdate.maxSurge === null) rollingUpdate.maxSurge = "25%";
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null) spec.progressDeadlineSeconds = 600;
  defaultTemplate(spec);
}

function defaultReplicaSet(rs: Obj): void {
  const spec = ensure(rs, "spec");
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  defaultTemplate(spec);
}

function defaultStatefulSet(set: Obj): void {
  const spec = ensure(set, "spec");
  setIfUnset(spec, "podManagementPolicy", "OrderedReady");
  const strategy = ensure(spec, "updateStrategy");
  if (strategy.type === undefined || strategy.type === null || strategy.type === "") {
    strategy.type = "RollingUpdate";
    // Only a defaulted type gets a rollingUpdate; an explicit RollingUpdate without one keeps none (as upstream).
    if (!isObj(strategy.rollingUpdate)) strategy.rollingUpdate = {};
  }
  if (strategy.type === "RollingUpdate" && isObj(strategy.rollingUpdate)) {
    const rollingUpdate = strategy.rollingUpdate;
    if (rollingUpdate.partition === undefined || rollingUpdate.partition === null) rollingUpdate.partition = 0;
  }
  const retention = ensure(spec, "persistentVolumeClaimRetentionPolicy");
  setIfUnset(retention, "whenDeleted", "Retain");
  setIfUnset(retention, "whenScaled", "Retain");
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  defaultTemplate(spec);
  // The claim templates get PersistentVolumeClaim defaults.
  for (const claim of objects(spec.volumeClaimTemplates)) {
    setIfUnset(ensure(claim, "spec"), "volumeMode", "Filesystem");
    setIfUnset(ensure(claim, "status"), "phase", "Pending");
  }
}

/** SetDefaults_DaemonSet (apps/v1): RollingUpdate with maxUnavailable 1 and maxSurge 0, ten revisions kept. */
function defaultDaemonSet(ds: Obj): void {
  const spec = ensure(ds, "spec");
  const strategy = ensure(spec, "updateStrategy");
  setIfUnset(strategy, "type", "RollingUpdate");
  if (strategy.type === "RollingUpdate") {
    const rollingUpdate = ensure(strategy, "rollingUpdate");
    if (rollingUpdate.maxUnavailable === undefined || rollingUpdate.maxUnavailable === null) rollingUpdate.maxUnavailable = 1;
    if (rollingUpdate.maxSurge === undefined || rollingUpdate.maxSurge === null) rollingUpdate.maxSurge = 0;
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  defaultTemplate(spec);
}

const absent = (v: unknown) => v === undefined || v === null;

/**
 * SetDefaults_Job (batch/v1): completions and parallelism 1 when both are
 * absent, backoffLimit 6 (the int32 maximum with backoffLimitPerIndex),
 * NonIndexed, not suspended, podReplacementPolicy TerminatingOrFailed (Failed
 * with a podFailurePolicy); a Job without labels takes its template's.
 */
function defaultJob(job: Obj): void {
  const spec = ensure(job, "spec");
  if (absent(spec.completions) && absent(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (absent(spec.parallelism)) spec.parallelism = 1;
  if (absent(spec.backoffLimit)) spec.backoffLimit = absent(spec.backoffLimitPerIndex) ? 6 : 2147483647;
  const templateLabels = isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata.labels : undefined;
  const meta = ensure(job, "metadata");
  if (isObj(templateLabels) && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0)) meta.labels = { ...templateLabels };
  if (absent(spec.completionMode)) spec.completionMode = "NonIndexed";
  if (absent(spec.suspend)) spec.suspend = false;
  if (isObj(spec.podFailurePolicy)) {
    for (const rule of objects(spec.podFailurePolicy.rules)) for (const pattern of objects(rule.onPodConditions)) setIfUnset(pattern, "status", "True");
  }
  if (absent(spec.podReplacementPolicy)) spec.podReplacementPolicy = isObj(spec.podFailurePolicy) ? "Failed" : "TerminatingOrFailed";
  defaultTemplate(spec);
}

/** SetDefaults_CronJob (batch/v1): Allow, not suspended, 3 successful and 1 failed Job kept; the job template's pod spec gets pod defaults. */
function defaultCronJob(cj: Obj): void {
  const spec = ensure(cj, "spec");
  setIfUnset(spec, "concurrencyPolicy", "Allow");
  if (absent(spec.suspend)) spec.suspend = false;
  if (absent(spec.successfulJobsHistoryLimit)) spec.successfulJobsHistoryLimit = 3;
  if (absent(spec.failedJobsHistoryLimit)) spec.failedJobsHistoryLimit = 1;
  defaultTemplate(ensure(ensure(spec, "jobTemplate"), "spec"));
}

export const DefaultClientIPServiceAffinitySeconds = 10800;

function defaultService(svc: Obj): void {
  const spec = ensure(svc, "spec");
  setIfUnset(spec, "sessionAffinity", "None");
  if (spec.sessionAffinity === "None") {
    delete spec.sessionAffinityConfig;
  } else if (spec.sessionAffinity === "ClientIP") {
    const config = spec.sessionAffinityConfig;
    const clientIP = isObj(config) ? config.clientIP : undefined;
    const timeout = isObj(clientIP) ? clientIP.timeoutSeconds : undefined;
    if (timeout === undefined || timeout === null) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DefaultClientIPServiceAffinitySeconds } };
    }
  }
  setIfUnset(spec, "type", "ClusterIP");
  for (const port of objects(spec.ports)) {
    setIfUnset(port, "protocol", "TCP");
    if (port.targetPort === undefined || port.targetPort === null || port.targetPort === 0 || port.targetPort === "") {
      port.targetPort = port.port;
    }
  }
  const type = spec.type;
  const externalIPs = Array.isArray(spec.externalIPs) ? spec.externalIPs : [];
  const externallyAccessible = type === "LoadBalancer" || type === "NodePort" || (type === "ClusterIP" && externalIPs.length > 0);
  if (externallyAccessible) setIfUnset(spec, "externalTrafficPolicy", "Cluster");
  if ((type === "ClusterIP" || type === "NodePort" || type === "LoadBalancer") && (spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === null)) {
    spec.internalTrafficPolicy = "Cluster";
  }
  if (type === "LoadBalancer" && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
    spec.allocateLoadBalancerNodePorts = true;
  }
  if (type === "ExternalName") return;
  // What the Service registry fills in on create (single-stack IPv4 cluster).
  const clusterIP = typeof spec.clusterIP === "string" ? spec.clusterIP : "";
  if (clusterIP !== "" && (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0)) spec.clusterIPs = [clusterIP];
  const primary = clusterIP !== "" ? clusterIP : Array.isArray(spec.clusterIPs) && typeof spec.clusterIPs[0] === "string" ? spec.clusterIPs[0] : "";
  const headless = primary === "None";
  const hasSelector = isObj(spec.selector) && Object.keys(spec.selector).length > 0;
  if (spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null) {
    spec.ipFamilyPolicy = headless && !hasSelector ? "RequireDualStack" : "SingleStack";
  }
  if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) {
    spec.ipFamilies = [primary.includes(":") ? "IPv6" : "IPv4"];
  }
}

function defaultEndpointSlice(slice: Obj): void {
  for (const port of objects(slice.ports)) {
    if (port.name === undefined || port.name === null) port.name = "";
    setIfUnset(port, "protocol", "TCP");
  }
}

function defaultNamespace(ns: Obj): void {
  const meta = ensure(ns, "metadata");
  if (typeof meta.name === "string" && meta.name !== "") ensure(meta, "labels")["kubernetes.io/metadata.name"] = meta.name;
  setIfUnset(ensure(ns, "status"), "phase", "Active");
}

/**
 * SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort: policyTypes
 * is [Ingress], plus Egress when there is an egress rule (so an egress-only
 * policy without policyTypes also isolates ingress); a port without protocol
 * is TCP. spec and podSelector are structs upstream: always present.
 */
function defaultNetworkPolicy(np: Obj): void {
  const spec = ensure(np, "spec");
  ensure(spec, "podSelector");
  const egress = Array.isArray(spec.egress) ? spec.egress : [];
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes = egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
  }
  const rules = [...objects(spec.ingress), ...objects(spec.egress)];
  // A protocol given as "" is a value (refused by validation), not an absence: Go's field is a pointer.
  for (const rule of rules) for (const port of objects(rule.ports)) if (port.protocol === undefined || port.protocol === null) port.protocol = "TCP";
}

/** SetDefaults_Secret: a secret without a type is Opaque. */
function defaultSecret(secret: Obj): void {
  setIfUnset(secret, "type", "Opaque");
}

/** SetDefaults_IngressClass: parameters without a scope are cluster-scoped. (Ingress has no defaults in v1: pathType is required.) */
function defaultIngressClass(ic: Obj): void {
  const spec = ic.spec;
  if (isObj(spec) && isObj(spec.parameters) && (spec.parameters.scope === undefined || spec.parameters.scope === null)) spec.parameters.scope = "Cluster";
}

function defaultNode(node: Obj): void {
  const status = node.status;
  if (isObj(status) && isObj(status.capacity) && (status.allocatable === undefined || status.allocatable === null)) {
    status.allocatable = { ...status.capacity };
  }
}

/** SetDefaults_EndpointPort: a port without protocol is TCP. */
function defaultEndpoints(ep: Obj): void {
  for (const subset of objects(ep.subsets)) for (const port of objects(subset.ports)) setIfUnset(port, "protocol", "TCP");
}

/** The HPA's scaling rules when behavior is given (autoscaling/v2 defaults.go): scale up by 4 pods or 100% per 15 s, at once. */
function defaultScaleUpRules(): Obj {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: "Max",
    policies: [
      { type: "Pods", value: 4, periodSeconds: 15 },
      { type: "Percent", value: 100, periodSeconds: 15 },
    ],
  };
}

/** Scale down by up to 100% per 15 s; the window is the controller's --horizontal-pod-autoscaler-downscale-stabilization (not defaulted). */
function defaultScaleDownRules(): Obj {
  return { selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] };
}

/** Fields given in a rule win; absent ones come from the defaults (copyHPAScalingRules). */
function fillScalingRules(given: unknown, defaults: Obj): Obj {
  if (!isObj(given)) return defaults;
  for (const key of ["selectPolicy", "stabilizationWindowSeconds", "policies"]) {
    if (given[key] === undefined || given[key] === null) {
      if (defaults[key] !== undefined) given[key] = defaults[key];
    }
  }
  return given;
}

/** SetDefaults_HorizontalPodAutoscaler: minReplicas 1, a CPU target of 80% when there are no metrics, full scaling rules under behavior. */
function defaultHorizontalPodAutoscaler(hpa: Obj): void {
  const spec = ensure(hpa, "spec");
  if (spec.minReplicas === undefined || spec.minReplicas === null) spec.minReplicas = 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }];
  }
  if (isObj(spec.behavior)) {
    spec.behavior.scaleUp = fillScalingRules(spec.behavior.scaleUp, defaultScaleUpRules());
    spec.behavior.scaleDown = fillScalingRules(spec.behavior.scaleDown, defaultScaleDownRules());
  }
}

const defaulters: Record<string, (o: Obj) => void> = {
  Pod: defaultPod,
  Deployment: defaultDeployment,
  ReplicaSet: defaultReplicaSet,
  StatefulSet: defaultStatefulSet,
  DaemonSet: defaultDaemonSet,
  Job: defaultJob,
  CronJob: defaultCronJob,
  Service: defaultService,
  EndpointSlice: defaultEndpointSlice,
  Namespace: defaultNamespace,
  Node: defaultNode,
  NetworkPolicy: defaultNetworkPolicy,
  Secret: defaultSecret,
  Endpoints: defaultEndpoints,
  HorizontalPodAutoscaler: defaultHorizontalPodAutoscaler,
  IngressClass: defaultIngressClass,
  // The Gateway API CRDs' schema defaults (HTTPRoute matches, weights, ref groups and kinds; listener allowedRoutes).
  Gateway: defaultGateway,
  HTTPRoute: defaultHTTPRoute,
};

/**
 * Returns a deep copy of obj with Kubernetes' defaults applied for its kind
 * (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Service, EndpointSlice, Namespace, Node,
 * NetworkPolicy, Secret, Endpoints, HorizontalPodAutoscaler, IngressClass, Gateway, HTTPRoute;
 * other kinds are only copied). Idempotent: applyDefaults(applyDefaults(x))
 * equals applyDefaults(x).
 */
export function applyDefaults<T extends KubeObject>(obj: T): T {
  const copy = structuredClone(obj);
  defaulters[copy.kind]?.(copy as unknown as Obj);
  return copy;
}
