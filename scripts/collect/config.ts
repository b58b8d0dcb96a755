// Configuration from the environment, checked before anything runs (seed 001's
// troubleshooting: a missing variable is one clear message and no partial run).
// SUPABASE_URL / SUPABASE_SERVICE_ROLE_KEY come from the running local stack when none is set (resolveSupabaseEnv).
import { httpUrl } from "../../packages/core/src/config/index.ts";
import { requireStackEnv, resolveSupabaseEnv } from "../local/stack-control.ts";

export interface CollectConfig {
  sportmonksApiKey: string;
  sportmonksBaseUrl?: string;
  supabaseUrl: string;
  serviceRoleKey: string;
  /** Where the Supabase settings came from, for the banner. */
  supabaseSource: "environment" | "local stack";
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const FIXES: Record<string, string> = {
  SPORTMONKS_API_KEY: "set it to your Sportmonks API token (any value works against the simulator)",
  SUPABASE_URL: "set it to your project URL (Project Settings → API), or start the local stack: npm run stack -- up",
  SUPABASE_SERVICE_ROLE_KEY: "set it to the service role key (Project Settings → API), or start the local stack: npm run stack -- up",
};

export function readCollectConfig(
  env: Record<string, string | undefined>,
  stackEnv: () => Record<string, string> = requireStackEnv,
): CollectConfig {
  // The caller's variables, with the local stack's Supabase settings when the caller set none
  // (neither: reported below as missing variables).
  const resolved = resolveSupabaseEnv(env, stackEnv);
  const get = (name: string) => {
    const v = resolved.env[name]?.trim();
    return v ? v : undefined;
  };
  const supabaseUrl = get("SUPABASE_URL");
  const serviceRoleKey = get("SUPABASE_SERVICE_ROLE_KEY");
  const supabaseSource: CollectConfig["supabaseSource"] = resolved.source === "local stack" ? "local stack" : "environment";
  const sportmonksApiKey = get("SPORTMONKS_API_KEY");
  const missing = [
    ["SPORTMONKS_API_KEY", sportmonksApiKey],
    ["SUPABASE_URL", supabaseUrl],
    ["SUPABASE_SERVICE_ROLE_KEY", serviceRoleKey],
  ]
    .filter(([, v]) => !v)
    .map(([name]) => name as string);
  if (missing.length > 0) {
    throw new ConfigError(
      [`❌ Missing environment variables: ${missing.join(", ")}`, ...missing.map((name) => `   Fix: ${name}: ${FIXES[name]}`)].join("\n"),
    );
  }
  const url = httpUrl.safeParse(supabaseUrl);
  if (!url.success) throw new ConfigError(`❌ SUPABASE_URL ${url.error.issues[0]?.message ?? "is invalid"}`);
  const baseUrl = get("SPORTMONKS_BASE_URL");
  if (baseUrl !== undefined && !httpUrl.safeParse(baseUrl).success) {
    throw new ConfigError("❌ SPORTMONKS_BASE_URL must be an http(s) URL; unset it to use the public v3 football API");
  }
  return {
    sportmonksApiKey: sportmonksApiKey as string,
    sportmonksBaseUrl: baseUrl,
    supabaseUrl: url.data,
    serviceRoleKey: serviceRoleKey as string,
    supabaseSource,
  };
}
