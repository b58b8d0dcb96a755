-- The dashboard's read RPCs: filters, keyset cursors, metric percentiles per
-- bucket, the execution summary's log counts, and their validation errors.
begin;
select plan(30);

-- Data, written as the owner with known timestamps.
insert into watermark.etl_executions (execution_id, pipeline, started_at) values
  ('read_a', 'collector', now() - interval '3 hours'),
  ('read_b', 'collector', now() - interval '2 hours'),
  ('read_c', 'other', now() - interval '1 hour');
update watermark.etl_executions set status = 'FAILED', finished_at = now(), error_message = 'boom'
  where execution_id = 'read_a';
insert into watermark.etl_logs ("timestamp", level, component, message, execution_id, chunk_id)
select now() - make_interval(mins => 60 - i), (array['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'])[1 + i % 5],
  (array['collector', 'alerts'])[1 + i % 2], 'line ' || i, (array['read_a', 'read_b'])[1 + i % 2], 'chunk_' || (i % 3)
from generate_series(1, 50) as i;
insert into watermark.etl_metrics ("timestamp", metric_name, metric_value, metric_unit, execution_id, pipeline)
select date_trunc('hour', now(), 'UTC') - interval '1 hour' + make_interval(mins => i % 120), 'latency', i, 'ms',
  'read_b', 'collector'
from generate_series(1, 100) as i;
insert into watermark.etl_metrics ("timestamp", metric_name, metric_value) values (now() - interval '3 days', 'latency', 1000000);

select tests.authenticate_as('viewer');

-- get_etl_logs
select is((select count(*)::integer from public.get_etl_logs()), 50, 'logs default to the newest 50');
select is((select array_agg(message) from public.get_etl_logs(max_rows => 3)), array['line 50', 'line 49', 'line 48'],
  'logs come newest first');
select is((select count(*)::integer from public.get_etl_logs(min_level => 'error')), 20,
  'min_level keeps that level and above (case-insensitive)');
select is((select count(*)::integer from public.get_etl_logs(component => 'alerts')), 25, 'filter by component');
select is((select count(*)::integer from public.get_etl_logs(execution_id => 'read_a')), 25, 'filter by execution');
select is((select count(*)::integer from public.get_etl_logs(chunk_id => 'chunk_0')), 16, 'filter by chunk');
select is((select count(*)::integer from public.get_etl_logs(since => now() - interval '20 minutes', until => now() - interval '10 minutes')),
  10, 'filter by time range (since inclusive, until exclusive)');
select is(
  (select array_agg(message) from public.get_etl_logs(max_rows => 3,
    before_log_id => (select min(log_id) from public.get_etl_logs(max_rows => 3)))),
  array['line 47', 'line 46', 'line 45'],
  'the keyset cursor (last log_id of a page) gives the next page');
select is((select count(*)::integer from public.get_etl_logs(min_level => 'CRITICAL', component => 'alerts', execution_id => 'read_b')),
  5, 'filters combine');
select throws_ok($$select * from public.get_etl_logs(min_level => 'TRACE')$$, 'WM001',
  'min_level: unknown level ''TRACE''; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL', 'unknown min_level');
select throws_ok($$select * from public.get_etl_logs(max_rows => 0)$$, 'WM001',
  'max_rows: must be between 1 and 1000 (got 0)', 'max_rows too small');
select throws_ok($$select * from public.get_etl_logs(max_rows => 1001)$$, 'WM001',
  'max_rows: must be between 1 and 1000 (got 1001)', 'max_rows too large');
select throws_ok($$select * from public.get_etl_logs(since => now(), until => now() - interval '1 hour')$$, 'WM001',
  'since: must be earlier than until', 'an empty time range');

-- list_etl_executions
select is((select array_agg(execution_id) from public.list_etl_executions()), array['read_c', 'read_b', 'read_a'],
  'executions come newest first');
select is((select array_agg(execution_id) from public.list_etl_executions(pipeline => 'collector')), array['read_b', 'read_a'],
  'filter executions by pipeline');
select is((select array_agg(execution_id) from public.list_etl_executions(status => 'failed')), array['read_a'],
  'filter executions by status');
select is(
  (select array_agg(execution_id) from public.list_etl_executions(max_rows => 1,
    before_started_at => (select started_at from public.list_etl_executions(max_rows => 2) offset 1))),
  array['read_a'], 'the keyset cursor (last started_at of a page) gives the next page');
select throws_ok($$select * from public.list_etl_executions(status => 'DONE')$$, 'WM001',
  'status: unknown status ''DONE''; use one of RUNNING, COMPLETED, FAILED, CANCELLED, ABANDONED', 'unknown status filter');
select throws_ok($$select * from public.list_etl_executions(max_rows => 0)$$, 'WM001',
  'max_rows: must be between 1 and 1000 (got 0)', 'list max_rows bounds');

-- get_etl_metric_summary
select results_eq(
  $$select metric_name, metric_unit, samples, avg, min, max, p50, p95, p99 from public.get_etl_metric_summary('latency', 24)$$,
  $$values ('latency', 'ms', 100::bigint, 50.5::float8, 1::float8, 100::float8, 50.5::float8, 95.05::float8, 99.01::float8)$$,
  'the window summary: count, avg, min, max and interpolated p50/p95/p99 (older samples excluded)');
select is((select bucket_start from public.get_etl_metric_summary('latency', 2)), now() - interval '2 hours',
  'without a bucket, bucket_start is the window start');
select results_eq(
  $$select bucket_start, samples, min, max from public.get_etl_metric_summary('latency', 24, 'hour')$$,
  $$values (date_trunc('hour', now(), 'UTC') - interval '1 hour', 59::bigint, 1::float8, 59::float8),
           (date_trunc('hour', now(), 'UTC'), 41::bigint, 60::float8, 100::float8)$$,
  'hour buckets, oldest first');
select is((select count(*)::integer from public.get_etl_metric_summary(bucket => 'minute', execution_id => 'read_b')), 100,
  'minute buckets, filtered by execution');
select is((select count(*)::integer from public.get_etl_metric_summary(pipeline => 'other')), 0, 'filter metrics by pipeline');
select throws_ok($$select * from public.get_etl_metric_summary(bucket => 'week')$$, 'WM001',
  'bucket: unknown bucket ''week''; use one of minute, hour, day, or null for the whole window', 'unknown bucket');
select throws_ok($$select * from public.get_etl_metric_summary(hours => 0)$$, 'WM001',
  'hours: must be more than 0 and at most 8784 (got 0)', 'an empty window');

-- get_etl_execution_summary
select is(public.get_etl_execution_summary('read_a') -> 'log_counts',
  '{"DEBUG": 5, "INFO": 5, "WARNING": 5, "ERROR": 5, "CRITICAL": 5}'::jsonb, 'the summary counts logs per level');
select is(public.get_etl_execution_summary('read_a') ->> 'error_message', 'boom', 'the summary carries the error message');
select throws_ok($$select public.get_etl_execution_summary('ghost')$$, 'WM002',
  'execution_id: execution ''ghost'' not found; list executions with list_etl_executions', 'summary of an unknown execution');
select throws_ok($$select public.get_etl_execution_summary(null)$$, 'WM001',
  'execution_id: is required; pass an id from list_etl_executions', 'summary needs an id');

select tests.clear_authentication();
select * from finish();
rollback;
