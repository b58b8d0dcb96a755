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

/**
 * The copy a flat plain object of strings, finite numbers, booleans and nulls gives,
 * which is what JSON would make of it; undefined for anything else. Most details look
 * like this, and a JSON round trip per event is the logger's largest cost.
 */
function flatCopy(details: Record<string, unknown>): JsonObject | undefined {
  const proto = Object.getPrototypeOf(details);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const copy: JsonObject = {};
  for (const key of Object.keys(details)) {
    const value = details[key];
    if (key === "__proto__") return undefined;
    if (
      typeof value === "string" ||
      typeof value === "boolean" ||
      value === null ||
      (typeof value === "number" && Number.isFinite(value))
    ) {
      copy[key] = value;
    } else if (value !== undefined) {
      return undefined;
    }
  }
  return copy;
}

export function toJsonObject(details: Record<string, unknown> | undefined): JsonObject | undefined {
  if (details === undefined) return undefined;
  const flat = flatCopy(details);
  if (flat !== undefined) return flat;
  const text = JSON.stringify(details, replacer);
  const parsed: unknown = text === undefined ? {} : JSON.parse(text);
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : { value: parsed as never };
}
