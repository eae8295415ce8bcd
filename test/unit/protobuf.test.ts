// Protobuf request bodies: bodies built here with a small encoder of our own
// (the wire format of protobuf's encoding guide, the envelope of apimachinery
// runtime/serializer/protobuf) decode to exact JSON objects — the JSON a JSON
// client sends for the same Go object.
import { describe, it, expect } from "vitest";
import { decodeBody } from "../../src/api/body.js";
import { ApiError } from "../../src/api/errors.js";
import { decodeProtobufBody, PROTOBUF } from "../../src/api/protobuf/index.js";
import { decodeMessage, DecodeError } from "../../src/api/protobuf/decode.js";
import { readEnvelope } from "../../src/api/protobuf/envelope.js";
import type { ProtoSchema } from "../../src/api/protobuf/schema.js";

// ---- a minimal protobuf encoder ----
function varint(n: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
/** A varint field (int32, int64, bool). */
const int = (field: number, n: bigint | number | boolean) => [...key(field, 0), ...varint(typeof n === "boolean" ? (n ? 1 : 0) : n)];
/** A length-delimited field: a string, bytes, or an encoded message. */
const bytes = (field: number, payload: string | number[] | Uint8Array) => {
  const b = typeof payload === "string" ? [...Buffer.from(payload, "utf8")] : [...payload];
  return [...key(field, 2), ...varint(b.length), ...b];
};
const msg = (field: number, ...parts: number[][]) => bytes(field, parts.flat());
/** A map<string, …> entry. */
const entry = (field: number, k: string, value: number[]) => msg(field, bytes(1, k), value);
const envelope = (apiVersion: string, kind: string, raw: number[]) =>
  Buffer.from([0x6b, 0x38, 0x73, 0x00, ...msg(1, bytes(1, apiVersion), bytes(2, kind)), ...bytes(2, raw), ...bytes(3, ""), ...bytes(4, "")]);
const time = (field: number, seconds: number, nanos = 0) => msg(field, int(1, seconds), int(2, nanos));

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError");
}

