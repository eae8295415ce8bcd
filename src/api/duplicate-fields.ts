// Keys a JSON document repeats inside one object, with their Kubernetes
// paths (`spec.replicas`, `spec.containers[0].name`): JSON.parse keeps the
// last silently, upstream's decoder (sigs.k8s.io/json) reports each as
// `duplicate field "spec.replicas"` under field validation.

/** Duplicate keys in text, in document order; [] for a document without any (or that is not JSON). */
export function duplicateFields(text: string): string[] {
  const found: string[] = [];
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        const key = str();
        const here = path ? `${path}.${key}` : key;
        if (seen.has(key)) found.push(here);
        seen.add(key);
        ws();
        i++; // colon
        value(here);
        ws();
        if (text[i++] === "}") return;
      }
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i++] === "]") return;
      }
    } else if (c === '"') str();
    else while (i < text.length && !",]} \t\n\r".includes(text[i]!)) i++;
  };
  try {
    value("");
  } catch {
    return [];
  }
  return found;
}
