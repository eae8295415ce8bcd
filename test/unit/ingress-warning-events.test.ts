// Translation warnings become Warning Events on the object they name.
import { describe, expect, it } from "vitest";
import { warningEvent } from "../../src/ingress/warning-events.js";

describe("warningEvent", () => {
  it("an unknown nginx annotation: UnknownAnnotation on the Ingress", () => {
    expect(warningEvent("Ingress default/web: annotation nginx.ingress.kubernetes.io/configuration-snippet is not supported by kemu's router; ignored")).toEqual({
      kind: "Ingress",
      namespace: "default",
      name: "web",
      reason: "UnknownAnnotation",
      message: "annotation nginx.ingress.kubernetes.io/configuration-snippet is not supported by kemu's router; ignored",
    });
  });

  it("a bad annotation value, a rule left out, a shadowed Gateway host", () => {
    expect(warningEvent('Ingress app/web: annotation nginx.ingress.kubernetes.io/proxy-body-size: "huge" is not a size (e.g. 8m, 512k, 0); using 1m')?.reason).toBe("InvalidAnnotation");
    expect(warningEvent("Ingress app/web rules[0].http.paths[1]: a resource backend cannot be proxied to; skipped")).toMatchObject({ name: "web", reason: "RuleIgnored", message: "a resource backend cannot be proxied to; skipped" });
    expect(warningEvent('Gateway default/gw port 80: host "a.b" of listener x is served by the more specific listener y')).toMatchObject({ kind: "Gateway", name: "gw", reason: "HostnameShadowed" });
  });

  it("a warning that names no object is no Event", () => {
    expect(warningEvent("something else")).toBeUndefined();
  });
});
