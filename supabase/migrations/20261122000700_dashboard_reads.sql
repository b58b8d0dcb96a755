-- Why: the web dashboard's pages need figures no read RPC served: runs and rows
-- per day (the overview's charts), what a run did chunk by chunk, every pipeline
-- that ever reported with one status, the latest collected fixtures, the applied
-- migrations (pre-flight) and the access audit, which only operators could read.
-- All are viewer reads; each answers from an index at dashboard volume
-- (1 M logs, 100 k runs, 50 pipelines: see `npm run bench`).

-- Runs, rows extracted and rows upserted per UTC day x pipeline x status over the
-- last `days` days (today included), every pipeline (a pipeline's page keeps its own). Days without runs are absent: the page fills them with zeros.
create function public.get_run_series(days integer default 14)
returns table (day date, pipeline text, status text, runs bigint, rows_extracted bigint, rows_upserted bigint)
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'get_run_series');
  if days is null or days not between 1 and 90 then
    perform watermark.raise_invalid('days', 'must be between 1 and 90');
  end if;
  return query
  select (x.started_at at time zone 'UTC')::date, x.pipeline, x.status, count(*),
         coalesce(sum(x.processed_fixtures), 0)::bigint, coalesce(sum(x.rows_written), 0)::bigint
    from watermark.etl_executions x
   where x.started_at >= ((now() at time zone 'UTC')::date - (get_run_series.days - 1))::timestamp at time zone 'UTC'
   group by 1, 2, 3
   order by 1, 2, 3;
end
$$;
grant execute on function public.get_run_series(integer) to authenticated, service_role;

-- One run chunk by chunk, from its logs (the collector logs every claim, batch and
-- release with the chunk id): when it was worked, fixtures extracted, rows upserted,
-- fixtures failed, warnings and errors, and how the chunk was released.
create function public.get_run_chunks(execution_id text)
returns table (
  chunk_id text, first_at timestamptz, last_at timestamptz, batches bigint, fixtures bigint,
  rows_upserted bigint, fixtures_failed bigint, warnings bigint, errors bigint, outcome text
)
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'get_run_chunks');
  if coalesce(get_run_chunks.execution_id, '') = '' then
    perform watermark.raise_invalid('execution_id', 'is required; pass an id from list_etl_executions');
  end if;
  return query
  select l.chunk_id, min(l."timestamp"), max(l."timestamp"),
         count(*) filter (where l.message = 'batch upserted'),
         coalesce(sum((l.details ->> 'fixtures')::bigint) filter (where l.message = 'batch upserted'), 0)::bigint,
         coalesce(sum((l.details ->> 'rows_written')::bigint) filter (where l.message = 'batch upserted'), 0)::bigint,
         coalesce(sum((l.details ->> 'failed')::bigint) filter (where l.message = 'batch upserted'), 0)::bigint,
         count(*) filter (where l.level = 'WARNING'),
         count(*) filter (where l.level in ('ERROR', 'CRITICAL')),
         (array_agg(substr(l.message, length('chunk released ') + 1) order by l.log_id desc)
            filter (where l.message like 'chunk released %'))[1]
    from watermark.etl_logs l
   where l.execution_id = get_run_chunks.execution_id and l.chunk_id is not null
   group by l.chunk_id
   order by min(l."timestamp"), l.chunk_id;
end
$$;
grant execute on function public.get_run_chunks(text) to authenticated, service_role;

