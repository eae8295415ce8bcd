// `kemu probe`'s command line read into typed options, and the library's
// options checked. Every error names the flag (or option field) and says
// what was expected. Pure.
import { parseDuration } from "../duration.js";
import { ProbeError } from "./errors.js";
import { PROBE_PROTOCOLS, type ProbeProtocol } from "./model.js";
import type { Expectation } from "./expect.js";

/** What `cluster.probe()` takes. */
export interface ProbeOptions {
  /** namespaces whose pods are probed (default: ["default"]) */
  namespaces?: string[];
  /** every namespace except kube-system and kemu-system */
  allNamespaces?: boolean;
  /** default: from the target pods' containerPorts (see choosePortProtocols) */
  ports?: number[];
  protocols?: ProbeProtocol[];
  /** also probe each Service's ClusterIP on its ports */
  toServices?: boolean;
  /** also probe the outside host (a listener runs there for the probe's duration) */
  toOutside?: boolean;
  /** per probe (default 1000 ms, as upstream's `agnhost connect --timeout=1s`) */
  timeoutMs?: number;
  /** compare with this expectation (cells, or the text of a JSON or table file); mismatching cells are probed once more */
  expect?: Expectation | string;
  /** compare with what the cluster's policies say (the evaluator behind --explain) */
  compare?: boolean;
  /** compare the diagonal (a pod to itself) too; upstream ignores it */
  loopback?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 1000;
export const SYSTEM_NAMESPACES = ["kube-system", "kemu-system"];
export const OUTPUTS = ["table", "wide", "json"] as const;
export type ProbeOutput = (typeof OUTPUTS)[number];

/** The flags as commander hands them over (strings, unparsed). */
export interface ProbeFlags {
  namespace?: string;
  allNamespaces?: boolean;
  port?: string;
  protocol?: string;
  toServices?: boolean;
  toOutside?: boolean;
  expect?: string;
  compare?: boolean;
  loopback?: boolean;
  output?: string;
  timeout?: string;
  explain?: boolean;
}

export type ProbeCommand =
  | { kind: "matrix"; options: ProbeOptions; output: ProbeOutput; expectFile?: string }
  | { kind: "explain"; from: string; to: string; options: ProbeOptions; output: ProbeOutput };

const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function parseNamespaces(text: string, flag = "-n"): string[] {
  const list = splitList(text);
  if (list.length === 0) throw new ProbeError(`${flag}: expected namespaces separated by commas, e.g. -n x,y,z`);
  for (const ns of list) {
    if (!NAMESPACE_RE.test(ns) || ns.length > 63) throw new ProbeError(`${flag}: invalid namespace ${JSON.stringify(ns)}: expected a DNS label (lower-case letters, digits and '-', at most 63)`);
  }
  return [...new Set(list)];
}

export function parsePorts(text: string, flag = "--port"): number[] {
  const list = splitList(text);
  if (list.length === 0) throw new ProbeError(`${flag}: expected port numbers separated by commas, e.g. --port 80,81`);
  return [...new Set(list.map((p) => checkPort(/^\d+$/.test(p) ? Number(p) : Number.NaN, flag, p)))];
}

export function parseProtocols(text: string, flag = "--protocol"): ProbeProtocol[] {
  const list = splitList(text);
  if (list.length === 0) throw new ProbeError(`${flag}: expected protocols separated by commas, e.g. --protocol TCP,UDP`);
  return [...new Set(list.map((p) => checkProtocol(p, flag)))];
}

export function parseTimeout(text: string, flag = "--timeout"): number {
  return checkTimeout(parseDuration(text, flag), flag, text);
}

export function parseOutput(text: string | undefined): ProbeOutput {
  const value = text ?? "table";
  if (!(OUTPUTS as readonly string[]).includes(value)) throw new ProbeError(`-o: unknown output format ${JSON.stringify(value)}: expected one of ${OUTPUTS.join(", ")}`);
  return value as ProbeOutput;
}

/** The command line of `kemu probe` (flags and the pods after --explain) as one command. */
export function parseProbeCommand(args: string[], flags: ProbeFlags): ProbeCommand {
  if (flags.allNamespaces && flags.namespace !== undefined) throw new ProbeError("-A and -n cannot be used together: -A probes every namespace except kube-system and kemu-system, -n only those named");
  const options: ProbeOptions = {};
  if (flags.namespace !== undefined) options.namespaces = parseNamespaces(flags.namespace);
  if (flags.allNamespaces) options.allNamespaces = true;
  if (flags.port !== undefined) options.ports = parsePorts(flags.port);
  if (flags.protocol !== undefined) options.protocols = parseProtocols(flags.protocol);
  if (flags.timeout !== undefined) options.timeoutMs = parseTimeout(flags.timeout);
  if (flags.toServices) options.toServices = true;
  if (flags.toOutside) options.toOutside = true;
  if (flags.loopback) options.loopback = true;
  if (flags.compare) options.compare = true;
  const output = parseOutput(flags.output);

  if (flags.explain) {
    if (args.length !== 2) throw new ProbeError(`--explain: expected two pods, FROM and TO (ns/name), e.g. kemu probe --explain x/a y/b --port 80; got ${args.length === 0 ? "none" : args.map((a) => JSON.stringify(a)).join(" ")}`);
    for (const [flag, set] of [["--expect", flags.expect !== undefined], ["--compare", flags.compare], ["--to-services", flags.toServices], ["--to-outside", flags.toOutside], ["-A", flags.allNamespaces]] as const) {
      if (set) throw new ProbeError(`${flag} cannot be used with --explain, which looks at one connection`);
    }
    if ((options.ports?.length ?? 0) > 1 || (options.protocols?.length ?? 0) > 1) throw new ProbeError("--explain: give at most one --port and one --protocol (without them, every port the target pod declares is explained)");
    if (output === "wide") throw new ProbeError("-o wide: --explain prints table (the default) or json");
    const ns = options.namespaces?.length === 1 ? options.namespaces[0]! : "default";
    return { kind: "explain", from: podRef(args[0]!, ns, "FROM"), to: targetRef(args[1]!, ns), options, output };
  }
  if (args.length > 0) throw new ProbeError(`unexpected argument ${JSON.stringify(args[0])}: kemu probe takes flags only; to explain one connection, use --explain FROM TO`);
  if (flags.expect !== undefined && flags.compare) throw new ProbeError("--expect and --compare cannot be used together: each gives the expected values (a file, or the cluster's policies)");
  if (flags.expect !== undefined && flags.expect.trim() === "") throw new ProbeError("--expect: expected a file name");
  return { kind: "matrix", options, output, ...(flags.expect !== undefined ? { expectFile: flags.expect } : {}) };
}

/** "ns/name", or a bare name in the given namespace. */
function podRef(text: string, namespace: string, what: string): string {
  const parts = text.split("/");
  if (parts.length > 2 || parts.some((p) => p === "")) throw new ProbeError(`--explain: ${what} ${JSON.stringify(text)}: expected a pod as ns/name (or name, in ${namespace})`);
  return parts.length === 2 ? text : `${namespace}/${text}`;
}

/** A pod, "outside", or an IPv4 address (a node, anything that is no pod). */
function targetRef(text: string, namespace: string): string {
  if (text === "outside" || /^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return text;
  if (text.startsWith("svc:") || text.startsWith("svc/") || text.startsWith("service/")) {
    throw new ProbeError(`--explain: TO ${JSON.stringify(text)}: give the pod behind the Service: NetworkPolicy judges Service traffic after DNAT, against the pod it reaches`);
  }
  return podRef(text, namespace, "TO");
}

/** Checks the library's options (the CLI's are checked as they are parsed). */
export function checkProbeOptions(o: ProbeOptions): void {
  if (o.allNamespaces && o.namespaces !== undefined) throw new ProbeError("probe: namespaces and allNamespaces cannot be used together");
  if (o.namespaces !== undefined) {
    if (!Array.isArray(o.namespaces) || o.namespaces.length === 0) throw new ProbeError("probe: namespaces: expected a non-empty list of namespace names");
    for (const ns of o.namespaces) parseNamespaces(String(ns), "probe: namespaces");
  }
  if (o.ports !== undefined) {
    if (!Array.isArray(o.ports) || o.ports.length === 0) throw new ProbeError("probe: ports: expected a non-empty list of port numbers");
    for (const p of o.ports) checkPort(p, "probe: ports", p);
  }
  if (o.protocols !== undefined) {
    if (!Array.isArray(o.protocols) || o.protocols.length === 0) throw new ProbeError("probe: protocols: expected a non-empty list of TCP, UDP or SCTP");
    for (const p of o.protocols) if (!PROBE_PROTOCOLS.includes(p)) throw new ProbeError(`probe: protocols: unknown protocol ${JSON.stringify(p)}: expected TCP, UDP or SCTP`);
  }
  if (o.timeoutMs !== undefined) checkTimeout(o.timeoutMs, "probe: timeoutMs", o.timeoutMs);
  if (o.expect !== undefined && o.compare) throw new ProbeError("probe: expect and compare cannot be used together");
}

function checkPort(value: number, flag: string, given: unknown): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new ProbeError(`${flag}: invalid port ${JSON.stringify(given)}: expected a number from 1 to 65535`);
  return value;
}

function checkProtocol(text: string, flag: string): ProbeProtocol {
  const upper = text.toUpperCase();
  if (!(PROBE_PROTOCOLS as readonly string[]).includes(upper)) throw new ProbeError(`${flag}: unknown protocol ${JSON.stringify(text)}: expected TCP, UDP or SCTP`);
  return upper as ProbeProtocol;
}

function checkTimeout(ms: number, flag: string, given: unknown): number {
  if (!Number.isFinite(ms) || ms < 10 || ms > 60_000) throw new ProbeError(`${flag}: must be between 10ms and 60s, got ${JSON.stringify(given)}`);
  return Math.round(ms);
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
