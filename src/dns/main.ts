// The entry of the cluster DNS pod (what the kubelet starts for coredns):
// flags in CoreDNS's spirit, see USAGE. SIGTERM/SIGINT: stop accepting
// (after --lameduck, during which /ready says 503), then exit 0.
import { readFileSync } from "node:fs";
import net from "node:net";
import { pathToFileURL } from "node:url";
import { parseUpstream } from "./forward/forwarder.js";
import { DEFAULTS, startDnsServer, type DnsServerOptions, type RunningDnsServer } from "./server.js";

export const USAGE = `Usage: kemu-dns --api-socket PATH [flags]

The cluster DNS server (CoreDNS's kubernetes, forward, cache, health, ready
and prometheus plugins, as kubeadm configures them).

  --api-socket PATH       the kemu API's unix socket (required)
  --zone NAME             the cluster domain (${DEFAULTS.zone})
  --dns-ip IP             the kube-dns ClusterIP, served as the glue of ns.dns.<zone>
  --ttl SECONDS           TTL of the cluster records, 0-3600 (${DEFAULTS.ttl})
  --pods insecure|disabled  answer a-b-c-d.<ns>.pod.<zone> (insecure)
  --upstream IP[:PORT]    a server for names outside the zone; repeat for more, tried in order
  --resolv-conf PATH      also use the nameservers of a resolv.conf as upstreams
                          (none at all: names outside the zone get REFUSED)
  --forward-timeout DUR   per-upstream timeout, e.g. 2s or 500ms (2s)
  --max-concurrent N      outstanding upstream queries before REFUSED (${DEFAULTS.maxConcurrent})
  --cache-size N          cached forwarded answers (${DEFAULTS.cacheSize})
  --host ADDR             address to serve DNS on (${DEFAULTS.host})
  --port N                UDP and TCP port (${DEFAULTS.port}; 0 picks a free one)
  --http-host ADDR        address of the HTTP endpoints (the --host)
  --health-port N|off     GET /health (${DEFAULTS.healthPort})
  --ready-port N|off      GET /ready (${DEFAULTS.readyPort})
  --metrics-port N|off    GET /metrics (${DEFAULTS.metricsPort})
  --workers N             serve from N forked worker processes (0: this process)
  --lameduck DUR          on SIGTERM, keep serving this long with /ready failing (0s)
  --help                  this text
`;

export class FlagError extends Error {}

export interface DnsCommand {
  options: DnsServerOptions;
  lameduckMs: number;
}

const VALUE_FLAGS = new Set([
  "api-socket",
  "zone",
  "dns-ip",
  "ttl",
  "pods",
  "upstream",
  "resolv-conf",
  "forward-timeout",
  "max-concurrent",
  "cache-size",
  "host",
  "port",
  "http-host",
  "health-port",
  "ready-port",
  "metrics-port",
  "workers",
  "lameduck",
]);

