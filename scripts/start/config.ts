// Which world `npm start` runs in, decided from the environment before anything starts:
// - local (default): the local stack, the simulator, pg_cron → pg_net → collect;
// - local with a real API: SPORTMONKS_API_KEY without a Supabase project;
// - remote: SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY of a project (and SPORTMONKS_API_KEY).
import { parseArgs } from "node:util";
import { type EnvSource, httpUrl, readEnv, secret } from "@watermark/core/config";
import { z } from "zod";
import { hasSupabaseSettings } from "../local/stack-control.ts";

export class StartConfigError extends Error {
  override readonly name = "StartConfigError";
}

export type StartMode =
  | { kind: "local"; sportmonks: { apiKey: string; baseUrl?: string } | null }
  | { kind: "remote"; supabaseUrl: string; serviceRoleKey: string };

export interface StartArgs {
  timeoutMinutes: number;
  help: boolean;
}

export const startUsage = `usage: npm start [-- --timeout-minutes N]

  Runs the main job: Watermark collects every chunk, driven by pg_cron through
  pg_net and the collect edge function, and prints a summary.

  With no configuration it uses the local stack and the built-in Sportmonks
  simulator (no accounts needed). With SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY
  and SPORTMONKS_API_KEY it runs against that Supabase project instead (its
  migrations pushed, functions deployed, schedules pointed at them). With only
  SPORTMONKS_API_KEY (and optionally SPORTMONKS_BASE_URL) the local stack
  collects the real API.

  --timeout-minutes N   give up waiting after N minutes (default 30)`;

export function parseStartArgs(argv: string[]): StartArgs {
  let values: { "timeout-minutes"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { "timeout-minutes": { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (err) {
    throw new StartConfigError(`${err instanceof Error ? err.message : String(err)}\n${startUsage}`);
  }
  const raw = values["timeout-minutes"];
  const timeoutMinutes = raw === undefined ? 30 : Number(raw);
  if (!Number.isInteger(timeoutMinutes) || timeoutMinutes < 1 || timeoutMinutes > 24 * 60) {
    throw new StartConfigError(`--timeout-minutes ${raw}: give a whole number of minutes between 1 and 1440`);
  }
  return { timeoutMinutes, help: values.help ?? false };
}

const remoteSchema = z.object({
  SUPABASE_URL: httpUrl,
  SUPABASE_SERVICE_ROLE_KEY: secret("service role key (Project Settings → API)"),
  SPORTMONKS_API_KEY: secret("Sportmonks API token"),
});

const sportmonksSchema = z.object({
  SPORTMONKS_API_KEY: secret("Sportmonks API token"),
  SPORTMONKS_BASE_URL: httpUrl.optional(),
});

const isSet = (value: string | undefined) => value !== undefined && value.trim() !== "";

/**
 * Decides the mode by the CLIs' one rule (resolveSupabaseEnv): explicit Supabase settings win, so any
 * of them set means a project, and a partial set is an error; none means the local stack. Settings
 * whose SUPABASE_URL is the running local stack's own (`localGatewayUrl`, after
 * `eval "$(npm run -s stack -- env)"`) are the local stack too.
 */
export function resolveStartMode(env: EnvSource, localGatewayUrl?: string): StartMode {
  const url = env.SUPABASE_URL?.trim().replace(/\/+$/, "");
  const pointsAtLocalStack = isSet(url) && url === localGatewayUrl?.replace(/\/+$/, "");
  if (hasSupabaseSettings(env) && !pointsAtLocalStack) {
    try {
      const remote = readEnv(remoteSchema, env, {
        fix: "set SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and SPORTMONKS_API_KEY to run against your project, or unset SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY to use the local stack and simulator",
      });
      return { kind: "remote", supabaseUrl: remote.SUPABASE_URL, serviceRoleKey: remote.SUPABASE_SERVICE_ROLE_KEY };
    } catch (err) {
      throw new StartConfigError(err instanceof Error ? err.message : String(err));
    }
  }
  if (!isSet(env.SPORTMONKS_API_KEY)) {
    if (isSet(env.SPORTMONKS_BASE_URL)) {
      throw new StartConfigError(
        "SPORTMONKS_BASE_URL is set but SPORTMONKS_API_KEY is not: set the API token too, or unset SPORTMONKS_BASE_URL to use the simulator",
      );
    }
    return { kind: "local", sportmonks: null };
  }
  try {
    const sm = readEnv(sportmonksSchema, env, { fix: "fix the variable or unset it to use the simulator" });
    return { kind: "local", sportmonks: { apiKey: sm.SPORTMONKS_API_KEY, baseUrl: sm.SPORTMONKS_BASE_URL } };
  } catch (err) {
    throw new StartConfigError(err instanceof Error ? err.message : String(err));
  }
}
