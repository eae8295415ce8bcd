// IP address and CIDR parsing and checks, following the Go net package as the
// API server uses it ("sloppy" parsing: IPv4 octets may have leading zeros).
import { FieldError, fieldErrors } from "../errors.js";
import { isDNS1123Label, isDNS1123Subdomain } from "./names.js";

export interface ParsedIP {
  /** 4 for IPv4 and IPv4-mapped IPv6 (as Go's To4() sees them), else 6. */
  family: 4 | 6;
  /** Always the 16-byte form. */
  bytes: number[];
}

function parseIPv4Bytes(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,8}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

const v4Prefix = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIPv6Bytes(text: string): number[] | null {
  if (text.includes("%")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4Bytes(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  let words: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    words = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    words = head;
  }
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** Parses an IPv4 or IPv6 address, or returns null. */
export function parseIP(text: string): ParsedIP | null {
  if (text.includes(":")) {
    const bytes = parseIPv6Bytes(text);
    if (!bytes) return null;
    const mapped = v4Prefix.every((b, i) => bytes[i] === b);
    return { family: mapped ? 4 : 6, bytes };
  }
  const v4 = parseIPv4Bytes(text);
  return v4 ? { family: 4, bytes: [...v4Prefix, ...v4] } : null;
}

export function isValidIP(text: string): boolean {
  return parseIP(text) !== null;
}

export function isIPv4(text: string): boolean {
  return parseIP(text)?.family === 4;
}

export function isIPv6(text: string): boolean {
  return parseIP(text)?.family === 6;
}

export interface ParsedCIDR {
  ip: ParsedIP;
  prefix: number;
}

/** Parses `10.0.0.0/8` or `fd00::/64`, or returns null. */
export function parseCIDR(text: string): ParsedCIDR | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const ipText = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  const ip = parseIP(ipText);
  if (!ip || !/^[0-9]{1,3}$/.test(bits)) return null;
  const prefix = Number(bits);
  const max = ipText.includes(":") ? 128 : 32;
  return prefix <= max ? { ip, prefix } : null;
}

export function isValidCIDR(text: string): boolean {
  return parseCIDR(text) !== null;
}

export function validateIP(path: string, value: string): FieldError[] {
  return isValidIP(value) ? [] : [fieldErrors.invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")];
}

export function validateIPv4Address(path: string, value: string): FieldError[] {
  return isIPv4(value) ? [] : [fieldErrors.invalid(path, value, "must be a valid IPv4 address")];
}

export function validateIPv6Address(path: string, value: string): FieldError[] {
  return isIPv6(value) ? [] : [fieldErrors.invalid(path, value, "must be a valid IPv6 address")];
}

export function validateCIDR(path: string, value: string): FieldError[] {
  return isValidCIDR(value) ? [] : [fieldErrors.invalid(path, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")];
}

/**
 * Rejects addresses that make no sense as an endpoint or external IP:
 * unspecified, loopback, link-local unicast and link-local multicast.
 */
export function validateNonSpecialIP(value: string, path: string): FieldError[] {
  const ip = parseIP(value);
  if (!ip) return [fieldErrors.invalid(path, value, "must be a valid IP address")];
  const b = ip.bytes;
  const errs: FieldError[] = [];
  const v4 = ip.family === 4 ? b.slice(12) : undefined;
  const unspecified = v4 ? v4.every((x) => x === 0) : b.every((x) => x === 0);
  const loopback = v4 ? v4[0] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
  const linkLocal = v4 ? v4[0] === 169 && v4[1] === 254 : b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
  const linkLocalMulticast = v4 ? v4[0] === 224 && v4[1] === 0 && v4[2] === 0 : b[0] === 0xff && (b[1]! & 0x0f) === 0x02;
  if (unspecified) errs.push(fieldErrors.invalid(path, value, `may not be unspecified (${value})`));
  if (loopback) errs.push(fieldErrors.invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"));
  if (linkLocal) errs.push(fieldErrors.invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"));
  if (linkLocalMulticast) {
    errs.push(fieldErrors.invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"));
  }
  return errs;
}

/** A domain name with at least two labels; a trailing dot is allowed. */
export function validateFullyQualifiedDomainName(path: string, name: string): FieldError[] {
  if (name.length === 0) return [fieldErrors.required(path)];
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  const subErrs = isDNS1123Subdomain(trimmed);
  if (subErrs.length > 0) return [fieldErrors.invalid(path, trimmed, subErrs.join(","))];
  const labels = trimmed.split(".");
  if (labels.length < 2) return [fieldErrors.invalid(path, trimmed, "should be a domain with at least two segments separated by dots")];
  for (const label of labels) {
    const errs = isDNS1123Label(label);
    if (errs.length > 0) return [fieldErrors.invalid(path, label, errs.join(","))];
  }
  return [];
}
