// Local edge-function servers: each bundle in supabase/functions/<name>/index.ts served by Deno.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./paths.ts";
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

/** name → port of the function servers the running stack recorded (read per request: they may restart). */
export function functionPortsFromState(): Record<string, number> {
  const services = loadState()?.services ?? {};
  const ports: Record<string, number> = {};
  for (const [name, svc] of Object.entries(services)) {
    if (name.startsWith(FUNCTION_SERVICE_PREFIX) && svc.port) ports[name.slice(FUNCTION_SERVICE_PREFIX.length)] = svc.port;
  }
  return ports;
}
