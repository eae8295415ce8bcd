// The Gateway API objects the router reads (their stored shapes live in
// src/api/types.ts) and the statuses it computes for them. Computed
// conditions carry no lastTransitionTime: gateway-status.ts stamps it when
// the controller merges them into what is written, so translation stays
// pure and a rebuild that changes nothing writes nothing.
import type { Condition, Gateway, GatewayClass, HTTPRoute, Namespace, ParentReference, ReferenceGrant } from "../api/types.js";

export type { Condition, Gateway, GatewayClass, GatewayListener, HTTPRoute, HTTPRouteRule, HTTPRouteMatch, HTTPRouteFilter, HTTPBackendRef, Namespace, ParentReference, ReferenceGrant } from "../api/types.js";
/** A route's parent status as written (conditions with lastTransitionTime). */
export type { RouteParentStatus as WrittenRouteParentStatus } from "../api/types.js";

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** metav1.Condition as translation computes it: the writer adds lastTransitionTime. */
export type ConditionWithoutTime = Omit<Condition, "lastTransitionTime">;

export interface GatewayClassStatus {
  conditions: ConditionWithoutTime[];
}

export interface ListenerStatus {
  name: string;
  supportedKinds: Array<{ group: string; kind: string }>;
  /** routes Accepted on this listener */
  attachedRoutes: number;
  conditions: ConditionWithoutTime[];
}

export interface GatewayStatus {
  addresses: Array<{ type: "IPAddress"; value: string }>;
  conditions: ConditionWithoutTime[];
  listeners: ListenerStatus[];
}

/** One entry of an HTTPRoute's status.parents, as computed. */
export interface RouteParentStatus {
  /** as the route wrote it */
  parentRef: ParentReference;
  controllerName: string;
  conditions: ConditionWithoutTime[];
}

/** What translation reads: the objects, and the few facts it asks the cluster about. */
export interface GatewayWorldObjects {
  gatewayClasses: GatewayClass[];
  gateways: Gateway[];
  routes: HTTPRoute[];
  grants: ReferenceGrant[];
  /** their labels, for allowedRoutes.namespaces.from: Selector */
  namespaces: Namespace[];
}
