// Services: type, ports, cluster IPs, session affinity, traffic policies,
// external IPs, load-balancer fields; cluster IPs may not change on update.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortNum } from "./names.js";
import { validateLabels } from "./labels.js";
import { ipFamilyOf, isIPv6, validateCIDR, validateIP, validateNonSpecialIP } from "./net.js";
import { validatePortNumOrName } from "./pod.js";
import { arr, child, index, isInt, obj, str, unset, type Obj } from "./util.js";

const serviceTypes = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const portProtocols = ["SCTP", "TCP", "UDP"];
export const MaxClientIPServiceAffinitySeconds = 86400;

function serviceType(spec: Obj): string {
  return unset(spec.type) ? "ClusterIP" : str(spec.type) || String(spec.type);
}

/**
 * The cluster IPs as the registry sees them: spec.clusterIPs, or
 * [spec.clusterIP] when only the singular field is set (the registry copies
 * one into the other before validating).
 */
export function serviceClusterIPs(spec: Obj): string[] {
  const ips = arr(spec.clusterIPs).map(str);
  if (ips.length > 0) return ips;
  const ip = str(spec.clusterIP);
  return ip === "" ? [] : [ip];
}

function isHeadless(spec: Obj): boolean {
  const ips = serviceClusterIPs(spec);
  return ips.length === 1 && ips[0] === "None";
}

function externallyAccessible(spec: Obj): boolean {
  const type = serviceType(spec);
  return type === "LoadBalancer" || type === "NodePort" || (type === "ClusterIP" && arr(spec.externalIPs).length > 0);
}

function validateServicePort(sp: Obj, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sp.name);
  if (requireName && name === "") {
    errs.push(fieldErrors.required(child(path, "name")));
  } else if (name !== "") {
    errs.push(...isDNS1123Label(name).map((msg) => fieldErrors.invalid(child(path, "name"), name, msg)));
    if (names.has(name)) errs.push(fieldErrors.duplicate(child(path, "name"), name));
    else names.add(name);
  }
  const port = sp.port ?? 0;
  if (typeof port !== "number") errs.push(fieldErrors.invalid(child(path, "port"), port, "must be an integer"));
  else errs.push(...isValidPortNum(port).map((msg) => fieldErrors.invalid(child(path, "port"), port, msg)));
  if (!unset(sp.protocol) && !portProtocols.includes(str(sp.protocol))) {
    errs.push(fieldErrors.notSupported(child(path, "protocol"), sp.protocol, portProtocols));
  }
  // An absent, 0 or "" targetPort is defaulted to the port.
  if (!unset(sp.targetPort) && sp.targetPort !== 0) errs.push(...validatePortNumOrName(sp.targetPort, child(path, "targetPort")));
  const nodePort = sp.nodePort;
  if (nodePort !== undefined && nodePort !== null && nodePort !== 0) {
    if (!isInt(nodePort)) errs.push(fieldErrors.invalid(child(path, "nodePort"), nodePort, "must be an integer"));
    else errs.push(...isValidPortNum(nodePort).map((msg) => fieldErrors.invalid(child(path, "nodePort"), nodePort, msg)));
  }
  if (typeof sp.appProtocol === "string") {
    const ap = sp.appProtocol;
    errs.push(...isQualifiedName(ap).map((msg) => fieldErrors.invalid(child(path, "appProtocol"), ap, msg)));
  }
  return errs;
}

