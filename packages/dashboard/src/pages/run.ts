// One run: a readable summary, what it did chunk by chunk (table and timeline), its logs
// filtered by level and chunk and paged newest first, and its metrics with percentiles.
import type { LogRow, MetricSummaryRow } from "@watermark/core/rpc";
import { rpc } from "../api.ts";
import { drawChart, type TooltipItem } from "../charts.ts";
import { ago, badge, byId, type Cell, el, formatDuration, formatNumber, renderCards, renderSummary, renderTable, time } from "../render.ts";
import type { RunChunkRow } from "../types.ts";
import { metricColumns } from "./overview.ts";
import { canvas, logColumns, type Page, type PageContext, section, select, setOptions, settleAll, table } from "./page.ts";

const LOG_PAGE = 50;
const LEVELS: Array<[string, string]> = [
  ["", "all levels"],
  ["INFO", "INFO and above"],
  ["WARNING", "WARNING and above"],
  ["ERROR", "ERROR and above"],
  ["DEBUG", "DEBUG and above"],
];

interface Summary {
  execution_id: string;
  pipeline: string;
  trigger: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  heartbeat_at: string;
  duration_seconds: number | null;
  total_fixtures: number | null;
  processed_fixtures: number | null;
  successful_fixtures: number | null;
  failed_fixtures: number | null;
  total_chunks: number | null;
  processed_chunks: number | null;
  rows_written: number | null;
  success_rate: number | null;
  processing_rate: number | null;
  error_message: string | null;
  progress: Record<string, unknown> | null;
  config: Record<string, unknown> | null;
  created_by: string;
  log_counts: Record<string, number>;
  metric_count: number;
}

