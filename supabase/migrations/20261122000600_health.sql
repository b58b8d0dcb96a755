-- Why: "is it working?" needs one honest answer. pg_cron says a job
-- "succeeded" when it only queued an HTTP call, the collector can be silent,
-- and Slack can be down while alerts pile up. get_health_report() reads each
-- part's own evidence (cron run details, recorded invocation outcomes, API
-- metrics and rate limits, the alert outbox) and returns the JSON the `health`
-- edge function serves: healthy / degraded / unhealthy, with the reasons.

-- Reads cron.job and cron.job_run_details, which pg_cron shows only to each
-- job's owner; absent outside cron.database_name (then: no jobs).
create or replace function watermark.cron_job_health()
returns jsonb
language plpgsql
stable
security definer  -- pg_cron's tables are visible only to the jobs' owner
set search_path = ''
as $$
declare
  jobs jsonb;
begin
  -- Definer: check the caller here too, not only in get_health_report.
  perform watermark.require_access(1, 'cron_job_health');
  if to_regclass('cron.job') is null then
    return null;
  end if;
  execute $sql$
    select coalesce(jsonb_agg(jsonb_build_object(
             'job', j.jobname, 'schedule', j.schedule, 'active', j.active,
             'last_run_at', d.start_time, 'last_status', d.status,
             'last_message', left(d.return_message, 300)) order by j.jobname), '[]'::jsonb)
      from cron.job j
      left join lateral (
        select r.start_time, r.status, r.return_message from cron.job_run_details r
         where r.jobid = j.jobid order by r.runid desc limit 1) d on true
     where j.jobname like 'watermark-%'
  $sql$ into jobs;
  return jobs;
end
$$;
revoke execute on function watermark.cron_job_health() from public;

-- ---------------------------------------------------------------------------
-- Source API: the collector's own Sportmonks calls
-- ---------------------------------------------------------------------------

-- The thresholds of the source_api section: one definition, returned with the
-- report and stated in docs/operations.md (Health). Rates are judged only over
-- at least min_calls calls in the hour, so one failed call of two is no verdict.
create or replace function watermark.source_api_thresholds()
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object(
    'min_calls', 5,
    'error_rate', jsonb_build_object('degraded', 0.05, 'unhealthy', 0.25),
    'rate_limited_rate', jsonb_build_object('degraded', 0.01, 'unhealthy', 0.10),
    'p95_latency_ms', jsonb_build_object('degraded', 2000, 'unhealthy', 10000),
    'last_success_age_seconds', jsonb_build_object('degraded', 1800, 'unhealthy', 7200),
    'rate_limit_remaining', jsonb_build_object('degraded', 300, 'unhealthy', 10))
$$;
comment on function watermark.source_api_thresholds() is
  'Degraded and unhealthy thresholds of get_health_report().services.source_api (docs/operations.md, Health).';

-- 0 healthy, 1 degraded, 2 unhealthy: `value` at or past a threshold (below it when lower_is_worse).
create or replace function watermark.threshold_level(value numeric, limits jsonb, lower_is_worse boolean default false)
returns integer
language sql
immutable
set search_path = ''
as $$
  select case
    when value is null then 0
    when lower_is_worse and value <= (limits ->> 'unhealthy')::numeric then 2
    when lower_is_worse and value <= (limits ->> 'degraded')::numeric then 1
    when not lower_is_worse and value >= (limits ->> 'unhealthy')::numeric then 2
    when not lower_is_worse and value >= (limits ->> 'degraded')::numeric then 1
    else 0 end
$$;

-- The source_api section: every Sportmonks HTTP attempt the collector makes is one
-- `sportmonks.latency_ms` sample tagged entity, endpoint and outcome (ok, rate_limited
-- or the error kind); the budgets come from watermark.api_rate_limits. Returns the
-- section with `level` (0..2) and `reasons` for get_health_report to merge.
create or replace function watermark.source_api_health()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  t jsonb := watermark.source_api_thresholds();
  hour_start timestamptz := now() - interval '1 hour';
  totals record;
  last_call timestamptz;
  last_success timestamptz;
  error_rate numeric;
  limited_rate numeric;
  entities jsonb;
  limits jsonb;
  reasons jsonb := '[]';
  level integer := 0;
  lvl integer;
  r record;
