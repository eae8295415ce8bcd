// The dashboard's access token: random per run, carried in the URL
// (`?token=`) of every request and of the WebSocket upgrade, so that other
// local users and web pages open in the browser cannot read the cluster
// through 127.0.0.1. Compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/** Digests first: timingSafeEqual needs equal lengths, and a length check would leak the token's. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== "string" || expected === "") return false;
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token a request's URL carries (`/path?token=…`), if any. */
export function tokenOfUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url, "http://127.0.0.1").searchParams.get("token");
  } catch {
    return null;
  }
}

/** Only the addresses the server listens on may be named in Host (a DNS-rebound name may not). */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}