-- Every pipeline that ever reported, through etl_control or only through executions,
-- with one status: RUNNING (a run is live), FAILED (its last finished run or control
-- row failed), STALE (a run stopped heartbeating, or no success within twice its
-- expected interval), NO_RUN (never ran), else OK.
create function public.list_pipelines()
returns table (
  pipeline text, status text, entities bigint, source_total bigint, target_total bigint,
  coverage_percent numeric, pending bigint, freshness_minutes numeric, watermark text,
  last_execution_id text, last_run_status text, last_run_at timestamptz, last_duration_seconds numeric,
  throughput_rows_per_sec numeric, runs_24h bigint, failures_24h bigint, running bigint
)
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_pipelines');
  return query
  -- Distinct pipelines of the executions by skipping along (pipeline, started_at): one probe per pipeline.
  with recursive seen(name) as (
    (select x.pipeline from watermark.etl_executions x order by x.pipeline limit 1)
    union all
    select (select x.pipeline from watermark.etl_executions x where x.pipeline > s.name order by x.pipeline limit 1)
      from seen s where s.name is not null
  ),
  names as (
    select s.name from seen s where s.name is not null
    union
    select c.pipeline from watermark.etl_control c
  ),
  control as (
    select c.pipeline, count(*) as entities, sum(c.source_total)::bigint as source_total,
           sum(c.target_total)::bigint as target_total, sum(c.pending_since_watermark)::bigint as pending,
           max(round((extract(epoch from coalesce(greatest(c.source_max_updated_at - c.target_max_updated_at, interval '0'),
                                                now() - c.last_success_at)) / 60)::numeric, 1)) as freshness,
           case when count(*) = 1 then min(c.watermark) end as watermark,
           max(c.last_run_at) as last_run_at,
           bool_or(c.last_status = 'FAILED') as failed,
           bool_or(c.expected_interval_seconds is not null
                   and coalesce(c.last_success_at, '-infinity') < now() - make_interval(secs => c.expected_interval_seconds * 2)) as overdue,
           max(c.last_throughput_rows_per_sec) as throughput
      from watermark.etl_control c group by c.pipeline
  )
  select n.name,
         case when live.running > 0 and live.stale = 0 then 'RUNNING'
              when last.status in ('FAILED', 'ABANDONED') or (last.status is null and coalesce(c.failed, false)) then 'FAILED'
              when live.stale > 0 or coalesce(c.overdue, false) then 'STALE'
              when last.execution_id is null and c.last_run_at is null then 'NO_RUN'
              else 'OK' end,
         coalesce(c.entities, 0), c.source_total, c.target_total,
         case when c.source_total > 0 then round(100.0 * coalesce(c.target_total, 0) / c.source_total, 2)
              when c.source_total = 0 then 100.0 end,
         c.pending, c.freshness, c.watermark,
         last.execution_id, last.status, coalesce(last.started_at, c.last_run_at), last.duration_seconds,
         coalesce(case when last.duration_seconds > 0 then round(coalesce(last.rows_written, 0) / last.duration_seconds, 2) end,
                  c.throughput),
         day.runs, day.failures, live.running
    from names n
    left join control c on c.pipeline = n.name
    left join lateral (
      select x.execution_id, x.status, x.started_at, x.duration_seconds, x.rows_written
        from watermark.etl_executions x
       where x.pipeline = n.name and x.status <> 'RUNNING'
       order by x.started_at desc limit 1) last on true
    left join lateral (
      select count(*) as runs, count(*) filter (where x.status in ('FAILED', 'ABANDONED')) as failures
        from watermark.etl_executions x
       where x.pipeline = n.name and x.started_at > now() - interval '24 hours') day on true
    left join lateral (
      select count(*) as running,
             count(*) filter (where x.heartbeat_at < now() - make_interval(secs => x.heartbeat_timeout_seconds)) as stale
        from watermark.etl_executions x
       where x.pipeline = n.name and x.status = 'RUNNING') live on true
   order by n.name;
end
$$;
grant execute on function public.list_pipelines() to authenticated, service_role;

