// allowlist-source-range (whitelist-source-range): clients outside the
// CIDRs get 403 (nginx `allow …; deny all;`, reference §7). A bare address
// is a one-address block, as nginx's allow accepts it.
import { parseCIDR, type CIDR } from "../../net/cidr.js";
import { parseIP } from "../../net/ip.js";

export function compileRanges(ranges: readonly string[]): CIDR[] {
  const out: CIDR[] = [];
  for (const r of ranges) {
    const cidr = parseCIDR(r.includes("/") ? r : `${r}/${r.includes(":") ? 128 : 32}`);
    if (cidr) out.push(cidr);
  }
  return out;
}

export function sourceAllowed(ranges: readonly CIDR[], address: string): boolean {
  const ip = parseIP(address)?.unmapped();
  return ip !== undefined && ranges.some((c) => c.family === ip.family && c.contains(ip));
}
