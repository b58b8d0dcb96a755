-- start / heartbeat / finish: ids, validation, not-found and conflicts, counters,
-- the summary finish returns, and finished executions never changing.
begin;
select plan(44);

select tests.authenticate_as('service');

-- start_etl_execution
select is(public.start_etl_execution('exec_a', '{"max_chunks": 3}', 'collector', 'schedule', 'corr-1', 120),
  'exec_a', 'start returns the id it was given');
select matches(public.start_etl_execution(), '^etl_[0-9]{8}_[0-9]{6}_[0-9a-f]{6}$',
  'start generates etl_YYYYMMDD_HHMMSS_<6 hex> when no id is given');
select results_eq(
  $$select pipeline, trigger, status, config, correlation_id, heartbeat_timeout_seconds, created_by, finished_at
    from watermark.etl_executions where execution_id = 'exec_a'$$,
  $$values ('collector', 'schedule', 'RUNNING', '{"max_chunks": 3}'::jsonb, 'corr-1', 120, 'service_role', null::timestamptz)$$,
  'start records pipeline, trigger, config, correlation id, timeout and the caller');
select public.start_etl_execution('exec_upper', trigger => 'API');
select is((select trigger from watermark.etl_executions where execution_id = 'exec_upper'), 'api',
  'triggers are case-insensitive');
select throws_ok($$select public.start_etl_execution('exec_a')$$, 'WM003',
  'execution_id: execution ''exec_a'' already exists; use a new id or null to generate one',
  'starting an existing id is a conflict');
select throws_ok($$select public.start_etl_execution('bad id!')$$, 'WM001',
  'execution_id: must be 1 to 128 letters, digits, _ . : or - starting with a letter or digit; or null to generate one',
  'start rejects a malformed id');
select throws_ok($$select public.start_etl_execution(trigger => 'cron')$$, 'WM001',
  'trigger: unknown trigger ''cron''; use one of schedule, backlog, manual, api', 'start rejects an unknown trigger');
select throws_ok($$select public.start_etl_execution(pipeline => '')$$, 'WM001',
  'pipeline: must be a string of 1 to 100 characters naming the pipeline', 'start rejects an empty pipeline');
select throws_ok($$select public.start_etl_execution(config => '[1]')$$, 'WM001',
  'config: must be a JSON object; send {} for none', 'start rejects a config that is not an object');
select throws_ok($$select public.start_etl_execution(config => jsonb_build_object('blob', repeat('x', 70000)))$$, 'WM001',
  'config: is 70012 bytes of JSON, over the 64 KiB limit (65536 bytes); keep large payloads out of monitoring records',
  'start rejects an oversized config and names the limit');
select throws_ok($$select public.start_etl_execution(heartbeat_timeout_seconds => 5)$$, 'WM001',
  'heartbeat_timeout_seconds: must be between 10 and 86400 (got 5)', 'start rejects a too-short heartbeat timeout');
select throws_ok($$select public.start_etl_execution(correlation_id => repeat('c', 201))$$, 'WM001',
  'correlation_id: is longer than 200 characters', 'start rejects an oversized correlation id');

-- heartbeat_etl_execution
select is(public.heartbeat_etl_execution('exec_a', '{"total_fixtures": 10, "processed_fixtures": 5, "successful_fixtures": 4, "chunk": "2451_23026"}'),
  now(), 'heartbeat returns the new heartbeat time');
select results_eq(
  $$select total_fixtures, processed_fixtures, successful_fixtures, progress ->> 'chunk' from watermark.etl_executions
    where execution_id = 'exec_a'$$,
  $$values (10, 5, 4, '2451_23026')$$,
  'heartbeat progress updates the counters and keeps the rest as progress');
select throws_ok($$select public.heartbeat_etl_execution('exec_a', '{"processed_fixtures": -1}')$$, 'WM001',
  'progress.processed_fixtures: must be a non-negative integer', 'heartbeat rejects a negative counter');