-- The most recently collected fixtures (Watermark's own pipeline sample): state and current score.
create index fixtures_collected_at_idx on watermark.fixtures (collected_at desc) where collected_at is not null;

create function public.list_recent_fixtures(max_rows integer default 20)
returns table (
  id bigint, name text, league_id bigint, season_id bigint, starting_at timestamp, state_id integer,
  result_info text, home_goals integer, away_goals integer, is_final boolean, collected_at timestamptz,
  last_execution_id text
)
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_recent_fixtures');
  if max_rows is null or max_rows not between 1 and 200 then
    perform watermark.raise_invalid('max_rows', 'must be between 1 and 200');
  end if;
  return query
  select f.id, f.name, f.league_id, f.season_id, f.starting_at, f.state_id, f.result_info,
         -- Sportmonks' scores: one entry per side and description; CURRENT is the live or final score.
         (select (s -> 'score' ->> 'goals')::integer from jsonb_array_elements(coalesce(f.scores, '[]')) s
           where s ->> 'description' = 'CURRENT' and s -> 'score' ->> 'participant' = 'home' limit 1),
         (select (s -> 'score' ->> 'goals')::integer from jsonb_array_elements(coalesce(f.scores, '[]')) s
           where s ->> 'description' = 'CURRENT' and s -> 'score' ->> 'participant' = 'away' limit 1),
         f.is_final, f.collected_at, f.last_execution_id
    from watermark.fixtures f
   where f.collected_at is not null
   order by f.collected_at desc, f.id desc
   limit max_rows;
end
$$;
grant execute on function public.list_recent_fixtures(integer) to authenticated, service_role;

-- Applied migrations, newest first, for the pre-flight "migrations are current" check.
create function public.list_applied_migrations()
returns table (version text, name text)
language plpgsql
stable
security definer  -- supabase_migrations is readable only by its owner; versions and names are no secret
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_applied_migrations');
  if to_regclass('supabase_migrations.schema_migrations') is null then
    return;
  end if;
  return query execute
    'select m.version::text, m.name::text from supabase_migrations.schema_migrations m order by m.version desc';
end
$$;
revoke execute on function public.list_applied_migrations() from public;
grant execute on function public.list_applied_migrations() to authenticated, service_role;

-- The access audit: who changed what (audit_log: rules, channels, settings; chunk_audit:
-- checkpoints, requeues), and every recorded call (those changes, runs started, function
-- invocations) per UTC hour and per caller over the last `hours` hours.
create function public.get_access_audit(hours integer default 24, max_rows integer default 50)
returns jsonb
language plpgsql
stable
security definer  -- audit_log is operator-only; viewers get its actor/action/target/details, which hold no secret
set search_path = ''
as $$
declare
  window_start timestamptz;
  result jsonb;
begin
  perform watermark.require_access(1, 'get_access_audit');
  if hours is null or hours not between 1 and 168 then
    perform watermark.raise_invalid('hours', 'must be between 1 and 168');
  end if;
  if max_rows is null or max_rows not between 1 and 500 then
    perform watermark.raise_invalid('max_rows', 'must be between 1 and 500');
  end if;
  window_start := date_trunc('hour', now(), 'UTC') - make_interval(hours => get_access_audit.hours - 1);

  with changes as (
    select a.occurred_at as at, a.actor, a.action, a.target, a.details, 'audit_log' as source
      from watermark.audit_log a where a.occurred_at >= window_start
    union all
    select c.created_at, c.actor, c.action, c.chunk_id, c.details, 'chunk_audit'
      from watermark.chunk_audit c where c.created_at >= window_start
  ),
  calls as (
    select ch.at, ch.actor, ch.action, ch.target from changes ch
    union all
    select x.started_at, x.created_by, 'start_etl_execution', x.pipeline || ' ' || x.execution_id
      from watermark.etl_executions x where x.started_at >= window_start
    union all
    select i.requested_at, case i.trigger when 'schedule' then 'pg_cron' else i.trigger end,
           'invoke ' || i.function_name, i.status || coalesce(' ' || i.status_code, '')
      from watermark.function_invocations i where i.requested_at >= window_start
  )
  select jsonb_build_object(
    'window_start', window_start,
    'per_hour', (
      select jsonb_agg(jsonb_build_object('hour', h.hour, 'calls', coalesce(n.calls, 0), 'changes', coalesce(n.changes, 0))
                       order by h.hour)
        from generate_series(window_start, date_trunc('hour', now(), 'UTC'), interval '1 hour') h(hour)
        left join (
          select date_trunc('hour', c.at, 'UTC') as hour, count(*) as calls,
                 count(*) filter (where c.action not like 'invoke %' and c.action <> 'start_etl_execution') as changes
            from calls c group by 1) n on n.hour = h.hour),
    'top_callers', (
      select coalesce(jsonb_agg(t order by t.calls desc, t.actor), '[]')
        from (select c.actor, count(*) as calls, max(c.at) as last_at from calls c
               group by c.actor order by count(*) desc, c.actor limit 10) t),
    'changes', (
      select coalesce(jsonb_agg(t order by t.at desc), '[]')
        from (select * from changes ch order by ch.at desc limit max_rows) t),
    'recent', (
      select coalesce(jsonb_agg(t order by t.at desc), '[]')
        from (select * from calls c order by c.at desc limit max_rows) t)
  ) into result;
  return result;
end
$$;
revoke execute on function public.get_access_audit(integer, integer) from public;
grant execute on function public.get_access_audit(integer, integer) to authenticated, service_role;
