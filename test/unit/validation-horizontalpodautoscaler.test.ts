// HorizontalPodAutoscaler (autoscaling/v2) as kube-apiserver 1.32 defaults and
// validates it: SetDefaults_HorizontalPodAutoscaler (pkg/apis/autoscaling/v2/defaults.go)
// and validateHorizontalPodAutoscalerSpec, validateMetricSpec, validateMetricTarget,
// validateScalingRules (pkg/apis/autoscaling/validation; cases after
// TestValidateHorizontalPodAutoscaler). Stored only: nothing scales.
import { describe, it, expect } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import type { KubeObject } from "../../src/api/types.js";

const ref = { apiVersion: "apps/v1", kind: "Deployment", name: "web" };
const hpa = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "web", namespace: "default" }, spec: { scaleTargetRef: ref, maxReplicas: 5, ...spec } });
const errs = (obj: KubeObject, old?: KubeObject) => validateObject(applyDefaults(obj), old && applyDefaults(old)).map(String);
const cpu = (target: Record<string, unknown>) => ({ type: "Resource", resource: { name: "cpu", target } });

describe("HorizontalPodAutoscaler defaults", () => {
  it("minReplicas 1 and a CPU target of 80% when no metric is given", () => {
    expect(applyDefaults(hpa({})).spec).toEqual({
      scaleTargetRef: ref,
      maxReplicas: 5,
      minReplicas: 1,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }],
    });
  });

  it("fills both scaling rules once behavior is given, keeping what is set", () => {
    const spec = applyDefaults(hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } })).spec as Record<string, unknown>;
    expect(spec.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: "Max",
        policies: [
          { type: "Pods", value: 4, periodSeconds: 15 },
          { type: "Percent", value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] },
    });
  });
});

describe("HorizontalPodAutoscaler validation (TestValidateHorizontalPodAutoscaler)", () => {
  it("accepts the common shapes", () => {
    expect(errs(hpa({}))).toEqual([]);
    expect(errs(hpa({ metrics: [cpu({ type: "AverageValue", averageValue: "500m" })] }))).toEqual([]);
    expect(errs(hpa({ metrics: [{ type: "Pods", pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "1k" } } }] }))).toEqual([]);
    expect(
      errs(hpa({ metrics: [{ type: "Object", object: { describedObject: { kind: "Ingress", name: "main" }, metric: { name: "rps" }, target: { type: "Value", value: "10" } } }] })),
    ).toEqual([]);
  });

  it("checks replicas and the target reference", () => {
    expect(errs(hpa({ minReplicas: 0, maxReplicas: 0, scaleTargetRef: { kind: "", name: "a/b" } }))).toEqual([
      "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
      "spec.maxReplicas: Invalid value: 0: must be greater than 0",
      "spec.scaleTargetRef.kind: Required value",
      "spec.scaleTargetRef.name: Invalid value: \"a/b\": may not contain '/'",
      "spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas",
    ]);
    expect(errs(hpa({ minReplicas: 6 }))).toEqual(["spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`"]);
  });

  it("keeps minReplicas 0 allowed on an object that already has it", () => {
    const zero = hpa({ minReplicas: 0, metrics: [{ type: "External", external: { metric: { name: "queue" }, target: { type: "Value", value: "30" } } }] });
    expect(errs(zero, zero)).toEqual([]);
  });

  it("checks each metric's type, source and target", () => {
    expect(errs(hpa({ metrics: [{ type: "Resource", pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "1" } } }] }))).toEqual([
      "spec.metrics[0].resource: Required value: must populate information for the given metric source",
    ]);
    expect(errs(hpa({ metrics: [cpu({ type: "Utilization", averageUtilization: 0, averageValue: "-1" })] }))).toEqual([
      'spec.metrics[0].resource.target.averageValue: Invalid value: "-1": must be positive',
      "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
      "spec.metrics[0].resource.target.averageValue: Forbidden: may not set both a target raw value and a target utilization",
    ]);
    expect(errs(hpa({ metrics: [cpu({ type: "Percent" })] }))).toEqual([
      'spec.metrics[0].resource.target.type: Invalid value: "Percent": must be either Utilization, Value, or AverageValue',
      "spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization",
    ]);
    expect(errs(hpa({ metrics: [{ type: "Memory" }] }))).toEqual([
      'spec.metrics[0].type: Unsupported value: "Memory": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
      'spec.metrics[0].type: Unsupported value: "Memory": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
    ]);
  });

  it("checks scaling rules and their policies", () => {
    expect(
      errs(hpa({ behavior: { scaleUp: { stabilizationWindowSeconds: 4000, selectPolicy: "Avg", policies: [{ type: "Nodes", value: 0, periodSeconds: 1801 }] }, scaleDown: { policies: [] } } })),
    ).toEqual([
      "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal to 3600",
      'spec.behavior.scaleUp.selectPolicy: Unsupported value: "Avg": supported values: "Disabled", "Max", "Min"',
      'spec.behavior.scaleUp.policies[0].type: Unsupported value: "Nodes": supported values: "Percent", "Pods"',
      "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero",
      "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800",
      "spec.behavior.scaleDown.policies: Required value: must specify at least one Policy",
    ]);
  });

  it("is horizontalpodautoscalers (hpa) in autoscaling/v2", () => {
    expect(resourceByName("hpa")).toBe(resourceByKind("HorizontalPodAutoscaler"));
    expect(resourceByKind("HorizontalPodAutoscaler")).toMatchObject({ plural: "horizontalpodautoscalers", group: "autoscaling", version: "v2" });
  });
});
