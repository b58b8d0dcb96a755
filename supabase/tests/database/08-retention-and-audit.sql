-- Retention: purge_expired deletes what each kind's policy says has expired (logs and
-- metrics by whole days; the rows here are older than any partition), in bounded
-- batches, keeps running executions and keeps the rollup exact. Audit:
-- watermark.audit records who did what, for operators and the service role only.
begin;
select plan(25);

insert into watermark.etl_executions (execution_id, started_at, heartbeat_at) values
  ('ret_old_done', now() - interval '400 days', now() - interval '400 days'),
  ('ret_old_running', now() - interval '400 days', now() - interval '400 days'),
  ('ret_recent', now() - interval '1 day', now());
update watermark.etl_executions set status = 'COMPLETED', finished_at = now() - interval '399 days'
  where execution_id = 'ret_old_done';
update watermark.etl_executions set status = 'COMPLETED', finished_at = now() where execution_id = 'ret_recent';

insert into watermark.etl_logs ("timestamp", level, component, message, execution_id)
select now() - v.age, v.level, 'ret', v.label, v.execution_id
from (values
  (interval '8 days', 'DEBUG', 'old debug', null),
  (interval '6 days', 'DEBUG', 'young debug', null),
  (interval '31 days', 'INFO', 'old info', null),
  (interval '31 days', 'ERROR', 'old error', 'ret_recent'),
  (interval '29 days', 'ERROR', 'young error', null),
  (interval '10 days', 'INFO', 'old-run line', 'ret_old_done')
) as v(age, level, label, execution_id);
insert into watermark.etl_metrics ("timestamp", metric_name, metric_value, execution_id) values
  (now() - interval '91 days', 'old', 1, null),
  (now() - interval '89 days', 'young', 1, null),
  (now() - interval '5 days', 'old-run metric', 1, 'ret_old_done');
insert into watermark.audit_log (occurred_at, actor, action) values
  (now() - interval '366 days', 'tests', 'old'),
  (now() - interval '364 days', 'tests', 'young');

select tests.authenticate_as('service');
select is(watermark.purge_expired() - 'partitions',
  '{"debug_logs": 1, "logs": 2, "metrics": 1, "audit": 1, "executions": 1,
    "alert_evaluations": 0, "alert_history": 0, "alert_notifications": 0}'::jsonb,
  'purge_expired reports what it deleted per kind');
select tests.clear_authentication();
select is((select array_agg(message order by message) from watermark.etl_logs), array['young debug', 'young error'],
  'debug logs go after 7 days, other logs after 30, and a purged execution takes its logs along');
select is((select array_agg(metric_name) from watermark.etl_metrics), array['young'],
  'metrics go after 90 days and with their execution');
select is((select array_agg(action) from watermark.audit_log), array['young'], 'audit entries go after 365 days');
select is((select array_agg(execution_id order by execution_id) from watermark.etl_executions),
  array['ret_old_running', 'ret_recent'], 'finished executions go after 365 days; running ones stay');
select set_eq(
  $$select pipeline, hour, level, log_count from watermark.etl_log_hourly$$,
  $$select pipeline, date_trunc('hour', "timestamp", 'UTC'), level, count(*) from watermark.etl_logs group by 1, 2, 3$$,
  'the hourly rollup still equals the raw counts after a purge');
select is(watermark.purge_expired() - 'partitions',
  '{"debug_logs": 0, "logs": 0, "metrics": 0, "audit": 0, "executions": 0,
    "alert_evaluations": 0, "alert_history": 0, "alert_notifications": 0}'::jsonb,
  'a second purge finds nothing');

