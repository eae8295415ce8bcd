// Gateway (gateway.networking.k8s.io/v1) and GatewayClass (cluster-scoped),
// validated and defaulted as kube-apiserver does with the standard-channel
// CRDs (kubernetes-sigs/gateway-api apis/v1/gateway_types.go,
// gatewayclass_types.go; config/crd/standard/gateway.networking.k8s.io_
// gateways.yaml and _gatewayclasses.yaml). A listener admits routes of its
// own namespace unless it says otherwise (allowedRoutes {namespaces: {from:
// Same}}); a TLS listener terminates unless it says Passthrough.
import type { FieldError } from "../errors.js";
import type { KubeObject } from "../types.js";
import { applySchemaDefaults, Findings, check, type CelRule, type ObjectSchema } from "./crd-schema.js";
import {
  CONTROLLER_PATTERN,
  GATEWAY_GROUP,
  GROUP_PATTERN,
  HOSTNAME_PATTERN,
  SUBDOMAIN_PATTERN,
  arr,
  blank,
  group,
  hostname,
  kind,
  labelSelector,
  localObjectReference,
  namespace,
  obj,
  objectName,
  portNumber,
  secretObjectReference,
  str,
} from "./gateway-shared.js";
import { asObj } from "./util.js";

export const MAX_LISTENERS = 64;
export const MAX_ADDRESSES = 16;
export const TLS_MODES = ["Terminate", "Passthrough"] as const;
export const FROM_NAMESPACES = ["All", "Selector", "Same"] as const;

const ADDRESS_TYPE_PATTERN = String.raw`^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$`;
const PROTOCOL_PATTERN = String.raw`^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$`;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const LABEL_VALUE_PATTERN = String.raw`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`;

interface Listener {
  name?: string;
  port?: number;
  protocol?: string;
  hostname?: string;
  tls?: { mode?: string };
}
interface Address {
  type?: string;
  value?: string;
}

/** GatewayTLSConfig: Terminate (the default) needs certificates or options. */
const listenerTLS = (): ObjectSchema =>
  obj(
    {
      mode: str({ enum: TLS_MODES, default: "Terminate" }),
      certificateRefs: arr(secretObjectReference(), { maxItems: 64 }),
      options: obj({}, { maxProperties: 16, values: str({ maxLength: 4096 }) }),
    },
    {
      cel: [
        {
          message: "certificateRefs or options must be specified when mode is Terminate",
          ok: (s: { mode?: string; certificateRefs?: unknown[]; options?: object }) =>
            s.mode === "Terminate" ? (s.certificateRefs ?? []).length > 0 || Object.keys(s.options ?? {}).length > 0 : true,
        },
      ],
    },
  );

const allowedRoutes = (): ObjectSchema =>
  obj(
    {
      namespaces: obj({ from: str({ enum: FROM_NAMESPACES, default: "Same" }), selector: labelSelector() }, { default: { from: "Same" } }),
      kinds: arr(obj({ group: group(GATEWAY_GROUP), kind: kind() }, { required: ["kind"] }), { maxItems: 8 }),
    },
    { default: { namespaces: { from: "Same" } } },
  );

const listener = (): ObjectSchema =>
  obj(
    {
      name: str({ minLength: 1, maxLength: 253, pattern: SUBDOMAIN_PATTERN }),
      hostname: hostname(),
      port: portNumber(),
      protocol: str({ minLength: 1, maxLength: 255, pattern: PROTOCOL_PATTERN }),
      tls: listenerTLS(),
      allowedRoutes: allowedRoutes(),
    },
    { required: ["name", "port", "protocol"] },
  );

const sameHostname = (a: Listener, b: Listener): boolean => (a.hostname !== undefined && b.hostname !== undefined ? a.hostname === b.hostname : a.hostname === undefined && b.hostname === undefined);

const LISTENER_RULES: CelRule[] = [
  { message: "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']", ok: (ls: Listener[]) => ls.every((l) => (["HTTP", "TCP", "UDP"].includes(l.protocol!) ? l.tls === undefined : true)) },
  {
    message: "tls mode must be Terminate for protocol HTTPS",
    ok: (ls: Listener[]) => ls.every((l) => (l.protocol === "HTTPS" && l.tls !== undefined ? blank(l.tls.mode) || l.tls.mode === "Terminate" : true)),
  },
  { message: "tls mode must be set for protocol TLS", ok: (ls: Listener[]) => ls.every((l) => (l.protocol === "TLS" ? l.tls !== undefined && !blank(l.tls.mode) : true)) },
  { message: "hostname must not be specified for protocols ['TCP', 'UDP']", ok: (ls: Listener[]) => ls.every((l) => (["TCP", "UDP"].includes(l.protocol!) ? blank(l.hostname) : true)) },
  { message: "Listener name must be unique within the Gateway", ok: (ls: Listener[]) => ls.every((a) => ls.filter((b) => a.name === b.name).length === 1) },
  {
    message: "Combination of port, protocol and hostname must be unique for each listener",
    ok: (ls: Listener[]) => ls.every((a) => ls.filter((b) => a.port === b.port && a.protocol === b.protocol && sameHostname(a, b)).length === 1),
  },
];

const uniqueAddresses = (type: string): CelRule => ({
  message: `${type === "IPAddress" ? "IPAddress" : "Hostname"} values must be unique`,
  ok: (as: Address[]) => as.every((a1) => (a1.type === type && a1.value !== undefined ? as.filter((a2) => a2.type === a1.type && a2.value === a1.value).length === 1 : true)),
});

