-- log_etl_event and log_etl_events: what is stored, every validation error (with
-- the element's index in batches), all-or-nothing batches, and the hourly rollup
-- staying equal to the raw counts.
begin;
select plan(40);

select tests.authenticate_as('service');
select public.start_etl_execution('log_exec', pipeline => 'collector', correlation_id => 'corr-log');
select public.start_etl_execution('log_done');
select public.finish_etl_execution('log_done', 'COMPLETED');

-- Single events
select ok(public.log_etl_event('info', 'collector', 'chunk started', '{"chunk": 1}', 'log_exec', '2451_23026', 19134, 12.5) > 0,
  'log_etl_event returns the new log id');
select results_eq(
  $$select level, component, message, details, execution_id, chunk_id, fixture_id, duration_ms, pipeline, correlation_id, created_by
    from watermark.etl_logs where message = 'chunk started'$$,
  $$values ('INFO', 'collector', 'chunk started', '{"chunk": 1}'::jsonb, 'log_exec', '2451_23026', 19134::bigint, 12.5,
    'collector', 'corr-log', 'service_role')$$,
  'a single event stores its fields, the execution''s pipeline and correlation id, and the caller');
select lives_ok($$select public.log_etl_event('DEBUG', 'collector', 'no details', null)$$, 'details may be null');
select is((select details from watermark.etl_logs where message = 'no details'), '{}'::jsonb, 'null details are stored as {}');
select is((select pipeline from watermark.etl_logs where message = 'no details'), 'watermark',
  'an event without execution belongs to the watermark pipeline');
select lives_ok($$select public.log_etl_event('INFO', 'collector', 'late line', execution_id => 'log_done')$$,
  'a finished execution still accepts late log lines');

select throws_ok($$select public.log_etl_event('VERBOSE', 'c', 'm')$$, 'WM001',
  'level: unknown level ''VERBOSE''; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL', 'unknown level');
select throws_ok($$select public.log_etl_event(null, 'c', 'm')$$, 'WM001',
  'level: is required as a string; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL', 'missing level');
select throws_ok($$select public.log_etl_event('INFO', '  ', 'm')$$, 'WM001',
  'component: must be a non-empty string; name the part of the pipeline that logged it', 'empty component');
select throws_ok($$select public.log_etl_event('INFO', 'c', '')$$, 'WM001',
  'message: must be a non-empty string; say what happened', 'empty message');
select throws_ok($$select public.log_etl_event('INFO', 'c', null)$$, 'WM001',
  'message: must be a non-empty string; say what happened', 'missing message');
select throws_ok($$select public.log_etl_event('INFO', 'c', 'm', duration_ms => -1)$$, 'WM001',
  'duration_ms: must not be negative (got -1); send the elapsed time in milliseconds', 'negative duration');
select throws_ok($$select public.log_etl_event('INFO', 'c', 'm', duration_ms => 'NaN')$$, 'WM001',
  'duration_ms: must be a finite number of milliseconds', 'NaN duration');
select throws_ok($$select public.log_etl_event('INFO', 'c', 'm', duration_ms => 'Infinity')$$, 'WM001',
  'duration_ms: must be a finite number of milliseconds', 'infinite duration');
select throws_ok($$select public.log_etl_event('INFO', 'c', 'm', jsonb_build_object('blob', repeat('x', 70000)))$$, 'WM001',
  'details: is 70012 bytes of JSON, over the 64 KiB limit (65536 bytes); keep large payloads out of logs',
  'oversized details name the limit');
select throws_ok($$select public.log_etl_event('INFO', 'c', 'm', '[1, 2]')$$, 'WM001',
  'details: must be a JSON object; send {} for none', 'details that are not an object');
select throws_ok($$select public.log_etl_event('INFO', 'c', 'm', execution_id => 'nope')$$, 'WM002',
  'execution_id: execution ''nope'' not found; start it with start_etl_execution first', 'unknown execution');
select throws_ok($$select public.log_etl_event('INFO', 'c', 'm', fixture_id => -5)$$, 'WM001',
  'fixture_id: must be a non-negative integer or null', 'negative fixture id');

-- Batches
select is(public.log_etl_events('[]'), 0, 'an empty batch writes nothing');
select is(public.log_etl_events(jsonb_build_array(
    jsonb_build_object('level', 'INFO', 'component', 'batch', 'message', 'first', 'execution_id', 'log_exec'),
    jsonb_build_object('level', 'warning', 'component', 'batch', 'message', 'second', 'timestamp', '2026-01-02T03:04:05Z',
      'pipeline', 'other', 'correlation_id', 'corr-own', 'fixture_id', 7, 'duration_ms', 0),
    jsonb_build_object('level', 'ERROR', 'component', 'batch', 'message', 'third', 'details', '{"code": 500}'::jsonb))),
  3, 'a batch returns how many events it wrote');
select results_eq(
  $$select message, level, "timestamp", pipeline, correlation_id, fixture_id from watermark.etl_logs
    where component = 'batch' order by log_id$$,
  $$values ('first', 'INFO', now(), 'collector', 'corr-log', null::bigint),
           ('second', 'WARNING', '2026-01-02T03:04:05Z'::timestamptz, 'other', 'corr-own', 7::bigint),
           ('third', 'ERROR', now(), 'watermark', null, null::bigint)$$,
  'batch events keep array order, their own timestamp, pipeline and correlation id, or inherit them');

-- Every bad element is named by its index, and nothing of the batch is written.
create temporary table log_count_before as select count(*) as n from watermark.etl_logs;
select throws_ok($$select public.log_etl_events('[
  {"level": "INFO", "component": "c", "message": "ok 0"},
  {"level": "INFO", "component": "c", "message": "ok 1"},
  {"level": "INFO", "component": "c", "message": "ok 2"},
  {"level": "VERBOSE", "component": "c", "message": "bad 3"}]')$$, 'WM001',
  'events[3].level: unknown level ''VERBOSE''; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL',
  'a bad level is reported with its index');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "ok"}, "text"]')$$, 'WM001',
  'events[1]: must be an object with level, component and message', 'an element that is not an object');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "", "message": "m"}]')$$, 'WM001',
  'events[0].component: must be a non-empty string; name the part of the pipeline that logged it', 'an empty component');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c"}]')$$, 'WM001',
  'events[0].message: must be a non-empty string; say what happened', 'a missing message');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "m"}, {"level": "INFO", "component": "c", "message": "m", "duration_ms": -0.5}]')$$, 'WM001',
  'events[1].duration_ms: must not be negative (got -0.5); send the elapsed time in milliseconds', 'a negative duration');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "m", "duration_ms": "fast"}]')$$, 'WM001',
  'events[0].duration_ms: must be a number of milliseconds or null', 'a duration that is not a number');