describe("protobuf request bodies", () => {
  it("a Deployment as kubectl create sends it: zero scalars of value fields left out, a pointer set to 0 kept, empty structs as {}, a container with command, ports, env and resources", () => {
    // Every non-pointer scalar is written by gogo's marshaller even when zero (name "", generation 0…), as here.
    const objectMeta = (name: string, labels: Record<string, string>) =>
      [bytes(1, name), bytes(2, ""), bytes(3, ""), bytes(4, ""), bytes(5, ""), bytes(6, ""), int(7, 0), msg(8), ...Object.entries(labels).map(([k, v]) => entry(11, k, bytes(2, v)))].flat();
    const container = [
      bytes(1, "agnhost"),
      bytes(2, "registry.k8s.io/e2e-test-images/agnhost:2.53"),
      bytes(3, "/agnhost"),
      bytes(3, "netexec"),
      bytes(3, "--http-port=8080"),
      bytes(5, ""),
      msg(6, bytes(1, "http"), int(2, 0), int(3, 8080), bytes(4, "TCP"), bytes(5, "")),
      msg(7, bytes(1, "MODE"), bytes(2, "fast")),
      msg(7, bytes(1, "FROM_CM"), bytes(2, ""), msg(3, msg(3, msg(1, bytes(1, "settings")), bytes(2, "mode"), int(3, false)))),
      msg(8, entry(1, "cpu", msg(2, bytes(1, "500m"))), entry(2, "memory", msg(2, bytes(1, "64Mi")))),
      bytes(13, ""),
      int(16, false),
    ].flat();
    const raw = [
      msg(1, objectMeta("web", { app: "web" })),
      msg(
        2,
        int(1, 0),
        msg(2, entry(1, "app", bytes(2, "web"))),
        msg(3, msg(1, objectMeta("", { app: "web" })), msg(2, msg(2, container), bytes(3, ""))),
        msg(4, bytes(1, "RollingUpdate"), msg(2, msg(1, int(1, 1), int(2, 0), bytes(3, "25%")), msg(2, int(1, 0), int(2, 0)))),
        int(5, 0),
        int(7, false),
      ),
      msg(3, int(1, 0), int(2, 0)),
    ].flat();
    expect(decodeBody(envelope("apps/v1", "Deployment", raw), PROTOBUF, "POST")).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", labels: { app: "web" } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            containers: [
              {
                name: "agnhost",
                image: "registry.k8s.io/e2e-test-images/agnhost:2.53",
                command: ["/agnhost", "netexec", "--http-port=8080"],
                ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
                env: [
                  { name: "MODE", value: "fast" },
                  // LocalObjectReference is inline in the JSON; optional is a *bool, so false stays.
                  { name: "FROM_CM", valueFrom: { configMapKeyRef: { name: "settings", key: "mode", optional: false } } },
                ],
                resources: { limits: { cpu: "500m" }, requests: { memory: "64Mi" } },
              },
            ],
          },
        },
        // maxUnavailable (a *IntOrString) is the string 25%; maxSurge is the int 0, kept because it is a pointer.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: 0 } },
      },
      status: {},
    });
  });

  it("a ConfigMap with data and binaryData (bytes as base64, an empty value kept)", () => {
    const raw = [
      msg(1, bytes(1, "settings"), bytes(3, "default")),
      entry(2, "mode", bytes(2, "fast")),
      entry(2, "empty", bytes(2, "")),
      entry(3, "blob", bytes(2, [0x00, 0x01, 0xff])),
      int(4, true),
    ].flat();
    expect(decodeBody(envelope("v1", "ConfigMap", raw), PROTOBUF, "PUT")).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: "default" },
      data: { mode: "fast", empty: "" },
      binaryData: { blob: "AAH/" },
      immutable: true,
    });
  });

  it("a Service whose ports' targetPort is an IntOrString: an int, a name", () => {
    const raw = [
      msg(1, bytes(1, "web")),
      msg(
        2,
        msg(1, bytes(1, "http"), bytes(2, "TCP"), int(3, 80), msg(4, int(1, 0), int(2, 8080), bytes(3, "")), int(5, 0)),
        msg(1, bytes(1, "admin"), bytes(2, "TCP"), int(3, 9090), msg(4, int(1, 1), int(2, 0), bytes(3, "admin-port"))),
        entry(2, "app", bytes(2, "web")),
        bytes(3, ""),
        bytes(4, "ClusterIP"),
        bytes(7, ""),
      ),
      msg(3, msg(1)),
    ].flat();
    expect(decodeBody(envelope("v1", "Service", raw), PROTOBUF, "POST")).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web" },
      spec: {
        ports: [
          { name: "http", protocol: "TCP", port: 80, targetPort: 8080 },
          { name: "admin", protocol: "TCP", port: 9090, targetPort: "admin-port" },
        ],
        selector: { app: "web" },
        type: "ClusterIP",
      },
      status: { loadBalancer: {} },
    });
  });

  it("a Job: pointer scalars (backoffLimit 0, suspend false), a negative int64, restartPolicy, an inline volume source and a probe's inline handler", () => {
    const raw = [
      msg(1, bytes(1, "once"), msg(8)),
      msg(
        2,
        int(3, -1),
        int(7, 0),
        int(10, false),
        msg(
          6,
          msg(1),
          msg(
            2,
            msg(1, bytes(1, "scratch"), msg(2, msg(2, bytes(1, "Memory"), msg(2, bytes(1, "1Gi"))))),
            msg(2, bytes(1, "main"), bytes(2, "busybox"), msg(11, msg(1, msg(2, bytes(1, "/healthz"), msg(2, int(1, 0), int(2, 8080)))), int(4, 5))),
            bytes(3, "Never"),
          ),
        ),
      ),
    ].flat();
    expect(decodeBody(envelope("batch/v1", "Job", raw), PROTOBUF, "POST")).toEqual({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "once" },
      spec: {
        activeDeadlineSeconds: -1,
        template: {
          metadata: {},
          spec: {
            volumes: [{ name: "scratch", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } }],
            containers: [{ name: "main", image: "busybox", readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 5 } }],
            restartPolicy: "Never",
          },
        },
        backoffLimit: 0,
        suspend: false,
      },
    });
  });

  it("times: metav1.Time to the second in UTC (nanos dropped), MicroTime to the microsecond, the zero time and an empty Time left out", () => {
    const raw = [
      msg(1, bytes(1, "leader"), time(8, 1_700_000_000, 999_999_999), time(9, -62135596800)),
      msg(2, bytes(1, "node-1"), int(2, 15), time(3, 1_700_000_000, 123_456_789), time(4, 0)),
    ].flat();
    expect(decodeBody(envelope("coordination.k8s.io/v1", "Lease", raw), PROTOBUF, "POST")).toEqual({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "leader", creationTimestamp: "2023-11-14T22:13:20Z" },
      spec: { holderIdentity: "node-1", leaseDurationSeconds: 15, acquireTime: "2023-11-14T22:13:20.123456Z", renewTime: "1970-01-01T00:00:00.000000Z" },
    });
  });

  it("a SelfSubjectAccessReview as kubectl auth can-i sends it; packed and unpacked repeated numbers; unknown fields skipped", () => {
    const raw = [msg(1), msg(2, msg(1, bytes(1, "default"), bytes(2, "create"), bytes(3, ""), bytes(5, "pods"))), msg(3, int(1, false)), bytes(99, "from a newer client")].flat();
    expect(decodeBody(envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", raw), PROTOBUF, "POST")).toEqual({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      metadata: {},
      spec: { resourceAttributes: { namespace: "default", verb: "create", resource: "pods" } },
      status: {},
    });
    // A tiny schema of our own for list encodings and the Duration.
    const schema: ProtoSchema = {
      source: "test",
      kinds: {},
      messages: {
        T: { fields: { 1: ["nums", "int32", "r"], 2: ["wait", "k8s.io.apimachinery.pkg.apis.meta.v1.Duration", ""], 3: ["items", "Item", "r"] } },
        Item: { fields: { 1: ["name", "string", ""] } },
      },
    };
    const body = [...bytes(1, [...varint(1), ...varint(-2), ...varint(300)]), ...int(1, 7), ...msg(2, int(1, 3_723_500_000_000)), ...msg(3, bytes(1, "a")), ...msg(3)];
    expect(decodeMessage(schema, "T", Uint8Array.from(body), { maxDepth: 100 })).toEqual({ nums: [1, -2, 300, 7], wait: "1h2m3.5s", items: [{ name: "a" }, {}] });
  });

  it("the envelope: prefix, typeMeta, raw", () => {
    const e = readEnvelope(envelope("v1", "ConfigMap", [1, 2, 3]));
    expect({ ...e, raw: [...e.raw] }).toEqual({ apiVersion: "v1", kind: "ConfigMap", raw: [1, 2, 3], contentEncoding: "", contentType: "" });
  });

  it("refusals: upstream's words for a missing prefix or an empty body (400); an unknown kind (415, naming it); PATCH never protobuf (415); malformed bytes (400, naming the field)", () => {
    const notProto = apiError(() => decodeBody(Buffer.from("{}"), PROTOBUF, "POST"));
    expect([notProto.code, notProto.message]).toEqual([400, "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"]);
    const empty = apiError(() => decodeProtobufBody(Buffer.from([0x6b, 0x38, 0x73, 0x00]), 100));
    expect([empty.code, empty.message]).toEqual([400, "empty body"]);
    const gateway = apiError(() => decodeBody(envelope("gateway.networking.k8s.io/v1", "Gateway", []), PROTOBUF, "POST"));
    expect([gateway.code, gateway.message]).toEqual([
      415,
      "the body of the request was in an unknown format - application/vnd.kubernetes.protobuf is not accepted for Gateway (gateway.networking.k8s.io/v1); accepted media types include: application/json",
    ]);
    const patch = apiError(() => decodeBody(envelope("v1", "ConfigMap", []), PROTOBUF, "PATCH"));
    expect([patch.code, patch.message]).toEqual([
      415,
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml",
    ]);
    const yaml = apiError(() => decodeBody("a: 1", "application/yaml", "POST"));
    expect(yaml.message).toBe("the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf");
    // A port's length runs past the end of the message.
    const truncated = [...msg(2, msg(1, bytes(1, "http"))), ...key(1, 2), 50];
    const bad = apiError(() => decodeBody(envelope("v1", "Service", truncated), PROTOBUF, "POST"));
    expect([bad.code, bad.message]).toEqual([400, "error decoding Service (v1) from protobuf: length 50 at byte 11 runs past the end of the message"]);
    const wrongWire = apiError(() => decodeBody(envelope("v1", "Service", msg(2, int(1, 5))), PROTOBUF, "POST"));
    expect(wrongWire.message).toBe("error decoding Service (v1) from protobuf: spec.ports[0]: wire type 0 cannot hold a message (ServicePort)");
    expect(() => decodeMessage({ source: "", kinds: {}, messages: { T: { fields: { 1: ["x", "int32", ""] } } } }, "T", Uint8Array.from(bytes(1, "no")), { maxDepth: 5 })).toThrow(
      new DecodeError("x", "wire type 2 cannot hold a int32"),
    );
  });

  it("an embedded RawExtension (a ControllerRevision's data) is its JSON, and the JSON nesting limit holds for what protobuf carries", () => {
    const raw = [msg(1, bytes(1, "rev-1")), msg(2, bytes(1, '{"spec":{"template":{}}}')), int(3, 2)].flat();
    expect(decodeBody(envelope("apps/v1", "ControllerRevision", raw), PROTOBUF, "POST")).toEqual({
      apiVersion: "apps/v1",
      kind: "ControllerRevision",
      metadata: { name: "rev-1" },
      data: { spec: { template: {} } },
      revision: 2,
    });
    const deep = [msg(1, bytes(1, "rev-1")), msg(2, bytes(1, "[".repeat(120) + "]".repeat(120)))].flat();
    const tooDeep = apiError(() => decodeBody(envelope("apps/v1", "ControllerRevision", deep), PROTOBUF, "POST"));
    expect([tooDeep.code, tooDeep.message]).toEqual([400, "the object nests more than 100 levels deep (kemu's limit on JSON nesting)"]);
  });
});