select throws_ok($$select public.heartbeat_etl_execution('exec_a', '{"total_chunks": "3"}')$$, 'WM001',
  'progress.total_chunks: must be a non-negative integer', 'heartbeat rejects a counter that is not a number');
select throws_ok($$select public.heartbeat_etl_execution('exec_a', '"running"')$$, 'WM001',
  'progress: must be a JSON object; send {} for none', 'heartbeat rejects progress that is not an object');
select throws_ok($$select public.heartbeat_etl_execution('nope')$$, 'WM002',
  'execution_id: execution ''nope'' not found; start it with start_etl_execution first', 'heartbeat of an unknown execution');
select throws_ok($$select public.heartbeat_etl_execution('')$$, 'WM001',
  'execution_id: is required; pass the id start_etl_execution returned', 'heartbeat needs an id');

-- finish_etl_execution: validation first, and a failed call changes nothing.
select throws_ok($$select public.finish_etl_execution('exec_a', 'DONE')$$, 'WM001',
  'status: unknown status ''DONE''; use one of COMPLETED, FAILED, CANCELLED, ABANDONED', 'finish rejects an unknown status');
select throws_ok($$select public.finish_etl_execution('exec_a', 'RUNNING')$$, 'WM001',
  'status: must be a final status (COMPLETED, FAILED, CANCELLED or ABANDONED); use heartbeat_etl_execution while running',
  'finish rejects RUNNING');
select throws_ok($$select public.finish_etl_execution('exec_a', 'COMPLETED', failed_fixtures => -1)$$, 'WM001',
  'failed_fixtures: must not be negative (got -1)', 'finish rejects a negative counter');
select throws_ok($$select public.finish_etl_execution('exec_a', 'FAILED', error_message => repeat('e', 70000))$$, 'WM001',
  'error_message: is 70000 bytes, over the 64 KiB limit (65536 bytes); send the first part of the error',
  'finish rejects an oversized error message and names the limit');
select throws_ok($$select public.finish_etl_execution('nope', 'COMPLETED')$$, 'WM002',
  'execution_id: execution ''nope'' not found; start it with start_etl_execution first', 'finish of an unknown execution');
select is((select status from watermark.etl_executions where execution_id = 'exec_a'), 'RUNNING',
  'rejected finishes left the execution running');

-- A run of 100 s: rates come from the duration.
select tests.clear_authentication();
update watermark.etl_executions set started_at = now() - interval '100 seconds' where execution_id = 'exec_a';
select tests.authenticate_as('service');
select is(
  public.finish_etl_execution('exec_a', 'completed', processed_fixtures => 50, successful_fixtures => 45,
    failed_fixtures => 5, total_chunks => 2, processed_chunks => 2, rows_written => 1234)
  - array['started_at', 'finished_at', 'heartbeat_at', 'progress', 'config', 'log_counts'],
  jsonb_build_object('execution_id', 'exec_a', 'pipeline', 'collector', 'trigger', 'schedule', 'status', 'COMPLETED',
    'heartbeat_timeout_seconds', 120, 'duration_seconds', 100.000, 'duration_minutes', 1.67,
    'total_fixtures', 10, 'processed_fixtures', 50, 'successful_fixtures', 45, 'failed_fixtures', 5,
    'total_chunks', 2, 'processed_chunks', 2, 'rows_written', 1234, 'success_rate', 90.00,
    'processing_rate', 0.500, 'error_message', null, 'correlation_id', 'corr-1', 'created_by', 'service_role',
    'metric_count', 0),
  'finish returns the summary: status, durations, counters (kept from heartbeats when not given), success and processing rates');
select results_eq(
  $$select finished_at, duration_seconds from watermark.etl_executions where execution_id = 'exec_a'$$,
  $$values (now(), 100.000)$$,
  'finish records the finish time and duration');

-- Finished executions never change.
select throws_ok($$select public.finish_etl_execution('exec_a', 'FAILED')$$, 'WM003',
  'execution_id: execution ''exec_a'' is already COMPLETED; a finished execution never changes, start a new one',
  'finishing twice is a conflict');
