// Detached background processes of the local stack (gateway, pg_net worker, function servers).
import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import path from "node:path";
import { logDir, repoRoot } from "./paths.ts";
import type { StackState } from "./state.ts";

export interface ServiceSpec {
  name: string;
  /** Node entry (run with tsx) relative to the repo root. */
  entry: string;
  port?: number;
  env: Record<string, string>;
}

/** The services `up` starts, in order. Each reads its settings from env. */
export function serviceSpecs(state: StackState, _env: Record<string, string>): ServiceSpec[] {
  return [{ name: "gateway", entry: "scripts/local/gateway.ts", port: state.gatewayPort, env: {} }];
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function startService(spec: ServiceSpec): number {
  mkdirSync(logDir, { recursive: true });
  const log = openSync(path.join(logDir, `${spec.name}.log`), "a");
  const child = spawn(process.execPath, ["--import", "tsx", spec.entry], {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, ...spec.env },
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${spec.name}`);
  return child.pid;
}

export async function stopService(pid: number): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(-pid, "SIGTERM"); // the whole process group: tsx, deno children
  } catch {
    process.kill(pid, "SIGTERM");
  }
  for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(-pid, "SIGKILL");
}
