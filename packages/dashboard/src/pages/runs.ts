// Runs & control: runs filtered by pipeline, status and time (paged by start time), etl_control,
// the chunks with their leases, checkpoints, attempts, backoff and priority, the claim queue,
// the rate limits, and the scheduled invocations with their real HTTP outcome.
import type { PipelineStatus } from "@watermark/core/collector";
import type { ExecutionRow } from "@watermark/core/rpc";
import { RpcError, rpc } from "../api.ts";
import { ago, badge, byId, el, formatNumber, renderTable, time } from "../render.ts";
import type { ChunkQueueRow, ChunkRow, InvocationRow, PipelineRow, RateLimitRow, ScheduleRow } from "../types.ts";
import { openRun, type Page, type PageContext, runColumns, section, select, setOptions, settleAll, table } from "./page.ts";
import { controlColumns } from "./pipelines.ts";

const RUN_PAGE = 50;
const STATUSES: Array<[string, string]> = [
  ["", "any status"],
  ["RUNNING", "RUNNING"],
  ["COMPLETED", "COMPLETED"],
  ["FAILED", "FAILED"],
  ["ABANDONED", "ABANDONED"],
  ["CANCELLED", "CANCELLED"],
];
const WINDOWS: Array<[string, string]> = [
  ["", "any time"],
  ["1", "last hour"],
  ["24", "last 24 h"],
  ["168", "last 7 days"],
];

