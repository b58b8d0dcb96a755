// The end-of-run summary: executions, fixtures, API calls, rate-limit use,
// errors and the invocations pg_cron/pg_net really made.
import type { RpcClient } from "@watermark/core/rpc";
import type { SimulatorStats } from "@watermark/simulator";
import type { Snapshot } from "./follow.ts";
import type { StartRpcs } from "./rpcs.ts";

/** The local simulator npm start collected from (it outlives the run: its counters span every run since it started). */
export interface SimulatorUsage {
  url: string;
}

/** The simulator's line: each entity's current hourly window, and the real 429s since it started. */
export function simulatorRateLimitLine(stats: Pick<SimulatorStats, "rateLimits" | "rateLimited">): string {
  const since = `${stats.rateLimited} real 429s since the simulator started`;
  // The simulator outlives npm start: one started by an older checkout has no rateLimits.
  if (!stats.rateLimits)
    return `rate limits:  unknown (the running simulator predates per-window stats; restart it with npm run stack -- down); ${since}`;
  const windows = Object.entries(stats.rateLimits)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([entity, w]) =>
        `${entity} ${w.used}/${w.limit} (${((100 * w.used) / w.limit).toFixed(1)} %, resets in ${Math.ceil(w.resetsInSeconds / 60)} min)`,
    );
  const current = windows.length > 0 ? `${windows.join(", ")} in the simulator's current hourly windows` : "no calls in the current hour";
  return `rate limits:  ${current}; ${since}`;
}

async function metricTotal(rpc: RpcClient<StartRpcs>, metric: string, hours: number): Promise<number> {
  const rows = await rpc.call("get_etl_metric_summary", { metric_name: metric, hours, pipeline: "watermark" });
  return Math.round(rows.reduce((sum, r) => sum + r.samples * (r.avg ?? 0), 0));
}

function countBy<T>(items: T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(", ") || "none";
}

export interface Summary {
  lines: string[];
  errors: string[];
}

export async function summarize(rpc: RpcClient<StartRpcs>, s: Snapshot, since: Date, simulator: SimulatorUsage | null): Promise<Summary> {
  const hours = Math.max(0.01, (Date.now() - since.getTime()) / 3_600_000 + 0.01);
  const [apiCalls, api429] = await Promise.all([
    metricTotal(rpc, "collector.api_calls", hours),
    metricTotal(rpc, "collector.api_429", hours),
  ]);
  const executions = s.executions;
  const sum = (pick: (e: (typeof executions)[number]) => number | null) => executions.reduce((n, e) => n + (pick(e) ?? 0), 0);
  const f = s.overview.fixtures;
  const lines = [
    `executions:   ${executions.length} (${countBy(executions, (e) => e.status)}), ${sum((e) => e.successful_fixtures)} fixtures processed, ${sum((e) => e.rows_written)} rows written`,
    `chunks:       ${s.chunks.length} (${countBy(s.chunks, (c) => c.status)})`,
    `fixtures:     ${f.collected} of ${f.discovered} collected, ${f.pending} needing work, ${f.failed} failed`,
    `API calls:    ${apiCalls} (${api429} answered 429)`,
  ];

  if (simulator) {
    const stats = (await (await fetch(`${simulator.url}/__stats`)).json()) as SimulatorStats;
    lines.push(simulatorRateLimitLine(stats));
  } else {
    const limits = s.overview.rate_limits.map((r) => `${r.entity} ${r.remaining ?? "?"} left`).join(", ");
    lines.push(`rate limits:  ${limits || "none recorded yet"}`);
  }
  lines.push(
    `invocations:  ${s.invocations.length} collect invocations recorded (${countBy(s.invocations, (i) => `${i.trigger} ${i.status}`)})`,
  );

  const errors = [
    ...executions.filter((e) => e.status === "FAILED" && e.error_message).map((e) => `${e.execution_id}: ${e.error_message}`),
    ...s.chunks.filter((c) => c.status === "failed").map((c) => `chunk ${c.chunk_id}: ${c.last_error ?? "failed"}`),
    ...s.invocations
      .filter((i) => i.status === "failed" || i.status === "timed_out")
      .map((i) => `invocation ${i.id} ${i.status}: ${i.error ?? "no detail"}`),
  ];
  lines.push(`errors:       ${errors.length === 0 ? "none" : errors.length}`);
  return { lines, errors };
}
