// The dashboard's sections, each drawn from one viewer RPC (see docs/architecture.md). Row types
// are core's (type-only imports: nothing of core is bundled into the page).
import type { PipelineStatus } from "@watermark/core/collector";
import type { ExecutionRow, HealthStatus, LogRow, MetricSummaryRow } from "@watermark/core/rpc";
import { type DashboardConfig, rpc } from "./api.ts";
import {
  badge,
  byId,
  type Column,
  formatAgo,
  formatDuration,
  formatNumber,
  formatTime,
  renderCards,
  renderSummary,
  renderTable,
} from "./render.ts";

interface AlertRow {
  rule_id: string;
  scope_key: string;
  state: string;
  severity: string;
  summary: string | null;
  value: number | null;
  threshold: number;
  firing_since: string | null;
  pending_since: string | null;
  muted: boolean;
}

const logColumns: Column<LogRow>[] = [
  { title: "time", value: (r) => formatTime(r.timestamp) },
  { title: "level", value: (r) => badge(r.level) },
  { title: "component", value: (r) => r.component },
  { title: "message", value: (r) => r.message, wrap: true },
  { title: "execution", value: (r) => r.execution_id },
  { title: "chunk", value: (r) => r.chunk_id },
];

/** A scheduled function as the health report's scheduler section shows it. */
interface ScheduleHealth {
  function_name: string;
  cron_expression: string;
  state: "active" | "paused" | "disabled";
  paused_at: string | null;
  paused_reason: string | null;
  last_invocation_at: string | null;
  last_status: string | null;
}

interface HealthReport {
  status: "healthy" | "degraded" | "unhealthy";
  reasons: string[];
  services: { scheduler: { functions: ScheduleHealth[] } };
}

export async function drawSummary(config: DashboardConfig): Promise<void> {
  const [h, report] = await Promise.all([
    rpc<HealthStatus>(config, "get_etl_health_status"),
    rpc<HealthReport>(config, "get_health_report"),
  ]);
  // The database's own verdict (the same one the health function serves), with its reasons on hover.
  const overallEl = byId("overall");
  const overall = badge(report.status);
  if (overall && typeof overall === "object") {
    overallEl.textContent = overall.text;
    overallEl.className = overall.className ?? "badge";
  }
  overallEl.title = report.reasons.length ? report.reasons.join("\n") : "no problem reported";
  drawSchedules(report.services.scheduler.functions);
  renderCards(byId("cards"), [
    { label: "executions", value: formatNumber(h.total_executions) },
    { label: "running", value: formatNumber(h.running) },
    { label: "completed", value: formatNumber(h.completed) },
    { label: "failed", value: formatNumber(h.failed) },
    { label: "abandoned", value: formatNumber(h.abandoned) },
    { label: "average duration", value: formatDuration(h.avg_duration_seconds) },
    { label: "average success rate", value: h.avg_success_rate === null ? undefined : `${formatNumber(h.avg_success_rate, 1)}%` },
    { label: "last execution", value: formatAgo(h.last_execution_at) },
    { label: "logs (24 h)", value: formatNumber(h.logs_24h) },
    { label: "errors (24 h)", value: formatNumber(h.errors_24h) },
  ]);
}

/** Each schedule's state: active, paused (why, and how to resume it) or disabled. */
function drawSchedules(schedules: ScheduleHealth[]): void {
  renderTable(
    byId<HTMLTableElement>("schedules"),
    [
      { title: "function", value: (r) => r.function_name },
      { title: "schedule", value: (r) => r.cron_expression },
      { title: "state", value: (r) => badge(r.state) },
      {
        title: "why",
        value: (r) =>
          r.state === "paused"
            ? `paused since ${formatTime(r.paused_at)}: ${r.paused_reason}; fix it, then resume_function_schedule('${r.function_name}')`
            : undefined,
        wrap: true,
      },
      { title: "last invocation", value: (r) => formatTime(r.last_invocation_at) },
      { title: "last status", value: (r) => badge(r.last_status) },
    ],
    schedules,
    { empty: "no function is scheduled" },
  );
}

export async function drawRuns(config: DashboardConfig, onSelect: (id: string) => void): Promise<void> {
  const runs = await rpc<ExecutionRow[]>(config, "list_etl_executions", { max_rows: 25 });
  const columns: Column<ExecutionRow>[] = [
    { title: "execution", value: (r) => r.execution_id },
    { title: "pipeline", value: (r) => r.pipeline },
    { title: "trigger", value: (r) => r.trigger },
    { title: "status", value: (r) => badge(r.status) },
    { title: "started", value: (r) => formatTime(r.started_at) },
    { title: "duration", value: (r) => formatDuration(r.duration_seconds) },
    { title: "fixtures ok/failed", value: (r) => `${r.successful_fixtures ?? 0} / ${r.failed_fixtures ?? 0}`, numeric: true },
    { title: "chunks", value: (r) => `${r.processed_chunks ?? 0} / ${r.total_chunks ?? 0}`, numeric: true },
    { title: "rows", value: (r) => formatNumber(r.rows_written), numeric: true },
    { title: "error", value: (r) => r.error_message, wrap: true },
  ];
  renderTable(byId<HTMLTableElement>("runs"), columns, runs, { empty: "no executions yet", onClick: (r) => onSelect(r.execution_id) });
  const running = runs.filter((r) => r.status === "RUNNING");
  renderTable(
    byId<HTMLTableElement>("running"),
    [
      { title: "execution", value: (r) => r.execution_id },
      { title: "pipeline", value: (r) => r.pipeline },
      { title: "started", value: (r) => formatTime(r.started_at) },
      { title: "last heartbeat", value: (r) => formatTime(r.heartbeat_at) },
      { title: "fixtures so far", value: (r) => formatNumber(r.processed_fixtures), numeric: true },
    ],
    running,
    { empty: "nothing running", onClick: (r) => onSelect(r.execution_id) },
  );
}

