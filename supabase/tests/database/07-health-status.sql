-- get_etl_health_status: the seed's dashboard figures, the per-pipeline breakdown,
-- log figures from the hourly rollup equal to the raw counts, never a logs scan.
begin;
select plan(11);

insert into watermark.etl_executions (execution_id, pipeline, started_at, heartbeat_at, heartbeat_timeout_seconds) values
  ('h_done', 'collector', now() - interval '5 hours', now(), 900),
  ('h_fail', 'collector', now() - interval '4 hours', now(), 900),
  ('h_cancel', 'collector', now() - interval '3 hours', now(), 900),
  ('h_gone', 'other', now() - interval '2 hours', now(), 900),
  ('h_live', 'other', now() - interval '10 minutes', now(), 900),
  ('h_stale', 'other', now() - interval '1 hour', now() - interval '30 minutes', 600);
update watermark.etl_executions
set status = v.status, finished_at = now(), duration_seconds = v.seconds,
  processed_fixtures = v.processed, successful_fixtures = v.successful
from (values ('h_done', 'COMPLETED', 600, 100, 100), ('h_fail', 'FAILED', 300, 100, 80),
  ('h_cancel', 'CANCELLED', 60, 0, 0), ('h_gone', 'ABANDONED', null, null, null)) as v(id, status, seconds, processed, successful)
where execution_id = v.id;

-- Logs inside the 24 h window and one day older.
insert into watermark.etl_logs ("timestamp", level, component, message, pipeline)
select now() - make_interval(mins => i), (array['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'])[1 + i % 5], 'c', 'm',
  (array['collector', 'other', 'third'])[1 + i % 3]
from generate_series(0, 299) as i;
insert into watermark.etl_logs ("timestamp", level, component, message, pipeline)
select now() - interval '2 days', 'ERROR', 'c', 'old', 'collector' from generate_series(1, 7);

select tests.authenticate_as('viewer');
select is(
  public.get_etl_health_status() - array['generated_at', 'window_start', 'pipelines', 'last_execution_at'],
  '{"pipeline": null, "total_executions": 6, "running": 2, "stale_running": 1, "completed": 1, "failed": 1,
    "cancelled": 1, "abandoned": 1, "avg_duration_seconds": 320.000, "avg_success_rate": 90.00,
    "logs_24h": 300, "errors_24h": 120, "warnings_24h": 60}'::jsonb,
  'health counts executions by status, averages durations and success rates, and counts the last 24 h of logs');
select is((public.get_etl_health_status() ->> 'last_execution_at')::timestamptz, now() - interval '10 minutes',
  'health names the last execution time');
select is((public.get_etl_health_status() ->> 'window_start')::timestamptz, date_trunc('hour', now(), 'UTC') - interval '23 hours',
  'the log window is the current UTC hour and the 23 before it');
select is(
  (select jsonb_agg(p - array['last_execution_at', 'avg_duration_seconds', 'avg_success_rate', 'stale_running', 'running',
     'completed', 'failed', 'cancelled', 'abandoned'] order by p ->> 'pipeline')
   from jsonb_array_elements(public.get_etl_health_status() -> 'pipelines') as p),
  '[{"pipeline": "collector", "total_executions": 3, "logs_24h": 100, "errors_24h": 40, "warnings_24h": 20},
    {"pipeline": "other", "total_executions": 3, "logs_24h": 100, "errors_24h": 40, "warnings_24h": 20},
    {"pipeline": "third", "total_executions": 0, "logs_24h": 100, "errors_24h": 40, "warnings_24h": 20}]'::jsonb,
  'health breaks the figures down per pipeline, including pipelines that only log');
select is(
  public.get_etl_health_status('other') - array['generated_at', 'window_start', 'pipelines', 'last_execution_at'],
  '{"pipeline": "other", "total_executions": 3, "running": 2, "stale_running": 1, "completed": 0, "failed": 0,
    "cancelled": 0, "abandoned": 1, "avg_duration_seconds": null, "avg_success_rate": null,
    "logs_24h": 100, "errors_24h": 40, "warnings_24h": 20}'::jsonb,
  'health for one pipeline');
select is(jsonb_array_length(public.get_etl_health_status('other') -> 'pipelines'), 1, 'one pipeline, one breakdown');
select is(
  public.get_etl_health_status('nobody') - array['generated_at', 'window_start'],
  '{"pipeline": "nobody", "total_executions": 0, "running": 0, "stale_running": 0, "completed": 0, "failed": 0,
    "cancelled": 0, "abandoned": 0, "avg_duration_seconds": null, "avg_success_rate": null, "last_execution_at": null,
    "logs_24h": 0, "errors_24h": 0, "warnings_24h": 0, "pipelines": []}'::jsonb,
  'an unknown pipeline has zeros, not an error');
select throws_ok($$select public.get_etl_health_status('')$$, 'WM001',
  'pipeline: must be a pipeline name or null for all pipelines', 'an empty pipeline name');
select tests.clear_authentication();

-- The rollup behind those figures equals the raw logs of the same window.
select is(
  (public.get_etl_health_status() ->> 'logs_24h')::bigint,
  (select count(*) from watermark.etl_logs where "timestamp" >= date_trunc('hour', now(), 'UTC') - interval '23 hours'),
  'logs_24h equals the raw count over the same window');
select is(
  (public.get_etl_health_status() ->> 'errors_24h')::bigint,
  (select count(*) from watermark.etl_logs
   where "timestamp" >= date_trunc('hour', now(), 'UTC') - interval '23 hours' and level in ('ERROR', 'CRITICAL')),
  'errors_24h (ERROR + CRITICAL) equals the raw count over the same window');

-- Health reads the rollup, never the logs (they reach millions of rows).
select ok(
  (select p.prosrc !~ 'etl_logs\M' and p.prosrc ~ 'etl_log_hourly' from pg_proc p
   where p.oid = 'public.get_etl_health_status(text)'::regprocedure),
  'get_etl_health_status reads etl_log_hourly and not etl_logs');

select * from finish();
rollback;