export function runPage(ctx: PageContext): Page {
  const id = ctx.route.id ?? "";
  const root = el("div", undefined, "page");
  const heading = el("h2");
  heading.append("Run ", Object.assign(el("span", id), { id: "detail-id" }));
  const cards = el("section", undefined, "cards");
  cards.id = "run-cards";
  const summary = el("dl", undefined, "summary");
  summary.id = "detail-summary";
  const head = el("section");
  head.append(heading, summary);

  const level = select("log-level", "level", LEVELS, ctx.route.params.get("level") ?? "", (v) =>
    ctx.setParams({ level: v, before: undefined }),
  );
  const chunk = select("log-chunk", "chunk", [["", "all chunks"]], ctx.route.params.get("chunk") ?? "", (v) =>
    ctx.setParams({ chunk: v, before: undefined }),
  );
  const newer = el("button", "Newest");
  newer.type = "button";
  const older = el("button", "Older →");
  older.type = "button";
  older.id = "logs-older";
  const pageInfo = el("span", undefined, "muted");
  pageInfo.id = "logs-page";
  const filters = el("div", undefined, "filters");
  filters.append(level, chunk, newer, older, pageInfo);
  root.append(
    head,
    cards,
    section("Chunks", canvas("chart-chunks", "timeline of the run's chunks"), table("run-chunks")),
    section("Logs", filters, table("detail-logs")),
    section("Metrics (percentiles)", table("run-metrics")),
  );
  // Keyset paging: the log id below which the page starts (null = newest), kept in the URL.
  newer.addEventListener("click", () => ctx.setParams({ before: undefined }));
  let oldestShown: number | undefined;
  older.addEventListener("click", () => {
    if (oldestShown !== undefined) ctx.setParams({ before: String(oldestShown) });
  });

  async function refresh(): Promise<void> {
    await settleAll([drawSummary(), drawChunks(), drawLogs(), drawMetrics()]);
  }

  async function drawSummary(): Promise<void> {
    const [s, last] = await Promise.all([
      rpc<Summary>(ctx.config, "get_etl_execution_summary", { execution_id: id }),
      // The collector's closing log line ("collection completed") carries why the run stopped.
      rpc<LogRow[]>(ctx.config, "get_etl_logs", { execution_id: id, max_rows: 5 }),
    ]);
    if (!ctx.isCurrent()) return;
    const seconds = s.duration_seconds === null ? null : Number(s.duration_seconds);
    const throughput = seconds && s.rows_written !== null ? Number(s.rows_written) / seconds : null;
    const closing = last.find((l) => typeof (l.details as { stop_reason?: unknown })?.stop_reason === "string");
    const stopDetails = closing?.details as { stop_reason?: string; message?: string } | undefined;
    const stop = stopDetails?.stop_reason
      ? `${stopDetails.stop_reason}${stopDetails.message ? `: ${stopDetails.message}` : ""}`
      : undefined;
    renderCards(cards, [
      { label: "status", value: badge(s.status) },
      { label: s.finished_at ? "duration" : "running for", value: formatDuration(seconds) },
      {
        label: "fixtures processed / total",
        value: `${formatNumber(s.processed_fixtures) ?? 0} / ${formatNumber(s.total_fixtures) ?? "?"}`,
      },
      { label: "fixtures ok / failed", value: `${formatNumber(s.successful_fixtures) ?? 0} / ${formatNumber(s.failed_fixtures) ?? 0}` },
      { label: "chunks done / planned", value: `${formatNumber(s.processed_chunks) ?? 0} / ${formatNumber(s.total_chunks) ?? "?"}` },
      { label: "rows upserted", value: formatNumber(s.rows_written) },
      { label: "throughput", value: throughput === null ? undefined : `${formatNumber(throughput, 1)} rows/s` },
      { label: "success rate", value: s.success_rate === null ? undefined : `${formatNumber(s.success_rate, 1)}%` },
    ]);
    const entries: Array<[string, Cell]> = [
      ["execution", s.execution_id],
      ["pipeline", s.pipeline],
      ["trigger", s.trigger],
      ["started by", s.created_by],
      ["started", time(s.started_at)],
      ["finished", time(s.finished_at)],
      ["last heartbeat", ago(s.heartbeat_at)],
      ["stop reason", stop ?? (s.status === "RUNNING" ? "still running" : s.status.toLowerCase())],
      ["error", s.error_message],
      [
        "logs",
        Object.entries(s.log_counts ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(" · "),
      ],
      ["metric samples", formatNumber(s.metric_count)],
    ];
    renderSummary(summary, entries);
  }

  async function drawChunks(): Promise<void> {
    const rows = await rpc<RunChunkRow[]>(ctx.config, "get_run_chunks", { execution_id: id });
    if (!ctx.isCurrent()) return;
    setOptions(
      byId<HTMLSelectElement>("log-chunk"),
      [["", "all chunks"], ...rows.map((r): [string, string] => [r.chunk_id, r.chunk_id])],
      ctx.route.params.get("chunk") ?? "",
    );
    renderTable(
      byId<HTMLTableElement>("run-chunks"),
      [
        { title: "chunk", value: (r) => r.chunk_id },
        { title: "outcome", value: (r) => badge(r.outcome ?? "not released") },
        { title: "from", value: (r) => time(r.first_at) },
        { title: "to", value: (r) => time(r.last_at) },
        { title: "batches", value: (r) => formatNumber(r.batches), numeric: true },
        { title: "fixtures extracted", value: (r) => formatNumber(r.fixtures), numeric: true },
        { title: "rows upserted", value: (r) => formatNumber(r.rows_upserted), numeric: true },
        { title: "fixtures failed", value: (r) => formatNumber(r.fixtures_failed), numeric: true },
        { title: "warnings / errors", value: (r) => `${r.warnings} / ${r.errors}`, numeric: true },
      ],
      rows,
      { empty: "no chunk logged by this run", onClick: (r) => ctx.setParams({ chunk: r.chunk_id, before: undefined }) },
    );
    // Timeline: one floating bar per chunk, seconds since the first chunk started.
    const t0 = rows.length ? Math.min(...rows.map((r) => new Date(r.first_at).getTime())) : 0;
    const span = (r: RunChunkRow): [number, number] => [
      (new Date(r.first_at).getTime() - t0) / 1000,
      Math.max((new Date(r.last_at).getTime() - t0) / 1000, (new Date(r.first_at).getTime() - t0) / 1000 + 0.05),
    ];
    drawChart(byId<HTMLCanvasElement>("chart-chunks"), {
      type: "bar",
      data: {
        labels: rows.map((r) => r.chunk_id),
        datasets: [{ label: "seconds after the first chunk started", data: rows.map(span), backgroundColor: "#0969da" }],
      },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, title: { display: true, text: "seconds" } } },
        plugins: {
          tooltip: {
            callbacks: {
              label: (item: TooltipItem) => {
                const r = rows[item.dataIndex];
                return r
                  ? `${r.fixtures} fixtures, ${r.rows_upserted} rows, ${formatDuration((new Date(r.last_at).getTime() - new Date(r.first_at).getTime()) / 1000)} (${r.outcome ?? "not released"})`
                  : "";
              },
            },
          },
        },
      },
    });
  }

  async function drawLogs(): Promise<void> {
    const p = ctx.route.params;
    const before = p.get("before");
    const logs = await rpc<LogRow[]>(ctx.config, "get_etl_logs", {
      execution_id: id,
      min_level: p.get("level") || undefined,
      chunk_id: p.get("chunk") || undefined,
      before_log_id: before ? Number(before) : undefined,
      max_rows: LOG_PAGE,
    });
    if (!ctx.isCurrent()) return;
    oldestShown = logs.at(-1)?.log_id;
    older.disabled = logs.length < LOG_PAGE;
    newer.disabled = !before;
    pageInfo.textContent = `${logs.length} log line(s)${before ? ` older than #${before}` : ", newest first"}`;
    renderTable(byId<HTMLTableElement>("detail-logs"), logColumns, logs, { empty: "no logs for this run and filter" });
  }

  async function drawMetrics(): Promise<void> {
    // hours bounds the window; a run's own metrics are wanted whatever their age (retention keeps 90 days).
    const rows = await rpc<MetricSummaryRow[]>(ctx.config, "get_etl_metric_summary", { execution_id: id, hours: 24 * 90 });
    if (ctx.isCurrent()) renderTable(byId<HTMLTableElement>("run-metrics"), metricColumns, rows, { empty: "no metrics for this run" });
  }

  return { root, refresh };
}
