// The seed's dashboard views over the viewer RPCs: health overview, one
// execution, recent logs, metric summaries. Each prints text or, with --json, JSON.
import type { ExecutionRow, HealthStatus, LogRow, MetricSummaryRow } from "../../packages/core/src/rpc/index.ts";
import { alertTable } from "./alerts.ts";
import type { DashboardContext } from "./context.ts";
import type { CollectionBacklog } from "./reads.ts";
import { duration, heading, keyValues, levelText, num, percent, type Style, statusText, table, time } from "./style.ts";

function healthLines(style: Style, h: HealthStatus): string[] {
  const lines = [
    ...heading(style, `ETL health${h.pipeline ? ` — ${h.pipeline}` : ""}`),
    ...keyValues(style, [
      ["Executions", num(h.total_executions)],
      ["Running", h.stale_running > 0 ? `${num(h.running)} ${style.red(`(${h.stale_running} without heartbeat)`)}` : num(h.running)],
      ["Completed", style.green(num(h.completed))],
      ["Failed", h.failed > 0 ? style.red(num(h.failed)) : num(h.failed)],
      ["Cancelled / abandoned", `${num(h.cancelled)} / ${h.abandoned > 0 ? style.red(num(h.abandoned)) : num(h.abandoned)}`],
      ["Average duration", duration(h.avg_duration_seconds)],
      ["Average success rate", percent(h.avg_success_rate)],
      ["Last execution", time(h.last_execution_at)],
      [`Logs since ${time(h.window_start)}`, num(h.logs_24h)],
      ["Errors / warnings", `${h.errors_24h > 0 ? style.red(num(h.errors_24h)) : num(h.errors_24h)} / ${num(h.warnings_24h)}`],
    ]),
  ];
  if (h.pipelines.length > 1) {
    lines.push(
      "",
      ...table(
        style,
        ["pipeline", "runs", "running", "failed", "avg duration", "success", "errors 24h"],
        h.pipelines.map((p) => [
          p.pipeline,
          num(p.total_executions),
          num(p.running),
          num(p.failed),
          duration(p.avg_duration_seconds),
          percent(p.avg_success_rate),
          num(p.errors_24h),
        ]),
      ),
    );
  }
  return lines;
}

function executionRows(style: Style, rows: ExecutionRow[]): string[] {
  return table(
    style,
    ["started (UTC)", "status", "pipeline", "duration", "fixtures ok/done", "execution"],
    rows.map((r) => [
      time(r.started_at),
      statusText(style, r.status),
      r.pipeline,
      duration(r.duration_seconds),
      r.processed_fixtures === null ? "—" : `${num(r.successful_fixtures)}/${num(r.processed_fixtures)}`,
      r.execution_id,
    ]),
  );
}

function logLines(style: Style, rows: LogRow[], verbose: boolean): string[] {
  return table(
    style,
    ["time (UTC)", "level", "component", "context", "message"],
    rows.map((l) => {
      const context = [
        l.execution_id && `exec:${l.execution_id}`,
        l.chunk_id && `chunk:${l.chunk_id}`,
        l.fixture_id !== null && `fixture:${l.fixture_id}`,
      ]
        .filter(Boolean)
        .join(" ");
      const details = verbose && l.details && Object.keys(l.details).length > 0 ? ` ${style.dim(JSON.stringify(l.details))}` : "";
      return [time(l.timestamp), levelText(style, l.level), l.component, context, `${l.message}${details}`];
    }),
  );
}

function metricLines(style: Style, rows: MetricSummaryRow[]): string[] {
  return table(
    style,
    ["metric", "unit", "samples", "avg", "min", "max", "p50", "p95", "p99"],
    rows.map((m) => [
      m.metric_name,
      m.metric_unit ?? "",
      num(m.samples),
      num(m.avg),
      num(m.min),
      num(m.max),
      num(m.p50),
      num(m.p95),
      num(m.p99),
    ]),
  );
}

