-- get_etl_health_status: the seed's dashboard figures, the per-pipeline breakdown,
-- log figures from the hourly rollup equal to the raw counts, never a logs scan.
begin;
select plan(30);

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


-- get_health_report's source_api: the collector's own Sportmonks calls, one
-- sportmonks.latency_ms sample per HTTP attempt, and the persisted budgets.
create temporary table calls (ago interval, entity text, outcome text, ms double precision);
create function pg_temp.record_calls() returns void language sql as $$
  delete from watermark.etl_metrics where metric_name = 'sportmonks.latency_ms';
  insert into watermark.etl_metrics ("timestamp", metric_name, metric_value, metric_unit, metric_kind, tags)
  select now() - c.ago, 'sportmonks.latency_ms', c.ms, 'ms', 'timing',
         jsonb_build_object('entity', c.entity, 'endpoint', 'fixtures/multi/{ids}', 'outcome', c.outcome)
    from calls c;
$$;
create function pg_temp.source_api() returns jsonb language sql as $$
  select public.get_health_report() -> 'services' -> 'source_api'
$$;
grant execute on function pg_temp.source_api() to authenticated;

select tests.authenticate_as('viewer');
select is(pg_temp.source_api() - array['thresholds', 'window_start'],
  '{"status": "idle", "calls_1h": 0, "errors_1h": 0, "rate_limited_1h": 0, "error_rate_1h": null, "rate_limited_rate_1h": null,
    "p95_latency_ms": null, "last_call_at": null, "last_success_at": null, "entities": [], "rate_limits": []}'::jsonb,
  'source_api before any call: idle, no figures, no verdict');
select is(pg_temp.source_api() -> 'thresholds',
  '{"min_calls": 5, "error_rate": {"degraded": 0.05, "unhealthy": 0.25}, "rate_limited_rate": {"degraded": 0.01, "unhealthy": 0.10},
    "p95_latency_ms": {"degraded": 2000, "unhealthy": 10000}, "last_success_age_seconds": {"degraded": 1800, "unhealthy": 7200},
    "rate_limit_remaining": {"degraded": 300, "unhealthy": 10}}'::jsonb,
  'source_api states its thresholds (docs/operations.md, Health)');
select tests.clear_authentication();

-- 20 good calls over the hour (100..290 ms), one Season call yesterday.
insert into calls select make_interval(mins => i * 2), 'Fixture', 'ok', 100 + i * 10 from generate_series(0, 19) as i;
insert into calls values (interval '20 hours', 'Season', 'ok', 50);
insert into watermark.api_rate_limits (entity, remaining, resets_at) values ('Fixture', 2900, now() + interval '30 minutes');
select pg_temp.record_calls();
select tests.authenticate_as('viewer');
select is(pg_temp.source_api() - array['thresholds', 'window_start', 'rate_limits'],
  jsonb_build_object('status', 'healthy', 'calls_1h', 20, 'errors_1h', 0, 'rate_limited_1h', 0, 'error_rate_1h', 0.0,
    'rate_limited_rate_1h', 0.0, 'p95_latency_ms', 280.5, 'last_call_at', now(), 'last_success_at', now(),
    'entities', jsonb_build_array(jsonb_build_object('entity', 'Fixture', 'calls_1h', 20, 'errors_1h', 0, 'rate_limited_1h', 0,
      'p95_latency_ms', 280.5, 'last_success_at', now()))),
  'source_api: calls, errors, 429s and p95 over the last hour, the last success, per entity');
select is(pg_temp.source_api() -> 'rate_limits',
  jsonb_build_array(jsonb_build_object('entity', 'Fixture', 'remaining', 2900, 'resets_at', now() + interval '30 minutes',
    'updated_at', now(), 'status', 'healthy')),
  'source_api: the headroom of each entity');
select is(public.get_health_report() ->> 'reasons', '[]', 'healthy calls give no reason');
select tests.clear_authentication();

-- 2 server errors out of 22: 9.1 % is degraded (5 %); 8 more, 10 of 30 is unhealthy (25 %).
insert into calls values (interval '1 minute', 'Fixture', 'server_error', 30), (interval '2 minutes', 'Fixture', 'timeout', 30000);
select pg_temp.record_calls();
select tests.authenticate_as('viewer');
select results_eq($$select pg_temp.source_api() ->> 'status', pg_temp.source_api() ->> 'errors_1h', public.get_health_report() ->> 'status'$$,
  $$values ('degraded', '2', 'degraded')$$, 'an error rate over 5 % degrades source_api and the report');
select ok(public.get_health_report() -> 'reasons' ? 'source API: 9.1 % of 22 calls failed in the last hour (degraded at 5.00 %, unhealthy at 25.00 %)',
  'the reason gives the error rate and the thresholds');
select tests.clear_authentication();
insert into calls select interval '3 minutes', 'Fixture', 'server_error', 30 from generate_series(1, 8);
select pg_temp.record_calls();
select tests.authenticate_as('viewer');
select results_eq($$select pg_temp.source_api() ->> 'status', public.get_health_report() ->> 'status'$$,
  $$values ('unhealthy', 'unhealthy')$$, 'an error rate over 25 % makes source_api and the report unhealthy');
select tests.clear_authentication();

-- 429s are counted apart: 1 of 21 (4.8 %) is degraded (1 %), not an error.
delete from calls where outcome <> 'ok';
insert into calls values (interval '1 minute', 'Fixture', 'rate_limited', 40);
select pg_temp.record_calls();
select tests.authenticate_as('viewer');
select results_eq($$select pg_temp.source_api() ->> 'status', pg_temp.source_api() ->> 'errors_1h', pg_temp.source_api() ->> 'rate_limited_1h'$$,
  $$values ('degraded', '0', '1')$$, 'a 429 rate over 1 % degrades source_api');
