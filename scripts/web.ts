// npm run web -- [--port N] [--as viewer|operator]: the web dashboard on loopback, reading as a
// viewer (default) or as an operator (who may also mute and unmute alert rules from the page).
import { parseArgs } from "node:util";
import { httpUrl, readEnv, secret } from "@watermark/core";
import { startDashboardServer } from "@watermark/dashboard/server";
import { z } from "zod";
import { resolveSupabaseEnv } from "./local/stack-control.ts";

const viewerEnv = z.object({
  SUPABASE_URL: httpUrl,
  SUPABASE_ANON_KEY: secret("project's anon key (Project Settings → API)"),
  WATERMARK_VIEWER_JWT: secret("access token of a user whose app_metadata.watermark_role is viewer"),
});

const operatorEnv = z.object({
  WATERMARK_OPERATOR_JWT: secret("access token of a user whose app_metadata.watermark_role is operator"),
});

const usage = "usage: npm run web -- [--port N] [--as viewer|operator]";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: "string" }, as: { type: "string" }, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: give a port number between 0 and 65535`);
  const as = values.as ?? "viewer";
  if (as !== "viewer" && as !== "operator") throw new Error(`--as ${as}: give viewer or operator`);
  const env = resolveSupabaseEnv(process.env).env;
  const fix = "set them, or unset all Supabase settings to use the local stack (`npm run stack -- up`)";
  const cfg = readEnv(viewerEnv, env, { fix });
  const accessToken = as === "operator" ? readEnv(operatorEnv, env, { fix }).WATERMARK_OPERATOR_JWT : cfg.WATERMARK_VIEWER_JWT;
  const server = await startDashboardServer({ supabaseUrl: cfg.SUPABASE_URL, apiKey: cfg.SUPABASE_ANON_KEY, accessToken }, { port });
  console.log(`web dashboard: ${server.url} as ${as} (Ctrl-C to stop)`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`web: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
