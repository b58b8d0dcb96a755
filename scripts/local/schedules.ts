// Points the database's function schedules at the local gateway's /functions/v1
// and makes sure pg_cron has a valid trigger credential to send. Idempotent:
// `stack up` and `npm start` both call it.
import pg from "pg";

export interface LocalScheduleOptions {
  /** Superuser URL of the stack's main database (the one pg_cron runs in). */
  databaseUrl: string;
  /** The gateway, e.g. http://127.0.0.1:54321: schedules call `${supabaseUrl}/functions/v1/<name>`. */
  supabaseUrl: string;
  /** Sent as apikey/Bearer so functions that keep Supabase's JWT check accept the call (the anon key is public). */
  anonKey?: string;
  /** Replaces the collect schedule (cron expression and body); left as it is when omitted. */
  collect?: { cron: string; body?: Record<string, unknown> };
}

export interface LocalScheduleResult {
  functionsBaseUrl: string;
  /** True when a new pg_cron credential was created (none, or the old one was revoked). */
  credentialRotated: boolean;
  collectCron: string | null;
}

export async function configureLocalSchedules(options: LocalScheduleOptions): Promise<LocalScheduleResult> {
  const functionsBaseUrl = `${options.supabaseUrl.replace(/\/+$/, "")}/functions/v1`;
  const client = new pg.Client({ connectionString: options.databaseUrl, application_name: "watermark-schedules" });
  await client.connect();
  try {
    // A session without JWT claims as the owner is the service level: the RPCs run as pg_cron would.
    await client.query("select public.set_functions_base_url($1, $2)", [functionsBaseUrl, options.anonKey ?? null]);
    const { rows } = await client.query<{ valid: boolean }>(
      "select coalesce(public.verify_trigger_token(trigger_token) is not null, false) as valid from watermark.function_settings",
    );
    const credentialRotated = !rows[0]?.valid;
    if (credentialRotated) await client.query("select public.rotate_schedule_trigger_credential()");
    if (options.collect) {
      await client.query(
        `select public.configure_function_schedule('collect', $1, true, $2::jsonb,
           coalesce((select timeout_milliseconds from watermark.function_schedules where function_name = 'collect'), 10000))`,
        [options.collect.cron, JSON.stringify(options.collect.body ?? {})],
      );
    }
    const schedule = await client.query<{ cron_expression: string }>(
      "select cron_expression from watermark.function_schedules where function_name = 'collect'",
    );
    return { functionsBaseUrl, credentialRotated, collectCron: schedule.rows[0]?.cron_expression ?? null };
  } finally {
    await client.end();
  }
}

/** A row of public.list_function_schedules(): what `stack status` reports per schedule. */
export interface ScheduleState {
  function_name: string;
  cron_expression: string;
  enabled: boolean;
  cron_active: boolean;
  last_invocation_at: Date | null;
  last_status: string | null;
  last_status_code: number | null;
  last_error: string | null;
  paused_at: Date | null;
  paused_reason: string | null;
}

export async function listSchedules(databaseUrl: string): Promise<ScheduleState[]> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "watermark-status" });
  await client.connect();
  try {
    // As the owner without JWT claims: the service level, like pg_cron.
    const { rows } = await client.query<ScheduleState>("select * from public.list_function_schedules()");
    return rows;
  } finally {
    await client.end();
  }
}

/** One line: whether the schedule runs, and if not why and how to resume it; then its last invocation's outcome. */
export function describeSchedule(s: ScheduleState): string {
  const last = s.last_invocation_at
    ? `last invocation ${s.last_invocation_at.toISOString()} ${s.last_status}${s.last_status_code ? ` (HTTP ${s.last_status_code})` : ""}${
        s.last_status !== "succeeded" && s.last_error && !s.paused_at ? `: ${s.last_error}` : ""
      }`
    : "not invoked yet";
  const state = s.paused_at
    ? `paused since ${s.paused_at.toISOString()}: ${s.paused_reason}. Fix that, then resume it: npm start, or select public.resume_function_schedule('${s.function_name}')`
    : !s.enabled
      ? "disabled (configure_function_schedule)"
      : s.cron_active
        ? `active '${s.cron_expression}'`
        : `enabled '${s.cron_expression}' but pg_cron has no job for it: run npm run stack -- up`;
  return `schedule ${s.function_name}: ${state}; ${last}`;
}
