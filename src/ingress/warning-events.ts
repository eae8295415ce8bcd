// Which object a translation warning is about, and the Warning Event it
// becomes (ingress-nginx reports what it cannot use as Events on the
// Ingress; an unknown annotation is ignored with one, never refused).
// Warnings name their object first (`Ingress ns/name…: what`). Pure.

export interface WarningEvent {
  kind: "Ingress" | "Gateway";
  namespace: string;
  name: string;
  reason: string;
  message: string;
}

export function warningEvent(warning: string): WarningEvent | undefined {
  const m = /^(Ingress|Gateway) ([a-z0-9-]+)\/([a-z0-9.-]+)[^:]*: (.*)$/s.exec(warning);
  if (!m) return undefined;
  const [, kind, namespace, name, message] = m as unknown as [string, "Ingress" | "Gateway", string, string, string];
  const reason = /^annotation \S+ is not supported by kemu's router/.test(message)
    ? "UnknownAnnotation"
    : message.startsWith("annotation ")
      ? "InvalidAnnotation"
      : kind === "Ingress"
        ? "RuleIgnored"
        : "HostnameShadowed";
  return { kind, namespace, name, reason, message: warning.slice(warning.indexOf(": ") + 2) };
}
