// Detached background processes of the local stack (gateway, pg_net worker, function servers).
import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import path from "node:path";
import { functionServerSpec } from "./functions-server.ts";
import { logDir, repoRoot } from "./paths.ts";
import { freePort } from "./ports.ts";
import type { StackState } from "./state.ts";

export interface ServiceSpec {
  name: string;
  /** Node entry (run with tsx) relative to the repo root, or a full command line. */
  entry?: string;
  command?: string[];
  port?: number;
  env: Record<string, string>;
}

export interface ServicePlan {
  /** pg_net is not installable: run the stand-in's worker. */
  pgNetStandIn: boolean;
  /** Edge functions with a bundle under supabase/functions. */
  functions: string[];
}

/** The services `up` starts, in order: the gateway first (function servers call it). Each reads its settings from env. */
export async function serviceSpecs(state: StackState, env: Record<string, string>, plan: ServicePlan): Promise<ServiceSpec[]> {
  const specs: ServiceSpec[] = [{ name: "gateway", entry: "scripts/local/gateway.ts", port: state.gatewayPort, env: {} }];
  if (plan.pgNetStandIn) specs.push({ name: "pg_net-worker", entry: "scripts/local/pgnet-worker-service.ts", env: {} });
  for (const fn of plan.functions) {
    const running = state.services[`function:${fn}`];
    const port = running?.port && isAlive(running.pid) ? running.port : await freePort();
    specs.push(functionServerSpec(fn, port, env));
  }
  return specs;
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
  const log = openSync(path.join(logDir, `${spec.name.replace(/[^a-z0-9_-]+/gi, "-")}.log`), "a");
  const [cmd, ...args] = spec.command ?? [process.execPath, "--import", "tsx", spec.entry ?? ""];
  if (!cmd || (!spec.command && !spec.entry)) throw new Error(`service ${spec.name} has neither entry nor command`);
  const child = spawn(cmd, args, {
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
