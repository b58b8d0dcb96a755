// Shared setup for the collection tests: a private test stack, a simulator, and
// collector deps pointed at both. Comparison helpers read the database back.
import { type ChildProcess, spawn } from "node:child_process";
import { type CollectorSettings, createCollectorDeps } from "../../packages/core/src/collector/deps.ts";
import { type CollectOptions, type CollectResult, collect } from "../../packages/core/src/collector/index.ts";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../packages/simulator/src/index.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

/**
 * A world of round-robin leagues only, frozen in its current seasons: for tests
 * that count chunks, calls or fixtures. Cups, rollovers and incidents have their
 * own tests (the collect faults test, the season replay).
 */
export const LEAGUES_ONLY = {
  cups: 0,
  nextSeasonAt: "2100-01-01T00:00:00Z",
  postponementRate: 0,
  cancellationRate: 0,
  abandonmentRate: 0,
  correctionRate: 0,
} as const satisfies SimulatorOptions;

export interface CollectionEnv {
  stack: TestStack;
  sim: Simulator;
  /** One run; `settings` adds to the collector's (e.g. a resource probe). */
  run(options?: CollectOptions, settings?: Partial<CollectorSettings>): ReturnType<typeof collect>;
  /** One run that also counts the collector's RPC calls by name. */
  runCountingRpcs(options?: CollectOptions): Promise<{ result: CollectResult; rpcCalls: Record<string, number> }>;
  /** Env for spawning `npm run collect` against this stack and simulator. */
  cliEnv(): Record<string, string>;
  close(): Promise<void>;
}

export async function collectionEnv(label: string, simOptions: SimulatorOptions = {}): Promise<CollectionEnv> {
  const stack = await createTestStack(label);
  const sim = await startSimulator({ timeScale: 0, ...simOptions });
  const deps = (settings: Partial<CollectorSettings> = {}) =>
    createCollectorDeps({
      supabaseUrl: stack.supabaseUrl,
      serviceRoleKey: stack.keys.serviceRole,
      sportmonksApiKey: sim.apiKey,
      sportmonksBaseUrl: sim.baseUrl,
      console: { level: "off" },
      // Fast retries: the simulator's faults are injected, not load.
      sportmonks: { baseDelayMs: 5, maxDelayMs: 50, maxRetries: 10, timeoutMs: 2_000 },
      ...settings,
    });
  return {
    stack,
    sim,
    run: (options = {}, settings = {}) => collect(deps(settings), { timeBudgetMs: 300_000, ...options }),
    async runCountingRpcs(options = {}) {
      const counted = deps();
      const rpc = counted.rpc;
      const rpcCalls: Record<string, number> = {};
      counted.rpc = {
        registry: rpc.registry,
        call: (name, args, callOptions) => {
          rpcCalls[name] = (rpcCalls[name] ?? 0) + 1;
          return rpc.call(name, args, callOptions);
        },
      };
      const result = await collect(counted, { timeBudgetMs: 300_000, ...options });
      return { result, rpcCalls };
    },
    cliEnv: () => ({
      SUPABASE_URL: stack.supabaseUrl,
      SUPABASE_SERVICE_ROLE_KEY: stack.keys.serviceRole,
      SPORTMONKS_API_KEY: sim.apiKey,
      SPORTMONKS_BASE_URL: sim.baseUrl,
    }),
    async close() {
      await sim.close();
      await stack.close();
    },
  };
}

/** The fixture columns and includes upsert_fixture_response stores from an answer (migration 0003). */
export const STORED_FIXTURE_FIELDS = [
  "id",
  "league_id",
  "season_id",
  "stage_id",
  "group_id",
  "aggregate_id",
  "round_id",
  "state_id",
  "venue_id",
  "name",
  "starting_at",
  "starting_at_timestamp",
  "result_info",
  "leg",
  "length",
  "placeholder",
  "has_odds",
  "events",
  "lineups",
  "statistics",
  "participants",
  "scores",
] as const;

/** Bigint columns, read back as numbers like the API sends them. */
const NUMERIC_IDS = new Set(["id", "league_id", "season_id", "stage_id", "group_id", "aggregate_id", "round_id", "venue_id"]);

/** Every stored column and include (STORED_FIXTURE_FIELDS), as the API would send it. */
export async function storedFixtures(stack: TestStack): Promise<Record<string, unknown>[]> {
  const columns = STORED_FIXTURE_FIELDS.map((field) =>
    field === "starting_at"
      ? `to_char(starting_at, 'YYYY-MM-DD HH24:MI:SS') as starting_at`
      : NUMERIC_IDS.has(field) || field === "starting_at_timestamp"
        ? `${field}::float8 as ${field}`
        : field,
  );
  return stack.query<Record<string, unknown>>(
    `select ${columns.join(", ")} from watermark.fixtures where collected_at is not null order by id`,
  );
}

export function truthFixtures(sim: Simulator): Record<string, unknown>[] {
  return sim.truth().fixtures.map((f) => Object.fromEntries(STORED_FIXTURE_FIELDS.map((k) => [k, f[k] ?? null])));
}

/**
 * The fewest API calls the data needs: catalog pages, one schedule per season,
 * and ⌈fixtures ÷ 50⌉ fixtures/multi calls per chunk.
 */
export function minimumCalls(sim: Simulator): number {
  const perSeason = new Map<number, number>();
  for (const f of sim.truth().fixtures) perSeason.set(f.season_id as number, (perSeason.get(f.season_id as number) ?? 0) + 1);
  const leagues = sim.truth().leagues.length;
  const multi = [...perSeason.values()].reduce((sum, n) => sum + Math.ceil(n / 50), 0);
  return Math.ceil(leagues / 50) + Math.ceil(perSeason.size / 50) + perSeason.size + multi;
}

const ROOT = new URL("../..", import.meta.url).pathname;

export interface CliFinished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `npm run collect -- <args>` as a child process with only the given environment. */
export function startCli(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<CliFinished> } {
  // Only what the CLI needs: no Supabase/Sportmonks settings leak in from the developer's shell.
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/collect.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<CliFinished>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}
