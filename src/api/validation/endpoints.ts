// Endpoints (core v1), as kube-apiserver validates them (pkg/apis/core/validation:
// ValidateEndpoints, validateEndpointSubsets, validateEndpointAddress,
// validateEndpointPort).
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { inclusiveRangeError, isDNS1123Label, isQualifiedName, isValidPortNum, nameIsDNSSubdomain } from "./names.js";
import { validateIP, validateNonSpecialIP } from "./net.js";
import { arr, child, index, isInt, obj, str, unset } from "./util.js";

const portProtocols = ["SCTP", "TCP", "UDP"];

export function validateEndpointsBody(ep: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  arr((ep as { subsets?: unknown }).subsets).forEach((raw, i) => {
    const ss = obj(raw);
    const idx = index("subsets", i);
    const addresses = arr(ss.addresses);
    const notReady = arr(ss.notReadyAddresses);
    // A headless Service's subsets may have no ports, but every subset has an address.
    if (addresses.length === 0 && notReady.length === 0) errs.push(fieldErrors.required(idx, "must specify `addresses` or `notReadyAddresses`"));
    addresses.forEach((a, j) => errs.push(...validateAddress(obj(a), index(child(idx, "addresses"), j))));
    notReady.forEach((a, j) => errs.push(...validateAddress(obj(a), index(child(idx, "notReadyAddresses"), j))));
    const ports = arr(ss.ports);
    ports.forEach((p, j) => errs.push(...validatePort(obj(p), ports.length > 1, index(child(idx, "ports"), j))));
  });
  return errs;
}

function validateAddress(address: Record<string, unknown>, path: string): FieldError[] {
  const ip = str(address.ip);
  const errs = validateIP(child(path, "ip"), ip);
  const hostname = str(address.hostname);
  if (hostname !== "") errs.push(...isDNS1123Label(hostname).map((msg) => fieldErrors.invalid(child(path, "hostname"), hostname, msg)));
  if (typeof address.nodeName === "string") {
    const nodeName = address.nodeName;
    errs.push(...nameIsDNSSubdomain(nodeName, false).map((msg) => fieldErrors.invalid(child(path, "nodeName"), nodeName, msg)));
  }
  // As upstream, a malformed IP is reported twice: not an IP, and not a usable one.
  errs.push(...validateNonSpecialIP(ip, child(path, "ip")));
  return errs;
}

function validatePort(port: Record<string, unknown>, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(port.name);
  if (requireName && name === "") errs.push(fieldErrors.required(child(path, "name")));
  else if (name !== "") errs.push(...isDNS1123Label(name).map((msg) => fieldErrors.invalid(child(path, "name"), name, msg)));
  const num = port.port;
  if (!isInt(num)) errs.push(fieldErrors.invalid(child(path, "port"), num ?? 0, inclusiveRangeError(1, 65535)));
  else errs.push(...isValidPortNum(num).map((msg) => fieldErrors.invalid(child(path, "port"), num, msg)));
  if (unset(port.protocol)) errs.push(fieldErrors.required(child(path, "protocol")));
  else if (!portProtocols.includes(str(port.protocol))) errs.push(fieldErrors.notSupported(child(path, "protocol"), port.protocol, portProtocols));
  if (typeof port.appProtocol === "string") {
    const ap = port.appProtocol;
    errs.push(...isQualifiedName(ap).map((msg) => fieldErrors.invalid(child(path, "appProtocol"), ap, msg)));
  }
  return errs;
}