const ADDRESS_HOSTNAME = new RegExp(HOSTNAME_PATTERN);

const address = (): ObjectSchema =>
  obj(
    { type: str({ minLength: 1, maxLength: 253, pattern: ADDRESS_TYPE_PATTERN, default: "IPAddress" }), value: str({ maxLength: 253 }) },
    {
      cel: [
        {
          message: `Hostname value must be empty or contain only valid characters (matching ${HOSTNAME_PATTERN})`,
          ok: (a: Address) => (a.type === "Hostname" ? a.value === undefined || ADDRESS_HOSTNAME.test(a.value) : true),
        },
      ],
    },
  );

/** Labels and annotations the implementation puts on what it creates for the Gateway. */
const keyRules = (what: "Label" | "Annotation"): CelRule[] => [
  {
    message: `${what} keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters.`,
    ok: (m: Record<string, string>) => Object.keys(m).every((k) => LABEL_KEY.test(k)),
  },
  {
    message: `If specified, the ${what.toLowerCase()} key's prefix must be a DNS subdomain not longer than 253 characters in total.`,
    ok: (m: Record<string, string>) => Object.keys(m).every((k) => k.split("/")[0]!.length < 253),
  },
];

const caCertificateRefs = () =>
  arr(obj({ group: group(), kind: kind(), name: objectName(), namespace: namespace() }, { required: ["group", "kind", "name"] }), { minItems: 1, maxItems: 16 });
const frontendValidation = () =>
  obj({ caCertificateRefs: caCertificateRefs(), mode: str({ enum: ["AllowValidOnly", "AllowInsecureFallback"], default: "AllowValidOnly" }) }, { required: ["caCertificateRefs"] });

const gatewayTLS = (): ObjectSchema =>
  obj({
    backend: obj({ clientCertificateRef: secretObjectReference() }),
    frontend: obj(
      {
        default: obj({ validation: frontendValidation() }),
        perPort: arr(obj({ port: portNumber(), tls: obj({ validation: frontendValidation() }) }, { required: ["port", "tls"] }), {
          maxItems: 64,
          listType: "map",
          mapKeys: ["port"],
          cel: [{ message: "Port for TLS configuration must be unique within the Gateway", ok: (ps: { port?: number }[]) => ps.every((a) => ps.filter((b) => a.port === b.port).length === 1) }],
        }),
      },
      { required: ["default"] },
    ),
  });

export const GATEWAY_SCHEMA: ObjectSchema = obj(
  {
    spec: obj(
      {
        gatewayClassName: str({ minLength: 1, maxLength: 253 }),
        listeners: arr(listener(), { minItems: 1, maxItems: MAX_LISTENERS, listType: "map", mapKeys: ["name"], cel: LISTENER_RULES }),
        addresses: arr(address(), { maxItems: MAX_ADDRESSES, cel: [uniqueAddresses("IPAddress"), uniqueAddresses("Hostname")] }),
        infrastructure: obj({
          labels: obj({}, { maxProperties: 8, values: str({ maxLength: 63, pattern: LABEL_VALUE_PATTERN }), cel: keyRules("Label") }),
          annotations: obj({}, { maxProperties: 16, values: str({ maxLength: 4096 }), cel: keyRules("Annotation") }),
          parametersRef: localObjectReference(),
        }),
        allowedListeners: obj({
          namespaces: obj({ from: str({ enum: ["All", "Selector", "Same", "None"], default: "None" }), selector: labelSelector() }, { default: { from: "None" } }),
        }),
        tls: gatewayTLS(),
      },
      { required: ["gatewayClassName", "listeners"] },
    ),
  },
  { required: ["spec"] },
);

export const GATEWAYCLASS_SCHEMA: ObjectSchema = obj(
  {
    spec: obj(
      {
        controllerName: str({ minLength: 1, maxLength: 253, pattern: CONTROLLER_PATTERN }),
        parametersRef: obj(
          { group: str({ maxLength: 253, pattern: GROUP_PATTERN }), kind: kind(), name: objectName(), namespace: namespace() },
          { required: ["group", "kind", "name"] },
        ),
        description: str({ maxLength: 64 }),
      },
      { required: ["controllerName"] },
    ),
  },
  { required: ["spec"] },
);

export function defaultGateway(gateway: Record<string, unknown>): void {
  applySchemaDefaults(gateway, GATEWAY_SCHEMA);
}

/** Gateway body (metadata is checked by the caller; status is the controllers' and stored as given); [] when valid. */
export function validateGatewayBody(gateway: KubeObject): FieldError[] {
  const f = new Findings();
  check(f, { spec: gateway.spec }, GATEWAY_SCHEMA, "");
  return f.all();
}

/** GatewayClass body; on update, controllerName may not change (the CRD's transition rule `self == oldSelf`). */
export function validateGatewayClassBody(gc: KubeObject, old?: KubeObject): FieldError[] {
  const f = new Findings();
  check(f, { spec: gc.spec }, GATEWAYCLASS_SCHEMA, "");
  const now = asObj(gc.spec)?.controllerName;
  const before = asObj(old?.spec)?.controllerName;
  if (old !== undefined && typeof now === "string" && before !== undefined && now !== before) f.rule("spec.controllerName", "string", "field is immutable");
  return f.all();
}