/** A scheduled function as get_health_report's scheduler section shows it. */
interface ScheduleHealth {
  function_name: string;
  cron_expression: string;
  state: "active" | "paused" | "disabled";
  paused_at: string | null;
  paused_reason: string | null;
  last_invocation_at: string | null;
  last_status: string | null;
}

/** Each schedule's state (active, paused, disabled); a pause says why and how to resume, in full. */
function scheduleLines(style: Style, schedules: ScheduleHealth[]): string[] {
  const stateText = (s: ScheduleHealth) =>
    s.state === "paused" ? style.yellow("paused") : s.state === "disabled" ? style.dim("disabled") : style.green("active");
  return [
    ...table(
      style,
      ["function", "schedule", "state", "last invocation (UTC)"],
      schedules.map((s) => [
        s.function_name,
        s.cron_expression,
        stateText(s),
        s.last_status ? `${time(s.last_invocation_at)} ${statusText(style, s.last_status)}` : "—",
      ]),
    ),
    ...schedules
      .filter((s) => s.state === "paused")
      .map((s) =>
        style.yellow(
          `  ${s.function_name} paused since ${time(s.paused_at)}: ${s.paused_reason}; fix it, then resume_function_schedule('${s.function_name}')`,
        ),
      ),
  ];
}

/** The collection backlog: what needs work, the workers on it, and when it should be drained. */
function backlogLines(style: Style, b: CollectionBacklog): string[] {
  if (b.calls_needed === 0 && b.workers.running === 0) return [style.green("✅ Nothing to collect now: back to the schedule's cadence")];
  const wait = b.dispatch.wait_until ? ` until ${time(b.dispatch.wait_until)} UTC` : "";
  return [
    `  chunks needing work  ${num(b.chunks_claimable)} claimable · ${num(b.chunks_leased)} being worked · ${num(b.chunks_undiscovered)} not yet discovered`,
    `  fixtures / calls     ${num(b.fixtures_needing_work)} fixtures needing work · at least ${num(b.calls_needed)} API calls`,
    `  workers              ${b.workers.running} running · ${b.workers.starting} starting / ${b.workers.max} allowed`,
    `  time to drain        ${duration(b.expected_drain_seconds)} expected (rate-limit bound ${duration(b.rate_limit_bound_seconds)} at ` +
      `${num(b.rate_limit.calls_per_hour)} ${b.rate_limit.entity} calls/h; pace ${b.fixtures_per_minute} fixtures/min)`,
    `  dispatcher           ${b.dispatch.enabled ? `${b.dispatch.decision ?? "no decision yet"}${wait}` : style.yellow("off")}`,
  ];
}

export async function renderOverview(ctx: DashboardContext): Promise<void> {
  const { args, rpc, style } = ctx;
  const [health, executions, logs, metrics, report, firing, collection] = await Promise.all([
    rpc.call("get_etl_health_status", { pipeline: args.pipeline }),
    rpc.call("list_etl_executions", { pipeline: args.pipeline, max_rows: Math.min(args.limit, 10) }),
    rpc.call("get_etl_logs", { max_rows: args.limit }),
    rpc.call("get_etl_metric_summary", { hours: args.hours, pipeline: args.pipeline }),
    ctx.alerts.call("get_health_report", {}),
    ctx.alerts.call("list_alerts", { state: "firing", pipeline: args.pipeline, max_rows: 50 }),
    ctx.reads.call("get_collection_overview", {}),
  ]);
  const scheduler = (report.services as { scheduler?: { functions?: ScheduleHealth[] } } | undefined)?.scheduler;
  const schedules = scheduler?.functions ?? [];
  if (args.json) return ctx.printJson({ health, firing_alerts: firing, backlog: collection.backlog, executions, logs, metrics, schedules });
  ctx.print([
    style.bold("Watermark ETL dashboard"),
    style.dim(`generated ${time(health.generated_at)} UTC`),
    ...healthLines(style, health),
    ...heading(style, "Firing alerts"),
    ...(firing.length === 0 ? [style.green("✅ No alert firing")] : alertTable(ctx, firing)),
    ...heading(style, "Collection backlog"),
    ...backlogLines(style, collection.backlog),
    ...heading(style, "Schedules"),
    ...scheduleLines(style, schedules),
    ...heading(style, "Recent executions"),
    ...executionRows(style, executions),
    ...heading(style, `Recent logs (last ${args.limit})`),
    ...logLines(style, logs, args.verbose),
    ...heading(style, `Metrics, last ${num(args.hours)}h`),
    ...metricLines(style, metrics),
  ]);
}

