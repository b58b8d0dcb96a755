// Cost flat as data grows (issue 9 §4): the reads and writes that run on every invocation or page
// view, at a tenth of seed scale, at seed scale and at 10× seed, each size on its own clone of the
// migrated template built straight in SQL. Target: every operation within 3× of its small-data time.
import { rpc } from "@watermark/dashboard/api";
import pg from "pg";
import { createTestStack, type TestStack } from "../../tests/support/test-stack.ts";
import { BIG_RUN, pages, preflight } from "./dashboard.ts";
import { fmt, heading, latencyMs, median, row, timed } from "./measure.ts";

const TARGET_RATIO = 3;
const RUNS = 10;
/** Purges measured at each size, each dropping one more day. */
const PURGES = 3;

interface Size {
  label: string;
  chunks: number;
  fixtures: number;
  logs: number;
  metrics: number;
  runs: number;
}

export const sizes: Size[] = [
  { label: "small", chunks: 49, fixtures: 6_700, logs: 500_000, metrics: 100_000, runs: 10_000 },
  { label: "seed", chunks: 490, fixtures: 67_000, logs: 5_000_000, metrics: 1_000_000, runs: 100_000 },
  { label: "10×", chunks: 5_000, fixtures: 700_000, logs: 50_000_000, metrics: 10_000_000, runs: 1_000_000 },
];

// Logs span 31 days (INFO+ kept 30, DEBUG only in the last 8 of them, kept 7) and metrics 91
// days (kept 90): one day of each is past retention when the purge runs.
const BATCH = 2_000_000;

async function inBatches(total: number, insert: (from: number, to: number) => Promise<unknown>): Promise<void> {
  for (let from = 1; from <= total; from += BATCH) await insert(from, Math.min(total, from + BATCH - 1));
}

/** Leagues of 10 seasons, one chunk per season; fixtures spread evenly over the chunks, 5 % of them due. */
async function buildCollection(stack: Builder, size: Size): Promise<void> {
  await stack.query(
    `insert into watermark.leagues (id, name) select g, 'League ' || g from generate_series(1, ($1::int + 9) / 10) g;
     insert into watermark.seasons (id, league_id, name)
       select g, 1 + (g - 1) / 10, 'Season ' || g from generate_series(1, $1::int) g;`.replace(/\$1/g, String(size.chunks)),
  );
  const perChunk = size.fixtures / size.chunks;
  await inBatches(size.fixtures, (from, to) =>
    stack.query(
      // Small payloads: none of the measured reads touch them.
      `insert into watermark.fixtures (id, league_id, season_id, state_id, name, starting_at, events, participants, scores,
         collected_at, is_final, final_at, discovered_at, next_check_at)
       select g, 1 + s / 10, 1 + s, case when g % 4 = 0 then 1 else 5 end, 'Home ' || g || ' vs Away',
              (now() - (g % 200) * interval '1 day')::timestamp, '[]', '[]', '[]',
              now() - (g % 90) * interval '1 hour', g % 4 <> 0, case when g % 4 <> 0 then now() - interval '1 day' end,
              now() - interval '30 days',
              case when g % 20 = 0 then now() - interval '1 minute' when g % 4 = 0 then now() + interval '1 day' end
       from generate_series($1::int, $2::int) g, lateral (select floor((g - 1) / $3::float8)::int as s) x`,
      [from, to, perChunk],
    ),
  );
  await stack.query(
    `insert into watermark.chunks (chunk_id, league_id, season_id, priority, status, fixtures_total, fixtures_pending, discovered_at)
     select s.league_id || '_' || s.id, s.league_id, s.id, (s.id * 37) % 101, 'pending',
            count(f.id), count(f.id) filter (where f.next_check_at <= now()), now()
     from watermark.seasons s left join watermark.fixtures f on f.season_id = s.id
     group by s.id, s.league_id`,
  );
}

