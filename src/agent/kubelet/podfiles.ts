// The files the kubelet gives every pod: /etc/resolv.conf by dnsPolicy and
// the Kubernetes-managed /etc/hosts (pure renderers).
import type { Pod } from "../../api/types.js";

export interface DnsSettings {
  clusterDomain: string;
  clusterDns: string[];
  /** the node's own resolv.conf, for dnsPolicy Default */
  hostResolvConf: string;
}

export function renderResolvConf(pod: Pod, dns: DnsSettings): string {
  const ns = pod.metadata?.namespace ?? "default";
  const policy = pod.spec.dnsPolicy ?? "ClusterFirst";
  let nameservers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  if (policy === "ClusterFirst" || policy === "ClusterFirstWithHostNet") {
    nameservers = dns.clusterDns;
    searches = [`${ns}.svc.${dns.clusterDomain}`, `svc.${dns.clusterDomain}`, dns.clusterDomain];
    options = ["ndots:5"];
  } else if (policy === "Default") {
    const parsed = parseResolvConf(dns.hostResolvConf);
    nameservers = parsed.nameservers;
    searches = parsed.searches;
    options = parsed.options;
  }
  const cfg = pod.spec.dnsConfig;
  if (cfg) {
    nameservers = dedupe([...nameservers, ...(cfg.nameservers ?? [])]);
    searches = dedupe([...searches, ...(cfg.searches ?? [])]);
    for (const o of cfg.options ?? []) {
      const rendered = o.value !== undefined ? `${o.name}:${o.value}` : (o.name ?? "");
      options = [...options.filter((x) => x.split(":")[0] !== o.name), rendered];
    }
  }
  const lines = [
    ...(searches.length ? [`search ${searches.join(" ")}`] : []),
    ...nameservers.slice(0, 3).map((n) => `nameserver ${n}`),
    ...(options.length ? [`options ${options.join(" ")}`] : []),
  ];
  return `${lines.join("\n")}\n`;
}

export function parseResolvConf(text: string): { nameservers: string[]; searches: string[]; options: string[] } {
  const out = { nameservers: [] as string[], searches: [] as string[], options: [] as string[] };
  for (const raw of text.split("\n")) {
    const [key, ...rest] = raw.trim().split(/\s+/);
    if (key === "nameserver" && rest[0]) out.nameservers.push(rest[0]);
    else if (key === "search" || key === "domain") out.searches = rest;
    else if (key === "options") out.options.push(...rest);
  }
  return out;
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

export function renderHostsFile(pod: Pod, podIp: string, clusterDomain: string): string {
  const hostname = pod.spec.hostname ?? pod.metadata?.name ?? "";
  const fqdn = pod.spec.subdomain ? `${hostname}.${pod.spec.subdomain}.${pod.metadata?.namespace ?? "default"}.svc.${clusterDomain}\t` : "";
  const lines = [
    "# Kubernetes-managed hosts file.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::0\tip6-mcastprefix",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
    `${podIp}\t${fqdn}${hostname}`,
  ];
  const aliases = pod.spec.hostAliases ?? [];
  if (aliases.length) {
    lines.push("", "# Entries added by HostAliases.");
    for (const a of aliases) lines.push(`${a.ip}\t${(a.hostnames ?? []).join("\t")}`);
  }
  return `${lines.join("\n")}\n`;
}
