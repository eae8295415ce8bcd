// components.schemas of kemu's OpenAPI v3 documents, what `kubectl explain`
// reads (kubectl pkg/explain/v2/templates/plaintext.tmpl: the kind's schema
// is the component whose x-kubernetes-group-version-kind lists the GVK of the
// resource's operations; fields are followed through $ref, allOf, items and
// additionalProperties). Shapes as upstream's api/openapi-spec/v3 documents:
// io.k8s.* component names, int32/int64 formats, IntOrString and Quantity
// as kube-openapi's OpenAPIV3OneOfTypes, Time as a date-time string.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import type { ProtoSchema } from "../../src/api/protobuf/schema.js";
import { SCHEMA } from "../../src/api/protobuf/schema.js";
import { RESOURCES, SERVED_RESOURCES } from "../../src/api/resources.js";
import { openApiDocument, servedOpenApiDocument } from "../../src/api/openapi.js";
import { builtinComponents, componentName } from "../../src/api/openapi/builtin-schemas.js";
import { crdComponentName, crdKindSchema, crdSchemaObject } from "../../src/api/openapi/crd-schemas.js";
import { extensionTable, extensionsOf } from "../../src/api/openapi/list-extensions.js";
import type { SchemaObject } from "../../src/api/openapi/schema-object.js";

const core = () => openApiDocument("api/v1")!.components.schemas;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

