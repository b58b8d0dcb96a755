-- Why: the seed's alert manager checked four thresholds from a Python loop and
-- printed them. Watermark evaluates alert rules inside Postgres, where the runs
-- are recorded, so every transition (pending → firing → resolved) and the
-- notification it causes commit together: nothing is lost if Slack, the edge
-- function or the evaluator dies midway. This migration adds the rules, the
-- alert instances with their history, the notification outbox that the
-- `alerts` edge function drains, and their pg_cron jobs.

-- ---------------------------------------------------------------------------
-- Rule kinds: what each kind measures and how its value is compared.
-- ---------------------------------------------------------------------------
create table watermark.alert_rule_kinds (
  kind text primary key,
  comparison text not null check (comparison in ('>', '>=', '<', '<=')),
  unit text not null,
  -- season: one scope per league and season of the collected data (params.league_id / params.season_id narrow it).
  scope text not null check (scope in ('pipeline', 'function', 'global', 'season')),
  default_window_seconds integer,
  description text not null
);
alter table watermark.alert_rule_kinds enable row level security;
comment on table watermark.alert_rule_kinds is
  'The alert rule kinds: a rule fires when the kind''s value compared to the rule''s threshold holds.';

insert into watermark.alert_rule_kinds (kind, comparison, unit, scope, default_window_seconds, description) values
  ('error_rate', '>', '%', 'pipeline', 3600,
   'failed / processed fixtures of the runs finished within the window, in percent'),
  ('run_duration', '>', 'min', 'pipeline', 3600,
   'longest run in minutes: running now, or finished within the window'),
  ('success_rate', '<', '%', 'pipeline', 86400,
   'completed / finished runs (completed, failed, abandoned) within the window, in percent'),
  ('consecutive_failures', '>=', 'runs', 'pipeline', null,
   'failed or abandoned runs since the last completed one'),
  ('stuck_run', '>=', 'runs', 'pipeline', 3600,
   'runs whose heartbeat is older than their timeout, or that were reaped (ABANDONED) within the window'),
  ('missed_schedule', '>', 's', 'pipeline', null,
   'seconds overdue: time since the last completed run minus the expected interval (params.interval_seconds, else the longest gap of the pg_cron schedule that starts the pipeline, else the interval the pipeline declared in etl_control.expected_interval_seconds); the threshold is the grace'),
  ('data_freshness', '>', 'min', 'pipeline', null,
   'minutes since the stalest entity of the pipeline last succeeded (etl_control.last_success_at)'),
  ('zero_rows', '<=', 'rows', 'pipeline', null,
   'rows written by the latest completed run (enable it for pipelines that always write rows)'),
  ('volume_anomaly', '>', 'z', 'pipeline', 2592000,
   '|z-score| of the latest completed run''s rows written against the params.samples (default 20) runs before it, among the runs finished within the window; needs params.min_samples (default 5); stddev floored at 1 row'),
  ('invocation_failed', '>=', 'invocations', 'function', 86400,
   'consecutive failed or timed-out scheduled invocations of a function (recorded pg_net responses) within the window'),
  ('delivery_failing', '>=', 'channels', 'global', null,
   'channels whose alert delivery fails: failing_after_failures failed attempts in a row, or no delivery for failing_after_seconds while notifications wait for a channel known to have a webhook (alert delivery settings)'),
  ('data_completeness', '<', '%', 'season', null,
   'finished fixtures of a league and season collected with every quality check passed (watermark.data_completeness complete_percent), per league and season; params.league_id / params.season_id narrow it, params.min_samples (default 1) finished fixtures needed');

