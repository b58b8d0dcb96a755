// Turns arbitrary log details into the JSON object the API stores: Errors
// keep their name/message/code, bigints become strings, undefined is dropped.
import type { z } from "zod";
import type { jsonObject } from "../rpc/schemas.ts";

type JsonObject = z.output<typeof jsonObject>;

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}

export function toJsonObject(details: Record<string, unknown> | undefined): JsonObject | undefined {
  if (details === undefined) return undefined;
  const text = JSON.stringify(details, replacer);
  const parsed: unknown = text === undefined ? {} : JSON.parse(text);
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : { value: parsed as never };
}