/** Draws one run's detail, unless `isCurrent()` says another run was selected while its rows were on their way. */
export async function drawDetail(config: DashboardConfig, executionId: string, isCurrent: () => boolean = () => true): Promise<void> {
  const [summary, logs] = await Promise.all([
    rpc<Record<string, unknown>>(config, "get_etl_execution_summary", { execution_id: executionId }),
    rpc<LogRow[]>(config, "get_etl_logs", { execution_id: executionId, max_rows: 100 }),
  ]);
  if (!isCurrent()) return;
  byId("detail").hidden = false;
  byId("detail-id").textContent = executionId;
  const scalar = Object.entries(summary).filter(([, v]) => v === null || typeof v !== "object");
  renderSummary(
    byId("detail-summary"),
    scalar.map(([k, v]) => [k.replaceAll("_", " "), v as string | number | null]),
  );
  renderTable(byId<HTMLTableElement>("detail-logs"), logColumns, logs, { empty: "no logs for this run" });
}

export async function drawLogs(config: DashboardConfig): Promise<void> {
  const logs = await rpc<LogRow[]>(config, "get_etl_logs", { min_level: "WARNING", max_rows: 20 });
  renderTable(byId<HTMLTableElement>("errors"), logColumns, logs, { empty: "no warnings or errors" });
}

export async function drawMetrics(config: DashboardConfig): Promise<void> {
  const rows = await rpc<MetricSummaryRow[]>(config, "get_etl_metric_summary", { hours: 24 });
  renderTable(
    byId<HTMLTableElement>("metrics"),
    [
      { title: "metric", value: (r) => r.metric_name },
      { title: "unit", value: (r) => r.metric_unit },
      { title: "samples", value: (r) => formatNumber(r.samples), numeric: true },
      { title: "avg", value: (r) => formatNumber(r.avg, 2), numeric: true },
      { title: "p50", value: (r) => formatNumber(r.p50, 2), numeric: true },
      { title: "p95", value: (r) => formatNumber(r.p95, 2), numeric: true },
      { title: "p99", value: (r) => formatNumber(r.p99, 2), numeric: true },
      { title: "max", value: (r) => formatNumber(r.max, 2), numeric: true },
    ],
    rows,
    { empty: "no metrics in the last 24 h" },
  );
}

export async function drawPipelines(config: DashboardConfig): Promise<void> {
  const rows = await rpc<PipelineStatus[]>(config, "get_pipeline_status");
  renderTable(
    byId<HTMLTableElement>("pipelines"),
    [
      { title: "pipeline", value: (r) => r.pipeline },
      { title: "entity", value: (r) => r.entity },
      { title: "status", value: (r) => badge(r.overdue ? "overdue" : (r.last_status ?? undefined)) },
      { title: "source", value: (r) => formatNumber(r.source_total), numeric: true },
      { title: "target", value: (r) => formatNumber(r.target_total), numeric: true },
      {
        title: "coverage",
        value: (r) => (r.coverage_percent === null ? undefined : `${formatNumber(r.coverage_percent, 1)}%`),
        numeric: true,
      },
      { title: "pending", value: (r) => formatNumber(r.pending), numeric: true },
      {
        title: "freshness",
        value: (r) => (r.freshness_minutes === null ? undefined : `${formatNumber(r.freshness_minutes, 1)} min`),
        numeric: true,
      },
      {
        title: "throughput",
        value: (r) => (r.throughput_rows_per_sec === null ? undefined : `${formatNumber(r.throughput_rows_per_sec, 1)}/s`),
        numeric: true,
      },
      { title: "last run", value: (r) => formatTime(r.last_run_at) },
    ],
    rows,
    { empty: "no pipeline has reported yet" },
  );
}

export async function drawAlerts(config: DashboardConfig): Promise<void> {
  const rows = await rpc<AlertRow[]>(config, "list_alerts", { state: "active" });
  renderTable(
    byId<HTMLTableElement>("alerts"),
    [
      { title: "state", value: (r) => badge(r.state) },
      { title: "severity", value: (r) => badge(r.severity) },
      { title: "rule", value: (r) => r.rule_id },
      { title: "scope", value: (r) => r.scope_key },
      { title: "what happened", value: (r) => r.summary, wrap: true },
      { title: "value / threshold", value: (r) => `${formatNumber(r.value, 2) ?? "—"} / ${formatNumber(r.threshold, 2)}`, numeric: true },
      { title: "since", value: (r) => formatTime(r.firing_since ?? r.pending_since) },
      { title: "muted", value: (r) => (r.muted ? "yes" : "") },
    ],
    rows,
    { empty: "no alert is pending or firing" },
  );
}
