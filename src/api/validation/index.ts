// validateObject: the API server's validation for the kinds kemu serves.
//
// Call it the way the API server does: after applyDefaults (from
// ../defaults.js), with the stored object as `old` on update. Fields that
// applyDefaults fills in are not reported when absent, so undefaulted
// objects validate the same way. Errors carry upstream's field paths and
// wording; wrap them with ApiError.invalid(kind, group, name, errors).
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain, nameIsPathSegment, type NameValidator } from "./names.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "./metadata.js";
import { validatePodSpecForPod } from "./pod.js";
import { validateDeploymentSpec } from "./deployment.js";
import { validateReplicaSetSpec } from "./replicaset.js";
import { validateStatefulSetSpec } from "./statefulset.js";
import { validateDaemonSetSpec } from "./daemonset.js";
import { validateControllerRevisionBody } from "./controllerrevision.js";
import { validateJobBody } from "./job.js";
import { validateCronJobBody } from "./cronjob.js";
import { validateServiceSpec } from "./service.js";
import { validateEndpointSliceBody } from "./endpointslice.js";
import { validateNodeBody } from "./node.js";
import { validateNamespaceBody } from "./namespace.js";
import { validateLeaseBody } from "./lease.js";
import { validateNetworkPolicyBody } from "./networkpolicy.js";
import { validateClusterNetworkPolicyBody } from "./clusternetworkpolicy.js";
import { validateSecretBody } from "./secret.js";
import { validateIngressBody } from "./ingress.js";
import { validateIngressClassBody } from "./ingressclass.js";
import { validateGatewayBody, validateGatewayClassBody } from "./gateway-gateway.js";
import { validateHTTPRouteBody } from "./gateway-httproute.js";
import { validateReferenceGrantBody } from "./gateway-referencegrant.js";
import { validateEventBody } from "./event.js";
import { validateConfigMapBody } from "./configmap.js";
import { validateServiceAccountBody } from "./serviceaccount.js";
import { validateEndpointsBody } from "./endpoints.js";
import { validatePodDisruptionBudgetBody } from "./poddisruptionbudget.js";
import { validateHorizontalPodAutoscalerBody } from "./horizontalpodautoscaler.js";

export { validateObjectMeta, validateObjectMetaUpdate } from "./metadata.js";
export { validatePodSpec, validatePodTemplateSpec } from "./pod.js";
export { validateLabels, validateAnnotations, validateLabelName } from "./labels.js";
export * from "./names.js";
export { isValidIP, isIPv4, isIPv6, isValidCIDR, ipFamilyOf, cidrFamilyOf } from "./net.js";

interface KindRules {
  apiVersion: string;
  namespaced: boolean;
  nameFn: NameValidator;
  body: (obj: KubeObject, old?: KubeObject) => FieldError[];
}

const kinds: Record<string, KindRules> = {
  Pod: { apiVersion: "v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: (o, old) => validatePodSpecForPod(o.spec, old === undefined) },
  Service: { apiVersion: "v1", namespaced: true, nameFn: nameIsDNS1035Label, body: validateServiceSpec },
  Node: { apiVersion: "v1", namespaced: false, nameFn: nameIsDNSSubdomain, body: validateNodeBody },
  Namespace: { apiVersion: "v1", namespaced: false, nameFn: nameIsDNSLabel, body: validateNamespaceBody },
  Deployment: { apiVersion: "apps/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateDeploymentSpec },
  ReplicaSet: { apiVersion: "apps/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateReplicaSetSpec },
  StatefulSet: { apiVersion: "apps/v1", namespaced: true, nameFn: nameIsDNSLabel, body: validateStatefulSetSpec },
  DaemonSet: { apiVersion: "apps/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateDaemonSetSpec },
  ControllerRevision: { apiVersion: "apps/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateControllerRevisionBody },
  Job: { apiVersion: "batch/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateJobBody },
  CronJob: { apiVersion: "batch/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateCronJobBody },
  EndpointSlice: { apiVersion: "discovery.k8s.io/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateEndpointSliceBody },
  Lease: { apiVersion: "coordination.k8s.io/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateLeaseBody },
  NetworkPolicy: { apiVersion: "networking.k8s.io/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateNetworkPolicyBody },
  Secret: { apiVersion: "v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateSecretBody },
  // The event strategy checks no name syntax of its own: only the generic registry's path-segment rule applies.
  Event: { apiVersion: "v1", namespaced: true, nameFn: nameIsPathSegment, body: validateEventBody },
  ConfigMap: { apiVersion: "v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateConfigMapBody },
  ServiceAccount: { apiVersion: "v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateServiceAccountBody },
  Endpoints: { apiVersion: "v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateEndpointsBody },
  PodDisruptionBudget: { apiVersion: "policy/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validatePodDisruptionBudgetBody },
  HorizontalPodAutoscaler: { apiVersion: "autoscaling/v2", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateHorizontalPodAutoscalerBody },
  Ingress: { apiVersion: "networking.k8s.io/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateIngressBody },
  IngressClass: { apiVersion: "networking.k8s.io/v1", namespaced: false, nameFn: nameIsDNSSubdomain, body: validateIngressClassBody },
  // A custom resource's name is a DNS subdomain (apiextensions-apiserver's strategy).
  ClusterNetworkPolicy: { apiVersion: "policy.networking.k8s.io/v1alpha2", namespaced: false, nameFn: nameIsDNSSubdomain, body: validateClusterNetworkPolicyBody },
  GatewayClass: { apiVersion: "gateway.networking.k8s.io/v1", namespaced: false, nameFn: nameIsDNSSubdomain, body: validateGatewayClassBody },
  Gateway: { apiVersion: "gateway.networking.k8s.io/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateGatewayBody },
  HTTPRoute: { apiVersion: "gateway.networking.k8s.io/v1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateHTTPRouteBody },
  ReferenceGrant: { apiVersion: "gateway.networking.k8s.io/v1beta1", namespaced: true, nameFn: nameIsDNSSubdomain, body: validateReferenceGrantBody },
};

/** The kinds validateObject knows, sorted. */
export const supportedKinds: readonly string[] = Object.keys(kinds).sort();

/** Whether the kind is cluster-scoped (Node, Namespace); undefined for kinds validateObject does not know. */
export function isClusterScoped(kind: string): boolean | undefined {
  const rules = kinds[kind];
  return rules ? !rules.namespaced : undefined;
}

/**
 * Validates an object of a supported kind; pass the stored object as `old`
 * on update to also apply the rules about what may not change. Returns []
 * when the object is valid.
 */
export function validateObject(obj: KubeObject, old?: KubeObject): FieldError[] {
  const rules = kinds[obj.kind];
  if (!rules) return [fieldErrors.notSupported("kind", obj.kind, supportedKinds)];
  if (obj.apiVersion !== rules.apiVersion) return [fieldErrors.notSupported("apiVersion", obj.apiVersion, [rules.apiVersion])];
  const prior = old && old.kind === obj.kind ? old : undefined;
  const errs = validateObjectMeta(obj.metadata, { namespaced: rules.namespaced, nameFn: rules.nameFn });
  if (prior) errs.push(...validateObjectMetaUpdate(obj.metadata, prior.metadata));
  errs.push(...rules.body(obj, prior));
  return errs;
}
