// Merging computed Gateway API statuses into what is written: metav1.Condition's
// lastTransitionTime changes only when a condition's status changes
// (apimachinery meta.SetStatusCondition), an HTTPRoute's parents written by
// other controllers are kept (GW shared_types.go RouteStatus: "each
// controller ... adds/updates its own entries"), and an unchanged status is
// not written again.
import { describe, expect, it } from "vitest";
import { MAX_ROUTE_PARENTS, mergeConditions, mergeGatewayStatus, mergeRouteParents, statusChanged } from "../../src/ingress/gateway-status.js";
import type { Condition, ParentReference, WrittenRouteParentStatus } from "../../src/ingress/gateway-types.js";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:05:00Z";
const accepted = (status: "True" | "False", reason = status === "True" ? "Accepted" : "NotAllowedByListeners", observedGeneration = 1) => ({
  type: "Accepted",
  status,
  reason,
  message: reason,
  observedGeneration,
});
const resolved = { type: "ResolvedRefs", status: "True" as const, reason: "ResolvedRefs", message: "ok", observedGeneration: 1 };

describe("mergeConditions", () => {
  it("stamps new conditions with now", () => {
    expect(mergeConditions(undefined, [accepted("True")], T1)).toEqual([{ ...accepted("True"), lastTransitionTime: T1 }]);
  });

  it("keeps lastTransitionTime while the status is unchanged, even when reason, message or generation change", () => {
    const old: Condition[] = [{ ...accepted("True"), lastTransitionTime: T0 }];
    expect(mergeConditions(old, [accepted("True", "Accepted", 2)], T1)).toEqual([{ ...accepted("True", "Accepted", 2), lastTransitionTime: T0 }]);
  });

  it("a status change takes now; conditions no longer computed are dropped; fresh order kept", () => {
    const old: Condition[] = [
      { ...accepted("True"), lastTransitionTime: T0 },
      { type: "Stale", status: "True", reason: "X", message: "", lastTransitionTime: T0 },
    ];
    expect(mergeConditions(old, [resolved, accepted("False")], T1)).toEqual([
      { ...resolved, lastTransitionTime: T1 },
      { ...accepted("False"), lastTransitionTime: T1 },
    ]);
  });
});

describe("mergeGatewayStatus", () => {
  it("merges the Gateway's and each listener's conditions (listeners by name)", () => {
    const fresh = {
      addresses: [{ type: "IPAddress" as const, value: "172.18.255.200" }],
      conditions: [accepted("True")],
      listeners: [
        { name: "http", supportedKinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }], attachedRoutes: 2, conditions: [accepted("True")] },
        { name: "new", supportedKinds: [], attachedRoutes: 0, conditions: [accepted("True")] },
      ],
    };
    const old = { conditions: [{ ...accepted("True"), lastTransitionTime: T0 }], listeners: [{ name: "http", conditions: [{ ...accepted("False"), lastTransitionTime: T0 }] }] };
    const merged = mergeGatewayStatus(old, fresh, T1);
    expect(merged.conditions[0]!.lastTransitionTime).toBe(T0);
    expect(merged.listeners.map((l) => [l.name, l.attachedRoutes, l.conditions[0]!.lastTransitionTime])).toEqual([
      ["http", 2, T1],
      ["new", 0, T1],
    ]);
    expect(merged.addresses).toEqual(fresh.addresses);
  });
});

describe("mergeRouteParents", () => {
  const ours = "kemu.dev/gateway-controller";
  const ref = (name: string, sectionName?: string): ParentReference => ({ group: "gateway.networking.k8s.io", kind: "Gateway", name, ...(sectionName ? { sectionName } : {}) });
  const theirs: WrittenRouteParentStatus = { parentRef: ref("their-gw"), controllerName: "example.com/other", conditions: [{ ...accepted("True"), lastTransitionTime: T0 }] };

  it("keeps other controllers' entries, replaces all of ours, and keeps our transition times per parentRef", () => {
    const existing: WrittenRouteParentStatus[] = [
      { parentRef: ref("gw", "http"), controllerName: ours, conditions: [{ ...accepted("True"), lastTransitionTime: T0 }] },
      theirs,
      { parentRef: ref("gone"), controllerName: ours, conditions: [{ ...accepted("True"), lastTransitionTime: T0 }] },
    ];
    const merged = mergeRouteParents(
      existing,
      [
        { parentRef: ref("gw", "http"), controllerName: ours, conditions: [accepted("True"), resolved] },
        { parentRef: ref("gw", "https"), controllerName: ours, conditions: [accepted("False")] },
      ],
      ours,
      T1,
    );
    expect(merged).toEqual([
      theirs,
      { parentRef: ref("gw", "http"), controllerName: ours, conditions: [{ ...accepted("True"), lastTransitionTime: T0 }, { ...resolved, lastTransitionTime: T1 }] },
      { parentRef: ref("gw", "https"), controllerName: ours, conditions: [{ ...accepted("False"), lastTransitionTime: T1 }] },
    ]);
  });

  it("no parents of ours any more: only the others' entries remain; never more than the CRD's 32", () => {
    expect(mergeRouteParents([theirs, { parentRef: ref("gw"), controllerName: ours, conditions: [] }], [], ours, T1)).toEqual([theirs]);
    const many = Array.from({ length: 40 }, (_, i) => ({ parentRef: ref(`gw-${i}`), controllerName: ours, conditions: [accepted("True")] }));
    expect(mergeRouteParents([], many, ours, T1)).toHaveLength(MAX_ROUTE_PARENTS);
  });
});

describe("statusChanged", () => {
  it("is false for the same status in another key order or with undefined fields, true for any real difference", () => {
    const a = { conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "m", lastTransitionTime: T0 }], addresses: [] };
    expect(statusChanged(a, { addresses: [], conditions: [{ lastTransitionTime: T0, message: "m", reason: "Accepted", status: "True", type: "Accepted", observedGeneration: undefined }] })).toBe(false);
    expect(statusChanged(a, { ...a, addresses: [{ type: "IPAddress", value: "1.2.3.4" }] })).toBe(true);
    expect(statusChanged(a, { conditions: [{ ...a.conditions[0], status: "False" }], addresses: [] })).toBe(true);
    expect(statusChanged(undefined, a)).toBe(true);
    expect(statusChanged([1, 2], [2, 1])).toBe(true);
  });

  it("a second merge of the same computed status changes nothing (the writer skips it)", () => {
    const first = mergeConditions(undefined, [accepted("True"), resolved], T0);
    expect(statusChanged(first, mergeConditions(first, [accepted("True"), resolved], T1))).toBe(false);
  });
});
