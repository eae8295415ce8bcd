// Kubernetes object shapes. We reuse kubernetes-models' generated interfaces
// (type-only: nothing of it is loaded at run time) and add the few things
// every kemu object is guaranteed to have once it is in the store.
import type { IIoK8sApimachineryPkgApisMetaV1ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import type { IIoK8sApimachineryPkgApisMetaV1LabelSelector } from "@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector";
import type { IIoK8sApimachineryPkgApisMetaV1OwnerReference } from "@kubernetes-models/apimachinery/apis/meta/v1/OwnerReference";
import type { IPod } from "kubernetes-models/v1/Pod";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IPodStatus } from "kubernetes-models/v1/PodStatus";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IContainerStatus } from "kubernetes-models/v1/ContainerStatus";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import type { INode } from "kubernetes-models/v1/Node";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IService } from "kubernetes-models/v1/Service";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IReplicaSet } from "kubernetes-models/apps/v1/ReplicaSet";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IDaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import type { IControllerRevision } from "kubernetes-models/apps/v1/ControllerRevision";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import type { IEndpointSlice } from "kubernetes-models/discovery.k8s.io/v1/EndpointSlice";
import type { ILease } from "kubernetes-models/coordination.k8s.io/v1/Lease";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IIngressClass } from "kubernetes-models/networking.k8s.io/v1/IngressClass";
import type { IEvent } from "kubernetes-models/v1/Event";
import type { IObjectReference } from "kubernetes-models/v1/ObjectReference";

export type ObjectMeta = IIoK8sApimachineryPkgApisMetaV1ObjectMeta;
export type LabelSelector = IIoK8sApimachineryPkgApisMetaV1LabelSelector;
export type OwnerReference = IIoK8sApimachineryPkgApisMetaV1OwnerReference;
export type PodSpec = IPodSpec;
export type PodStatus = IPodStatus;
export type Container = IContainer;
export type ContainerStatus = IContainerStatus;
export type PodTemplateSpec = IPodTemplateSpec;

