// Overview: summary cards, the collection backlog and the time to drain it, 14 days of runs
// and rows, what is running now, active alerts, recent runs, warnings and metrics.
import type { ExecutionRow, LogRow, MetricSummaryRow } from "@watermark/core/rpc";
import { rpc } from "../api.ts";
import { dayLabel, dayTitle, drawChart, lineDataset, statusDataset, type TooltipItem, utcDays } from "../charts.ts";
import { ago, badge, byId, el, formatDuration, formatNumber, renderCards, renderTable, time } from "../render.ts";
import type { AlertRow, ChunkRow, PipelineRow, RateLimitRow, SeriesRow } from "../types.ts";
import { alertColumns } from "./alerts.ts";
import { canvas, logColumns, openRun, type Page, type PageContext, runColumns, section, settleAll, table } from "./page.ts";

const DAYS = 14;
/** Lines beyond this many pipelines go into "others": a chart of 100 lines reads as none. */
const MAX_PIPELINE_LINES = 6;
const STATUSES = ["COMPLETED", "FAILED", "ABANDONED", "CANCELLED", "RUNNING"];

/** get_collection_overview().backlog: what collection still has to do and how long it should take. */
interface Backlog {
  chunks_claimable: number;
  chunks_leased: number;
  chunks_undiscovered: number;
  fixtures_needing_work: number;
  calls_needed: number;
  workers: { running: number; starting: number; max: number };
  rate_limit: { entity: string; calls_per_hour: number; remaining: number | null; resets_at: string | null };
  fixtures_per_minute: number;
  rate_limit_bound_seconds: number;
  expected_drain_seconds: number;
  dispatch: { enabled: boolean; decision: string | null; decided_at: string | null; wait_until: string | null };
}

