// --export FILE: executions, logs and metric summaries as one JSON document,
// or as CSV (one file per kind: FILE.executions.csv, FILE.logs.csv, FILE.metrics.csv);
// --include adds alerts, chunks, the access audit's changes and the data completeness per
// league and season (FILE.<kind>.csv).
import { writeFile } from "node:fs/promises";
import { EXPORT_EXTRAS, type ExportExtra } from "./args.ts";
import type { DashboardContext } from "./context.ts";
import { dataQualityArgs } from "./data.ts";

/** RFC 4180 CSV: header from the first row's keys; objects as JSON; quotes where needed. */
function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${[columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\r\n")}\r\n`;
}

function csvPath(file: string, kind: string): string {
  return `${file.replace(/\.csv$/i, "")}.${kind}.csv`;
}

/** Columns of loosely typed rows: every key any row has, in first-seen order. */
function keysOf(rows: Record<string, unknown>[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r)))];
}

async function readExtras(ctx: DashboardContext): Promise<Partial<Record<ExportExtra, Record<string, unknown>[]>>> {
  const { args } = ctx;
  const read = async (kind: ExportExtra): Promise<Record<string, unknown>[]> => {
    if (kind === "alerts") return ctx.alerts.call("list_alerts", { pipeline: args.pipeline, max_rows: args.limit });
    if (kind === "chunks") return ctx.reads.call("list_chunks", { max_rows: args.limit });
    if (kind === "data") return ctx.sports.call("get_data_quality", dataQualityArgs(ctx));
    const hours = Math.min(168, Math.ceil(args.hours));
    return (await ctx.reads.call("get_access_audit", { hours, max_rows: Math.min(500, args.limit) })).changes;
  };
  // Always in the documented order (alerts, chunks, audit, data), whichever answers first.
  const kinds = EXPORT_EXTRAS.filter((k) => args.include.includes(k));
  const rows = await Promise.all(kinds.map(read));
  return Object.fromEntries(kinds.map((k, i) => [k, rows[i] ?? []]));
}

export async function runExport(ctx: DashboardContext, file: string): Promise<void> {
  const { args, rpc } = ctx;
  const [health, executions, logs, metrics, extras] = await Promise.all([
    rpc.call("get_etl_health_status", { pipeline: args.pipeline }),
    rpc.call("list_etl_executions", { pipeline: args.pipeline, max_rows: args.limit }),
    rpc.call("get_etl_logs", { max_rows: args.limit, min_level: args.level, component: args.component, execution_id: args.executionId }),
    rpc.call("get_etl_metric_summary", { hours: args.hours, pipeline: args.pipeline, execution_id: args.executionId }),
    readExtras(ctx),
  ]);
  let written: string[];
  if (args.format === "csv") {
    const columns = (schemaKeys: object) => Object.keys(schemaKeys);
    const files: Array<[string, string]> = [
      [csvPath(file, "executions"), toCsv(executions, columns(rpc.registry.list_etl_executions.result.element.shape))],
      [csvPath(file, "logs"), toCsv(logs, columns(rpc.registry.get_etl_logs.result.element.shape))],
      [csvPath(file, "metrics"), toCsv(metrics, columns(rpc.registry.get_etl_metric_summary.result.element.shape))],
      ...Object.entries(extras).map(([kind, rows]): [string, string] => [csvPath(file, kind), toCsv(rows, keysOf(rows))]),
    ];
    for (const [p, body] of files) await writeFile(p, body);
    written = files.map(([p]) => p);
  } else {
    const document = {
      exported_at: new Date().toISOString(),
      filters: { limit: args.limit, hours: args.hours, pipeline: args.pipeline ?? null },
      health,
      executions,
      logs,
      metrics,
      ...extras,
    };
    await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
    written = [file];
  }
  const counts = { executions: executions.length, logs: logs.length, metrics: metrics.length };
  const extraCounts = Object.fromEntries(Object.entries(extras).map(([kind, rows]) => [kind, rows.length]));
  if (args.json) return ctx.printJson({ files: written, ...counts, ...extraCounts });
  const more = Object.entries(extraCounts).map(
    ([kind, n]) => `, ${n} ${kind === "audit" ? "audit changes" : kind === "data" ? "league seasons of data completeness" : kind}`,
  );
  ctx.print([
    `exported ${counts.executions} executions, ${counts.logs} logs and ${counts.metrics} metric summaries${more.join("")} to ${written.join(", ")}`,
  ]);
}
