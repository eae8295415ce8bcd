// `kemu trace` as text: the names tried, then each namespace the packets
// crossed with every rule that gave a verdict and the object it came from,
// then the result. Pure.
import type { Hop, ObjectRef, RuleHit, TraceResult } from "./model.js";

export function objectLabel(o: ObjectRef): string {
  const id = o.namespace ? `${o.namespace}/${o.name}` : o.name;
  const head = o.kind === "kube-proxy" || o.kind === "flannel" || o.kind === "kemu" ? o.kind : `${o.kind} ${id}`;
  const part = o.kind === "kube-proxy" || o.kind === "flannel" ? o.part : o.part;
  return part ? `${head} ${o.kind === "kube-proxy" || o.kind === "flannel" ? `(${part})` : part}` : head;
}

/** The rule without iptables-save's `-4 -t TABLE -A CHAIN` prefix. */
function ruleBody(hit: RuleHit): string {
  return hit.rule.replace(/^-4 -t \S+ -A \S+\s*/, "").replace(/ -m comment --comment (?:"(?:[^"\\]|\\.)*"|\S+)/, "").trim();
}

function verdictText(hit: RuleHit): string {
  if (hit.kind === "policy") return `policy ${hit.verdict}`;
  if (hit.verdict.startsWith("JUMP:")) return `→ ${hit.verdict.slice(5)}`;
  if (hit.verdict.startsWith("GOTO:")) return `goto ${hit.verdict.slice(5)}`;
  const dnat = /--to-destination (\S+)/.exec(hit.rule);
  if (dnat) return `DNAT ${dnat[1]}`;
  if (/-j MASQUERADE\b/.test(hit.rule)) return "MASQUERADE";
  if (/-j REJECT\b/.test(hit.rule)) return "REJECT";
  if (/-j REDIRECT\b/.test(hit.rule)) return `REDIRECT ${/--to-ports (\S+)/.exec(hit.rule)?.[1] ?? ""}`.trim();
  return hit.verdict;
}

function renderHit(hit: RuleHit, verbose: boolean): string {
  const where = `${hit.table} ${hit.chain}`;
  const body = ruleBody(hit);
  const object = hit.object ? `  [${objectLabel(hit.object)}]` : "";
  return `    ${where.padEnd(34)} ${verdictText(hit).padEnd(30)}${object}${body && hit.kind === "rule" && (verbose || !hit.object) ? `\n${" ".repeat(6)}${body.length > 140 ? `${body.slice(0, 137)}...` : body}` : ""}`;
}

const OUTCOME: Record<Hop["outcome"], string> = {
  forwarded: "forwarded to the underlay",
  delivered: "delivered to the pod",
  sent: "sent",
  dropped: "DROPPED",
  rejected: "REJECTED",
  local: "delivered to a process on this host",
};

function renderHop(hop: Hop, verbose: boolean): string[] {
  const flags = hop.packet.flags ? ` [${hop.packet.flags}]` : "";
  const lines = [`  ${hop.direction === "request" ? "→" : "←"} ${hop.host}: ${hop.from} → ${hop.to} ${hop.packet.protocol.toUpperCase()}${flags}`];
  const hits = verbose ? hop.rules : hop.rules.filter((r) => r.kind === "rule" || r.verdict !== "ACCEPT" || r.table === "kemu-policy");
  for (const h of hits) lines.push(renderHit(h, verbose));
  if (hop.dnat) lines.push(`    destination NAT to ${hop.dnat}${hop.masquerade ? ", source masqueraded to the node's address" : ", source kept"}`);
  else if (hop.masquerade) lines.push("    source masqueraded to the node's address");
  lines.push(`    ${OUTCOME[hop.outcome]}${hop.route ? ` (route: ${hop.route})` : hop.leaving?.oif && hop.outcome === "delivered" ? ` (via ${hop.leaving.oif})` : ""}`);
  return lines;
}

export function renderTrace(t: TraceResult, options: { verbose?: boolean } = {}): string {
  const out: string[] = [`trace ${t.from} → ${t.target} (${t.protocol.toUpperCase()})`];
  if (t.dns) {
    out.push("", `DNS, as the pod's resolver asks (server ${t.dns[0]?.server ?? "?"}):`);
    for (const q of t.dns) out.push(`  ${q.name.padEnd(44)} ${q.type.padEnd(4)} ${q.rcode}${q.answers.length ? `  ${q.answers.join(", ")}` : ""}`);
  }
  if (t.destination.ip) out.push("", `connect to ${t.destination.ip}:${t.destination.port}${t.destination.name ? ` = ${t.destination.name}` : ""}, from source port ${t.sourcePort || "?"}`);
  const request = t.hops.filter((h) => h.direction === "request");
  const reply = t.hops.filter((h) => h.direction === "reply");
  if (request.length) out.push("", "request:", ...request.flatMap((h) => renderHop(h, options.verbose ?? false)));
  if (reply.length) out.push("", "reply:", ...reply.flatMap((h) => renderHop(h, options.verbose ?? false)));
  if (t.router) {
    out.push("", `HTTP through the router ${t.router.router}: Host ${t.router.host}, path ${t.router.path} → ${t.router.route ? objectLabel(t.router.route) : "no route matched (404)"}${t.router.backend ? ` → ${t.router.backend}` : ""}`);
    if (t.router.hops?.length) {
      out.push(`  the router's connection to ${t.router.endpoint ?? "the endpoint"}${t.router.reusedConnection ? " (a kept-alive connection: no new handshake)" : ""}:`);
      out.push(...t.router.hops.flatMap((h) => renderHop(h, options.verbose ?? false)));
    }
  }
  if (t.proxy) {
    out.push("", `${t.proxy.by} took the connection and opened its own to ${t.proxy.endpoint ?? "an endpoint"}:`);
    out.push(...t.proxy.hops.flatMap((h) => renderHop(h, options.verbose ?? false)));
  }
  out.push("", `result: ${resultLine(t)}`);
  return out.join("\n");
}

function resultLine(t: TraceResult): string {
  const took = `in ${t.elapsedMs} ms`;
  switch (t.result) {
    case "connected":
    case "answered":
      return `${t.result}${t.endpoint ? ` to ${t.endpoint}` : ""}${t.httpStatus ? `, HTTP ${t.httpStatus}` : ""} (${took})`;
    case "dns failed":
      return `no address: ${t.detail ?? "the name did not resolve"}`;
    default: {
      const by = t.droppedBy ? `, ${/-j REJECT\b|\breject\b/.test(t.droppedBy.rule) ? "rejected" : "dropped"} on ${t.droppedBy.host} by ${t.droppedBy.table} ${t.droppedBy.chain}${t.droppedBy.object ? ` [${objectLabel(t.droppedBy.object)}]` : ""}` : "";
      return `${t.result}${by}${t.detail && !by ? ` (${t.detail})` : ""} (${took})`;
    }
  }
}