function validateClusterIPs(spec: Obj): FieldError[] {
  if (serviceType(spec) === "ExternalName") return [];
  const errs: FieldError[] = [];
  const clusterIPsPath = "spec.clusterIPs";
  const explicit = arr(spec.clusterIPs).map(str);
  const clusterIP = str(spec.clusterIP);
  if (clusterIP !== "") {
    if (explicit.length > 0 && explicit[0] !== clusterIP) {
      errs.push(fieldErrors.invalid(clusterIPsPath, explicit, "first value must match `clusterIP`"));
    }
  } else if (explicit.length > 0) {
    errs.push(fieldErrors.invalid(clusterIPsPath, explicit, "must be empty when `clusterIP` is not specified"));
  }
  const families = arr(spec.ipFamilies).map(str);
  const seen = new Set<string>();
  families.forEach((f, i) => {
    const fPath = index("spec.ipFamilies", i);
    if (f !== "IPv4" && f !== "IPv6") errs.push(fieldErrors.notSupported(fPath, f, ["IPv4", "IPv6"]));
    if (seen.has(f)) errs.push(fieldErrors.duplicate(fPath, f));
    seen.add(f);
  });
  const policies = ["PreferDualStack", "RequireDualStack", "SingleStack"];
  if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null && !policies.includes(str(spec.ipFamilyPolicy))) {
    errs.push(fieldErrors.notSupported("spec.ipFamilyPolicy", spec.ipFamilyPolicy, policies));
  }
  const ips = serviceClusterIPs(spec);
  let invalid = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === "None") {
      if (ips.length > 1) {
        invalid = true;
        errs.push(fieldErrors.invalid(clusterIPsPath, ips, "'None' must be the first and only value"));
      }
      return;
    }
    const ipErrs = validateIP(index(clusterIPsPath, i), ip);
    if (ipErrs.length > 0) invalid = true;
    errs.push(...ipErrs);
  });
  if (ips.length > 2) errs.push(fieldErrors.invalid(clusterIPsPath, ips, "may only hold up to 2 values"));
  if (invalid) return errs;
  if (ips.length > 1) {
    const fams = ips.map(ipFamilyOf);
    if (!(fams.length === 2 && fams[0] !== fams[1])) {
      errs.push(fieldErrors.invalid(clusterIPsPath, ips, "may specify no more than one IP for each IP family"));
    }
  }
  if (!isHeadless(spec) && families.length > 0) {
    ips.forEach((ip, i) => {
      if (i >= families.length) return;
      if (families[i] === "IPv4" && isIPv6(ip)) {
        errs.push(fieldErrors.invalid(index(clusterIPsPath, i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      }
      if (families[i] === "IPv6" && !isIPv6(ip)) {
        errs.push(fieldErrors.invalid(index(clusterIPsPath, i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
      }
    });
  }
  return errs;
}

/** Service spec (metadata is checked by the caller); `old` turns on update rules. */
export function validateServiceSpec(svc: KubeObject, old?: KubeObject): FieldError[] {
  const spec = obj(svc.spec);
  const errs: FieldError[] = [];
  if (old) errs.push(...validateClusterIPUpdate(spec, obj(old.spec)));
  const type = serviceType(spec);
  const ports = arr(spec.ports).map(obj);
  const headless = isHeadless(spec);
  if (ports.length === 0 && !headless && type !== "ExternalName") errs.push(fieldErrors.required("spec.ports"));
  switch (type) {
    case "LoadBalancer":
    case "NodePort":
      if (headless) errs.push(fieldErrors.invalid("spec.clusterIPs[0]", "None", `may not be set to 'None' for ${type} services`));
      break;
    case "ExternalName": {
      if (serviceClusterIPs(spec).length > 0) errs.push(fieldErrors.forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
      if (arr(spec.ipFamilies).length > 0) errs.push(fieldErrors.forbidden("spec.ipFamilies", "may not be set for ExternalName services"));
      if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
        errs.push(fieldErrors.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"));
      }
      const name = str(spec.externalName);
      const cname = name.endsWith(".") ? name.slice(0, -1) : name;
      if (cname !== "") errs.push(...isDNS1123Subdomain(cname).map((msg) => fieldErrors.invalid("spec.externalName", cname, msg)));
      else errs.push(fieldErrors.required("spec.externalName"));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, index("spec.ports", i))));
  if (spec.selector !== undefined && spec.selector !== null) errs.push(...validateLabels(spec.selector, "spec.selector"));

  const affinity = spec.sessionAffinity;
  if (!unset(affinity) && affinity !== "ClientIP" && affinity !== "None") {
    errs.push(fieldErrors.notSupported("spec.sessionAffinity", affinity, ["ClientIP", "None"]));
  }
  if (affinity === "ClientIP") {
    const timeout = obj(obj(spec.sessionAffinityConfig).clientIP).timeoutSeconds;
    if (timeout !== undefined && timeout !== null && (!isInt(timeout) || timeout <= 0 || timeout > MaxClientIPServiceAffinitySeconds)) {
      errs.push(
        fieldErrors.invalid(
          "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
          timeout,
          `must be greater than 0 and less than ${MaxClientIPServiceAffinitySeconds}`,
        ),
      );
    }
  } else if (affinity === "None" && spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(fieldErrors.forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"));
  }

  errs.push(...validateClusterIPs(spec));

  arr(spec.externalIPs).forEach((raw, i) => {
    const ip = str(raw);
    const ipPath = index("spec.externalIPs", i);
    const ipErrs = validateIP(ipPath, ip);
    errs.push(...(ipErrs.length > 0 ? ipErrs : validateNonSpecialIP(ip, ipPath)));
  });

  if (!serviceTypes.includes(type)) errs.push(fieldErrors.notSupported("spec.type", spec.type, serviceTypes));

  if (type === "ClusterIP") {
    ports.forEach((p, i) => {
      if (p.nodePort !== undefined && p.nodePort !== null && p.nodePort !== 0) {
        errs.push(fieldErrors.forbidden(child(index("spec.ports", i), "nodePort"), "may not be used when `type` is 'ClusterIP'"));
      }
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!isInt(p.nodePort) || p.nodePort === 0) return;
    const k = `${str(p.protocol) || "TCP"}/${p.nodePort}`;
    if (nodePorts.has(k)) errs.push(fieldErrors.duplicate(child(index("spec.ports", i), "nodePort"), p.nodePort));
    nodePorts.add(k);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const protocol = str(p.protocol) || "TCP";
    const port = p.port ?? 0;
    const k = `${protocol}/${String(port)}`;
    if (portKeys.has(k)) errs.push(fieldErrors.duplicate(index("spec.ports", i), { protocol, port }));
    portKeys.add(k);
  });

  const ranges = arr(spec.loadBalancerSourceRanges);
  if (ranges.length > 0) {
    // Upstream reports this field with a capital L.
    const rangesPath = "spec.LoadBalancerSourceRanges";
    if (type !== "LoadBalancer") errs.push(fieldErrors.forbidden(rangesPath, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...validateCIDR(index(rangesPath, i), str(r).trim())));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && type !== "LoadBalancer") {
    errs.push(fieldErrors.forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
    if (type === "LoadBalancer") {
      const cls = str(spec.loadBalancerClass);
      errs.push(...isQualifiedName(cls).map((msg) => fieldErrors.invalid("spec.loadBalancerClass", cls, msg)));
    } else {
      errs.push(fieldErrors.forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"));
    }
  }

  const etp = spec.externalTrafficPolicy;
  if (!externallyAccessible(spec)) {
    if (!unset(etp)) errs.push(fieldErrors.invalid("spec.externalTrafficPolicy", etp, "may only be set for externally-accessible services"));
  } else if (!unset(etp) && etp !== "Cluster" && etp !== "Local") {
    errs.push(fieldErrors.notSupported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"]));
  }
  const hcnp = spec.healthCheckNodePort;
  if (hcnp !== undefined && hcnp !== null && hcnp !== 0) {
    if (!(type === "LoadBalancer" && etp === "Local")) {
      errs.push(fieldErrors.invalid("spec.healthCheckNodePort", hcnp, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    } else if (!isInt(hcnp) || isValidPortNum(hcnp).length > 0) {
      errs.push(...(isInt(hcnp) ? isValidPortNum(hcnp) : ["must be an integer"]).map((msg) => fieldErrors.invalid("spec.healthCheckNodePort", hcnp, msg)));
    }
  }
  const itp = spec.internalTrafficPolicy;
  if (itp !== undefined && itp !== null && itp !== "Cluster" && itp !== "Local") {
    errs.push(fieldErrors.notSupported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"]));
  }
  return errs;
}

/**
 * Cluster IPs may not change once allocated. Clearing them on update is not
 * an error (the registry keeps the allocated ones), allocating them later is
 * fine, and nothing applies when either side is an ExternalName service or
 * both are headless.
 */
function validateClusterIPUpdate(spec: Obj, oldSpec: Obj): FieldError[] {
  if (serviceType(spec) === "ExternalName" || serviceType(oldSpec) === "ExternalName") return [];
  if (isHeadless(spec) && isHeadless(oldSpec)) return [];
  const now = serviceClusterIPs(spec);
  const before = serviceClusterIPs(oldSpec);
  if (now.length === 0 || before.length === 0) return [];
  const errs: FieldError[] = [];
  for (let i = 0; i < Math.min(now.length, before.length); i++) {
    if (now[i] !== before[i]) errs.push(fieldErrors.invalid(index("spec.clusterIPs", i), now, "may not change once set"));
  }
  return errs;
}
