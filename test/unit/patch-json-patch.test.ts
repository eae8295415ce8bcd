// JSON patch (RFC 6902) with JSON pointers (RFC 6901), against exact expected
// documents; examples after RFC 6902 appendix A.
import { describe, expect, it } from "vitest";
import { applyJsonPatch, JsonPatchError, MAX_JSON_PATCH_OPERATIONS } from "../../src/api/patch/json-patch.js";

const failure = (fn: () => unknown): [string, string] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof JsonPatchError) return [err.kind, err.message];
    throw err;
  }
  throw new Error("no error");
};

describe("JSON patch", () => {
  it("adds to an object, inserts into a list, appends with '-' (RFC 6902 A.1–A.3, A.16)", () => {
    const doc = { spec: { list: ["a", "c"] } };
    const out = applyJsonPatch(doc, [
      { op: "add", path: "/spec/x", value: 1 },
      { op: "add", path: "/spec/list/1", value: "b" },
      { op: "add", path: "/spec/list/-", value: "d" },
    ]);
    expect(out).toEqual({ spec: { x: 1, list: ["a", "b", "c", "d"] } });
    expect(doc).toEqual({ spec: { list: ["a", "c"] } });
  });

  it("removes, replaces, moves and copies (A.4–A.7, A.10)", () => {
    const doc = { a: { b: 1, c: 2 }, l: [1, 2, 3] };
    expect(
      applyJsonPatch(doc, [
        { op: "remove", path: "/l/1" },
        { op: "replace", path: "/a/b", value: 10 },
        { op: "move", from: "/a/c", path: "/moved" },
        { op: "copy", from: "/a", path: "/copy" },
      ]),
    ).toEqual({ a: { b: 10 }, l: [1, 3], moved: 2, copy: { b: 10 } });
  });

  it("unescapes ~1 and ~0 in pointers (RFC 6901 §4), as in an annotation key", () => {
    const doc = { metadata: { annotations: { "example.com/x~y": "1" } } };
    expect(applyJsonPatch(doc, [{ op: "replace", path: "/metadata/annotations/example.com~1x~0y", value: "2" }])).toEqual({
      metadata: { annotations: { "example.com/x~y": "2" } },
    });
  });

  it("test passes on an equal value and fails naming the operation (A.8, A.9)", () => {
    expect(applyJsonPatch({ a: [1, { b: 2 }] }, [{ op: "test", path: "/a", value: [1, { b: 2 }] }])).toEqual({ a: [1, { b: 2 }] });
    expect(failure(() => applyJsonPatch({ a: 1 }, [{ op: "add", path: "/b", value: 2 }, { op: "test", path: "/a", value: 2 }]))).toEqual([
      "failed",
      "json patch operation 1 (test /a): test failed: the value is 1, not 2",
    ]);
  });

  it("is all or nothing: a later failure leaves the input as it was", () => {
    const doc = { a: 1 };
    failure(() => applyJsonPatch(doc, [{ op: "replace", path: "/a", value: 2 }, { op: "remove", path: "/nope" }]));
    expect(doc).toEqual({ a: 1 });
  });

  it("refuses operations that do not apply (422 upstream), naming the operation index", () => {
    expect(failure(() => applyJsonPatch({ a: {} }, [{ op: "remove", path: "/a/b" }]))).toEqual(["failed", "json patch operation 0 (remove /a/b): /a/b does not exist"]);
    expect(failure(() => applyJsonPatch({ a: {} }, [{ op: "replace", path: "/x", value: 1 }]))).toEqual(["failed", "json patch operation 0 (replace /x): /x does not exist"]);
    expect(failure(() => applyJsonPatch({ l: [1] }, [{ op: "add", path: "/l/5", value: 1 }]))).toEqual(["failed", "json patch operation 0 (add /l/5): index 5 is out of bounds"]);
    expect(failure(() => applyJsonPatch({ l: [1] }, [{ op: "add", path: "/l/01", value: 1 }]))).toEqual(["failed", 'json patch operation 0 (add /l/01): "01" is not a list index']);
    expect(failure(() => applyJsonPatch({ a: { b: {} } }, [{ op: "move", from: "/a", path: "/a/b/c" }]))).toEqual([
      "failed",
      "json patch operation 0 (move /a/b/c): a value cannot be moved into one of its own children",
    ]);
  });

  it("refuses malformed patches (400 upstream)", () => {
    expect(failure(() => applyJsonPatch({}, { op: "add" }))).toEqual(["malformed", "a JSON patch must be a list of operations"]);
    expect(failure(() => applyJsonPatch({}, [{ op: "add", path: "/a" }]))).toEqual(["malformed", 'json patch operation 0 (add /a): "value" is required']);
    expect(failure(() => applyJsonPatch({}, [{ op: "copy", path: "/a" }]))).toEqual(["malformed", 'json patch operation 0 (copy /a): "from" must be a string']);
    expect(failure(() => applyJsonPatch({}, [{ op: "add", path: "a", value: 1 }]))).toEqual([
      "malformed",
      'json patch operation 0 (add a): "path" must be empty or start with "/" (got "a")',
    ]);
    expect(failure(() => applyJsonPatch({}, [{ op: "remove", path: "/a~2" }]))).toEqual(["malformed", 'json patch operation 0 (remove /a~2): "path" has a "~" not followed by 0 or 1']);
  });

  it("takes at most 10,000 operations (upstream's maxJSONPatchOperations)", () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: "test", path: "", value: {} }));
    expect(failure(() => applyJsonPatch({}, ops))).toEqual(["tooLarge", "The allowed maximum operations in a JSON patch is 10000, got 10001"]);
  });
});