select throws_ok($$select public.log_etl_events(jsonb_build_array(jsonb_build_object('level', 'INFO', 'component', 'c', 'message', 'm',
  'details', jsonb_build_object('blob', repeat('x', 70000)))))$$, 'WM001',
  'events[0].details: is 70012 bytes of JSON, over the 64 KiB limit (65536 bytes); keep large payloads out of logs',
  'oversized details in a batch');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "m", "fixture_id": 1.5}]')$$, 'WM001',
  'events[0].fixture_id: must be a non-negative integer or null', 'a fractional fixture id');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "m", "pipeline": ""}]')$$, 'WM001',
  'events[0].pipeline: must be a string of 1 to 100 characters or null', 'an empty pipeline');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "m"},
  {"level": "INFO", "component": "c", "message": "m", "execution_id": "log_exec"},
  {"level": "INFO", "component": "c", "message": "m", "execution_id": "ghost"}]')$$, 'WM002',
  'events[2].execution_id: execution ''ghost'' not found; start it with start_etl_execution first',
  'an unknown execution is reported with its index');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "m"},
  {"level": "INFO", "component": "c", "message": "m", "timestamp": "2026-02-30T00:00:00Z"}]')$$, 'WM001',
  'events[1].timestamp: ''2026-02-30T00:00:00Z'' is not a valid timestamp; send ISO 8601 with an offset, e.g. 2026-11-22T10:00:00Z',
  'an impossible timestamp is reported with its index');
select throws_ok($$select public.log_etl_events('{"level": "INFO"}')$$, 'WM001',
  'events: must be a JSON array of event objects; send [] for none', 'events must be an array');
select throws_ok($$select public.log_etl_events(null)$$, 'WM001',
  'events: must be a JSON array of event objects; send [] for none', 'events must not be null');
select throws_ok($$select public.log_etl_events((select jsonb_agg(jsonb_build_object('level', 'INFO', 'component', 'c', 'message', 'm'))
  from generate_series(1, 10001)))$$, 'WM001',
  'events: has 10001 elements, over the limit of 10000 per call; split the batch', 'batches are bounded');
select is((select count(*) from watermark.etl_logs), (select n from log_count_before),
  'rejected batches wrote nothing, including those rejected after the insert began');

-- The hourly rollup equals the raw counts, after inserts and after deletes.
select public.log_etl_events((select jsonb_agg(jsonb_build_object(
  'level', (array['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'])[1 + i % 5],
  'component', 'volume', 'message', 'event ' || i,
  'pipeline', (array['collector', 'other'])[1 + i % 2],
  'timestamp', (now() - make_interval(mins => i * 7))::text))
  from generate_series(1, 500) as i));
select tests.clear_authentication();
select set_eq(
  $$select pipeline, hour, level, log_count from watermark.etl_log_hourly$$,
  $$select pipeline, date_trunc('hour', "timestamp", 'UTC'), level, count(*) from watermark.etl_logs group by 1, 2, 3$$,
  'the hourly rollup matches the raw log counts after batch inserts');
delete from watermark.etl_logs where component = 'volume' and level in ('DEBUG', 'ERROR');
select set_eq(
  $$select pipeline, hour, level, log_count from watermark.etl_log_hourly$$,
  $$select pipeline, date_trunc('hour', "timestamp", 'UTC'), level, count(*) from watermark.etl_logs group by 1, 2, 3$$,
  'the hourly rollup matches the raw counts after deletes');
delete from watermark.etl_logs;
select is((select count(*)::integer from watermark.etl_log_hourly), 0, 'no rollup rows remain once the logs are gone');
insert into watermark.etl_logs (level, component, message, pipeline) values ('INFO', 'copy', 'direct', 'p');
select is((select log_count from watermark.etl_log_hourly where pipeline = 'p'), 1::bigint,
  'writes that bypass the RPCs (COPY, psql) are counted too');

select * from finish();
rollback;
