// Request validation at the top of a handler: method, then a JSON body checked by zod.
import { formatPath } from "@watermark/core/rpc";
import type { z } from "zod";
import { HttpError } from "./http.ts";

export function requireMethod(request: Request, ...allowed: string[]): void {
  if (!allowed.includes(request.method)) {
    throw new HttpError("method_not_allowed", `${request.method} is not allowed: use ${allowed.join(" or ")}`, {
      headers: { Allow: allowed.join(", ") },
    });
  }
}

/** Largest body a handler reads; Watermark's bodies are a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads the body as JSON and validates it. An empty body counts as `{}`, so
 * `schema` decides whether everything is optional.
 */
export async function readJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES)
    throw new HttpError("invalid_body", `body: larger than ${MAX_BODY_BYTES} bytes; send a small JSON object`);
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError("invalid_json", "body: not valid JSON; send a JSON object such as {} or leave the body empty");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // `filters.league_id`, `ids[3]`; a problem with the whole object names `body`.
    throw new HttpError("invalid_body", `${formatPath(issue?.path ?? []) || "body"}: ${issue?.message ?? "is invalid"}`);
  }
  return parsed.data;
}