select throws_ok($$select public.heartbeat_etl_execution('exec_a')$$, 'WM003',
  'execution_id: execution ''exec_a'' is already COMPLETED; a finished execution never changes, start a new one',
  'a heartbeat after finish is a conflict');
select throws_ok($$update watermark.etl_executions set status = 'RUNNING', finished_at = null where execution_id = 'exec_a'$$,
  'WM003', 'execution_id: execution ''exec_a'' is already COMPLETED; a finished execution never changes, start a new one',
  'the service role cannot reopen a finished execution directly');
select tests.clear_authentication();
select throws_ok($$update watermark.etl_executions set error_message = 'rewritten' where execution_id = 'exec_a'$$,
  'WM003', 'execution_id: execution ''exec_a'' is already COMPLETED; a finished execution never changes, start a new one',
  'not even the owner can rewrite a finished execution');
select throws_ok($$insert into watermark.etl_executions (execution_id, status) values ('half_done', 'FAILED')$$,
  '23514', null, 'a finished status needs a finish time');
select tests.authenticate_as('service');

-- Every terminal status, and the error message on failure.
select public.start_etl_execution('exec_failed');
select is(public.finish_etl_execution('exec_failed', 'FAILED', error_message => 'API down') ->> 'error_message', 'API down',
  'a failed run keeps its error message');
select public.start_etl_execution('exec_cancelled');
select is(public.finish_etl_execution('exec_cancelled', 'CANCELLED') ->> 'status', 'CANCELLED', 'runs can be cancelled');
select public.start_etl_execution('exec_abandoned');
select is(public.finish_etl_execution('exec_abandoned', 'ABANDONED') ->> 'status', 'ABANDONED', 'runs can be abandoned');
select throws_ok($$select public.heartbeat_etl_execution('exec_abandoned')$$, 'WM003',
  'execution_id: execution ''exec_abandoned'' is already ABANDONED; a finished execution never changes, start a new one',
  'an abandoned (reaped) run refuses heartbeats');
select is((select success_rate from public.list_etl_executions(status => 'FAILED')), null::numeric,
  'no success rate without processed fixtures');

-- A run that did not complete is an ERROR log with its reason and execution,
-- written by finish itself, so level-filtered views and health count it.
select results_eq(
  $$select execution_id, level, component, message from public.get_etl_logs(min_level => 'ERROR') order by log_id$$,
  $$values ('exec_failed', 'ERROR', 'EXECUTION', 'execution exec_failed ended FAILED: API down'),
           ('exec_cancelled', 'ERROR', 'EXECUTION', 'execution exec_cancelled ended CANCELLED: no reason given'),
           ('exec_abandoned', 'ERROR', 'EXECUTION', 'execution exec_abandoned ended ABANDONED: no reason given')$$,
  'FAILED, CANCELLED and ABANDONED runs each log an ERROR naming the execution and the reason');
select is((select details ->> 'status' from watermark.etl_logs where execution_id = 'exec_failed'), 'FAILED',
  'the log details carry the final status');
select is((select count(*)::integer from watermark.etl_logs where execution_id = 'exec_a'), 0, 'a completed run logs nothing');
select is((public.get_etl_health_status('collector') ->> 'errors_24h')::integer, 0, 'health counts no error for the completed run''s pipeline');
select is((public.get_etl_health_status('watermark') ->> 'errors_24h')::integer, 3, 'health''s error count counts the unfinished runs');

-- Nothing reached the database as a side effect of rejected starts.
select is((select count(*)::integer from watermark.etl_executions), 6, 'only the accepted starts created executions');

-- pg_cron runs the reaper every minute: a default timeout of 60 s abandons a dead run within
-- 2 minutes of its last heartbeat (collectors beat every 20 s).
select public.start_etl_execution('exec_default_timeout');
select is((select heartbeat_timeout_seconds from watermark.etl_executions where execution_id = 'exec_default_timeout'), 60,
  'the heartbeat timeout defaults to 60 s');

select tests.clear_authentication();
select * from finish();
rollback;