export function runsPage(ctx: PageContext): Page {
  const initial = ctx.route.params;
  const root = el("div", undefined, "page");
  const newest = el("button", "Newest");
  newest.type = "button";
  const older = el("button", "Older →");
  older.type = "button";
  older.id = "runs-older";
  const info = el("span", undefined, "muted");
  const filters = el("div", undefined, "filters");
  filters.append(
    select("runs-pipeline", "pipeline", [["", "any pipeline"]], initial.get("pipeline") ?? "", (v) =>
      ctx.setParams({ pipeline: v, before: undefined }),
    ),
    select("runs-status", "status", STATUSES, initial.get("status") ?? "", (v) => ctx.setParams({ status: v, before: undefined })),
    select("runs-window", "started", WINDOWS, initial.get("hours") ?? "", (v) => ctx.setParams({ hours: v, before: undefined })),
    newest,
    older,
    info,
  );
  // Requeue (collect a chunk again now, schedule included; audited) is an operator's lever.
  const canOperate = ctx.role === "operator";
  const requeueNote = el("p", undefined, "muted");
  requeueNote.id = "requeue-note";
  requeueNote.textContent = canOperate
    ? "You are an operator: Requeue makes a chunk's fixtures due now and reads its schedule again (audited)."
    : `Requeue needs operator access; this page reads as a ${ctx.role === "viewer" ? "viewer" : "user without Watermark rights"}, so the buttons are disabled.`;
  const requeueError = el("p", undefined, "error");
  requeueError.id = "requeue-error";
  requeueError.hidden = true;
  root.append(
    section("Runs", filters, table("runs")),
    section("Control (etl_control)", table("control")),
    section("Chunks", requeueNote, requeueError, table("chunks")),
    section("Claim queue (what the next run takes first)", table("queue")),
    section("Rate limits", table("rate-limits")),
    section("Schedules", table("schedules")),
    section("Invocations (real HTTP outcome)", table("invocations")),
  );
  let lastStarted: string | undefined;
  newest.addEventListener("click", () => ctx.setParams({ before: undefined }));
  older.addEventListener("click", () => {
    if (lastStarted) ctx.setParams({ before: lastStarted });
  });

  async function refresh(): Promise<void> {
    await settleAll([drawRuns(), drawControl(), drawChunks(), drawQueue(), drawLimits(), drawSchedules(), drawInvocations()]);
  }

  async function drawRuns(): Promise<void> {
    const p = ctx.route.params;
    const hours = Number(p.get("hours") || 0);
    const since = hours ? Date.now() - hours * 3_600_000 : undefined;
    const [pipelines, runs] = await Promise.all([
      rpc<PipelineRow[]>(ctx.config, "list_pipelines"),
      rpc<ExecutionRow[]>(ctx.config, "list_etl_executions", {
        pipeline: p.get("pipeline") || undefined,
        status: p.get("status") || undefined,
        before_started_at: p.get("before") || undefined,
        max_rows: RUN_PAGE,
      }),
    ]);
    if (!ctx.isCurrent()) return;
    setOptions(
      byId<HTMLSelectElement>("runs-pipeline"),
      [["", "any pipeline"], ...pipelines.map((r): [string, string] => [r.pipeline, r.pipeline])],
      p.get("pipeline") ?? "",
    );
    // Newest first: the time window ends the list where runs get older than it.
    const shown = since ? runs.filter((r) => new Date(r.started_at).getTime() >= since) : runs;
    lastStarted = shown.at(-1)?.started_at;
    older.disabled = shown.length < RUN_PAGE;
    info.textContent = `${shown.length} run(s)${p.get("before") ? " (older page)" : ""}`;
    renderTable(byId<HTMLTableElement>("runs"), runColumns, shown, { empty: "no run matches these filters", onClick: openRun });
  }

  async function drawControl(): Promise<void> {
    const rows = await rpc<PipelineStatus[]>(ctx.config, "get_pipeline_status");
    if (ctx.isCurrent()) renderTable(byId<HTMLTableElement>("control"), controlColumns, rows, { empty: "no etl_control row yet" });
  }

  async function drawChunks(): Promise<void> {
    const rows = await rpc<ChunkRow[]>(ctx.config, "list_chunks", { max_rows: 200 });
    if (!ctx.isCurrent()) return;
    renderTable(
      byId<HTMLTableElement>("chunks"),
      [
        { title: "chunk", value: (r) => r.chunk_id },
        { title: "league / season", value: (r) => `${r.league_name ?? "?"} ${r.season_name ?? ""}`.trim() },
        { title: "status", value: (r) => badge(r.status) },
        { title: "priority", value: (r) => formatNumber(r.priority, 1), numeric: true },
        { title: "fixtures done / total", value: (r) => `${r.fixtures_collected} / ${r.fixtures_total ?? "?"}`, numeric: true },
        { title: "pending / failed", value: (r) => `${r.fixtures_pending} / ${r.fixtures_failed}`, numeric: true },
        { title: "attempts", value: (r) => r.attempts, numeric: true },
        { title: "backoff until", value: (r) => time(r.next_attempt_at) },
        {
          title: "lease",
          value: (r) =>
            r.lease_owner
              ? `${r.lease_owner}, expires ${(ago(r.lease_expires_at) as { text: string } | undefined)?.text ?? "?"}`
              : undefined,
        },
        {
          title: "checkpoint",
          value: (r) => (r.checkpoint?.last_fixture_id ? `after fixture ${r.checkpoint.last_fixture_id}` : undefined),
        },
        { title: "last run", value: (r) => r.last_execution_id },
        { title: "last error", value: (r) => r.last_error, wrap: true },
        { title: "", value: () => "" },
      ],
      rows,
      { empty: "no chunk discovered yet", onClick: (r) => r.last_execution_id && openRun({ execution_id: r.last_execution_id }) },
    );
    // The last column holds the action button (renderTable writes text only).
    byId<HTMLTableElement>("chunks")
      .tBodies[0]?.querySelectorAll("tr")
      .forEach((tr, i) => {
        const chunk = rows[i];
        const cell = tr.lastElementChild;
        if (!chunk || !cell) return;
        const button = el("button", "Requeue");
        button.type = "button";
        button.dataset.chunk = chunk.chunk_id;
        button.disabled = !canOperate;
        button.title = canOperate ? "" : "needs operator access";
        button.addEventListener("click", (event) => {
          event.stopPropagation();
          void requeue(chunk.chunk_id);
        });
        cell.replaceChildren(button);
      });
  }

  async function requeue(chunkId: string): Promise<void> {
    requeueError.hidden = true;
    try {
      await rpc(ctx.config, "requeue_collection", { chunk_id: chunkId, reason: "requeued from the web dashboard" });
    } catch (err) {
      requeueError.hidden = false;
      requeueError.textContent = err instanceof RpcError || err instanceof Error ? err.message : String(err);
    }
    await settleAll([drawChunks(), drawQueue()]);
  }

  async function drawQueue(): Promise<void> {
    const rows = await rpc<ChunkQueueRow[]>(ctx.config, "list_chunk_queue", { max_rows: 20 });
    if (!ctx.isCurrent()) return;
    renderTable(
      byId<HTMLTableElement>("queue"),
      [
        { title: "chunk", value: (r) => r.chunk_id },
        { title: "priority", value: (r) => formatNumber(r.priority, 1), numeric: true },
        { title: "claimable", value: (r) => (r.claimable ? "yes" : "no") },
        { title: "blocked by", value: (r) => r.blocked_by },
        { title: "until", value: (r) => time(r.blocked_until) },
        { title: "fixtures due", value: (r) => formatNumber(r.fixtures_due), numeric: true },
        { title: "lease owner", value: (r) => r.lease_owner },
      ],
      rows,
      { empty: "the queue is empty" },
    );
  }

  async function drawLimits(): Promise<void> {
    const rows = await rpc<RateLimitRow[]>(ctx.config, "list_api_rate_limits");
    if (!ctx.isCurrent()) return;
    renderTable(
      byId<HTMLTableElement>("rate-limits"),
      [
        { title: "entity", value: (r) => r.entity },
        { title: "remaining", value: (r) => formatNumber(r.remaining), numeric: true },
        { title: "resets", value: (r) => time(r.resets_at) },
        { title: "updated", value: (r) => ago(r.updated_at) },
      ],
      rows,
      { empty: "no rate limit recorded yet" },
    );
  }

  async function drawSchedules(): Promise<void> {
    const rows = await rpc<ScheduleRow[]>(ctx.config, "list_function_schedules");
    if (!ctx.isCurrent()) return;
    renderTable(
      byId<HTMLTableElement>("schedules"),
      [
        { title: "function", value: (r) => r.function_name },
        { title: "cron", value: (r) => r.cron_expression },
        { title: "state", value: (r) => badge(r.paused_at ? "paused" : r.enabled ? "enabled" : "disabled") },
        { title: "paused because", value: (r) => r.paused_reason, wrap: true },
        { title: "last invocation", value: (r) => ago(r.last_invocation_at) },
        { title: "outcome", value: (r) => badge(r.last_status) },
        { title: "HTTP", value: (r) => r.last_status_code, numeric: true },
        { title: "last success", value: (r) => ago(r.last_success_at) },
        { title: "last error", value: (r) => r.last_error, wrap: true },
      ],
      rows,
      { empty: "no function is scheduled" },
    );
  }

  async function drawInvocations(): Promise<void> {
    const rows = await rpc<InvocationRow[]>(ctx.config, "list_function_invocations", { max_rows: 30 });
    if (!ctx.isCurrent()) return;
    renderTable(
      byId<HTMLTableElement>("invocations"),
      [
        { title: "id", value: (r) => r.id, numeric: true },
        { title: "function", value: (r) => r.function_name },
        { title: "trigger", value: (r) => r.trigger },
        { title: "requested", value: (r) => time(r.requested_at) },
        { title: "outcome", value: (r) => badge(r.status) },
        { title: "HTTP", value: (r) => r.status_code, numeric: true },
        { title: "answered", value: (r) => time(r.responded_at) },
        { title: "run", value: (r) => r.execution_id },
        { title: "error", value: (r) => r.error, wrap: true },
      ],
      rows,
      { empty: "no invocation recorded yet", onClick: (r) => r.execution_id && openRun({ execution_id: r.execution_id }) },
    );
  }

  return { root, refresh };
}
