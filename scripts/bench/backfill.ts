// A first load through the scheduled path, end to end on the local stack (issue 9):
// pg_cron → pg_net → the collect function (Deno, the built bundle) → the backlog
// dispatcher chaining the next invocation, against a simulator with 10,000
// fixtures, 300 ms latency on every call and a rate limit scaled so its bound is a
// few minutes. The function server's CPU and memory are sampled from /proc.
// The function's answers take its default path (Postgres fetches them through
// pg_net); WATERMARK_FIXTURE_ANSWERS=pipe in the bench's environment pipes them
// through the function instead, to compare.
//
// It runs in the stack's main database (the only one pg_cron serves) and starts
// from an empty collection there: the collection tables are emptied first.
import { readdirSync, readFileSync } from "node:fs";
import { type Simulator, startSimulator } from "@watermark/simulator";
import pg from "pg";
import { FUNCTION_SERVICE_PREFIX } from "../local/functions-server.ts";
import { stackUp } from "../local/stack-control.ts";
import { databaseUrl, loadState } from "../local/state.ts";
import { fmt, heading, ratio, row } from "./measure.ts";

const SIMULATED_HOUR_SECONDS = 3600;
/** The Sportmonks client keeps this many calls per entity in reserve. */
const CLIENT_RESERVE = 10;
const LATENCY_MS = 300;
/** Seconds a simulated hour (one rate-limit window) lasts: under the 33 s a 135 s run waits for a reset. */
const WINDOW_SECONDS = 30;
/** Calls per entity per window: 30 usable, about 7 windows for the ~210 fixtures/multi calls. */
const HOURLY_LIMIT = 40;
const CLOCK_TICKS_PER_SECOND = 100;

export interface BackfillOptions {
  workers: number;
}

/** 13 leagues × 2 seasons × 20 teams (380 fixtures a season) and a cup: 10,002 fixtures, sized like real answers. */
function startBackfillSimulator(): Promise<Simulator> {
  return startSimulator({
    seed: 9,
    leagues: 13,
    seasonsPerLeague: 2,
    teamsPerLeague: 20,
    cups: 1,
    hourlyLimit: HOURLY_LIMIT,
    timeScale: SIMULATED_HOUR_SECONDS / WINDOW_SECONDS,
    faults: { slow: 1, slowMs: LATENCY_MS },
    // Per-player lineup details: a played fixture answers ~50 KB, like the real sample.
    playerDetails: true,
  });
}

interface ProcSample {
  at: number;
  cpuTicks: number;
  rssKb: number;
}

/** CPU ticks (user + system) and resident memory of a process and its descendants. */
function sampleProcessTree(rootPid: number): ProcSample {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (tree.has(parent) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let cpuTicks = 0;
  let rssKb = 0;
  for (const pid of tree) {
    cpuTicks += ticks.get(pid) ?? 0;
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      rssKb += Number(match?.[1] ?? 0);
    } catch {
      // ended
    }
  }
  return { at: Date.now(), cpuTicks, rssKb };
}

async function emptyCollection(db: pg.Client): Promise<void> {
  const { rows } = await db.query<{ n: number }>("select count(*)::integer as n from watermark.chunks where lease_expires_at > now()");
  if ((rows[0]?.n ?? 0) > 0) {
    throw new Error(
      "a collection run holds chunk leases in the local stack: wait for it to end (npm run stack -- status), then run the bench again",
    );
  }
  await db.query(`truncate watermark.leagues, watermark.seasons, watermark.chunks, watermark.fixtures, watermark.fixture_aggregates,
                           watermark.catalog_syncs, watermark.chunk_audit, watermark.api_rate_limits cascade`);
}

interface Execution {
  execution_id: string;
  trigger: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  stop_reason: string | null;
  /** How the run's fixtures/multi answers reached the database (database: pg_net; pipe: through the function). */
  fixture_answers: string | null;
  /** The run's own CPU count (this thread only), from its closing log line. */
  cpu_ms: number | null;
  batches: number | null;
}

