// Environment readers shared by scripts and edge functions: validate every
// variable up front, name the variable and the fix, never echo a secret.
import { z } from "zod";

/** An http(s) URL such as SUPABASE_URL. */
export const httpUrl = z
  .string()
  .trim()
  .refine(
    (value) => {
      try {
        const u = new URL(value);
        return u.protocol === "http:" || u.protocol === "https:";
      } catch {
        return false;
      }
    },
    { message: "must be an http(s) URL such as https://<project>.supabase.co or http://127.0.0.1:54321" },
  )
  .transform((value) => value.replace(/\/+$/, ""));

/** A non-empty secret. Its value never appears in an error message. */
export const secret = (what = "secret") =>
  z
    .string()
    .trim()
    .min(1, { message: `is empty: set it to the ${what}` });

/** A positive integer given as text (ports, limits, timeouts). */
export const positiveInt = z.coerce.number().int().positive();

export type EnvSource = Record<string, string | undefined>;

export class EnvError extends Error {
  override readonly name = "EnvError";
  constructor(
    message: string,
    /** The variables that are missing or invalid. */
    readonly variables: string[],
  ) {
    super(message);
  }
}

/** Where to find each variable, appended to errors (e.g. how to start the local stack). */
export interface ReadEnvOptions {
  fix?: string;
}

/**
 * Reads and validates `env` (process.env or Deno.env.toObject()) against an
 * object schema whose keys are variable names. Empty strings count as unset.
 */
export function readEnv<S extends z.ZodObject>(schema: S, env: EnvSource, options: ReadEnvOptions = {}): z.output<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems: string[] = [];
  const variables: string[] = [];
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? "(environment)");
    variables.push(name);
    // Messages come from our schemas or zod's generic texts; neither includes the value.
    problems.push(input[name] === undefined ? `${name} is not set` : `${name} ${issue.message}`);
  }
  const fix = options.fix ? `; ${options.fix}` : "";
  return failEnv(`${problems.join("; ")}${fix}`, variables);
}

function failEnv(message: string, variables: string[]): never {
  throw new EnvError(message, variables);
}

/** The variables a service-role client needs. */
export const serviceEnvSchema = z.object({
  SUPABASE_URL: httpUrl,
  SUPABASE_SERVICE_ROLE_KEY: secret("service role key (Project Settings → API)"),
});