-- Retention is configurable.
update watermark.retention_policies set keep_for = interval '1 day' where kind = 'debug_logs';
select ok((watermark.purge_expired() #>> '{partitions,detached}')::integer >= 1,
  'a shorter debug retention detaches the younger days of debug logs');
select is((select count(*)::integer from watermark.etl_logs where level = 'DEBUG'), 0, 'and their rows with them');
select throws_ok($$update watermark.retention_policies set keep_for = interval '1 minute' where kind = 'logs'$$,
  '23514', null, 'a retention shorter than an hour is refused');

-- Bounded work: batches of batch_size, at most max_rows_per_kind per kind and call.
insert into watermark.etl_logs ("timestamp", level, component, message)
select now() - interval '40 days', 'INFO', 'bulk', 'bulk ' || i from generate_series(1, 25) as i;
select is(watermark.purge_expired(10, 15) -> 'logs', '15'::jsonb, 'one call deletes at most max_rows_per_kind rows of a kind');
select is(watermark.purge_expired(10, 15) -> 'logs', '10'::jsonb, 'the next call continues where it stopped');
select is((select count(*)::integer from watermark.etl_logs where component = 'bulk'), 0, 'until nothing has expired');
select throws_ok($$select watermark.purge_expired(0)$$, 'WM001', 'batch_size: must be between 1 and 100000', 'batch_size bounds');
select throws_ok($$select watermark.purge_expired(10, 0)$$, 'WM001', 'max_rows_per_kind: must be at least 1',
  'max_rows_per_kind bounds');

select tests.authenticate_as('viewer');
select throws_ok($$select watermark.purge_expired()$$, '42501', 'permission denied for function purge_expired',
  'viewers cannot purge');
select tests.clear_authentication();

-- watermark.audit
select tests.authenticate_as('operator');
select ok(watermark.audit('pause_schedule', 'collect', '{"reason": "maintenance"}') > 0, 'operators can write audit entries');
select results_eq(
  $$select actor, action, target, details from watermark.audit_log where action = 'pause_schedule'$$,
  $$values ('00000000-0000-4000-8000-000000000003', 'pause_schedule', 'collect', '{"reason": "maintenance"}'::jsonb)$$,
  'an audit entry records who did what to which target');
select throws_ok($$select watermark.audit('', 'x', '{}')$$, 'WM001', 'action: must be a non-empty string; name what was done',
  'an audit entry needs an action');
select tests.clear_authentication();
select tests.authenticate_as('service');
select ok(watermark.audit('rotate_trigger_credential', null, null) > 0, 'the service role can write audit entries');
select tests.clear_authentication();
select tests.authenticate_as('viewer');
select throws_ok($$select watermark.audit('forge', 'x', '{}')$$, '42501', 'permission denied: audit needs operator access',
  'viewers cannot write audit entries');
select tests.clear_authentication();
select tests.authenticate_as('user');
select throws_ok($$select watermark.audit('forge', 'x', '{}')$$, '42501', 'permission denied: audit needs operator access',
  'users without rights cannot write audit entries');
select tests.clear_authentication();
select tests.authenticate_as('anon');
select throws_ok($$select watermark.audit('forge', 'x', '{}')$$, '42501', 'permission denied for schema watermark',
  'anon cannot write audit entries');
select tests.clear_authentication();

-- Retention finds its rows by index whatever the table's size (seq scans off: can
-- an index serve the purge's own query?).
create function pg_temp.plan_of(query text) returns text language plpgsql as $$
declare
  line text;
  plan text := '';
begin
  for line in execute 'explain (costs off) ' || query loop
    plan := plan || line || E'\n';
  end loop;
  return plan;
end
$$;
set local enable_seqscan = off;
select ok(pg_temp.plan_of($$select log_id from watermark.etl_logs
                            where "timestamp" < date_trunc('day', now() - interval '7 days', 'UTC') and level = 'DEBUG' limit 10$$)
            ~ '^(?!.*(etl_logs_main|_p[0-9]{8})).*etl_logs_debug_default',
  'the DEBUG purge reads only the DEBUG default partition: expired days are dropped, not read');
select ok(pg_temp.plan_of($$select execution_id from watermark.etl_executions where status <> 'RUNNING' and finished_at < now() limit 10$$)
            ~ 'etl_executions_finished_at_idx',
  'the executions purge reads finished runs by finish time');
reset enable_seqscan;

select * from finish();
rollback;
