// The API's checks of addresses and CIDRs, in kube-apiserver's words. They
// read text as Kubernetes does (netutils.ParseIPSloppy: leading zeros
// allowed; an IPv4-mapped IPv6 address counts as IPv4, as Go's To4() sees
// it); the parsing itself is src/net's.
import { FieldError, fieldErrors } from "../errors.js";
import { parseCIDR } from "../../net/cidr.js";
import { parseIP, type IPFamily } from "../../net/ip.js";
import { isDNS1123Label, isDNS1123Subdomain } from "./names.js";

/** The family Go's net package sees (IPv4 for IPv4-mapped IPv6), or undefined when `text` is not an address. */
export function ipFamilyOf(text: string): IPFamily | undefined {
  return parseIP(text)?.unmapped().family;
}

/** The family of a CIDR's address as written, as Go sees it; undefined when `text` is not a CIDR. */
export function cidrFamilyOf(text: string): IPFamily | undefined {
  return parseCIDR(text)?.ip.unmapped().family;
}

export function isValidIP(text: string): boolean {
  return parseIP(text) !== undefined;
}

export function isIPv4(text: string): boolean {
  return ipFamilyOf(text) === 4;
}

export function isIPv6(text: string): boolean {
  return ipFamilyOf(text) === 6;
}

export function isValidCIDR(text: string): boolean {
  return parseCIDR(text) !== undefined;
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
  const ip = parseIP(value)?.unmapped();
  if (!ip) return [fieldErrors.invalid(path, value, "must be a valid IP address")];
  const errs: FieldError[] = [];
  if (ip.isUnspecified()) errs.push(fieldErrors.invalid(path, value, `may not be unspecified (${value})`));
  if (ip.isLoopback()) errs.push(fieldErrors.invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"));
  if (ip.isLinkLocalUnicast()) errs.push(fieldErrors.invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"));
  if (ip.isLinkLocalMulticast()) {
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
