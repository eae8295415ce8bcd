// Pods and pod templates: PodSpec, containers, ports, env, probes,
// lifecycle hooks, DNS settings, tolerations.
//
// Like the API server, these checks are meant for objects that went through
// applyDefaults; fields the defaulter fills in (restartPolicy, dnsPolicy,
// imagePullPolicy, port protocols, probe timings, httpGet path/scheme, ...)
// are not reported as missing, so raw objects validate the same way.
import { FieldError, fieldErrors } from "../errors.js";
import {
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isDNS1123SubdomainWithUnderscore,
  isHTTPHeaderName,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
} from "./names.js";
import { validateAnnotations, validateLabelName, validateLabels } from "./labels.js";
import { validateIP } from "./net.js";
import { validateResourceRequirements } from "./resources.js";
import { validateHostPathVolumeSource, validatePodSecurityContext, validateSecurityContext } from "./securitycontext.js";
import { arr, asObj, child, index, isInt, notFound, obj, str, unset, validateNonnegative, type Obj } from "./util.js";

const dns1123Label = (value: string, path: string) => isDNS1123Label(value).map((msg) => fieldErrors.invalid(path, value, msg));
const dns1123Subdomain = (value: string, path: string) => isDNS1123Subdomain(value).map((msg) => fieldErrors.invalid(path, value, msg));

const portProtocols = ["SCTP", "TCP", "UDP"];

/** A port given as a number (1-65535) or an IANA service name, as probes and Service targetPorts take them. */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === "string") return isValidPortName(port).map((msg) => fieldErrors.invalid(path, port, msg));
  const value = port === undefined || port === null ? 0 : port;
  if (typeof value !== "number") return [fieldErrors.invalid(path, value, "must be an integer or a port name")];
  return isValidPortNum(value).map((msg) => fieldErrors.invalid(path, value, msg));
}

function validatePortNumber(value: unknown, path: string): FieldError[] {
  if (!isInt(value)) return [fieldErrors.invalid(path, value, "must be an integer")];
  return isValidPortNum(value).map((msg) => fieldErrors.invalid(path, value, msg));
}

function validateContainerPorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((raw, i) => {
    const p = obj(raw);
    const idx = index(path, i);
    const name = str(p.name);
    if (name !== "") {
      const msgs = isValidPortName(name);
      if (msgs.length > 0) errs.push(...msgs.map((msg) => fieldErrors.invalid(child(idx, "name"), name, msg)));
      else if (names.has(name)) errs.push(fieldErrors.duplicate(child(idx, "name"), name));
      else names.add(name);
    }
    if (p.containerPort === undefined || p.containerPort === null || p.containerPort === 0) {
      errs.push(fieldErrors.required(child(idx, "containerPort")));
    } else {
      errs.push(...validatePortNumber(p.containerPort, child(idx, "containerPort")));
    }
    if (p.hostPort !== undefined && p.hostPort !== null && p.hostPort !== 0) {
      errs.push(...validatePortNumber(p.hostPort, child(idx, "hostPort")));
    }
    if (!unset(p.protocol) && !portProtocols.includes(str(p.protocol) || String(p.protocol))) {
      errs.push(fieldErrors.notSupported(child(idx, "protocol"), p.protocol, portProtocols));
    }
  });
  return errs;
}

const envFieldPaths = [
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
];
const resourceFieldPaths = ["limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"];

function validateKeySelector(sel: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sel.name);
  errs.push(...nameIsDNSSubdomain(name, false).map((msg) => fieldErrors.invalid(child(path, "name"), name, msg)));
  const k = str(sel.key);
  if (k === "") errs.push(fieldErrors.required(child(path, "key")));
  else errs.push(...isConfigMapKey(k).map((msg) => fieldErrors.invalid(child(path, "key"), k, msg)));
  return errs;
}

