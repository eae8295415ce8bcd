// The JSON text Go writes for apimachinery's time types, so a protobuf body
// becomes the same JSON a JSON client would have sent.

export class FormatError extends Error {}

/** Seconds since the epoch of Go's zero time.Time (0001-01-01T00:00:00Z): metav1.Time's "unset". */
export const GO_ZERO_TIME_SECONDS = -62135596800n;

function utcParts(seconds: bigint): string {
  const ms = Number(seconds) * 1000;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (!Number.isFinite(ms) || Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw new FormatError(`time ${seconds}s since the epoch is outside years 0000-9999`);
  }
  return date.toISOString().slice(0, 19);
}

/** metav1.Time as JSON: RFC 3339 in UTC to the second (nanos are dropped, as upstream's Unmarshal drops them). */
export function rfc3339Seconds(seconds: bigint): string {
  return `${utcParts(seconds)}Z`;
}

/** metav1.MicroTime as JSON: RFC 3339 in UTC with exactly six fractional digits (nanos truncated to microseconds). */
export function rfc3339Micro(seconds: bigint, nanos: number): string {
  return `${utcParts(seconds)}.${String(Math.floor(nanos / 1000)).padStart(6, "0")}Z`;
}

/** `v` scaled down by 10^digits, with the fraction's trailing zeros (and a bare ".") dropped, as Go's fmtFrac. */
function withFraction(v: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const fraction = String(v % scale).padStart(digits, "0").replace(/0+$/, "");
  return `${v / scale}${fraction ? `.${fraction}` : ""}`;
}

/** Go's time.Duration.String() for a count of nanoseconds: "0s", "1.5µs", "250ms", "1h2m3.5s". */
export function goDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return "0s";
  const sign = nanoseconds < 0n ? "-" : "";
  let u = nanoseconds < 0n ? -nanoseconds : nanoseconds;
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${withFraction(u, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${withFraction(u, 6)}ms`;
  let out = `${withFraction(u % 60_000_000_000n, 9)}s`;
  u /= 60_000_000_000n;
  if (u > 0n) {
    out = `${u % 60n}m${out}`;
    u /= 60n;
    if (u > 0n) out = `${u}h${out}`;
  }
  return sign + out;
}