begin
  perform watermark.require_access(1, 'source_api_health');
  -- The hour's calls in one pass: per entity, and in all (the empty grouping set, which
  -- yields its row even when there were no calls).
  with calls as (
    select grouping(coalesce(m.tags ->> 'entity', 'unknown')) = 1 as total,
           coalesce(m.tags ->> 'entity', 'unknown') as entity, count(*) as calls,
           count(*) filter (where m.tags ->> 'outcome' not in ('ok', 'rate_limited')) as errors,
           count(*) filter (where m.tags ->> 'outcome' = 'rate_limited') as rate_limited,
           round((percentile_cont(0.95) within group (order by m.metric_value))::numeric, 1) as p95,
           max(m."timestamp") filter (where m.tags ->> 'outcome' = 'ok') as last_success
      from watermark.etl_metrics m
     where m.metric_name = 'sportmonks.latency_ms' and m."timestamp" > hour_start
     group by grouping sets ((coalesce(m.tags ->> 'entity', 'unknown')), ())
  )
  select t.calls, t.errors, t.rate_limited, t.p95,
         (select coalesce(jsonb_agg(jsonb_build_object(
                   'entity', e.entity, 'calls_1h', e.calls, 'errors_1h', e.errors, 'rate_limited_1h', e.rate_limited,
                   'p95_latency_ms', e.p95, 'last_success_at', e.last_success) order by e.entity), '[]')
            from calls e where not e.total) as entities
    into totals
    from calls t where t.total;
  entities := totals.entities;

  -- The last call and success, looked for in the last day's partitions first: only an idle
  -- or failing collector sends the search through every day kept.
  -- (One max per statement: Postgres then reads each newest-first from the index.)
  select max(m."timestamp") into last_call from watermark.etl_metrics m
   where m.metric_name = 'sportmonks.latency_ms' and m."timestamp" > now() - interval '24 hours';
  select max(m."timestamp") into last_success from watermark.etl_metrics m
   where m.metric_name = 'sportmonks.latency_ms' and m.tags ->> 'outcome' = 'ok' and m."timestamp" > now() - interval '24 hours';
  if last_call is null then
    select max(m."timestamp") into last_call from watermark.etl_metrics m where m.metric_name = 'sportmonks.latency_ms';
  end if;
  if last_success is null then
    select max(m."timestamp") into last_success from watermark.etl_metrics m
     where m.metric_name = 'sportmonks.latency_ms' and m.tags ->> 'outcome' = 'ok';
  end if;
  if totals.calls > 0 then
    error_rate := round(totals.errors::numeric / totals.calls, 4);
    limited_rate := round(totals.rate_limited::numeric / totals.calls, 4);
  end if;

  -- Headroom: a budget whose reset has passed is whole again.
  select coalesce(jsonb_agg(jsonb_build_object(
           'entity', b.entity, 'remaining', b.remaining, 'resets_at', b.resets_at, 'updated_at', b.updated_at,
           'status', (array['healthy', 'degraded', 'unhealthy'])[1 + b.level]) order by b.entity), '[]')
    into limits
    from (select x.*, case when x.resets_at <= now() then 0
                           else watermark.threshold_level(x.remaining, t -> 'rate_limit_remaining', true) end as level
            from watermark.api_rate_limits x) b;

  if totals.calls >= (t ->> 'min_calls')::integer then
    lvl := watermark.threshold_level(error_rate, t -> 'error_rate');
    if lvl > 0 then
      reasons := reasons || to_jsonb(format('source API: %s %% of %s calls failed in the last hour (degraded at %s %%, unhealthy at %s %%)',
                   round(error_rate * 100, 1), totals.calls, (t #>> '{error_rate,degraded}')::numeric * 100,
                   (t #>> '{error_rate,unhealthy}')::numeric * 100));
    end if;
    level := greatest(level, lvl);
    lvl := watermark.threshold_level(limited_rate, t -> 'rate_limited_rate');
    if lvl > 0 then
      reasons := reasons || to_jsonb(format('source API: %s of %s calls answered 429 in the last hour, %s %% (degraded at %s %%, unhealthy at %s %%)',
                   totals.rate_limited, totals.calls, round(limited_rate * 100, 1), (t #>> '{rate_limited_rate,degraded}')::numeric * 100,
                   (t #>> '{rate_limited_rate,unhealthy}')::numeric * 100));
    end if;
    level := greatest(level, lvl);
    lvl := watermark.threshold_level(totals.p95, t -> 'p95_latency_ms');
    if lvl > 0 then
      reasons := reasons || to_jsonb(format('source API: p95 latency %s ms in the last hour (degraded at %s ms, unhealthy at %s ms)',
                   totals.p95, t #>> '{p95_latency_ms,degraded}', t #>> '{p95_latency_ms,unhealthy}'));
    end if;
    level := greatest(level, lvl);
  end if;

  -- While the collector calls at all (a call in the last 24 h), its calls must succeed.
  if last_call > now() - interval '24 hours' then
    lvl := watermark.threshold_level(extract(epoch from now() - coalesce(last_success, '-infinity'::timestamptz))::numeric,
                                     t -> 'last_success_age_seconds');
    if lvl > 0 then
      reasons := reasons || to_jsonb(format('source API: no successful call since %s (degraded after %s s, unhealthy after %s s)',
                   coalesce(to_char(last_success at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'ever'),
                   t #>> '{last_success_age_seconds,degraded}', t #>> '{last_success_age_seconds,unhealthy}'));
    end if;
    level := greatest(level, lvl);
  end if;

  for r in select b ->> 'entity' as entity, b ->> 'remaining' as remaining, (b ->> 'resets_at')::timestamptz as resets_at,
                  b ->> 'status' as status
             from jsonb_array_elements(limits) b where b ->> 'status' <> 'healthy' loop
    reasons := reasons || to_jsonb(format('source API: entity %s has %s calls left until %s (degraded at %s, unhealthy at %s)',
                 r.entity, r.remaining, to_char(r.resets_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                 t #>> '{rate_limit_remaining,degraded}', t #>> '{rate_limit_remaining,unhealthy}'));
    level := greatest(level, case r.status when 'unhealthy' then 2 else 1 end);
  end loop;

  return jsonb_build_object(
    'status', case when level = 0 and (last_call is null or last_call <= now() - interval '24 hours') then 'idle'
                   else (array['healthy', 'degraded', 'unhealthy'])[1 + level] end,
    'level', level,
    'reasons', reasons,
    'window_start', hour_start,
    'calls_1h', totals.calls,
    'errors_1h', totals.errors,
    'rate_limited_1h', totals.rate_limited,
    'error_rate_1h', error_rate,
    'rate_limited_rate_1h', limited_rate,
    'p95_latency_ms', totals.p95,
    'last_call_at', last_call,
    'last_success_at', last_success,
    'entities', entities,
    'rate_limits', limits,
    'thresholds', t);
end
$$;
revoke execute on function watermark.source_api_health() from public;
revoke execute on function watermark.source_api_thresholds() from public;
revoke execute on function watermark.threshold_level(numeric, jsonb, boolean) from public;

create or replace function public.get_health_report()
returns jsonb
language plpgsql
stable
security definer  -- reads cron job details and the service-only alert channels; returns no secret
set search_path = ''
as $$
declare
  cron_jobs jsonb;
  functions jsonb;
  database jsonb;
  scheduler jsonb;
  source_api jsonb;
  delivery jsonb;
  metrics jsonb;
  alerting jsonb;
  reasons jsonb := '[]';
  unhealthy boolean := false;
  degraded boolean := false;
  v record;
begin
  perform watermark.require_access(1, 'get_health_report');
  -- Only after the access check: it reads pg_cron's tables as the owner.
  cron_jobs := watermark.cron_job_health();

  -- database
  select jsonb_build_object(
           'status', 'healthy',
           'server_version', current_setting('server_version'),
           'connections', (select count(*) from pg_catalog.pg_stat_activity a where a.datname = current_database()),
           'max_connections', current_setting('max_connections')::integer)
    into database;

  -- scheduler: every pg_cron job's last run, and what each scheduled function really did.
  -- state: active, paused (its function answered that it cannot run; paused_reason says why)
  -- or disabled (an operator turned it off).
  select coalesce(jsonb_agg(jsonb_build_object(
           'function_name', s.function_name, 'cron_expression', s.cron_expression, 'enabled', s.enabled,
           'state', case when not s.enabled then 'disabled' when s.paused_at is not null then 'paused' else 'active' end,
           'paused_at', s.paused_at, 'paused_reason', s.paused_reason,
           'last_invocation_at', last.requested_at, 'last_status', last.status,
           'last_status_code', last.status_code, 'last_error', left(last.error, 300),
           'last_success_at', (select max(i.requested_at) from watermark.function_invocations i
                                where i.function_name = s.function_name and i.status = 'succeeded'))
           order by s.function_name), '[]')
    into functions
    from watermark.function_schedules s
    left join lateral (
      select i.requested_at, i.status, i.status_code, i.error from watermark.function_invocations i
       where i.function_name = s.function_name and i.trigger = 'schedule' and i.status <> 'queued'
       order by i.requested_at desc, i.id desc limit 1) last on true;

  scheduler := jsonb_build_object('status', 'healthy', 'pg_cron', cron_jobs is not null,
                                  'jobs', coalesce(cron_jobs, '[]'), 'functions', functions);
  if cron_jobs is not null then
    for v in select j ->> 'job' as job, j ->> 'last_status' as status from jsonb_array_elements(cron_jobs) j
              where j ->> 'last_status' = 'failed' loop
      degraded := true;
      reasons := reasons || to_jsonb(format('scheduler: the last run of pg_cron job %s failed', v.job));
      scheduler := scheduler || '{"status": "degraded"}';
    end loop;
    -- Counted from the server's start too: pg_cron evaluates within a minute of it, so a
    -- freshly started (or restarted) database is not "overdue" in its first minutes.
    if greatest((select max(e.started_at) from watermark.alert_evaluations e), pg_postmaster_start_time())
         < now() - interval '5 minutes' then
      unhealthy := true;
      reasons := reasons || to_jsonb('scheduler: alert rules have not been evaluated for 5 minutes (pg_cron job watermark-evaluate-alerts)'::text);
      scheduler := scheduler || '{"status": "unhealthy"}';
    end if;
  end if;
  -- A paused schedule is degraded, not unhealthy: nothing runs, so nothing fails or piles up;
  -- its function needs fixing (a missing secret), then an operator resumes it.
  for v in select f ->> 'function_name' as fn, f ->> 'paused_reason' as reason
             from jsonb_array_elements(functions) f where f ->> 'state' = 'paused' loop
    degraded := true;
    reasons := reasons || to_jsonb(format('scheduler: %s paused: %s; fix it, then resume_function_schedule(%L)',
                 v.fn, v.reason, v.fn));
    if scheduler ->> 'status' = 'healthy' then scheduler := scheduler || '{"status": "degraded"}'; end if;
  end loop;
  -- The failed invocation that paused a schedule is said above, with what to do.
  for v in select f ->> 'function_name' as fn, f ->> 'last_status' as status, f ->> 'last_error' as error
             from jsonb_array_elements(functions) f
            where f ->> 'state' = 'active' and f ->> 'last_status' in ('failed', 'timed_out') loop
    degraded := true;
    reasons := reasons || to_jsonb(format('scheduler: the last scheduled %s invocation %s%s', v.fn,
                 replace(v.status, '_', ' '), coalesce(': ' || v.error, '')));
    if scheduler ->> 'status' = 'healthy' then scheduler := scheduler || '{"status": "degraded"}'; end if;
  end loop;

  -- source API: the collector's own Sportmonks calls and persisted budgets (watermark.source_api_health)
  source_api := watermark.source_api_health();
  reasons := reasons || (source_api -> 'reasons');
  if (source_api ->> 'level')::integer = 2 then unhealthy := true; elsif (source_api ->> 'level')::integer = 1 then degraded := true; end if;
  source_api := source_api - array['level', 'reasons'];

  -- alert delivery: backlog, dead letters, last success
  select jsonb_build_object(
           'status', 'healthy',
           'backlog', count(*) filter (where n.status in ('pending', 'sending')),
           'oldest_undelivered_at', min(n.created_at) filter (where n.status in ('pending', 'sending')),
           'dead_letters_24h', count(*) filter (where n.status = 'dead' and n.dead_at > now() - interval '24 hours'),
           'last_delivered_at', max(n.delivered_at),
           'channels_configured', (select coalesce(jsonb_agg(c.channel order by c.channel), '[]') from watermark.alert_channels c))
    into delivery
    from watermark.alert_notifications n;
  if (delivery ->> 'dead_letters_24h')::integer > 0 then
    degraded := true;
    delivery := delivery || '{"status": "degraded"}';
    reasons := reasons || to_jsonb(format('alert delivery: %s notification(s) dead in 24 h', delivery ->> 'dead_letters_24h'));
  end if;
  if (delivery ->> 'oldest_undelivered_at')::timestamptz < now() - interval '15 minutes' then
    degraded := true;
    delivery := delivery || '{"status": "degraded"}';
    reasons := reasons || to_jsonb(format('alert delivery: %s notification(s) waiting, the oldest since %s (is a Slack webhook configured?)',
                 delivery ->> 'backlog', delivery ->> 'oldest_undelivered_at'));
  end if;

  -- alerts: critical firing = unhealthy, other firing = degraded
  select jsonb_build_object(
           'firing', count(*) filter (where a.state = 'firing'),
           'pending', count(*) filter (where a.state = 'pending'),
           'firing_critical', count(*) filter (where a.state = 'firing' and r.severity = 'critical'),
           'last_evaluation_at', (select max(e.started_at) from watermark.alert_evaluations e))
    into alerting
    from watermark.alerts a join watermark.alert_rules r on r.rule_id = a.rule_id;
  for v in select a.fingerprint, r.severity, a.summary from watermark.alerts a
             join watermark.alert_rules r on r.rule_id = a.rule_id
            where a.state = 'firing' and r.severity in ('critical', 'warning')
            order by r.severity, a.fingerprint loop
    if v.severity = 'critical' then unhealthy := true; else degraded := true; end if;
    reasons := reasons || to_jsonb(format('alert %s (%s): %s', v.fingerprint, v.severity, v.summary));
  end loop;

  -- Runs started in the last 24 hours: whole hours from the hourly rollup, the part of the
  -- window's oldest hour from the runs themselves (an hour of them at most), so the cost
  -- stays flat however many runs there are.
  with since as (
    select now() - interval '24 hours' as at, date_trunc('hour', now() - interval '24 hours', 'UTC') + interval '1 hour' as whole_hours
  ), runs as (
    select h.status, h.runs from watermark.etl_execution_hourly h, since where h.hour >= since.whole_hours
    union all
    select e.status, count(*) from watermark.etl_executions e, since
     where e.started_at > since.at and e.started_at < since.whole_hours group by e.status
  )
  select jsonb_build_object(
           'executions_24h', coalesce(sum(r.runs), 0),
           'running', coalesce(sum(r.runs) filter (where r.status = 'RUNNING'), 0),
           'failed_24h', coalesce(sum(r.runs) filter (where r.status in ('FAILED', 'ABANDONED')), 0),
           'error_rate_24h', round(coalesce(
              sum(r.runs) filter (where r.status in ('FAILED', 'ABANDONED'))::numeric
              / nullif(sum(r.runs) filter (where r.status <> 'RUNNING'), 0), 0), 4),
           'pending_chunks', (select count(*) from watermark.chunks c where c.status in ('pending', 'failed')),
           'running_chunks', (select count(*) from watermark.chunks c where c.status = 'running'),
           'alerts_firing', (alerting ->> 'firing')::integer,
           'alerts_pending', (alerting ->> 'pending')::integer)
    into metrics
    from runs r;

  return jsonb_build_object(
    'status', case when unhealthy then 'unhealthy' when degraded then 'degraded' else 'healthy' end,
    'reasons', reasons,
    'timestamp', now(),
    'services', jsonb_build_object('database', database, 'scheduler', scheduler, 'source_api', source_api,
                                   'alert_delivery', delivery, 'alerting', alerting),
    'metrics', metrics);
end
$$;
comment on function public.get_health_report() is
  'Health of each part (database, scheduler, source API, alert delivery) and 24 h metrics; status unhealthy when a critical alert fires or alert evaluation stopped, degraded on warnings and on a paused schedule.';
grant execute on function public.get_health_report() to authenticated, service_role;
