// Dashboard flags: parsed and validated up front; a bad flag names itself (exit 2).
import { LOG_LEVELS, type LogLevel } from "../../packages/core/src/rpc/index.ts";

export type View = "overview" | "execution" | "logs" | "metrics" | "alerts" | "data" | "export" | "help";
export type ExportFormat = "json" | "csv";
export const EXPORT_EXTRAS = ["alerts", "chunks", "audit", "data"] as const;
export type ExportExtra = (typeof EXPORT_EXTRAS)[number];

export interface DashboardArgs {
  view: View;
  executionId?: string;
  limit: number;
  hours: number;
  level?: LogLevel;
  component?: string;
  pipeline?: string;
  /** --data (and --export --include data): one league or season, and the quality score counted as low. */
  leagueId?: number;
  seasonId?: number;
  belowScore: number;
  exportFile?: string;
  format?: ExportFormat;
  /** What --export adds to executions, logs and metrics. */
  include: ExportExtra[];
  json: boolean;
  verbose: boolean;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const usage = `usage: npm run dashboard -- [view] [options]

views (default: the health overview)
  --execution-id ID     one execution's summary and its logs
  --logs                recent logs, newest first (--limit, --level, --component, --execution-id)
  --metrics             metric summaries (--hours)
  --alerts              alert status
  --data                how complete the collected data is, per league and season (--league, --season, --below)
  --export FILE         write executions, logs and metrics to FILE (.json, or .csv → FILE.<kind>.csv)

options
  --limit N             rows of logs/executions, 1-1000 (default 20)
  --hours H             metrics window in hours, > 0 and ≤ 8784 (default 24)
  --level LEVEL         lowest log level: ${LOG_LEVELS.join(", ")}
  --component NAME      only logs of this component
  --pipeline NAME       only this pipeline (health, executions, metrics)
  --league ID           --data: only this league
  --season ID           --data: only this season
  --below N             --data: count fixtures scoring below N, 1-100 (default 80), with their reasons
  --format json|csv     export format (default from FILE's extension, else json)
  --include LIST        --export also writes these, comma-separated: ${EXPORT_EXTRAS.join(", ")}
  --json                machine-readable JSON on stdout
  --verbose             more detail (log details, credential source, error causes)
  --help                this text

credentials: SUPABASE_URL with WATERMARK_VIEWER_JWT + SUPABASE_ANON_KEY, or SUPABASE_SERVICE_ROLE_KEY;
without them, the running local stack's (npm run stack -- up).`;

const withValue = new Set([
  "--execution-id",
  "--limit",
  "--hours",
  "--level",
  "--component",
  "--pipeline",
  "--league",
  "--season",
  "--below",
  "--export",
  "--format",
  "--include",
]);
const booleans = new Set(["--logs", "--metrics", "--alerts", "--data", "--json", "--verbose", "--help", "-h"]);

function intIn(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function hoursFrom(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 8784) {
    throw new UsageError(`--hours: expected a number of hours above 0 and at most 8784 (a year), got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function parseDashboardArgs(argv: readonly string[]): DashboardArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (withValue.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`${name}: needs a value (see --help)`);
      if (values.has(name)) throw new UsageError(`${name}: given twice`);
      values.set(name, value);
    } else if (booleans.has(name) && eq < 0) {
      flags.add(name === "-h" ? "--help" : name);
    } else {
      throw new UsageError(`unknown ${arg.startsWith("-") ? "flag" : "argument"} ${JSON.stringify(arg)}; see --help`);
    }
  }

  const views = (["--logs", "--metrics", "--alerts", "--data"] as const).filter((f) => flags.has(f));
  if (values.has("--export")) views.push("--export" as never);
  if (views.length > 1) throw new UsageError(`${views.join(" and ")}: choose one view at a time`);

  let level: LogLevel | undefined;
  const rawLevel = values.get("--level");
  if (rawLevel !== undefined) {
    const upper = rawLevel.toUpperCase();
    if (!(LOG_LEVELS as readonly string[]).includes(upper))
      throw new UsageError(`--level: unknown level ${JSON.stringify(rawLevel)}; use one of ${LOG_LEVELS.join(", ")}`);
    level = upper as LogLevel;
  }
  for (const name of ["--execution-id", "--component", "--pipeline", "--export"]) {
    if (values.get(name)?.trim() === "") throw new UsageError(`${name}: must not be empty`);
  }

  const exportFile = values.get("--export");
  const rawFormat = values.get("--format");
  if (rawFormat !== undefined && rawFormat !== "json" && rawFormat !== "csv")
    throw new UsageError(`--format: use json or csv, got ${JSON.stringify(rawFormat)}`);
  if (rawFormat !== undefined && exportFile === undefined) throw new UsageError("--format: only applies to --export FILE");
  const format: ExportFormat | undefined =
    exportFile === undefined ? undefined : (rawFormat ?? (exportFile.toLowerCase().endsWith(".csv") ? "csv" : "json"));

  const rawInclude = values.get("--include");
  if (rawInclude !== undefined && exportFile === undefined) throw new UsageError("--include: only applies to --export FILE");
  const include = (rawInclude ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  const unknownExtra = include.find((v) => !(EXPORT_EXTRAS as readonly string[]).includes(v));
  if (unknownExtra !== undefined || (rawInclude !== undefined && include.length === 0))
    throw new UsageError(`--include: use a comma-separated list of ${EXPORT_EXTRAS.join(", ")}, got ${JSON.stringify(rawInclude)}`);

  const view: View = flags.has("--help")
    ? "help"
    : flags.has("--logs")
      ? "logs"
      : flags.has("--metrics")
        ? "metrics"
        : flags.has("--alerts")
          ? "alerts"
          : flags.has("--data")
            ? "data"
            : exportFile !== undefined
              ? "export"
              : values.has("--execution-id")
                ? "execution"
                : "overview";

  if (values.has("--level") && view !== "logs" && view !== "export") throw new UsageError("--level: only applies to --logs and --export");
  if (values.has("--component") && view !== "logs" && view !== "export")
    throw new UsageError("--component: only applies to --logs and --export");

  const dataFilters = view === "data" || (view === "export" && include.includes("data"));
  for (const name of ["--league", "--season", "--below"]) {
    if (values.has(name) && !dataFilters) throw new UsageError(`${name}: only applies to --data and --export --include data`);
  }
  const id = (name: string) => (values.has(name) ? intIn(name, values.get(name) as string, 1, Number.MAX_SAFE_INTEGER) : undefined);

  return {
    view,
    executionId: values.get("--execution-id"),
    limit: values.has("--limit") ? intIn("--limit", values.get("--limit") as string, 1, 1000) : 20,
    hours: values.has("--hours") ? hoursFrom(values.get("--hours") as string) : 24,
    level,
    component: values.get("--component"),
    pipeline: values.get("--pipeline"),
    leagueId: id("--league"),
    seasonId: id("--season"),
    belowScore: values.has("--below") ? intIn("--below", values.get("--below") as string, 1, 100) : 80,
    exportFile,
    format,
    include: [...new Set(include)] as ExportExtra[],
    json: flags.has("--json"),
    verbose: flags.has("--verbose"),
  };
}
