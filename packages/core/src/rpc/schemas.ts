// zod schemas for the monitoring RPCs (migration 0002): arguments as the
// database names them, and results as PostgREST returns them. The database
// stays authoritative; these checks fail fast with the same field names.
// type-checks.ts proves at compile time that they match the generated types.
import { z } from "zod";

export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export const logLevel = z.enum(LOG_LEVELS);
export type LogLevel = z.output<typeof logLevel>;

export const EXECUTION_STATUSES = ["RUNNING", "COMPLETED", "FAILED", "CANCELLED", "ABANDONED"] as const;
export const executionStatus = z.enum(EXECUTION_STATUSES);
export type ExecutionStatus = z.output<typeof executionStatus>;
/** The final statuses `finish_etl_execution` accepts (ABANDONED is usually the reaper's). */
export const finishStatus = z.enum(["COMPLETED", "FAILED", "CANCELLED", "ABANDONED"]);
export type FinishStatus = z.output<typeof finishStatus>;

export const executionTrigger = z.enum(["schedule", "backlog", "manual", "api"]);
export type ExecutionTrigger = z.output<typeof executionTrigger>;

export const METRIC_KINDS = ["counter", "gauge", "timing"] as const;
export const metricKind = z.enum(METRIC_KINDS);
export type MetricKind = z.output<typeof metricKind>;

/** Shared building blocks, also used by the collection RPC schemas. */
export const text = z.string().trim().min(1, { message: "must not be empty" });
const shortText = (max: number) => text.max(max, { message: `is longer than ${max} characters; use a short name` });
const pipelineName = text.max(100, { message: "must be a string of 1 to 100 characters naming the pipeline" });
export const count = z.number().int().nonnegative();
const timestamp = z.iso.datetime({ offset: true });
export const jsonValue = z.json();
export const jsonObject = z.record(z.string(), jsonValue);
/** Postgres `numeric`/`bigint` columns arrive as JSON numbers, or strings when huge. */
export const numeric = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);

// ---------------------------------------------------------------- arguments

export const startEtlExecutionArgs = z.object({
  execution_id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, {
      message: "must be 1 to 128 letters, digits, _ . : or - starting with a letter or digit; or null to generate one",
    })
    .optional(),
  config: jsonObject.optional(),
  pipeline: pipelineName.optional(),
  trigger: executionTrigger.optional(),
  correlation_id: text.optional(),
  heartbeat_timeout_seconds: z.number().int().min(10).max(86_400).optional(),
});

export const heartbeatEtlExecutionArgs = z.object({
  execution_id: text,
  progress: jsonObject.optional(),
});

export const finishEtlExecutionArgs = z.object({
  execution_id: text,
  status: finishStatus,
  total_fixtures: count.optional(),
  processed_fixtures: count.optional(),
  successful_fixtures: count.optional(),
  failed_fixtures: count.optional(),
  total_chunks: count.optional(),
  processed_chunks: count.optional(),
  error_message: z.string().optional(),
  rows_written: count.optional(),
});

export const logEtlEventArgs = z.object({
  level: logLevel,
  component: shortText(200),
  message: text,
  details: jsonObject.optional(),
  execution_id: text.optional(),
  chunk_id: text.optional(),
  fixture_id: z.number().int().nonnegative().optional(),
  duration_ms: z.number().nonnegative().optional(),
});

/** One element of `log_etl_events(events)`: the single form's fields plus batch extras. */
export const logEventElement = logEtlEventArgs.extend({
  timestamp: timestamp.optional(),
  correlation_id: z.string().optional(),
  pipeline: pipelineName.optional(),
});
export type LogEventElement = z.output<typeof logEventElement>;

/** `stream` + `first_seq` (together): the batch's place in its writer's numbering, so a resend is stored once. */
const sequenced = {
  stream: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{7,99}$/, {
      message: "must be 8 to 100 letters, digits, _ . : or - naming the writer (e.g. a random UUID)",
    })
    .optional(),
  first_seq: z.number().int().min(1).optional(),
};

export const logEtlEventsArgs = z.object({
  events: z.array(logEventElement).max(10_000, { message: "over the limit of 10000 per call; split the batch" }),
  ...sequenced,
});

/** A metric's name and unit limits (also the SDK's quick check, monitoring/performance-tracker.ts). */
export const METRIC_NAME_MAX = 200;
export const METRIC_UNIT_MAX = 50;

export const recordEtlMetricArgs = z.object({
  execution_id: text,
  metric_name: shortText(METRIC_NAME_MAX),
  metric_value: z.number(),
  metric_unit: z
    .string()
    .max(METRIC_UNIT_MAX, { message: `must be a string of at most ${METRIC_UNIT_MAX} characters` })
    .optional(),
  tags: jsonObject.optional(),
});

export const metricElement = recordEtlMetricArgs.extend({
  execution_id: text.nullable().optional(),
  metric_kind: metricKind.optional(),
  timestamp: timestamp.optional(),
  correlation_id: z.string().optional(),
  pipeline: pipelineName.optional(),
});
export type MetricElement = z.output<typeof metricElement>;

export const recordEtlMetricsArgs = z.object({
  metrics: z.array(metricElement).max(10_000, { message: "over the limit of 10000 per call; split the batch" }),
  ...sequenced,
});

export const getEtlExecutionSummaryArgs = z.object({ execution_id: text });

export const getEtlHealthStatusArgs = z.object({ pipeline: pipelineName.optional() });

const maxRows = z.number().int().min(1).max(1000);

export const listEtlExecutionsArgs = z.object({
  pipeline: text.optional(),
  status: executionStatus.optional(),
  max_rows: maxRows.optional(),
  before_started_at: timestamp.optional(),
});

