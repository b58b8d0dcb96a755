-- Why: a first load (or any backlog) went at the collect schedule's pace: one
-- time-boxed invocation every 10 minutes, a 25 % duty cycle, while the API
-- allowed more. This migration drives collection by its backlog, inside pg_cron,
-- pg_net and the function (no other service):
--   * when a collect run started by an invocation ends having made progress and
--     claimable chunks remain, the next invocation is queued in the same
--     transaction (pg_net sends it after commit): no wait for a cron tick;
--   * up to max_workers leased workers run at once (a run starting tops the
--     workers up), for when call latency rather than the rate limit binds;
--   * no chaining after a run that failed or made no progress, or while the
--     rate limit is spent (its reset, in api_rate_limits, says until when);
--   * a pg_cron tick (every minute on pg_cron 1.4; '10 seconds' on 1.5+) resumes
--     after a reset; idle, only the collect schedule's own cadence remains.
-- It also moves get_collection_overview here, to show the backlog and the
-- expected time to drain it.

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

create table watermark.backlog_dispatch_settings (
  singleton boolean primary key default true check (singleton),
  enabled boolean not null default true,
  -- Collect workers (function invocations, each leasing one chunk at a time) at once.
  max_workers integer not null default 1 check (max_workers between 1 and 20),
  -- The rate-limit entity whose budget bounds collection, and the plan's calls per hour for it
  -- (Sportmonks plans: 2,000 to 5,000 per entity per hour).
  rate_limit_entity text not null default 'Fixture' check (length(rate_limit_entity) between 1 and 100),
  calls_per_hour integer not null default 3000 check (calls_per_hour between 1 and 1000000),
  -- The budget counts as spent at or below this many calls (the Sportmonks client's reserve).
  rate_limit_reserve integer not null default 10 check (rate_limit_reserve between 0 and 1000),
  -- A reset this close is waited for inside the next invocation (the collector waits up to a
  -- quarter of its time budget, at most 60 s); a later one waits for the tick after it.
  wait_in_function_seconds integer not null default 30 check (wait_in_function_seconds between 0 and 60),
  -- An invocation that has not started its run this long after it was queued is lost: it
  -- counts as no worker, and it stops the chain until a run makes progress again.
  start_grace_seconds integer not null default 60 check (start_grace_seconds between 10 and 600),
  -- The pg_cron schedule of the dispatch tick (watermark-dispatch-collect-backlog).
  tick_schedule text not null default '* * * * *',
  updated_at timestamptz not null default now(),
  updated_by text
);
insert into watermark.backlog_dispatch_settings default values;
alter table watermark.backlog_dispatch_settings enable row level security;
create policy "viewers can read the backlog dispatch settings" on watermark.backlog_dispatch_settings
  for select to authenticated using ((select watermark.access_level()) >= 1);
-- Read-only to every API role: set_backlog_dispatch_settings (definer) is the only writer.
grant select on watermark.backlog_dispatch_settings to authenticated, service_role;
comment on table watermark.backlog_dispatch_settings is
  'How the backlog drives collect invocations; change it with set_backlog_dispatch_settings().';

-- The dispatcher's last decision, so the dashboard can say why nothing (or what) was queued.
create table watermark.backlog_dispatch_state (
  singleton boolean primary key default true check (singleton),
  decided_at timestamptz,
  reason text,
  decision text,
  enqueued integer not null default 0,
  active_workers integer,
  claimable_chunks integer,
  wait_until timestamptz,
  execution_id text,
  -- When a backlog invocation was last queued.
  last_enqueued_at timestamptz
);
insert into watermark.backlog_dispatch_state default values;
alter table watermark.backlog_dispatch_state enable row level security;
create policy "viewers can read the backlog dispatch state" on watermark.backlog_dispatch_state
  for select to authenticated using ((select watermark.access_level()) >= 1);
grant select on watermark.backlog_dispatch_state to authenticated, service_role;
comment on table watermark.backlog_dispatch_state is
  'The backlog dispatcher''s last decision (dispatch_collect_backlog): what it queued, or why not.';

-- Runs started by an invocation carry correlation_id 'invocation:<function_invocations.id>':
-- the dispatcher looks a queued invocation's run up by it.
create index etl_executions_correlation_id_idx on watermark.etl_executions (correlation_id)
  where correlation_id is not null;

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

-- The collect invocation a run belongs to (its correlation id), or null.
create function watermark.collect_invocation_of(correlation_id text)
returns bigint
language sql
stable
set search_path = ''
as $$
  select i.id from watermark.function_invocations i
   where collect_invocation_of.correlation_id ~ '^invocation:[0-9]{1,18}$'
     and i.id = substr(collect_invocation_of.correlation_id, 12)::bigint
     and i.function_name = 'collect'
$$;

-- Whether a finished run moved the collection forward: a run that failed, or
-- collected and completed nothing, is no reason to start another at once.
create function watermark.run_made_progress(x watermark.etl_executions)
returns boolean
language sql
stable
set search_path = ''
as $$
  select x.status = 'COMPLETED'
     and (coalesce(x.successful_fixtures, 0) > 0 or coalesce(x.processed_chunks, 0) > 0 or coalesce(x.rows_written, 0) > 0)
$$;

-- Collect workers now: runs of collect invocations still RUNNING, and invocations
-- queued within the start grace whose run has not started yet.
create function watermark.collect_worker_counts(start_grace_seconds integer, out running integer, out starting integer)
language sql
stable
set search_path = ''
as $$
  select
    (select count(*)::integer from watermark.etl_executions x
      where x.status = 'RUNNING' and watermark.collect_invocation_of(x.correlation_id) is not null),
    (select count(*)::integer from watermark.function_invocations i
      where i.function_name = 'collect'
        and i.requested_at > now() - make_interval(secs => collect_worker_counts.start_grace_seconds)
        and i.status in ('queued', 'succeeded')
        and not exists (select 1 from watermark.etl_executions x where x.correlation_id = 'invocation:' || i.id))
$$;

-- Claimable chunks (watermark.chunk_blocker is null, as claim_chunk decides), counted up to at_most.
create function watermark.count_claimable_chunks(at_most integer)
returns integer
language sql
stable
set search_path = ''
as $$
  with cfg as (select watermark.collection_settings_row() as s)
  select count(*)::integer from (
    select 1 from watermark.chunks ch, cfg
     where watermark.chunk_blocker(ch, (cfg.s).min_fixtures, cfg.s) is null
     limit at_most) claimable
$$;

-- Why the tick or a starting run may not add workers: an invocation queued after
-- the newest one whose run started never started its own, or the last collect run
-- ended without progress (unless the rate limit it met has reset since). Null when
-- nothing holds workers back.
create function watermark.backlog_chain_blocker(cfg watermark.backlog_dispatch_settings)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  last_run watermark.etl_executions;
  lost_at timestamptz;
begin
  select x.* into last_run from watermark.etl_executions x
   where x.finished_at is not null and watermark.collect_invocation_of(x.correlation_id) is not null
   -- Invocation ids break ties (runs finishing in one transaction share now()).
   order by x.finished_at desc, watermark.collect_invocation_of(x.correlation_id) desc
   limit 1;
  -- Lost: queued after the newest invocation whose run started, and still without a run.
  select max(i.requested_at) into lost_at from watermark.function_invocations i
   where i.function_name = 'collect'
     and i.id > coalesce((select max(watermark.collect_invocation_of(x.correlation_id)) from watermark.etl_executions x
                           where x.started_at > now() - interval '1 day' and x.correlation_id ~ '^invocation:[0-9]{1,18}$'), 0)
     and i.requested_at <= now() - make_interval(secs => cfg.start_grace_seconds)
     and not exists (select 1 from watermark.etl_executions x where x.correlation_id = 'invocation:' || i.id);
  if lost_at is not null then
    return 'invocation_failed';
  end if;
  if last_run.execution_id is not null and not watermark.run_made_progress(last_run)
     and not exists (select 1 from watermark.api_rate_limits r
                      where r.entity = cfg.rate_limit_entity and r.resets_at > last_run.finished_at and r.resets_at <= now()) then
    return 'no_progress';
  end if;
  return null;
end
$$;

-- The one dispatch decision. reason: run_finished (a collect run just ended:
-- finished_execution_id), run_started (top up beside it), tick (pg_cron).
-- Queues `backlog` invocations of collect with the collect schedule's body and
-- records the decision in backlog_dispatch_state; returns it.
create function watermark.dispatch_collect_backlog(reason text, finished_execution_id text default null)
returns jsonb
language plpgsql
-- Definer: invoke_function reads the owner-only function settings, and pg_net's
-- queue may be closed to the API roles whose runs end here.
security definer
set search_path = ''
as $$
declare
  cfg watermark.backlog_dispatch_settings;
  sched watermark.function_schedules;
  finished watermark.etl_executions;
  budget watermark.api_rate_limits;
  running integer := 0;
  starting integer := 0;
  claimable integer;
  wanted integer := 0;
  chosen text;
  resume_at timestamptz;
  queued bigint[] := '{}';
begin
  perform watermark.require_access(3, 'dispatch_collect_backlog');
  if reason is null or reason not in ('run_finished', 'run_started', 'tick') then
    perform watermark.raise_invalid('reason', 'must be run_finished, run_started or tick');
  end if;
  -- One dispatcher at a time: two runs ending together must not both fill the same free slot.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('watermark.dispatch_collect_backlog'));
  select * into cfg from watermark.backlog_dispatch_settings where singleton;
  select * into sched from watermark.function_schedules s where s.function_name = 'collect';
  select * into budget from watermark.api_rate_limits r where r.entity = cfg.rate_limit_entity;

  if reason = 'run_finished' then
    select * into finished from watermark.etl_executions x where x.execution_id = finished_execution_id;
  end if;

  chosen := case
    when not cfg.enabled then 'disabled'
    when sched.function_name is null or not sched.enabled or sched.paused_at is not null then 'schedule_off'
    when reason = 'run_finished' and not coalesce(watermark.run_made_progress(finished), false) then 'no_progress'
    when reason <> 'run_finished' then watermark.backlog_chain_blocker(cfg)
  end;
  if chosen is null and budget.remaining <= cfg.rate_limit_reserve and budget.resets_at > now()
     and budget.resets_at > now() + make_interval(secs => cfg.wait_in_function_seconds) then
    chosen := 'rate_limited';
    resume_at := budget.resets_at;
  end if;

  if chosen is null then
    select w.running, w.starting into running, starting from watermark.collect_worker_counts(cfg.start_grace_seconds) w;
    claimable := watermark.count_claimable_chunks(cfg.max_workers + 1);
    -- Each new worker needs a chunk no queued worker will claim first.
    wanted := least(cfg.max_workers - running - starting, claimable - starting);
    -- A spent budget resetting soon: one worker waits for it inside the function.
    if budget.remaining <= cfg.rate_limit_reserve and budget.resets_at > now() then
      wanted := least(wanted, 1 - running - starting);
    end if;
    chosen := case
      when claimable = 0 then 'idle'
      when running + starting >= cfg.max_workers then 'at_capacity'
      when wanted <= 0 then 'enough_workers'
      else 'enqueued'
    end;
    for i in 1 .. greatest(wanted, 0) loop
      queued := queued || watermark.invoke_function('collect', sched.body, 'backlog');
    end loop;
  end if;

  update watermark.backlog_dispatch_state s
     set decided_at = now(), reason = dispatch_collect_backlog.reason, decision = chosen,
         enqueued = cardinality(queued), active_workers = running + starting + cardinality(queued),
         claimable_chunks = claimable, wait_until = resume_at,
         execution_id = finished_execution_id,
         last_enqueued_at = case when cardinality(queued) > 0 then now() else s.last_enqueued_at end
   where s.singleton;
  return jsonb_build_object('decision', chosen, 'reason', reason, 'enqueued', cardinality(queued),
    'invocation_ids', to_jsonb(queued), 'running', running, 'starting', starting,
    'claimable_chunks', claimable, 'wait_until', resume_at);
