// Fields a kind's schema does not have, found by watching its compiled
// schema validator read the object: the validator reads every property the
// schema declares (to check it) and iterates the keys of maps, so a key it
// neither read nor iterated is unknown — what upstream's strict JSON decoder
// reports as `unknown field "spec.foo"` (API concepts, "Field validation").
// An object whose schema declares no properties at all (free-form:
// RawExtension, FieldsV1) is left alone.

/** One unknown field: its Kubernetes path, and where it sits so that it can be dropped. */
export interface UnknownField {
  path: string;
  parent: Record<string, unknown>;
  key: string;
}

/**
 * The unknown fields of obj, in document order. `validate` runs the kind's
 * schema validator on the value it is given (a proxy of obj that records reads).
 */
export function findUnknownFields(obj: object, validate: (proxied: object) => void): UnknownField[] {
  const read = new WeakMap<object, Set<string>>();
  const iterated = new WeakSet<object>();
  const proxies = new WeakMap<object, object>();
  const wrap = (value: unknown): unknown => {
    if (typeof value !== "object" || value === null) return value;
    const known = proxies.get(value);
    if (known) return known;
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === "string") {
          let keys = read.get(target);
          if (!keys) read.set(target, (keys = new Set()));
          keys.add(key);
        }
        return wrap(Reflect.get(target, key, receiver));
      },
      ownKeys(target) {
        iterated.add(target);
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  validate(wrap(obj) as object);

  const found: UnknownField[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    const record = value as Record<string, unknown>;
    const keys = read.get(record);
    // Free-form (no declared properties) or a map: every key is accepted.
    const open = iterated.has(record) || !keys;
    for (const key of Object.keys(record)) {
      const here = path ? `${path}.${key}` : key;
      if (!open && !keys.has(key)) found.push({ path: here, parent: record, key });
      else walk(record[key], here);
    }
  };
  walk(obj, "");
  return found;
}

/** Removes the fields (as upstream's decoder drops them under fieldValidation Ignore and Warn). */
export function dropFields(fields: readonly UnknownField[]): void {
  for (const f of fields) delete f.parent[f.key];
}
