// The exec/attach channel protocol (k8s.io/apimachinery util/remotecommand,
// client-go tools/remotecommand v5/v4; shared reference kubectl-api.md §6):
// exact bytes of frames and statuses.
import { describe, it, expect } from "vitest";
import {
  CLOSE, ERROR, RESIZE, STDERR, STDIN, STDOUT,
  decodeFrame, encodeFrame, exitCodeStatus, internalErrorStatus, parseResize, pickProtocol, statusFrame, successStatus,
} from "../../src/api/stream/channels.js";

describe("channel numbers", () => {
  it("are upstream's: stdin 0, stdout 1, stderr 2, error 3, resize 4, close 255", () => {
    expect([STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE]).toEqual([0, 1, 2, 3, 4, 255]);
  });
});

describe("pickProtocol", () => {
  it("prefers v5, accepts v4, refuses the older ones", () => {
    expect(pickProtocol(["v5.channel.k8s.io"])).toBe("v5.channel.k8s.io");
    expect(pickProtocol(["v4.channel.k8s.io", "v5.channel.k8s.io"])).toBe("v5.channel.k8s.io");
    expect(pickProtocol([" v4.channel.k8s.io "])).toBe("v4.channel.k8s.io");
    expect(pickProtocol(["channel.k8s.io", "base64.channel.k8s.io", "v3.channel.k8s.io"])).toBeUndefined();
    expect(pickProtocol([])).toBeUndefined();
  });
});

describe("frames", () => {
  it("put the channel in byte 0", () => {
    expect([...encodeFrame(STDOUT, "hi\n")]).toEqual([1, 0x68, 0x69, 0x0a]);
    expect([...encodeFrame(STDERR, Buffer.from([0xff, 0x00]))]).toEqual([2, 0xff, 0x00]);
    expect([...encodeFrame(STDOUT, "")]).toEqual([1]);
  });

  it("decode the client's stdin, resize and v5 close", () => {
    expect(decodeFrame(Buffer.from([0, 0x61, 0x0a]))).toEqual({ channel: 0, data: Buffer.from("a\n") });
    expect(decodeFrame(Buffer.from([255, 0]))).toEqual({ channel: 255, data: Buffer.from([0]) });
    expect(decodeFrame(Buffer.alloc(0))).toBeUndefined();
  });
});

describe("parseResize", () => {
  it("reads client-go's TerminalSize JSON (with kubectl's newline)", () => {
    expect(parseResize(Buffer.from('{"Width":100,"Height":20}\n'))).toEqual({ width: 100, height: 20 });
  });
  it("ignores what is no size", () => {
    expect(parseResize(Buffer.from("{"))).toBeUndefined();
    expect(parseResize(Buffer.from('{"width":1,"height":2}'))).toBeUndefined();
    expect(parseResize(Buffer.from('{"Width":-1,"Height":2}'))).toBeUndefined();
    expect(parseResize(Buffer.from("null"))).toBeUndefined();
  });
});

describe("statuses on the error channel", () => {
  it("success is {metadata:{},status:Success}", () => {
    expect(statusFrame(successStatus()).toString("latin1")).toBe('\x03{"metadata":{},"status":"Success"}');
  });

  it("a non-zero exit is NonZeroExitCode with the ExitCode cause kubectl reads (containerd's message)", () => {
    expect(statusFrame(exitCodeStatus(["sh", "-c", "exit 3"], 3)).toString("latin1")).toBe(
      '\x03{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3",' +
        '"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
    );
  });

  it("any other failure is an InternalError, as apierrors.NewInternalError", () => {
    expect(internalErrorStatus("error executing command in container: spawn ENOENT")).toEqual({
      metadata: {},
      status: "Failure",
      message: "Internal error occurred: error executing command in container: spawn ENOENT",
      reason: "InternalError",
      details: { causes: [{ message: "error executing command in container: spawn ENOENT" }] },
      code: 500,
    });
  });
});
