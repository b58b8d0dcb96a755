// Brings the local stack up and down. Used by `npm run stack`, `npm test` and `npm start`.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { bundledFunctions } from "./functions-server.ts";
import { binDir, localDir, repoRoot } from "./paths.ts";
import { freePort, portFromEnv, waitForPort } from "./ports.ts";
import {
  clusterDir,
  clusterExists,
  clusterPort,
  clusterRunning,
  initCluster,
  removeCluster,
  startCluster,
  stopCluster,
} from "./postgres.ts";
import { psql } from "./psql.ts";
import { configureLocalSchedules, type LocalScheduleOptions, listSchedules, type ScheduleState } from "./schedules.ts";
import { isRunning, type ServicePlan, type ServiceSpec, serviceMarker, serviceSpecs, startService, stopService } from "./services.ts";
import { databaseUrl, loadState, newSecrets, type StackState, saveState, stackEnv } from "./state.ts";
import { ensureDebianPackages } from "./system.ts";

export const TEMPLATE_DB = "watermark_template";

/** Applies supabase/migrations with the real Supabase CLI. */
function pushMigrations(url: string): void {
  const res = spawnSync(path.join(binDir, "supabase"), ["db", "push", `--remote=${url}`, "--yes", "--workdir", repoRoot], {
    encoding: "utf8",
    env: { ...process.env, SUPABASE_YES: "1" },
  });
  if (res.status !== 0) throw new Error(`supabase db push failed:\n${res.stdout}\n${res.stderr}`);
}

const BOOTSTRAP_SQL = path.join(repoRoot, "scripts/local/bootstrap.sql");
const PGNET_STAND_IN_SQL = path.join(repoRoot, "scripts/local/pgnet.sql");

/** Fingerprint of what builds the template (bootstrap, pg_net stand-in, migrations): it is rebuilt when this changes. */
function migrationsHash(): string {
  const dir = path.join(repoRoot, "supabase/migrations");
  const hash = createHash("sha256");
  for (const file of [BOOTSTRAP_SQL, PGNET_STAND_IN_SQL]) hash.update(path.basename(file)).update(readFileSync(file));
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(path.join(dir, name)));
  return hash.digest("hex").slice(0, 16);
}

const psqlValue = (url: string, sql: string) => psql(url, { command: sql, values: true });

/** pg_net cannot be installed here: its stand-in (same surface) is used only when the real one is absent. Asked once per `up`. */
function pgNetAvailable(url: string): boolean {
  return psqlValue(url, "select count(*) from pg_available_extensions where name = 'pg_net'") !== "0";
}

/** The Supabase platform surface a database needs before migrations run: bootstrap, then pg_net's stand-in if needed. */
function bootstrapDatabase(url: string, state: StackState, pgNet: boolean): void {
  psql(url, { file: BOOTSTRAP_SQL, vars: { authenticator_password: state.authenticatorPassword } });
  if (!pgNet) psql(url, { file: PGNET_STAND_IN_SQL });
}

/**
 * Keeps `watermark_template` migrated: test files clone it (CREATE DATABASE … TEMPLATE)
 * so each gets a private, fully migrated database in a fraction of a second.
 */
function ensureTemplate(state: StackState, pgNet: boolean): void {
  const admin = databaseUrl(state);
  const hash = migrationsHash();
  const current = psqlValue(admin, `select shobj_description(oid, 'pg_database') from pg_database where datname = '${TEMPLATE_DB}'`);
  if (current === hash) return;
  psqlValue(admin, `drop database if exists ${TEMPLATE_DB} with (force)`);
  psqlValue(admin, `create database ${TEMPLATE_DB}`);
  const url = databaseUrl(state, TEMPLATE_DB);
  bootstrapDatabase(url, state, pgNet);
  pushMigrations(url);
  psqlValue(admin, `comment on database ${TEMPLATE_DB} is '${hash}'`);
}

/** supabase/functions/<name>/index.ts from functions/<name> (scripts/build-functions.ts). */
function buildFunctionBundles(): void {
  const res = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts/build-functions.ts")], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`building edge functions failed:\n${res.stdout}${res.stderr}`);
}

export interface StackUpOptions {
  /** Rebuild supabase/functions bundles from functions/ (default true; `npm test` checks them for drift instead). */
  buildFunctions?: boolean;
  /**
   * More services the caller needs (npm start: the simulator), started before the function servers and the
   * schedules, with the settings they provide to functions. Remembered: an `up` without this option starts
   * the last ones asked for again (an empty list forgets them).
   */
  services?: ServiceSpec[];
  /**
   * Settings for named function servers on top of the stack's, e.g. npm start's
   * `{ collect: { SPORTMONKS_API_KEY, SPORTMONKS_BASE_URL } }` (undefined: the variable is absent), on top
   * of what the services provide. Not remembered: they may be secrets.
   * A server running with other requested settings is restarted; servers not named keep running as they are.
   */
  functionEnv?: ServicePlan["functionEnv"];
  /** Replaces pg_cron's collect schedule (cron expression and request body); left as it is when omitted. */
  collectSchedule?: LocalScheduleOptions["collect"];
}

