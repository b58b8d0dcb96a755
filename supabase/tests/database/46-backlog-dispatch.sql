-- Backlog-driven dispatch of collect (migration 000460): a run that ends with
-- progress while chunks are claimable queues the next invocation at once; idle,
-- nothing; no chaining after a failed or fruitless run or while the rate limit
-- is spent past what a function can wait; never more than max_workers; settings
-- validated (the field named) and audited; the overview shows the backlog.
begin;
select plan(32);

-- Configured like a deployed project, so invocations reach pg_net's queue.
select tests.authenticate_as('operator');
select lives_ok($$select public.set_functions_base_url('http://127.0.0.1:9/functions/v1')$$, 'base URL set');
select lives_ok($$select public.rotate_schedule_trigger_credential()$$, 'schedule credential created');
select lives_ok($$select public.configure_function_schedule('collect', '*/10 * * * *', true, '{"batch_size": 40}')$$,
  'the collect schedule has a body');
select tests.clear_authentication();

create temporary view backlog_invocations as
  select i.* from watermark.function_invocations i where i.function_name = 'collect' and i.trigger = 'backlog';
create temporary view last_decision as
  select s.reason, s.decision, s.enqueued from watermark.backlog_dispatch_state s;

-- A run of a collect invocation, as the function records it (start_etl_execution with the invocation's id).
create function pg_temp.start_run(run text, trigger text default 'schedule') returns void language sql as $$
  insert into watermark.etl_executions (execution_id, trigger, correlation_id)
  values (run, trigger, 'invocation:' || watermark.invoke_function('collect', '{}', trigger))
$$;

-- Idle: no chunk needs work, nothing is queued.
select is(watermark.dispatch_collect_backlog('tick') ->> 'decision', 'idle', 'no claimable chunk: idle');
select is((select count(*) from backlog_invocations), 0::bigint, 'idle: no backlog invocation');

-- Three undiscovered seasons: three claimable chunks.
insert into watermark.leagues (id) values (1);
insert into watermark.seasons (id, league_id) values (11, 1), (12, 1), (13, 1);
insert into watermark.chunks (chunk_id, league_id, season_id) values ('1_11', 1, 11), ('1_12', 1, 12), ('1_13', 1, 13);

-- A scheduled run starts: with one worker allowed, it is the worker.
select pg_temp.start_run('run_a');
select results_eq($$select reason, decision, enqueued from last_decision$$,
  $$values ('run_started', 'at_capacity', 0)$$, 'a starting run fills the single worker slot');

-- It ends having made progress, chunks still claimable: the next invocation is queued at once.
select public.finish_etl_execution('run_a', 'COMPLETED', successful_fixtures => 50, processed_chunks => 1);
select results_eq($$select reason, decision, enqueued from last_decision$$,
  $$values ('run_finished', 'enqueued', 1)$$, 'a run ending with progress and backlog chains the next invocation');
select results_eq(
  $$select i.status, q.headers ->> 'x-watermark-invocation-trigger', convert_from(q.body, 'UTF8')::jsonb
      from backlog_invocations i join net.http_request_queue q on q.id = i.request_id$$,
  $$values ('queued', 'backlog', '{"batch_size": 40}'::jsonb)$$,
  'queued through pg_net as a backlog invocation with the schedule''s body');

-- Worker cap: two allowed, one invocation starting; the tick tops up by one, then stops.
select tests.authenticate_as('operator');
select is(public.set_backlog_dispatch_settings(max_workers => 2) ->> 'max_workers', '2', 'an operator allows two workers');
select tests.clear_authentication();
select is(watermark.dispatch_collect_backlog('tick') ->> 'enqueued', '1', 'the tick tops up to max_workers');
select is(watermark.dispatch_collect_backlog('tick') ->> 'decision', 'at_capacity', 'and then queues no more');
select is((select count(*) from backlog_invocations), 2::bigint, 'two backlog invocations in all: the cap holds');

-- A queued worker counts until its run starts: starting both keeps the cap.
insert into watermark.etl_executions (execution_id, trigger, correlation_id)
  select 'run_b' || row_number() over (order by i.id), 'backlog', 'invocation:' || i.id from backlog_invocations i;
select is(watermark.dispatch_collect_backlog('tick') ->> 'decision', 'at_capacity', 'two running workers: at capacity');

-- No progress, or failure: no chaining.
select public.finish_etl_execution('run_b1', 'COMPLETED', successful_fixtures => 0, processed_chunks => 0);
select results_eq($$select reason, decision, enqueued from last_decision$$,
  $$values ('run_finished', 'no_progress', 0)$$, 'a run that collected nothing chains nothing');
select public.finish_etl_execution('run_b2', 'FAILED', error_message => 'boom');
select results_eq($$select reason, decision, enqueued from last_decision$$,
  $$values ('run_finished', 'no_progress', 0)$$, 'a failed run chains nothing');
select is(watermark.dispatch_collect_backlog('tick') ->> 'decision', 'no_progress',
  'nor does the tick after a fruitless run: the collect schedule''s cadence takes over');
select is((select count(*) from backlog_invocations), 2::bigint, 'still two backlog invocations');

-- Rate limit spent until well after what a function waits: wait for the reset.
insert into watermark.api_rate_limits (entity, remaining, resets_at) values ('Fixture', 5, now() + interval '10 minutes');
select pg_temp.start_run('run_c');
select public.finish_etl_execution('run_c', 'COMPLETED', successful_fixtures => 50);
select results_eq($$select decision, enqueued, wait_until from watermark.backlog_dispatch_state$$,
  $$values ('rate_limited', 0, now() + interval '10 minutes')$$, 'a spent rate limit: no invocation, wait until its reset');
select is(watermark.dispatch_collect_backlog('tick') ->> 'decision', 'rate_limited', 'the tick waits for the reset too');
-- Resetting within wait_in_function_seconds: one worker goes and waits for it inside the function.
update watermark.api_rate_limits set resets_at = now() + interval '20 seconds' where entity = 'Fixture';
select is(watermark.dispatch_collect_backlog('tick') ->> 'enqueued', '1', 'a reset 20 s away: one invocation waits for it');
select is(watermark.dispatch_collect_backlog('tick') ->> 'decision', 'enough_workers', 'only one while the budget is spent');
-- Reset passed: the budget is the API's again.
update watermark.api_rate_limits set resets_at = now() - interval '1 second' where entity = 'Fixture';

-- An invocation that never started its run stops the chain (no retry every tick).
update watermark.function_invocations set requested_at = now() - interval '5 minutes'
 where id = (select max(id) from backlog_invocations);
select is(watermark.dispatch_collect_backlog('tick') ->> 'decision', 'invocation_failed',
  'an invocation lost before starting its run stops the chain');

-- Disabled: nothing.
select tests.authenticate_as('operator');
select lives_ok($$select public.set_backlog_dispatch_settings(enabled => false)$$, 'an operator turns dispatch off');
select tests.clear_authentication();
select is(watermark.dispatch_collect_backlog('tick') ->> 'decision', 'disabled', 'disabled: nothing is queued');

-- Settings: each error names the field; viewers cannot change them; changes are audited.
select tests.authenticate_as('operator');
select throws_ok($$select public.set_backlog_dispatch_settings(max_workers => 0)$$, 'WM001',
  'max_workers: must be between 1 and 20 (collect invocations at once)', 'max_workers is validated');
select throws_ok($$select public.set_backlog_dispatch_settings(calls_per_hour => 0)$$, 'WM001',
  'calls_per_hour: must be between 1 and 1000000 (your plan''s calls per entity per hour, e.g. 3000)', 'calls_per_hour is validated');
select throws_ok($$select public.set_backlog_dispatch_settings(wait_in_function_seconds => 61)$$, 'WM001',
  'wait_in_function_seconds: must be between 0 and 60 (the collector waits at most 60 s for a reset)', 'the in-function wait is validated');
select throws_ok($$select public.set_backlog_dispatch_settings(tick_schedule => 'often')$$, 'WM001',
  'tick_schedule: must be a 5-field cron expression such as * * * * *, or ''N seconds'' on pg_cron 1.5+', 'the tick schedule is validated');
select tests.clear_authentication();
select tests.authenticate_as('viewer');
select throws_ok($$select public.set_backlog_dispatch_settings(max_workers => 3)$$, '42501',
  'permission denied: set_backlog_dispatch_settings needs operator access', 'a viewer cannot change the settings');
select is((public.get_backlog_dispatch_settings() ->> 'max_workers')::integer, 2, 'a viewer reads the settings');
select tests.clear_authentication();
select results_eq($$select action, details from watermark.audit_log where action = 'set_backlog_dispatch_settings' order by audit_id$$,
  $$values ('set_backlog_dispatch_settings', '{"max_workers": 2}'::jsonb), ('set_backlog_dispatch_settings', '{"enabled": false}'::jsonb)$$,
  'setting changes are audited with only what changed');

-- The overview shows the backlog to a viewer: three undiscovered chunks, one schedule call each.
select tests.authenticate_as('viewer');
select results_eq(
  $$select (b ->> 'chunks_claimable')::integer, (b ->> 'chunks_undiscovered')::integer, (b ->> 'calls_needed')::integer,
           (b ->> 'batch_size')::integer, (b #>> '{workers,max}')::integer, b #>> '{dispatch,decision}'
      from (select public.get_collection_overview() -> 'backlog' as b) o$$,
  $$values (3, 3, 3, 40, 2, 'disabled')$$,
  'get_collection_overview shows the backlog, the calls it needs, the workers and the last decision');
select tests.clear_authentication();

select * from finish();
rollback;
