// A `kemu trace` result as the page draws it on the topology: the shapes the
// connection went through in order (client pod → its node → the server's
// node → the endpoint pod, or the router between), arrows between them,
// marks where NAT or a drop happened, and the side panel's text per hop with
// each rule's Kubernetes object. Pure: the page only places what this says.
import type { Hop, ObjectRef, PacketHeader, RuleHit, TraceResult, TraceResultKind } from "../trace/model.js";
import { shapeId, type Scene } from "./layout.js";

export interface TraceArrow {
  from: string;
  to: string;
  kind: "request" | "reply" | "drop";
  label: string;
}

export interface TraceMark {
  shape: string;
  kind: "dnat" | "masquerade" | "drop" | "endpoint" | "router";
  text: string;
}

export interface PanelRule {
  table: string;
  chain: string;
  rule: string;
  verdict: string;
  object?: string;
}

export interface PanelHop {
  title: string;
  packet: string;
  leaving?: string;
  notes: string[];
  rules: PanelRule[];
  outcome: Hop["outcome"];
}

export interface TraceDrawing {
  /** shape ids in the order the request went through them */
  path: string[];
  arrows: TraceArrow[];
  marks: TraceMark[];
  panel: PanelHop[];
  result: TraceResultKind;
  /** one line: how it ended, and where */
  summary: string;
  /** shapes the trace names that the page does not show (a pod gone since) */
  missing: string[];
}

/** `Service default/web port http`, `NetworkPolicy x/deny-all ingress rule 0`, `kube-proxy`. */
export function describeObject(ref: ObjectRef): string {
  const name = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
  const head = ref.kind === name ? ref.kind : `${ref.kind} ${name}`;
  return ref.part ? `${head} ${ref.part}` : head;
}

const endpointText = (ip: string, port?: number) => (port === undefined ? ip : `${ip}:${port}`);

/** `10.244.1.2:40000 (default/client) → 10.96.0.10:80 (default/web) TCP SYN` */
export function packetText(p: PacketHeader, names: { from?: string; to?: string } = {}): string {
  const side = (ip: string, port: number | undefined, name?: string) => `${endpointText(ip, port)}${name ? ` (${name})` : ""}`;
  return `${side(p.src, p.sport, names.from)} → ${side(p.dst, p.dport, names.to)} ${p.protocol.toUpperCase()}${p.flags ? ` ${p.flags}` : ""}`;
}

function ruleRow(r: RuleHit): PanelRule {
  return { table: r.table, chain: r.chain, rule: r.kind === "policy" ? `(chain policy)` : r.rule, verdict: r.verdict, ...(r.object ? { object: describeObject(r.object) } : {}) };
}

const hostShape = (host: string) => (host === "outside" ? shapeId.outside : shapeId.node(host));
const clientShape = (from: string) => (from === "outside" ? shapeId.outside : shapeId.pod(from.includes("/") ? from : `default/${from}`));

/** The pod an endpoint is: by the address DNAT chose, else by the name the trace gives, else the destination itself. */
function endpointShape(result: TraceResult, scene: Scene): string | undefined {
  const byIP = (ip: string) => scene.shapes.find((s) => s.kind === "pod" && s.ip === ip)?.id;
  const hops = [...result.hops, ...(result.router?.hops ?? [])];
  const dnat = [...hops].reverse().find((h) => h.direction === "request" && h.dnat)?.dnat;
  const dnatIP = dnat?.replace(/:\d+$/, "");
  const named = (result.router?.endpoint ?? result.endpoint)?.split(" ")[0];
  return (dnatIP && byIP(dnatIP)) || (named && named.includes("/") ? shapeId.pod(named) : undefined) || byIP(result.destination.ip);
}

export function summarize(result: TraceResult): string {
  const at = endpointText(result.destination.ip, result.destination.port);
  // The name may already carry the address (the address book's describe()).
  const name = result.destination.name;
  const target = name ? (name.includes(result.destination.ip) ? name : `${name} (${at})`) : at;
  const where = result.droppedBy ? ` — dropped on ${result.droppedBy.host} by ${result.droppedBy.table} ${result.droppedBy.chain}${result.droppedBy.object ? ` (${describeObject(result.droppedBy.object)})` : ""}` : "";
  const endpoint = result.endpoint ? ` → ${result.endpoint}` : "";
  const http = result.httpStatus !== undefined ? `, HTTP ${result.httpStatus}` : "";
  return `${result.from} → ${target} ${result.protocol.toUpperCase()}: ${result.result}${endpoint}${http}${where} in ${Math.round(result.elapsedMs)} ms`;
}

