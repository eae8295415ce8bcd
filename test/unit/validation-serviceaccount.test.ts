// ServiceAccount (core v1): ValidateServiceAccount checks only the metadata (a
// DNS-subdomain name); pods default spec.serviceAccountName to "default" as
// the ServiceAccount admission plugin sets it (plugin/pkg/admission/serviceaccount:
// DefaultServiceAccountName), and the v1 conversion mirrors it into the
// deprecated spec.serviceAccount.
import { describe, it, expect } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import type { KubeObject } from "../../src/api/types.js";

const sa = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: "default" }, ...extra });
const errs = (obj: KubeObject) => validateObject(applyDefaults(obj)).map(String);
const pod = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec: { containers: [{ name: "c", image: "x" }], ...spec } });

describe("ServiceAccount", () => {
  it("stores secrets, imagePullSecrets and automountServiceAccountToken as given", () => {
    expect(errs(sa("builder", { secrets: [{ name: "s" }], imagePullSecrets: [{ name: "registry" }], automountServiceAccountToken: false }))).toEqual([]);
  });

  it("needs a DNS-subdomain name", () => {
    expect(errs(sa("Builder"))[0]).toMatch(/^metadata\.name: Invalid value: "Builder": a lowercase RFC 1123 subdomain/);
  });

  it("is serviceaccounts (sa) in the core group", () => {
    expect(resourceByName("sa")).toBe(resourceByKind("ServiceAccount"));
    expect(resourceByKind("ServiceAccount")).toMatchObject({ plural: "serviceaccounts", group: "", version: "v1", namespaced: true });
  });
});

describe("pods' service account", () => {
  it("defaults to default, in both fields", () => {
    expect(applyDefaults(pod({})).spec).toMatchObject({ serviceAccountName: "default", serviceAccount: "default" });
  });

  it("keeps a given name and mirrors it into the deprecated field", () => {
    expect(applyDefaults(pod({ serviceAccountName: "builder" })).spec).toMatchObject({ serviceAccountName: "builder", serviceAccount: "builder" });
  });

  it("reads the deprecated field when serviceAccountName is empty", () => {
    expect(applyDefaults(pod({ serviceAccount: "legacy" })).spec).toMatchObject({ serviceAccountName: "legacy", serviceAccount: "legacy" });
  });

  it("leaves pod templates without a name unset (the admission plugin sees pods only)", () => {
    const d = applyDefaults({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d", namespace: "default" },
      spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "x" }] } } },
    });
    const spec = (d.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(spec.serviceAccountName).toBeUndefined();
    expect(spec.serviceAccount).toBeUndefined();
  });
});
