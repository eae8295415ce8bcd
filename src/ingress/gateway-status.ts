// Gateway API status: the condition types and reasons kemu writes (GW
// apis/v1/gateway_types.go, gatewayclass_types.go, shared_types.go), and the
// pure merges the controller applies before writing a status subresource:
// a condition keeps its lastTransitionTime while its status is unchanged
// (metav1.Condition's contract), an HTTPRoute's parents written by other
// controllers are left alone, and a write that changes nothing is skipped.
import type { Condition, WrittenRouteParentStatus } from "./gateway-types.js";
import type { ConditionWithoutTime, GatewayClassStatus, GatewayStatus, ParentReference, RouteParentStatus } from "./gateway-types.js";
import { GATEWAY_GROUP } from "./gateway-types.js";

export const ConditionType = {
  Accepted: "Accepted",
  ResolvedRefs: "ResolvedRefs",
  Programmed: "Programmed",
  Conflicted: "Conflicted",
} as const;

export const Reason = {
  // shared
  Accepted: "Accepted",
  ResolvedRefs: "ResolvedRefs",
  Programmed: "Programmed",
  Invalid: "Invalid",
  Pending: "Pending",
  // Gateway
  UnsupportedAddress: "UnsupportedAddress",
  AddressNotAssigned: "AddressNotAssigned",
  ListenersNotValid: "ListenersNotValid",
  // Listener
  UnsupportedProtocol: "UnsupportedProtocol",
  InvalidCertificateRef: "InvalidCertificateRef",
  InvalidRouteKinds: "InvalidRouteKinds",
  ProtocolConflict: "ProtocolConflict",
  HostnameConflict: "HostnameConflict",
  NoConflicts: "NoConflicts",
  // Route
  NotAllowedByListeners: "NotAllowedByListeners",
  NoMatchingListenerHostname: "NoMatchingListenerHostname",
  NoMatchingParent: "NoMatchingParent",
  UnsupportedValue: "UnsupportedValue",
  RefNotPermitted: "RefNotPermitted",
  InvalidKind: "InvalidKind",
  BackendNotFound: "BackendNotFound",
} as const;

/** A condition as translation computes it; observedGeneration only when the object has a generation. */
export function condition(type: string, ok: boolean, reason: string, message: string, generation: number | undefined): ConditionWithoutTime {
  return { type, status: ok ? "True" : "False", reason, message, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}

/**
 * The conditions to write: the fresh ones, in their order, each keeping the
 * old lastTransitionTime when a condition of its type had the same status
 * (metav1.Condition: "the last time the condition transitioned from one
 * status to another"). Old conditions of other types are dropped: the
 * caller owns the whole list.
 */
export function mergeConditions(old: Condition[] | undefined, fresh: ConditionWithoutTime[], now: string): Condition[] {
  return fresh.map((c) => {
    const before = old?.find((o) => o.type === c.type);
    return { ...c, lastTransitionTime: before !== undefined && before.status === c.status ? before.lastTransitionTime : now };
  });
}

/** GatewayClass status.conditions as written. */
export function mergeGatewayClassStatus(old: { conditions?: Condition[] } | undefined, fresh: GatewayClassStatus, now: string): { conditions: Condition[] } {
  return { conditions: mergeConditions(old?.conditions, fresh.conditions, now) };
}

/** The Gateway status as written: its conditions and each listener's (matched by name) merged. */
export function mergeGatewayStatus(
  old: { conditions?: Condition[]; listeners?: Array<{ name: string; conditions: Condition[] }> } | undefined,
  fresh: GatewayStatus,
  now: string,
): { addresses: GatewayStatus["addresses"]; conditions: Condition[]; listeners: Array<Omit<GatewayStatus["listeners"][number], "conditions"> & { conditions: Condition[] }> } {
  return {
    addresses: fresh.addresses,
    conditions: mergeConditions(old?.conditions, fresh.conditions, now),
    listeners: fresh.listeners.map((l) => ({ ...l, conditions: mergeConditions(old?.listeners?.find((o) => o.name === l.name)?.conditions, l.conditions, now) })),
  };
}

/** Two parentRefs name the same parent (defaults applied: group gateway.networking.k8s.io, kind Gateway, the route's namespace). */
export function sameParentRef(a: ParentReference, b: ParentReference, routeNamespace: string): boolean {
  return (
    (a.group ?? GATEWAY_GROUP) === (b.group ?? GATEWAY_GROUP) &&
    (a.kind ?? "Gateway") === (b.kind ?? "Gateway") &&
    (a.namespace ?? routeNamespace) === (b.namespace ?? routeNamespace) &&
    a.name === b.name &&
    a.sectionName === b.sectionName &&
    a.port === b.port
  );
}

/** HTTPRoute status.parents has at most 32 entries (the CRD's maxItems). */
export const MAX_ROUTE_PARENTS = 32;

/**
 * An HTTPRoute's status.parents as written: other controllers' entries kept
 * as they are (in their order), then ours, which replace every entry of our
 * controllerName; our conditions keep their transition times per parentRef.
 */
export function mergeRouteParents(
  existing: WrittenRouteParentStatus[] | undefined,
  ours: RouteParentStatus[],
  controllerName: string,
  now: string,
  routeNamespace = "",
): WrittenRouteParentStatus[] {
  const others = (existing ?? []).filter((p) => p.controllerName !== controllerName);
  const mine = (existing ?? []).filter((p) => p.controllerName === controllerName);
  const merged = ours.map((p) => ({
    parentRef: p.parentRef,
    controllerName: p.controllerName,
    conditions: mergeConditions(mine.find((m) => sameParentRef(m.parentRef, p.parentRef, routeNamespace))?.conditions, p.conditions, now),
  }));
  return [...others, ...merged].slice(0, MAX_ROUTE_PARENTS);
}

/** Whether writing `b` over `a` would change anything (deep, key order ignored): the writer skips no-op writes. */
export function statusChanged(a: unknown, b: unknown): boolean {
  return !deepEqual(a, b);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  // An absent key and one set to undefined are the same once serialised.
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual(ra[k], rb[k]));
}
