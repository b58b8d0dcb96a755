// Typed errors of the Sportmonks client. Callers branch on the class (or on
// `kind`, which survives serialisation into logs). Messages name the endpoint
// and the fix; they never contain the API key (the client redacts it).

/** In-body codes documented by Sportmonks v3 ("Include Exceptions", "Other Exceptions"), by their documented names. */
export const SPORTMONKS_CODES = {
  /** The include exists but not on this endpoint. */
  includeNotAllowed: 5000,
  /** No such include anywhere in the API. */
  includeNotFound: 5001,
  /** The include exists but the plan does not cover it. */
  insufficientIncludes: 5002,
  /** The requested page does not exist. */
  paginationLimit: 5003,
  rateLimit: 5005,
  /** The plan does not cover the requested resource. */
  insufficientResources: 5007,
  /** Includes nested deeper than the endpoint allows. */
  includeDepth: 5008,
  /** The include is not available on the requested entity. */
  includeNotAvailable: 5013,
} as const;

/** The codes that reject a request because of its includes. */
export const SPORTMONKS_INCLUDE_CODES: ReadonlySet<number> = new Set([
  SPORTMONKS_CODES.includeNotAllowed,
  SPORTMONKS_CODES.includeNotFound,
  SPORTMONKS_CODES.insufficientIncludes,
  SPORTMONKS_CODES.includeDepth,
  SPORTMONKS_CODES.includeNotAvailable,
]);

export type SportmonksErrorKind =
  | "not_found"
  | "include"
  | "rate_limited"
  | "auth"
  | "plan"
  | "server"
  | "timeout"
  | "network"
  | "malformed"
  | "request"
  | "invalid_argument";

export interface SportmonksErrorDetails {
  /** Endpoint template, e.g. `fixtures/multi/{ids}`. */
  endpoint?: string;
  status?: number | null;
  /** Sportmonks in-body error code, when the body had one. */
  code?: number | null;
  cause?: unknown;
}

export abstract class SportmonksError extends Error {
  abstract readonly kind: SportmonksErrorKind;
  /** Whether retrying the same request can succeed. */
  abstract readonly retryable: boolean;
  readonly endpoint: string | null;
  readonly status: number | null;
  readonly code: number | null;

  constructor(message: string, details: SportmonksErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.endpoint = details.endpoint ?? null;
    this.status = details.status ?? null;
    this.code = details.code ?? null;
  }
}

/** A miss: HTTP 200 with a `message` and no `data` (or HTTP 404). */
export class SportmonksNotFound extends SportmonksError {
  readonly kind = "not_found";
  readonly retryable = false;
}

/** An include the API rejects: not allowed here (5000), unknown (5001), not in the plan (5002), too deep (5008), not available (5013). */
export class SportmonksIncludeError extends SportmonksError {
  readonly kind = "include";
  readonly retryable = false;
  /** The rejected include, when the answer names it (or the request had only one); null otherwise. */
  readonly include: string | null;

  constructor(message: string, details: SportmonksErrorDetails & { include?: string | null } = {}) {
    super(message, details);
    this.include = details.include ?? null;
  }
}

/**
 * Rate limit hit (HTTP 429 or code 5005), or about to be hit with the reset too
 * far away to wait for. `transient` when the answer's own `rate_limit` still
 * shows budget left: a spurious 429 (an API hiccup), retried after its
 * Retry-After like a 5xx, which neither spends the entity's budget nor stops a run.
 */
export class SportmonksRateLimited extends SportmonksError {
  readonly kind = "rate_limited";
  readonly retryable = true;
  /** The rate-limited entity (`requested_entity`), when known. */
  readonly entity: string | null;
  /** When the entity's hourly budget resets (transient: when to retry), when known. */
  readonly resetsAt: Date | null;
  /** The budget is not spent: the 429 said so itself (`rate_limit.remaining` > 0). */
  readonly transient: boolean;

  constructor(message: string, details: SportmonksErrorDetails & { entity: string | null; resetsAt: Date | null; transient?: boolean }) {
    super(message, details);
    this.entity = details.entity;
    this.resetsAt = details.resetsAt;
    this.transient = details.transient ?? false;
  }
}

/** HTTP 401: the API key is missing or wrong. Retrying cannot help. */
export class SportmonksAuthError extends SportmonksError {
  readonly kind = "auth";
  readonly retryable = false;
}

/**
 * HTTP 403 or code 5007: the key is fine but the plan does not cover this
 * resource (a league or season outside the subscription). Retrying cannot help;
 * the caller marks the resource as not covered and moves on.
 */
export class SportmonksPlanError extends SportmonksError {
  readonly kind = "plan";
  readonly retryable = false;
}

/** HTTP 5xx. */
export class SportmonksServerError extends SportmonksError {
  readonly kind = "server";
  readonly retryable = true;
}

/** No complete response within the per-request timeout. */
export class SportmonksTimeout extends SportmonksError {
  readonly kind = "timeout";
  readonly retryable = true;
}

/** The request never got an HTTP response (DNS, connection reset, ...). */
export class SportmonksNetworkError extends SportmonksError {
  readonly kind = "network";
  readonly retryable = true;
}

/** The body is not JSON or does not match the v3 schema. */
export class SportmonksMalformedResponse extends SportmonksError {
  readonly kind = "malformed";
  readonly retryable = true;
}

/** Any other rejected request (400, other 4xx, unknown in-body codes). */
export class SportmonksRequestError extends SportmonksError {
  readonly kind = "request";
  readonly retryable = false;
}

/** The caller's arguments break an API limit; thrown before any request is made. */
export class SportmonksInvalidArgument extends SportmonksError {
  readonly kind = "invalid_argument";
  readonly retryable = false;
}
