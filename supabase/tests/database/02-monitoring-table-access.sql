-- Direct table access per persona: anon cannot reach the schema, a user without
-- Watermark rights sees no rows, viewers and operators read, only the service role
-- writes. (Clients use the RPCs; this is the floor under them.)
begin;
select plan(39);

-- One row in each table, written as the owner.
insert into watermark.etl_executions (execution_id) values ('rls_exec');
insert into watermark.etl_logs (level, component, message, execution_id) values ('INFO', 'rls', 'hello', 'rls_exec');
insert into watermark.etl_metrics (metric_name, metric_value, execution_id) values ('rls_metric', 1, 'rls_exec');
insert into watermark.audit_log (actor, action) values ('tests', 'rls_check');

-- anon: the schema itself is closed.
select tests.authenticate_as('anon');
select throws_ok('select count(*) from watermark.etl_executions', '42501', 'permission denied for schema watermark',
  'anon cannot read executions');
select throws_ok('select count(*) from watermark.etl_logs', '42501', 'permission denied for schema watermark',
  'anon cannot read logs');
select throws_ok('select count(*) from watermark.etl_metrics', '42501', 'permission denied for schema watermark',
  'anon cannot read metrics');
select throws_ok('select count(*) from watermark.etl_log_hourly', '42501', 'permission denied for schema watermark',
  'anon cannot read the rollup');
select throws_ok('select count(*) from watermark.retention_policies', '42501', 'permission denied for schema watermark',
  'anon cannot read retention policies');
select throws_ok('select count(*) from watermark.audit_log', '42501', 'permission denied for schema watermark',
  'anon cannot read the audit log');
select throws_ok($$insert into watermark.etl_logs (level, component, message) values ('INFO', 'a', 'b')$$,
  '42501', 'permission denied for schema watermark', 'anon cannot write logs');
select tests.clear_authentication();

-- An authenticated user without Watermark rights: RLS hides every row.
select tests.authenticate_as('user');
select is((select count(*)::integer from watermark.etl_executions), 0, 'user sees no executions');
select is((select count(*)::integer from watermark.etl_logs), 0, 'user sees no logs');
select is((select count(*)::integer from watermark.etl_metrics), 0, 'user sees no metrics');
select is((select count(*)::integer from watermark.etl_log_hourly), 0, 'user sees no hourly counts');
select is((select count(*)::integer from watermark.retention_policies), 0, 'user sees no retention policies');
select is((select count(*)::integer from watermark.audit_log), 0, 'user sees no audit entries');
select throws_ok($$insert into watermark.etl_logs (level, component, message) values ('INFO', 'a', 'b')$$,
  '42501', 'permission denied for table etl_logs', 'user cannot write logs');
select tests.clear_authentication();

-- Viewer: reads monitoring data, not the audit log; writes nothing.
select tests.authenticate_as('viewer');
select is((select count(*)::integer from watermark.etl_executions), 1, 'viewer reads executions');
select is((select count(*)::integer from watermark.etl_logs), 1, 'viewer reads logs');
select is((select count(*)::integer from watermark.etl_metrics), 1, 'viewer reads metrics');
select is((select count(*)::integer from watermark.etl_log_hourly), 1, 'viewer reads hourly counts');
select is((select count(*)::integer from watermark.retention_policies), 8, 'viewer reads retention policies');
select is((select count(*)::integer from watermark.audit_log), 0, 'viewer sees no audit entries');
select throws_ok($$insert into watermark.etl_executions (execution_id) values ('by_viewer')$$,
  '42501', 'permission denied for table etl_executions', 'viewer cannot create executions');
select throws_ok($$update watermark.etl_executions set error_message = 'x'$$,
  '42501', 'permission denied for table etl_executions', 'viewer cannot update executions');
select throws_ok($$insert into watermark.etl_logs (level, component, message) values ('INFO', 'a', 'b')$$,
  '42501', 'permission denied for table etl_logs', 'viewer cannot write logs');
select throws_ok($$delete from watermark.etl_logs$$,
  '42501', 'permission denied for table etl_logs', 'viewer cannot delete logs');
select throws_ok($$insert into watermark.etl_metrics (metric_name, metric_value) values ('m', 1)$$,
  '42501', 'permission denied for table etl_metrics', 'viewer cannot write metrics');
select throws_ok($$update watermark.retention_policies set keep_for = '1 day'$$,
  '42501', 'permission denied for table retention_policies', 'viewer cannot change retention');
select throws_ok($$insert into watermark.etl_log_hourly values ('p', now(), 'INFO', 1)$$,
  '42501', 'permission denied for table etl_log_hourly', 'viewer cannot write the rollup');
select tests.clear_authentication();

-- Operator: reads everything including the audit log; cannot write tables directly.
select tests.authenticate_as('operator');
select is((select count(*)::integer from watermark.etl_executions), 1, 'operator reads executions');
select is((select count(*)::integer from watermark.etl_logs), 1, 'operator reads logs');
select is((select count(*)::integer from watermark.audit_log), 1, 'operator reads the audit log');
select throws_ok($$insert into watermark.audit_log (actor, action) values ('me', 'forged')$$,
  '42501', 'permission denied for table audit_log', 'operator cannot write the audit log directly');
select throws_ok($$insert into watermark.etl_logs (level, component, message) values ('INFO', 'a', 'b')$$,
  '42501', 'permission denied for table etl_logs', 'operator cannot write logs directly');
select tests.clear_authentication();

-- Service role: bypasses RLS and writes.
select tests.authenticate_as('service');
select is((select count(*)::integer from watermark.etl_logs), 1, 'service reads logs');
select lives_ok($$insert into watermark.etl_logs (level, component, message) values ('INFO', 'svc', 'direct')$$,
  'service writes logs');
select lives_ok($$insert into watermark.etl_metrics (metric_name, metric_value) values ('svc', 2)$$,
  'service writes metrics');
select lives_ok($$insert into watermark.etl_executions (execution_id) values ('svc_exec')$$,
  'service writes executions');
select is((select created_by from watermark.etl_logs where component = 'svc'), 'service_role',
  'a direct write records the caller');
select tests.clear_authentication();

-- The write path does not let even the service role bypass validation.
select throws_ok($$insert into watermark.etl_logs (level, component, message) values ('VERBOSE', 'a', 'b')$$,
  '23514', null, 'the table rejects unknown levels whatever the path');
select throws_ok($$insert into watermark.etl_metrics (metric_name, metric_value) values ('m', 'NaN')$$,
  '23514', null, 'the table rejects non-finite metric values whatever the path');

select * from finish();
rollback;
