// `npm run dashboard` spawned as a user runs it: a viewer's settings for a private test stack,
// none of the caller's own SUPABASE_/WATERMARK_ settings or colour switches leaking in.
import { spawn } from "node:child_process";
import path from "node:path";
import type { TestStack } from "./test-stack.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runDashboardCli(stack: TestStack, args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith("SUPABASE_") && !k.startsWith("WATERMARK_") && k !== "NO_COLOR" && k !== "FORCE_COLOR",
    ),
  );
  const viewerEnv = { SUPABASE_URL: stack.supabaseUrl, SUPABASE_ANON_KEY: stack.keys.anon, WATERMARK_VIEWER_JWT: stack.keys.viewer };
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/dashboard.ts", ...args], {
    cwd: repoRoot,
    env: { ...base, ...viewerEnv, ...env } as NodeJS.ProcessEnv,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
