// Local edge-function servers: each bundle in supabase/functions/<name>/index.ts served by the
// real Deno runtime on a loopback port; the gateway proxies /functions/v1/<name> to it.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { binDir, repoRoot } from "./paths.ts";
import type { ServiceSpec } from "./services.ts";
import { loadState } from "./state.ts";

export const FUNCTION_SERVICE_PREFIX = "function:";

/** Functions with a deployable bundle (npm run build:functions writes them). */
export function bundledFunctions(): string[] {
  const dir = path.join(repoRoot, "supabase/functions");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "index.ts")))
    .map((d) => d.name)
    .sort();
}

export const bundlePath = (name: string) => path.join(repoRoot, "supabase/functions", name, "index.ts");

/** name → port of the function servers the running stack recorded (read per request: they may restart). */
export function functionPortsFromState(): Record<string, number> {
  const services = loadState()?.services ?? {};
  const ports: Record<string, number> = {};
  for (const [name, svc] of Object.entries(services)) {
    if (name.startsWith(FUNCTION_SERVICE_PREFIX) && svc.port) ports[name.slice(FUNCTION_SERVICE_PREFIX.length)] = svc.port;
  }
  return ports;
}

/** What a function sees, as on Supabase: the API URL and keys, plus the project's own settings. */
export function functionEnv(stackEnv: Record<string, string>, port: number): Record<string, string> {
  const env: Record<string, string> = {
    SUPABASE_URL: stackEnv.SUPABASE_URL ?? "",
    SUPABASE_ANON_KEY: stackEnv.SUPABASE_ANON_KEY ?? "",
    SUPABASE_SERVICE_ROLE_KEY: stackEnv.SUPABASE_SERVICE_ROLE_KEY ?? "",
    SUPABASE_DB_URL: stackEnv.DATABASE_URL ?? "",
    WATERMARK_FUNCTION_PORT: String(port),
  };
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && /^(WATERMARK|SPORTMONKS|SLACK)_/.test(k) && !(k in env)) env[k] = v;
  }
  return env;
}

/** Deno command serving one bundle file; --watch restarts it when `build:functions` rewrites the bundle. */
export function denoServeCommand(bundle: string, watch: boolean): string[] {
  return [
    path.join(binDir, "deno"),
    "run",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--no-prompt",
    ...(watch ? ["--watch"] : []),
    path.join(repoRoot, "scripts/local/functions-server-deno.ts"),
    bundle,
  ];
}

/** The service serving one function; `settings` (e.g. npm start's SPORTMONKS_*) go on top of functionEnv, undefined removing a variable. */
export function functionServerSpec(
  name: string,
  port: number,
  stackEnv: Record<string, string>,
  settings?: Record<string, string | undefined>,
): ServiceSpec {
  const env = functionEnv(stackEnv, port);
  for (const [k, v] of Object.entries(settings ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return {
    name: `${FUNCTION_SERVICE_PREFIX}${name}`,
    command: denoServeCommand(bundlePath(name), true),
    port,
    env,
  };
}