end
$$;
-- Runs that end or start under the service role fire the dispatch (trigger below).
grant execute on function watermark.dispatch_collect_backlog(text, text) to service_role;
comment on function watermark.dispatch_collect_backlog(text, text) is
  'Queues backlog invocations of collect while claimable chunks need work (see the migration header); returns the decision.';

-- A collect run starting or ending is the moment to chain or top up. Never fails the
-- caller's start or finish: a dispatch error is logged as a warning and the tick retries.
create function watermark.dispatch_on_collect_run()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  begin
    perform watermark.dispatch_collect_backlog(
      case when tg_op = 'INSERT' then 'run_started' else 'run_finished' end, new.execution_id);
  exception when others then
    raise warning 'backlog dispatch after run % failed: %', new.execution_id, sqlerrm;
  end;
  return null;
end
$$;

create trigger dispatch_backlog_after_collect_run_finished
  after update of status on watermark.etl_executions
  for each row
  when (old.status = 'RUNNING' and new.status <> 'RUNNING' and new.correlation_id ~ '^invocation:[0-9]{1,18}$')
  execute function watermark.dispatch_on_collect_run();

create trigger dispatch_backlog_after_collect_run_started
  after insert on watermark.etl_executions
  for each row
  when (new.correlation_id ~ '^invocation:[0-9]{1,18}$')
  execute function watermark.dispatch_on_collect_run();