/** Parses the command line (without node and the script); throws FlagError naming the flag. */
export function parseDnsArgs(argv: string[]): DnsCommand | "help" {
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    if (!arg.startsWith("--")) throw new FlagError(`unexpected argument ${JSON.stringify(arg)} (flags start with --; see --help)`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!VALUE_FLAGS.has(name)) throw new FlagError(`unknown flag --${name} (see --help)`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new FlagError(`--${name}: needs a value`);
      value = argv[++i]!;
    }
    if (name !== "upstream" && values.has(name)) throw new FlagError(`--${name}: given twice`);
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const one = (name: string) => values.get(name)?.[0];

  const apiSocket = one("api-socket");
  if (!apiSocket) throw new FlagError("--api-socket: required (the kemu API's unix socket)");

  const int = (name: string, min: number, max: number, fallback: number): number => {
    const v = one(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new FlagError(`--${name}: must be an integer from ${min} to ${max} (got ${JSON.stringify(v)})`);
    return Number(v);
  };
  const port = (name: string, fallback: number): number | null => {
    const v = one(name);
    if (v === "off") return null;
    return int(name, 0, 65535, fallback);
  };
  const duration = (name: string, fallback: number): number => {
    const v = one(name);
    if (v === undefined) return fallback;
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
    if (!m) throw new FlagError(`--${name}: must be a duration like 2s or 500ms (got ${JSON.stringify(v)})`);
    return Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "m" ? 60_000 : 1000);
  };
  const address = (name: string): string | undefined => {
    const v = one(name);
    if (v !== undefined && net.isIP(v) === 0) throw new FlagError(`--${name}: must be an IP address (got ${JSON.stringify(v)})`);
    return v;
  };

  const zone = one("zone") ?? DEFAULTS.zone;
  if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$/i.test(zone)) throw new FlagError(`--zone: not a domain name: ${JSON.stringify(zone)}`);
  const pods = one("pods") ?? "insecure";
  if (pods !== "insecure" && pods !== "disabled") throw new FlagError(`--pods: must be insecure or disabled (got ${JSON.stringify(pods)})`);
  const dnsIp = address("dns-ip");
  if (dnsIp && !net.isIPv4(dnsIp)) throw new FlagError(`--dns-ip: must be an IPv4 address (the cluster is IPv4-only)`);
  const host = address("host") ?? DEFAULTS.host;
  const dnsPort = int("port", 0, 65535, DEFAULTS.port);

  const upstreams: string[] = [];
  for (const u of values.get("upstream") ?? []) {
    try {
      parseUpstream(u);
    } catch (err) {
      throw new FlagError(`--upstream: ${(err as Error).message}`);
    }
    upstreams.push(u);
  }
  const resolvConf = one("resolv-conf");
  if (resolvConf) {
    let text: string;
    try {
      text = readFileSync(resolvConf, "utf8");
    } catch (err) {
      throw new FlagError(`--resolv-conf: cannot read ${resolvConf}: ${(err as Error).message}`);
    }
    for (const line of text.split("\n")) {
      const m = /^\s*nameserver\s+(\S+)/.exec(line);
      if (m && net.isIP(m[1]!)) upstreams.push(m[1]!);
    }
  }
  // CoreDNS's loop plugin exits when it sees its own queries come back; refuse the obvious loops up front.
  const wildcard = host === "0.0.0.0" || host === "::";
  for (const u of upstreams) {
    const { host: uh, port: up } = parseUpstream(u);
    const loopback = uh.startsWith("127.") || uh === "::1";
    if (up === dnsPort && (uh === host || uh === dnsIp || (loopback && (wildcard || host.startsWith("127.") || host === "::1")))) {
      throw new FlagError(`--upstream ${u}: points back at this server (a forwarding loop)`);
    }
  }

  return {
    options: {
      apiSocket,
      zone,
      dnsIp,
      ttl: int("ttl", 0, 3600, DEFAULTS.ttl),
      pods,
      upstreams,
      forwardTimeoutMs: duration("forward-timeout", DEFAULTS.forwardTimeoutMs),
      maxConcurrent: int("max-concurrent", 1, 1_000_000, DEFAULTS.maxConcurrent),
      cacheSize: int("cache-size", 1, 10_000_000, DEFAULTS.cacheSize),
      host,
      port: dnsPort,
      httpHost: address("http-host"),
      healthPort: port("health-port", DEFAULTS.healthPort),
      readyPort: port("ready-port", DEFAULTS.readyPort),
      metricsPort: port("metrics-port", DEFAULTS.metricsPort),
      workers: int("workers", 0, 64, 0),
    },
    lameduckMs: duration("lameduck", 0),
  };
}

/**
 * Starts the DNS server from command-line flags and stops it (exit 0) on
 * SIGTERM or SIGINT. Resolves once it listens; throws FlagError for bad flags.
 */
export async function runDnsServer(argv: string[]): Promise<RunningDnsServer | undefined> {
  const parsed = parseDnsArgs(argv);
  if (parsed === "help") {
    process.stdout.write(USAGE);
    return undefined;
  }
  const { options, lameduckMs } = parsed;
  const server = await startDnsServer(options);
  let lameduck = false;
  const stop = () => {
    if (lameduck) return;
    lameduck = true;
    server.drain();
    setTimeout(() => {
      server.close().then(
        () => process.exit(0),
        () => process.exit(0),
      );
    }, lameduckMs);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  const up = options.upstreams?.length ? `forwarding to ${options.upstreams.join(", ")}` : "no upstream (REFUSED outside the zone)";
  process.stderr.write(
    `kemu-dns: serving ${options.zone} on ${options.host}:${server.port} (udp, tcp)${options.workers ? ` with ${options.workers} workers` : ""}; ${up}\n`,
  );
  return server;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDnsServer(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`kemu-dns: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof FlagError ? 2 : 1);
  });
}