function validateEnvValueFrom(ev: Obj, path: string): FieldError[] {
  const from = asObj(ev.valueFrom);
  if (!from) return [];
  const errs: FieldError[] = [];
  let sources = 0;
  const fieldRef = asObj(from.fieldRef);
  if (fieldRef) {
    sources++;
    const refPath = child(path, "fieldRef");
    const fieldPath = str(fieldRef.fieldPath);
    if (fieldPath === "") {
      errs.push(fieldErrors.required(child(refPath, "fieldPath")));
    } else {
      const sub = /^(.*)\['(.*)'\]$/.exec(fieldPath);
      if (sub) {
        const [, base, subscript] = sub as unknown as [string, string, string];
        if (base === "metadata.annotations") {
          const lower = subscript.toLowerCase();
          errs.push(...isQualifiedName(lower).map((msg) => fieldErrors.invalid(refPath, lower, msg)));
        } else if (base === "metadata.labels") {
          errs.push(...validateLabelName(subscript, refPath));
        } else {
          errs.push(fieldErrors.invalid(refPath, base, "does not support subscript"));
        }
      } else if (!envFieldPaths.includes(fieldPath)) {
        errs.push(fieldErrors.notSupported(child(refPath, "fieldPath"), fieldPath, envFieldPaths));
      }
    }
  }
  const resourceRef = asObj(from.resourceFieldRef);
  if (resourceRef) {
    sources++;
    const resource = str(resourceRef.resource);
    const refPath = child(path, "resourceFieldRef");
    if (resource === "") errs.push(fieldErrors.required(child(refPath, "resource")));
    else if (!resourceFieldPaths.includes(resource) && !/^(requests|limits)\.hugepages-/.test(resource)) {
      errs.push(fieldErrors.notSupported(child(refPath, "resource"), resource, resourceFieldPaths));
    }
  }
  const configMapRef = asObj(from.configMapKeyRef);
  if (configMapRef) {
    sources++;
    errs.push(...validateKeySelector(configMapRef, child(path, "configMapKeyRef")));
  }
  const secretRef = asObj(from.secretKeyRef);
  if (secretRef) {
    sources++;
    errs.push(...validateKeySelector(secretRef, child(path, "secretKeyRef")));
  }
  if (sources === 0) {
    errs.push(fieldErrors.invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
  } else if (str(ev.value) !== "") {
    errs.push(fieldErrors.invalid(path, "", "may not be specified when `value` is not empty"));
  } else if (sources > 1) {
    errs.push(fieldErrors.invalid(path, "", "may not have more than one field specified at a time"));
  }
  return errs;
}

function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(env).forEach((raw, i) => {
    const ev = obj(raw);
    const idx = index(path, i);
    const name = str(ev.name);
    if (name === "") errs.push(fieldErrors.required(child(idx, "name")));
    else errs.push(...isRelaxedEnvVarName(name).map((msg) => fieldErrors.invalid(child(idx, "name"), name, msg)));
    errs.push(...validateEnvValueFrom(ev, child(idx, "valueFrom")));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(envFrom).forEach((raw, i) => {
    const ef = obj(raw);
    const idx = index(path, i);
    const prefix = str(ef.prefix);
    if (prefix !== "") errs.push(...isRelaxedEnvVarName(prefix).map((msg) => fieldErrors.invalid(child(idx, "prefix"), prefix, msg)));
    let sources = 0;
    for (const refName of ["configMapRef", "secretRef"] as const) {
      const ref = asObj(ef[refName]);
      if (!ref) continue;
      sources++;
      const name = str(ref.name);
      const namePath = child(idx, refName, "name");
      if (name === "") errs.push(fieldErrors.required(namePath));
      else errs.push(...nameIsDNSSubdomain(name, true).map((msg) => fieldErrors.invalid(namePath, name, msg)));
    }
    if (sources === 0) errs.push(fieldErrors.invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"));
    else if (sources > 1) errs.push(fieldErrors.invalid(path, "", "may not have more than one field specified at a time"));
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, volumes: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(mounts).forEach((raw, i) => {
    const m = obj(raw);
    const idx = index(path, i);
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (name === "") errs.push(fieldErrors.required(child(idx, "name")));
    if (!volumes.has(name)) errs.push(notFound(child(idx, "name"), name));
    if (mountPath === "") errs.push(fieldErrors.required(child(idx, "mountPath")));
    if (seen.has(mountPath)) errs.push(fieldErrors.invalid(child(idx, "mountPath"), mountPath, "must be unique"));
    seen.add(mountPath);
  });
  return errs;
}

const handlerKinds = ["exec", "httpGet", "tcpSocket", "grpc", "sleep"] as const;
type HandlerKind = (typeof handlerKinds)[number];

function validateHandler(handler: Obj, allowed: readonly HandlerKind[], gracePeriod: number, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const kind of allowed) {
    const h = handler[kind];
    if (h === undefined || h === null) continue;
    const hPath = child(path, kind);
    if (count > 0) {
      errs.push(fieldErrors.forbidden(hPath, "may not specify more than 1 handler type"));
      continue;
    }
    count++;
    const o = obj(h);
    switch (kind) {
      case "exec":
        if (arr(o.command).length === 0) errs.push(fieldErrors.required(child(hPath, "command")));
        break;
      case "httpGet": {
        errs.push(...validatePortNumOrName(o.port, child(hPath, "port")));
        if (!unset(o.scheme) && o.scheme !== "HTTP" && o.scheme !== "HTTPS") {
          errs.push(fieldErrors.notSupported(child(hPath, "scheme"), o.scheme, ["HTTP", "HTTPS"]));
        }
        for (const header of arr(o.httpHeaders)) {
          const name = str(obj(header).name);
          errs.push(...isHTTPHeaderName(name).map((msg) => fieldErrors.invalid(child(hPath, "httpHeaders"), name, msg)));
        }
        break;
      }
      case "tcpSocket":
        errs.push(...validatePortNumOrName(o.port, child(hPath, "port")));
        break;
      case "grpc":
        errs.push(...validatePortNumber(o.port ?? 0, child(hPath, "port")));
        break;
      case "sleep": {
        const seconds = o.seconds;
        if (!isInt(seconds) || seconds < 0 || seconds > gracePeriod) {
          errs.push(fieldErrors.invalid(hPath, seconds, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
        }
        break;
      }
    }
  }
  if (count === 0) errs.push(fieldErrors.required(path, "must specify a handler type"));
  return errs;
}

type ProbeKind = "livenessProbe" | "readinessProbe" | "startupProbe";

function validateProbe(probe: unknown, kind: ProbeKind, gracePeriod: number, path: string): FieldError[] {
  const p = asObj(probe);
  if (!p) return [];
  const errs = validateHandler(p, ["exec", "httpGet", "tcpSocket", "grpc"], gracePeriod, path);
  for (const field of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"]) {
    errs.push(...validateNonnegative(p[field], child(path, field)));
  }
  const tgps = p.terminationGracePeriodSeconds;
  if (tgps !== undefined && tgps !== null && (!isInt(tgps) || tgps <= 0)) {
    errs.push(fieldErrors.invalid(child(path, "terminationGracePeriodSeconds"), tgps, "must be greater than 0"));
  }
  if (kind === "readinessProbe") {
    if (tgps !== undefined && tgps !== null) {
      errs.push(fieldErrors.invalid(child(path, "terminationGracePeriodSeconds"), tgps, "must not be set for readinessProbes"));
    }
  } else if (isInt(p.successThreshold) && p.successThreshold !== 0 && p.successThreshold !== 1) {
    errs.push(fieldErrors.invalid(child(path, "successThreshold"), p.successThreshold, "must be 1"));
  }
  return errs;
}

function validateLifecycle(lifecycle: Obj, gracePeriod: number, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const hook of ["postStart", "preStop"]) {
    const h = asObj(lifecycle[hook]);
    if (h) errs.push(...validateHandler(h, ["exec", "httpGet", "tcpSocket", "sleep"], gracePeriod, child(path, hook)));
  }
  return errs;
}

function validateProbesAndLifecycle(c: Obj, gracePeriod: number, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const lifecycle = asObj(c.lifecycle);
  if (lifecycle) errs.push(...validateLifecycle(lifecycle, gracePeriod, child(path, "lifecycle")));
  for (const kind of ["livenessProbe", "readinessProbe", "startupProbe"] as const) {
    errs.push(...validateProbe(c[kind], kind, gracePeriod, child(path, kind)));
  }
  return errs;
}

function validateContainerCommon(c: Obj, volumes: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (name === "") errs.push(fieldErrors.required(child(path, "name")));
  else errs.push(...dns1123Label(name, child(path, "name")));
  if (str(c.image) === "") errs.push(fieldErrors.required(child(path, "image")));
  // YAML turns `command: [true]` into a boolean; the API server refuses anything but strings here.
  for (const field of ["command", "args"] as const) {
    arr(c[field]).forEach((v, i) => {
      if (typeof v !== "string") errs.push(fieldErrors.invalid(index(child(path, field), i), v, "must be a string (quote it in YAML)"));
    });
  }
  if (!unset(c.terminationMessagePolicy) && c.terminationMessagePolicy !== "File" && c.terminationMessagePolicy !== "FallbackToLogsOnError") {
    errs.push(fieldErrors.notSupported(child(path, "terminationMessagePolicy"), c.terminationMessagePolicy, ["File", "FallbackToLogsOnError"]));
  }
  errs.push(...validateContainerPorts(c.ports, child(path, "ports")));
  errs.push(...validateEnv(c.env, child(path, "env")));
  errs.push(...validateEnvFrom(c.envFrom, child(path, "envFrom")));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, child(path, "volumeMounts")));
  if (!unset(c.imagePullPolicy) && !["Always", "IfNotPresent", "Never"].includes(str(c.imagePullPolicy))) {
    errs.push(fieldErrors.notSupported(child(path, "imagePullPolicy"), c.imagePullPolicy, ["Always", "IfNotPresent", "Never"]));
  }
  errs.push(...validateResourceRequirements(c.resources, child(path, "resources")));
  errs.push(...validateSecurityContext(c.securityContext, child(path, "securityContext")));
  return errs;
}

/** hostPort clashes (protocol/hostIP/port) among the given containers. */
function checkHostPortConflicts(containers: Obj[], indices: number[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, n) => {
    arr(c.ports).forEach((raw, pi) => {
      const p = obj(raw);
      if (!isInt(p.hostPort) || p.hostPort === 0) return;
      const k = `${str(p.protocol) || "TCP"}/${str(p.hostIP)}/${p.hostPort}`;
      const portPath = child(index(child(index(path, indices[n]!), "ports"), pi), "hostPort");
      if (seen.has(k)) errs.push(fieldErrors.duplicate(portPath, k));
      else seen.add(k);
    });
  });
  return errs;
}

function validateContainers(list: unknown, volumes: Set<string>, gracePeriod: number, path: string): FieldError[] {
  const containers = arr(list).map(obj);
  if (containers.length === 0) return [fieldErrors.required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const cPath = index(path, i);
    errs.push(...validateContainerCommon(c, volumes, cPath));
    const name = str(c.name);
    if (names.has(name)) errs.push(fieldErrors.duplicate(child(cPath, "name"), name));
    else names.add(name);
    errs.push(...validateProbesAndLifecycle(c, gracePeriod, cPath));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      errs.push(fieldErrors.forbidden(child(cPath, "restartPolicy"), "may not be set for non-init containers"));
    }
  });
  errs.push(...checkHostPortConflicts(containers, containers.map((_, i) => i), path));
  return errs;
}