-- (Re)schedules the dispatch tick in pg_cron, where pg_cron runs.
create function watermark.schedule_backlog_tick(tick_schedule text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if to_regclass('cron.job') is null then
    return;
  end if;
  execute 'select cron.schedule($1, $2, $3)'
    using 'watermark-dispatch-collect-backlog', tick_schedule, $cmd$select watermark.dispatch_collect_backlog('tick')$cmd$;
exception when invalid_parameter_value then
  perform watermark.raise_invalid('tick_schedule',
    format('pg_cron rejected %s; use a 5-field cron expression such as * * * * * (pg_cron 1.5+ also takes ''10 seconds'')', tick_schedule));
end
$$;

-- ---------------------------------------------------------------------------
-- RPCs: settings
-- ---------------------------------------------------------------------------

create function public.get_backlog_dispatch_settings()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'get_backlog_dispatch_settings');
  return (select to_jsonb(s) - 'singleton' from watermark.backlog_dispatch_settings s where s.singleton);
end
$$;
grant execute on function public.get_backlog_dispatch_settings() to authenticated, service_role;

create function public.set_backlog_dispatch_settings(
  enabled boolean default null,
  max_workers integer default null,
  rate_limit_entity text default null,
  calls_per_hour integer default null,
  rate_limit_reserve integer default null,
  wait_in_function_seconds integer default null,
  start_grace_seconds integer default null,
  tick_schedule text default null
)
returns jsonb
language plpgsql
-- Definer: operators are authenticated users without write grants on the table, and the
-- tick's pg_cron job must belong to the owner; require_access(2) below is the gate.
security definer
set search_path = ''
as $$
declare
  expr text := btrim(regexp_replace(set_backlog_dispatch_settings.tick_schedule, '\s+', ' ', 'g'));
  result watermark.backlog_dispatch_settings;
