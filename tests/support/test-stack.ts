// A private, fully migrated database per test file (a clone of watermark_template) with its own
// in-process RPC gateway, so integration tests call RPCs over HTTP exactly as clients do.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { bundlePath, denoServeCommand, functionEnv } from "../../scripts/local/functions-server.ts";
import { type Gateway, startGateway } from "../../scripts/local/gateway/server.ts";
import { apiKey, userJwt } from "../../scripts/local/jwt.ts";
import { type PgNetWorker, startPgNetWorker } from "../../scripts/local/pgnet-worker.ts";
import { freePort, waitForPort } from "../../scripts/local/ports.ts";
import { serviceBaseEnv } from "../../scripts/local/services.ts";
import { cloneTemplateDatabase, dropDatabase } from "../../scripts/local/stack-control.ts";
import { databaseUrl, loadState, type StackState } from "../../scripts/local/state.ts";

export interface TestKeys {
  /** anon key: reaches nothing in Watermark. */
  anon: string;
  serviceRole: string;
  /** authenticated, app_metadata.watermark_role = viewer */
  viewer: string;
  /** authenticated, app_metadata.watermark_role = operator */
  operator: string;
  /** authenticated without Watermark rights */
  user: string;
}

export interface TestStack {
  /** Name of the private database. */
  database: string;
  /** Superuser URL of the private database. */
  databaseUrl: string;
  /** http://127.0.0.1:<port>: POST /rest/v1/rpc/<fn> with PostgREST semantics. */
  supabaseUrl: string;
  jwtSecret: string;
  keys: TestKeys;
  /**
   * Starts the pg_net stand-in's worker on the private database (the stack's own worker serves only
   * `postgres`): queued net.http_post/http_get requests are then delivered. Stopped by close().
   */
  startPgNetWorker(): PgNetWorker;
  /**
   * Serves an edge function bundle with Deno against this private stack (SUPABASE_URL = this gateway,
   * the service key, WATERMARK_* / SPORTMONKS_* / SLACK_* from process.env, then `env`), reachable at
   * the returned URL = `${supabaseUrl}/functions/v1/<name>`. Default bundle: supabase/functions/<name>/index.ts.
   */
  serveFunction(name: string, options?: { bundle?: string; env?: Record<string, string> }): Promise<string>;
  /** Superuser query on the private database. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops the gateway and drops the database; fails when the gateway leaked a database client. */
  close(): Promise<void>;
}

const notRunning = "the local stack is not running: start it with `npm run stack -- up` (vitest's global setup does this for you)";

function requireState(): StackState {
  const state = loadState();
  if (!state) throw new Error(notRunning);
  return state;
}

function databaseName(label: string): string {
  const slug =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 40) || "file";
  return `test_${slug}_${randomBytes(4).toString("hex")}`;
}

export async function createTestStack(label: string): Promise<TestStack> {
  const state = requireState();
  const database = databaseName(label);
  await cloneTemplateDatabase(state, database);
  let gateway: Gateway | undefined;
  const pool = new pg.Pool({ connectionString: databaseUrl(state, database), max: 4, application_name: `test:${label}` });
  pool.on("error", () => {});
  try {
    gateway = await startGateway({
      authenticatorUrl: `postgresql://authenticator:${encodeURIComponent(state.authenticatorPassword)}@127.0.0.1:${state.dbPort}/${database}`,
      jwtSecret: state.jwtSecret,
      functionPorts: () => functionPorts,
    });
  } catch (err) {
    await pool.end();
    await dropDatabase(state, database);
    throw err;
  }
  const secret = state.jwtSecret;
  const keys: TestKeys = {
    anon: apiKey("anon", secret),
    serviceRole: apiKey("service_role", secret),
    viewer: userJwt(secret, "00000000-0000-4000-8000-0000000000a1", "viewer"),
    operator: userJwt(secret, "00000000-0000-4000-8000-0000000000b1", "operator"),
    user: userJwt(secret, "00000000-0000-4000-8000-0000000000c1", null),
  };
  const workers: PgNetWorker[] = [];
  const functionPorts: Record<string, number> = {};
  const functionServers: ChildProcess[] = [];
  let closed = false;
  const running = gateway;
  return {
    database,
    databaseUrl: databaseUrl(state, database),
    supabaseUrl: running.url,
    jwtSecret: secret,
    keys,
    startPgNetWorker() {
      const worker = startPgNetWorker({ databaseUrl: databaseUrl(state, database), pollIntervalMs: 100 });
      workers.push(worker);
      return worker;
    },
    async serveFunction(name, options = {}) {
      const port = await freePort();
      const stackEnv = {
        SUPABASE_URL: running.url,
        SUPABASE_ANON_KEY: keys.anon,
        SUPABASE_SERVICE_ROLE_KEY: keys.serviceRole,
        DATABASE_URL: databaseUrl(state, database),
      };
      const [cmd, ...args] = denoServeCommand(options.bundle ?? bundlePath(name), false) as [string, ...string[]];
      const child = spawn(cmd, args, {
        // As the stack's own function servers: only what Deno needs from this process, then the function's settings.
        env: { ...serviceBaseEnv(), ...functionEnv(stackEnv, port), ...options.env },
        stdio: ["ignore", "inherit", "pipe"],
      });
      functionServers.push(child);
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
        process.stderr.write(chunk);
      });
      // The first run may fetch npm packages into Deno's cache.
      const exited = new Promise<never>((_, reject) =>
        child.once("exit", (code) => reject(new Error(`deno serving ${name} exited (${code}):\n${stderr}`))),
      );
      await Promise.race([waitForPort(port, 120_000), exited]);
      exited.catch(() => {});
      functionPorts[name] = port;
      return `${running.url}/functions/v1/${name}`;
    },
    async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      return (await pool.query<T>(sql, params)).rows;
    },
    async close() {
      if (closed) return;
      closed = true;
      const leaked = running.busyClients();
      for (const worker of workers) await worker.stop();
      for (const child of functionServers) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exit = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exit;
      }
      await running.close();
      await pool.end();
      await dropDatabase(state, database);
      if (leaked > 0)
        throw new Error(`the gateway still held ${leaked} database client(s) at close: a request path does not release its client`);
    },
  };
}
