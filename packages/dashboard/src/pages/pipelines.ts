// Pipelines: every pipeline that ever reported with its status and figures, and one pipeline's
// page: its figures over time, runs, alerts, etl_control rows and a sample of what it collected.
import type { PipelineStatus } from "@watermark/core/collector";
import type { ExecutionRow } from "@watermark/core/rpc";
import { rpc } from "../api.ts";
import { dayLabel, dayTitle, drawChart, lineDataset, type TooltipItem, utcDays } from "../charts.ts";
import { ago, badge, byId, type Column, el, formatDuration, formatNumber, renderCards, renderTable, time } from "../render.ts";
import { href } from "../router.ts";
import type { AlertRow, FixtureRow, PipelineHistoryRow, PipelineRow } from "../types.ts";
import { alertColumns } from "./alerts.ts";
import { canvas, go, openRun, type Page, type PageContext, runColumns, section, select, setOptions, settleAll, table } from "./page.ts";

const HISTORY_DAYS = 14;
const percent = (n: number | null) => (n === null ? undefined : `${formatNumber(n, 1)}%`);
const minutes = (n: number | null) => (n === null ? undefined : `${formatNumber(n, 1)} min`);
const perSecond = (n: number | null) => (n === null ? undefined : `${formatNumber(n, 1)}/s`);

const pipelineColumns: Column<PipelineRow>[] = [
  { title: "pipeline", value: (r) => r.pipeline },
  { title: "status", value: (r) => badge(r.status) },
  { title: "entities", value: (r) => formatNumber(r.entities), numeric: true },
  { title: "coverage", value: (r) => percent(r.coverage_percent), numeric: true },
  { title: "pending since watermark", value: (r) => formatNumber(r.pending), numeric: true },
  { title: "freshness", value: (r) => minutes(r.freshness_minutes), numeric: true },
  { title: "last run", value: (r) => ago(r.last_run_at) },
  { title: "last status", value: (r) => badge(r.last_run_status) },
  { title: "last duration", value: (r) => formatDuration(r.last_duration_seconds), numeric: true },
  { title: "throughput", value: (r) => perSecond(r.throughput_rows_per_sec), numeric: true },
  { title: "runs / failures 24 h", value: (r) => `${r.runs_24h} / ${r.failures_24h}`, numeric: true },
];

export const controlColumns: Column<PipelineStatus>[] = [
  { title: "pipeline", value: (r) => r.pipeline },
  { title: "entity", value: (r) => r.entity },
  { title: "watermark", value: (r) => r.watermark },
  { title: "source", value: (r) => formatNumber(r.source_total), numeric: true },
  { title: "target", value: (r) => formatNumber(r.target_total), numeric: true },
  { title: "coverage", value: (r) => percent(r.coverage_percent), numeric: true },
  { title: "pending", value: (r) => formatNumber(r.pending), numeric: true },
  { title: "freshness", value: (r) => minutes(r.freshness_minutes), numeric: true },
  { title: "last status", value: (r) => badge(r.overdue ? "overdue" : (r.last_status ?? undefined)) },
  { title: "last run", value: (r) => time(r.last_run_at) },
  { title: "last success", value: (r) => time(r.last_success_at) },
  { title: "duration", value: (r) => formatDuration(r.last_duration_seconds), numeric: true },
  { title: "throughput", value: (r) => perSecond(r.throughput_rows_per_sec), numeric: true },
  { title: "last error", value: (r) => r.last_error, wrap: true },
];

export function pipelinesPage(ctx: PageContext): Page {
  const root = el("div", undefined, "page");
  root.append(section("Pipelines", table("pipelines")));
  async function refresh(): Promise<void> {
    const rows = await rpc<PipelineRow[]>(ctx.config, "list_pipelines");
    if (!ctx.isCurrent()) return;
    renderTable(byId<HTMLTableElement>("pipelines"), pipelineColumns, rows, {
      empty: "no pipeline has reported yet",
      onClick: (r) => go(href("pipelines", r.pipeline)),
    });
  }
  return { root, refresh };
}