begin
  perform watermark.require_access(2, 'set_backlog_dispatch_settings');
  if max_workers not between 1 and 20 then
    perform watermark.raise_invalid('max_workers', 'must be between 1 and 20 (collect invocations at once)');
  end if;
  if length(btrim(rate_limit_entity)) not between 1 and 100 then
    perform watermark.raise_invalid('rate_limit_entity', 'must name the Sportmonks rate-limit entity, e.g. Fixture');
  end if;
  if calls_per_hour not between 1 and 1000000 then
    perform watermark.raise_invalid('calls_per_hour', 'must be between 1 and 1000000 (your plan''s calls per entity per hour, e.g. 3000)');
  end if;
  if rate_limit_reserve not between 0 and 1000 then
    perform watermark.raise_invalid('rate_limit_reserve', 'must be between 0 and 1000');
  end if;
  if wait_in_function_seconds not between 0 and 60 then
    perform watermark.raise_invalid('wait_in_function_seconds', 'must be between 0 and 60 (the collector waits at most 60 s for a reset)');
  end if;
  if start_grace_seconds not between 10 and 600 then
    perform watermark.raise_invalid('start_grace_seconds', 'must be between 10 and 600');
  end if;
  if tick_schedule is not null and not (
       expr ~ '^[1-5]?[0-9] seconds$' or (expr ~ '^(\S+ ){4}\S+$' and expr !~ '[^0-9A-Za-z*/,$ -]')) then
    perform watermark.raise_invalid('tick_schedule', 'must be a 5-field cron expression such as * * * * *, or ''N seconds'' on pg_cron 1.5+');
  end if;
  update watermark.backlog_dispatch_settings s set
    enabled = coalesce(set_backlog_dispatch_settings.enabled, s.enabled),
    max_workers = coalesce(set_backlog_dispatch_settings.max_workers, s.max_workers),
    rate_limit_entity = coalesce(btrim(set_backlog_dispatch_settings.rate_limit_entity), s.rate_limit_entity),
    calls_per_hour = coalesce(set_backlog_dispatch_settings.calls_per_hour, s.calls_per_hour),
    rate_limit_reserve = coalesce(set_backlog_dispatch_settings.rate_limit_reserve, s.rate_limit_reserve),
    wait_in_function_seconds = coalesce(set_backlog_dispatch_settings.wait_in_function_seconds, s.wait_in_function_seconds),
    start_grace_seconds = coalesce(set_backlog_dispatch_settings.start_grace_seconds, s.start_grace_seconds),
    tick_schedule = coalesce(expr, s.tick_schedule),
    updated_at = now(), updated_by = watermark.caller()
  where s.singleton
  returning * into result;
  if expr is not null then
    perform watermark.schedule_backlog_tick(result.tick_schedule);
  end if;
  -- Who changed which setting, for the access audit (only the settings passed).
  perform watermark.audit('set_backlog_dispatch_settings', 'backlog_dispatch_settings', jsonb_strip_nulls(jsonb_build_object(
    'enabled', enabled, 'max_workers', max_workers, 'rate_limit_entity', rate_limit_entity, 'calls_per_hour', calls_per_hour,
    'rate_limit_reserve', rate_limit_reserve, 'wait_in_function_seconds', wait_in_function_seconds,
    'start_grace_seconds', start_grace_seconds, 'tick_schedule', expr)));
  return to_jsonb(result) - 'singleton';
