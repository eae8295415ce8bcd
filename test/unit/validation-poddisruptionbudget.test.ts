// PodDisruptionBudget (policy/v1) as kube-apiserver validates it:
// ValidatePodDisruptionBudgetSpec (kubernetes/kubernetes pkg/apis/policy/validation;
// cases after TestValidatePodDisruptionBudgetSpec and
// TestValidateUnhealthyPodEvictionPolicyDisruptionBudgetSpec).
import { describe, it, expect } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import type { KubeObject } from "../../src/api/types.js";
import { withNamespaces } from "../support/fixtures.js";

const pdb = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web", namespace: "default" }, spec });
const errs = (obj: KubeObject) => validateObject(applyDefaults(obj)).map(String);
const selector = { matchLabels: { app: "web" } };

describe("PodDisruptionBudget validation (TestValidatePodDisruptionBudgetSpec)", () => {
  it("accepts an integer or a percentage, up to 100%", () => {
    for (const v of [0, 2, "0%", "50%", "100%"]) {
      expect(errs(pdb({ selector, minAvailable: v }))).toEqual([]);
      expect(errs(pdb({ selector, maxUnavailable: v }))).toEqual([]);
    }
    expect(errs(pdb({ selector: {} }))).toEqual([]);
  });

  it("refuses negative values, malformed and over-100 percentages", () => {
    expect(errs(pdb({ selector, minAvailable: -1 }))).toEqual(["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"]);
    expect(errs(pdb({ selector, maxUnavailable: "101%" }))).toEqual(['spec.maxUnavailable: Invalid value: "101%": must not be greater than 100%']);
    expect(errs(pdb({ selector, minAvailable: "1/2" }))).toEqual(['spec.minAvailable: Invalid value: "1/2": a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')']);
  });

  it("refuses minAvailable and maxUnavailable together, naming spec", () => {
    expect(errs(pdb({ selector, minAvailable: 1, maxUnavailable: 1 }))).toEqual([
      'spec: Invalid value: {"selector":{"matchLabels":{"app":"web"}},"minAvailable":1,"maxUnavailable":1}: minAvailable and maxUnavailable cannot be both set',
    ]);
  });

  it("validates the selector and the unhealthy pod eviction policy", () => {
    expect(errs(pdb({ selector: { matchExpressions: [{ key: "app", operator: "In" }] }, minAvailable: 1 }))).toEqual([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
    expect(errs(pdb({ selector, minAvailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" }))).toEqual([]);
    expect(errs(pdb({ selector, minAvailable: 1, unhealthyPodEvictionPolicy: "Never" }))).toEqual([
      'spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: "AlwaysAllow", "IfHealthyBudget"',
    ]);
  });

  it("is poddisruptionbudgets (pdb) in policy/v1, with a generation that follows spec changes", () => {
    expect(resourceByName("pdb")).toBe(resourceByKind("PodDisruptionBudget"));
    expect(resourceByKind("PodDisruptionBudget")).toMatchObject({ plural: "poddisruptionbudgets", group: "policy", version: "v1" });
    const api = withNamespaces();
    const PDBS = resourceByKind("PodDisruptionBudget")!;
    expect(api.create(PDBS, pdb({ selector, minAvailable: 1 })).metadata.generation).toBe(1);
    expect(api.update(PDBS, pdb({ selector, minAvailable: 2 })).metadata.generation).toBe(2);
  });
});