function validateInitContainers(list: unknown, regular: unknown, volumes: Set<string>, gracePeriod: number, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(arr(regular).map((c) => str(obj(c).name)));
  arr(list)
    .map(obj)
    .forEach((c, i) => {
      const cPath = index(path, i);
      errs.push(...validateContainerCommon(c, volumes, cPath));
      let restartAlways = false;
      if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
        if (c.restartPolicy !== "Always") errs.push(fieldErrors.notSupported(child(cPath, "restartPolicy"), c.restartPolicy, ["Always"]));
        restartAlways = c.restartPolicy === "Always";
      }
      const name = str(c.name);
      if (names.has(name)) errs.push(fieldErrors.duplicate(child(cPath, "name"), name));
      else if (name !== "") names.add(name);
      errs.push(...checkHostPortConflicts([c], [i], path));
      if (restartAlways) {
        errs.push(...validateProbesAndLifecycle(c, gracePeriod, cPath));
      } else {
        for (const field of ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"]) {
          if (c[field] !== undefined && c[field] !== null) {
            errs.push(fieldErrors.forbidden(child(cPath, field), "may not be set for init containers without restartPolicy=Always"));
          }
        }
      }
    });
  return errs;
}

function validateVolumes(list: unknown, path: string): { names: Set<string>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(list).forEach((raw, i) => {
    const name = str(obj(raw).name);
    const namePath = child(index(path, i), "name");
    const el: FieldError[] = name === "" ? [fieldErrors.required(namePath)] : dns1123Label(name, namePath);
    if (names.has(name)) el.push(fieldErrors.duplicate(namePath, name));
    if (el.length === 0) names.add(name);
    errs.push(...el);
    errs.push(...validateHostPathVolumeSource(obj(raw).hostPath, child(index(path, i), "hostPath")));
  });
  return { names, errs };
}

