// Cookie affinity as ingress-nginx's sticky balancer shows it to clients
// (reference §7 "Cookie affinity"; annotations.md "Session Affinity"): a
// response to a request without a valid cookie sets `<name>=<key>;
// Path=<path>; HttpOnly` (+ Max-Age / Expires), later requests carrying the
// key reach the same endpoint while it is still ready; an unknown key or a
// gone endpoint gets a fresh pick and a new cookie.
//
// The key is HMAC(secret, endpoint): it reveals no pod IP, and any router
// process sharing the secret maps it back by checking the current endpoints
// (no shared table). Consequence: "balanced" behaves as "persistent" — a
// session never moves while its endpoint stays (kemu differs here: nginx's
// balanced mode may move some sessions on scale-up).
import { createHmac, timingSafeEqual } from "node:crypto";
import type { CookieAffinity } from "../table.js";
import { endpointKey, type Endpoint } from "./endpoint.js";

export class AffinityKeys {
  private readonly cache = new Map<string, string>();

  constructor(private readonly secret: Buffer) {}

  keyOf(e: Endpoint): string {
    const id = endpointKey(e);
    let key = this.cache.get(id);
    if (key === undefined) {
      key = createHmac("sha256", this.secret).update(id).digest("hex").slice(0, 32);
      if (this.cache.size > 10_000) this.cache.clear(); // endpoints churn; the cache only saves hashing
      this.cache.set(id, key);
    }
    return key;
  }

  /** The endpoint among `endpoints` whose key is `key`, if any. */
  endpointOf(key: string, endpoints: readonly Endpoint[]): Endpoint | undefined {
    if (!/^[0-9a-f]{32}$/.test(key)) return undefined;
    const want = Buffer.from(key, "hex");
    return endpoints.find((e) => timingSafeEqual(Buffer.from(this.keyOf(e), "hex"), want));
  }
}

/** The value of cookie `name` in a Cookie header (the first one), if present. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join("; ") : header;
  if (!text) return undefined;
  for (const part of text.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
  }
  return undefined;
}

/** The Set-Cookie header for a fresh session; `locationPath` is the matched route's path (session-cookie-path's default). */
export function affinityCookie(affinity: CookieAffinity, key: string, locationPath: string, now: Date): string {
  const parts = [`${affinity.name}=${key}`, `Path=${affinity.path ?? locationPath}`];
  if (affinity.expiresSeconds !== undefined) parts.push(`Expires=${new Date(now.getTime() + affinity.expiresSeconds * 1000).toUTCString()}`);
  if (affinity.maxAgeSeconds !== undefined) parts.push(`Max-Age=${affinity.maxAgeSeconds}`);
  parts.push("HttpOnly");
  return parts.join("; ");
}
