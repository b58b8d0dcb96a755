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
    if not exists (select 1 from watermark.alert_evaluations e where e.started_at > now() - interval '5 minutes') then
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

  -- source API: Sportmonks timing metrics (sportmonks_*) and persisted rate limits
  select jsonb_build_object(
           'last_call_at', max(m."timestamp"),
           'calls_1h', count(*) filter (where m."timestamp" > now() - interval '1 hour'),
           'p95_latency_ms', round((percentile_cont(0.95) within group (order by m.metric_value))::numeric, 1))
    into source_api
    from watermark.etl_metrics m
   where m.metric_name like 'sportmonks%' and m.metric_kind = 'timing' and m."timestamp" > now() - interval '24 hours';
  source_api := source_api || jsonb_build_object('status', 'healthy', 'rate_limits',
    (select coalesce(jsonb_agg(jsonb_build_object('entity', r.entity, 'remaining', r.remaining,
                                                  'resets_at', r.resets_at, 'updated_at', r.updated_at)
                               order by r.entity), '[]')
       from watermark.api_rate_limits r));
  if exists (select 1 from watermark.api_rate_limits r where r.remaining = 0 and r.resets_at > now()) then
    degraded := true;
    source_api := source_api || '{"status": "degraded"}';
    reasons := reasons || to_jsonb((select format('source API: rate limit exhausted for %s until %s',
                 string_agg(r.entity, ', '), max(r.resets_at))
                 from watermark.api_rate_limits r where r.remaining = 0 and r.resets_at > now()));
  end if;
  if (source_api ->> 'p95_latency_ms')::numeric > 5000 then
    degraded := true;
    source_api := source_api || '{"status": "degraded"}';
    reasons := reasons || to_jsonb(format('source API: p95 latency %s ms over 24 h', source_api ->> 'p95_latency_ms'));
  end if;

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

  select jsonb_build_object(
           'executions_24h', count(*),
           'running', count(*) filter (where e.status = 'RUNNING'),
           'failed_24h', count(*) filter (where e.status in ('FAILED', 'ABANDONED')),
           'error_rate_24h', round(coalesce(
              count(*) filter (where e.status in ('FAILED', 'ABANDONED'))::numeric
              / nullif(count(*) filter (where e.status <> 'RUNNING'), 0), 0), 4),
           'pending_chunks', (select count(*) from watermark.chunks c where c.status in ('pending', 'failed')),
           'running_chunks', (select count(*) from watermark.chunks c where c.status = 'running'),
           'alerts_firing', (alerting ->> 'firing')::integer,
           'alerts_pending', (alerting ->> 'pending')::integer)
    into metrics
    from watermark.etl_executions e
   where e.started_at > now() - interval '24 hours';

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
