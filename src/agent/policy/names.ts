// Names of kemu's policy objects in a node's nftables table. Readable first
// (a person maps `pod-ingress-x/a` back to pod x/a), with a hash where the
// content would be too long or is not a name (selectors). Pure.
import { hash } from "node:crypto";
import type { Direction } from "./model.js";

/** The table, in each node's namespace. `inet`: one table for both families. */
export const POLICY_TABLE = "kemu-policy";
export const POLICY_FAMILY = "inet";
/** Verdict maps from a local pod's veth to its chains. */
export const DISPATCH_MAP: Record<Direction, string> = { ingress: "pod-ingress", egress: "pod-egress" };

/** nftables allows 256 bytes; keep well under it, and keep names unique by hashing what is cut. */
const MAX_NAME = 200;

function shortHash(text: string): string {
  return hash("sha256", text, "hex").slice(0, 10);
}

function bounded(name: string): string {
  return name.length <= MAX_NAME ? name : `${name.slice(0, MAX_NAME - 12)}-${shortHash(name)}`;
}

/** A local pod's chain for one direction: `pod-ingress-x/a`. */
export function podChainName(direction: Direction, podKey: string): string {
  return bounded(`pod-${direction}-${podKey}`);
}

/** Where a pod's chain goes after its Admin-tier rules (the target of Pass): `pod-ingress-x/a-tiers`. */
export function podTailChainName(direction: Direction, podKey: string): string {
  return bounded(`pod-${direction}-${podKey}-tiers`);
}

/** A set of pod IPs picked by one selector pair; the hash is of the selectors' meaning. */
export function podSetName(descriptor: string): string {
  return `pods-${shortHash(descriptor)}`;
}

/** A set of `ip . protocol . port` for a named port on the pods picked by one peer. */
export function namedPortSetName(descriptor: string): string {
  return `ports-${shortHash(descriptor)}`;
}

export function isPolicyChainName(name: string): boolean {
  return name.startsWith("pod-ingress-") || name.startsWith("pod-egress-");
}

/** nftables rule and set comments are at most 128 bytes. */
export function commentText(text: string): string {
  const clean = text.replace(/["\\\n]/g, "'");
  return Buffer.byteLength(clean) <= 120 ? clean : `${Buffer.from(clean).subarray(0, 117).toString().replace(/\uFFFD+$/, "")}...`;
}
