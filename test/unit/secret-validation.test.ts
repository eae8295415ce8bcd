// Secret (core v1) as kube-apiserver converts, defaults and validates it:
// stringData merged into data by the v1 conversion (Convert_v1_Secret_To_core_Secret),
// type Opaque by SetDefaults_Secret, and ValidateSecret / ValidateSecretUpdate
// (kubernetes/kubernetes pkg/apis/core/validation/validation.go; the cases follow
// TestValidateSecret and TestValidateSecretUpdate in validation_test.go), with
// upstream's messages. No error may show a secret's value.
import { describe, it, expect } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { ApiError } from "../../src/api/errors.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import { decodedLength, mergeStringData } from "../../src/api/secret-data.js";
import { jsonObjectProblem } from "../../src/api/validation/secret.js";
import type { KubeObject } from "../../src/api/types.js";
import { withNamespaces } from "../support/fixtures.js";

const SECRETS = resourceByKind("Secret")!;
const b64 = (s: string) => Buffer.from(s).toString("base64");

function secret(extra: Record<string, unknown> = {}, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "Secret", metadata: { name: "foo", namespace: "bar", ...(annotations ? { annotations } : {}) }, data: { "data-1": b64("bar") }, ...extra };
}

function errs(obj: KubeObject, old?: KubeObject): string[] {
  return validateObject(applyDefaults(obj), old && applyDefaults(old)).map(String);
}

function invalid(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err.message;
    throw err;
  }
  throw new Error("expected an Invalid error");
}

