// --export FILE: executions, logs and metric summaries as one JSON document,
// or as CSV (one file per kind: FILE.executions.csv, FILE.logs.csv, FILE.metrics.csv).
import { writeFile } from "node:fs/promises";
import type { DashboardContext } from "./context.ts";

/** RFC 4180 CSV: header from the first row's keys; objects as JSON; quotes where needed. */
function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${[columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\r\n")}\r\n`;
}

function csvPaths(file: string): Record<"executions" | "logs" | "metrics", string> {
  const base = file.replace(/\.csv$/i, "");
  return { executions: `${base}.executions.csv`, logs: `${base}.logs.csv`, metrics: `${base}.metrics.csv` };
}

export async function runExport(ctx: DashboardContext, file: string): Promise<void> {
  const { args, rpc } = ctx;
  const [health, executions, logs, metrics] = await Promise.all([
    rpc.call("get_etl_health_status", { pipeline: args.pipeline }),
    rpc.call("list_etl_executions", { pipeline: args.pipeline, max_rows: args.limit }),
    rpc.call("get_etl_logs", { max_rows: args.limit, min_level: args.level, component: args.component, execution_id: args.executionId }),
    rpc.call("get_etl_metric_summary", { hours: args.hours, pipeline: args.pipeline, execution_id: args.executionId }),
  ]);
  let written: string[];
  if (args.format === "csv") {
    const paths = csvPaths(file);
    const columns = (schemaKeys: object) => Object.keys(schemaKeys);
    await writeFile(paths.executions, toCsv(executions, columns(rpc.registry.list_etl_executions.result.element.shape)));
    await writeFile(paths.logs, toCsv(logs, columns(rpc.registry.get_etl_logs.result.element.shape)));
    await writeFile(paths.metrics, toCsv(metrics, columns(rpc.registry.get_etl_metric_summary.result.element.shape)));
    written = Object.values(paths);
  } else {
    const document = {
      exported_at: new Date().toISOString(),
      filters: { limit: args.limit, hours: args.hours, pipeline: args.pipeline ?? null },
      health,
      executions,
      logs,
      metrics,
    };
    await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
    written = [file];
  }
  const counts = { executions: executions.length, logs: logs.length, metrics: metrics.length };
  if (args.json) return ctx.printJson({ files: written, ...counts });
  ctx.print([
    `exported ${counts.executions} executions, ${counts.logs} logs and ${counts.metrics} metric summaries to ${written.join(", ")}`,
  ]);
}
