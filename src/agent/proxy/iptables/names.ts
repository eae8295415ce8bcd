// iptables chain names used by kube-proxy's iptables mode (upstream:
// pkg/proxy/iptables/proxier.go). Per-service chains are named from a hash so
// that they fit iptables' 28-character limit and stay stable across restarts.
import { hash } from "node:crypto";

/** Top-level chains (written on every sync). */
export const KUBE_SERVICES = "KUBE-SERVICES";
export const KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES";
export const KUBE_NODEPORTS = "KUBE-NODEPORTS";
export const KUBE_POSTROUTING = "KUBE-POSTROUTING";
export const KUBE_MARK_MASQ = "KUBE-MARK-MASQ";
export const KUBE_FORWARD = "KUBE-FORWARD";
export const KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL";
export const KUBE_PROXY_CANARY = "KUBE-PROXY-CANARY";
/** kube-proxy's copy of kubelet's anti-martian chain (the route_localnet guard). */
export const KUBE_FIREWALL = "KUBE-FIREWALL";

export const SVC_PREFIX = "KUBE-SVC-";
export const SVL_PREFIX = "KUBE-SVL-";
export const EXT_PREFIX = "KUBE-EXT-";
export const FW_PREFIX = "KUBE-FW-";
export const SEP_PREFIX = "KUBE-SEP-";

const SERVICE_CHAIN_PREFIXES = [SVC_PREFIX, SVL_PREFIX, SEP_PREFIX, FW_PREFIX, EXT_PREFIX];

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_VALUE = new Uint8Array(128);
for (let i = 0; i < BASE64.length; i++) BASE64_VALUE[BASE64.charCodeAt(i)] = i;
const BASE32_CODE = Uint16Array.from(BASE32, (c) => c.charCodeAt(0));

/**
 * The first 16 characters of the RFC 4648 base32 encoding of sha256(text)
 * (upstream: base32.StdEncoding of sha256.Sum256, truncated). 16 base32
 * characters carry the digest's first 80 bits, so no padding is involved.
 * The digest is taken as base64 text and re-cut into 5-bit groups: that is
 * about three times faster than getting a Buffer, which matters at 100k
 * endpoints.
 */
function hash16(text: string): string {
  const b64 = hash("sha256", text, "base64");
  // 80 bits = the first 13⅓ base64 characters; take them 30 bits (5 base64
  // characters = 6 base32 characters) at a time.
  const v = (i: number): number => BASE64_VALUE[b64.charCodeAt(i)]!;
  const a = (v(0) << 24) | (v(1) << 18) | (v(2) << 12) | (v(3) << 6) | v(4);
  const b = (v(5) << 24) | (v(6) << 18) | (v(7) << 12) | (v(8) << 6) | v(9);
  const c = (v(10) << 18) | (v(11) << 12) | (v(12) << 6) | v(13); // 24 bits, 20 used
  const ch = (x: number, shift: number): number => BASE32_CODE[(x >>> shift) & 31]!;
  return String.fromCharCode(
    ch(a, 25), ch(a, 20), ch(a, 15), ch(a, 10), ch(a, 5), ch(a, 0),
    ch(b, 25), ch(b, 20), ch(b, 15), ch(b, 10), ch(b, 5), ch(b, 0),
    ch(c, 19), ch(c, 14), ch(c, 9), ch(c, 4),
  );
}

/** The 16-character suffix shared by a service port's SVC, SVL, EXT and FW chains: hash of key + lowercase protocol. */
export function portProtoHash(key: string, protocol: string): string {
  return hash16(key + protocol.toLowerCase());
}

/** KUBE-SVC-…: the service port's chain for Cluster traffic policy. `key` is servicePortKey() ("ns/name:port"). */
export function servicePortChainName(key: string, protocol: string): string {
  return SVC_PREFIX + portProtoHash(key, protocol);
}

/** KUBE-SVL-…: the chain for Local traffic policy (only local endpoints). */
export function servicePortLocalChainName(key: string, protocol: string): string {
  return SVL_PREFIX + portProtoHash(key, protocol);
}

/** KUBE-EXT-…: where traffic to NodePorts, externalIPs and LB IPs goes first. */
export function serviceExternalChainName(key: string, protocol: string): string {
  return EXT_PREFIX + portProtoHash(key, protocol);
}

/** KUBE-FW-…: loadBalancerSourceRanges filtering for LB IPs. */
export function serviceFirewallChainName(key: string, protocol: string): string {
  return FW_PREFIX + portProtoHash(key, protocol);
}

/** KUBE-SEP-…: one endpoint of a service port; hash of key + lowercase protocol + "ip:port". */
export function endpointChainName(key: string, protocol: string, endpoint: string): string {
  return SEP_PREFIX + hash16(key + protocol.toLowerCase() + endpoint);
}

/** Whether a chain is a per-service chain kube-proxy owns (and so may delete when stale). */
export function isServiceChainName(chain: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => chain.startsWith(p));
}
