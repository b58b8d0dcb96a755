// npm run web -- [--port N]: the web dashboard on loopback, reading as a viewer.
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

const usage = "usage: npm run web -- [--port N]";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: "string" }, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: give a port number between 0 and 65535`);
  const cfg = readEnv(viewerEnv, resolveSupabaseEnv(process.env).env, {
    fix: "set them, or unset all Supabase settings to use the local stack (`npm run stack -- up`)",
  });
  const server = await startDashboardServer(
    { supabaseUrl: cfg.SUPABASE_URL, apiKey: cfg.SUPABASE_ANON_KEY, accessToken: cfg.WATERMARK_VIEWER_JWT },
    { port },
  );
  console.log(`web dashboard: ${server.url} (Ctrl-C to stop)`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`web: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