/** Runs over 50 pipelines and 31 days, one big run of 50 k logs, the log and metric volumes. */
async function buildMonitoring(stack: Builder, size: Size): Promise<void> {
  await inBatches(size.runs, (from, to) =>
    stack.query(
      `insert into watermark.etl_executions (execution_id, pipeline, trigger, status, started_at, finished_at, heartbeat_at,
         processed_fixtures, successful_fixtures, rows_written, duration_seconds, total_chunks, processed_chunks, created_by)
       select 'bench_run_' || g, 'pipeline_' || lpad((g % 50)::text, 2, '0'), 'schedule',
              (array['COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED'])[1 + g % 4],
              now() - g * (interval '31 days' / $3::int), now() - g * (interval '31 days' / $3::int) + interval '5 seconds',
              now() - g * (interval '31 days' / $3::int) + interval '5 seconds', g % 100, g % 90, g % 90, 5, 2, 2, 'bench'
       from generate_series($1::int, $2::int) g`,
      [from, to, size.runs],
    ),
  );
  await stack.query(
    `insert into watermark.etl_executions (execution_id, pipeline, status, started_at, finished_at, duration_seconds, rows_written)
     values ($1, 'watermark', 'COMPLETED', now() - interval '1 hour', now() - interval '10 minutes', 3000, 50000);
     `.replace("$1", `'${BIG_RUN}'`),
  );
  await stack.query(
    `insert into watermark.etl_logs ("timestamp", level, component, message, details, execution_id, chunk_id, pipeline)
     select now() - interval '1 hour' + g * interval '50 milliseconds',
            (array['DEBUG', 'INFO', 'INFO', 'INFO', 'WARNING', 'ERROR'])[1 + g % 6], 'collector',
            case when g % 3 = 0 then 'batch upserted' else 'filler ' || g end,
            case when g % 3 = 0 then '{"fixtures": 50, "rows_written": 49, "failed": 1}'::jsonb else '{}'::jsonb end,
            $1, 'c_' || (g % 40), 'watermark'
     from generate_series(1, 50000) g`,
    [BIG_RUN],
  );
  // In time order, as logs arrive: each run's lines together, DEBUG only where it is still kept.
  const filler = size.logs - 50_000;
  await inBatches(filler, (from, to) =>
    stack.query(
      `insert into watermark.etl_logs ("timestamp", level, component, message, execution_id, chunk_id, pipeline, created_by)
       select t.at, case when t.at > now() - interval '8 days' and g % 6 = 0 then 'DEBUG'
                         else (array['INFO', 'INFO', 'INFO', 'WARNING', 'ERROR'])[1 + g % 5] end,
              'collector', 'filler ' || g, 'bench_run_' || t.r, 'c_' || (g % 7), 'pipeline_' || lpad((t.r % 50)::text, 2, '0'),
              'bench'
       from generate_series($1::int, $2::int) g,
            lateral (select now() - ($3::int - g) * (interval '31 days' / $3::int) as at,
                            1 + (($3::int - g)::bigint * $4::int / $3::int) as r) t`,
      [from, to, filler, size.runs],
    ),
  );
  await inBatches(size.metrics, (from, to) =>
    stack.query(
      `insert into watermark.etl_metrics ("timestamp", execution_id, metric_name, metric_value, metric_unit, tags, metric_kind, pipeline,
         created_by)
       select t.at, case when t.r <= $4::int then 'bench_run_' || t.r end,
              (array['sportmonks.latency_ms', 'collector.batch_ms', 'collector.fixtures'])[1 + g % 3], g % 900, 'ms',
              jsonb_build_object('entity', 'fixtures', 'outcome', case when g % 50 = 0 then 'error' else 'ok' end),
              'timing', 'watermark', 'bench'
       from generate_series($1::int, $2::int) g,
            lateral (select now() - ($3::int - g) * (interval '91 days' / $3::int) as at,
                            1 + (($3::int - g)::bigint * $4::int * 91 / 31 / $3::int) as r) t`,
      [from, to, size.metrics, size.runs],
    ),
  );
  // The rollup triggers were off while building: the hourly rollup is counted once, as they would have.
  await stack.query(
    `insert into watermark.etl_log_hourly (pipeline, hour, level, log_count)
     select pipeline, date_trunc('hour', "timestamp", 'UTC'), level, count(*) from watermark.etl_logs group by 1, 2, 3`,
  );
}

type Builder = Pick<pg.Client, "query">;

/**
 * Builds on one superuser session with triggers off (session_replication_role = replica): the rows
 * are generated consistent (every log's run exists), so per-row foreign-key checks and per-statement
 * rollups would only slow the build, by about 10×.
 */
