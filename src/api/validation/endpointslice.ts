// EndpointSlices: address type, endpoints and their addresses, ports.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { fieldImmutableErrorMsg, isDNS1123Label, isQualifiedName, isValidPortNum, nameIsDNSSubdomain } from "./names.js";
import { validateLabels } from "./labels.js";
import { validateFullyQualifiedDomainName, validateIPv4Address, validateIPv6Address, validateNonSpecialIP } from "./net.js";
import { arr, child, index, isInt, obj, str, tooMany, unset } from "./util.js";

const addressTypes = ["FQDN", "IPv4", "IPv6"];
const portProtocols = ["SCTP", "TCP", "UDP"];
export const maxEndpoints = 1000;
export const maxAddresses = 100;
export const maxPorts = 100;
const maxTopologyLabels = 16;

function validateEndpoints(endpoints: unknown[], addressType: string): FieldError[] {
  if (endpoints.length > maxEndpoints) return [tooMany("endpoints", endpoints.length, maxEndpoints)];
  const errs: FieldError[] = [];
  endpoints.forEach((raw, i) => {
    const ep = obj(raw);
    const idx = index("endpoints", i);
    const addrPath = child(idx, "addresses");
    const addresses = arr(ep.addresses).map(str);
    if (addresses.length === 0) errs.push(fieldErrors.required(addrPath, "must contain at least 1 address"));
    else if (addresses.length > maxAddresses) errs.push(tooMany(addrPath, addresses.length, maxAddresses));
    addresses.forEach((address, j) => {
      const aPath = index(addrPath, j);
      switch (addressType) {
        case "IPv4":
          errs.push(...validateIPv4Address(aPath, address), ...validateNonSpecialIP(address, aPath));
          break;
        case "IPv6":
          errs.push(...validateIPv6Address(aPath, address), ...validateNonSpecialIP(address, aPath));
          break;
        case "FQDN":
          errs.push(...validateFullyQualifiedDomainName(aPath, address));
          break;
      }
    });
    const topology = obj(ep.deprecatedTopology);
    if (Object.keys(topology).length > maxTopologyLabels) {
      errs.push(tooMany(child(idx, "deprecatedTopology"), Object.keys(topology).length, maxTopologyLabels));
    }
    errs.push(...validateLabels(topology, child(idx, "deprecatedTopology")));
    if (typeof ep.hostname === "string") {
      const hostname = ep.hostname;
      errs.push(...isDNS1123Label(hostname).map((msg) => fieldErrors.invalid(child(idx, "hostname"), hostname, msg)));
    }
    if (typeof ep.nodeName === "string") {
      const nodeName = ep.nodeName;
      errs.push(...nameIsDNSSubdomain(nodeName, false).map((msg) => fieldErrors.invalid(child(idx, "nodeName"), nodeName, msg)));
    }
  });
  return errs;
}

function validatePorts(ports: unknown[]): FieldError[] {
  if (ports.length > maxPorts) return [tooMany("ports", ports.length, maxPorts)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((raw, i) => {
    const p = obj(raw);
    const idx = index("ports", i);
    const name = str(p.name);
    if (name !== "") errs.push(...isDNS1123Label(name).map((msg) => fieldErrors.invalid(child(idx, "name"), name, msg)));
    if (names.has(name)) errs.push(fieldErrors.duplicate(child(idx, "name"), name));
    else names.add(name);
    if (!unset(p.protocol) && !portProtocols.includes(str(p.protocol))) {
      errs.push(fieldErrors.notSupported(child(idx, "protocol"), p.protocol, portProtocols));
    }
    if (p.port !== undefined && p.port !== null) {
      const port = p.port;
      if (!isInt(port)) errs.push(fieldErrors.invalid(child(idx, "port"), port, "must be an integer"));
      else errs.push(...isValidPortNum(port).map((msg) => fieldErrors.invalid(child(idx, "port"), port, msg)));
    }
    if (typeof p.appProtocol === "string") {
      const ap = p.appProtocol;
      errs.push(...isQualifiedName(ap).map((msg) => fieldErrors.invalid(child(idx, "appProtocol"), ap, msg)));
    }
  });
  return errs;
}

/** EndpointSlice body (metadata is checked by the caller); `old` turns on update rules. */
export function validateEndpointSliceBody(slice: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const addressType = slice.addressType;
  if (unset(addressType)) errs.push(fieldErrors.required("addressType"));
  else if (!addressTypes.includes(str(addressType))) errs.push(fieldErrors.notSupported("addressType", addressType, addressTypes));
  errs.push(...validateEndpoints(arr(slice.endpoints), str(addressType)));
  errs.push(...validatePorts(arr(slice.ports)));
  if (old && str(old.addressType) !== str(addressType)) errs.push(fieldErrors.invalid("addressType", addressType, fieldImmutableErrorMsg));
  return errs;
}
