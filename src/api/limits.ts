// The API server's size limits: what one request, one stored object and one
// cluster may hold. Upstream's figures where upstream has one; the others
// protect the host kemu runs on (a laptop), and are documented in
// docs/api-behaviours.md.

/** kube-apiserver's limit on a request body (apiserver's MaxRequestBodyBytes, 3 MiB). */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** etcd's default --max-request-bytes (1.5 MiB): the largest object upstream can store. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/**
 * How deeply JSON may nest (objects and arrays). Upstream's Go decoder stops
 * at 10,000; kemu's deepest legitimate object is about 15 levels, and its
 * recursive code (structuredClone, JSON.stringify, the yaml printer) overflows
 * the stack from about 680 levels, so 100 leaves a wide margin.
 */
export const MAX_NESTING_DEPTH = 100;

/** Pods one cluster may hold by default: a host-protection limit (kemu runs every pod as processes on one machine). */
export const DEFAULT_MAX_PODS = 20_000;

/** The depth of a JSON value (a scalar is 0, `{}` and `[]` are 1), found without recursion; stops once past `limit`. */
export function nestingDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    const d = depth + 1;
    if (d > deepest) {
      deepest = d;
      if (deepest > limit) return deepest;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (typeof child === "object" && child !== null) stack.push([child, d]);
    }
  }
  return deepest;
}

/** The message for a value nested deeper than MAX_NESTING_DEPTH. */
export function tooDeepMessage(limit = MAX_NESTING_DEPTH): string {
  return `the object nests more than ${limit} levels deep (kemu's limit on JSON nesting)`;
}

/** upstream's 413 message */
export function bodyTooLargeMessage(limit = MAX_REQUEST_BODY_BYTES): string {
  return `Request entity too large: limit is ${limit}`;
}
