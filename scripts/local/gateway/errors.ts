// PostgREST's error body and its SQLSTATE → HTTP status table (docs: references/errors).

export interface PostgrestError {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly body: PostgrestError,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

export function pgrstError(status: number, code: string, message: string, details: string | null = null, hint: string | null = null) {
  return new GatewayError(status, { code, message, details, hint });
}

/** PostgREST's status for a PostgreSQL error; 42501 depends on whether the caller sent a JWT. */
function statusForSqlState(code: string, authenticated: boolean): number {
  if (code === "42501") return authenticated ? 403 : 401;
  const exact: Record<string, number> = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "53400": 500,
    P0001: 400,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
  };
  if (exact[code] !== undefined) return exact[code];
  const byClass: Array<[string, number]> = [
    ["08", 503],
    ["09", 500],
    ["0L", 403],
    ["0P", 403],
    ["25", 500],
    ["28", 403],
    ["2D", 500],
    ["38", 500],
    ["39", 500],
    ["3B", 500],
    ["40", 500],
    ["53", 503],
    ["54", 500],
    ["55", 500],
    ["57", 500],
    ["58", 500],
    ["F0", 500],
    ["HV", 500],
    ["P0", 500],
    ["XX", 500],
  ];
  for (const [prefix, status] of byClass) if (code.startsWith(prefix)) return status;
  // PTxyz: the function chose the HTTP status itself.
  const custom = /^PT(\d{3})$/.exec(code);
  if (custom) return Number(custom[1]);
  return 400;
}

interface PgDriverError {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
}

function isPgDriverError(err: unknown): err is PgDriverError {
  const code: unknown = err instanceof Error ? (err as unknown as { code?: unknown }).code : undefined;
  return typeof code === "string" && code.length === 5;
}

/** A database error as PostgREST forwards it; anything else is a 500 without internals. */
export function fromDatabaseError(err: unknown, authenticated: boolean): GatewayError {
  if (err instanceof GatewayError) return err;
  if (isPgDriverError(err)) {
    const code = err.code as string;
    return new GatewayError(statusForSqlState(code, authenticated), {
      code,
      message: err.message,
      details: err.detail ?? null,
      hint: err.hint ?? null,
    });
  }
  return pgrstError(503, "PGRST000", "Database client error", err instanceof Error ? err.message : String(err));
}
