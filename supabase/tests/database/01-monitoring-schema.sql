-- The monitoring schema's shape and the rules every migration must keep:
-- RLS on every table in watermark, nothing in public reachable by anon,
-- search_path pinned on every function we own.
begin;
select plan(31);

select has_table('watermark', 'etl_executions', 'executions table exists');
select has_table('watermark', 'etl_logs', 'logs table exists');
select has_table('watermark', 'etl_metrics', 'metrics table exists');
select has_table('watermark', 'etl_log_hourly', 'hourly log rollup exists');
select has_table('watermark', 'retention_policies', 'retention policies exist');
select has_table('watermark', 'audit_log', 'audit log exists');

-- The seed's columns, plus what real use needs.
select columns_are('watermark', 'etl_executions', array[
  'execution_id', 'pipeline', 'trigger', 'status', 'started_at', 'finished_at', 'heartbeat_at',
  'heartbeat_timeout_seconds', 'total_fixtures', 'processed_fixtures', 'successful_fixtures',
  'failed_fixtures', 'total_chunks', 'processed_chunks', 'rows_written', 'duration_seconds',
  'error_message', 'config', 'progress', 'correlation_id', 'created_by'],
  'executions have the seed''s columns plus pipeline, trigger, heartbeat, correlation and caller');
select columns_are('watermark', 'etl_logs', array[
  'log_id', 'timestamp', 'level', 'component', 'message', 'details', 'execution_id', 'chunk_id',
  'fixture_id', 'duration_ms', 'pipeline', 'correlation_id', 'created_by'],
  'logs have the seed''s columns plus pipeline, correlation and caller');
select columns_are('watermark', 'etl_metrics', array[
  'metric_id', 'timestamp', 'execution_id', 'metric_name', 'metric_value', 'metric_unit', 'tags',
  'metric_kind', 'pipeline', 'correlation_id', 'created_by'],
  'metrics have the seed''s columns plus kind, pipeline, correlation and caller');

-- RLS on every table of the private schema, whichever migration created it.
select is(
  (select array_agg(c.relname::text order by c.relname)
   from pg_class c
   where c.relnamespace = 'watermark'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity),
  null,
  'every table in schema watermark has row level security enabled');
select ok(
  (select count(*) from pg_class c
   where c.relnamespace = 'watermark'::regnamespace and c.relkind in ('r', 'p')) >= 6,
  'the RLS check above saw the monitoring tables');

select policies_are('watermark', 'etl_executions', array['viewers can read executions']);
select policies_are('watermark', 'etl_logs', array['viewers can read logs']);
select policies_are('watermark', 'etl_metrics', array['viewers can read metrics']);
select policies_are('watermark', 'etl_log_hourly', array['viewers can read hourly log counts']);
select policies_are('watermark', 'retention_policies', array['viewers can read retention policies']);
select policies_are('watermark', 'audit_log', array['operators can read the audit log']);

-- Tables are not in the exposed schema; the exposed schema holds RPCs (and their row types).
select is(
  (select count(*)::integer from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')),
  0,
  'public holds no tables or views');
select is(
  (select array_agg(p.oid::regprocedure::text order by 1) from pg_proc p
   where p.pronamespace = 'public'::regnamespace and has_function_privilege('anon', p.oid, 'execute')),
  null,
  'anon can execute no function in public');
select ok(not has_schema_privilege('anon', 'watermark', 'usage'), 'anon cannot use schema watermark');
select is(
  (select array_agg(p.oid::regprocedure::text order by 1) from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'watermark'::regnamespace)
     and p.prokind = 'f'
     and not exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%')),
  null,
  'every function in public and watermark pins its search_path');
select is(
  (select array_agg(p.oid::regprocedure::text order by 1) from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'watermark'::regnamespace)
     and has_function_privilege('public', p.oid, 'execute')),
  null,
  'no function in public or watermark is executable by PUBLIC');

-- Indexes the queries use, and no more.
select indexes_are('watermark', 'etl_logs', array['etl_logs_pkey', 'etl_logs_execution_idx',
  'etl_logs_chunk_idx', 'etl_logs_timestamp_idx']);
select indexes_are('watermark', 'etl_metrics', array['etl_metrics_pkey', 'etl_metrics_name_timestamp_idx',
  'etl_metrics_timestamp_idx', 'etl_metrics_execution_idx']);
-- etl_executions_completed_idx and _unsuccessful_idx come with the alerts migration (its observers read them),
-- etl_executions_correlation_id_idx with the backlog dispatch (runs looked up by invocation).
select indexes_are('watermark', 'etl_executions', array['etl_executions_pkey', 'etl_executions_started_at_idx',
  'etl_executions_pipeline_started_at_idx', 'etl_executions_created_by_idx', 'etl_executions_running_idx', 'etl_executions_finished_at_idx',
  'etl_executions_completed_idx', 'etl_executions_unsuccessful_idx', 'etl_executions_correlation_id_idx']);

select has_trigger('watermark', 'etl_executions', 'etl_executions_finished_are_final',
  'finished executions are protected by a trigger');
select has_trigger('watermark', 'etl_logs', 'etl_logs_count_inserted', 'inserted logs are counted into the rollup');
select has_trigger('watermark', 'etl_logs', 'etl_logs_uncount_deleted', 'deleted logs are removed from the rollup');

select is(
  (select jsonb_object_agg(kind, keep_for::text) from watermark.retention_policies),
  '{"debug_logs": "7 days", "logs": "30 days", "metrics": "90 days", "audit": "365 days", "executions": "365 days",
    "alert_evaluations": "7 days", "alert_history": "90 days", "alert_notifications": "30 days"}'::jsonb,
  'default retention: debug 7 d, logs 30 d, metrics 90 d, audit and executions 1 y; alert evaluations 7 d, transitions 90 d, finished notifications 30 d');

-- pg_cron exists only in cron.database_name; a test clone is never that database.
select ok(
  current_database() <> coalesce(current_setting('cron.database_name', true), '')
    and not exists (select 1 from pg_extension where extname = 'pg_cron'),
  'the migration leaves pg_cron out of databases other than cron.database_name');
select ok(
  watermark.access_level() = 3,
  'a direct owner session without claims counts as service');

select * from finish();
rollback;
