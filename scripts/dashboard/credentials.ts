// Which API and key the dashboard reads with: the caller's settings, else the running local stack's
// (resolveSupabaseEnv); from them, least privilege: a viewer JWT before the service role key.
import { z } from "zod";
import { httpUrl, readEnv, secret } from "../../packages/core/src/config/index.ts";
import { requireStackEnv, resolveSupabaseEnv } from "../local/stack-control.ts";

export interface Credentials {
  url: string;
  apiKey: string;
  accessToken?: string;
  /** Says where they came from, for --verbose (never the secrets). */
  source: string;
}

const fix =
  "set SUPABASE_URL with WATERMARK_VIEWER_JWT and SUPABASE_ANON_KEY (or SUPABASE_SERVICE_ROLE_KEY), or start the local stack with `npm run stack -- up`";

const viewerEnv = z.object({
  SUPABASE_URL: httpUrl,
  SUPABASE_ANON_KEY: secret("project's anon key"),
  WATERMARK_VIEWER_JWT: secret("viewer's JWT"),
});
const serviceEnv = z.object({ SUPABASE_URL: httpUrl, SUPABASE_SERVICE_ROLE_KEY: secret("service role key") });

function fromEnv(env: Record<string, string | undefined>, where: string): Credentials {
  if (env.WATERMARK_VIEWER_JWT) {
    const e = readEnv(viewerEnv, env, { fix });
    return { url: e.SUPABASE_URL, apiKey: e.SUPABASE_ANON_KEY, accessToken: e.WATERMARK_VIEWER_JWT, source: `${where}: viewer JWT` };
  }
  const e = readEnv(serviceEnv, env, { fix });
  return { url: e.SUPABASE_URL, apiKey: e.SUPABASE_SERVICE_ROLE_KEY, source: `${where}: service role key` };
}

export function resolveCredentials(
  env: Record<string, string | undefined>,
  localStack: () => Record<string, string> = requireStackEnv,
): Credentials {
  const resolved = resolveSupabaseEnv(env, localStack);
  if (resolved.source === "none") throw new Error(`SUPABASE_URL is not set and the local stack is not running; ${fix}`);
  return fromEnv(resolved.env, resolved.source);
}