/** Metadata as the store guarantees it after create. */
export interface StoredMeta extends ObjectMeta {
  name: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Any Kubernetes object, before or after it reaches the store. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** An object read back from the store: metadata is complete. */
export type Stored<T extends KubeObject> = T & { metadata: StoredMeta };

export type Pod = Omit<IPod, "metadata"> & { metadata: ObjectMeta } & KubeObject & { spec: PodSpec; status?: PodStatus };
export type Node = Omit<INode, "metadata"> & { metadata: ObjectMeta } & KubeObject;
export type Namespace = Omit<INamespace, "metadata"> & { metadata: ObjectMeta } & KubeObject;
export type Service = Omit<IService, "metadata"> & { metadata: ObjectMeta } & KubeObject;
export type Deployment = Omit<IDeployment, "metadata"> & { metadata: ObjectMeta } & KubeObject & {
  spec: NonNullable<IDeployment["spec"]>;
};
export type ReplicaSet = Omit<IReplicaSet, "metadata"> & { metadata: ObjectMeta } & KubeObject & {
  spec: NonNullable<IReplicaSet["spec"]>;
};
export type StatefulSet = Omit<IStatefulSet, "metadata"> & { metadata: ObjectMeta } & KubeObject & {
  spec: NonNullable<IStatefulSet["spec"]>;
};
export type DaemonSet = Omit<IDaemonSet, "metadata"> & { metadata: ObjectMeta } & KubeObject & {
  spec: NonNullable<IDaemonSet["spec"]>;
};
export type ControllerRevision = Omit<IControllerRevision, "metadata"> & { metadata: ObjectMeta } & KubeObject;
export type Job = Omit<IJob, "metadata"> & { metadata: ObjectMeta } & KubeObject & { spec: NonNullable<IJob["spec"]> };
export type CronJob = Omit<ICronJob, "metadata"> & { metadata: ObjectMeta } & KubeObject & { spec: NonNullable<ICronJob["spec"]> };
export type EndpointSlice = Omit<IEndpointSlice, "metadata"> & { metadata: ObjectMeta } & KubeObject;
export type Lease = Omit<ILease, "metadata"> & { metadata: ObjectMeta } & KubeObject;
export type NetworkPolicy = Omit<INetworkPolicy, "metadata"> & { metadata: ObjectMeta } & KubeObject & {
  spec: NonNullable<INetworkPolicy["spec"]>;
};
export type NetworkPolicyPeer = INetworkPolicyPeer;
export type Secret = Omit<ISecret, "metadata"> & { metadata: ObjectMeta } & KubeObject;
export type Ingress = Omit<IIngress, "metadata"> & { metadata: ObjectMeta } & KubeObject & { spec?: IIngress["spec"] };
export type IngressClass = Omit<IIngressClass, "metadata"> & { metadata: ObjectMeta } & KubeObject & { spec?: IIngressClass["spec"] };
export type NetworkPolicyPort = INetworkPolicyPort;
/** core/v1 Event (involvedObject may be absent on the wire: Go decodes it as a zero reference). */
export type Event = Omit<IEvent, "metadata" | "involvedObject"> & { metadata: ObjectMeta; involvedObject?: ObjectReference } & KubeObject;
export type ObjectReference = IObjectReference;

// policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy (kubernetes-sigs/network-policy-api
// apis/v1alpha2/clusternetworkpolicy_types.go); kubernetes-models has no types for it.
export type ClusterNetworkPolicyTier = "Admin" | "Baseline";
export type ClusterNetworkPolicyAction = "Accept" | "Deny" | "Pass";
export interface NamespacedPodSelector {
  namespaceSelector?: LabelSelector;
  podSelector: LabelSelector;
}
/** Exactly one field is set. */
export interface ClusterNetworkPolicySubject {
  namespaces?: LabelSelector;
  pods?: NamespacedPodSelector;
}
/** Exactly one field is set; `networks` only on egress peers. */
export interface ClusterNetworkPolicyPeer {
  namespaces?: LabelSelector;
  pods?: NamespacedPodSelector;
  networks?: string[];
}
/** Exactly one of number and range. */
export interface ClusterNetworkPolicyPortMatch {
  number?: number;
  range?: { start: number; end: number };
}
/** Exactly one field is set. */
export interface ClusterNetworkPolicyProtocol {
  tcp?: { destinationPort?: ClusterNetworkPolicyPortMatch };
  udp?: { destinationPort?: ClusterNetworkPolicyPortMatch };
  sctp?: { destinationPort?: ClusterNetworkPolicyPortMatch };
  destinationNamedPort?: string;
}
export interface ClusterNetworkPolicyIngressRule {
  name?: string;
  action: ClusterNetworkPolicyAction;
  from: ClusterNetworkPolicyPeer[];
  protocols?: ClusterNetworkPolicyProtocol[];
}
export interface ClusterNetworkPolicyEgressRule {
  name?: string;
  action: ClusterNetworkPolicyAction;
  to: ClusterNetworkPolicyPeer[];
  protocols?: ClusterNetworkPolicyProtocol[];
}
export interface ClusterNetworkPolicy extends KubeObject {
  apiVersion: "policy.networking.k8s.io/v1alpha2";
  kind: "ClusterNetworkPolicy";
  metadata: ObjectMeta;
  spec: {
    tier: ClusterNetworkPolicyTier;
    priority: number;
    subject: ClusterNetworkPolicySubject;
    ingress?: ClusterNetworkPolicyIngressRule[];
    egress?: ClusterNetworkPolicyEgressRule[];
  };
  status?: { conditions?: Array<Record<string, unknown>> };
}

// gateway.networking.k8s.io (kubernetes-sigs/gateway-api apis/v1/*_types.go, apis/v1beta1/
// referencegrant_types.go; standard channel). kubernetes-models has no types for them. Shapes
// are as stored: the fields the CRDs default are always present.

/** metav1.Condition, as Gateway API statuses carry them. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}
export interface ParentReference {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}
export interface SecretObjectReference {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}
export interface LocalObjectReference {
  group: string;
  kind: string;
  name: string;
}
export interface BackendObjectReference {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
  port?: number;
}
export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface GatewayClass extends KubeObject {
  apiVersion: "gateway.networking.k8s.io/v1";
  kind: "GatewayClass";
  metadata: ObjectMeta;
  spec: {
    controllerName: string;
    parametersRef?: { group: string; kind: string; name: string; namespace?: string };
    description?: string;
  };
  status?: { conditions?: Condition[]; supportedFeatures?: { name: string }[] };
}

export type GatewayTLSMode = "Terminate" | "Passthrough";
export type FromNamespaces = "All" | "Selector" | "Same";
export interface GatewayListener {
  name: string;
  hostname?: string;
  port: number;
  /** HTTP, HTTPS, TLS, TCP, UDP or a domain-prefixed implementation protocol */
  protocol: string;
  tls?: { mode: GatewayTLSMode; certificateRefs?: SecretObjectReference[]; options?: Record<string, string> };
  allowedRoutes: {
    namespaces: { from: FromNamespaces; selector?: LabelSelector };
    kinds?: { group: string; kind: string }[];
  };
}
export interface Gateway extends KubeObject {
  apiVersion: "gateway.networking.k8s.io/v1";
  kind: "Gateway";
  metadata: ObjectMeta;
  spec: {
    gatewayClassName: string;
    listeners: GatewayListener[];
    addresses?: { type: string; value?: string }[];
    infrastructure?: { labels?: Record<string, string>; annotations?: Record<string, string>; parametersRef?: LocalObjectReference };
  };
  status?: {
    addresses?: { type?: string; value: string }[];
    conditions?: Condition[];
    listeners?: { name: string; supportedKinds: { group?: string; kind: string }[]; attachedRoutes: number; conditions: Condition[] }[];
  };
}