export function pipelinePage(ctx: PageContext): Page {
  const name = ctx.route.id ?? "";
  const root = el("div", undefined, "page");
  const picker = select("pipeline-select", "pipeline", [[name, name]], name, (v) => go(href("pipelines", v)));
  const head = el("section");
  const title = el("h2", `Pipeline ${name}`);
  title.id = "pipeline-name";
  head.append(title, picker);
  const cards = el("section", undefined, "cards");
  cards.id = "pipeline-cards";
  const fixtures = section("Latest collected fixtures", table("fixtures"));
  fixtures.hidden = name !== "watermark";
  root.append(
    head,
    cards,
    section("Last 50 runs: duration and rows over time", canvas("chart-pipeline", `duration and rows of ${name}'s runs`)),
    section(
      "Coverage and pending work, 14 days",
      canvas("chart-pipeline-history", `coverage and pending work of ${name} per day over 14 days`),
    ),
    section("Runs", table("pipeline-runs")),
    section("Alerts", table("pipeline-alerts")),
    section("Control (etl_control)", table("control")),
    fixtures,
  );

  async function refresh(): Promise<void> {
    await settleAll([
      drawSummary(),
      drawRuns(),
      drawHistory(),
      drawAlerts(),
      drawControl(),
      ...(name === "watermark" ? [drawFixtures()] : []),
    ]);
  }

  async function drawSummary(): Promise<void> {
    const rows = await rpc<PipelineRow[]>(ctx.config, "list_pipelines");
    if (!ctx.isCurrent()) return;
    setOptions(
      byId<HTMLSelectElement>("pipeline-select"),
      rows.map((r): [string, string] => [r.pipeline, r.pipeline]),
      name,
    );
    const p = rows.find((r) => r.pipeline === name);
    if (!p) {
      renderCards(cards, [{ label: "status", value: "never reported" }]);
      return;
    }
    renderCards(cards, [
      { label: "status", value: badge(p.status) },
      { label: "coverage", value: percent(p.coverage_percent) },
      { label: "pending since watermark", value: formatNumber(p.pending) },
      { label: "freshness", value: minutes(p.freshness_minutes) },
      { label: "last duration", value: formatDuration(p.last_duration_seconds) },
      { label: "throughput", value: perSecond(p.throughput_rows_per_sec) },
      { label: "runs / failures (24 h)", value: `${p.runs_24h} / ${p.failures_24h}` },
      { label: "watermark", value: p.watermark },
    ]);
  }

  async function drawRuns(): Promise<void> {
    const runs = await rpc<ExecutionRow[]>(ctx.config, "list_etl_executions", { pipeline: name, max_rows: 50 });
    if (!ctx.isCurrent()) return;
    renderTable(byId<HTMLTableElement>("pipeline-runs"), runColumns, runs.slice(0, 20), { empty: "no runs", onClick: openRun });
    const ordered = [...runs].reverse();
    drawChart(byId<HTMLCanvasElement>("chart-pipeline"), {
      type: "line",
      data: {
        labels: ordered.map((r) => new Date(r.started_at).toLocaleString()),
        datasets: [
          {
            ...lineDataset(
              "duration (s)",
              ordered.map((r) => Number(r.duration_seconds ?? 0)),
              0,
              false,
            ),
            yAxisID: "y",
          },
          {
            ...lineDataset(
              "rows upserted",
              ordered.map((r) => Number(r.rows_written ?? 0)),
              1,
              true,
            ),
            yAxisID: "rows",
          },
        ],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, position: "left", title: { display: true, text: "seconds" } },
          rows: { beginAtZero: true, position: "right", title: { display: true, text: "rows" }, grid: { drawOnChartArea: false } },
        },
        plugins: {
          legend: { labels: { usePointStyle: true } },
          tooltip: { callbacks: { title: (items: TooltipItem[]) => runTitle(ordered[items[0]?.dataIndex ?? 0]) } },
        },
      },
    });
  }

  /** Per UTC day, summed over the pipeline's entities: coverage (%) and pending work; a day without a report is a gap. */
  async function drawHistory(): Promise<void> {
    const rows = await rpc<PipelineHistoryRow[]>(ctx.config, "get_pipeline_history", { pipeline: name, days: HISTORY_DAYS });
    if (!ctx.isCurrent()) return;
    const days = utcDays(HISTORY_DAYS);
    const ofDay = (day: string) => rows.filter((r) => r.day === day);
    const coverage = days.map((day) => {
      const reported = ofDay(day).filter((r) => r.coverage_percent !== null);
      return reported.length ? reported.reduce((sum, r) => sum + Number(r.coverage_percent), 0) / reported.length : null;
    });
    const pending = days.map((day) => (ofDay(day).length ? ofDay(day).reduce((sum, r) => sum + Number(r.pending ?? 0), 0) : null));
    drawChart(byId<HTMLCanvasElement>("chart-pipeline-history"), {
      type: "line",
      data: {
        labels: days.map(dayLabel),
        datasets: [
          { ...lineDataset("coverage (%)", coverage as number[], 0, false), yAxisID: "y", spanGaps: false },
          { ...lineDataset("pending", pending as number[], 1, true), yAxisID: "pending", spanGaps: false },
        ],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { min: 0, max: 100, position: "left", title: { display: true, text: "coverage %" } },
          pending: { beginAtZero: true, position: "right", title: { display: true, text: "pending" }, grid: { drawOnChartArea: false } },
        },
        plugins: {
          legend: { labels: { usePointStyle: true } },
          tooltip: { callbacks: { title: (items: TooltipItem[]) => dayTitle(days[items[0]?.dataIndex ?? 0] ?? "") } },
        },
      },
    });
  }

  async function drawAlerts(): Promise<void> {
    const rows = await rpc<AlertRow[]>(ctx.config, "list_alerts", { pipeline: name, max_rows: 20 });
    if (ctx.isCurrent())
      renderTable(byId<HTMLTableElement>("pipeline-alerts"), alertColumns, rows, { empty: "no alert for this pipeline" });
  }

  async function drawControl(): Promise<void> {
    const rows = await rpc<PipelineStatus[]>(ctx.config, "get_pipeline_status", { pipeline: name });
    if (ctx.isCurrent())
      renderTable(byId<HTMLTableElement>("control"), controlColumns, rows, {
        empty: "this pipeline reports only executions: no etl_control row",
      });
  }

  async function drawFixtures(): Promise<void> {
    const rows = await rpc<FixtureRow[]>(ctx.config, "list_recent_fixtures", { max_rows: 20 });
    if (!ctx.isCurrent()) return;
    renderTable(
      byId<HTMLTableElement>("fixtures"),
      [
        { title: "fixture", value: (r) => r.id, numeric: true },
        { title: "match", value: (r) => r.name },
        { title: "kick-off (UTC)", value: (r) => r.starting_at },
        { title: "state", value: (r) => r.state_id, numeric: true },
        {
          title: "score",
          value: (r) => (r.home_goals === null && r.away_goals === null ? undefined : `${r.home_goals ?? 0} – ${r.away_goals ?? 0}`),
        },
        { title: "result", value: (r) => r.result_info, wrap: true },
        { title: "final", value: (r) => (r.is_final ? "yes" : "no") },
        { title: "collected", value: (r) => ago(r.collected_at) },
      ],
      rows,
      { empty: "no fixture collected yet" },
    );
  }

  return { root, refresh };
}

function runTitle(r: ExecutionRow | undefined): string {
  if (!r) return "";
  return `${r.execution_id} · ${r.status} · ${new Date(r.started_at).toLocaleString()} (${new Date(r.started_at).toISOString().slice(0, 19).replace("T", " ")} UTC)`;
}