export const MaxDNSNameservers = 3;
export const MaxDNSSearchPaths = 32;
export const MaxDNSSearchListChars = 2048;

function validateDNSConfig(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const config = asObj(spec.dnsConfig);
  if (spec.dnsPolicy === "None") {
    if (!config) return [fieldErrors.required(path, "must provide `dnsConfig` when `dnsPolicy` is None")];
    if (arr(config.nameservers).length === 0) {
      return [fieldErrors.required(child(path, "nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None")];
    }
  }
  if (!config) return errs;
  const nameservers = arr(config.nameservers).map(str);
  if (nameservers.length > MaxDNSNameservers) {
    errs.push(fieldErrors.invalid(child(path, "nameservers"), nameservers, `must not have more than ${MaxDNSNameservers} nameservers`));
  }
  nameservers.forEach((ns, i) => errs.push(...validateIP(index(child(path, "nameservers"), i), ns)));
  const searches = arr(config.searches).map(str);
  if (searches.length > MaxDNSSearchPaths) {
    errs.push(fieldErrors.invalid(child(path, "searches"), searches, `must not have more than ${MaxDNSSearchPaths} search paths`));
  }
  if (searches.join(" ").length > MaxDNSSearchListChars) {
    errs.push(
      fieldErrors.invalid(child(path, "searches"), searches, `must not have more than ${MaxDNSSearchListChars} characters (including spaces) in the search list`),
    );
  }
  searches.forEach((s, i) => {
    if (s === ".") return;
    const trimmed = s.endsWith(".") ? s.slice(0, -1) : s;
    const sPath = index(child(path, "searches"), i);
    errs.push(...isDNS1123SubdomainWithUnderscore(trimmed).map((msg) => fieldErrors.invalid(sPath, trimmed, msg)));
  });
  arr(config.options).forEach((o, i) => {
    if (str(obj(o).name) === "") errs.push(fieldErrors.required(index(child(path, "options"), i), "must not be empty"));
  });
  return errs;
}

const taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** `effect` of a taint or toleration (empty allowed for tolerations). */
export function validateTaintEffect(effect: unknown, allowEmpty: boolean, path: string): FieldError[] {
  if (unset(effect)) return allowEmpty ? [] : [fieldErrors.required(path)];
  return taintEffects.includes(str(effect)) ? [] : [fieldErrors.notSupported(path, effect, taintEffects)];
}

function validateTolerations(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(list).forEach((raw, i) => {
    const t = obj(raw);
    const idx = index(path, i);
    const k = str(t.key);
    const operator = str(t.operator);
    if (k !== "") errs.push(...validateLabelName(k, child(idx, "key")));
    if (k === "" && operator !== "Exists") {
      errs.push(
        fieldErrors.invalid(child(idx, "operator"), operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'),
      );
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== "NoExecute") {
      errs.push(fieldErrors.invalid(child(idx, "effect"), str(t.effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    const value = str(t.value);
    if (operator === "" || operator === "Equal") {
      const msgs = isValidLabelValue(value);
      if (msgs.length > 0) errs.push(fieldErrors.invalid(child(idx, "operator"), value, msgs.join(";")));
    } else if (operator === "Exists") {
      if (value !== "") errs.push(fieldErrors.invalid(child(idx, "operator"), value, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(fieldErrors.notSupported(child(idx, "operator"), operator, ["Equal", "Exists"]));
    }
    errs.push(...validateTaintEffect(t.effect, true, child(idx, "effect")));
  });
  return errs;
}

function validateHostNetworkPorts(spec: Obj, path: string): FieldError[] {
  if (spec.hostNetwork !== true) return [];
  const errs: FieldError[] = [];
  arr(spec.containers).forEach((c, ci) => {
    arr(obj(c).ports).forEach((raw, pi) => {
      const p = obj(raw);
      const hp = isInt(p.hostPort) ? p.hostPort : 0;
      if (hp !== 0 && hp !== p.containerPort) {
        errs.push(
          fieldErrors.invalid(
            child(index(child(index(child(path, "containers"), ci), "ports"), pi), "hostPort"),
            p.hostPort,
            "must match `containerPort` when `hostNetwork` is true",
          ),
        );
      }
    });
  });
  return errs;
}

/** Validates a PodSpec at `path` (`spec`, or `spec.template.spec` in controllers). */
export function validatePodSpec(specValue: unknown, path: string): FieldError[] {
  const spec = obj(specValue);
  const errs: FieldError[] = [];
  errs.push(...validateNonnegative(spec.terminationGracePeriodSeconds, child(path, "terminationGracePeriodSeconds")));
  const gracePeriod = isInt(spec.terminationGracePeriodSeconds) ? spec.terminationGracePeriodSeconds : 30;
  const volumes = validateVolumes(spec.volumes, child(path, "volumes"));
  errs.push(...volumes.errs);
  errs.push(...validatePodSecurityContext(spec.securityContext, child(path, "securityContext")));
  errs.push(...validateContainers(spec.containers, volumes.names, gracePeriod, child(path, "containers")));
  errs.push(...validateInitContainers(spec.initContainers, spec.containers, volumes.names, gracePeriod, child(path, "initContainers")));
  errs.push(...validateHostNetworkPorts(spec, path));
  if (!unset(spec.restartPolicy) && !["Always", "OnFailure", "Never"].includes(str(spec.restartPolicy))) {
    errs.push(fieldErrors.notSupported(child(path, "restartPolicy"), spec.restartPolicy, ["Always", "OnFailure", "Never"]));
  }
  const dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
  if (!unset(spec.dnsPolicy) && !dnsPolicies.includes(str(spec.dnsPolicy))) {
    errs.push(fieldErrors.notSupported(child(path, "dnsPolicy"), spec.dnsPolicy, dnsPolicies));
  }
  errs.push(...validateLabels(spec.nodeSelector, child(path, "nodeSelector")));
  errs.push(...validateDNSConfig(spec, child(path, "dnsConfig")));
  arr(spec.readinessGates).forEach((g, i) => {
    const conditionType = str(obj(g).conditionType);
    const gPath = child(index(child(path, "readinessGates"), i), "conditionType");
    errs.push(...isQualifiedName(conditionType).map((msg) => fieldErrors.invalid(gPath, conditionType, msg)));
  });
  for (const field of ["serviceAccountName", "nodeName"]) {
    const value = str(spec[field]);
    if (value !== "") errs.push(...nameIsDNSSubdomain(value, false).map((msg) => fieldErrors.invalid(child(path, field), value, msg)));
  }
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null && (!isInt(ads) || ads < 1 || ads > 2147483647)) {
    errs.push(fieldErrors.invalid(child(path, "activeDeadlineSeconds"), ads, inclusiveRangeError(1, 2147483647)));
  }
  for (const field of ["hostname", "subdomain"]) {
    const value = str(spec[field]);
    if (value !== "") errs.push(...dns1123Label(value, child(path, field)));
  }
  errs.push(...validateTolerations(spec.tolerations, child(path, "tolerations")));
  arr(spec.hostAliases).forEach((raw, i) => {
    const ha = obj(raw);
    const haPath = index(child(path, "hostAliases"), i);
    errs.push(...validateIP(child(haPath, "ip"), str(ha.ip)));
    arr(ha.hostnames).forEach((h, j) => errs.push(...dns1123Subdomain(str(h), index(child(haPath, "hostnames"), j))));
  });
  const priorityClassName = str(spec.priorityClassName);
  if (priorityClassName !== "") {
    errs.push(...nameIsDNSSubdomain(priorityClassName, false).map((msg) => fieldErrors.invalid(child(path, "priorityClassName"), priorityClassName, msg)));
  }
  return errs;
}

/**
 * A pod template (path e.g. `spec.template`): its labels and annotations
 * (reported at `<path>.labels`, as upstream does) and its PodSpec.
 */
export function validatePodTemplateSpec(template: unknown, path: string): FieldError[] {
  const t = obj(template);
  const meta = obj(t.metadata);
  const errs: FieldError[] = [];
  errs.push(...validateLabels(meta.labels, child(path, "labels")));
  errs.push(...validateAnnotations(meta.annotations, child(path, "annotations")));
  errs.push(...validatePodSpec(t.spec, child(path, "spec")));
  if (arr(obj(t.spec).ephemeralContainers).length > 0) {
    errs.push(fieldErrors.forbidden(child(path, "spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"));
  }
  return errs;
}

/** The spec of a Pod, plus the checks that apply to Pods only (`create`: ephemeral containers are refused). */
export function validatePodSpecForPod(specValue: unknown, create: boolean, path = "spec"): FieldError[] {
  const spec = obj(specValue);
  const errs = validatePodSpec(spec, path);
  for (const list of ["containers", "initContainers"]) {
    arr(spec[list]).forEach((c, i) => {
      const image = str(obj(c).image);
      if (image !== image.trim()) {
        errs.push(fieldErrors.invalid(child(index(child(path, list), i), "image"), image, "must not have leading or trailing whitespace"));
      }
    });
  }
  if (create && arr(spec.ephemeralContainers).length > 0) errs.push(fieldErrors.forbidden(child(path, "ephemeralContainers"), "cannot be set on create"));
  return errs;
}
