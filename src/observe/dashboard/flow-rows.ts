// A flow (src/observe/flows/model.ts) as one line of the dashboard's
// "recent flows" panel, and the bounded list the panel shows. Pure.
import type { Flow, FlowPeer } from "../flows/model.js";

export interface FlowRow {
  time: string;
  node: string;
  protocol: string;
  /** `default/client:40312 → default/web:80 ⇒ default/web-1:8080` */
  text: string;
  verdict: Flow["verdict"];
  state: Flow["state"];
  /** for drops: the policy that caused it */
  policy?: string;
}

const peer = (p: FlowPeer) => `${p.name ?? p.ip}${p.port !== undefined ? `:${p.port}` : ""}`;

export function flowRow(f: Flow): FlowRow {
  const endpoint = f.endpoint ? ` ⇒ ${peer(f.endpoint)}` : "";
  const policy = f.policy ? `${f.policy.kind} ${f.policy.namespace ? `${f.policy.namespace}/` : ""}${f.policy.name}${f.policy.part ? ` ${f.policy.part}` : ""}` : undefined;
  return { time: f.time, node: f.node, protocol: f.protocol, text: `${peer(f.source)} → ${peer(f.destination)}${endpoint}`, verdict: f.verdict, state: f.state, ...(policy ? { policy } : {}) };
}

export const RECENT_FLOWS = 200;

/** The newest `limit` rows, newest last. */
export function keepRecent<T>(rows: T[], added: T[], limit = RECENT_FLOWS): T[] {
  const all = rows.concat(added);
  return all.length > limit ? all.slice(all.length - limit) : all;
}