/** Stops what the recorded services still run (only processes that are provably ours) and forgets them all. */
async function forgetServices(state: StackState): Promise<void> {
  for (const svc of Object.values(state.services)) await stopService(svc);
  state.services = {};
  saveState(state);
}

/** Per function: the settings the services provide, then the caller's on top; undefined when neither names any. */
function functionSettings(services: ServiceSpec[], asked: ServicePlan["functionEnv"]): ServicePlan["functionEnv"] {
  const merged: NonNullable<ServicePlan["functionEnv"]> = {};
  for (const service of services) {
    for (const [fn, settings] of Object.entries(service.provides ?? {})) merged[fn] = { ...merged[fn], ...settings };
  }
  for (const [fn, settings] of Object.entries(asked ?? {})) merged[fn] = { ...merged[fn], ...settings };
  return Object.keys(merged).length > 0 ? merged : undefined;
}

/**
 * Starts each service unless it already runs (the recorded pid is still our process), restarting one
 * whose requested settings changed. Records and saves each as it goes.
 */
async function ensureServices(state: StackState, specs: ServiceSpec[], log: (line: string) => void): Promise<void> {
  for (const spec of specs) {
    const running = state.services[spec.name];
    const marker = serviceMarker(spec);
    if (running && isRunning(running, marker)) {
      if (spec.settings === undefined || spec.settings === running.settings) {
        if (!running.marker) state.services[spec.name] = { ...running, marker }; // recorded before markers existed
        continue;
      }
      log(`restarting ${spec.name} with the settings asked for`);
      await stopService(running, marker);
    } else {
      log(`starting ${spec.name}`);
    }
    state.services[spec.name] = startService(spec);
    saveState(state);
    if (spec.port) await waitForPort(spec.port, 30000);
  }
  saveState(state);
}

export async function stackUp(log: (line: string) => void = () => {}, options: StackUpOptions = {}): Promise<StackState> {
  ensureDebianPackages();
  let state = loadState();
  if (!state || !clusterExists()) {
    if (state) await forgetServices(state);
    stopCluster();
    rmSync(localDir, { recursive: true, force: true });
    const dbPort = portFromEnv("WATERMARK_DB_PORT") ?? (await freePort());
    state = { ...newSecrets(), dbPort, gatewayPort: portFromEnv("WATERMARK_API_PORT") ?? (await freePort()), services: {} };
    log(`creating PostgreSQL 15 cluster in ${clusterDir()} on port ${dbPort}`);
    initCluster(dbPort, state.dbPassword);
    saveState(state);
  }
  state.dbPort = clusterPort();
  if (!clusterRunning()) {
    // Stopped by `down` or a reboot: the recorded pids are stale and may belong to other processes now.
    await forgetServices(state);
    log("starting PostgreSQL");
    startCluster();
  }
  await waitForPort(state.dbPort);
  const requested = options.services ?? state.requestedServices ?? [];
  state.requestedServices = requested;
  saveState(state);
  const url = databaseUrl(state);
  const pgNet = pgNetAvailable(url);
  bootstrapDatabase(url, state, pgNet);
  log("applying migrations (supabase db push)");
  pushMigrations(url);
  ensureTemplate(state, pgNet);
  if (options.buildFunctions ?? true) {
    log("building edge function bundles");
    buildFunctionBundles();
  }
  const env = stackEnv(state);
  const [gateway, ...rest] = await serviceSpecs(state, env, {
    pgNetStandIn: !pgNet,
    functions: bundledFunctions(),
    functionEnv: functionSettings(requested, options.functionEnv),
  });
  await ensureServices(state, [...(gateway ? [gateway] : []), ...requested, ...rest], log);
  // pg_cron's schedules call the functions through this gateway with a local trigger credential.
  const schedules = await configureLocalSchedules({
    databaseUrl: url,
    supabaseUrl: env.SUPABASE_URL ?? "",
    anonKey: env.SUPABASE_ANON_KEY,
    collect: options.collectSchedule,
  });
  log(
    schedules.collectCron
      ? `pg_cron invokes ${schedules.functionsBaseUrl}/collect on '${schedules.collectCron}' through pg_net`
      : "pg_cron has no collect schedule",
  );
  return state;
}

