// String-format checks shared by all validators. Each returns the list of
// problems (empty when the value is fine), worded exactly as the Kubernetes API
// server words them (k8s.io/apimachinery/pkg/util/validation), so callers can
// wrap each message in a FieldError.

/** Length in bytes, as Go's len() counts it. */
export function byteLength(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(" or ")}regex used for validation is '${fmt}')`;
}

export function emptyError(): string {
  return "must be non-empty";
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

export const isNegativeErrorMsg = "must be greater than or equal to 0";
export const fieldImmutableErrorMsg = "field is immutable";

const anchored = (fmt: string): RegExp => new RegExp(`^(?:${fmt})$`);

const dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const dns1123LabelErrMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
export const DNS1123LabelMaxLength = 63;
const dns1123LabelRegexp = anchored(dns1123LabelFmt);

const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
export const DNS1123SubdomainMaxLength = 253;
const dns1123SubdomainRegexp = anchored(dns1123SubdomainFmt);

const dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
const dns1035LabelErrMsg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
export const DNS1035LabelMaxLength = 63;
const dns1035LabelRegexp = anchored(dns1035LabelFmt);

/** RFC 1123 label: `my-name`, `123-abc`; at most 63 characters. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123LabelMaxLength) errs.push(maxLenError(DNS1123LabelMaxLength));
  if (!dns1123LabelRegexp.test(value)) {
    if (dns1123SubdomainRegexp.test(value)) errs.push("must not contain dots");
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, "my-name", "123-abc"));
  }
  return errs;
}

/** RFC 1123 subdomain: `example.com`; at most 253 characters. */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength));
  if (!dns1123SubdomainRegexp.test(value)) errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, "example.com"));
  return errs;
}

/** RFC 1035 label (must start with a letter): `my-name`, `abc-123`. */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1035LabelMaxLength) errs.push(maxLenError(DNS1035LabelMaxLength));
  if (!dns1035LabelRegexp.test(value)) errs.push(regexError(dns1035LabelErrMsg, dns1035LabelFmt, "my-name", "abc-123"));
  return errs;
}

const qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qualifiedNameMaxLength = 63;
const qualifiedNameRegexp = anchored(qualifiedNameFmt);

/**
 * A "qualified name", the syntax of label keys (and annotation keys, compared
 * lower-cased): an optional DNS subdomain prefix and '/', then a name of at
 * most 63 characters.
 */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (byteLength(name) > qualifiedNameMaxLength) errs.push(`name part ${maxLenError(qualifiedNameMaxLength)}`);
  if (!qualifiedNameRegexp.test(name)) {
    errs.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")}`);
  }
  return errs;
}

/** Label keys are qualified names. */
export const isValidLabelKey = isQualifiedName;

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
export const LabelValueMaxLength = 63;
const labelValueRegexp = anchored(labelValueFmt);

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > LabelValueMaxLength) errs.push(maxLenError(LabelValueMaxLength));
  if (!labelValueRegexp.test(value)) errs.push(regexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"));
  return errs;
}

/** A non-zero TCP/UDP port number. */
export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

export function isInRange(value: number, min: number, max: number): string[] {
  return value >= min && value <= max ? [] : [inclusiveRangeError(min, max)];
}

/**
 * An IANA service name (RFC 6335), the syntax of named ports: 1-15
 * characters of [-a-z0-9], at least one letter, no leading, trailing or
 * doubled hyphen.
 */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (byteLength(port) > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!/[a-z]/.test(port)) errs.push("must contain at least one letter (a-z)");
  if (port.includes("--")) errs.push("must not contain consecutive hyphens");
  if (port.length > 0 && (port.startsWith("-") || port.endsWith("-"))) errs.push("must not begin or end with a hyphen");
  return errs;
}

/** Alias: named ports are IANA service names. */
export const isIanaSvcName = isValidPortName;

const percentFmt = "[0-9]+%";
const percentErrMsg = "a valid percent string must be a numeric string followed by an ending '%'";

export function isValidPercent(percent: string): string[] {
  return anchored(percentFmt).test(percent) ? [] : [regexError(percentErrMsg, percentFmt, "1%", "93%")];
}

const httpHeaderNameFmt = "[-A-Za-z0-9]+";
const httpHeaderNameErrMsg = "a valid HTTP header must consist of alphanumeric characters or '-'";

