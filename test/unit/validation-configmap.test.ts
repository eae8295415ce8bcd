// ConfigMap (core v1) as kube-apiserver validates it: ValidateConfigMap and
// ValidateConfigMapUpdate (kubernetes/kubernetes pkg/apis/core/validation;
// the cases follow TestValidateConfigMap and TestValidateConfigMapUpdate in
// validation_test.go), with upstream's messages; served as configmaps (cm).
import { describe, it, expect } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import { typeCheck } from "../../src/api/typecheck.js";
import type { KubeObject } from "../../src/api/types.js";
import { withNamespaces } from "../support/fixtures.js";

const cm = (extra: Record<string, unknown> = {}, name = "valid-config"): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, ...extra });
const errs = (obj: KubeObject, old?: KubeObject) => validateObject(applyDefaults(obj), old && applyDefaults(old)).map(String);
const keyMsg =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

describe("ConfigMap validation (TestValidateConfigMap)", () => {
  it("accepts valid keys in data and binaryData, and no data at all", () => {
    expect(errs(cm({ data: { key: "value", "key.name": "v", KEY_NAME: "v", "key-name": "v", ".dotfile": "v" } }))).toEqual([]);
    expect(errs(cm({ binaryData: { "bin.key": Buffer.from([0, 1, 2]).toString("base64") } }))).toEqual([]);
    expect(errs(cm())).toEqual([]);
  });

  it("refuses bad keys, naming data[key] or binaryData[key]", () => {
    expect(errs(cm({ data: { "bad key": "v" } }))).toEqual([`data[bad key]: Invalid value: "bad key": ${keyMsg}`]);
    expect(errs(cm({ data: { "..": "v" } }))).toEqual(['data[..]: Invalid value: "..": must not be \'..\'']);
    expect(errs(cm({ binaryData: { "a/b": "AAAA" } }))).toEqual([`binaryData[a/b]: Invalid value: "a/b": ${keyMsg}`]);
  });

  it("refuses a key in both data and binaryData", () => {
    expect(errs(cm({ data: { same: "v" }, binaryData: { same: "AAAA" } }))).toEqual(['data[same]: Invalid value: "same": duplicate of key present in binaryData']);
  });

  it("refuses more than 1 MiB of values together (the whole object is named)", () => {
    const half = "x".repeat(512 * 1024);
    expect(errs(cm({ data: { a: half, b: half } }))).toEqual([]);
    expect(errs(cm({ data: { a: half, b: `${half}y` } }))).toEqual([": Too long: may not be more than 1048576 bytes"]);
    // binaryData counts decoded bytes: 3 bytes per 4 base64 characters.
    expect(errs(cm({ data: { a: half }, binaryData: { b: Buffer.alloc(512 * 1024 + 1).toString("base64") } }))).toEqual([": Too long: may not be more than 1048576 bytes"]);
  });

  it("names the name rule of a DNS subdomain", () => {
    expect(errs(cm({}, "Bad_Name"))[0]).toMatch(/^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });
});

describe("ConfigMap update (TestValidateConfigMapUpdate)", () => {
  it("lets a mutable ConfigMap change and become immutable", () => {
    expect(errs(cm({ data: { k: "2" } }), cm({ data: { k: "1" } }))).toEqual([]);
    expect(errs(cm({ data: { k: "1" }, immutable: true }), cm({ data: { k: "1" } }))).toEqual([]);
  });

  it("keeps an immutable ConfigMap's data, binaryData and immutability", () => {
    const old = cm({ data: { k: "1" }, binaryData: { b: "AAAA" }, immutable: true });
    expect(errs(cm({ data: { k: "1" }, binaryData: { b: "AAAA" }, immutable: true }), old)).toEqual([]);
    expect(errs(cm({ data: { k: "2" }, binaryData: { b: "AQID" } }), old)).toEqual([
      "immutable: Forbidden: field is immutable when `immutable` is set",
      "data: Forbidden: field is immutable when `immutable` is set",
      "binaryData: Forbidden: field is immutable when `immutable` is set",
    ]);
  });
});

describe("ConfigMap served", () => {
  it("is configmaps (cm) in the core group", () => {
    expect(resourceByName("cm")).toBe(resourceByKind("ConfigMap"));
    expect(resourceByKind("ConfigMap")).toMatchObject({ plural: "configmaps", group: "", version: "v1", namespaced: true });
  });

  it("type-checks values as strings, with map keys in the path", () => {
    expect(typeCheck(cm({ data: { port: 8080 } })).map(String)).toEqual(["data[port]: Invalid value: 8080: must be a string"]);
  });

  it("is stored without a generation, and an immutable one refuses a change through the API", () => {
    const api = withNamespaces();
    const CMS = resourceByKind("ConfigMap")!;
    const created = api.create(CMS, cm({ data: { k: "1" }, immutable: true }));
    expect(created.metadata.generation).toBeUndefined();
    expect(() => api.update(CMS, { ...cm({ data: { k: "2" }, immutable: true }) })).toThrow(
      'ConfigMap "valid-config" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    );
  });
});
