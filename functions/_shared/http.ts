// Stable JSON answers for edge functions: `{ error: { code, message } }` with a
// fixed code per failure, so callers (pg_net's recorded responses, scripts,
// dashboards) can branch on `code` and never see an unexpected error's text.

/** The error codes Watermark functions answer with. */
export const FunctionErrorCodes = {
  method_not_allowed: 405,
  invalid_json: 400,
  invalid_body: 400,
  unauthorized: 401,
  forbidden: 403,
  server_misconfigured: 500,
  upstream_unavailable: 503,
  internal_error: 500,
} as const;

export type FunctionErrorCode = keyof typeof FunctionErrorCodes;

/** A failure the caller may see: its code and message are the answer. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: FunctionErrorCode,
    message: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = FunctionErrorCodes[code];
    this.headers = options.headers ?? {};
  }
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
  });
}

export function errorResponse(error: HttpError): Response {
  return jsonResponse({ error: { code: error.code, message: error.message } }, error.status, error.headers);
}

export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Wraps a handler so every failure becomes a stable JSON answer: HttpError as
 * itself, anything else as 500 internal_error (logged, its text never sent).
 */
export function withErrorHandling(name: string, handler: FetchHandler): FetchHandler {
  return async (request) => {
    try {
      return await handler(request);
    } catch (err) {
      if (err instanceof HttpError) return errorResponse(err);
      console.error(`${name}: unexpected error`, err);
      return errorResponse(new HttpError("internal_error", `${name} failed unexpectedly; see the function logs`));
    }
  };
}
