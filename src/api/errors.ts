// Errors shaped like the API server's: a Status object with a reason, an
// HTTP code, and for validation a list of causes that name the field path.

export type FieldErrorType = "Invalid" | "Required" | "Duplicate" | "NotSupported" | "Forbidden" | "TooLong";

/** One problem with one field, e.g. `spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535`. */
export class FieldError {
  constructor(
    readonly type: FieldErrorType,
    readonly field: string,
    readonly value: unknown,
    readonly detail: string,
  ) {}

  toString(): string {
    switch (this.type) {
      case "Required":
        return `${this.field}: Required value${this.detail ? `: ${this.detail}` : ""}`;
      case "Forbidden":
        return `${this.field}: Forbidden: ${this.detail}`;
      case "Duplicate":
        return `${this.field}: Duplicate value: ${formatValue(this.value)}`;
      case "NotSupported":
        return `${this.field}: Unsupported value: ${formatValue(this.value)}${this.detail ? `: ${this.detail}` : ""}`;
      case "TooLong":
        return `${this.field}: Too long: ${this.detail}`;
      case "Invalid":
        return `${this.field}: Invalid value: ${formatValue(this.value)}: ${this.detail}`;
    }
  }
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "null";
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

export const fieldErrors = {
  invalid: (field: string, value: unknown, detail: string) => new FieldError("Invalid", field, value, detail),
  required: (field: string, detail = "") => new FieldError("Required", field, undefined, detail),
  duplicate: (field: string, value: unknown) => new FieldError("Duplicate", field, value, ""),
  notSupported: (field: string, value: unknown, supported: readonly string[]) =>
    new FieldError("NotSupported", field, value, `supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}`),
  forbidden: (field: string, detail: string) => new FieldError("Forbidden", field, undefined, detail),
  tooLong: (field: string, value: unknown, max: number) =>
    new FieldError("TooLong", field, value, `may not be more than ${max} bytes`),
};

export type StatusReason =
  | "Invalid"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "Gone"
  | "Expired"
  | "MethodNotAllowed"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "TooManyRequests"
  | "Timeout"
  | "InternalError";

const codeOf: Record<StatusReason, number> = {
  Invalid: 422,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  Timeout: 504,
  Gone: 410,
  // A resourceVersion or continue token older than what is kept (upstream's NewResourceExpired).
  Expired: 410,
  MethodNotAllowed: 405,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  // An eviction the disruption budget does not allow now (upstream's NewTooManyRequests).
  TooManyRequests: 429,
  InternalError: 500,
};

export interface StatusObject {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: StatusReason;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string; field?: string }[] };
  code: number;
}

/** An API failure; travels over the wire as a Status object and back. */
export class ApiError extends Error {
  readonly code: number;
  constructor(
    readonly reason: StatusReason,
    message: string,
    readonly details: StatusObject["details"] = undefined,
  ) {
    super(message);
    this.name = "ApiError";
    this.code = codeOf[reason];
  }

  toStatus(): StatusObject {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }

  static fromStatus(status: StatusObject): ApiError {
    return new ApiError(status.reason, status.message, status.details);
  }

  /** `Deployment.apps "web" is invalid: [a, b]` as the API server words it. */
  static invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
    const qualified = group ? `${kind}.${group}` : kind;
    const list = errors.map((e) => e.toString());
    const message = `${qualified} "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(", ")}]`}`;
    return new ApiError("Invalid", message, {
      name,
      group,
      kind,
      causes: errors.map((e) => ({ reason: `Field${e.type === "Invalid" ? "ValueInvalid" : `Value${e.type}`}`, message: e.toString().slice(e.field.length + 2), field: e.field })),
    });
  }

  static notFound(resource: string, name: string): ApiError {
    return new ApiError("NotFound", `${resource} "${name}" not found`, { name, kind: resource });
  }

  static alreadyExists(resource: string, name: string): ApiError {
    return new ApiError("AlreadyExists", `${resource} "${name}" already exists`, { name, kind: resource });
  }

  /** `namespaces "kube-system" is forbidden: this namespace may not be deleted`, as upstream's NewForbidden words it. */
  static forbidden(resource: string, name: string, why: string): ApiError {
    return new ApiError("Forbidden", `${resource} "${name}" is forbidden: ${why}`, { name, kind: resource });
  }

  static conflict(resource: string, name: string, why: string): ApiError {
    return new ApiError("Conflict", `Operation cannot be fulfilled on ${resource} "${name}": ${why}`, { name, kind: resource });
  }
}
