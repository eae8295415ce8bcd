// Endpoints (core v1) as kube-apiserver validates them: ValidateEndpoints,
// validateEndpointSubsets, validateEndpointAddress, validateEndpointPort
// (kubernetes/kubernetes pkg/apis/core/validation; cases after
// TestValidateEndpointsCreate), and SetDefaults_EndpointPort (protocol TCP).
import { describe, it, expect } from "vitest";
import { validateObject } from "../../src/api/validation/index.js";
import { applyDefaults } from "../../src/api/defaults.js";
import { resourceByKind, resourceByName } from "../../src/api/resources.js";
import type { KubeObject } from "../../src/api/types.js";

const ep = (subsets: unknown[]): KubeObject => ({ apiVersion: "v1", kind: "Endpoints", metadata: { name: "web", namespace: "default" }, subsets }) as KubeObject;
const errs = (obj: KubeObject) => validateObject(applyDefaults(obj)).map(String);

describe("Endpoints validation (TestValidateEndpointsCreate)", () => {
  it("accepts ready and not-ready addresses with named ports, and a headless subset without ports", () => {
    expect(
      errs(
        ep([
          {
            addresses: [{ ip: "10.244.1.5", nodeName: "node-1", hostname: "web-0", targetRef: { kind: "Pod", name: "web-0", namespace: "default" } }],
            notReadyAddresses: [{ ip: "10.244.2.7" }],
            ports: [
              { name: "http", port: 80, protocol: "TCP" },
              { name: "dns", port: 53, protocol: "UDP", appProtocol: "dns" },
            ],
          },
          { addresses: [{ ip: "10.244.3.9" }] },
        ]),
      ),
    ).toEqual([]);
  });

  it("defaults a port's protocol to TCP", () => {
    const defaulted = applyDefaults(ep([{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80 }] }])) as KubeObject & { subsets: { ports: unknown[] }[] };
    expect(defaulted.subsets[0]!.ports).toEqual([{ port: 80, protocol: "TCP" }]);
  });

  it("needs an address in every subset", () => {
    expect(errs(ep([{ ports: [{ port: 80 }] }]))).toEqual(["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"]);
  });

  it("names bad and special addresses", () => {
    expect(errs(ep([{ addresses: [{ ip: "1.2.3" }] }]))).toEqual([
      'subsets[0].addresses[0].ip: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'subsets[0].addresses[0].ip: Invalid value: "1.2.3": must be a valid IP address',
    ]);
    expect(errs(ep([{ notReadyAddresses: [{ ip: "127.0.0.1" }] }]))).toEqual([
      'subsets[0].notReadyAddresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    ]);
    expect(errs(ep([{ addresses: [{ ip: "169.254.1.1" }] }]))).toEqual([
      'subsets[0].addresses[0].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
    ]);
    expect(errs(ep([{ addresses: [{ ip: "10.0.0.1", hostname: "Web_0", nodeName: "Node_1" }] }])).map((e) => e.split(":")[0])).toEqual([
      "subsets[0].addresses[0].hostname",
      "subsets[0].addresses[0].nodeName",
    ]);
  });

  it("needs names when a subset has several ports, a valid number and a known protocol", () => {
    expect(errs(ep([{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80 }, { name: "b", port: 0, protocol: "HTTP" }] }]))).toEqual([
      "subsets[0].ports[0].name: Required value",
      "subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
      'subsets[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ]);
  });

  it("is endpoints (ep) in the core group", () => {
    expect(resourceByName("ep")).toBe(resourceByKind("Endpoints"));
    expect(resourceByKind("Endpoints")).toMatchObject({ plural: "endpoints", singular: "endpoints", listKind: "EndpointsList", group: "", version: "v1" });
  });
});
