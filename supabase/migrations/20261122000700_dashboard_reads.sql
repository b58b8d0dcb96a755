-- Why: the web dashboard's pages need figures no read RPC served: runs and rows
-- per day (the overview's charts), what a run did chunk by chunk, every pipeline
-- that ever reported with one status, the latest collected fixtures, the applied
-- migrations (pre-flight) and the access audit, which only operators could read.
-- All are viewer reads; each answers from an index at dashboard volume
-- (1 M logs, 100 k runs, 50 pipelines: see `npm run bench`).

-- Runs, rows extracted and rows upserted per UTC day x pipeline x status over the last `days`
-- days (today included), every pipeline (a pipeline's page keeps its own). Days without runs
-- are absent: the page fills them with zeros.
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
  select d.day, d.pipeline, d.status, d.runs, d.rows_extracted, d.rows_upserted
    from watermark.etl_execution_daily d
   where d.day >= (now() at time zone 'UTC')::date - (get_run_series.days - 1)
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
         coalesce(day.runs, 0), coalesce(day.failures, 0), live.running
    from names n
    left join control c on c.pipeline = n.name
    left join lateral (
      select x.execution_id, x.status, x.started_at, x.duration_seconds, x.rows_written
        from watermark.etl_executions x
       where x.pipeline = n.name and x.status <> 'RUNNING'
       order by x.started_at desc limit 1) last on true
    -- The last 24 h per pipeline from etl_executions_pipeline_started_at_idx alone (it
    -- carries the status): tens of thousands of runs a day at scale, no heap read.
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
  -- Counted per hour and caller in each source before they meet; a day's runs (tens of
  -- thousands at scale) come counted from the hourly rollup (the window is whole hours).
  tally as (
    select date_trunc('hour', ch.at, 'UTC') as hour, ch.actor, count(*) as calls,
           count(*) filter (where ch.action not like 'invoke %' and ch.action <> 'start_etl_execution') as changes,
           max(ch.at) as last_at
      from changes ch group by 1, 2
    union all
    select h.hour, h.created_by, sum(h.runs)::bigint, 0, null::timestamptz
      from watermark.etl_execution_hourly h where h.hour >= window_start group by 1, 2
    union all
    select date_trunc('hour', i.requested_at, 'UTC'), case i.trigger when 'schedule' then 'pg_cron' else i.trigger end,
           count(*), 0, max(i.requested_at)
      from watermark.function_invocations i where i.requested_at >= window_start group by 1, 2
  )
  select jsonb_build_object(
    'window_start', window_start,
    'per_hour', (
      select jsonb_agg(jsonb_build_object('hour', h.hour, 'calls', coalesce(n.calls, 0), 'changes', coalesce(n.changes, 0))
                       order by h.hour)
        from generate_series(window_start, date_trunc('hour', now(), 'UTC'), interval '1 hour') h(hour)
        left join (select t.hour, sum(t.calls)::bigint as calls, sum(t.changes)::bigint as changes from tally t group by 1) n
          on n.hour = h.hour),
    'top_callers', (
      -- A top caller's newest run, from etl_executions_created_by_idx: the rollup has no times.
      select coalesce(jsonb_agg(jsonb_build_object('actor', t.actor, 'calls', t.calls, 'last_at',
                        greatest(t.last_at, (select max(x.started_at) from watermark.etl_executions x
                                              where x.created_by = t.actor and x.started_at >= window_start)))
                      order by t.calls desc, t.actor), '[]')
        from (select c.actor, sum(c.calls)::bigint as calls, max(c.last_at) as last_at from tally c
               group by c.actor order by sum(c.calls) desc, c.actor limit 10) t),
    'changes', (
      select coalesce(jsonb_agg(t order by t.at desc), '[]')
        from (select * from changes ch order by ch.at desc limit max_rows) t),
    -- The newest of each source (newest first on its own index), then the newest of those.
    'recent', (
      select coalesce(jsonb_agg(t order by t.at desc), '[]')
        from (select * from (
                (select ch.at, ch.actor, ch.action, ch.target from changes ch order by ch.at desc limit max_rows)
                union all
                (select x.started_at, x.created_by, 'start_etl_execution', x.pipeline || ' ' || x.execution_id
                   from watermark.etl_executions x where x.started_at >= window_start
                  order by x.started_at desc limit max_rows)
                union all
                (select i.requested_at, case i.trigger when 'schedule' then 'pg_cron' else i.trigger end,
                        'invoke ' || i.function_name, i.status || coalesce(' ' || i.status_code, '')
                   from watermark.function_invocations i where i.requested_at >= window_start
                  order by i.requested_at desc limit max_rows)) c
               order by c.at desc limit max_rows) t)
  ) into result;
  return result;
end
$$;
revoke execute on function public.get_access_audit(integer, integer) from public;
grant execute on function public.get_access_audit(integer, integer) to authenticated, service_role;

-- RFC 4180 CSV of a JSON array of flat objects: the header is the first object's keys;
-- nested values are written as JSON; cells with a comma, quote or line break are quoted.
create function watermark.jsonb_rows_to_csv(rows jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  with cols as (
    select array_agg(k order by o) as names
      from jsonb_object_keys(coalesce(rows -> 0, '{}')) with ordinality c(k, o)
  ),
  cell as (
    select r.i, c.o, case when v is null or jsonb_typeof(v) = 'null' then ''
                          when jsonb_typeof(v) = 'string' then v #>> '{}'
                          else v::text end as t
      from jsonb_array_elements(rows) with ordinality r(e, i)
     cross join cols
     cross join unnest(cols.names) with ordinality c(k, o)
     cross join lateral (select r.e -> c.k as v) x
  ),
  quoted as (
    select i, o, case when t ~ '[",\r\n]' then '"' || replace(t, '"', '""') || '"' else t end as t from cell
  )
  select coalesce((select array_to_string(names, ',') || E'\r\n' from cols where names is not null), '')
      || coalesce((select string_agg(line, E'\r\n' order by i) || E'\r\n'
                     from (select i, string_agg(t, ',' order by o) as line from quoted group by i) l), '')
$$;
grant execute on function watermark.jsonb_rows_to_csv(jsonb) to authenticated, service_role;

-- Executions, logs, metric samples and alert transitions of a time range as JSON (arrays of
-- objects) or CSV (one text per kind, header first), for other tools. The range is
-- [since, until); each kind keeps its newest `max_rows`, and `truncated` names those cut.
create function public.export_monitoring(
  since timestamptz,
  until timestamptz default now(),
  format text default 'json',
  max_rows integer default 10000
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  kinds jsonb;
  truncated text[] := '{}';
  csv jsonb := '{}';
  k text;
  n integer;
begin
  perform watermark.require_access(1, 'export_monitoring');
  if since is null then
    perform watermark.raise_invalid('since', 'is required: the start of the time range');
  end if;
  if until is null or until <= since then
    perform watermark.raise_invalid('until', 'must be later than since');
  end if;
  if export_monitoring.format is null or export_monitoring.format not in ('json', 'csv') then
    perform watermark.raise_invalid('format', 'must be json or csv');
  end if;
  if max_rows is null or max_rows not between 1 and 100000 then
    perform watermark.raise_invalid('max_rows', 'must be between 1 and 100000');
  end if;

  select jsonb_build_object(
    'executions', (select coalesce(jsonb_agg(to_jsonb(t) order by t.started_at), '[]') from (
        select x.execution_id, x.pipeline, x.trigger, x.status, x.started_at, x.finished_at, x.duration_seconds,
               x.processed_fixtures, x.successful_fixtures, x.failed_fixtures, x.processed_chunks, x.total_chunks,
               x.rows_written, x.error_message, x.created_by
          from watermark.etl_executions x
         where x.started_at >= since and x.started_at < until
         order by x.started_at desc limit max_rows + 1) t),
    'logs', (select coalesce(jsonb_agg(to_jsonb(t) order by t.log_id), '[]') from (
        select l.log_id, l."timestamp", l.level, l.component, l.message, l.details, l.execution_id, l.chunk_id,
               l.fixture_id, l.duration_ms, l.pipeline
          from watermark.etl_logs l
         where l."timestamp" >= since and l."timestamp" < until
         order by l."timestamp" desc limit max_rows + 1) t),
    'metrics', (select coalesce(jsonb_agg(to_jsonb(t) order by t.metric_id), '[]') from (
        select m.metric_id, m."timestamp", m.metric_name, m.metric_value, m.metric_unit, m.metric_kind, m.tags,
               m.execution_id, m.pipeline
          from watermark.etl_metrics m
         where m."timestamp" >= since and m."timestamp" < until
         order by m."timestamp" desc limit max_rows + 1) t),
    'alerts', (select coalesce(jsonb_agg(to_jsonb(t) order by t.history_id), '[]') from (
        select h.history_id, h.at, h.fingerprint, h.rule_id, h.scope_key, h.from_state, h.to_state, h.value, h.threshold
          from watermark.alert_history h
         where h.at >= since and h.at < until
         order by h.at desc limit max_rows + 1) t))
    into kinds;

  -- One extra row was read per kind to tell a full range from a cut one.
  foreach k in array array['executions', 'logs', 'metrics', 'alerts'] loop
    n := jsonb_array_length(kinds -> k);
    if n > max_rows then
      truncated := truncated || k;
      kinds := jsonb_set(kinds, array[k], (select jsonb_agg(e order by i) from jsonb_array_elements(kinds -> k) with ordinality a(e, i) where i > 1));
    end if;
  end loop;

  if export_monitoring.format = 'csv' then
    foreach k in array array['executions', 'logs', 'metrics', 'alerts'] loop
      csv := csv || jsonb_build_object(k, watermark.jsonb_rows_to_csv(kinds -> k));
    end loop;
    kinds := csv;
  end if;
  return jsonb_build_object('since', since, 'until', until, 'format', export_monitoring.format,
                            'truncated', to_jsonb(truncated)) || kinds;
end
$$;
grant execute on function public.export_monitoring(timestamptz, timestamptz, text, integer) to authenticated, service_role;

-- A pipeline's figures over time (the pipeline page's chart): etl_control keeps
-- only the latest report, so each report also leaves the day's last values here.
-- One row per pipeline x entity x UTC day; a row older than 400 days is dropped
-- by the same trigger, so the table stays small without a retention job.
create table watermark.etl_control_daily (
  pipeline text not null,
  entity text not null,
  day date not null,
  source_total bigint,
  target_total bigint,
  pending bigint,
  last_success_at timestamptz,
  source_max_updated_at timestamptz,
  target_max_updated_at timestamptz,
  last_duration_seconds numeric,
  throughput_rows_per_sec numeric,
  updated_at timestamptz not null,
  primary key (pipeline, entity, day)
);
comment on table watermark.etl_control_daily is
  'Derived: the last etl_control values of each UTC day per pipeline and entity. Maintained by a trigger; never write it directly.';
alter table watermark.etl_control_daily enable row level security;
create policy "viewers can read daily pipeline figures" on watermark.etl_control_daily
  for select to authenticated using ((select watermark.access_level()) >= 1);
grant select on watermark.etl_control_daily to authenticated, service_role;

create function watermark.record_control_day()
returns trigger
language plpgsql
-- Definer: report_pipeline_status runs as the service role, which has no write grant here.
security definer
set search_path = ''
as $$
begin
  insert into watermark.etl_control_daily as d (pipeline, entity, day, source_total, target_total, pending, last_success_at,
    source_max_updated_at, target_max_updated_at, last_duration_seconds, throughput_rows_per_sec, updated_at)
  values (new.pipeline, new.entity, (now() at time zone 'UTC')::date, new.source_total, new.target_total,
    new.pending_since_watermark, new.last_success_at, new.source_max_updated_at, new.target_max_updated_at,
    new.last_duration_seconds, new.last_throughput_rows_per_sec, now())
  on conflict (pipeline, entity, day) do update set
    source_total = excluded.source_total, target_total = excluded.target_total, pending = excluded.pending,
    last_success_at = excluded.last_success_at, source_max_updated_at = excluded.source_max_updated_at,
    target_max_updated_at = excluded.target_max_updated_at, last_duration_seconds = excluded.last_duration_seconds,
    throughput_rows_per_sec = excluded.throughput_rows_per_sec, updated_at = excluded.updated_at;
  delete from watermark.etl_control_daily d
   where d.pipeline = new.pipeline and d.entity = new.entity and d.day < (now() at time zone 'UTC')::date - 400;
  return null;
end
$$;
create trigger etl_control_record_day after insert or update on watermark.etl_control
  for each row execute function watermark.record_control_day();
-- Today's figures for what already reported.
insert into watermark.etl_control_daily (pipeline, entity, day, source_total, target_total, pending, last_success_at,
  source_max_updated_at, target_max_updated_at, last_duration_seconds, throughput_rows_per_sec, updated_at)
select e.pipeline, e.entity, (now() at time zone 'UTC')::date, e.source_total, e.target_total, e.pending_since_watermark,
       e.last_success_at, e.source_max_updated_at, e.target_max_updated_at, e.last_duration_seconds,
       e.last_throughput_rows_per_sec, now()
  from watermark.etl_control e;

-- A pipeline's coverage, pending work, freshness, duration and throughput per UTC
-- day over the last `days` days (one row per entity and day it reported).
create function public.get_pipeline_history(pipeline text, days integer default 14)
returns table (
  day date,
  entity text,
  coverage_percent numeric,
  pending bigint,
  freshness_minutes numeric,
  last_duration_seconds numeric,
  throughput_rows_per_sec numeric
)
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'get_pipeline_history');
  if get_pipeline_history.pipeline is null or length(get_pipeline_history.pipeline) = 0 then
    perform watermark.raise_invalid('pipeline', 'is required (list them with list_pipelines)');
  end if;
  if get_pipeline_history.days is null or get_pipeline_history.days not between 1 and 400 then
    perform watermark.raise_invalid('days', format('must be between 1 and 400, got %s', get_pipeline_history.days));
  end if;
  return query
  select d.day, d.entity,
         case when d.source_total > 0 then round(100.0 * coalesce(d.target_total, 0) / d.source_total, 2)
              when d.source_total = 0 then 100.0 end,
         d.pending,
         -- As get_pipeline_status says it: the target's lag behind the source, else the age of the last success, that day.
         round((extract(epoch from coalesce(greatest(d.source_max_updated_at - d.target_max_updated_at, interval '0'),
                                            d.updated_at - d.last_success_at)) / 60)::numeric, 1),
         d.last_duration_seconds, d.throughput_rows_per_sec
    from watermark.etl_control_daily d
   where d.pipeline = get_pipeline_history.pipeline
     and d.day > (now() at time zone 'UTC')::date - get_pipeline_history.days
   order by d.day, d.entity;
end
$$;
grant execute on function public.get_pipeline_history(text, integer) to authenticated, service_role;
