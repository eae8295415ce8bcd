// From a kernel rule back to the YAML that caused it. kube-proxy's rules carry
// the Service port in their comment ("default/web:http cluster IP"), as
// upstream's do; kemu's NetworkPolicy rules carry the policy and rule index
// ("netpol x/deny ingress[0]"). Pure.
import type { ObjectRef, RuleHit } from "./model.js";

/** The comment of an iptables-save rule, unquoted. */
export function ruleComment(rule: string): string | undefined {
  const m = /--comment (?:"((?:[^"\\]|\\.)*)"|(\S+))/.exec(rule);
  return m ? (m[1] ?? m[2])!.replace(/\\(.)/g, "$1") : undefined;
}

/** The comment of an nft rule (`… comment "…"`). */
export function nftComment(rule: string): string | undefined {
  const m = /comment "((?:[^"\\]|\\.)*)"/.exec(rule);
  return m ? m[1]!.replace(/\\(.)/g, "$1") : undefined;
}

/** "ns/name:port" (the port part may be empty: an unnamed port). */
function servicePort(text: string): { namespace: string; name: string; port: string } | undefined {
  const m = /^([a-z0-9.-]+)\/([a-z0-9.-]+):([a-z0-9-]*)$/.exec(text);
  return m ? { namespace: m[1]!, name: m[2]!, port: m[3]! } : undefined;
}

function service(sp: { namespace: string; name: string; port: string }, part: string): ObjectRef {
  return { kind: "Service", namespace: sp.namespace, name: sp.name, part: `${sp.port ? `port ${sp.port}` : "its port"}${part ? `, ${part}` : ""}` };
}

/** kube-proxy's and flannel's iptables rules. */
export function iptablesRuleObject(hit: RuleHit): ObjectRef | undefined {
  const comment = ruleComment(hit.rule);
  if (comment !== undefined) {
    // "ns/name:port -> 10.244.1.3:8080": a KUBE-SVC chain choosing an endpoint
    let m = /^(\S+) -> (\S+)$/.exec(comment);
    if (m && servicePort(m[1]!)) return service(servicePort(m[1]!)!, `endpoint ${m[2]}`);
    // "ns/name:port cluster IP" / "… has no endpoints" / "… nodePort" / "… loadbalancer IP" / "… external IP" / "… health check node port"
    m = /^(\S+) (.+)$/.exec(comment);
    if (m && servicePort(m[1]!)) return service(servicePort(m[1]!)!, m[2]!);
    // KUBE-SEP chains: "ns/name:port" alone, with the DNAT target in the rule
    if (servicePort(comment)) {
      const dnat = /--to-destination (\S+)/.exec(hit.rule)?.[1];
      return service(servicePort(comment)!, dnat ? `endpoint ${dnat}` : "");
    }
    // a Service port named inside a longer comment ("masquerade traffic for ns/name:port external destinations")
    const inner = /(?:^|\s)([a-z0-9.-]+\/[a-z0-9.-]+:[a-z0-9-]*)(?:\s|$)/.exec(comment);
    if (inner && servicePort(inner[1]!)) return service(servicePort(inner[1]!)!, comment.replace(inner[1]!, "").replace(/\s+/g, " ").trim());
    if (/^flanneld/.test(comment)) return { kind: "flannel", name: "flanneld", part: comment };
    if (/^kubernetes /.test(comment) || /^kube-proxy/.test(comment)) return { kind: "kube-proxy", name: "kube-proxy", part: comment };
    if (/^KUBE-/.test(hit.chain) || /-j KUBE-/.test(hit.rule)) return { kind: "kube-proxy", name: "kube-proxy", part: comment };
    return { kind: "kemu", name: comment };
  }
  if (/^KUBE-/.test(hit.chain) || /-j KUBE-/.test(hit.rule)) return { kind: "kube-proxy", name: "kube-proxy" };
  if (/^FLANNEL-/.test(hit.chain)) return { kind: "flannel", name: "flanneld" };
  return undefined;
}

/** kemu's NetworkPolicy table: the rule's comment (looked up by handle) or the pod chain it sits in. */
export function policyRuleObject(hit: RuleHit, comment: string | undefined): ObjectRef | undefined {
  if (comment !== undefined) {
    let m = /^netpol (\S+)\/(\S+) (ingress|egress)\[(\d+)\]/.exec(comment);
    if (m) return { kind: "NetworkPolicy", namespace: m[1], name: m[2]!, part: `${m[3]} rule ${m[4]}` };
    m = /^cnp (\S+) (\S+) (ingress|egress)\[(\d+)\](?: (.*))?$/.exec(comment);
    if (m) return { kind: "ClusterNetworkPolicy", name: m[2]!, part: `${m[1]} tier, ${m[3]} rule ${m[4]}${m[5] ? ` (${m[5]})` : ""}` };
    m = /^isolated by NetworkPolicy (.+)$/.exec(comment);
    if (m) {
      const first = m[1]!.split(",")[0]!.trim().replace(/ \+\d+$/, "");
      const [namespace, name] = first.split("/");
      return { kind: "NetworkPolicy", namespace, name: name ?? first, part: `isolates the pod and no rule allowed this (${m[1]})` };
    }
    m = /^isolated by ClusterNetworkPolicy (.+)$/.exec(comment);
    if (m) return { kind: "ClusterNetworkPolicy", name: m[1]!.split(",")[0]!.trim(), part: "isolates the pod" };
  }
  const pod = /^pod-(ingress|egress)-([^/]+\/[^/]+?)(-tiers)?$/.exec(hit.chain);
  if (pod) {
    const [namespace, name] = pod[2]!.split("/");
    return { kind: "Pod", namespace, name: name!, part: `${pod[1]} chain${hit.kind === "rule" && /^DROP/.test(hit.verdict) && comment === undefined ? ", invalid connection state" : ""}` };
  }
  return undefined;
}

/** The handle → comment index of `nft -a list table …` output. */
export function nftCommentsByHandle(listing: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of listing.split("\n")) {
    const handle = /# handle (\d+)\s*$/.exec(line);
    if (!handle) continue;
    const comment = nftComment(line);
    if (comment !== undefined) out.set(Number(handle[1]), comment);
  }
  return out;
}

/** The same listing as rule text by handle (what the monitor leaves out for native nftables rules). */
export function nftRulesByHandle(listing: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of listing.split("\n")) {
    const m = /^\s*(.*?)\s*# handle (\d+)\s*$/.exec(line);
    if (m && !/^(table|chain|set|map)\b/.test(m[1]!) && !/\{\s*$/.test(m[1]!)) out.set(Number(m[2]), m[1]!);
  }
  return out;
}