end
$$;
grant execute on function public.set_backlog_dispatch_settings(boolean, integer, text, integer, integer, integer, integer, text)
  to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Backlog and time to drain
-- ---------------------------------------------------------------------------

-- What collection still has to do and how long it should take: chunks and
-- fixtures needing work, the calls that takes at the collect schedule's batch
-- size, the workers, the rate limit's bound and the observed pace (fixtures
-- collected in the last 15 minutes); the expected drain time is the slower of
-- the two.
create function watermark.collection_backlog()
returns jsonb
language plpgsql
stable
-- Definer: chunk_blocker reads whole chunk rows, lease tokens included, which viewers
-- may not select; only counts leave this function. Callers check the access level.
security definer
set search_path = ''
as $$
declare
  cfg watermark.backlog_dispatch_settings;
  state watermark.backlog_dispatch_state;
  budget watermark.api_rate_limits;
  running integer;
  starting integer;
  batch integer;
  chunk_counts record;
  pending_fixtures bigint;
  calls bigint;
  usable_per_hour integer;
  available_now integer;
  bound_seconds numeric;
  recent bigint;
  pace numeric;
  pace_seconds numeric;
begin
  perform watermark.require_access(1, 'collection_backlog');
  select * into cfg from watermark.backlog_dispatch_settings where singleton;
  select * into state from watermark.backlog_dispatch_state where singleton;
  select * into budget from watermark.api_rate_limits r where r.entity = cfg.rate_limit_entity and r.resets_at > now();
  select w.running, w.starting into running, starting from watermark.collect_worker_counts(cfg.start_grace_seconds) w;
  select least(greatest(coalesce((s.body ->> 'batch_size')::integer, 50), 1), 50) into batch
    from watermark.function_schedules s where s.function_name = 'collect';
  batch := coalesce(batch, 50);

  -- Per chunk: claimable or leased with work; its due fixtures; undiscovered chunks cost a schedule call.
  select count(*) filter (where q.blocker is null) as claimable,
         count(*) filter (where q.blocker = 'leased') as leased,
         count(*) filter (where q.discovered_at is null and (q.blocker is null or q.blocker = 'leased')) as undiscovered,
         coalesce(sum(ceil(q.due::numeric / batch)) filter (where q.blocker is null or q.blocker = 'leased'), 0)
           + count(*) filter (where q.discovered_at is null and (q.blocker is null or q.blocker = 'leased')) as calls,
         coalesce(sum(q.due) filter (where q.blocker is null or q.blocker = 'leased'), 0) as due
    into chunk_counts
    from (select ch.discovered_at, watermark.chunk_blocker(ch, (cfg_c.s).min_fixtures, cfg_c.s) as blocker,
                 (select count(*) from watermark.fixtures f where f.season_id = ch.season_id and f.next_check_at <= now()) as due
            from watermark.chunks ch, (select watermark.collection_settings_row() as s) cfg_c) q;
  pending_fixtures := chunk_counts.due;
  calls := chunk_counts.calls;

  -- The rate limit's bound: what is left in this window now, then one window per usable budget.
  usable_per_hour := greatest(cfg.calls_per_hour - cfg.rate_limit_reserve, 1);
  available_now := greatest(coalesce(budget.remaining, cfg.calls_per_hour) - cfg.rate_limit_reserve, 0);
  bound_seconds := case
    when calls <= available_now then 0
    else coalesce(extract(epoch from budget.resets_at - now()), 3600)
         + (ceil((calls - available_now)::numeric / usable_per_hour) - 1) * 3600
  end;
  select count(*) into recent from watermark.fixtures f where f.collected_at > now() - interval '15 minutes';
  pace := recent / 15.0;
  pace_seconds := case when pace > 0 then pending_fixtures / pace * 60 end;

  return jsonb_build_object(
    'chunks_claimable', chunk_counts.claimable,
    'chunks_leased', chunk_counts.leased,
    'chunks_undiscovered', chunk_counts.undiscovered,
    'fixtures_needing_work', pending_fixtures,
    'calls_needed', calls,
    'batch_size', batch,
    'workers', jsonb_build_object('running', running, 'starting', starting, 'max', cfg.max_workers),
    'rate_limit', jsonb_build_object('entity', cfg.rate_limit_entity, 'calls_per_hour', cfg.calls_per_hour,
      'remaining', budget.remaining, 'resets_at', budget.resets_at),
    'fixtures_per_minute', round(pace, 1),
    'rate_limit_bound_seconds', round(bound_seconds),
    'expected_drain_seconds', case when calls = 0 then 0 else round(greatest(bound_seconds, coalesce(pace_seconds, 0))) end,
    'dispatch', jsonb_build_object('enabled', cfg.enabled, 'decision', state.decision, 'reason', state.reason,
      'decided_at', state.decided_at, 'wait_until', state.wait_until, 'last_enqueued_at', state.last_enqueued_at)
  );
