// The pre-flight block on every page: one line per readiness check, each OK or failing with the
// reason and the fix, from the database's own evidence (get_health_report, the applied migrations,
// the schedules). A check without evidence either way says UNKNOWN rather than guess.
import { type DashboardConfig, rpc } from "./api.ts";
import { formatAgo } from "./render.ts";
import type { HealthReport, ScheduleRow } from "./types.ts";

export type CheckState = "OK" | "FAILING" | "UNKNOWN";

export interface Check {
  name: string;
  state: CheckState;
  reason: string;
  fix?: string;
}

const MINUTE = 60_000;
const ageMs = (iso: string | null | undefined, now: number) => (iso ? now - new Date(iso).getTime() : Number.POSITIVE_INFINITY);

export interface PreflightInput {
  health: HealthReport | Error;
  migrations: Array<{ version: string; name: string }> | Error;
  schedules: ScheduleRow[] | Error;
  expected: DashboardConfig["expectedMigration"];
  now?: number;
}

export async function loadPreflight(config: DashboardConfig): Promise<{ checks: Check[]; health: HealthReport | null }> {
  const settle = <T>(p: Promise<T>) => p.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  const [health, migrations, schedules] = await Promise.all([
    settle(rpc<HealthReport>(config, "get_health_report")),
    settle(rpc<Array<{ version: string; name: string }>>(config, "list_applied_migrations")),
    settle(rpc<ScheduleRow[]>(config, "list_function_schedules")),
  ]);
  return {
    checks: preflightChecks({ health, migrations, schedules, expected: config.expectedMigration }),
    health: health instanceof Error ? null : health,
  };
}

export function preflightChecks({ health, migrations, schedules, expected, now = Date.now() }: PreflightInput): Check[] {
  if (health instanceof Error) {
    const denied = /permission denied/.test(health.message);
    return [
      denied
        ? {
            name: "access",
            state: "FAILING",
            reason: health.message,
            fix: "sign in as a user whose app_metadata.watermark_role is viewer or operator",
          }
        : {
            name: "database reachable",
            state: "FAILING",
            reason: health.message,
            fix: "start the stack (`npm run stack -- up`) or check SUPABASE_URL and the API gateway",
          },
    ];
  }
  const s = health.services;
  const checks: Check[] = [
    {
      name: "database reachable",
      state: "OK",
      reason: `PostgreSQL ${s.database.server_version}, ${s.database.connections} of ${s.database.max_connections} connections in use`,
    },
    migrationCheck(migrations, expected),
    cronCheck(health, now),
    functionsCheck(health, schedules),
    sportmonksCheck(health, schedules, now),
  ];
  const channels = s.alert_delivery.channels_configured;
  checks.push(
    channels.length > 0
      ? { name: "Slack channel configured", state: "OK", reason: `channel(s): ${channels.join(", ")}` }
      : {
          name: "Slack channel configured",
          state: "FAILING",
          reason: "no alert channel has a webhook: alerts are queued but reach nobody",
          fix: "set SLACK_WEBHOOK_URL for the alerts function, or call set_alert_channel('default', '<webhook URL>') as an operator",
        },
  );
  checks.push(deliveryCheck(health, now));
  return checks;
}

function migrationCheck(migrations: PreflightInput["migrations"], expected: PreflightInput["expected"]): Check {
  const name = "migrations current";
  if (migrations instanceof Error) return { name, state: "UNKNOWN", reason: migrations.message };
  const latest = migrations[0];
  if (!latest)
    return {
      name,
      state: "FAILING",
      reason: "no migration recorded as applied",
      fix: "apply them: `supabase db push` (locally `npm start`)",
    };
  if (!expected)
    return {
      name,
      state: "UNKNOWN",
      reason: `database at ${latest.version} (${latest.name}); the server knows no repository to compare with`,
    };
  if (latest.version === expected.version)
    return { name, state: "OK", reason: `${migrations.length} applied, the newest ${latest.version} (${latest.name})` };
  const behind = latest.version < expected.version;
  return {
    name,
    state: "FAILING",
    reason: `database at ${latest.version} (${latest.name}), repository at ${expected.version} (${expected.name})`,
    fix: behind
      ? "apply the missing ones: `supabase db push` (locally `npm start`)"
      : "the database is newer than this checkout: update the repository",
  };
}

