// The web dashboard's reads at volume (issue 8): 50 pipelines, 100 k runs over 14 days and 1 M log
// rows, then each page's reads as the page makes them (in parallel, as a viewer over HTTP, with the
// pre-flight block every page carries). Target: every page answers in under 300 ms.
import { rpc } from "@watermark/dashboard/api";
import type { TestStack } from "../../tests/support/test-stack.ts";
import { fmt, heading, latencyMs, row, timed } from "./measure.ts";

const TARGET_MS = 300;
export const BIG_RUN = "bench_run_big";

type Call = [name: string, args?: Record<string, unknown>];

export const preflight: Call[] = [["get_health_report"], ["list_applied_migrations"], ["list_function_schedules"]];

/** Each page's reads, as packages/dashboard/src/pages/* make them. */
export const pages: Record<string, Call[]> = {
  overview: [
    ["list_pipelines"],
    ["list_etl_executions", { max_rows: 1 }],
    ["list_alerts", { state: "firing" }],
    ["list_api_rate_limits"],
    ["get_run_series", { days: 14 }],
    ["list_etl_executions", { status: "RUNNING", max_rows: 50 }],
    ["list_chunks", { status: "running", max_rows: 1000 }],
    ["list_alerts", { state: "active" }],
    ["list_etl_executions", { max_rows: 15 }],
    ["get_etl_logs", { min_level: "WARNING", max_rows: 20 }],
    ["get_etl_metric_summary", { hours: 24 }],
  ],
  pipelines: [["list_pipelines"]],
  "pipeline page": [
    ["list_pipelines"],
    ["list_etl_executions", { pipeline: "pipeline_07", max_rows: 50 }],
    ["list_alerts", { pipeline: "pipeline_07", max_rows: 20 }],
    ["get_pipeline_status", { pipeline: "pipeline_07" }],
    ["list_recent_fixtures", { max_rows: 20 }],
  ],
  "runs & control": [
    ["list_pipelines"],
    ["list_etl_executions", { pipeline: "pipeline_07", status: "FAILED", max_rows: 50 }],
    ["get_pipeline_status"],
    ["list_chunks", { max_rows: 200 }],
    ["list_chunk_queue", { max_rows: 20 }],
    ["list_api_rate_limits"],
    ["list_function_schedules"],
    ["list_function_invocations", { max_rows: 30 }],
  ],
  "run page (50 k logs)": [
    ["get_etl_execution_summary", { execution_id: BIG_RUN }],
    ["get_etl_logs", { execution_id: BIG_RUN, max_rows: 5 }],
    ["get_run_chunks", { execution_id: BIG_RUN }],
    ["get_etl_logs", { execution_id: BIG_RUN, min_level: "WARNING", chunk_id: "c_3", max_rows: 50 }],
    ["get_etl_metric_summary", { execution_id: BIG_RUN, hours: 2160 }],
  ],
  alerts: [["list_alerts", { state: "active" }], ["list_alert_notifications", { max_rows: 30 }], ["list_alert_rules"]],
  "access audit": [["get_access_audit", { hours: 24, max_rows: 50 }]],
};

/** 100 k runs over 50 pipelines and 14 days, 1 M logs (50 k of them on one run), straight in SQL. */
async function seed(stack: TestStack, runs: number, logs: number): Promise<void> {
  await stack.query(
    `insert into watermark.etl_executions (execution_id, pipeline, trigger, status, started_at, finished_at, heartbeat_at,
       processed_fixtures, rows_written, duration_seconds, total_chunks, processed_chunks)
     select 'bench_run_' || g, 'pipeline_' || lpad((g % 50)::text, 2, '0'), 'schedule',
            (array['COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED'])[1 + g % 4],
            now() - g * (interval '14 days' / $1::int), now() - g * (interval '14 days' / $1::int) + interval '5 seconds',
            now() - g * (interval '14 days' / $1::int) + interval '5 seconds', g % 100, g % 90, 5, 2, 2
     from generate_series(1, $1::int) g`,
    [runs],
  );
  await stack.query(
    `insert into watermark.etl_executions (execution_id, pipeline, status, started_at, finished_at, duration_seconds, rows_written)
     values ($1, 'watermark', 'COMPLETED', now() - interval '1 hour', now() - interval '10 minutes', 3000, 50000)`,
    [BIG_RUN],
  );
  const big = Math.min(50_000, logs);
  await stack.query(
    `insert into watermark.etl_logs ("timestamp", level, component, message, details, execution_id, chunk_id, pipeline)
     select now() - interval '1 hour' + g * interval '50 milliseconds',
            (array['DEBUG', 'INFO', 'INFO', 'INFO', 'WARNING', 'ERROR'])[1 + g % 6], 'collector',
            case when g % 3 = 0 then 'batch upserted' else 'filler ' || g end,
            case when g % 3 = 0 then '{"fixtures": 50, "rows_written": 49, "failed": 1}'::jsonb else '{}'::jsonb end,
            $1, 'c_' || (g % 40), 'watermark'
     from generate_series(1, $2::int) g`,
    [BIG_RUN, big],
  );
  for (let have = big; have < logs; have += 500_000) {
    const batch = Math.min(500_000, logs - have);
    await stack.query(
      `insert into watermark.etl_logs ("timestamp", level, component, message, execution_id, chunk_id, pipeline)
       select now() - (g % 336) * interval '1 hour', (array['DEBUG', 'INFO', 'INFO', 'INFO', 'WARNING', 'ERROR'])[1 + g % 6],
              'collector', 'filler ' || g, 'bench_run_' || (1 + g % $2::int), 'c_' || (g % 7),
              'pipeline_' || lpad(((1 + g % $2::int) % 50)::text, 2, '0')
       from generate_series(1, $1::int) g`,
      [batch, runs],
    );
  }
  await stack.query("analyze watermark.etl_executions; analyze watermark.etl_logs");
}

export async function benchDashboard(stack: TestStack, options: { runs: number; logs: number }): Promise<boolean> {
  const config = { supabaseUrl: stack.supabaseUrl, apiKey: stack.keys.anon, accessToken: stack.keys.viewer };
  heading(`Web dashboard reads (${fmt(options.runs)} runs, 50 pipelines, ${fmt(options.logs)} log rows)`);
  const seeded = await timed(() => seed(stack, options.runs, options.logs));
  row("seeding", `${fmt(seeded.seconds, 1)} s`);
  let allMet = true;
  for (const [name, calls] of Object.entries(pages)) {
    const reads = [...preflight, ...calls];
    const ms = await latencyMs(() => Promise.all(reads.map(([fn, args]) => rpc(config, fn, args))), 10, 2);
    // The slowest single read names what to look at when a page misses its target.
    let slowest: [string, number] = ["", 0];
    for (const [fn, args] of reads) {
      const one = await latencyMs(() => rpc(config, fn, args), 5, 1);
      if (one > slowest[1]) slowest = [fn, one];
    }
    const ok = ms < TARGET_MS;
    allMet &&= ok;
    row(
      `${name} (${reads.length} reads)`,
      `${ms.toFixed(1)} ms  (target < ${TARGET_MS} ms: ${ok ? "met" : "NOT MET"}; slowest ${slowest[0]} ${slowest[1].toFixed(1)} ms)`,
    );
  }
  return allMet;
}