export function isHTTPHeaderName(value: string): string[] {
  return anchored(httpHeaderNameFmt).test(value) ? [] : [regexError(httpHeaderNameErrMsg, httpHeaderNameFmt, "X-Header-Name")];
}

const envVarNameFmt = "[-._a-zA-Z][-._a-zA-Z0-9]*";
const envVarNameFmtErrMsg =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";

function hasChDirPrefix(value: string): string[] {
  if (value === ".") return ["must not be '.'"];
  if (value === "..") return ["must not be '..'"];
  if (value.startsWith("..")) return ["must not start with '..'"];
  return [];
}

/** The strict (pre-1.32) environment variable name syntax. */
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!anchored(envVarNameFmt).test(value)) {
    errs.push(regexError(envVarNameFmtErrMsg, envVarNameFmt, "my.env-name", "MY_ENV.NAME", "MyEnvName1"));
  }
  errs.push(...hasChDirPrefix(value));
  return errs;
}

/**
 * The relaxed environment variable name syntax the API server uses by
 * default since Kubernetes 1.32: any printable ASCII except '='.
 */
export function isRelaxedEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (value.length === 0) errs.push(`environment variable name ${emptyError()}`);
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c > 0x7e || ch === "=") {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return errs;
}

/** Name checks as the API server applies them to metadata.name / generateName. */
export type NameValidator = (name: string, prefix: boolean) => string[];

// With generateName a random suffix is appended, so a trailing dash is fine.
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith("-") ? `${name.slice(0, -1)}a` : name;
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

const dns1123SubdomainWithUnderscoreFmt = "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*";
const dns1123SubdomainWithUnderscoreErrMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character";

/** A DNS subdomain that may also contain '_' (DNS search domains, relaxed as upstream does by default). */
export function isDNS1123SubdomainWithUnderscore(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength));
  if (!anchored(dns1123SubdomainWithUnderscoreFmt).test(value)) {
    errs.push(regexError(dns1123SubdomainWithUnderscoreErrMsg, dns1123SubdomainWithUnderscoreFmt, "example.com"));
  }
  return errs;
}

const configMapKeyFmt = "[-._a-zA-Z0-9]+";
const configMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

/** A key in a ConfigMap or Secret. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength));
  if (!anchored(configMapKeyFmt).test(value)) errs.push(regexError(configMapKeyErrMsg, configMapKeyFmt, "key.name", "KEY_NAME", "key-name"));
  errs.push(...hasChDirPrefix(value));
  return errs;
}

const wildcardDNS1123SubdomainFmt = `\\*\\.${dns1123SubdomainFmt}`;
const wildcardDNS1123SubdomainErrMsg =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";

/** `*.example.com`: one leading wildcard label, then a DNS subdomain (RFC 1034 §4.3.3); at most 253 characters. */
export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength));
  if (!anchored(wildcardDNS1123SubdomainFmt).test(value)) errs.push(regexError(wildcardDNS1123SubdomainErrMsg, wildcardDNS1123SubdomainFmt, "*.example.com"));
  return errs;
}

/** Characters RFC 3986 allows in an HTTP path (apimachinery's httpPathFmt). */
const httpPathFmt = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";

/**
 * A domain-prefixed path such as `acme.io/foo` (IngressClass controller):
 * a DNS subdomain, '/', then HTTP path characters. Returns [value shown, message]
 * pairs, since upstream names the offending part rather than the whole value.
 */
export function isDomainPrefixedPath(value: string): [string, string][] {
  const slash = value.indexOf("/");
  if (slash <= 0 || slash === value.length - 1) return [[value, 'must be a domain-prefixed path (such as "acme.io/foo")']];
  const host = value.slice(0, slash);
  const path = value.slice(slash + 1);
  const errs: [string, string][] = isDNS1123Subdomain(host).map((m) => [host, m]);
  if (!anchored(httpPathFmt).test(path)) errs.push([path, regexError("Invalid path", httpPathFmt)]);
  return errs;
}

/** A name usable as one segment of a REST path (apimachinery's IsValidPathSegmentName). */
export function isPathSegmentName(name: string): string[] {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  return ["/", "%"].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

/**
 * metadata.name of a kind whose strategy checks nothing more than the generic
 * registry does (core/v1 Event): a path segment; a generateName only may not
 * contain '/' or '%' (apimachinery's ValidatePathSegmentName).
 */
export const nameIsPathSegment: NameValidator = (name, prefix) =>
  prefix ? ["/", "%"].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`) : isPathSegmentName(name);