export async function benchBackfill(options: BackfillOptions): Promise<boolean> {
  const sim = await startBackfillSimulator();
  const fixtures = sim.truth().fixtures.length;
  const state = loadState();
  if (!state) throw new Error("no local stack state: npm run stack -- up");
  const db = new pg.Client({ connectionString: databaseUrl(state), application_name: "bench:backfill" });
  await db.connect();
  const previous = await db.query<{ cron_expression: string; body: unknown }>(
    "select cron_expression, body from watermark.function_schedules where function_name = 'collect'",
  );
  const previousDispatch = (await db.query<{ s: Record<string, unknown> }>("select public.get_backlog_dispatch_settings() as s")).rows[0]
    ?.s;
  try {
    // collect served against this simulator (its server restarts with these settings).
    await stackUp(undefined, {
      buildFunctions: false,
      functionEnv: { collect: { SPORTMONKS_API_KEY: sim.apiKey, SPORTMONKS_BASE_URL: sim.baseUrl } },
    });
    const pid = loadState()?.services[`${FUNCTION_SERVICE_PREFIX}collect`]?.pid;
    if (!pid) throw new Error("the local stack runs no collect function server");
    await emptyCollection(db);
    await db.query("select public.set_backlog_dispatch_settings(enabled => true, max_workers => $1, calls_per_hour => $2)", [
      options.workers,
      HOURLY_LIMIT,
    ]);
    const since = (await db.query<{ now: Date }>("select now()")).rows[0]?.now as Date;

    // pg_cron starts the first run on its next minute; chaining does the rest.
    await db.query(`select public.configure_function_schedule('collect', '* * * * *', true, '{}')`);
    const samples: ProcSample[] = [];
    const sampler = setInterval(() => samples.push(sampleProcessTree(pid)), 200);
    samples.push(sampleProcessTree(pid));
    let firstAt: Date | undefined;
    const deadline = Date.now() + 20 * 60_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!firstAt) {
        const first = await db.query<{ requested_at: Date }>(
          "select min(requested_at) as requested_at from watermark.function_invocations where function_name = 'collect' and requested_at >= $1",
          [since],
        );
        firstAt = first.rows[0]?.requested_at ?? undefined;
        // Back to the usual cadence: the schedule only had to start the first run.
        if (firstAt) await db.query(`select public.configure_function_schedule('collect', '*/10 * * * *', true, '{}')`);
        continue;
      }
      const progress = await db.query<{ collected: number; running: number }>(
        `select (select count(*)::integer from watermark.fixtures where collected_at is not null) as collected,
                (select count(*)::integer from watermark.etl_executions where status = 'RUNNING' and started_at >= $1) as running`,
        [since],
      );
      const p = progress.rows[0];
      process.stderr.write(`\rbackfill: ${p?.collected ?? 0} / ${fixtures} fixtures collected, ${p?.running ?? 0} running   `);
      if (p && p.collected >= fixtures && p.running === 0) break;
      if (Date.now() > deadline) throw new Error(`backfill: not drained within 20 minutes (${p?.collected} / ${fixtures} fixtures)`);
    }
    process.stderr.write("\n");
    clearInterval(sampler);
    samples.push(sampleProcessTree(pid));

    const executions = (
      await db.query<Execution>(
        `select x.execution_id, x.trigger, x.status, x.started_at, x.finished_at,
                (select l.details ->> 'stop_reason' from watermark.etl_logs l
                  where l.execution_id = x.execution_id and l.message like 'collection %' order by l.log_id desc limit 1) as stop_reason,
                (select (l.details -> 'resources' ->> 'cpuMs')::float8 from watermark.etl_logs l
                  where l.execution_id = x.execution_id and l.message like 'collection %' order by l.log_id desc limit 1) as cpu_ms,
                (select (l.details -> 'resources' ->> 'batches')::integer from watermark.etl_logs l
                  where l.execution_id = x.execution_id and l.message like 'collection %' order by l.log_id desc limit 1) as batches,
                (select l.details ->> 'fixture_answers' from watermark.etl_logs l
                  where l.execution_id = x.execution_id and l.message like 'collection %' order by l.log_id desc limit 1) as fixture_answers
           from watermark.etl_executions x
          where x.started_at >= $1 and x.correlation_id like 'invocation:%'
          order by x.started_at`,
        [since],
      )
    ).rows;
    const invocations = (
      await db.query<{ trigger: string; n: number }>(
        `select trigger, count(*)::integer as n from watermark.function_invocations
          where function_name = 'collect' and requested_at >= $1 group by trigger order by trigger`,
        [since],
      )
    ).rows;
    const lastFinish = Math.max(...executions.map((x) => x.finished_at?.getTime() ?? 0));
    const wallSeconds = (lastFinish - (firstAt as Date).getTime()) / 1000;
    const stats = sim.stats();
    const fixtureCalls = stats.byEntity.Fixture ?? 0;
    const busiest = Math.max(...Object.values(stats.byEntity));
    const usable = HOURLY_LIMIT - CLIENT_RESERVE;
    // As in the collect bench: the first window opens at the first call, so it costs no waiting.
    const bound = (Math.ceil(busiest / usable) - 1) * WINDOW_SECONDS;

    const first = samples[0] as ProcSample;
    const last = samples.at(-1) as ProcSample;
    const cpuMs = ((last.cpuTicks - first.cpuTicks) * 1000) / CLOCK_TICKS_PER_SECOND;
    const peakPerRun = executions.map((x) => {
      const from = x.started_at.getTime();
      const to = x.finished_at?.getTime() ?? last.at;
      return Math.max(0, ...samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.rssKb));
    });
    const stops = new Map<string, number>();
    for (const x of executions) {
      const key =
        x.status === "COMPLETED" ? (x.stop_reason ?? "unknown") : `${x.status.toLowerCase()}${x.stop_reason ? `:${x.stop_reason}` : ""}`;
      stops.set(key, (stops.get(key) ?? 0) + 1);
    }
    // Platform limits: a run killed (never finished, or reaped) or stopped to stay under CPU or memory.
    const onLimit = executions.filter((x) => x.status !== "COMPLETED" || /cpu|memory|wall/.test(x.stop_reason ?? "")).length;

    heading(
      `Backfill through pg_cron → pg_net → collect (${fmt(fixtures)} fixtures, ${LATENCY_MS} ms per call, ` +
        `${HOURLY_LIMIT} calls per entity per ${WINDOW_SECONDS} s window, reserve ${CLIENT_RESERVE}, ${options.workers} worker${options.workers > 1 ? "s" : ""})`,
    );
    row("busiest entity's calls (fixtures/multi)", `${busiest} (${fixtureCalls})`);
    const paths = [...new Set(executions.map((x) => x.fixture_answers ?? "unknown"))];
    row(
      "fixtures/multi answers",
      paths.map((p) => (p === "database" ? "fetched by Postgres (pg_net)" : p === "pipe" ? "piped through the function" : p)).join(", "),
    );
    row("wall time / rate-limit bound", `${fmt(wallSeconds, 1)} s / ${bound} s`);
    const wallOk = ratio("wall time ÷ bound", wallSeconds / Math.max(bound, 1), { atMost: 1.25 });
    row("function CPU", `${fmt(cpuMs)} ms over ${executions.length} runs`);
    const cpuOk = ratio("function CPU ms per fixtures/multi batch", cpuMs / Math.max(fixtureCalls, 1), { atMost: 5 });
    // The runs' own count: the collector's thread only, without the server's other threads and idle time.
    const threadMs = executions.reduce((sum, x) => sum + (x.cpu_ms ?? 0), 0);
    const threadBatches = executions.reduce((sum, x) => sum + (x.batches ?? 0), 0);
    row(
      "collector thread CPU ms per batch (the runs' own count)",
      `${fmt(threadMs / Math.max(threadBatches, 1), 2)} (${fmt(threadMs)} ms, ${threadBatches} batches)`,
    );
    row("peak memory per invocation (process RSS)", `${fmt(Math.max(...peakPerRun) / 1024, 1)} MB (idle ${fmt(first.rssKb / 1024, 1)} MB)`);
    row("invocations used", invocations.map((i) => `${i.n} ${i.trigger}`).join(", "));
    row("runs by stop reason", [...stops].map(([k, n]) => `${k} ${n}`).join(", "));
    row("runs stopped on a platform limit", onLimit === 0 ? "none" : String(onLimit));
    row("429s received", String(stats.rateLimited));
    return wallOk && cpuOk && onLimit === 0;
  } finally {
    await db.query("select public.configure_function_schedule('collect', $1, true, $2::jsonb)", [
      previous.rows[0]?.cron_expression ?? "*/10 * * * *",
      JSON.stringify(previous.rows[0]?.body ?? {}),
    ]);
    if (previousDispatch) {
      await db.query("select public.set_backlog_dispatch_settings(max_workers => $1, calls_per_hour => $2)", [
        previousDispatch.max_workers,
        previousDispatch.calls_per_hour,
      ]);
    }
    await db.end();
    await sim.close();
    // collect goes back to the settings the stack's own services give it.
    await stackUp(undefined, { buildFunctions: false });
  }
}