-- ---------------------------------------------------------------------------
-- Rules
-- ---------------------------------------------------------------------------
create table watermark.alert_rules (
  rule_id text primary key check (rule_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  kind text not null references watermark.alert_rule_kinds (kind),
  description text,
  -- null = every pipeline (for invocation_failed: every function)
  pipeline text,
  severity text not null default 'warning' check (severity in ('info', 'warning', 'critical')),
  threshold double precision not null,
  window_seconds integer check (window_seconds between 60 and 2592000),
  for_seconds integer not null default 0 check (for_seconds between 0 and 604800),
  -- null = notify a firing alert once only
  repeat_seconds integer default 14400 check (repeat_seconds between 60 and 2592000),
  enabled boolean not null default true,
  muted_until timestamptz,
  -- null = the default channel (SLACK_WEBHOOK_URL of the alerts function, or alert_channels 'default')
  channel text check (channel ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  params jsonb not null default '{}' check (jsonb_typeof(params) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by text,
  -- What the rule does when it fires, besides notifying: null = nothing (the
  -- default). requeue_failed_chunks: the collector's failed chunks and fixtures
  -- are collected again (watermark.run_alert_remediation), audited per chunk.
  remediation text check (remediation in ('requeue_failed_chunks'))
);
alter table watermark.alert_rules enable row level security;
comment on table watermark.alert_rules is 'Alert rules; operators manage them through the *_alert_rule RPCs.';

-- The seed's four thresholds, then one rule for every other kind that needs no
-- per-pipeline configuration. zero_rows only makes sense where rows are
-- expected, so it ships disabled.
insert into watermark.alert_rules (rule_id, kind, severity, threshold, for_seconds, enabled, description, params) values
  ('error-rate', 'error_rate', 'warning', 5, 0, true, 'More than 5 % of the processed fixtures failed (seed default)', '{}'),
  ('max-duration', 'run_duration', 'warning', 60, 0, true, 'A run took longer than 60 minutes (seed default)', '{}'),
  ('min-success-rate', 'success_rate', 'warning', 90, 0, true, 'Fewer than 90 % of the runs completed (seed default)', '{}'),
  ('consecutive-failures', 'consecutive_failures', 'critical', 3, 0, true, '3 runs in a row failed (seed default)', '{}'),
  ('stuck-run', 'stuck_run', 'critical', 1, 0, true, 'A run stopped sending heartbeats', '{}'),
  ('missed-schedule', 'missed_schedule', 'critical', 600, 0, true, 'No completed run within the expected interval (from the pipeline''s schedule) + 10 min', '{}'),
  ('data-freshness', 'data_freshness', 'warning', 1440, 0, true, 'An entity has not been refreshed for a day', '{}'),
  ('zero-rows', 'zero_rows', 'warning', 0, 0, false, 'The latest completed run wrote no rows', '{}'),
  ('volume-anomaly', 'volume_anomaly', 'info', 3, 0, true, 'Rows written are more than 3 standard deviations from the recent runs', '{}'),
  ('invocation-failed', 'invocation_failed', 'warning', 2, 0, true, 'Two scheduled invocations of a function in a row failed', '{}'),
  ('delivery-failing', 'delivery_failing', 'critical', 1, 0, true, 'Alert notifications cannot be delivered to a channel', '{}'),
  -- Disabled: during a first backfill most seasons are incomplete; enable it once collection caught up.
  ('data-completeness', 'data_completeness', 'warning', 90, 3600, false,
   'Fewer than 90 % of a season''s finished fixtures have complete data for an hour', '{}');
update watermark.alert_rules set updated_by = 'migration';

-- Webhook URLs per channel. Secrets: only the service role reads them.
create table watermark.alert_channels (
  channel text primary key check (channel ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  webhook_url text not null check (webhook_url ~ '^https?://[^\s]+$'),
  updated_at timestamptz not null default now(),
  updated_by text
);
alter table watermark.alert_channels enable row level security;
comment on table watermark.alert_channels is
  'Slack incoming-webhook URL per channel. Without a row, channel default uses the alerts function''s SLACK_WEBHOOK_URL.';

-- ---------------------------------------------------------------------------
-- Alert instances, history, evaluations, outbox
-- ---------------------------------------------------------------------------
create table watermark.alert_evaluations (
  evaluation_id bigint generated always as identity primary key,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  observations integer,
  transitions integer,
  notifications integer
);
alter table watermark.alert_evaluations enable row level security;
-- The latest evaluation (health) and retention.
create index alert_evaluations_started_at_idx on watermark.alert_evaluations (started_at);

create table watermark.alerts (
  alert_id bigint generated always as identity primary key,
  -- rule + scope: one instance per rule and pipeline (or function, or '*')
  fingerprint text not null unique,
  rule_id text not null references watermark.alert_rules (rule_id),
  scope_key text not null,
  state text not null check (state in ('inactive', 'pending', 'firing', 'resolved')),
  value double precision,
  threshold double precision not null,
  summary text,
  execution_ids text[] not null default '{}',
  pending_since timestamptz,
  firing_since timestamptz,
  resolved_at timestamptz,
  last_notified_at timestamptz,
  notifications_sent integer not null default 0,
  -- What the rule's remediation did when this alert last started firing (null: none).
  remediation jsonb,
  last_evaluation_id bigint,
  last_evaluated_at timestamptz,
  updated_at timestamptz not null default now()
);
alter table watermark.alerts enable row level security;
create index alerts_active_idx on watermark.alerts (state) where state in ('pending', 'firing');

create table watermark.alert_history (
  history_id bigint generated always as identity primary key,
  alert_id bigint not null references watermark.alerts (alert_id),
  fingerprint text not null,
  rule_id text not null,
  scope_key text not null,
  from_state text not null,
  to_state text not null,
  value double precision,
  threshold double precision,
  evaluation_id bigint,
  at timestamptz not null default now()
);
alter table watermark.alert_history enable row level security;
create index alert_history_alert_idx on watermark.alert_history (alert_id, history_id desc);
create index alert_history_at_idx on watermark.alert_history (at desc);

-- How delivery retries and when it counts as failing. One row; operators change
-- it with set_alert_delivery_settings (audited).
create table watermark.alert_delivery_settings (
  singleton boolean primary key default true check (singleton),
  max_attempts integer not null default 10 check (max_attempts between 1 and 100),
  backoff_base_seconds integer not null default 30 check (backoff_base_seconds between 1 and 3600),
  backoff_max_seconds integer not null default 1800 check (backoff_max_seconds between 1 and 86400),
  failing_after_failures integer not null default 3 check (failing_after_failures between 1 and 100),
  failing_after_seconds integer not null default 600 check (failing_after_seconds between 60 and 86400),
  updated_at timestamptz not null default now(),
  updated_by text,
  check (backoff_max_seconds >= backoff_base_seconds)
);
alter table watermark.alert_delivery_settings enable row level security;
comment on table watermark.alert_delivery_settings is
  'Alert delivery retries (attempts, exponential backoff) and when delivery counts as failing; change it with set_alert_delivery_settings().';
insert into watermark.alert_delivery_settings (singleton, updated_by) values (true, 'migration');

-- New notifications take the current attempt limit.
create or replace function watermark.alert_delivery_max_attempts()
returns integer
language sql
stable
set search_path = ''
as $$
  select coalesce((select s.max_attempts from watermark.alert_delivery_settings s where s.singleton), 10)
$$;

-- Per channel: the current run of failed attempts and the last outage, so
-- delivery_failing can fire after a few failures and its resolution can say
-- what recovered. Written by mark_alert_notification_delivered/failed.
create table watermark.alert_channel_delivery (
  channel text primary key,
  consecutive_failures integer not null default 0,
  failing_since timestamptz,
  last_failure_at timestamptz,
  last_error text,
  last_delivered_at timestamptz,
  recovered_at timestamptz,
  recovered_after_failures integer,
  recovered_after_seconds numeric,
  updated_at timestamptz not null default now()
);
alter table watermark.alert_channel_delivery enable row level security;
comment on table watermark.alert_channel_delivery is
  'Delivery state per channel: failed attempts in a row since the last delivery, and the last recovery.';

create table watermark.alert_notifications (
  notification_id bigint generated always as identity primary key,
  -- One key per notification; a second enqueue of the same transitions is a no-op,
  -- and the key travels in the Slack message so a reader can spot a duplicate.
  idempotency_key text not null unique,
  kind text not null check (kind in ('alerts', 'test')),
  evaluation_id bigint,
  scope_key text not null,
  channel text not null default 'default',
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'sending', 'delivered', 'dead')),
  attempts integer not null default 0,
  max_attempts integer not null default watermark.alert_delivery_max_attempts() check (max_attempts between 1 and 100),
  next_attempt_at timestamptz not null default now(),
  claim_token uuid,
  claimed_until timestamptz,
  last_error text,
  last_status_code integer,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  dead_at timestamptz
);
alter table watermark.alert_notifications enable row level security;
create index alert_notifications_due_idx on watermark.alert_notifications (next_attempt_at)
  where status in ('pending', 'sending');
create index alert_notifications_created_idx on watermark.alert_notifications (created_at desc);

-- The observers read executions by finish time (etl_executions_finished_at_idx,
-- monitoring migration) and the latest completed runs of each pipeline
-- (missed_schedule, zero_rows, volume_anomaly) here, every minute, without
-- walking the whole history.
create index etl_executions_completed_idx on watermark.etl_executions (pipeline, finished_at)
  where status = 'COMPLETED';
-- consecutive_failures: a pipeline's failed runs since its latest completed one.
create index etl_executions_unsuccessful_idx on watermark.etl_executions (pipeline, finished_at)
  where status in ('FAILED', 'ABANDONED');

-- Reads: viewers and up. Writes: service role (bypasses RLS) or the definer RPCs below.
create policy "watermark viewers can read alert rule kinds" on watermark.alert_rule_kinds
  for select to authenticated using ((select watermark.access_level()) >= 1);
create policy "watermark viewers can read alert rules" on watermark.alert_rules
  for select to authenticated using ((select watermark.access_level()) >= 1);
create policy "watermark viewers can read alerts" on watermark.alerts
  for select to authenticated using ((select watermark.access_level()) >= 1);
create policy "watermark viewers can read alert history" on watermark.alert_history
  for select to authenticated using ((select watermark.access_level()) >= 1);
create policy "watermark viewers can read alert evaluations" on watermark.alert_evaluations
  for select to authenticated using ((select watermark.access_level()) >= 1);
create policy "watermark viewers can read alert notifications" on watermark.alert_notifications
  for select to authenticated using ((select watermark.access_level()) >= 1);
create policy "watermark viewers can read alert delivery settings" on watermark.alert_delivery_settings
  for select to authenticated using ((select watermark.access_level()) >= 1);
create policy "watermark viewers can read alert channel delivery" on watermark.alert_channel_delivery
  for select to authenticated using ((select watermark.access_level()) >= 1);

grant select on watermark.alert_rule_kinds, watermark.alert_rules, watermark.alerts, watermark.alert_history,
  watermark.alert_evaluations, watermark.alert_notifications, watermark.alert_delivery_settings,
  watermark.alert_channel_delivery to authenticated;
-- The service role writes what evaluation and delivery write. Rules and channels
-- are written only by the operator RPCs (definer, audited): it only reads them
-- (channels: the webhook URLs it delivers to).
grant select, insert, update on watermark.alerts, watermark.alert_history,
  watermark.alert_evaluations, watermark.alert_notifications, watermark.alert_channel_delivery to service_role;
-- Delivery settings, like rules, change only through their operator RPC.
grant select on watermark.alert_rule_kinds, watermark.alert_rules, watermark.alert_channels,
  watermark.alert_delivery_settings to service_role;
grant execute on function watermark.alert_delivery_max_attempts() to authenticated, service_role;
-- Retention (purge_expired → purge_expired_alerts) deletes what has expired; nothing else does.
grant delete on watermark.alert_evaluations, watermark.alert_history, watermark.alert_notifications to service_role;

-- ---------------------------------------------------------------------------
-- Retention: evaluations (one a minute), transitions and finished notifications
-- grow without end; get_health_report reads them. The monitoring migration's
-- purge_expired() (pg_cron, every 10 minutes) calls purge_expired_alerts().
-- ---------------------------------------------------------------------------
alter table watermark.retention_policies drop constraint retention_policies_kind_check;
alter table watermark.retention_policies add constraint retention_policies_kind_check
  check (kind in ('debug_logs', 'logs', 'metrics', 'audit', 'executions',
                  'alert_evaluations', 'alert_history', 'alert_notifications'));
insert into watermark.retention_policies (kind, keep_for, description) values
  ('alert_evaluations', interval '7 days', 'alert evaluation runs (one a minute)'),
  ('alert_history', interval '90 days', 'alert state transitions'),
  ('alert_notifications', interval '30 days', 'delivered and dead alert notifications (pending ones are kept)');

-- Like purge_expired: at most max_rows_per_kind rows of each kind per call, in batches.
create or replace function watermark.purge_expired_alerts(batch_size integer, max_rows_per_kind integer)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  target record;
  cutoff timestamptz;
  deleted integer;
  total bigint;
  result jsonb := '{}';
begin
  perform watermark.require_access(3, 'purge_expired_alerts');
  if batch_size is null or batch_size not between 1 and 100000 then
    perform watermark.raise_invalid('batch_size', 'must be between 1 and 100000');
  end if;
  if max_rows_per_kind is null or max_rows_per_kind < 1 then
    perform watermark.raise_invalid('max_rows_per_kind', 'must be at least 1');
  end if;
  -- Fixed statements per kind (no input reaches them).
  for target in
    select t.kind, t.statement
    from (values
      (1, 'alert_evaluations', 'delete from watermark.alert_evaluations where evaluation_id in (select evaluation_id'
        || ' from watermark.alert_evaluations where started_at < $1 limit $2)'),
      (2, 'alert_history', 'delete from watermark.alert_history where history_id in (select history_id'
        || ' from watermark.alert_history where at < $1 limit $2)'),
      (3, 'alert_notifications', 'delete from watermark.alert_notifications where notification_id in (select notification_id'
        || ' from watermark.alert_notifications where created_at < $1 and status in (''delivered'', ''dead'') limit $2)')
    ) as t(position, kind, statement)
    order by t.position
  loop
    select now() - p.keep_for into cutoff from watermark.retention_policies p where p.kind = target.kind;
    total := 0;
    if cutoff is not null then
      loop
        execute target.statement using cutoff, least(batch_size, max_rows_per_kind - total);
        get diagnostics deleted = row_count;
        total := total + deleted;
        exit when deleted < batch_size or total >= max_rows_per_kind;
      end loop;
    end if;
    result := result || jsonb_build_object(target.kind, total);
  end loop;
  return result;
end
$$;
grant execute on function watermark.purge_expired_alerts(integer, integer) to service_role;

-- ---------------------------------------------------------------------------
-- Expected intervals from schedules: the dead-man switch (missed_schedule) for
-- a pipeline that pg_cron starts needs no configuration. Its expected interval
-- is the longest gap between two runs of the schedule's cron expression.
-- ---------------------------------------------------------------------------

-- Which pipeline a scheduled function runs: collect runs the collector, whose
-- pipeline is watermark. Null for functions that start no pipeline (alerts).
alter table watermark.function_schedules add column pipeline text
  check (pipeline is null or length(pipeline) between 1 and 100);
comment on column watermark.function_schedules.pipeline is
  'The pipeline whose runs this schedule starts; missed_schedule expects a completed run of it every cron interval.';
update watermark.function_schedules set pipeline = 'watermark' where function_name = 'collect';

-- One cron field as its values, or null when pg_cron would not take it: `*`,
-- numbers, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n` (a to the end), lists,
-- and names (jan..dec, sun..sat) where names are given.
create or replace function watermark.cron_field_values(field text, low integer, high integer, names text[] default '{}')
returns integer[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  normalized text := lower(field);
  part text;
  m text[];
  first_value integer;
  last_value integer;
  step integer;
  result integer[] := '{}';
begin
  for i in 1 .. coalesce(array_length(names, 1), 0) loop
    normalized := replace(normalized, names[i], (low + i - 1)::text);
  end loop;
  foreach part in array string_to_array(normalized, ',') loop
    m := regexp_match(part, '^(\*|([0-9]{1,2})(-([0-9]{1,2}))?)(/([0-9]{1,2}))?$');
    if m is null then
      return null;
    end if;
    if m[1] = '*' then
      first_value := low;
      last_value := high;
    else
      first_value := m[2]::integer;
      last_value := coalesce(m[4]::integer, case when m[6] is not null then high else first_value end);
    end if;
    step := coalesce(m[6]::integer, 1);
    if first_value < low or last_value > high or first_value > last_value or step < 1 then
      return null;
    end if;
    result := result || array(select generate_series(first_value, last_value, step));
  end loop;
  return result;
end
$$;

-- The longest gap between two consecutive runs of a pg_cron schedule, in
-- seconds; null when pg_cron would not take the expression or it runs less
-- than twice in two years. `N seconds` (pg_cron 1.5+, Supabase) is N. Five
-- fields are walked day by day over 2027-2028 (one leap year) with cron's day
-- rule (day of month OR weekday when both are restricted, AND when either
-- starts with *; `$` is the last day of the month), so weekly, monthly and
-- yearly schedules get their real longest gap. Approximated: time zones and
-- DST are ignored (pg_cron runs in GMT by default); a schedule that runs only
-- on 29 February has no interval (declare one with the rule's interval_seconds).
create or replace function watermark.cron_interval_seconds(cron_expression text)
returns integer
language plpgsql
immutable
set search_path = ''
as $$
declare
  expr text := lower(btrim(regexp_replace(cron_expression, '\s+', ' ', 'g')));
  f text[];
  minutes integer[];
  hours integer[];
  doms integer[];
  months integer[];
  dows integer[];
  times integer[];
  within_day integer;
  between_days integer;
begin
  if expr ~ '^[0-9]{1,2} seconds?$' then
    return nullif(split_part(expr, ' ', 1)::integer, 0);
  end if;
  f := string_to_array(expr, ' ');
  if cardinality(f) is distinct from 5 then
    return null;
  end if;
  minutes := watermark.cron_field_values(f[1], 0, 59);
  hours := watermark.cron_field_values(f[2], 0, 23);
  doms := case when f[3] = '$' then '{}' else watermark.cron_field_values(f[3], 1, 31) end;
  months := watermark.cron_field_values(f[4], 1, 12,
    array['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']);
  dows := watermark.cron_field_values(f[5], 0, 7, array['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']);
  if minutes is null or hours is null or doms is null or months is null or dows is null then
    return null;
  end if;
  -- Minutes of the day a matching day runs at; 7 is Sunday like 0.
  times := array(select distinct h * 60 + m from unnest(hours) h, unnest(minutes) m order by 1);
  dows := dows || case when 7 = any (dows) then array[0] else '{}' end;
  select max(t.next_time - t.time_of_day) into within_day
    from (select x as time_of_day, lead(x) over (order by x) as next_time from unnest(times) x) t;
  with days as (
    select d::date as day
      from generate_series(date '2027-01-01', date '2028-12-31', interval '1 day') d
     where extract(month from d)::integer = any (months)
       and case when f[3] like '*%' or f[5] like '*%'
                then (extract(day from d)::integer = any (doms) or (f[3] = '$' and extract(day from d + interval '1 day') = 1))
                 and extract(dow from d)::integer = any (dows)
                else extract(day from d)::integer = any (doms) or (f[3] = '$' and extract(day from d + interval '1 day') = 1)
                  or extract(dow from d)::integer = any (dows) end)
  select max((t.next_day - t.day) * 1440 - times[cardinality(times)] + times[1]) into between_days
    from (select days.day, lead(days.day) over (order by days.day) as next_day from days) t
   where t.next_day is not null;
  if within_day is null and between_days is null then
    return null;
  end if;
  return greatest(within_day, between_days) * 60;
end
$$;
comment on function watermark.cron_interval_seconds(text) is
  'Longest gap in seconds between two runs of a pg_cron schedule (`*/10 * * * *` → 600, `30 seconds` → 30); null when not a schedule pg_cron takes.';

-- The pipelines pg_cron starts, with their schedule's interval, whether its
-- job is active (null where pg_cron is absent) and why it is paused.
create or replace function watermark.scheduled_pipelines()
returns table (pipeline text, function_name text, cron_expression text, interval_seconds integer,
               enabled boolean, cron_job text, cron_active boolean, paused_reason text)
language plpgsql
stable
security definer  -- cron.job is visible only to each job's owner
set search_path = ''
as $$
declare
  active_jobs text[];
begin
  perform watermark.require_access(1, 'scheduled_pipelines');
  if to_regclass('cron.job') is not null then
    execute 'select coalesce(array_agg(jobname) filter (where active), ''{}'') from cron.job' into active_jobs;
  end if;
  return query
    select s.pipeline, s.function_name, s.cron_expression, watermark.cron_interval_seconds(s.cron_expression), s.enabled,
           watermark.cron_job_name(s.function_name),
           case when active_jobs is not null then watermark.cron_job_name(s.function_name) = any (active_jobs) end,
           s.paused_reason
      from watermark.function_schedules s
     where s.pipeline is not null;
end
$$;
revoke execute on function watermark.scheduled_pipelines() from public;
grant execute on function watermark.cron_field_values(text, integer, integer, text[]),
  watermark.cron_interval_seconds(text), watermark.scheduled_pipelines() to authenticated, service_role;

-- `45 s`, `7 min`, `2.5 h`, `3.1 d`: durations in alert summaries.
create or replace function watermark.format_duration(seconds numeric)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when seconds is null then null
    when abs(seconds) < 120 then round(seconds) || ' s'
    when abs(seconds) < 7200 then round(seconds / 60) || ' min'
    when abs(seconds) < 172800 then round(seconds / 3600, 1) || ' h'
    else round(seconds / 86400, 1) || ' d'
  end
$$;
-- `3`, `7.5`: values in alert summaries, whole numbers without decimals.
create or replace function watermark.format_number(value double precision)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when value = trunc(value) then trunc(value)::bigint::text else round(value::numeric, 1)::text end
$$;
grant execute on function watermark.format_duration(numeric), watermark.format_number(double precision)
  to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Observers: one per kind. Each returns the rule's value per scope; a scope with
-- no row (or a null value) is not breaching.
-- ---------------------------------------------------------------------------
create type watermark.alert_observation as (
  scope_key text,
  value double precision,
  execution_ids text[],
  summary text
);

-- Pipelines a rule with pipeline = null watches: recently active or under etl_control.
create or replace function watermark.alert_pipelines(only_pipeline text)
returns setof text
language sql
stable
set search_path = ''
as $$
  select only_pipeline where only_pipeline is not null
  union
  -- Skips through the (pipeline, started_at) index: one probe per pipeline, not a
  -- read of every run of the last 30 days (a million at 10x seed scale).
  (with recursive p(pipeline) as (
     (select e.pipeline from watermark.etl_executions e where only_pipeline is null order by e.pipeline limit 1)
     union all
     select (select e.pipeline from watermark.etl_executions e where e.pipeline > p.pipeline order by e.pipeline limit 1)
       from p where p.pipeline is not null)
   select p.pipeline from p
    where p.pipeline is not null
      and exists (select 1 from watermark.etl_executions e
                   where e.pipeline = p.pipeline and e.started_at > now() - interval '30 days'))
  union
  select c.pipeline from watermark.etl_control c where only_pipeline is null
$$;

create or replace function watermark.observe_alert_rule(rule watermark.alert_rules)
returns setof watermark.alert_observation
language plpgsql
stable
set search_path = ''
as $$
declare
  k watermark.alert_rule_kinds;
  win interval;
  min_samples integer := coalesce((rule.params ->> 'min_samples')::integer, 1);
begin
  select * into k from watermark.alert_rule_kinds where kind = rule.kind;
  win := make_interval(secs => coalesce(rule.window_seconds, k.default_window_seconds, 3600));

  case rule.kind
  when 'error_rate' then
    return query
      select e.pipeline,
             (100.0 * sum(coalesce(e.failed_fixtures, 0)) / sum(coalesce(e.processed_fixtures, 0)))::double precision,
             (array_agg(e.execution_id order by e.finished_at desc) filter (where e.failed_fixtures > 0))[1:5],
             format('%s of %s processed fixtures failed in %s run(s)',
                    sum(coalesce(e.failed_fixtures, 0)), sum(coalesce(e.processed_fixtures, 0)), count(*))
        from watermark.etl_executions e
       where e.status <> 'RUNNING' and e.finished_at >= now() - win
         and (rule.pipeline is null or e.pipeline = rule.pipeline)
       group by e.pipeline
      having sum(coalesce(e.processed_fixtures, 0)) >= greatest(min_samples, 1);

  when 'run_duration' then
    return query
      with d as (
        select e.pipeline, e.execution_id,
               case when e.status = 'RUNNING' then extract(epoch from now() - e.started_at)
                    else coalesce(e.duration_seconds, extract(epoch from e.finished_at - e.started_at)) end / 60.0 as minutes
          from watermark.etl_executions e
         where (e.status = 'RUNNING' or e.finished_at >= now() - win)
           and (rule.pipeline is null or e.pipeline = rule.pipeline))
      select d.pipeline, max(d.minutes)::double precision,
             (array_agg(d.execution_id order by d.minutes desc) filter (where d.minutes > rule.threshold))[1:5],
             format('the longest run took %s min', round(max(d.minutes)::numeric, 1))
        from d group by d.pipeline;

  when 'success_rate' then
    -- Per pipeline, counted on the two partial indexes alone (a day holds tens of
    -- thousands of runs at scale); only the newest five failures are read.
    return query
      select pl, (100.0 * c.ok / (c.ok + f.bad))::double precision,
             (select array_agg(b.execution_id order by b.finished_at desc)
                from (select e.execution_id, e.finished_at from watermark.etl_executions e
                       where e.pipeline = pl and e.status in ('FAILED', 'ABANDONED') and e.finished_at >= now() - win
                       order by e.finished_at desc limit 5) b),
             format('%s of %s runs completed', c.ok, c.ok + f.bad)
        from watermark.alert_pipelines(rule.pipeline) pl
        cross join lateral (
          select count(*) as ok from watermark.etl_executions e
           where e.pipeline = pl and e.status = 'COMPLETED' and e.finished_at >= now() - win) c
        cross join lateral (
          select count(*) as bad from watermark.etl_executions e
           where e.pipeline = pl and e.status in ('FAILED', 'ABANDONED') and e.finished_at >= now() - win) f
       where c.ok + f.bad >= greatest(min_samples, 1);

  when 'consecutive_failures' then
    -- Per pipeline, only the runs after its latest completed one: index probes
    -- whatever the history's size.
    -- The failures are counted inside the lateral (an aggregate per pipeline), so the
    -- planner cannot hash every failed run of 30 days instead.
    return query
      select pl, f.n::double precision, f.ids, format('%s run(s) in a row failed', f.n)
        from watermark.alert_pipelines(rule.pipeline) pl
        left join lateral (
          select c.finished_at, c.execution_id from watermark.etl_executions c
           where c.pipeline = pl and c.status = 'COMPLETED' and c.started_at > now() - interval '30 days'
           order by c.finished_at desc, c.execution_id desc limit 1) last on true
        cross join lateral (
          select count(*) as n,
                 coalesce((array_agg(e.execution_id order by e.finished_at desc, e.execution_id desc))[1:10], '{}') as ids
            from watermark.etl_executions e
           where e.pipeline = pl and e.status in ('FAILED', 'ABANDONED') and e.started_at > now() - interval '30 days'
             and e.finished_at >= coalesce(last.finished_at, '-infinity')
             and (last.finished_at is null or (e.finished_at, e.execution_id) > (last.finished_at, last.execution_id))) f
       where exists (select 1 from watermark.etl_executions x
                      where x.pipeline = pl and x.status in ('COMPLETED', 'FAILED', 'ABANDONED')
                        and x.started_at > now() - interval '30 days');

  when 'stuck_run' then
    return query
      select e.pipeline, count(*)::double precision,
             (array_agg(e.execution_id order by e.started_at desc))[1:10],
             format('%s run(s) stopped sending heartbeats (%s still RUNNING, %s reaped)', count(*),
                    count(*) filter (where e.status = 'RUNNING'), count(*) filter (where e.status = 'ABANDONED'))
        from watermark.etl_executions e
       where ((e.status = 'RUNNING'
               and coalesce(e.heartbeat_at, e.started_at) < now() - make_interval(secs => e.heartbeat_timeout_seconds))
              or (e.status = 'ABANDONED' and e.finished_at >= now() - win))
         and (rule.pipeline is null or e.pipeline = rule.pipeline)
       group by e.pipeline;

  when 'missed_schedule' then
    return query
      with sched as (
        -- A pipeline started by several schedules is expected at the most frequent one.
        select distinct on (s.pipeline) s.*
          from watermark.scheduled_pipelines() s
         where s.interval_seconds is not null
         order by s.pipeline, s.interval_seconds),
      p as (
        select pl as pipeline, s.function_name, s.cron_expression, s.enabled, s.cron_job, s.cron_active, s.paused_reason,
               case when rule.params ? 'interval_seconds' then (rule.params ->> 'interval_seconds')::integer
                    when s.interval_seconds is not null then s.interval_seconds
                    else (select max(c.expected_interval_seconds) from watermark.etl_control c where c.pipeline = pl) end
                 as interval_seconds,
               case when rule.params ? 'interval_seconds' then 'the rule''s interval'
                    when s.interval_seconds is not null then format('schedule of %s: %s', s.function_name, s.cron_expression)
                    else 'declared by the pipeline' end as basis,
               coalesce((select max(e.finished_at) from watermark.etl_executions e
                          where e.pipeline = pl and e.status = 'COMPLETED'),
                        (select min(e.started_at) from watermark.etl_executions e where e.pipeline = pl),
                        (select min(c.last_run_at) from watermark.etl_control c where c.pipeline = pl)) as last_success,
               (select format('; the last scheduled invocation of %s %s: %s', i.function_name, replace(i.status, '_', ' '),
                              left(coalesce(i.error, 'no error recorded'), 200))
                  from watermark.function_invocations i
                 where i.function_name = s.function_name and i.trigger = 'schedule' and i.status <> 'queued'
                 order by i.requested_at desc, i.id desc limit 1) as last_invocation
          from watermark.alert_pipelines(rule.pipeline) pl
          left join sched s on s.pipeline = pl),
      o as (
        select p.*, (extract(epoch from now() - p.last_success) - p.interval_seconds)::double precision as overdue
          from p where p.interval_seconds is not null and p.last_success is not null)
      select o.pipeline, o.overdue, '{}'::text[],
             format('%s %s (expected every %s, %s)%s',
                    case when o.overdue > rule.threshold then 'no completed run since' else 'last completed run at' end,
                    to_char(o.last_success at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
                    watermark.format_duration(o.interval_seconds), o.basis,
                    case when o.overdue <= rule.threshold then ''
                         when o.function_name is null then ''
                         when not o.enabled then format('; the %s schedule is disabled', o.function_name)
                         when o.paused_reason is not null then format('; the %s schedule is paused: %s; fix it, then resume_function_schedule(%L)',
                                                                      o.function_name, o.paused_reason, o.function_name)
                         when o.cron_active is false then format('; pg_cron job %s is not scheduled', o.cron_job)
                         else coalesce(o.last_invocation, '') end)
        from o;

  when 'data_freshness' then
    return query
      select c.pipeline, (extract(epoch from now() - min(c.last_success_at)) / 60.0)::double precision,
             '{}'::text[],
             format('entity %s last refreshed %s min ago',
                    (array_agg(c.entity order by c.last_success_at))[1],
                    round((extract(epoch from now() - min(c.last_success_at)) / 60.0)::numeric))
        from watermark.etl_control c
       where c.last_success_at is not null and (rule.pipeline is null or c.pipeline = rule.pipeline)
       group by c.pipeline;

  when 'zero_rows' then
    return query
      select distinct on (e.pipeline) e.pipeline, e.rows_written::double precision, array[e.execution_id],
             format('the latest completed run wrote %s rows', e.rows_written)
        from watermark.etl_executions e
       where e.status = 'COMPLETED' and e.rows_written is not null
         and e.started_at > now() - interval '30 days'
         and (rule.pipeline is null or e.pipeline = rule.pipeline)
       order by e.pipeline, e.finished_at desc, e.execution_id desc;

  when 'volume_anomaly' then
    return query
      -- Each pipeline's latest completed runs, walked newest first on etl_executions_completed_idx.
      with r as (
        select pl as pipeline, x.execution_id, x.rows_written, x.rn
          from watermark.alert_pipelines(rule.pipeline) pl
          cross join lateral (
            select e.execution_id, e.rows_written::double precision as rows_written,
                   row_number() over (order by e.finished_at desc, e.execution_id desc) as rn
              from watermark.etl_executions e
             where e.pipeline = pl and e.status = 'COMPLETED' and e.rows_written is not null and e.finished_at >= now() - win
             order by e.finished_at desc, e.execution_id desc
             limit 1 + coalesce((rule.params ->> 'samples')::integer, 20)) x),
      s as (
        select r.pipeline,
               max(r.rows_written) filter (where r.rn = 1) as latest,
               max(r.execution_id) filter (where r.rn = 1) as latest_id,
               avg(r.rows_written) filter (where r.rn > 1) as mean,
               stddev_samp(r.rows_written) filter (where r.rn > 1) as sd,
               count(*) filter (where r.rn > 1) as samples
          from r where r.rn <= 1 + coalesce((rule.params ->> 'samples')::integer, 20)
         group by r.pipeline)
      select s.pipeline, abs(s.latest - s.mean) / greatest(coalesce(s.sd, 0), 1), array[s.latest_id],
             format('latest run wrote %s rows; the previous %s runs averaged %s (sd %s)',
                    s.latest, s.samples, round(s.mean::numeric, 1), round(coalesce(s.sd, 0)::numeric, 1))
        from s where s.samples >= coalesce((rule.params ->> 'min_samples')::integer, 5);

  when 'invocation_failed' then
    return query
      with t as (
        select i.function_name, i.id, i.status, i.execution_id,
               count(*) filter (where i.status = 'succeeded') over (
                 partition by i.function_name order by i.requested_at desc, i.id desc
                 rows between unbounded preceding and current row) as succeeded_since
          from watermark.function_invocations i
         where i.trigger = 'schedule' and i.status <> 'queued' and i.requested_at >= now() - win
           and (rule.pipeline is null or i.function_name = rule.pipeline))
      select t.function_name, (count(*) filter (where t.succeeded_since = 0))::double precision,
             coalesce((array_agg(t.execution_id) filter (where t.succeeded_since = 0 and t.execution_id is not null))[1:5], '{}'),
             format('%s scheduled invocation(s) in a row failed (latest invocation ids: %s)',
                    count(*) filter (where t.succeeded_since = 0),
                    array_to_string((array_agg(t.id order by t.id desc) filter (where t.succeeded_since = 0))[1:5], ', '))
        from t group by t.function_name;

  when 'delivery_failing' then
    -- A channel fails after a few failed attempts in a row, or when nothing was
    -- delivered for a while although notifications wait for it (a hung or
    -- rate-limited webhook, or no delivery running at all). Only channels known
    -- to have a webhook count the notifications never attempted: one with a
    -- webhook row, or one delivered to before. A notification waiting for a
    -- webhook to be configured is not a delivery failure.
    return query
      with settings as (
        select * from watermark.alert_delivery_settings where singleton),
      waiting as (
        select n.channel, count(*) as waiting, min(n.created_at) as oldest,
               min(n.created_at) filter (where n.attempts > 0) as oldest_attempted
          from watermark.alert_notifications n
         where n.status in ('pending', 'sending')
         group by n.channel),
      ch as (
        select coalesce(d.channel, w.channel) as channel, coalesce(d.consecutive_failures, 0) as failures,
               d.failing_since, d.last_error, d.last_delivered_at, coalesce(w.waiting, 0) as waiting,
               case when d.channel is not null or exists (select 1 from watermark.alert_channels c where c.channel = w.channel)
                    then w.oldest else w.oldest_attempted end as undelivered_since
          from watermark.alert_channel_delivery d
          full join waiting w on w.channel = d.channel),
      judged as (
        select ch.*, coalesce(ch.failing_since, ch.undelivered_since) as since,
               ch.failures >= st.failing_after_failures
                 or (ch.undelivered_since is not null
                     and now() - greatest(ch.undelivered_since, coalesce(ch.last_delivered_at, '-infinity'))
                         >= make_interval(secs => st.failing_after_seconds)) as failing
          from ch cross join settings st)
      select '*'::text, (count(*) filter (where ch.failing))::double precision, '{}'::text[],
             coalesce('Slack delivery failing: ' || string_agg(
               format('channel %s: %s failed attempt(s) in a row, nothing delivered for %s, %s notification(s) waiting%s',
                      ch.channel, ch.failures, watermark.format_duration(extract(epoch from now() - ch.since)::numeric),
                      ch.waiting, coalesce(' (last error: ' || left(ch.last_error, 200) || ')', '')),
               '; ' order by ch.channel) filter (where ch.failing),
               'every channel delivers')
        from judged ch;
  when 'data_completeness' then
    return query
      select format('league %s season %s', c.league_id, c.season_id), c.complete_percent::double precision, '{}'::text[],
             format('%s %s: %s %% of %s finished fixtures complete (%s of %s known collected)%s',
                    coalesce(c.league_name, 'league ' || c.league_id), coalesce(c.season_name, 'season ' || c.season_id),
                    c.complete_percent, c.finished, c.collected, c.fixtures,
                    coalesce('; commonest reasons: ' || (select string_agg(format('%s (%s)', r ->> 'reason', r ->> 'fixtures'), ', ')
                                                            from jsonb_array_elements(c.below_threshold_reasons) r), ''))
        from watermark.data_completeness((rule.params ->> 'league_id')::bigint, (rule.params ->> 'season_id')::bigint, 100) c
       where c.finished >= greatest(min_samples, 1);
  else
    raise exception 'alert rule kind % has no observer', rule.kind;
  end case;
end
$$;

create or replace function watermark.alert_breached(comparison text, value double precision, threshold double precision)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case comparison
    when '>' then value > threshold
    when '>=' then value >= threshold
    when '<' then value < threshold
    when '<=' then value <= threshold
  end
$$;

-- evaluate_alerts (security invoker) runs as the service role through the API.
grant execute on function watermark.alert_pipelines(text), watermark.observe_alert_rule(watermark.alert_rules),
  watermark.alert_breached(text, double precision, double precision) to service_role;

-- ---------------------------------------------------------------------------
-- Evaluation
-- ---------------------------------------------------------------------------

-- What a resolved alert says: what recovered, not the firing summary again.
-- alert is the instance as it was while firing (its value is the last breach);
-- observation is this evaluation's (scope_key null when the scope was not observed).
create or replace function watermark.describe_alert_recovery(
  rule watermark.alert_rules, alert watermark.alerts, observation watermark.alert_observation)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  was text := coalesce(watermark.format_number(alert.value), '?');
  now_value text := watermark.format_number(observation.value);
  recovered text;
begin
  if not rule.enabled then
    return 'rule disabled: no longer evaluated';
  end if;
  if rule.kind = 'delivery_failing' then
    select 'Slack delivery recovered: ' || string_agg(
             format('%s notification(s) delivered%s after %s failure(s) over %s',
                    (select count(*) from watermark.alert_notifications n
                      where n.channel = d.channel and n.status = 'delivered' and n.delivered_at >= d.recovered_at),
                    case when d.channel = 'default' then '' else ' to channel ' || d.channel end,
                    d.recovered_after_failures, watermark.format_duration(d.recovered_after_seconds)),
             '; ' order by d.channel)
      into recovered
      from watermark.alert_channel_delivery d
     where d.recovered_at >= alert.firing_since;
    return coalesce(recovered, 'alert delivery no longer counts as failing (' || coalesce(observation.summary, 'no channel fails') || ')');
  end if;
  if observation.scope_key is null then
    return case rule.kind
      when 'stuck_run' then 'no run is stuck: every running run sends heartbeats and none was reaped within the window'
      else format('no longer observed: no data for %s within the window (last value %s)', alert.scope_key, was)
    end;
  end if;
  return case rule.kind
    when 'error_rate' then format('error rate back to %s %% (was %s %%): %s', now_value, was, observation.summary)
    when 'run_duration' then format('no run longer than %s min any more: %s', rule.threshold, observation.summary)
    when 'success_rate' then format('success rate back to %s %% (was %s %%): %s', now_value, was, observation.summary)
    when 'consecutive_failures' then
      case when observation.value = 0 then format('a run completed after %s failed run(s) in a row', was)
           else format('%s failed run(s) in a row now, below %s', now_value, rule.threshold) end
    when 'missed_schedule' then format('runs are on time again: %s', observation.summary)
    when 'data_freshness' then format('fresh again: %s', observation.summary)
    when 'zero_rows' then format('rows written again: %s', observation.summary)
    when 'volume_anomaly' then format('rows written are back within the usual range: %s', observation.summary)
    when 'data_completeness' then format('data complete again: %s', observation.summary)
    when 'invocation_failed' then
      case when observation.value = 0 then format('scheduled invocations of %s succeed again after %s failed in a row',
                                                  alert.scope_key, was)
           else format('%s failed scheduled invocation(s) in a row now, below %s', now_value, rule.threshold) end
    else format('back within the threshold: %s', observation.summary)
  end;
end
$$;

-- Moves one alert instance through its lifecycle and returns the notification
-- event it causes ('firing', 'repeat', 'resolved') or null.
create or replace function watermark.advance_alert(
  alert watermark.alerts, rule watermark.alert_rules, breached boolean,
  observation watermark.alert_observation, evaluation_id bigint)
returns text
language plpgsql
set search_path = ''
as $$
declare
  muted boolean := coalesce(rule.muted_until > now(), false);
  next_state text := alert.state;
  event text;
begin
  if breached then
    if alert.state in ('inactive', 'resolved') then
      next_state := case when rule.for_seconds = 0 then 'firing' else 'pending' end;
      alert.pending_since := now();
      alert.firing_since := null;
      alert.resolved_at := null;
      alert.last_notified_at := null;
    elsif alert.state = 'pending' and now() - alert.pending_since >= make_interval(secs => rule.for_seconds) then
      next_state := 'firing';
    end if;
    if next_state = 'firing' then
      alert.firing_since := coalesce(alert.firing_since, now());
      if muted then
        event := null;
      elsif alert.last_notified_at is null then
        event := 'firing';
      elsif rule.repeat_seconds is not null
            and now() - alert.last_notified_at >= make_interval(secs => rule.repeat_seconds) then
        event := 'repeat';
      end if;
    end if;
  else
    if alert.state = 'pending' then
      next_state := 'inactive';
    elsif alert.state = 'firing' then
      next_state := 'resolved';
      alert.resolved_at := now();
      -- A resolution is announced only where the firing was.
      if alert.last_notified_at is not null and not muted then
        event := 'resolved';
      end if;
    end if;
  end if;

  if next_state <> alert.state then
    insert into watermark.alert_history
      (alert_id, fingerprint, rule_id, scope_key, from_state, to_state, value, threshold, evaluation_id)
    values (alert.alert_id, alert.fingerprint, alert.rule_id, alert.scope_key, alert.state, next_state,
            observation.value, rule.threshold, advance_alert.evaluation_id);
  end if;

  update watermark.alerts a set
    state = next_state,
    -- Resolved without an observation (no data, rule disabled): the last breach is no current value.
    value = case when observation.scope_key is not null then observation.value
                 when next_state = 'resolved' and alert.state = 'firing' then null
                 else a.value end,
    threshold = rule.threshold,
    summary = case when next_state = 'resolved' and alert.state = 'firing'
                   then watermark.describe_alert_recovery(rule, alert, observation)
                   else coalesce(observation.summary, a.summary) end,
    execution_ids = case when observation.scope_key is null then a.execution_ids
                         else coalesce(observation.execution_ids, '{}') end,
    pending_since = alert.pending_since,
    firing_since = alert.firing_since,
    resolved_at = alert.resolved_at,
    last_notified_at = case when event is null then alert.last_notified_at else now() end,
    notifications_sent = a.notifications_sent + case when event is null then 0 else 1 end,
    last_evaluation_id = advance_alert.evaluation_id,
    last_evaluated_at = now(),
    updated_at = case when next_state <> alert.state or event is not null then now() else a.updated_at end
  where a.alert_id = alert.alert_id;
  return event;
end
$$;

create or replace function watermark.alert_notification_item(
  alert_id bigint, rule watermark.alert_rules, event text)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'event', event,
    'alert_id', a.alert_id,
    'fingerprint', a.fingerprint,
    'rule_id', rule.rule_id,
    'kind', rule.kind,
    'description', rule.description,
    'severity', rule.severity,
    'scope', a.scope_key,
    'state', a.state,
    'value', a.value,
    'threshold', a.threshold,
    'comparison', k.comparison,
    'unit', k.unit,
    'summary', a.summary,
    'since', case when event = 'resolved' then a.firing_since else coalesce(a.firing_since, a.pending_since) end,
    'resolved_at', a.resolved_at,
    'execution_ids', to_jsonb(a.execution_ids),
    'channel', coalesce(rule.channel, 'default'),
    -- What the remediation did: said with the firing it ran at.
    'remediation', case when event = 'firing' then a.remediation end)
  from watermark.alerts a
  join watermark.alert_rule_kinds k on k.kind = rule.kind
  where a.alert_id = alert_notification_item.alert_id
$$;

-- Remediation by rule: requeue_failed_chunks collects the watermark pipeline's
-- failed chunks and failed fixtures again, through the operator's own
-- requeue_collection (one definition of a requeue), once per firing. Each
-- touched chunk is audited (chunk_audit, action requeue) with the rule as the
-- actor and the alert as the reason. Returns what it did, stored on the alert
-- and sent with its firing notification; null when the rule has no remediation.
-- A remediation that fails is reported, not raised: the alert still fires.
create or replace function watermark.run_alert_remediation(rule watermark.alert_rules, alert watermark.alerts)
returns jsonb
language plpgsql
-- Definer: stamps the rule as the actor of the audit rows requeue_collection
-- wrote, which no API role may write.
security definer
set search_path = ''
as $$
declare
  rule_actor text := 'alert-rule:' || rule.rule_id;
  requeue_reason text := left(format('alert %s fired: %s', alert.fingerprint, coalesce(alert.summary, rule.kind)), 1000);
  last_audit bigint;
  requeued jsonb;
  chunk_ids text[] := '{}';
  fixture_ids bigint[];
  fixture_count integer := 0;
  c text;
begin
  perform watermark.require_access(3, 'run_alert_remediation');
  if rule.remediation is null then
    return null;
  end if;
  -- Chunks are the collector's (pipeline watermark); other pipelines have none.
  if alert.scope_key <> 'watermark' then
    return jsonb_build_object('action', rule.remediation, 'at', now(),
      'skipped', format('pipeline %s has no collection chunks (only pipeline watermark has)', alert.scope_key));
  end if;
  begin
    select coalesce(max(a.audit_id), 0) into last_audit from watermark.chunk_audit a;
    for c in select ch.chunk_id from watermark.chunks ch where ch.status = 'failed' order by ch.chunk_id loop
      requeued := public.requeue_collection(chunk_id => c, reason => requeue_reason);
      fixture_count := fixture_count + (requeued ->> 'fixtures')::integer;
      chunk_ids := chunk_ids || c;
    end loop;
    -- Fixtures that failed in chunks that did not (their chunk's fixtures were requeued above).
    select array_agg(f.id order by f.id) into fixture_ids
      from (select f.id from watermark.fixtures f where f.last_error is not null order by f.id limit 10000) f;
    if fixture_ids is not null then
      requeued := public.requeue_collection(fixture_ids => fixture_ids, reason => requeue_reason);
      fixture_count := fixture_count + (requeued ->> 'fixtures')::integer;
    end if;
    -- requeue_collection audits under the session (postgres under pg_cron); the requeue is the rule's.
    update watermark.chunk_audit a
       set actor = rule_actor,
           details = a.details || jsonb_build_object('rule_id', rule.rule_id, 'alert_id', alert.alert_id)
     where a.audit_id > last_audit and a.action = 'requeue' and a.actor = watermark.caller()
       and a.details ->> 'reason' = requeue_reason;
    return jsonb_build_object('action', rule.remediation, 'at', now(), 'chunks', cardinality(chunk_ids),
      'chunk_ids', to_jsonb(chunk_ids), 'fixtures', fixture_count, 'failed_fixtures', coalesce(cardinality(fixture_ids), 0));
  exception when others then
    return jsonb_build_object('action', rule.remediation, 'at', now(), 'error', sqlerrm);
  end;
end
$$;
revoke execute on function watermark.run_alert_remediation(watermark.alert_rules, watermark.alerts) from public;

grant execute on function watermark.run_alert_remediation(watermark.alert_rules, watermark.alerts),
  watermark.describe_alert_recovery(watermark.alert_rules, watermark.alerts, watermark.alert_observation),
  watermark.advance_alert(watermark.alerts, watermark.alert_rules, boolean, watermark.alert_observation, bigint),
  watermark.alert_notification_item(bigint, watermark.alert_rules, text) to service_role;

-- jit off: the observers are short index walks whose cost estimates cross the JIT
-- threshold on large tables, and compiling them costs more than running them.
create or replace function public.evaluate_alerts()
returns jsonb
language plpgsql
set search_path = ''
set jit = off
as $$
declare
  evaluation bigint;
  rule watermark.alert_rules;
  obs watermark.alert_observation;
  alert watermark.alerts;
  fired watermark.alerts;
  comparison text;
  event text;
  items jsonb := '[]';
  remediation_count integer := 0;
  observed text[] := '{}';
  observation_count integer := 0;
  history_before bigint;
  transition_count integer;
  notification_count integer;
begin
  perform watermark.require_access(3, 'evaluate_alerts');
  -- Overlapping runs (a slow evaluation and the next minute's) must not both
  -- act: the second one returns at once and changes nothing.
  if not pg_try_advisory_xact_lock(hashtext('watermark.evaluate_alerts')) then
    return jsonb_build_object('skipped', true, 'reason', 'another evaluation is running');
  end if;

  insert into watermark.alert_evaluations default values returning evaluation_id into evaluation;
  select coalesce(max(h.history_id), 0) into history_before from watermark.alert_history h;

  for rule in select * from watermark.alert_rules r where r.enabled order by r.rule_id loop
    select k.comparison into comparison from watermark.alert_rule_kinds k where k.kind = rule.kind;
    for obs in select * from watermark.observe_alert_rule(rule) loop
      observation_count := observation_count + 1;
      observed := observed || (rule.rule_id || '/' || obs.scope_key);
      select * into alert from watermark.alerts a where a.fingerprint = rule.rule_id || '/' || obs.scope_key for update;
      if not found then
        -- Healthy scopes get no row until they first breach.
        if obs.value is null or not watermark.alert_breached(comparison, obs.value, rule.threshold) then
          continue;
        end if;
        insert into watermark.alerts (fingerprint, rule_id, scope_key, state, threshold)
        values (rule.rule_id || '/' || obs.scope_key, rule.rule_id, obs.scope_key, 'inactive', rule.threshold)
        returning * into alert;
      end if;
      event := watermark.advance_alert(alert, rule,
        coalesce(watermark.alert_breached(comparison, obs.value, rule.threshold), false), obs, evaluation);
      -- The rule's remediation runs once per firing: when the alert starts firing
      -- (muted or not), before its notification is built so that it says what ran.
      if alert.state <> 'firing' then
        select * into fired from watermark.alerts a where a.alert_id = alert.alert_id;
        if fired.state = 'firing' then
          update watermark.alerts a set remediation = watermark.run_alert_remediation(rule, fired)
           where a.alert_id = fired.alert_id;
          remediation_count := remediation_count + case when rule.remediation is null then 0 else 1 end;
        end if;
      end if;
      if event is not null then
        items := items || watermark.alert_notification_item(alert.alert_id, rule, event);
      end if;
    end loop;
  end loop;

  -- Active alerts nobody observed this time (rule disabled, scope gone, no data) clear.
  for alert in
    select a.* from watermark.alerts a
     where a.state in ('pending', 'firing') and not (a.fingerprint = any (observed))
     order by a.alert_id for update
  loop
    select * into rule from watermark.alert_rules r where r.rule_id = alert.rule_id;
    event := watermark.advance_alert(alert, rule, false, null::watermark.alert_observation, evaluation);
    if event is not null then
      items := items || watermark.alert_notification_item(alert.alert_id, rule, event);
    end if;
  end loop;

  -- One notification per scope (pipeline) and channel for this evaluation.
  with grouped as (
    select i ->> 'scope' as scope_key, i ->> 'channel' as channel,
           jsonb_agg(i order by case i ->> 'severity' when 'critical' then 0 when 'warning' then 1 else 2 end,
                     i ->> 'rule_id') as alerts
      from jsonb_array_elements(items) i
     group by 1, 2),
  inserted as (
    insert into watermark.alert_notifications (idempotency_key, kind, evaluation_id, scope_key, channel, payload)
    select format('eval-%s:%s:%s', evaluation, g.scope_key, g.channel), 'alerts', evaluation, g.scope_key, g.channel,
           jsonb_build_object('scope', g.scope_key, 'evaluation_id', evaluation, 'evaluated_at', now(), 'alerts', g.alerts)
      from grouped g
    on conflict (idempotency_key) do nothing
    returning 1)
  select count(*) into notification_count from inserted;

  select count(*) into transition_count from watermark.alert_history h
   where h.history_id > history_before and h.evaluation_id = evaluation;
  update watermark.alert_evaluations e
     set finished_at = clock_timestamp(), observations = observation_count,
         transitions = transition_count, notifications = notification_count
   where e.evaluation_id = evaluation;

  return jsonb_build_object('evaluation_id', evaluation, 'observations', observation_count,
                            'transitions', transition_count, 'notifications', notification_count,
                            'remediations', remediation_count);
end
$$;
comment on function public.evaluate_alerts() is
  'Evaluates every enabled alert rule, moves alert instances through pending/firing/resolved and writes their notifications to the outbox, all in one transaction. Run by pg_cron every minute.';
grant execute on function public.evaluate_alerts() to service_role;

-- ---------------------------------------------------------------------------
-- Outbox delivery RPCs (the alerts edge function, service role)
-- ---------------------------------------------------------------------------
create or replace function public.claim_alert_notifications(
  batch_size integer default 20,
  lease_seconds integer default 120,
  default_webhook_configured boolean default false)
returns table (notification_id bigint, idempotency_key text, kind text, channel text, webhook_url text,
               payload jsonb, attempts integer, claim_token uuid)
language plpgsql
set search_path = ''
as $$
begin
  perform watermark.require_access(3, 'claim_alert_notifications');
  if batch_size is null or batch_size not between 1 and 100 then
    perform watermark.raise_invalid('batch_size', 'must be between 1 and 100; pass e.g. 20');
  end if;
  if lease_seconds is null or lease_seconds not between 10 and 900 then
    perform watermark.raise_invalid('lease_seconds', 'must be between 10 and 900; pass e.g. 120');
  end if;
  -- A claim that expired at its last allowed attempt will not be retried.
  update watermark.alert_notifications n
     set status = 'dead', dead_at = now(), claim_token = null,
         last_error = coalesce(n.last_error, 'delivery did not report back before its claim expired')
   where n.status = 'sending' and n.claimed_until < now() and n.attempts >= n.max_attempts;

  return query
  with due as (
    select n.notification_id from watermark.alert_notifications n
      left join watermark.alert_channels ch on ch.channel = n.channel
     where ((n.status = 'pending' and n.next_attempt_at <= now())
            or (n.status = 'sending' and n.claimed_until < now()))
       -- Without a webhook the notification waits (and shows in the dashboard).
       and (ch.webhook_url is not null or (n.channel = 'default' and default_webhook_configured))
     order by n.next_attempt_at, n.notification_id
     limit batch_size
     for update of n skip locked)
  update watermark.alert_notifications n
     set status = 'sending', attempts = n.attempts + 1, claim_token = gen_random_uuid(),
         claimed_until = now() + make_interval(secs => lease_seconds)
    from due
   where n.notification_id = due.notification_id
  returning n.notification_id, n.idempotency_key, n.kind, n.channel,
            (select ch.webhook_url from watermark.alert_channels ch where ch.channel = n.channel),
            n.payload, n.attempts, n.claim_token;
end
$$;
comment on function public.claim_alert_notifications(integer, integer, boolean) is
  'Claims due outbox notifications (SKIP LOCKED) for delivery; each attempt is counted at claim time. webhook_url is null for the default channel when the function''s SLACK_WEBHOOK_URL applies.';
grant execute on function public.claim_alert_notifications(integer, integer, boolean) to service_role;

create or replace function public.mark_alert_notification_delivered(notification_id bigint, claim_token uuid)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  n integer;
  delivered_channel text;
begin
  perform watermark.require_access(3, 'mark_alert_notification_delivered');
  update watermark.alert_notifications o
     set status = 'delivered', delivered_at = now(), claim_token = null, claimed_until = null, last_error = null
   where o.notification_id = mark_alert_notification_delivered.notification_id
     and o.claim_token = mark_alert_notification_delivered.claim_token
     and o.status = 'sending'
  returning o.channel into delivered_channel;
  get diagnostics n = row_count;
  if n = 1 then
    -- A delivery ends the channel's run of failures; the outage is kept for the resolved message.
    insert into watermark.alert_channel_delivery as d (channel, last_delivered_at)
    values (delivered_channel, now())
    on conflict on constraint alert_channel_delivery_pkey do update set
      recovered_at = case when d.consecutive_failures > 0 then now() else d.recovered_at end,
      recovered_after_failures = case when d.consecutive_failures > 0 then d.consecutive_failures else d.recovered_after_failures end,
      recovered_after_seconds = case when d.consecutive_failures > 0
                                     then extract(epoch from now() - d.failing_since) else d.recovered_after_seconds end,
      consecutive_failures = 0, failing_since = null, last_delivered_at = now(), updated_at = now();
  end if;
  return n = 1;
end
$$;
comment on function public.mark_alert_notification_delivered(bigint, uuid) is
  'Marks a claimed notification delivered after the webhook answered 200. False when the claim was lost.';
grant execute on function public.mark_alert_notification_delivered(bigint, uuid) to service_role;

create or replace function public.mark_alert_notification_failed(
  notification_id bigint, claim_token uuid, error text,
  status_code integer default null, retry_after_seconds integer default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  o watermark.alert_notifications;
  settings watermark.alert_delivery_settings;
  backoff integer;
  result jsonb;
begin
  perform watermark.require_access(3, 'mark_alert_notification_failed');
  if error is null or btrim(error) = '' then
    perform watermark.raise_invalid('error', 'is required; pass what the webhook answered');
  end if;
  if retry_after_seconds is not null and retry_after_seconds not between 0 and 86400 then
    perform watermark.raise_invalid('retry_after_seconds', 'must be between 0 and 86400');
  end if;
  select * into o from watermark.alert_notifications x
   where x.notification_id = mark_alert_notification_failed.notification_id
     and x.claim_token = mark_alert_notification_failed.claim_token and x.status = 'sending'
   for update;
  if not found then
    return jsonb_build_object('status', 'claim_lost');
  end if;
  -- base, 2 × base, 4 × base … capped (by default 30 s, 1 min, 2 min … 30 min);
  -- Slack's Retry-After wins when longer.
  select * into settings from watermark.alert_delivery_settings s where s.singleton;
  backoff := greatest(least(settings.backoff_base_seconds * power(2, least(greatest(o.attempts - 1, 0), 20)),
                            settings.backoff_max_seconds)::integer,
                      coalesce(retry_after_seconds, 0));
  insert into watermark.alert_channel_delivery as d (channel, consecutive_failures, failing_since, last_failure_at, last_error)
  values (o.channel, 1, now(), now(), left(mark_alert_notification_failed.error, 1000))
  on conflict on constraint alert_channel_delivery_pkey do update set
    consecutive_failures = d.consecutive_failures + 1, failing_since = coalesce(d.failing_since, now()),
    last_failure_at = now(), last_error = excluded.last_error, updated_at = now();
  update watermark.alert_notifications x set
    status = case when o.attempts >= o.max_attempts then 'dead' else 'pending' end,
    dead_at = case when o.attempts >= o.max_attempts then now() end,
    next_attempt_at = now() + make_interval(secs => backoff),
    claim_token = null, claimed_until = null,
    last_error = left(mark_alert_notification_failed.error, 1000),
    last_status_code = mark_alert_notification_failed.status_code
   where x.notification_id = o.notification_id
  returning jsonb_build_object('status', x.status, 'attempts', x.attempts, 'next_attempt_at', x.next_attempt_at) into result;
  return result;
end
$$;
comment on function public.mark_alert_notification_failed(bigint, uuid, text, integer, integer) is
  'Records a failed delivery attempt: retried with exponential backoff (alert delivery settings), dead after max_attempts; counts towards delivery_failing.';
grant execute on function public.mark_alert_notification_failed(bigint, uuid, text, integer, integer) to service_role;

-- ---------------------------------------------------------------------------
-- Operator RPCs: rules, channels, test message
-- ---------------------------------------------------------------------------
create or replace function watermark.alert_rule_json(rule watermark.alert_rules)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select to_jsonb(rule) || jsonb_build_object('comparison', k.comparison, 'unit', k.unit,
    'effective_window_seconds', coalesce(rule.window_seconds, k.default_window_seconds),
    'muted', coalesce(rule.muted_until > now(), false))
  from watermark.alert_rule_kinds k where k.kind = rule.kind
$$;

-- list_alert_rules (invoker) renders rules for viewers too.
grant execute on function watermark.alert_rule_json(watermark.alert_rules) to authenticated, service_role;

-- The checks shared by create and update; a CHECK violation would not name the fix.
create or replace function watermark.validate_alert_rule(rule watermark.alert_rules)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  k watermark.alert_rule_kinds;
  key text;
begin
  if rule.rule_id is null or rule.rule_id !~ '^[a-z0-9][a-z0-9_-]{0,62}$' then
    perform watermark.raise_invalid('rule_id', 'must be 1-63 lowercase letters, digits, - or _; e.g. collect-error-rate');
  end if;
  select * into k from watermark.alert_rule_kinds x where x.kind = rule.kind;
  if not found then
    perform watermark.raise_invalid('kind', format('unknown kind %L; use one of %s', rule.kind,
      (select string_agg(x.kind, ', ' order by x.kind) from watermark.alert_rule_kinds x)));
  end if;
  if rule.threshold is null or rule.threshold = 'NaN' or rule.threshold in ('Infinity', '-Infinity') then
    perform watermark.raise_invalid('threshold', format('must be a finite number (%s, in %s)', k.description, k.unit));
  end if;
  if k.unit = '%' and rule.threshold not between 0 and 100 then
    perform watermark.raise_invalid('threshold', 'is a percentage: use 0 to 100');
  end if;
  if k.unit <> 'z' and k.kind not in ('missed_schedule') and rule.threshold < 0 then
    perform watermark.raise_invalid('threshold', 'must not be negative');
  end if;
  if k.scope = 'global' and rule.pipeline is not null then
    perform watermark.raise_invalid('pipeline', format('%s rules watch the whole system; leave pipeline empty', k.kind));
  end if;
  if k.scope = 'season' and rule.pipeline is not null then
    perform watermark.raise_invalid('pipeline',
      format('%s rules watch leagues and seasons, not pipelines; leave pipeline empty and narrow with params.league_id / params.season_id', k.kind));
  end if;
  if rule.pipeline is not null and (btrim(rule.pipeline) = '' or length(rule.pipeline) > 100) then
    perform watermark.raise_invalid('pipeline', 'must be 1-100 characters, or null for every pipeline');
  end if;
  if rule.severity is null or rule.severity not in ('info', 'warning', 'critical') then
    perform watermark.raise_invalid('severity', 'must be info, warning or critical');
  end if;
  if rule.window_seconds is not null and rule.window_seconds not between 60 and 2592000 then
    perform watermark.raise_invalid('window_seconds', 'must be between 60 and 2592000 (30 days), or null for the kind''s default');
  end if;
  if rule.for_seconds is null or rule.for_seconds not between 0 and 604800 then
    perform watermark.raise_invalid('for_seconds', 'must be between 0 and 604800 (7 days); 0 fires at once');
  end if;
  if rule.repeat_seconds is not null and rule.repeat_seconds not between 60 and 2592000 then
    perform watermark.raise_invalid('repeat_seconds', 'must be between 60 and 2592000, or null to notify once');
  end if;
  if rule.channel is not null and rule.channel !~ '^[a-z0-9][a-z0-9_-]{0,62}$' then
    perform watermark.raise_invalid('channel', 'must be a channel name (lowercase letters, digits, - or _), or null for the default');
  end if;
  if rule.params is null or jsonb_typeof(rule.params) <> 'object' then
    perform watermark.raise_invalid('params', 'must be a JSON object');
  end if;
  if rule.remediation is not null and rule.remediation <> 'requeue_failed_chunks' then
    perform watermark.raise_invalid('remediation',
      'must be requeue_failed_chunks (requeue the collector''s failed chunks when the rule fires), or null for none');
  end if;
  if rule.remediation is not null and (k.scope <> 'pipeline' or rule.pipeline is distinct from 'watermark' and rule.pipeline is not null) then
    perform watermark.raise_invalid('remediation',
      format('requeue_failed_chunks requeues the collection chunks of pipeline watermark; a %s rule%s has none',
             k.kind, coalesce(' of pipeline ' || rule.pipeline, '')));
  end if;
  for key in select jsonb_object_keys(rule.params) loop
    if key in ('league_id', 'season_id') then
      if k.scope <> 'season' then
        perform watermark.raise_invalid('params.' || key, format('only data_completeness rules take a league or season; %s rules do not', k.kind));
      end if;
      if jsonb_typeof(rule.params -> key) <> 'number' or (rule.params ->> key)::numeric <> floor((rule.params ->> key)::numeric)
         or (rule.params ->> key)::numeric not between 1 and 9223372036854775807 then
        perform watermark.raise_invalid('params.' || key, 'must be a positive id (list_chunks shows the leagues and seasons)');
      end if;
      continue;
    end if;
    if key not in ('min_samples', 'samples', 'interval_seconds') then
      perform watermark.raise_invalid('params.' || key, 'unknown parameter; use min_samples, samples or interval_seconds');
    end if;
    if jsonb_typeof(rule.params -> key) <> 'number' or (rule.params ->> key)::numeric <> floor((rule.params ->> key)::numeric)
       or (rule.params ->> key)::numeric not between 1 and 2592000 then
      perform watermark.raise_invalid('params.' || key, 'must be a whole number between 1 and 2592000');
    end if;
  end loop;
end
$$;

create or replace function watermark.find_alert_rule(rule_id text)
returns watermark.alert_rules
language plpgsql
set search_path = ''
as $$
declare
  rule watermark.alert_rules;
begin
  if rule_id is null then
    perform watermark.raise_invalid('rule_id', 'is required; `npm run alerts -- list` shows the rules');
  end if;
  select * into rule from watermark.alert_rules r where r.rule_id = find_alert_rule.rule_id for update;
  if not found then
    raise exception 'alert rule % not found', rule_id using errcode = 'WM002',
      hint = 'list_alert_rules() shows the existing rules';
  end if;
  return rule;
end
$$;

-- Operator RPCs below are SECURITY DEFINER: operators are authenticated users,
-- who may only read the tables; each checks operator access first.
create or replace function public.create_alert_rule(
  rule_id text, kind text, threshold double precision,
  pipeline text default null, severity text default 'warning',
  window_seconds integer default null, for_seconds integer default 0,
  repeat_seconds integer default 14400, channel text default null,
  description text default null, params jsonb default '{}', enabled boolean default true,
  remediation text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  rule watermark.alert_rules;
begin
  perform watermark.require_access(2, 'create_alert_rule');
  rule := row(rule_id, kind, description, pipeline, severity, threshold, window_seconds, for_seconds,
              repeat_seconds, coalesce(enabled, true), null, channel, coalesce(params, '{}'), now(), now(), watermark.caller(),
              remediation);
  perform watermark.validate_alert_rule(rule);
  if exists (select 1 from watermark.alert_rules r where r.rule_id = create_alert_rule.rule_id) then
    raise exception 'alert rule % already exists', rule_id using errcode = 'WM003',
      hint = 'change it with update_alert_rule, or pick another rule_id';
  end if;
  insert into watermark.alert_rules select rule.*;
  perform watermark.audit('create_alert_rule', rule.rule_id, watermark.alert_rule_json(rule));
  return watermark.alert_rule_json(rule);
end
$$;
grant execute on function public.create_alert_rule(text, text, double precision, text, text, integer, integer, integer, text, text, jsonb, boolean, text)
  to authenticated, service_role;

create or replace function public.update_alert_rule(rule_id text, changes jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  rule watermark.alert_rules;
  key text;
begin
  perform watermark.require_access(2, 'update_alert_rule');
  if changes is null or jsonb_typeof(changes) <> 'object' or changes = '{}' then
    perform watermark.raise_invalid('changes', 'must be a non-empty JSON object of the fields to change');
  end if;
  for key in select jsonb_object_keys(changes) loop
    if key not in ('threshold', 'pipeline', 'severity', 'window_seconds', 'for_seconds', 'repeat_seconds',
                   'channel', 'description', 'params', 'remediation') then
      perform watermark.raise_invalid('changes.' || key,
        'cannot be changed here; use threshold, pipeline, severity, window_seconds, for_seconds, repeat_seconds, channel, description, params or remediation (enable/disable/mute have their own RPCs)');
    end if;
  end loop;
  rule := watermark.find_alert_rule(rule_id);
  begin
    rule := jsonb_populate_record(rule, changes);
  exception when others then
    perform watermark.raise_invalid('changes', format('has a value of the wrong type (%s)', sqlerrm));
  end;
  rule.updated_at := now();
  rule.updated_by := watermark.caller();
  perform watermark.validate_alert_rule(rule);
  update watermark.alert_rules r set
    threshold = rule.threshold, pipeline = rule.pipeline, severity = rule.severity,
    window_seconds = rule.window_seconds, for_seconds = rule.for_seconds, repeat_seconds = rule.repeat_seconds,
    channel = rule.channel, description = rule.description, params = rule.params, remediation = rule.remediation,
    updated_at = rule.updated_at, updated_by = rule.updated_by
   where r.rule_id = rule.rule_id;
  perform watermark.audit('update_alert_rule', rule.rule_id, changes);
  return watermark.alert_rule_json(rule);
end
$$;
grant execute on function public.update_alert_rule(text, jsonb) to authenticated, service_role;

-- enable / disable / mute / unmute share one body.
create or replace function watermark.set_alert_rule_switch(rule_id text, action text, enabled boolean, muted_until timestamptz)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  rule watermark.alert_rules;
begin
  rule := watermark.find_alert_rule(rule_id);
  update watermark.alert_rules r set
    enabled = coalesce(set_alert_rule_switch.enabled, r.enabled),
    muted_until = case when action in ('mute_alert_rule', 'unmute_alert_rule') then set_alert_rule_switch.muted_until
                       else r.muted_until end,
    updated_at = now(), updated_by = watermark.caller()
   where r.rule_id = rule.rule_id
  returning * into rule;
  perform watermark.audit(action, rule.rule_id,
    jsonb_build_object('enabled', rule.enabled, 'muted_until', rule.muted_until));
  return watermark.alert_rule_json(rule);
end
$$;

create or replace function public.enable_alert_rule(rule_id text)
returns jsonb language plpgsql security definer set search_path = '' as $$
begin
  perform watermark.require_access(2, 'enable_alert_rule');
  return watermark.set_alert_rule_switch(rule_id, 'enable_alert_rule', true, null);
end
$$;
grant execute on function public.enable_alert_rule(text) to authenticated, service_role;

create or replace function public.disable_alert_rule(rule_id text)
returns jsonb language plpgsql security definer set search_path = '' as $$
begin
  perform watermark.require_access(2, 'disable_alert_rule');
  return watermark.set_alert_rule_switch(rule_id, 'disable_alert_rule', false, null);
end
$$;
grant execute on function public.disable_alert_rule(text) to authenticated, service_role;

create or replace function public.mute_alert_rule(rule_id text, duration_seconds integer)
returns jsonb language plpgsql security definer set search_path = '' as $$
begin
  perform watermark.require_access(2, 'mute_alert_rule');
  if duration_seconds is null or duration_seconds not between 60 and 2592000 then
    perform watermark.raise_invalid('duration_seconds', 'must be between 60 (1 min) and 2592000 (30 days)');
  end if;
  return watermark.set_alert_rule_switch(rule_id, 'mute_alert_rule', null,
    now() + make_interval(secs => duration_seconds));
end
$$;
grant execute on function public.mute_alert_rule(text, integer) to authenticated, service_role;

create or replace function public.unmute_alert_rule(rule_id text)
returns jsonb language plpgsql security definer set search_path = '' as $$
begin
  perform watermark.require_access(2, 'unmute_alert_rule');
  return watermark.set_alert_rule_switch(rule_id, 'unmute_alert_rule', null, null);
end
$$;
grant execute on function public.unmute_alert_rule(text) to authenticated, service_role;

create or replace function public.set_alert_channel(channel text, webhook_url text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform watermark.require_access(2, 'set_alert_channel');
  if channel is null or channel !~ '^[a-z0-9][a-z0-9_-]{0,62}$' then
    perform watermark.raise_invalid('channel', 'must be a channel name (lowercase letters, digits, - or _), e.g. default');
  end if;
  if webhook_url is not null and webhook_url !~ '^https?://[^\s]+$' then
    perform watermark.raise_invalid('webhook_url', 'must be an http(s) URL (a Slack incoming webhook), or null to remove the channel');
  end if;
  if webhook_url is null then
    delete from watermark.alert_channels c where c.channel = set_alert_channel.channel;
  else
    insert into watermark.alert_channels (channel, webhook_url, updated_by)
    values (channel, webhook_url, watermark.caller())
    on conflict on constraint alert_channels_pkey do update
      set webhook_url = excluded.webhook_url, updated_at = now(), updated_by = excluded.updated_by;
  end if;
  -- The URL is a secret: the audit records only that it changed.
  perform watermark.audit('set_alert_channel', channel, jsonb_build_object('configured', webhook_url is not null));
  return jsonb_build_object('channel', channel, 'configured', webhook_url is not null);
end
$$;
grant execute on function public.set_alert_channel(text, text) to authenticated, service_role;

-- Definer: operators may only read the settings table. Null keeps a setting.
create or replace function public.set_alert_delivery_settings(
  max_attempts integer default null,
  backoff_base_seconds integer default null,
  backoff_max_seconds integer default null,
  failing_after_failures integer default null,
  failing_after_seconds integer default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  settings watermark.alert_delivery_settings;
  changes jsonb;
begin
  perform watermark.require_access(2, 'set_alert_delivery_settings');
  changes := jsonb_strip_nulls(jsonb_build_object(
    'max_attempts', set_alert_delivery_settings.max_attempts,
    'backoff_base_seconds', set_alert_delivery_settings.backoff_base_seconds,
    'backoff_max_seconds', set_alert_delivery_settings.backoff_max_seconds,
    'failing_after_failures', set_alert_delivery_settings.failing_after_failures,
    'failing_after_seconds', set_alert_delivery_settings.failing_after_seconds));
  if changes = '{}' then
    perform watermark.raise_invalid('settings',
      'pass at least one of max_attempts, backoff_base_seconds, backoff_max_seconds, failing_after_failures, failing_after_seconds');
  end if;
  if set_alert_delivery_settings.max_attempts not between 1 and 100 then
    perform watermark.raise_invalid('max_attempts', 'must be between 1 and 100: attempts per notification before it is dead (default 10)');
  end if;
  if set_alert_delivery_settings.backoff_base_seconds not between 1 and 3600 then
    perform watermark.raise_invalid('backoff_base_seconds',
      'must be between 1 and 3600: the wait before the first retry, doubled for each next one (default 30)');
  end if;
  if set_alert_delivery_settings.backoff_max_seconds not between 1 and 86400 then
    perform watermark.raise_invalid('backoff_max_seconds', 'must be between 1 and 86400: the longest wait between two attempts (default 1800)');
  end if;
  if set_alert_delivery_settings.failing_after_failures not between 1 and 100 then
    perform watermark.raise_invalid('failing_after_failures',
      'must be between 1 and 100: failed attempts in a row before delivery-failing fires (default 3)');
  end if;
  if set_alert_delivery_settings.failing_after_seconds not between 60 and 86400 then
    perform watermark.raise_invalid('failing_after_seconds',
      'must be between 60 and 86400: how long without a delivery, while notifications wait, before delivery-failing fires (default 600)');
  end if;
  select * into settings from watermark.alert_delivery_settings s where s.singleton for update;
  settings.max_attempts := coalesce(set_alert_delivery_settings.max_attempts, settings.max_attempts);
  settings.backoff_base_seconds := coalesce(set_alert_delivery_settings.backoff_base_seconds, settings.backoff_base_seconds);
  settings.backoff_max_seconds := coalesce(set_alert_delivery_settings.backoff_max_seconds, settings.backoff_max_seconds);
  settings.failing_after_failures := coalesce(set_alert_delivery_settings.failing_after_failures, settings.failing_after_failures);
  settings.failing_after_seconds := coalesce(set_alert_delivery_settings.failing_after_seconds, settings.failing_after_seconds);
  if settings.backoff_max_seconds < settings.backoff_base_seconds then
    perform watermark.raise_invalid('backoff_max_seconds',
      format('must be at least backoff_base_seconds (%s); raise it or lower backoff_base_seconds', settings.backoff_base_seconds));
  end if;
  update watermark.alert_delivery_settings s set
    max_attempts = settings.max_attempts, backoff_base_seconds = settings.backoff_base_seconds,
    backoff_max_seconds = settings.backoff_max_seconds, failing_after_failures = settings.failing_after_failures,
    failing_after_seconds = settings.failing_after_seconds, updated_at = now(), updated_by = watermark.caller()
   where s.singleton
  returning * into settings;
  -- Notifications still waiting follow the new attempt limit.
  if set_alert_delivery_settings.max_attempts is not null then
    update watermark.alert_notifications n set max_attempts = settings.max_attempts
     where n.status in ('pending', 'sending');
  end if;
  perform watermark.audit('set_alert_delivery_settings', 'alert_delivery', changes);
  return to_jsonb(settings) - 'singleton';
end
$$;
comment on function public.set_alert_delivery_settings(integer, integer, integer, integer, integer) is
  'Alert delivery retries and when delivery-failing fires; null keeps a setting. Audited.';
grant execute on function public.set_alert_delivery_settings(integer, integer, integer, integer, integer)
  to authenticated, service_role;

create or replace function public.get_alert_delivery_settings()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'get_alert_delivery_settings');
  return (select to_jsonb(s) - 'singleton' from watermark.alert_delivery_settings s where s.singleton)
    || jsonb_build_object('channels', coalesce((
         select jsonb_agg(to_jsonb(d) order by d.channel) from watermark.alert_channel_delivery d), '[]'));
end
$$;
comment on function public.get_alert_delivery_settings() is
  'Alert delivery settings, and per channel its failed attempts in a row, last delivery and last recovery.';
grant execute on function public.get_alert_delivery_settings() to authenticated, service_role;

create or replace function public.send_test_alert(channel text default 'default', message text default null)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  id bigint;
begin
  perform watermark.require_access(2, 'send_test_alert');
  if channel is null or channel !~ '^[a-z0-9][a-z0-9_-]{0,62}$' then
    perform watermark.raise_invalid('channel', 'must be a channel name, e.g. default');
  end if;
  if message is not null and length(message) > 2000 then
    perform watermark.raise_invalid('message', 'must be at most 2000 characters');
  end if;
  insert into watermark.alert_notifications (idempotency_key, kind, scope_key, channel, payload)
  values ('test-' || gen_random_uuid(), 'test', '*', channel,
          jsonb_build_object('message', coalesce(message, 'Watermark test message: alert delivery works.'),
                             'requested_by', watermark.caller(), 'requested_at', now()))
  returning notification_id into id;
  perform watermark.audit('send_test_alert', channel, jsonb_build_object('notification_id', id));
  return id;
end
$$;
comment on function public.send_test_alert(text, text) is
  'Queues a test message for a channel; the alerts function (or `npm run alerts -- test`) delivers it.';
grant execute on function public.send_test_alert(text, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Viewer RPCs
-- ---------------------------------------------------------------------------
create or replace function public.list_alert_rules()
returns setof jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_alert_rules');
  return query select watermark.alert_rule_json(r) from watermark.alert_rules r order by r.rule_id;
end
$$;
grant execute on function public.list_alert_rules() to authenticated, service_role;

create or replace function public.list_alerts(state text default null, pipeline text default null, max_rows integer default 100)
returns setof jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_alerts');
  if state is not null and state not in ('inactive', 'pending', 'firing', 'resolved', 'active') then
    perform watermark.raise_invalid('state', 'must be pending, firing, active (both), resolved or inactive; null lists all');
  end if;
  if max_rows is null or max_rows not between 1 and 1000 then
    perform watermark.raise_invalid('max_rows', 'must be between 1 and 1000');
  end if;
  return query
    select to_jsonb(a) || jsonb_build_object('kind', r.kind, 'severity', r.severity, 'comparison', k.comparison,
             'unit', k.unit, 'description', r.description, 'muted', coalesce(r.muted_until > now(), false),
             'muted_until', r.muted_until)
      from watermark.alerts a
      join watermark.alert_rules r on r.rule_id = a.rule_id
      join watermark.alert_rule_kinds k on k.kind = r.kind
     where (list_alerts.state is null or a.state = list_alerts.state
            or (list_alerts.state = 'active' and a.state in ('pending', 'firing')))
       and (list_alerts.pipeline is null or a.scope_key = list_alerts.pipeline)
     order by case a.state when 'firing' then 0 when 'pending' then 1 when 'resolved' then 2 else 3 end,
              case r.severity when 'critical' then 0 when 'warning' then 1 else 2 end, a.updated_at desc
     limit max_rows;
end
$$;
comment on function public.list_alerts(text, text, integer) is
  'Alert instances (one per rule and scope), firing first. state: pending, firing, active (both), resolved, inactive or null for all.';
grant execute on function public.list_alerts(text, text, integer) to authenticated, service_role;

create or replace function public.get_alert_history(
  fingerprint text default null, rule_id text default null, since timestamptz default null, max_rows integer default 100)
returns setof jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'get_alert_history');
  if max_rows is null or max_rows not between 1 and 1000 then
    perform watermark.raise_invalid('max_rows', 'must be between 1 and 1000');
  end if;
  return query
    select to_jsonb(h)
      from watermark.alert_history h
     where (get_alert_history.fingerprint is null or h.fingerprint = get_alert_history.fingerprint)
       and (get_alert_history.rule_id is null or h.rule_id = get_alert_history.rule_id)
       and (get_alert_history.since is null or h.at >= get_alert_history.since)
     order by h.history_id desc
     limit max_rows;
end
$$;
comment on function public.get_alert_history(text, text, timestamptz, integer) is
  'Alert state transitions, newest first.';
grant execute on function public.get_alert_history(text, text, timestamptz, integer) to authenticated, service_role;

create or replace function public.list_alert_notifications(status text default null, max_rows integer default 50)
returns setof jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_alert_notifications');
  if status is not null and status not in ('pending', 'sending', 'delivered', 'dead', 'undelivered') then
    perform watermark.raise_invalid('status', 'must be pending, sending, delivered, dead or undelivered (pending+sending+dead)');
  end if;
  if max_rows is null or max_rows not between 1 and 1000 then
    perform watermark.raise_invalid('max_rows', 'must be between 1 and 1000');
  end if;
  return query
    select to_jsonb(n) - 'claim_token'
      from watermark.alert_notifications n
     where list_alert_notifications.status is null or n.status = list_alert_notifications.status
        or (list_alert_notifications.status = 'undelivered' and n.status <> 'delivered')
     order by n.notification_id desc
     limit max_rows;
end
$$;
comment on function public.list_alert_notifications(text, integer) is
  'Outbox notifications, newest first; undelivered = pending, sending or dead.';
grant execute on function public.list_alert_notifications(text, integer) to authenticated, service_role;

create or replace function public.list_alert_channels()
returns table (channel text, configured boolean, updated_at timestamptz, updated_by text)
language plpgsql
stable
security definer  -- the table holds webhook secrets and is not readable by viewers; this returns no URL
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_alert_channels');
  return query select c.channel, true, c.updated_at, c.updated_by from watermark.alert_channels c order by c.channel;
end
$$;
grant execute on function public.list_alert_channels() to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Schedules (only in the database pg_cron runs in)
-- ---------------------------------------------------------------------------
-- Delivery goes through the scheduling migration's invoke_function (trigger
-- token, recorded outcome), every minute; evaluation is pure SQL.
do $$ begin perform public.configure_function_schedule('alerts', '* * * * *'); end $$;

do $$
begin
  if to_regclass('cron.job') is not null then
    perform cron.schedule('watermark-evaluate-alerts', '* * * * *', 'select public.evaluate_alerts()');
  end if;
end
$$;
