// Errors are API: the SQLSTATE codes our RPCs raise, and one error class that
// carries them to callers whatever the transport (supabase-js, raw fetch, pg).

/** SQLSTATE codes raised by Watermark RPCs (see docs/architecture.md). */
export const ErrorCodes = {
  invalid_parameter: "WM001",
  not_found: "WM002",
  conflict: "WM003",
  lease_lost: "WM004",
  insufficient_privilege: "42501",
} as const;

export type ErrorName = keyof typeof ErrorCodes;
export type ErrorCode = (typeof ErrorCodes)[ErrorName];

const namesByCode = new Map<string, ErrorName>(Object.entries(ErrorCodes).map(([name, code]) => [code, name as ErrorName]));

/** `events[3].level: unknown level…` → `events[3].level` (WM001 messages start with the field). */
const FIELD_PREFIX = /^([A-Za-z_][\w]*(?:\[\d+\]|\.[A-Za-z_]\w*)*): /;

export interface WatermarkErrorInit {
  code: string;
  message: string;
  details?: string | null;
  hint?: string | null;
  /** HTTP status when the error came over HTTP. */
  status?: number;
  cause?: unknown;
}

/** An error reported by the Watermark API (or PostgREST in front of it). */
export class WatermarkError extends Error {
  override readonly name = "WatermarkError";
  readonly code: string;
  /** The contract name of `code` (`invalid_parameter`, …), or undefined for other codes. */
  readonly kind: ErrorName | undefined;
  /** The offending field when the message starts with `<field>: `. */
  readonly field: string | undefined;
  readonly details: string | undefined;
  readonly hint: string | undefined;
  readonly status: number | undefined;

  constructor(init: WatermarkErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.kind = namesByCode.get(init.code);
    this.field = FIELD_PREFIX.exec(init.message)?.[1];
    this.details = init.details ?? undefined;
    this.hint = init.hint ?? undefined;
    this.status = init.status;
  }

  /** True when this error is the named contract error. */
  is(name: ErrorName): boolean {
    return this.kind === name;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, kind: this.kind, message: this.message, field: this.field, details: this.details, hint: this.hint };
  }
}

export function isWatermarkError(err: unknown, name?: ErrorName): err is WatermarkError {
  return err instanceof WatermarkError && (name === undefined || err.kind === name);
}

interface PostgrestErrorLike {
  code: string;
  message: string;
  details?: string | null;
  hint?: string | null;
}

/** PostgREST's `{code, message, details, hint}` body, as supabase-js hands it over too. */
function isPostgrestErrorLike(value: unknown): value is PostgrestErrorLike {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "string" && v.code !== "" && typeof v.message === "string";
}

/** Plain errors with `{ cause }`; anything thrown is turned into an Error. */
export function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (isPostgrestErrorLike(err)) return fromApiError(err);
  const message = typeof err === "string" ? err : safeJson(err);
  return new Error(message, { cause: err });
}

/**
 * Converts an API error body (PostgREST JSON, a supabase-js `error`, a pg error)
 * into WatermarkError. Bodies without a code (network failures reported by
 * supabase-js) become a plain Error that keeps the original as `cause`.
 */
export function fromApiError(err: unknown, status?: number): Error {
  if (err instanceof WatermarkError) return err;
  if (isPostgrestErrorLike(err)) {
    return new WatermarkError({ code: err.code, message: err.message, details: err.details, hint: err.hint, status, cause: err });
  }
  if (typeof err === "object" && err !== null && typeof (err as { message?: unknown }).message === "string") {
    const e = err as { message: string; details?: unknown };
    const detail = typeof e.details === "string" && e.details !== "" ? ` (${e.details})` : "";
    return new Error(`${e.message}${detail}`, { cause: err });
  }
  return toError(err);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** One-line description of any error for logs and CLIs: code, message and hint. */
export function describeError(err: unknown): string {
  const e = toError(err);
  if (e instanceof WatermarkError) return `${e.code}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`;
  return e.message;
}