export const getEtlLogsArgs = z.object({
  min_level: logLevel.optional(),
  component: text.optional(),
  execution_id: text.optional(),
  chunk_id: text.optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
  max_rows: maxRows.optional(),
  before_log_id: z.number().int().positive().optional(),
});

export const getEtlMetricSummaryArgs = z.object({
  metric_name: text.optional(),
  hours: z.number().positive().max(8_784, { message: "must be more than 0 and at most 8784" }).optional(),
  bucket: z.enum(["minute", "hour", "day"]).optional(),
  execution_id: text.optional(),
  pipeline: text.optional(),
});

// ------------------------------------------------------------------ results

/** `get_etl_execution_summary` / `finish_etl_execution`: unknown keys are kept for forward compatibility. */
export const executionSummary = z.looseObject({
  execution_id: z.string(),
  pipeline: z.string().optional(),
  status: executionStatus,
  trigger: z.string().nullish(),
  started_at: z.string(),
  finished_at: z.string().nullish(),
  heartbeat_at: z.string().nullish(),
  duration_seconds: numeric.nullish(),
  total_fixtures: z.number().nullish(),
  processed_fixtures: z.number().nullish(),
  successful_fixtures: z.number().nullish(),
  failed_fixtures: z.number().nullish(),
  total_chunks: z.number().nullish(),
  processed_chunks: z.number().nullish(),
  rows_written: z.number().nullish(),
  success_rate: numeric.nullish(),
  processing_rate: numeric.nullish(),
  error_message: z.string().nullish(),
  correlation_id: z.string().nullish(),
  config: jsonValue.optional(),
  progress: jsonValue.optional(),
  log_counts: z.record(logLevel, z.number()).optional(),
  metric_count: z.number().optional(),
});
export type ExecutionSummary = z.output<typeof executionSummary>;

const healthFigures = {
  total_executions: z.number(),
  running: z.number(),
  /** RUNNING runs whose heartbeat is older than their timeout (about to be reaped). */
  stale_running: z.number(),
  completed: z.number(),
  failed: z.number(),
  cancelled: z.number(),
  abandoned: z.number(),
  avg_duration_seconds: numeric.nullable(),
  avg_success_rate: numeric.nullable(),
  last_execution_at: z.string().nullable(),
  logs_24h: z.number(),
  errors_24h: z.number(),
  warnings_24h: z.number(),
};

/** `get_etl_health_status`: totals, then the same figures per pipeline. */
export const healthStatus = z.looseObject({
  generated_at: z.string(),
  pipeline: z.string().nullable(),
  /** Start of the 24 h log window (whole UTC hours). */
  window_start: z.string(),
  ...healthFigures,
  pipelines: z.array(z.looseObject({ pipeline: z.string(), ...healthFigures })),
});
export type HealthStatus = z.output<typeof healthStatus>;

export const executionRow = z.object({
  execution_id: z.string(),
  pipeline: z.string(),
  status: executionStatus,
  trigger: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  heartbeat_at: z.string().nullable(),
  duration_seconds: numeric.nullable(),
  total_fixtures: z.number().nullable(),
  processed_fixtures: z.number().nullable(),
  successful_fixtures: z.number().nullable(),
  failed_fixtures: z.number().nullable(),
  total_chunks: z.number().nullable(),
  processed_chunks: z.number().nullable(),
  rows_written: z.number().nullable(),
  success_rate: numeric.nullable(),
  error_message: z.string().nullable(),
  correlation_id: z.string().nullable(),
});
export type ExecutionRow = z.output<typeof executionRow>;

export const logRow = z.object({
  log_id: z.number(),
  timestamp: z.string(),
  level: logLevel,
  component: z.string(),
  message: z.string(),
  details: jsonValue.nullable(),
  execution_id: z.string().nullable(),
  chunk_id: z.string().nullable(),
  fixture_id: z.number().nullable(),
  duration_ms: numeric.nullable(),
  correlation_id: z.string().nullable(),
  pipeline: z.string().nullable(),
});
export type LogRow = z.output<typeof logRow>;

export const metricSummaryRow = z.object({
  metric_name: z.string(),
  metric_unit: z.string().nullable(),
  bucket_start: z.string().nullable(),
  samples: z.number(),
  avg: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});
export type MetricSummaryRow = z.output<typeof metricSummaryRow>;

// ---------------------------------------------------------------- the table

/** Every monitoring RPC: its argument and result schemas, by RPC name. */
export const monitoringRpcs = {
  start_etl_execution: { args: startEtlExecutionArgs, result: z.string() },
  heartbeat_etl_execution: { args: heartbeatEtlExecutionArgs, result: z.string() },
  finish_etl_execution: { args: finishEtlExecutionArgs, result: executionSummary },
  log_etl_event: { args: logEtlEventArgs, result: z.number().int() },
  log_etl_events: { args: logEtlEventsArgs, result: z.number().int() },
  record_etl_metric: { args: recordEtlMetricArgs, result: z.number().int() },
  record_etl_metrics: { args: recordEtlMetricsArgs, result: z.number().int() },
  get_etl_execution_summary: { args: getEtlExecutionSummaryArgs, result: executionSummary },
  get_etl_health_status: { args: getEtlHealthStatusArgs, result: healthStatus },
  list_etl_executions: { args: listEtlExecutionsArgs, result: z.array(executionRow) },
  get_etl_logs: { args: getEtlLogsArgs, result: z.array(logRow) },
  get_etl_metric_summary: { args: getEtlMetricSummaryArgs, result: z.array(metricSummaryRow) },
} as const;