end
$$;

grant execute on function watermark.collection_backlog() to authenticated, service_role;

-- One object for the dashboard's collection panel: chunk counts by status,
-- fixture coverage, pending work, freshness and throughput, and the backlog.
create function public.get_collection_overview()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  result jsonb;
begin
  perform watermark.require_access(1, 'get_collection_overview');
  select jsonb_build_object(
    'chunks', (select jsonb_build_object(
        'total', count(*),
        'pending', count(*) filter (where ch.status = 'pending'),
        'running', count(*) filter (where ch.status = 'running' and ch.lease_expires_at > now()),
        'stalled', count(*) filter (where ch.status = 'running' and (ch.lease_expires_at is null or ch.lease_expires_at <= now())),
        'done', count(*) filter (where ch.status = 'done'),
        'failed', count(*) filter (where ch.status = 'failed'),
        'not_in_plan', count(*) filter (where ch.not_in_plan_until > now()),
        'settled', count(*) filter (where ch.settled_at is not null),
        'undiscovered', count(*) filter (where ch.discovered_at is null))
      from watermark.chunks ch),
    'fixtures', (select jsonb_build_object(
        'discovered', count(*),
        'collected', count(*) filter (where f.collected_at is not null),
        'pending', count(*) filter (where f.needs_work),
        'failed', count(*) filter (where f.last_error is not null),
        'final', count(*) filter (where f.is_final),
        'settled', count(*) filter (where f.is_final and f.next_check_at is null),
        'next_check_at', min(f.next_check_at) filter (where f.next_check_at > now()),
        'coverage_percent', case when count(*) > 0
          then round(100.0 * count(*) filter (where f.collected_at is not null) / count(*), 2) end,
        'avg_quality_score', round(avg(f.quality_score) filter (where f.collected_at is not null), 1),
        'last_collected_at', max(f.collected_at),
        'freshness_minutes', round((extract(epoch from now() - max(f.collected_at)) / 60)::numeric, 1),
        'collected_last_hour', count(*) filter (where f.collected_at > now() - interval '1 hour'))
      from watermark.fixture_work f),
    'rate_limits', (select coalesce(jsonb_agg(jsonb_build_object('entity', r.entity, 'remaining', r.remaining,
        'resets_at', r.resets_at) order by r.entity), '[]') from watermark.api_rate_limits r),
    'backlog', watermark.collection_backlog()
  ) into result;
  return result;
end
$$;
grant execute on function public.get_collection_overview() to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Schedule
-- ---------------------------------------------------------------------------

do $$ begin perform watermark.schedule_backlog_tick('* * * * *'); end $$;
