// What `kemu flows` reports: one record per connection the kernel tracked (or
// per dropped connection attempt it logged), with names for its addresses,
// the node(s) whose tables show it, the endpoint kube-proxy's DNAT chose and
// the verdict. Plain data: the CLI prints it, -o json emits it, the dashboard
// lists it.
import type { AddressKind } from "../address-book.js";
import type { ObjectRef } from "../trace/model.js";

export type FlowVerdict = "forwarded" | "dropped" | "rejected";

/**
 * new: the kernel confirmed a new connection (conntrack NEW, or the first
 * dropped packet of an attempt); established: it was already tracked when
 * `kemu flows` listed the table (a listed entry still unanswered is new); closed: TCP reached TIME_WAIT/CLOSE, or the
 * entry was destroyed (UDP/ICMP time out).
 */
export type FlowState = "new" | "established" | "closed";

/** One end of a flow: an address and port, and what kemu knows it to be. */
export interface FlowPeer {
  ip: string;
  port?: number;
  /** `ns/name` of a pod or Service, a node's name, or `outside` */
  name?: string;
  kind?: AddressKind;
  /** the node a pod runs on */
  node?: string;
}

export interface Flow {
  /** when the kernel reported it (ISO 8601, UTC) */
  time: string;
  /** the node whose table reported it first: the client's node when kube-proxy translated it there */
  node: string;
  /** every node whose table showed this connection, in the order they reported it (a pod-to-pod flow across nodes shows in two) */
  nodes: string[];
  /** TCP, UDP, SCTP, ICMP, or the kernel's protocol number */
  protocol: string;
  source: FlowPeer;
  /** as the client addressed it: a Service's IP and port before DNAT, or the pod itself */
  destination: FlowPeer;
  /** the endpoint kube-proxy's DNAT chose; absent when no translation happened */
  endpoint?: FlowPeer;
  /** the source was rewritten to this address (kube-proxy's masquerade) */
  masqueradedAs?: { ip: string; port?: number };
  verdict: FlowVerdict;
  /** for drops: the policy that caused it, with `ingress`/`egress` as its part */
  policy?: ObjectRef;
  /** for drops: the raw reason kemu's rule logged (e.g. `ingress np x/deny-all`) */
  dropReason?: string;
  state: FlowState;
  /** closed flows: from the first event kemu saw to the close (UDP: includes the kernel's idle timeout) */
  durationMs?: number;
  /** closed flows, when the node's conntrack accounting is on: bytes each way */
  bytes?: { sent: number; received: number };
  /** dropped flows: packets dropped so far (retransmitted SYNs count) */
  droppedPackets?: number;
  /** the conntrack id on `node`, when the flow came from conntrack */
  conntrackId?: number;
}

/** Something the stream must tell, that is not a flow: lost events, a source that died. */
export interface FlowNotice {
  time: string;
  node: string;
  kind: "lost" | "source-ended";
  /** which reader: conntrack or nflog */
  source: "conntrack" | "nflog";
  /** how many events were lost, when the source knows */
  count?: number;
  message: string;
}

/** `kemu flows -n NS --pod P --verdict V --node N`. */
export interface FlowFilter {
  /** flows with a pod or Service of this namespace at either end */
  namespace?: string;
  /** flows with a pod whose name starts with this at either end (`name` or `ns/name`; with `namespace`, in it) */
  pod?: string;
  verdict?: FlowVerdict;
  node?: string;
}