export async function build(stack: TestStack, size: Size): Promise<void> {
  const client = new pg.Client({ connectionString: stack.databaseUrl, application_name: "bench:scale-build" });
  await client.connect();
  try {
    await client.query("set session_replication_role = replica; set maintenance_work_mem = '512MB'");
    await buildCollection(client, size);
    // Secondary indexes are built once after the load: maintaining them row by row is what makes
    // 60 M rows take an hour on two cores.
    const { rows: indexes } = await client.query<{ name: string; def: string }>(
      `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
       from pg_index i
       where i.indrelid in ('watermark.etl_logs'::regclass, 'watermark.etl_metrics'::regclass) and not i.indisprimary`,
    );
    // The rollup triggers collect every inserted row even while disabled; the rollup is counted once below.
    const { rows: triggers } = await client.query<{ name: string; def: string }>(
      `select t.tgname as name, pg_get_triggerdef(t.oid) as def from pg_trigger t
       where t.tgrelid = 'watermark.etl_logs'::regclass and not t.tgisinternal`,
    );
    for (const trigger of triggers) await client.query(`drop trigger ${trigger.name} on watermark.etl_logs`);
    for (const index of indexes) await client.query(`drop index ${index.name}`);
    // Each day was written while it was current, so its partition existed: retention one day
    // longer while building gives the oldest day its partition, which the measured purge drops.
    await client.query(`update watermark.retention_policies set keep_for = keep_for + interval '1 day'
                        where kind in ('debug_logs', 'logs', 'metrics');
                        select watermark.maintain_partitions();`);
    await buildMonitoring(client, size);
    await client.query(`update watermark.retention_policies set keep_for = keep_for - interval '1 day'
                        where kind in ('debug_logs', 'logs', 'metrics')`);
    // A partitioned index's definition says ON ONLY (the parent alone): build it on every partition.
    for (const index of indexes) await client.query(index.def.replace(" ON ONLY ", " ON "));
    for (const trigger of triggers) await client.query(trigger.def);
    // Autovacuum keeps a live database's visibility map current, so the runs' counts are
    // read from indexes alone; rows loaded a moment ago have not been vacuumed yet.
    await client.query("vacuum watermark.etl_executions");
    await client.query("analyze");
  } finally {
    await client.end();
  }
}

type Measured = Map<string, number>;

