// Flow records → text lines, and JSON lines. Pure.
//   Dec  7 23:10:01.123  node-2  default/client:43512 -> default/web:80 (Service) => default/web-7d4:8080 (node-1)  TCP  FORWARDED
//   Dec  7 23:10:03.500  node-2,node-1  x/b:40022 -> x/a:80  TCP  DROPPED by NetworkPolicy x/deny-all (ingress)
import type { Flow, FlowNotice, FlowPeer } from "./model.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export interface RenderOptions {
  /** print times in UTC rather than the local zone (tests) */
  utc?: boolean;
}

/** `Dec  7 23:10:01.123`, as syslog and hubble print times. */
export function formatTime(iso: string, options: RenderOptions = {}): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const [month, day, h, m, s, ms] = options.utc
    ? [d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]
    : [d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
  const two = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[month]} ${String(day).padStart(2, " ")} ${two(h)}:${two(m)}:${two(s)}.${String(ms).padStart(3, "0")}`;
}

function at(p: FlowPeer): string {
  const who = p.name ?? p.ip;
  return p.port === undefined ? who : `${who}:${p.port}`;
}

/** The destination as addressed: a Service says so; a node or the outside host with its address. */
function destinationText(p: FlowPeer): string {
  if (p.kind === "service") return `${at(p)} (Service)`;
  if (p.kind === "node" || p.kind === "outside") return `${at(p)} (${p.ip})`;
  return at(p);
}

function endpointText(p: FlowPeer): string {
  return p.kind === "pod" && p.node ? `${at(p)} (${p.node})` : p.kind === "node" || p.kind === "outside" ? `${at(p)} (${p.ip})` : at(p);
}

function bytesText(n: number): string {
  return n < 1024 ? `${n}B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)}kB` : `${(n / 1024 / 1024).toFixed(1)}MB`;
}

function verdictText(f: Flow): string {
  if (f.verdict === "forwarded") return "FORWARDED";
  if (f.verdict === "rejected") return "REJECTED";
  const p = f.policy;
  const by = p ? ` by ${p.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name}${p.part ? ` (${p.part})` : ""}` : f.dropReason ? ` (${f.dropReason})` : "";
  return `DROPPED${by}`;
}

function stateText(f: Flow): string {
  if (f.state === "established") return "  established";
  if (f.state !== "closed") return "";
  const duration = f.durationMs === undefined ? "" : ` after ${f.durationMs < 1000 ? `${f.durationMs}ms` : `${(f.durationMs / 1000).toFixed(1)}s`}`;
  const bytes = f.bytes ? `, ${bytesText(f.bytes.sent)} sent, ${bytesText(f.bytes.received)} received` : "";
  return `  closed${duration}${bytes}`;
}

export function renderFlow(f: Flow, options: RenderOptions = {}): string {
  const src = f.source.kind === "node" || f.source.kind === "outside" ? `${at(f.source)} (${f.source.ip})` : at(f.source);
  const snat = f.masqueradedAs ? ` [masqueraded as ${f.masqueradedAs.ip}${f.masqueradedAs.port !== undefined ? `:${f.masqueradedAs.port}` : ""}]` : "";
  const to = f.endpoint ? `${destinationText(f.destination)} => ${endpointText(f.endpoint)}` : endpointText(f.destination);
  const packets = f.verdict === "dropped" && (f.droppedPackets ?? 0) > 1 ? ` (${f.droppedPackets} packets)` : "";
  return `${formatTime(f.time, options)}  ${f.nodes.join(",")}  ${src}${snat} -> ${to}  ${f.protocol}  ${verdictText(f)}${packets}${stateText(f)}`;
}

export function renderNotice(n: FlowNotice, options: RenderOptions = {}): string {
  if (n.kind === "lost") return `${formatTime(n.time, options)}  ${n.node}  ${n.count !== undefined ? `${n.count} ${n.source} events lost` : `${n.source} events lost (count unknown)`}: ${n.message}`;
  return `${formatTime(n.time, options)}  ${n.node}  ${n.source} reader ended: ${n.message}`;
}

/** -o json: one object per line, `{"flow": …}` or `{"notice": …}`, as hubble wraps its flows. */
export function flowJson(f: Flow): string {
  return JSON.stringify({ flow: f });
}

export function noticeJson(n: FlowNotice): string {
  return JSON.stringify({ notice: n });
}
