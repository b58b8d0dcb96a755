// Rows of the RPCs the dashboard reads that core has no type for (see the migrations that define them).

export interface AlertRow {
  alert_id: number;
  fingerprint: string;
  rule_id: string;
  scope_key: string;
  state: string;
  severity: string;
  summary: string | null;
  value: number | null;
  threshold: number;
  firing_since: string | null;
  pending_since: string | null;
  resolved_at: string | null;
  notifications_sent: number;
  muted: boolean;
}

export interface AlertHistoryRow {
  fingerprint: string;
  from_state: string | null;
  to_state: string;
  value: number | null;
  at: string;
}

export interface AlertNotificationRow {
  notification_id: number;
  kind: string;
  scope_key: string | null;
  channel: string;
  status: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  last_status_code: number | null;
  created_at: string;
  delivered_at: string | null;
  next_attempt_at: string | null;
  payload: { text?: string } | null;
}

export interface AlertRuleRow {
  rule_id: string;
  kind: string;
  pipeline: string | null;
  severity: string;
  comparison: string;
  threshold: number;
  unit: string | null;
  enabled: boolean;
  muted: boolean;
  muted_until: string | null;
  description: string | null;
  channel: string | null;
  for_seconds: number;
}

export interface HealthReport {
  status: "healthy" | "degraded" | "unhealthy";
  reasons: string[];
  services: {
    database: { server_version: string; connections: number; max_connections: number };
    scheduler: {
      pg_cron: boolean;
      jobs: Array<{
        job: string;
        schedule: string;
        active: boolean;
        last_run_at: string | null;
        last_status: string | null;
        last_message: string | null;
      }>;
      functions: Array<{
        function_name: string;
        enabled: boolean;
        last_status: string | null;
        last_status_code: number | null;
        last_error: string | null;
        last_invocation_at: string | null;
        last_success_at: string | null;
      }>;
    };
    source_api: {
      last_call_at: string | null;
      calls_1h: number;
      p95_latency_ms: number | null;
      rate_limits: Array<{ entity: string; remaining: number; resets_at: string | null; updated_at: string }>;
    };
    alert_delivery: {
      backlog: number;
      dead_letters_24h: number;
      last_delivered_at: string | null;
      oldest_undelivered_at: string | null;
      channels_configured: string[];
    };
    alerting: { firing: number; pending: number; firing_critical: number; last_evaluation_at: string | null };
  };
  metrics: { executions_24h: number; running: number; failed_24h: number; error_rate_24h: number };
}

export interface ScheduleRow {
  function_name: string;
  cron_expression: string;
  enabled: boolean;
  cron_active: boolean | null;
  last_invocation_at: string | null;
  last_status: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_success_at: string | null;
  paused_at: string | null;
  paused_reason: string | null;
}

export interface InvocationRow {
  id: number;
  function_name: string;
  requested_at: string;
  trigger: string;
  status: string;
  status_code: number | null;
  error: string | null;
  responded_at: string | null;
  execution_id: string | null;
}

export interface PipelineRow {
  pipeline: string;
  status: "OK" | "FAILED" | "RUNNING" | "STALE" | "NO_RUN";
  entities: number;
  source_total: number | null;
  target_total: number | null;
  coverage_percent: number | null;
  pending: number | null;
  freshness_minutes: number | null;
  watermark: string | null;
  last_execution_id: string | null;
  last_run_status: string | null;
  last_run_at: string | null;
  last_duration_seconds: number | null;
  throughput_rows_per_sec: number | null;
  runs_24h: number;
  failures_24h: number;
  running: number;
}

/** get_pipeline_history: one row per entity and UTC day the pipeline reported. */
export interface PipelineHistoryRow {
  day: string;
  entity: string;
  coverage_percent: number | null;
  pending: number | null;
  freshness_minutes: number | null;
  last_duration_seconds: number | null;
  throughput_rows_per_sec: number | null;
}

export interface SeriesRow {
  day: string;
  pipeline: string;
  status: string;
  runs: number;
  rows_extracted: number;
  rows_upserted: number;
}

export interface RunChunkRow {
  chunk_id: string;
  first_at: string;
  last_at: string;
  batches: number;
  fixtures: number;
  rows_upserted: number;
  fixtures_failed: number;
  warnings: number;
  errors: number;
  outcome: string | null;
}

export interface ChunkRow {
  chunk_id: string;
  league_name: string | null;
  season_name: string | null;
  status: string;
  priority: number;
  fixtures_total: number | null;
  fixtures_collected: number;
  fixtures_pending: number;
  fixtures_failed: number;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  checkpoint: { last_fixture_id?: number | null } | null;
  last_execution_id: string | null;
}

export interface ChunkQueueRow {
  chunk_id: string;
  priority: number;
  claimable: boolean;
  blocked_by: string | null;
  blocked_until: string | null;
  fixtures_due: number;
  lease_owner: string | null;
}

export interface RateLimitRow {
  entity: string;
  remaining: number;
  resets_at: string | null;
  updated_at: string;
}

export interface FixtureRow {
  id: number;
  name: string | null;
  league_id: number;
  season_id: number;
  starting_at: string | null;
  state_id: number | null;
  result_info: string | null;
  home_goals: number | null;
  away_goals: number | null;
  is_final: boolean;
  collected_at: string;
}

export interface AccessAudit {
  window_start: string;
  per_hour: Array<{ hour: string; calls: number; changes: number }>;
  top_callers: Array<{ actor: string; calls: number; last_at: string }>;
  changes: Array<{ at: string; actor: string; action: string; target: string | null; details: unknown; source: string }>;
  recent: Array<{ at: string; actor: string; action: string; target: string | null }>;
}