select tests.clear_authentication();

-- p95 latency: over 10 s is unhealthy.
delete from calls;
insert into calls select make_interval(mins => i), 'Fixture', 'ok', 12000 from generate_series(0, 9) as i;
select pg_temp.record_calls();
select tests.authenticate_as('viewer');
select results_eq($$select pg_temp.source_api() ->> 'status', pg_temp.source_api() ->> 'p95_latency_ms'$$,
  $$values ('unhealthy', '12000.0')$$, 'a p95 latency over 10 s makes source_api unhealthy');
select tests.clear_authentication();

-- Calling but never succeeding for 40 minutes: degraded (30 min); 3 hours: unhealthy (2 h).
delete from calls;
insert into calls values (interval '40 minutes', 'Fixture', 'ok', 100), (interval '1 minute', 'Fixture', 'server_error', 100);
select pg_temp.record_calls();
select tests.authenticate_as('viewer');
select is(pg_temp.source_api() ->> 'status', 'degraded', 'no successful call for 40 minutes while calling degrades source_api');
select tests.clear_authentication();
update calls set ago = interval '3 hours' where outcome = 'ok';
select pg_temp.record_calls();
select tests.authenticate_as('viewer');
select is(pg_temp.source_api() ->> 'status', 'unhealthy', 'no successful call for 3 hours while calling makes source_api unhealthy');
select tests.clear_authentication();

-- Headroom: 200 left is degraded (300), 5 left unhealthy (10); a budget past its reset is whole again.
delete from calls;
select pg_temp.record_calls();
update watermark.api_rate_limits set remaining = 5;
insert into watermark.api_rate_limits (entity, remaining, resets_at) values
  ('League', 200, now() + interval '10 minutes'), ('Season', 0, now() - interval '1 minute');
select tests.authenticate_as('viewer');
select is(
  (select jsonb_object_agg(b ->> 'entity', b ->> 'status') from jsonb_array_elements(pg_temp.source_api() -> 'rate_limits') b),
  '{"Fixture": "unhealthy", "League": "degraded", "Season": "healthy"}'::jsonb,
  'each entity''s headroom has its own verdict');
select results_eq($$select pg_temp.source_api() ->> 'status', public.get_health_report() ->> 'status'$$,
  $$values ('unhealthy', 'unhealthy')$$, 'an entity at its reserve makes source_api unhealthy even without recent calls');
select tests.clear_authentication();

-- The last call and success older than a day are still found (health looks in the last
-- day's partitions first): calling again after 30 hours, failing, names the old success.
delete from watermark.api_rate_limits;
delete from calls;
insert into calls values (interval '30 hours', 'Fixture', 'ok', 100), (interval '1 minute', 'Fixture', 'server_error', 100);
select pg_temp.record_calls();
select tests.authenticate_as('viewer');
select results_eq($$select pg_temp.source_api() ->> 'status', (pg_temp.source_api() ->> 'last_success_at')::timestamptz$$,
  $$values ('unhealthy', now() - interval '30 hours')$$, 'a success older than a day is found and judged by its age');
select tests.clear_authentication();
delete from calls;
insert into calls values (interval '30 hours', 'Fixture', 'ok', 100);
select pg_temp.record_calls();
select tests.authenticate_as('viewer');
select results_eq($$select pg_temp.source_api() ->> 'status', (pg_temp.source_api() ->> 'last_call_at')::timestamptz$$,
  $$values ('idle', now() - interval '30 hours')$$, 'a collector that last called 30 hours ago is idle, with its last call');
select tests.clear_authentication();

-- The report's 24 h run figures (whole hours from the hourly rollup, the window's oldest
-- part from the runs) equal a count of the runs themselves, at the window's very edges.
insert into watermark.etl_executions (execution_id, pipeline, status, started_at, finished_at, heartbeat_at) values
  ('h_edge_in', 'other', 'FAILED', now() - interval '24 hours' + interval '1 second', now(), now()),
  ('h_edge_in2', 'other', 'COMPLETED', date_trunc('hour', now() - interval '24 hours', 'UTC') + interval '1 hour' - interval '1 second', now(), now()),
  ('h_edge_out', 'other', 'FAILED', now() - interval '24 hours' - interval '1 second', now(), now()),
  ('h_old', 'other', 'COMPLETED', now() - interval '3 days', now(), now());
create temporary table runs_24h as
  select count(*) as runs, count(*) filter (where status = 'RUNNING') as running,
         count(*) filter (where status in ('FAILED', 'ABANDONED')) as failed,
         round(coalesce(count(*) filter (where status in ('FAILED', 'ABANDONED'))::numeric
                        / nullif(count(*) filter (where status <> 'RUNNING'), 0), 0), 4) as error_rate
    from watermark.etl_executions where started_at > now() - interval '24 hours';
grant select on runs_24h to authenticated;
select tests.authenticate_as('viewer');
select results_eq(
  $$select (m ->> 'executions_24h')::bigint, (m ->> 'running')::bigint, (m ->> 'failed_24h')::bigint, (m ->> 'error_rate_24h')::numeric
      from (select public.get_health_report() -> 'metrics' as m) r$$,
  $$select runs, running, failed, error_rate from runs_24h$$,
  'the 24 h run figures equal a count of the runs, including the window''s oldest seconds and excluding older runs');
select tests.clear_authentication();
select is((select runs from runs_24h), 8::bigint, 'the check above counted the edge runs (6 earlier runs and 2 inside the edge)');
select ok(
  (select p.prosrc ~ 'etl_execution_hourly' from pg_proc p where p.oid = 'public.get_health_report()'::regprocedure),
  'get_health_report counts whole hours from etl_execution_hourly');

select * from finish();
rollback;