export function overviewPage(ctx: PageContext): Page {
  const root = el("div", undefined, "page");
  const charts = el("div", undefined, "charts");
  charts.append(
    section("Runs per day by status (14 days)", canvas("chart-runs", "runs per day by status, 14 days")),
    section("Rows extracted and upserted per day by pipeline (14 days)", canvas("chart-rows", "rows per day by pipeline, 14 days")),
  );
  const cards = el("section", undefined, "cards");
  cards.id = "cards";
  cards.setAttribute("aria-label", "Summary");
  const backlog = el("div", undefined, "cards");
  backlog.id = "backlog";
  root.append(
    cards,
    section("Collection backlog", backlog),
    charts,
    section("Running now", table("running")),
    section("Alerts", table("alerts")),
    section("Recent runs", table("runs")),
    section("Recent warnings and errors", table("errors")),
    section("Metrics (24 h)", table("metrics")),
  );

  async function refresh(): Promise<void> {
    await settleAll([drawCards(), drawBacklog(), drawSeries(), drawRunning(), drawAlerts(), drawRuns(), drawErrors(), drawMetrics()]);
  }

  async function drawCards(): Promise<void> {
    const [pipelines, last, alerts, limits] = await Promise.all([
      rpc<PipelineRow[]>(ctx.config, "list_pipelines"),
      rpc<ExecutionRow[]>(ctx.config, "list_etl_executions", { max_rows: 1 }),
      rpc<AlertRow[]>(ctx.config, "list_alerts", { state: "firing" }),
      rpc<RateLimitRow[]>(ctx.config, "list_api_rate_limits"),
    ]);
    if (!ctx.isCurrent()) return;
    const runs = pipelines.reduce((n, p) => n + Number(p.runs_24h), 0);
    const failures = pipelines.reduce((n, p) => n + Number(p.failures_24h), 0);
    const lastRun = last[0];
    const tightest = [...limits].sort((a, b) => a.remaining - b.remaining)[0];
    renderCards(cards, [
      {
        label: "active pipelines (runs in 24 h) / known",
        value: `${pipelines.filter((p) => Number(p.runs_24h) > 0).length} / ${pipelines.length}`,
      },
      {
        label: "runs (24 h), success rate",
        value: runs === 0 ? "0" : `${formatNumber(runs)} · ${formatNumber((100 * (runs - failures)) / runs, 1)}%`,
      },
      { label: "failures (24 h)", value: badgeOr(formatNumber(failures) ?? "0", failures > 0 ? "s-bad" : "s-ok") },
      {
        label: "last run",
        value: lastRun
          ? { ...(badge(lastRun.status) as object), text: `${lastRun.status} · ${textOf(ago(lastRun.started_at))}` }
          : undefined,
      },
      { label: "firing alerts", value: badgeOr(String(alerts.length), alerts.length > 0 ? "s-bad" : "s-ok") },
      {
        label: "rate-limit headroom (lowest entity)",
        value: tightest
          ? { text: `${formatNumber(tightest.remaining)} · ${tightest.entity}`, title: `resets ${textOf(time(tightest.resets_at))}` }
          : undefined,
      },
    ]);
  }

  async function drawBacklog(): Promise<void> {
    const overview = await rpc<{ backlog: Backlog }>(ctx.config, "get_collection_overview");
    if (!ctx.isCurrent()) return;
    const b = overview.backlog;
    const limit = b.rate_limit;
    renderCards(backlog, [
      {
        label: "chunks needing work (claimable · being worked · not yet discovered)",
        value: `${formatNumber(b.chunks_claimable)} · ${formatNumber(b.chunks_leased)} · ${formatNumber(b.chunks_undiscovered)}`,
      },
      { label: "fixtures needing work", value: formatNumber(b.fixtures_needing_work) },
      { label: "API calls needed (at least)", value: formatNumber(b.calls_needed) },
      {
        label: "workers (running · starting / max)",
        value: `${b.workers.running} · ${b.workers.starting} / ${b.workers.max}`,
      },
      {
        label: `expected time to drain (${limit.entity} limit ${formatNumber(limit.calls_per_hour)}/h, pace ${formatNumber(b.fixtures_per_minute, 1)} fixtures/min)`,
        value: {
          text: b.calls_needed === 0 ? "nothing to do" : (formatDuration(b.expected_drain_seconds) ?? "—"),
          title: `rate-limit bound ${formatDuration(b.rate_limit_bound_seconds)}; ${limit.remaining ?? "?"} calls left${limit.resets_at ? `, resets ${textOf(time(limit.resets_at))}` : ""}`,
        },
      },
      {
        label: "last dispatch decision",
        value: b.dispatch.enabled
          ? {
              text: `${b.dispatch.decision ?? "none yet"}${b.dispatch.wait_until ? ` until ${textOf(time(b.dispatch.wait_until))}` : ""}`,
              title: b.dispatch.decided_at ? `decided ${textOf(ago(b.dispatch.decided_at))}` : undefined,
            }
          : badgeOr("dispatch off", "s-warn"),
      },
    ]);
  }

  async function drawSeries(): Promise<void> {
    const rows = await rpc<SeriesRow[]>(ctx.config, "get_run_series", { days: DAYS });
    if (!ctx.isCurrent()) return;
    const days = utcDays(DAYS);
    const at = new Map(days.map((d, i) => [d, i]));
    const zeros = () => days.map(() => 0);
    const byStatus = new Map<string, number[]>();
    const byPipeline = new Map<string, { extracted: number[]; upserted: number[]; total: number }>();
    for (const r of rows) {
      const i = at.get(r.day);
      if (i === undefined) continue;
      const s = byStatus.get(r.status) ?? zeros();
      s[i] = (s[i] ?? 0) + Number(r.runs);
      byStatus.set(r.status, s);
      const p = byPipeline.get(r.pipeline) ?? { extracted: zeros(), upserted: zeros(), total: 0 };
      p.extracted[i] = (p.extracted[i] ?? 0) + Number(r.rows_extracted);
      p.upserted[i] = (p.upserted[i] ?? 0) + Number(r.rows_upserted);
      p.total += Number(r.rows_extracted) + Number(r.rows_upserted);
      byPipeline.set(r.pipeline, p);
    }
    const labels = days.map(dayLabel);
    const title = (items: TooltipItem[]) => dayTitle(days[items[0]?.dataIndex ?? 0] ?? "");
    const statuses = STATUSES.filter((s) => byStatus.has(s)).concat([...byStatus.keys()].filter((s) => !STATUSES.includes(s)));
    drawChart(byId<HTMLCanvasElement>("chart-runs"), {
      type: "bar",
      data: { labels, datasets: (statuses.length ? statuses : ["COMPLETED"]).map((s) => statusDataset(s, byStatus.get(s) ?? zeros())) },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "runs" } } },
        plugins: { tooltip: { callbacks: { title } } },
      },
    });
    const ranked = [...byPipeline.entries()].sort((a, b) => b[1].total - a[1].total);
    const shown = ranked.slice(0, MAX_PIPELINE_LINES);
    const rest = ranked.slice(MAX_PIPELINE_LINES);
    if (rest.length > 0) {
      const others = { extracted: zeros(), upserted: zeros(), total: 0 };
      for (const [, p] of rest) {
        p.extracted.forEach((v, i) => {
          others.extracted[i] = (others.extracted[i] ?? 0) + v;
        });
        p.upserted.forEach((v, i) => {
          others.upserted[i] = (others.upserted[i] ?? 0) + v;
        });
      }
      shown.push([`${rest.length} others`, others]);
    }
    drawChart(byId<HTMLCanvasElement>("chart-rows"), {
      type: "line",
      data: {
        labels,
        datasets: shown.flatMap(([name, p], i) => [
          lineDataset(`${name} extracted`, p.extracted, i, false),
          lineDataset(`${name} upserted`, p.upserted, i, true),
        ]),
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, title: { display: true, text: "rows" } } },
        plugins: { legend: { labels: { usePointStyle: true } }, tooltip: { callbacks: { title } } },
      },
    });
  }

  async function drawRunning(): Promise<void> {
    const [runs, chunks] = await Promise.all([
      rpc<ExecutionRow[]>(ctx.config, "list_etl_executions", { status: "RUNNING", max_rows: 50 }),
      rpc<ChunkRow[]>(ctx.config, "list_chunks", { status: "running", max_rows: 1000 }),
    ]);
    if (!ctx.isCurrent()) return;
    const held = new Map<string, ChunkRow[]>();
    for (const c of chunks) {
      if (c.last_execution_id) held.set(c.last_execution_id, [...(held.get(c.last_execution_id) ?? []), c]);
    }
    renderTable(
      byId<HTMLTableElement>("running"),
      [
        { title: "execution", value: (r) => r.execution_id },
        { title: "pipeline", value: (r) => r.pipeline },
        { title: "started", value: (r) => time(r.started_at) },
        { title: "last heartbeat", value: (r) => ago(r.heartbeat_at) },
        { title: "progress", value: (r) => progress(r) },
        { title: "fixtures so far", value: (r) => formatNumber(r.processed_fixtures), numeric: true },
        {
          title: "chunk held",
          value: (r) =>
            held
              .get(r.execution_id)
              ?.map(
                (c) =>
                  `${c.chunk_id} (${c.fixtures_collected}/${c.fixtures_total ?? "?"}, lease ${textOf(ago(c.lease_expires_at)) ?? "—"})`,
              )
              .join(", "),
          wrap: true,
        },
      ],
      runs,
      { empty: "nothing running", onClick: openRun },
    );
  }

  async function drawAlerts(): Promise<void> {
    const rows = await rpc<AlertRow[]>(ctx.config, "list_alerts", { state: "active" });
    if (ctx.isCurrent()) renderTable(byId<HTMLTableElement>("alerts"), alertColumns, rows, { empty: "no alert is pending or firing" });
  }

  async function drawRuns(): Promise<void> {
    const runs = await rpc<ExecutionRow[]>(ctx.config, "list_etl_executions", { max_rows: 15 });
    if (ctx.isCurrent()) renderTable(byId<HTMLTableElement>("runs"), runColumns, runs, { empty: "no executions yet", onClick: openRun });
  }

  async function drawErrors(): Promise<void> {
    const logs = await rpc<LogRow[]>(ctx.config, "get_etl_logs", { min_level: "WARNING", max_rows: 20 });
    if (ctx.isCurrent()) renderTable(byId<HTMLTableElement>("errors"), logColumns, logs, { empty: "no warnings or errors" });
  }

  async function drawMetrics(): Promise<void> {
    const rows = await rpc<MetricSummaryRow[]>(ctx.config, "get_etl_metric_summary", { hours: 24 });
    if (ctx.isCurrent()) renderTable(byId<HTMLTableElement>("metrics"), metricColumns, rows, { empty: "no metrics in the last 24 h" });
  }

  return { root, refresh };
}