export type PathMatchType = "Exact" | "PathPrefix" | "RegularExpression";
export type ValueMatchType = "Exact" | "RegularExpression";
export type HTTPMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "CONNECT" | "OPTIONS" | "TRACE" | "PATCH";
export interface HTTPRouteMatch {
  path: { type: PathMatchType; value: string };
  headers?: { type: ValueMatchType; name: string; value: string }[];
  queryParams?: { type: ValueMatchType; name: string; value: string }[];
  method?: HTTPMethod;
}
export interface HTTPHeaderFilter {
  set?: { name: string; value: string }[];
  add?: { name: string; value: string }[];
  remove?: string[];
}
export interface HTTPPathModifier {
  type: "ReplaceFullPath" | "ReplacePrefixMatch";
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}
export type HTTPRouteFilterType = "RequestHeaderModifier" | "ResponseHeaderModifier" | "RequestMirror" | "RequestRedirect" | "URLRewrite" | "ExtensionRef" | "CORS";
/** `type` names the one other field that is set. */
export interface HTTPRouteFilter {
  type: HTTPRouteFilterType;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: { backendRef: BackendObjectReference; percent?: number; fraction?: { numerator: number; denominator: number } };
  requestRedirect?: { scheme?: "http" | "https"; hostname?: string; path?: HTTPPathModifier; port?: number; statusCode: 301 | 302 | 303 | 307 | 308 };
  urlRewrite?: { hostname?: string; path?: HTTPPathModifier };
  extensionRef?: LocalObjectReference;
  cors?: { allowOrigins?: string[]; allowCredentials?: boolean; allowMethods?: string[]; allowHeaders?: string[]; exposeHeaders?: string[]; maxAge: number };
}
export interface HTTPBackendRef extends BackendObjectReference {
  weight: number;
  filters?: HTTPRouteFilter[];
}
export interface HTTPRouteRule {
  name?: string;
  matches: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  /** GEP-2257 durations, e.g. "10s", "1m30s" */
  timeouts?: { request?: string; backendRequest?: string };
}
export interface HTTPRoute extends KubeObject {
  apiVersion: "gateway.networking.k8s.io/v1";
  kind: "HTTPRoute";
  metadata: ObjectMeta;
  spec: { parentRefs?: ParentReference[]; hostnames?: string[]; rules: HTTPRouteRule[] };
  status?: { parents: RouteParentStatus[] };
}

export interface ReferenceGrant extends KubeObject {
  apiVersion: "gateway.networking.k8s.io/v1beta1";
  kind: "ReferenceGrant";
  metadata: ObjectMeta;
  spec: {
    from: { group: string; kind: string; namespace: string }[];
    to: { group: string; kind: string; name?: string }[];
  };
}

/** A list as the API returns it (kind "PodList", "List", ...). */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string };
  items: Stored<T>[];
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: Stored<T>;
}