export function traceDrawing(result: TraceResult, scene: Scene): TraceDrawing {
  const present = new Set(scene.shapes.map((s) => s.id));
  const path: string[] = [];
  const labels: string[] = [];
  const visit = (id: string, label: string) => {
    if (path[path.length - 1] === id) return;
    path.push(id);
    labels.push(label);
  };
  const requests = result.hops.filter((h) => h.direction === "request");
  const replies = result.hops.filter((h) => h.direction === "reply");
  const marks: TraceMark[] = [];

  visit(clientShape(result.from), "");
  for (const hop of requests) {
    const id = hostShape(hop.host);
    visit(id, packetText(hop.packet));
    if (hop.dnat) marks.push({ shape: id, kind: "dnat", text: `DNAT → ${hop.dnat}` });
    if (hop.masquerade) marks.push({ shape: id, kind: "masquerade", text: "masquerade" });
  }
  if (result.router) {
    visit(shapeId.router, `${result.router.host}${result.router.path}`);
    marks.push({ shape: shapeId.router, kind: "router", text: result.router.route ? `route ${describeObject(result.router.route)}` : "no route matched" });
    // The router's own connection to the endpoint, from the router pod's node on.
    for (const hop of (result.router.hops ?? []).filter((h) => h.direction === "request")) {
      const id = hostShape(hop.host);
      visit(id, packetText(hop.packet));
      if (hop.dnat) marks.push({ shape: id, kind: "dnat", text: `DNAT → ${hop.dnat}` });
    }
  }
  const reached = result.result === "connected" || result.result === "answered";
  const endpoint = reached ? endpointShape(result, scene) : undefined;
  if (endpoint) {
    visit(endpoint, "");
    marks.push({ shape: endpoint, kind: "endpoint", text: result.httpStatus !== undefined ? `answered HTTP ${result.httpStatus}` : "answered" });
  }
  if (result.droppedBy) {
    const where = hostShape(result.droppedBy.host);
    visit(where, "");
    marks.push({ shape: where, kind: "drop", text: `dropped by ${result.droppedBy.chain}${result.droppedBy.object ? ` (${describeObject(result.droppedBy.object)})` : ""}` });
  }

  // Each arrow is labelled with the packet as it arrived where the arrow points.
  const arrows: TraceArrow[] = [];
  for (let i = 1; i < path.length; i++) {
    const last = i === path.length - 1;
    arrows.push({ from: path[i - 1]!, to: path[i]!, kind: last && result.droppedBy ? "drop" : "request", label: labels[i]! });
  }
  if (reached && replies.length > 0 && path.length > 1) arrows.push({ from: path[path.length - 1]!, to: path[0]!, kind: "reply", label: "reply" });

  const routerHops = (result.router?.hops ?? []).map((h) => ({ hop: h, via: " (router → endpoint)" }));
  const panel = [...result.hops.map((h) => ({ hop: h, via: "" })), ...routerHops].map(({ hop, via }): PanelHop => {
    const notes = [
      hop.dnat ? `DNAT → ${hop.dnat}` : "",
      hop.masquerade ? "masquerade (source NAT to the node's address)" : "",
      hop.route ? `route: ${hop.route}` : "",
    ].filter(Boolean);
    return {
      title: `${hop.host} · ${hop.direction}${via}`,
      packet: packetText(hop.packet, { ...(hop.from ? { from: hop.from } : {}), ...(hop.to ? { to: hop.to } : {}) }),
      ...(hop.leaving ? { leaving: packetText(hop.leaving) } : {}),
      notes,
      rules: hop.rules.map(ruleRow),
      outcome: hop.outcome,
    };
  });
  return { path, arrows, marks, panel, result: result.result, summary: summarize(result), missing: path.filter((id) => !present.has(id)) };
}
