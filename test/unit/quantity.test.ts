import { describe, it, expect } from "vitest";
import { parseQuantity, QuantityError } from "../../src/api/quantity.js";

describe("parseQuantity", () => {
  it.each([
    ["0", 0],
    ["2", 2],
    ["0.5", 0.5],
    [".5", 0.5],
    ["-1", -1],
    ["+3", 3],
    ["100m", 0.1],
    ["250m", 0.25],
    ["1500m", 1.5],
    ["12u", 0.000012],
    ["5n", 5e-9],
    ["1k", 1000],
    ["2M", 2e6],
    ["1G", 1e9],
    ["1T", 1e12],
    ["1P", 1e15],
    ["1E", 1e18],
    ["1Ki", 1024],
    ["64Mi", 67108864],
    ["1.5Gi", 1610612736],
    ["1Ti", 2 ** 40],
    ["1Pi", 2 ** 50],
    ["1Ei", 2 ** 60],
    ["1e3", 1000],
    ["5E-2", 0.05],
    ["1.5e+2", 150],
  ])("%s is %d", (text, value) => {
    expect(parseQuantity(text)).toBe(value);
  });

  it("passes numbers through", () => {
    expect(parseQuantity(3)).toBe(3);
    expect(parseQuantity(0.25)).toBe(0.25);
  });

  it.each(["", "abc", "1x", "1Kb", "Mi", "1 Mi", "e3", "1.2.3", "0x10"])("rejects %j", (text) => {
    expect(() => parseQuantity(text)).toThrow(QuantityError);
  });

  it("names the field and quotes the API server's reason", () => {
    expect(() => parseQuantity("abc", "spec.containers[0].resources.limits[cpu]")).toThrow(
      "spec.containers[0].resources.limits[cpu]: invalid quantity \"abc\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(() => parseQuantity("1e")).toThrow("invalid quantity \"1e\": unable to parse quantity's suffix");
    expect(() => parseQuantity(Number.NaN)).toThrow(QuantityError);
  });

  it("exposes the reason on the error", () => {
    try {
      parseQuantity("12Q");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(QuantityError);
      expect((e as QuantityError).reason).toBe("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
      expect((e as QuantityError).text).toBe("12Q");
    }
  });
});