async function measure(stack: TestStack, size: Size): Promise<Measured> {
  const out: Measured = new Map();
  const service = { supabaseUrl: stack.supabaseUrl, apiKey: stack.keys.anon, accessToken: stack.keys.serviceRole };
  const viewer = { supabaseUrl: stack.supabaseUrl, apiKey: stack.keys.anon, accessToken: stack.keys.viewer };
  out.set(
    "claim_chunk + release_chunk",
    await latencyMs(async () => {
      const lease = (await rpc(service, "claim_chunk", { owner: "bench", lease_seconds: 60 })) as {
        chunk_id: string;
        lease_token: string;
      } | null;
      if (!lease) throw new Error(`claim_chunk found no chunk at size ${size.label}: the generated chunks have no due fixtures`);
      await rpc(service, "release_chunk", { chunk_id: lease.chunk_id, lease_token: lease.lease_token, outcome: "pending" });
    }, RUNS),
  );
  const middle = await stack.query<{ chunk_id: string; season_id: string }>(
    "select chunk_id, season_id from watermark.chunks order by season_id offset $1 limit 1",
    [Math.floor(size.chunks / 2)],
  );
  const chunk = middle[0];
  if (!chunk) throw new Error("no chunk to list work for");
  out.set("list_chunk_work (50)", await latencyMs(() => rpc(service, "list_chunk_work", { chunk_id: chunk.chunk_id }), RUNS));
  out.set(
    "fixture_work: a season's due fixtures",
    await latencyMs(
      () => stack.query("select count(*) from watermark.fixture_work f where f.season_id = $1 and f.needs_work", [chunk.season_id]),
      RUNS,
    ),
  );
  out.set("evaluate_alerts", await latencyMs(() => rpc(service, "evaluate_alerts"), RUNS, 2));
  out.set("get_health_report", await latencyMs(() => rpc(viewer, "get_health_report"), RUNS, 2));
  for (const [name, calls] of Object.entries(pages)) {
    const reads = [...preflight, ...calls];
    out.set(`dashboard: ${name}`, await latencyMs(() => Promise.all(reads.map(([fn, args]) => rpc(viewer, fn, args))), RUNS, 2));
  }
  // Destructive, so each call purges a day of its own: the first the day past retention, then
  // (retention one day shorter each time) the next oldest. The median of the three. After each,
  // the drop job's two runs: the days' foreign keys, then the days and their files.
  const purges: number[] = [];
  const drops: { ms: number; bytes: number }[] = [];
  for (let shorter = 0; shorter < PURGES; shorter++) {
    if (shorter > 0) {
      await stack.query(`update watermark.retention_policies set keep_for = keep_for - interval '1 day'
                         where kind in ('debug_logs', 'logs', 'metrics')`);
    }
    const purge = await timed(() => stack.query("select watermark.purge_expired(100000, 1000000000) as purged"));
    purges.push(purge.seconds * 1000);
    const purged = purge.result[0] as { purged?: { partitions?: { detached?: number } } } | undefined;
    if (!purged?.purged?.partitions?.detached) {
      throw new Error(`purge ${shorter + 1} at size ${size.label} detached no day: the build left no expired day`);
    }
    await stack.query("select watermark.drop_expired_partitions()");
    const drop = await timed(() =>
      stack.query<{ r: { dropped: number; bytes: number } }>("select watermark.drop_expired_partitions() as r"),
    );
    drops.push({ ms: drop.seconds * 1000, bytes: Number(drop.result[0]?.r.bytes ?? 0) });
  }
  row(`purges (${size.label})`, purges.map((ms) => `${fmt(ms, 1)} ms`).join(", "));
  row(`expired days dropped (${size.label})`, drops.map((d) => `${fmt(d.ms, 1)} ms for ${fmt(d.bytes / 1024 / 1024, 1)} MB`).join(", "));
  out.set(`retention purge (a day past, median of ${PURGES})`, median(purges));
  return out;
}

export async function benchScale(options: { quick: boolean }): Promise<boolean> {
  const chosen = options.quick ? sizes.slice(0, 2) : sizes;
  heading(`Cost as data grows: ${chosen.map((s) => s.label).join(", ")} (medians of ${RUNS} warm calls; fixture payloads are small)`);
  const results: Measured[] = [];
  for (const size of chosen) {
    const stack = await createTestStack(`bench-scale-${size.label === "10×" ? "10x" : size.label}`);
    try {
      const built = await timed(() => build(stack, size));
      row(
        `built ${size.label}`,
        `${fmt(built.seconds, 1)} s  (${fmt(size.chunks)} chunks, ${fmt(size.fixtures)} fixtures, ${fmt(size.logs)} logs, ` +
          `${fmt(size.metrics)} metrics, ${fmt(size.runs)} runs)`,
      );
      results.push(await measure(stack, size));
    } finally {
      await stack.close();
    }
  }
  const base = results[0] as Measured;
  const width = 40;
  console.log(`\n  ${"operation".padEnd(width)}${chosen.map((s) => `${s.label.padStart(10)} ms`.padEnd(24)).join("")}`);
  let allMet = true;
  for (const [operation, small] of base) {
    const cells = results.map((r, i) => {
      const ms = r.get(operation) ?? Number.NaN;
      if (i === 0) return `${ms.toFixed(1).padStart(13)}`.padEnd(24);
      const ratio = ms / Math.max(small, 0.1);
      const ok = ratio <= TARGET_RATIO;
      allMet &&= ok;
      return `${ms.toFixed(1).padStart(13)} ${`${ratio.toFixed(1)}×${ok ? "" : " NOT MET"}`.padEnd(10)}`;
    });
    console.log(`  ${operation.padEnd(width)}${cells.join("")}`);
  }
  row(`target: each within ${TARGET_RATIO}× of small`, allMet ? "met" : "NOT MET");
  // Not judged against small: what it costs is the file system releasing the day's bytes, in a
  // transaction that locks only the day itself (docs/operations.md, Cost as data grows).
  row("expired days dropped", "by their own job (drop_expired_partitions), per byte released: not judged");
  return allMet;
}
