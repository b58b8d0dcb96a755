// The function's environment, validated once per instance. A bad environment is
// answered as 500 server_misconfigured naming the variables (never their values).
import { EnvError, type EnvSource, readEnv } from "@watermark/core/config";
import type { z } from "zod";
import { HttpError } from "./http.ts";

declare const Deno: { env: { toObject(): Record<string, string> } } | undefined;

/** Deno.env under Deno (edge runtime, local servers); process.env elsewhere (tests under Node). */
export function platformEnv(): EnvSource {
  if (typeof Deno !== "undefined") return Deno.env.toObject();
  const proc = (globalThis as { process?: { env: EnvSource } }).process;
  return proc?.env ?? {};
}

/** Validates `source()` against `schema` on first use and caches the result; failures are retried next request. */
export function envReader<S extends z.ZodObject>(schema: S, source: () => EnvSource = platformEnv): () => z.output<S> {
  let cached: z.output<S> | undefined;
  return () => {
    if (cached) return cached;
    try {
      cached = readEnv(schema, source(), { fix: "set the function's secrets (supabase secrets set NAME=value) and redeploy" });
      return cached;
    } catch (err) {
      if (err instanceof EnvError) {
        console.error(`function environment: ${err.message}`);
        throw new HttpError("server_misconfigured", `the function is misconfigured: check ${err.variables.join(", ")}`, { cause: err });
      }
      throw err;
    }
  };
}
