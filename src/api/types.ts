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
import type { IEndpointSlice } from "kubernetes-models/discovery.k8s.io/v1/EndpointSlice";
import type { ILease } from "kubernetes-models/coordination.k8s.io/v1/Lease";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IIngressClass } from "kubernetes-models/networking.k8s.io/v1/IngressClass";

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
