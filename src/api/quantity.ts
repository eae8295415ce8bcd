// Kubernetes resource quantities ("100m", "64Mi", "1.5", "1e3") as numbers.

/** The syntax the API server states when a quantity does not parse. */
export const quantityRegexp = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";
export const quantityFormatError = `quantities must match the regular expression '${quantityRegexp}'`;
export const quantitySuffixError = "unable to parse quantity's suffix";

/** A quantity that does not parse; `reason` is the API server's wording. */
export class QuantityError extends Error {
  constructor(
    readonly text: string,
    readonly reason: string,
    readonly field?: string,
  ) {
    super(`${field ? `${field}: ` : ""}invalid quantity ${JSON.stringify(text)}: ${reason}`);
    this.name = "QuantityError";
  }
}

const decimalExponent: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binaryPower: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/**
 * Parses a resource quantity: a plain number (`2`, `0.5`, `-1`), a decimal SI
 * suffix (`n u m k M G T P E`), a binary suffix (`Ki Mi Gi Ti Pi Ei`) or a
 * decimal exponent (`1e3`, `5E-2`). Returns its value: `"100m"` gives 0.1,
 * `"64Mi"` gives 67108864. Numbers are returned as they are. Throws a
 * QuantityError (naming `field` when given) on bad syntax.
 */
export function parseQuantity(text: string | number, field?: string): number {
  if (typeof text === "number") {
    if (!Number.isFinite(text)) throw new QuantityError(String(text), quantityFormatError, field);
    return text;
  }
  const m = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(.*)$/.exec(text);
  if (!m || !new RegExp(quantityRegexp).test(text) || m[3]!.includes(".")) throw new QuantityError(text, quantityFormatError, field);
  const [, sign, digits, suffix] = m as unknown as [string, string, string, string];
  const mantissa = `${sign}${digits}`;
  let value: number;
  const exp = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
  if (suffix in decimalExponent) {
    value = Number(`${mantissa}e${decimalExponent[suffix]}`);
  } else if (suffix in binaryPower) {
    value = Number(mantissa) * 2 ** binaryPower[suffix]!;
  } else if (exp) {
    value = Number(`${mantissa}e${exp[1]}`);
  } else {
    throw new QuantityError(text, quantitySuffixError, field);
  }
  if (!Number.isFinite(value)) throw new QuantityError(text, quantityFormatError, field);
  return value === 0 ? 0 : value;
}
