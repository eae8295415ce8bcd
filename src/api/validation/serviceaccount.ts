// ServiceAccount (core v1): upstream's ValidateServiceAccount checks the
// metadata only (a DNS-subdomain name); secrets, imagePullSecrets and
// automountServiceAccountToken are stored as given.
import type { FieldError } from "../errors.js";

export function validateServiceAccountBody(): FieldError[] {
  return [];
}