describe("built-in kinds' schemas (from the protobuf schema)", () => {
  it("ConfigMap: TypeMeta added, a map of strings, a map of bytes, metadata a $ref, its GVK", () => {
    expect(core()["io.k8s.api.core.v1.ConfigMap"]).toEqual({
      description: "Named pieces of configuration data for pods to read.",
      type: "object",
      properties: {
        apiVersion: { type: "string" },
        binaryData: { type: "object", additionalProperties: { type: "string", format: "byte" } },
        data: { type: "object", additionalProperties: { type: "string" } },
        immutable: { type: "boolean" },
        kind: { type: "string" },
        metadata: ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
      },
      "x-kubernetes-group-version-kind": [{ group: "", kind: "ConfigMap", version: "v1" }],
    });
  });

  it("a Service port: int32 numbers, targetPort an IntOrString", () => {
    expect(core()["io.k8s.api.core.v1.ServicePort"]).toEqual({
      type: "object",
      properties: {
        appProtocol: { type: "string" },
        name: { type: "string" },
        nodePort: { type: "integer", format: "int32" },
        port: { type: "integer", format: "int32" },
        protocol: { type: "string" },
        targetPort: ref("io.k8s.apimachinery.pkg.util.intstr.IntOrString"),
      },
    });
  });

  // apimachinery intstr.go OpenAPISchemaFormat / OpenAPIV3OneOfTypes; quantity.go; time.go; runtime types.go.
  it("the special types: IntOrString, Quantity, Time, MicroTime, RawExtension, FieldsV1", () => {
    expect(core()["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toEqual({ format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }] });
    expect(core()["io.k8s.apimachinery.pkg.api.resource.Quantity"]).toEqual({ oneOf: [{ type: "string" }, { type: "number" }] });
    expect(core()["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]).toEqual({ type: "string", format: "date-time" });
    expect(core()["io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"]).toEqual({ type: "string", format: "date-time" });
    expect(core()["io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"]).toEqual({ type: "object" });
    expect(openApiDocument("apis/apps/v1")!.components.schemas["io.k8s.apimachinery.pkg.runtime.RawExtension"]).toEqual({ type: "object" });
  });

  it("a map of Quantities: resources' limits and requests", () => {
    expect(core()["io.k8s.api.core.v1.ResourceRequirements"]).toEqual({
      type: "object",
      properties: {
        claims: { type: "array", items: ref("io.k8s.api.core.v1.ResourceClaim") },
        limits: { type: "object", additionalProperties: ref("io.k8s.apimachinery.pkg.api.resource.Quantity") },
        requests: { type: "object", additionalProperties: ref("io.k8s.apimachinery.pkg.api.resource.Quantity") },
      },
    });
  });

  // k8s.io/api core/v1 types.go: Containers patchMergeKey=name, listType=map; Ports +listMapKey=containerPort +listMapKey=protocol.
  it("associative lists: containers by name, container ports by containerPort and protocol, service ports, volumes merge,retainKeys", () => {
    const s = core();
    expect(s["io.k8s.api.core.v1.PodSpec"]!.properties!.containers).toEqual({
      type: "array",
      items: ref("io.k8s.api.core.v1.Container"),
      "x-kubernetes-list-map-keys": ["name"],
      "x-kubernetes-list-type": "map",
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge",
    });
    expect(s["io.k8s.api.core.v1.Container"]!.properties!.ports).toEqual({
      type: "array",
      items: ref("io.k8s.api.core.v1.ContainerPort"),
      "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
      "x-kubernetes-list-type": "map",
      "x-kubernetes-patch-merge-key": "containerPort",
      "x-kubernetes-patch-strategy": "merge",
    });
    expect(s["io.k8s.api.core.v1.ServiceSpec"]!.properties!.ports!["x-kubernetes-list-map-keys"]).toEqual(["port", "protocol"]);
    expect(s["io.k8s.api.core.v1.PodSpec"]!.properties!.volumes!["x-kubernetes-patch-strategy"]).toBe("merge,retainKeys");
    expect(s["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]!.properties!.finalizers).toEqual({
      type: "array",
      items: { type: "string" },
      "x-kubernetes-list-type": "set",
      "x-kubernetes-patch-strategy": "merge",
    });
    // EphemeralContainer's fields come from its inline EphemeralContainerCommon, extensions included.
    expect(s["io.k8s.api.core.v1.EphemeralContainer"]!.properties!.env!["x-kubernetes-patch-merge-key"]).toBe("name");
  });

  it("a $ref with extensions is wrapped in allOf (Deployment's strategy: retainKeys)", () => {
    expect(openApiDocument("apis/apps/v1")!.components.schemas["io.k8s.api.apps.v1.DeploymentSpec"]!.properties!.strategy).toEqual({
      allOf: [ref("io.k8s.api.apps.v1.DeploymentStrategy")],
      "x-kubernetes-patch-strategy": "retainKeys",
    });
  });

  it("inline structs' fields are the parent's own (Volume, Probe)", () => {
    const s = core();
    const volume = Object.keys(s["io.k8s.api.core.v1.Volume"]!.properties!);
    expect(volume).toContain("name");
    expect(volume).toContain("configMap");
    expect(volume).not.toContain("volumeSource");
    expect(s["io.k8s.api.core.v1.Probe"]!.properties!.httpGet).toEqual(ref("io.k8s.api.core.v1.HTTPGetAction"));
    expect(s["io.k8s.api.core.v1.VolumeSource"]).toBeUndefined();
  });
});

describe("the generator on a small schema", () => {
  const tiny: ProtoSchema = {
    source: "test",
    kinds: { "v1/Thing": "k8s.io.api.core.v1.Thing" },
    messages: {
      "k8s.io.api.core.v1.Thing": {
        fields: {
          "1": ["spec", "k8s.io.api.core.v1.ThingSpec", ""],
          "2": ["extra", "k8s.io.api.core.v1.Extra", "m"],
        },
      },
      "k8s.io.api.core.v1.ThingSpec": {
        fields: {
          "1": ["count", "int64", "p"],
          "2": ["names", "string", "r"],
          "3": ["base", "k8s.io.api.core.v1.Base", "i"],
          "4": ["when", "k8s.io.apimachinery.pkg.apis.meta.v1.Time", ""],
        },
      },
      "k8s.io.api.core.v1.Base": { fields: { "1": ["name", "string", ""] } },
      "k8s.io.api.core.v1.Extra": { list: true, fields: { "1": ["items", "string", "r"] } },
      "k8s.io.apimachinery.pkg.apis.meta.v1.Time": { fields: { "1": ["seconds", "int64", ""], "2": ["nanos", "int32", ""] } },
    },
  };

  it("writes exactly the reached components: pointers as plain values, named slices as arrays, inline merged, specials replaced", () => {
    expect(builtinComponents(tiny, [{ apiKind: "v1/Thing", gvk: { group: "", kind: "Thing", version: "v1" } }], new Map())).toEqual({
      "io.k8s.api.core.v1.Thing": {
        type: "object",
        properties: {
          apiVersion: { type: "string" },
          extra: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
          kind: { type: "string" },
          spec: ref("io.k8s.api.core.v1.ThingSpec"),
        },
        "x-kubernetes-group-version-kind": [{ group: "", kind: "Thing", version: "v1" }],
      },
      "io.k8s.api.core.v1.ThingSpec": {
        type: "object",
        properties: {
          count: { type: "integer", format: "int64" },
          name: { type: "string" },
          names: { type: "array", items: { type: "string" } },
          when: ref("io.k8s.apimachinery.pkg.apis.meta.v1.Time"),
        },
      },
      "io.k8s.apimachinery.pkg.apis.meta.v1.Time": { type: "string", format: "date-time" },
    });
  });

  it("component names reverse the k8s.io domain; anything else is refused", () => {
    expect(componentName("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")).toBe("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    expect(() => componentName("example.com.v1.Foo")).toThrow("message example.com.v1.Foo is not a Kubernetes type");
  });

  it("a patch strategy entry naming a field the message lacks is an error", () => {
    const schema: ProtoSchema = { source: "test", kinds: { "v1/Service": "k8s.io.api.core.v1.Service" }, messages: { "k8s.io.api.core.v1.Service": { fields: {} } } };
    expect(() => extensionTable(schema, ["v1/Service"])).toThrow("patch strategy v1/Service.metadata: k8s.io.api.core.v1.Service has no field metadata");
  });

  it("extensionsOf: a keyed merge, a set, retainKeys alone, nothing", () => {
    expect(extensionsOf({ strategy: "merge", mergeKey: "port" }, ["protocol"])).toEqual({
      "x-kubernetes-list-map-keys": ["port", "protocol"],
      "x-kubernetes-list-type": "map",
      "x-kubernetes-patch-merge-key": "port",
      "x-kubernetes-patch-strategy": "merge",
    });
    expect(extensionsOf({ strategy: "merge" })).toEqual({ "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge" });
    expect(extensionsOf({ retainKeys: true })).toEqual({ "x-kubernetes-patch-strategy": "retainKeys" });
    expect(extensionsOf({ schema: {} })).toEqual({});
  });

  it("the table lays every served kind's strategies without a disagreement", () => {
    const served = RESOURCES.map((r) => `${r.group ? `${r.group}/` : ""}${r.version}/${r.kind}`).filter((k) => SCHEMA.kinds[k]);
    const table = extensionTable(SCHEMA, served);
    expect(table.get("k8s.io.api.core.v1.Container")!.get("env")!["x-kubernetes-patch-merge-key"]).toBe("name");
    expect(table.get("k8s.io.api.core.v1.EphemeralContainerCommon")!.get("volumeMounts")!["x-kubernetes-patch-merge-key"]).toBe("mountPath");
  });
});

describe("custom kinds' schemas (Gateway API, network-policy-api)", () => {
  it("component names reverse the group", () => {
    expect(crdComponentName({ group: "gateway.networking.k8s.io", kind: "Gateway", version: "v1" })).toBe("io.k8s.networking.gateway.v1.Gateway");
  });

  it("kemu's CRD schema as OpenAPI: limits, enums, defaults, required, list types, maps", () => {
    expect(
      crdSchemaObject({
        type: "object",
        properties: {
          mode: { type: "string", enum: ["A", "B"], default: "A" },
          port: { type: "integer", minimum: 1, maximum: 65535 },
          names: { type: "array", items: { type: "object", properties: { name: { type: "string", maxLength: 8 } } }, maxItems: 4, listType: "map", mapKeys: ["name"] },
          labels: { type: "object", values: { type: "string" }, maxProperties: 8 },
        },
        required: ["port"],
      }),
    ).toEqual({
      type: "object",
      properties: {
        labels: { type: "object", additionalProperties: { type: "string" }, maxProperties: 8 },
        mode: { type: "string", default: "A", enum: ["A", "B"] },
        names: {
          type: "array",
          items: { type: "object", properties: { name: { type: "string", maxLength: 8 } } },
          maxItems: 4,
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
        },
        port: { type: "integer", maximum: 65535, minimum: 1 },
      },
      required: ["port"],
    });
  });

  it("a kind without schema data: open spec and status, with TypeMeta, metadata and its GVK", () => {
    const gvk = { group: "policy.networking.k8s.io", kind: "ClusterNetworkPolicy", version: "v1alpha2" };
    expect(crdKindSchema(gvk, undefined)).toEqual({
      type: "object",
      properties: {
        apiVersion: { type: "string" },
        kind: { type: "string" },
        metadata: ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
        spec: { type: "object" },
        status: { type: "object" },
      },
      "x-kubernetes-group-version-kind": [gvk],
    });
  });

  it("Gateway: spec from kemu's validation schema, required spec, listeners a map list by name", () => {
    const gw = openApiDocument("apis/gateway.networking.k8s.io/v1")!.components.schemas["io.k8s.networking.gateway.v1.Gateway"]!;
    expect(gw.required).toEqual(["spec"]);
    expect(gw.properties!.spec!.required).toEqual(["gatewayClassName", "listeners"]);
    expect(gw.properties!.spec!.properties!.listeners!["x-kubernetes-list-map-keys"]).toEqual(["name"]);
  });
});

describe("a served view: events.k8s.io/v1 Event", () => {
  // k8s.io/api events/v1 types.go; the renaming is the view's own (events-v1.ts, pkg/apis/events/v1 conversion).
  it("core/v1 Event's fields under events.k8s.io/v1's names, its GVK, nested types core/v1's", () => {
    const t = (n: string) => ref(`io.k8s.apimachinery.pkg.apis.meta.v1.${n}`);
    expect(openApiDocument("apis/events.k8s.io/v1")!.components.schemas["io.k8s.api.events.v1.Event"]).toEqual({
      description: "A report of something that happened to an object.",
      type: "object",
      properties: {
        action: { type: "string" },
        apiVersion: { type: "string" },
        deprecatedCount: { type: "integer", format: "int32" },
        deprecatedFirstTimestamp: t("Time"),
        deprecatedLastTimestamp: t("Time"),
        deprecatedSource: ref("io.k8s.api.core.v1.EventSource"),
        eventTime: t("MicroTime"),
        kind: { type: "string" },
        metadata: t("ObjectMeta"),
        note: { type: "string" },
        reason: { type: "string" },
        regarding: ref("io.k8s.api.core.v1.ObjectReference"),
        related: ref("io.k8s.api.core.v1.ObjectReference"),
        reportingController: { type: "string" },
        reportingInstance: { type: "string" },
        series: ref("io.k8s.api.core.v1.EventSeries"),
        type: { type: "string" },
      },
      "x-kubernetes-group-version-kind": [{ group: "events.k8s.io", kind: "Event", version: "v1" }],
    });
  });
});

describe("every document", () => {
  const paths = [...new Set(SERVED_RESOURCES.map((r) => gvPath(r.group, r.version)))];

  /** Every $ref below a schema. */
  const refs = (s: unknown, out: string[] = []): string[] => {
    if (Array.isArray(s)) for (const v of s) refs(v, out);
    else if (s && typeof s === "object") for (const [k, v] of Object.entries(s)) (k === "$ref" ? out.push(v as string) : refs(v, out));
    return out;
  };

  it("each served kind has exactly one component with its GVK (what explain searches for), and every $ref resolves", () => {
    for (const path of paths) {
      const schemas = openApiDocument(path)!.components.schemas;
      for (const r of SERVED_RESOURCES.filter((x) => gvPath(x.group, x.version) === path)) {
        const gvk = { group: r.group, kind: r.kind, version: r.version };
        const hits = Object.values(schemas).filter((s: SchemaObject) => JSON.stringify(s["x-kubernetes-group-version-kind"]) === JSON.stringify([gvk]));
        expect(hits.length, `${path} ${r.kind}`).toBe(1);
      }
      for (const target of refs(schemas)) expect(schemas[target.replace("#/components/schemas/", "")], `${path} ${target}`).toBeDefined();
    }
  });

  // kubectl apply's patcher computes patches from the document only when PATCH has a strategic-merge requestBody (kubectl-api.md §3).
  it("no operation has a requestBody", () => {
    for (const path of paths) expect(servedOpenApiDocument(path)!.body).not.toContain("requestBody");
  });

  it("the hash in the index is the SHA-512 of the body served, schemas included", () => {
    const served = servedOpenApiDocument("api/v1")!;
    expect(served.body).toContain('"io.k8s.api.core.v1.PodSpec"');
    expect(served.hash).toBe(createHash("sha512").update(served.body).digest("hex").toUpperCase());
  });
});
