// The local stack's persisted settings (.local/stack.json) and the env it exports.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { apiKey, userJwt } from "./jwt.ts";
import { localDir, stateFile } from "./paths.ts";
import type { ServiceSpec } from "./services.ts";

/** A detached process `up` (or `npm start`) started. */
export interface ServiceRecord {
  pid: number;
  port?: number;
  /**
   * One argument of its command line (the entry or bundle it runs): the pid is ours only while
   * /proc/<pid>/cmdline still has it, since after a reboot the pid may be anyone's. Absent in
   * records written before it existed: such a process is never signalled, only adopted by `up`.
   */
  marker?: string;
  /** Fingerprint of the settings a caller asked it to run with (StackUpOptions.functionEnv), if any. */
  settings?: string;
}

export interface StackState {
  dbPort: number;
  dbPassword: string;
  authenticatorPassword: string;
  jwtSecret: string;
  gatewayPort: number;
  /** Detached processes started by `up`, by service name. */
  services: Record<string, ServiceRecord>;
  /**
   * The services a caller asked `up` for beyond the stack's own (npm start: the simulator), kept so a
   * later `up` (after `down` or a reboot) starts them again, with the settings they give functions.
   */
  requestedServices?: ServiceSpec[];
}

export function loadState(): StackState | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, "utf8")) as StackState;
}

export function saveState(state: StackState): void {
  mkdirSync(localDir, { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export function newSecrets(): Pick<StackState, "dbPassword" | "authenticatorPassword" | "jwtSecret"> {
  const secret = () => randomBytes(24).toString("base64url");
  return { dbPassword: secret(), authenticatorPassword: secret(), jwtSecret: randomBytes(32).toString("base64url") };
}

export const databaseUrl = (s: StackState, database = "postgres") =>
  `postgresql://postgres:${s.dbPassword}@127.0.0.1:${s.dbPort}/${database}`;

/** What `npm run stack -- env` prints: the same names a real Supabase project uses. */
export function stackEnv(s: StackState): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl(s),
    SUPABASE_URL: `http://127.0.0.1:${s.gatewayPort}`,
    SUPABASE_ANON_KEY: apiKey("anon", s.jwtSecret),
    SUPABASE_SERVICE_ROLE_KEY: apiKey("service_role", s.jwtSecret),
    SUPABASE_JWT_SECRET: s.jwtSecret,
    WATERMARK_VIEWER_JWT: userJwt(s.jwtSecret, "00000000-0000-4000-8000-00000000000a", "viewer"),
    WATERMARK_OPERATOR_JWT: userJwt(s.jwtSecret, "00000000-0000-4000-8000-00000000000b", "operator"),
  };
}

/** `export NAME='value'` lines for a POSIX shell's eval: exported so the programs it runs next see them. */
export function exportLines(env: Record<string, string>): string {
  const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${quote(value)}`)
    .join("\n");
}