export async function stackDown(): Promise<void> {
  const state = loadState();
  if (state) await forgetServices(state);
  stopCluster();
}

export async function stackReset(log: (line: string) => void): Promise<StackState> {
  await stackDown();
  removeCluster();
  rmSync(localDir, { recursive: true, force: true });
  return stackUp(log);
}

export interface StackStatus {
  cluster: "running" | "stopped" | "absent";
  state?: StackState;
  /** Each service `up` runs or would start again (a requested one stopped by `down`), and whether it runs. */
  services: Record<string, boolean>;
  /** The function schedules in the main database (read while the cluster runs). */
  schedules: ScheduleState[];
}

export async function stackStatus(): Promise<StackStatus> {
  const state = loadState();
  const cluster = !clusterExists() ? "absent" : clusterRunning() ? "running" : "stopped";
  const services: Record<string, boolean> = {};
  for (const spec of state?.requestedServices ?? []) services[spec.name] = false;
  for (const [name, record] of Object.entries(state?.services ?? {})) services[name] = isRunning(record);
  const schedules = state && cluster === "running" ? await listSchedules(databaseUrl(state)) : [];
  return { cluster, state, services, schedules };
}

/**
 * The stack's env, or a clear error when it is not up. While a service that
 * provides the collect function's settings runs (the simulator `npm start`
 * brings), they are included, so `npm run collect` after the README's `eval`
 * collects from the same API the schedule does.
 */
export function requireStackEnv(): Record<string, string> {
  const state = loadState();
  if (!state || !clusterRunning()) throw new Error("the local stack is not running: start it with `npm run stack -- up`");
  const provided: Record<string, string> = {};
  for (const spec of state.requestedServices ?? []) {
    const record = state.services?.[spec.name];
    if (record && isRunning(record)) Object.assign(provided, spec.provides?.collect);
  }
  return { ...stackEnv(state), ...provided };
}

/** The variables that say which Supabase API to call and with which credentials (the API part of `stack -- env`). */
export const SUPABASE_SETTINGS = [
  "SUPABASE_URL",
  "SUPABASE_ANON_KEY",
  "SUPABASE_SERVICE_ROLE_KEY",
  "WATERMARK_VIEWER_JWT",
  "WATERMARK_OPERATOR_JWT",
] as const;

type Env = Record<string, string | undefined>;

/** True when the caller set any of SUPABASE_SETTINGS (blank counts as unset). */
export function hasSupabaseSettings(env: Env): boolean {
  return SUPABASE_SETTINGS.some((name) => (env[name]?.trim() ?? "") !== "");
}

export interface ResolvedSupabaseEnv {
  env: Env;
  /** environment: the caller's settings; local stack: the running stack's; none: neither (the CLI's schema says what is missing). */
  source: "environment" | "local stack" | "none";
}

/**
 * Where every CLI (alerts, web, dashboard, collect; npm start decides its mode by the same test) gets
 * its Supabase settings. One rule: explicit settings win. If the caller's environment sets any of
 * SUPABASE_SETTINGS it is used as it is, and a partial set is the CLI's error to report, never
 * completed from the stack. Otherwise the running local stack's settings, beside the caller's other
 * variables (SLACK_WEBHOOK_URL, SPORTMONKS_* …). Each CLI then applies only its own readEnv schema.
 */
export function resolveSupabaseEnv(env: Env, localStack: () => Record<string, string> = requireStackEnv): ResolvedSupabaseEnv {
  if (hasSupabaseSettings(env)) return { env, source: "environment" };
  let stack: Record<string, string>;
  try {
    stack = localStack();
  } catch {
    return { env, source: "none" };
  }
  return { env: { ...env, ...stack }, source: "local stack" };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A private, fully migrated database: CREATE DATABASE … TEMPLATE watermark_template. That fails while
 * anyone is connected to the template or while `up` rebuilds it, so it is retried for up to 30 s.
 */
export async function cloneTemplateDatabase(state: StackState, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name ${name}: use 1-63 lowercase letters, digits or _`);
  const admin = new pg.Client({ connectionString: databaseUrl(state), application_name: "watermark-clone" });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `the local stack is not reachable: start it with \`npm run stack -- up\` (${err instanceof Error ? err.message : String(err)})`,
      {
        cause: err,
      },
    );
  }
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`create database ${name} template ${TEMPLATE_DB}`);
        return databaseUrl(state, name);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if ((code !== "55006" && code !== "3D000") || attempt >= 60) {
          throw new Error(`could not clone ${TEMPLATE_DB} into ${name}: ${err instanceof Error ? err.message : String(err)}`, {
            cause: err,
          });
        }
        await sleep(500);
      }
    }
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(state: StackState, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl(state), application_name: "watermark-clone" });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}