function cronCheck(health: HealthReport, now: number): Check {
  const name = "pg_cron jobs scheduled and running";
  const { pg_cron, jobs } = health.services.scheduler;
  const fix = "check `select * from cron.job_run_details order by runid desc limit 20` and that cron.database_name is this database";
  if (!pg_cron)
    return {
      name,
      state: "FAILING",
      reason: "pg_cron is not installed in this database",
      fix: "enable the pg_cron extension, then re-apply the migrations",
    };
  if (jobs.length === 0)
    return { name, state: "FAILING", reason: "no watermark-* job is scheduled", fix: "re-apply the migrations: they schedule the jobs" };
  const problems: string[] = [];
  const notYet: string[] = [];
  for (const j of jobs) {
    if (!j.active) problems.push(`${j.job} is inactive`);
    else if (!j.last_run_at) notYet.push(`${j.job} (${j.schedule})`);
    else if (j.last_status === "failed") problems.push(`${j.job} failed its last run: ${j.last_message ?? "no message"}`);
  }
  // Right after the database starts no job has run yet: that is not a failure until one should have.
  if (problems.length === 0 && notYet.length === jobs.length) {
    return {
      name,
      state: "UNKNOWN",
      reason: `${notYet.length} jobs scheduled, none has run yet (pg_cron starts them on the next minute)`,
      fix,
    };
  }
  problems.push(...notYet.map((job) => `${job} has never run`));
  const newest = Math.min(...jobs.map((j) => ageMs(j.last_run_at, now)));
  if (newest > 5 * MINUTE) problems.push(`no job has run for ${Number.isFinite(newest) ? `${Math.round(newest / MINUTE)} min` : "ever"}`);
  if (problems.length > 0) return { name, state: "FAILING", reason: problems.join("; "), fix };
  return { name, state: "OK", reason: `${jobs.length} jobs active; the last ran ${formatAgo(new Date(now - newest).toISOString(), now)}` };
}

function functionsCheck(health: HealthReport, schedules: PreflightInput["schedules"]): Check {
  const name = "functions answer";
  const problems: string[] = [];
  if (!(schedules instanceof Error)) {
    for (const sc of schedules)
      if (sc.paused_at) problems.push(`${sc.function_name} schedule paused: ${sc.paused_reason ?? "no reason recorded"}`);
  }
  const fns = health.services.scheduler.functions.filter((f) => f.enabled);
  for (const f of fns) {
    if (f.last_status === "failed" || f.last_status === "timed_out") {
      problems.push(
        `${f.function_name}: last invocation ${f.last_status.replace("_", " ")}${f.last_status_code ? ` (HTTP ${f.last_status_code})` : ""}${f.last_error ? `: ${f.last_error}` : ""}`,
      );
    }
  }
  if (problems.length > 0) {
    return {
      name,
      state: "FAILING",
      reason: problems.join("; "),
      fix: "see `npm run stack -- status` (hosted: deploy the functions and call set_functions_base_url), then resume_function_schedule('<function>')",
    };
  }
  const answered = fns.filter((f) => f.last_success_at);
  if (answered.length < fns.length) {
    const silent = fns.filter((f) => !f.last_success_at).map((f) => f.function_name);
    return { name, state: "UNKNOWN", reason: `no successful invocation recorded yet for ${silent.join(", ")}` };
  }
  return {
    name,
    state: "OK",
    reason: fns.map((f) => `${f.function_name} answered ${formatAgo(f.last_success_at)}`).join(", ") || "no scheduled function",
  };
}

function sportmonksCheck(health: HealthReport, schedules: PreflightInput["schedules"], now: number): Check {
  const name = "Sportmonks credential set";
  const fix = "set SPORTMONKS_API_KEY as the collect function's secret (locally: `npm start`), then resume_function_schedule('collect')";
  const collect = health.services.scheduler.functions.find((f) => f.function_name === "collect");
  const paused = schedules instanceof Error ? undefined : schedules.find((sc) => sc.function_name === "collect" && sc.paused_at);
  const complaint = [paused?.paused_reason, collect?.last_error].find(
    (m) => m && /SPORTMONKS_API_KEY|401|unauthori[sz]ed|api token/i.test(m),
  );
  if (complaint) return { name, state: "FAILING", reason: complaint, fix };
  const last = health.services.source_api.last_call_at;
  if (last && ageMs(last, now) < 24 * 60 * MINUTE) {
    return {
      name,
      state: "OK",
      reason: `the API answered ${formatAgo(last, now)} (${health.services.source_api.calls_1h} calls in the last hour)`,
    };
  }
  return { name, state: "UNKNOWN", reason: "no Sportmonks call recorded in 24 h: nothing proves the credential works yet", fix };
}

function deliveryCheck(health: HealthReport, now: number): Check {
  const name = "alert path delivered recently";
  const d = health.services.alert_delivery;
  const fix = "send a test: `npm run alerts -- test`, then read list_alert_notifications('dead') for the error";
  if (d.dead_letters_24h > 0) return { name, state: "FAILING", reason: `${d.dead_letters_24h} notification(s) dead in 24 h`, fix };
  if (d.oldest_undelivered_at && ageMs(d.oldest_undelivered_at, now) > 15 * MINUTE) {
    return { name, state: "FAILING", reason: `${d.backlog} notification(s) waiting since ${formatAgo(d.oldest_undelivered_at, now)}`, fix };
  }
  if (!d.last_delivered_at) return { name, state: "UNKNOWN", reason: "no notification delivered yet", fix };
  if (ageMs(d.last_delivered_at, now) > 7 * 24 * 60 * MINUTE) {
    return { name, state: "UNKNOWN", reason: `last delivery ${formatAgo(d.last_delivered_at, now)}: older than 7 days`, fix };
  }
  return { name, state: "OK", reason: `last delivery ${formatAgo(d.last_delivered_at, now)}; ${d.backlog} waiting` };
}