export const metricColumns = [
  { title: "metric", value: (r: MetricSummaryRow) => r.metric_name },
  { title: "unit", value: (r: MetricSummaryRow) => r.metric_unit },
  { title: "samples", value: (r: MetricSummaryRow) => formatNumber(r.samples), numeric: true },
  { title: "avg", value: (r: MetricSummaryRow) => formatNumber(r.avg, 2), numeric: true },
  { title: "p50", value: (r: MetricSummaryRow) => formatNumber(r.p50, 2), numeric: true },
  { title: "p95", value: (r: MetricSummaryRow) => formatNumber(r.p95, 2), numeric: true },
  { title: "p99", value: (r: MetricSummaryRow) => formatNumber(r.p99, 2), numeric: true },
  { title: "max", value: (r: MetricSummaryRow) => formatNumber(r.max, 2), numeric: true },
];

/** Chunks done of planned, else fixtures, as a percentage with its figures. */
export function progress(r: ExecutionRow): string | undefined {
  const [done, total, what] = r.total_chunks
    ? [r.processed_chunks ?? 0, r.total_chunks, "chunks"]
    : r.total_fixtures
      ? [r.processed_fixtures ?? 0, r.total_fixtures, "fixtures"]
      : [0, 0, ""];
  if (!total) return undefined;
  return `${formatNumber((100 * done) / total, 0)}% (${done}/${total} ${what})`;
}

function textOf(cell: ReturnType<typeof time>): string | undefined {
  return cell && typeof cell === "object" ? cell.text : cell === null || cell === undefined ? undefined : String(cell);
}

function badgeOr(text: string, className: string) {
  return { text, className: `badge ${className}` };
}