export async function renderExecution(ctx: DashboardContext, executionId: string): Promise<void> {
  const { args, rpc, style } = ctx;
  const [summary, logs] = await Promise.all([
    rpc.call("get_etl_execution_summary", { execution_id: executionId }),
    rpc.call("get_etl_logs", { execution_id: executionId, max_rows: args.limit }),
  ]);
  if (args.json) return ctx.printJson({ summary, logs });
  const s = summary;
  const counts = s.log_counts
    ? Object.entries(s.log_counts)
        .map(([level, n]) => `${level} ${n}`)
        .join(", ")
    : "—";
  ctx.print([
    ...heading(style, `Execution ${s.execution_id}`),
    ...keyValues(style, [
      ["Status", statusText(style, s.status)],
      ["Pipeline / trigger", `${s.pipeline ?? "—"} / ${s.trigger ?? "—"}`],
      ["Started", time(s.started_at)],
      ["Finished", time(s.finished_at)],
      ["Last heartbeat", time(s.heartbeat_at)],
      ["Duration", duration(s.duration_seconds)],
      [
        "Fixtures",
        `${num(s.processed_fixtures)} processed of ${num(s.total_fixtures)}; ${num(s.successful_fixtures)} ok, ${num(s.failed_fixtures)} failed`,
      ],
      ["Chunks", `${num(s.processed_chunks)} of ${num(s.total_chunks)}`],
      ["Rows written", num(s.rows_written)],
      ["Success rate", percent(s.success_rate)],
      ["Fixtures per second", num(s.processing_rate, 3)],
      ["Logs", counts],
      ["Metrics", num(s.metric_count)],
      ...(s.error_message ? ([["Error", style.red(s.error_message)]] as [string, string][]) : []),
      ...(args.verbose ? ([["Config", JSON.stringify(s.config ?? {})]] as [string, string][]) : []),
    ]),
    ...heading(style, `Logs (last ${args.limit})`),
    ...logLines(style, logs, args.verbose),
  ]);
}

export async function renderLogs(ctx: DashboardContext): Promise<void> {
  const { args, rpc, style } = ctx;
  const logs = await rpc.call("get_etl_logs", {
    max_rows: args.limit,
    min_level: args.level,
    component: args.component,
    execution_id: args.executionId,
  });
  if (args.json) return ctx.printJson(logs);
  const filters = [
    args.level && `level ≥ ${args.level}`,
    args.component && `component ${args.component}`,
    args.executionId && `execution ${args.executionId}`,
  ]
    .filter(Boolean)
    .join(", ");
  ctx.print([
    ...heading(style, `Recent logs (last ${args.limit}${filters ? `; ${filters}` : ""})`),
    ...logLines(style, logs, args.verbose),
  ]);
}

export async function renderMetrics(ctx: DashboardContext): Promise<void> {
  const { args, rpc, style } = ctx;
  const metrics = await rpc.call("get_etl_metric_summary", { hours: args.hours, pipeline: args.pipeline, execution_id: args.executionId });
  if (args.json) return ctx.printJson(metrics);
  ctx.print([...heading(style, `Metrics, last ${num(args.hours)}h`), ...metricLines(style, metrics)]);
}
