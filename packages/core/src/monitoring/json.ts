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

/** How deep plainCopy follows nested plain objects before leaving the value to JSON. */
const PLAIN_DEPTH = 3;

/**
 * The copy a plain object of strings, finite numbers, booleans, nulls and (a few
 * levels of) nested plain objects gives, which is what JSON would make of it;
 * undefined for anything else. Most details look like this (a batch's counts with
 * its rate_limit, a chunk's checkpoint), and a JSON round trip per event is the
 * logger's largest cost.
 */
function plainCopy(details: Record<string, unknown>, depth: number): JsonObject | undefined {
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
    } else if (typeof value === "object" && depth > 0) {
      const nested = plainCopy(value as Record<string, unknown>, depth - 1);
      if (nested === undefined) return undefined;
      copy[key] = nested;
    } else if (value !== undefined) {
      return undefined;
    }
  }
  return copy;
}

export function toJsonObject(details: Record<string, unknown> | undefined): JsonObject | undefined {
  if (details === undefined) return undefined;
  const plain = plainCopy(details, PLAIN_DEPTH);
  if (plain !== undefined) return plain;
  const text = JSON.stringify(details, replacer);
  const parsed: unknown = text === undefined ? {} : JSON.parse(text);
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : { value: parsed as never };
}