describe("Secret: TestValidateSecret's cases", () => {
  it("accepts a valid secret, and keys with dots, dashes and underscores", () => {
    expect(errs(secret())).toEqual([]);
    expect(errs(secret({ data: { "dotted.key": b64("x"), "dash-key": b64("x"), under_key: b64("x"), ".dotfile": b64("x") } }))).toEqual([]);
  });

  it("refuses bad keys with the config-key messages", () => {
    expect(errs(secret({ data: { "a*b": b64("x") } }))).toEqual([
      `data[a*b]: Invalid value: "a*b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    ]);
    expect(errs(secret({ data: { "..": b64("x") } }))).toEqual([`data[..]: Invalid value: "..": must not be '..'`]);
    expect(errs(secret({ data: { "..x": b64("x") } }))).toEqual([`data[..x]: Invalid value: "..x": must not start with '..'`]);
  });

  it("refuses more than 1 MiB of decoded data in all (core.MaxSecretSize)", () => {
    const half = Buffer.alloc(512 * 1024 + 1).toString("base64");
    expect(errs(secret({ data: { a: half, b: half } }))).toEqual(["data: Too long: may not be more than 1048576 bytes"]);
    expect(errs(secret({ data: { a: Buffer.alloc(1024 * 1024).toString("base64") } }))).toEqual([]);
  });

  it("kubernetes.io/tls needs tls.crt and tls.key", () => {
    expect(errs(secret({ type: "kubernetes.io/tls", data: {} }))).toEqual(["data[tls.crt]: Required value", "data[tls.key]: Required value"]);
    expect(errs(secret({ type: "kubernetes.io/tls", data: { "tls.crt": b64("c"), "tls.key": "" } }))).toEqual([]);
  });

  it("docker config types need their key holding a JSON object, and never show it", () => {
    expect(errs(secret({ type: "kubernetes.io/dockerconfigjson", data: {} }))).toEqual(["data[.dockerconfigjson]: Required value"]);
    expect(errs(secret({ type: "kubernetes.io/dockercfg", data: {} }))).toEqual(["data[.dockercfg]: Required value"]);
    expect(errs(secret({ type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": b64('{"auths":{}}') } }))).toEqual([]);
    expect(errs(secret({ type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": b64("hunter2") } }))).toEqual([
      `data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'h' looking for beginning of value`,
    ]);
  });

  it("basic-auth needs username or password; ssh-auth a non-empty ssh-privatekey; service-account-token its annotation", () => {
    expect(errs(secret({ type: "kubernetes.io/basic-auth", data: {} }))).toEqual(["data[username]: Required value", "data[password]: Required value"]);
    expect(errs(secret({ type: "kubernetes.io/basic-auth", data: { password: "" } }))).toEqual([]);
    expect(errs(secret({ type: "kubernetes.io/ssh-auth", data: { "ssh-privatekey": "" } }))).toEqual(["data[ssh-privatekey]: Required value"]);
    expect(errs(secret({ type: "kubernetes.io/service-account-token" }))).toEqual(["metadata.annotations[kubernetes.io/service-account.name]: Required value"]);
    expect(errs(secret({ type: "kubernetes.io/service-account-token" }, { "kubernetes.io/service-account.name": "sa" }))).toEqual([]);
  });

  it("other types are free-form (no rules), as upstream's default case", () => {
    expect(errs(secret({ type: "example.com/anything" }))).toEqual([]);
  });

  it("a value that is not base64 is named without being shown", () => {
    expect(errs(secret({ data: { k: "hunter2!" } }))).toEqual([`data[k]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 7`]);
  });
});

describe("Secret: TestValidateSecretUpdate's cases", () => {
  it("type is immutable", () => {
    expect(errs(secret({ type: "example.com/other" }), secret())).toEqual([`type: Invalid value: "example.com/other": field is immutable`]);
  });

  it("an immutable secret keeps its data and stays immutable; a mutable one may become immutable", () => {
    const frozen = secret({ immutable: true });
    expect(errs(secret({ immutable: true }), frozen)).toEqual([]);
    expect(errs(secret({ immutable: true, data: { "data-1": b64("new") } }), frozen)).toEqual(["data: Forbidden: field is immutable when `immutable` is set"]);
    expect(errs(secret({ immutable: false }), frozen)).toEqual(["immutable: Forbidden: field is immutable when `immutable` is set"]);
    expect(errs(secret(), frozen)).toEqual(["immutable: Forbidden: field is immutable when `immutable` is set"]);
    expect(errs(secret({ immutable: true }), secret())).toEqual([]);
  });
});

describe("Secret: stringData and defaults", () => {
  it("stringData is written into data as base64, over data of the same key, and dropped", () => {
    const s = mergeStringData(secret({ data: { a: b64("old"), keep: b64("k") }, stringData: { a: "new", b: "héllo" } })) as KubeObject & { data: Record<string, string> };
    expect(s.data).toEqual({ a: b64("new"), keep: b64("k"), b: Buffer.from("héllo").toString("base64") });
    expect("stringData" in s).toBe(false);
  });

  it("type defaults to Opaque", () => {
    expect((applyDefaults(secret()) as { type?: string }).type).toBe("Opaque");
    expect((applyDefaults(secret({ type: "kubernetes.io/tls" })) as { type?: string }).type).toBe("kubernetes.io/tls");
  });

  it("decodedLength reads base64 as Go's StdEncoding (padding required, newlines skipped)", () => {
    expect(decodedLength("")).toEqual({ bytes: 0 });
    expect(decodedLength("YmFy")).toEqual({ bytes: 3 });
    expect(decodedLength("YQ==")).toEqual({ bytes: 1 });
    expect(decodedLength("YWI=")).toEqual({ bytes: 2 });
    expect(decodedLength("YmFy\nYmFy")).toEqual({ bytes: 6 });
    expect(decodedLength("YQ")).toEqual({ badByte: 0 });
    expect(decodedLength("YmFyYQ")).toEqual({ badByte: 4 });
    expect(decodedLength("Ym*y")).toEqual({ badByte: 2 });
  });

  it("jsonObjectProblem words Go's json.Unmarshal failures for the common cases", () => {
    expect(jsonObjectProblem("{}")).toBeUndefined();
    expect(jsonObjectProblem("")).toBe("unexpected end of JSON input");
    expect(jsonObjectProblem('{"a":')).toBe("unexpected end of JSON input");
    expect(jsonObjectProblem("[1]")).toBe("json: cannot unmarshal array into Go value of type map[string]interface {}");
  });
});

describe("Secret through the API server", () => {
  it("is served as secrets (core v1) and stores data, never stringData; get shows the type defaulted", () => {
    expect(resourceByName("secrets")).toBe(SECRETS);
    const api = withNamespaces();
    const created = api.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" }, stringData: { password: "p" } });
    expect(created).toMatchObject({ type: "Opaque", data: { password: b64("p") } });
    expect("stringData" in created).toBe(false);
    expect(created.metadata.generation).toBeUndefined();
    const patched = api.patch(SECRETS, "default", "s", { stringData: { user: "u" } });
    expect((patched as { data?: unknown }).data).toEqual({ password: b64("p"), user: b64("u") });
  });

  it("refuses an immutable secret's data change, naming the field", () => {
    const api = withNamespaces();
    api.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" }, immutable: true, stringData: { a: "1" } });
    expect(invalid(() => api.patch(SECRETS, "default", "s", { stringData: { a: "2" } }))).toBe(
      'Secret "s" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    );
  });

  it("shows no value in a type error either", () => {
    const api = withNamespaces();
    const message = invalid(() => api.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" }, stringData: { a: 12345 } } as unknown as KubeObject));
    expect(message).toBe('Secret "s" is invalid: stringData[a]: Invalid value: "<secret contents redacted>": must be a string');
    expect(message).not.toContain("12345");
  });
});
