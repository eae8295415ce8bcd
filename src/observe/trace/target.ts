// The TARGET of `kemu trace`: a URL, HOST:PORT, or SERVICE[:PORT], and the
// names a pod's resolver tries for a host name (resolv.conf search path and
// ndots, as glibc's res_search does). Pure.
import type { Service } from "../../api/types.js";
import { parseIP } from "../../net/ip.js";
import { KemuError } from "../../errors.js";
import type { TraceProtocol } from "./model.js";

export interface ParsedTarget {
  /** the host as given: an IP or a name */
  host: string;
  /** a number, a Service port's name, or undefined (the Service's first port) */
  port?: number | string;
  /** for URLs: the whole URL and its path */
  url?: string;
  path?: string;
}

const NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;

export function parseTarget(text: string): ParsedTarget {
  const bad = (why: string) => new KemuError(`TARGET ${JSON.stringify(text)}: ${why} (expected a URL like http://web/hostname, HOST:PORT, or SERVICE[:PORT])`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      throw bad("not a valid URL");
    }
    if (u.protocol !== "http:") throw bad(`only http:// URLs can be traced, not ${u.protocol}//`);
    const host = u.hostname.replace(/^\[|\]$/g, "");
    return { host, port: u.port ? Number(u.port) : 80, url: text, path: `${u.pathname}${u.search}` };
  }
  const m = /^([^:]+)(?::([^:]+))?$/.exec(text);
  if (!m) throw bad("not HOST:PORT");
  const host = m[1]!;
  if (!parseIP(host, "strict") && !NAME_RE.test(host)) throw bad(`${JSON.stringify(host)} is neither an IPv4 address nor a DNS name`);
  if (m[2] === undefined) {
    if (parseIP(host, "strict")) throw bad("an address needs a port");
    return { host };
  }
  if (/^\d+$/.test(m[2])) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw bad(`port ${port} is not between 1 and 65535`);
    return { host, port };
  }
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(m[2])) throw bad(`${JSON.stringify(m[2])} is neither a port number nor a port name`);
  return { host, port: m[2] };
}

/**
 * The Service a host name points at, when it is one of the cluster's Service
 * names: `web`, `web.ns`, `web.ns.svc`, `web.ns.svc.<domain>`.
 */
export function serviceOfName(host: string, namespace: string, domain: string, services: Service[]): Service | undefined {
  const labels = host.replace(/\.$/, "").split(".");
  const suffix = ["svc", ...domain.split(".")];
  let ns = namespace;
  if (labels.length >= 2) {
    const tail = labels.slice(2);
    if (tail.some((l, i) => l !== suffix[i])) return undefined;
    ns = labels[1]!;
  }
  return services.find((s) => s.metadata.name === labels[0] && (s.metadata.namespace ?? "default") === ns);
}

/** The Service port a target names (by number, by name, or the first), with its protocol. */
export function servicePortOf(svc: Service, port: number | string | undefined): { port: number; protocol: TraceProtocol; name?: string } {
  const ports = svc.spec?.ports ?? [];
  const found = port === undefined ? ports[0] : ports.find((p) => (typeof port === "number" ? p.port === port : p.name === port));
  const id = `${svc.metadata.namespace ?? "default"}/${svc.metadata.name}`;
  if (!found) {
    if (typeof port === "number") return { port, protocol: "tcp" };
    throw new KemuError(`TARGET: Service ${id} has ${port === undefined ? "no ports" : `no port named ${JSON.stringify(port)} (its ports: ${ports.map((p) => p.name || String(p.port)).join(", ") || "none"})`}`);
  }
  const protocol = (found.protocol ?? "TCP").toLowerCase();
  if (protocol !== "tcp" && protocol !== "udp") throw new KemuError(`TARGET: Service ${id} port ${found.name || found.port} is ${found.protocol}: kemu trace follows TCP and UDP`);
  return { port: found.port, protocol, ...(found.name ? { name: found.name } : {}) };
}

export interface ResolverConfig {
  nameservers: string[];
  search: string[];
  ndots: number;
}

/** resolv.conf as glibc reads it: the last search line wins, ndots defaults to 1. */
export function parseResolvConf(text: string): ResolverConfig {
  const out: ResolverConfig = { nameservers: [], search: [], ndots: 1 };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === "nameserver" && values[0]) out.nameservers.push(values[0]);
    else if (key === "search" || key === "domain") out.search = values;
    else if (key === "options") {
      for (const v of values) {
        const m = /^ndots:(\d+)$/.exec(v);
        if (m) out.ndots = Math.min(Number(m[1]), 15);
      }
    }
  }
  return out;
}

/** The names the resolver asks for, in order: with fewer dots than ndots, the search path first. */
export function searchCandidates(name: string, config: ResolverConfig): string[] {
  if (name.endsWith(".")) return [name];
  const dots = name.split(".").length - 1;
  const expanded = config.search.map((d) => `${name}.${d}.`);
  return dots >= config.ndots ? [`${name}.`, ...expanded] : [...expanded, `${name}.`];
}

/** `dig +noall +comments +answer` output: the status and the A/AAAA answers. */
export function parseDigAnswer(text: string): { rcode: string; answers: string[] } | undefined {
  const status = /status: ([A-Z]+)/.exec(text)?.[1];
  if (!status) return undefined;
  const answers: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\S+\s+\d+\s+IN\s+(A|AAAA)\s+(\S+)\s*$/.exec(line.trim());
    if (m) answers.push(m[2]!);
  }
  return { rcode: status, answers };
}
