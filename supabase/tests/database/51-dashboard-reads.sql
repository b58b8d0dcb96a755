-- The dashboard's read RPCs: the access matrix (anon nothing, users without rights 42501,
-- viewers and up read), bad input named, and what each returns from known rows.
begin;
select plan(80);

create temporary table rpc_calls (rpc text primary key, call text not null);
insert into rpc_calls values
  ('get_run_series', $$select * from public.get_run_series()$$),
  ('get_run_chunks', $$select * from public.get_run_chunks('dash_none')$$),
  ('list_pipelines', $$select * from public.list_pipelines()$$),
  ('list_recent_fixtures', $$select * from public.list_recent_fixtures()$$),
  ('list_applied_migrations', $$select * from public.list_applied_migrations()$$),
  ('get_access_audit', $$select public.get_access_audit()$$),
  ('get_pipeline_history', $$select * from public.get_pipeline_history('watermark')$$),
  ('export_monitoring', $$select public.export_monitoring(now() - interval '1 day')$$);
grant select on rpc_calls to anon, authenticated, service_role;

select is(
  (select array_agg(c.rpc order by c.rpc) from rpc_calls c
   where (select count(*) from pg_proc p where p.proname = c.rpc and p.pronamespace = 'public'::regnamespace) <> 1),
  null, 'every dashboard read RPC exists once in public');

select tests.authenticate_as('anon');
select throws_ok(call, '42501', format('permission denied for function %s', rpc), format('anon cannot call %s', rpc))
  from rpc_calls order by rpc;
select tests.clear_authentication();

select tests.authenticate_as('user');
select throws_ok(call, '42501', format('permission denied: %s needs viewer access', rpc), format('a user without rights cannot call %s', rpc))
  from rpc_calls order by rpc;
select tests.clear_authentication();

select tests.authenticate_as('viewer');
select lives_ok(call, format('viewer can call %s', rpc)) from rpc_calls order by rpc;
select tests.clear_authentication();

select tests.authenticate_as('operator');
select lives_ok(call, format('operator can call %s', rpc)) from rpc_calls order by rpc;
select tests.clear_authentication();

select tests.authenticate_as('service');
select lives_ok(call, format('service role can call %s', rpc)) from rpc_calls order by rpc;
select tests.clear_authentication();

select ok(
  (select bool_and(p.prosrc ~ format('watermark\.require_access\(\s*1\s*,\s*''%s''', c.rpc))
   from rpc_calls c join pg_proc p on p.proname = c.rpc and p.pronamespace = 'public'::regnamespace),
  'every dashboard read RPC checks viewer access first');
select is(
  (select array_agg(p.proname::text order by p.proname) from rpc_calls c
     join pg_proc p on p.proname = c.rpc and p.pronamespace = 'public'::regnamespace
    where p.prosecdef),
  array['get_access_audit', 'list_applied_migrations'],
  'only the audit and the migrations read as definer (their tables are closed to viewers)');

-- Bad input names the field.
select tests.authenticate_as('viewer');
select throws_ok($$select * from public.get_run_series(0)$$, 'WM001', 'days: must be between 1 and 90', 'days is bounded');
select throws_ok($$select * from public.get_run_chunks('')$$, 'WM001', 'execution_id: is required; pass an id from list_etl_executions', 'get_run_chunks needs an execution');
select throws_ok($$select * from public.list_recent_fixtures(0)$$, 'WM001', 'max_rows: must be between 1 and 200', 'list_recent_fixtures bounds max_rows');
select throws_ok($$select public.get_access_audit(0)$$, 'WM001', 'hours: must be between 1 and 168', 'get_access_audit bounds hours');
select throws_ok($$select public.get_access_audit(24, 0)$$, 'WM001', 'max_rows: must be between 1 and 500', 'get_access_audit bounds max_rows');
select throws_ok($$select public.export_monitoring(null)$$, 'WM001', 'since: is required: the start of the time range', 'export_monitoring needs since');
select throws_ok($$select public.export_monitoring(now(), now() - interval '1 hour')$$, 'WM001', 'until: must be later than since', 'export_monitoring needs a range');
select throws_ok($$select public.export_monitoring(now() - interval '1 hour', format => 'xml')$$, 'WM001', 'format: must be json or csv', 'export_monitoring names the formats');
select tests.clear_authentication();

-- Known rows: two pipelines, one only reporting executions; a run with two chunks.
select public.start_etl_execution('dash_ok', '{}', 'dash_a', 'manual');
select public.log_etl_events(jsonb_build_array(
  jsonb_build_object('level', 'INFO', 'component', 'collector', 'message', 'chunk claimed', 'execution_id', 'dash_ok', 'chunk_id', '1_1'),
  jsonb_build_object('level', 'INFO', 'component', 'collector', 'message', 'batch upserted', 'execution_id', 'dash_ok', 'chunk_id', '1_1',
                     'details', jsonb_build_object('fixtures', 50, 'rows_written', 48, 'failed', 2)),
  jsonb_build_object('level', 'INFO', 'component', 'collector', 'message', 'batch upserted', 'execution_id', 'dash_ok', 'chunk_id', '1_1',
                     'details', jsonb_build_object('fixtures', 10, 'rows_written', 10, 'failed', 0)),
  jsonb_build_object('level', 'INFO', 'component', 'collector', 'message', 'chunk released done', 'execution_id', 'dash_ok', 'chunk_id', '1_1'),
  jsonb_build_object('level', 'ERROR', 'component', 'collector', 'message', 'discovery failed; chunk backs off', 'execution_id', 'dash_ok', 'chunk_id', '2_2'),
  jsonb_build_object('level', 'INFO', 'component', 'collector', 'message', 'chunk released failed', 'execution_id', 'dash_ok', 'chunk_id', '2_2')));
select public.finish_etl_execution('dash_ok', 'COMPLETED', 60, 60, 58, 2, 2, 1, null, 58);
select public.start_etl_execution('dash_fail', '{}', 'dash_b', 'schedule');
select public.finish_etl_execution('dash_fail', 'FAILED', 0, 0, 0, 0, 0, 0, 'boom', 0);
select public.start_etl_execution('dash_live', '{}', 'dash_b', 'schedule');
select public.report_pipeline_status('dash_c', 'orders', source_total => 100, target_total => 80, watermark => '2026-01-01');
insert into watermark.etl_control (pipeline, entity) values ('dash_d', 'never_ran');

select tests.authenticate_as('viewer');
select results_eq(
  $$select chunk_id, batches, fixtures, rows_upserted, fixtures_failed, errors, outcome from public.get_run_chunks('dash_ok') order by chunk_id$$,
  $$values ('1_1', 2::bigint, 60::bigint, 58::bigint, 2::bigint, 0::bigint, 'done'), ('2_2', 0::bigint, 0::bigint, 0::bigint, 0::bigint, 1::bigint, 'failed')$$,
  'get_run_chunks sums each chunk''s batches and says how it was released');
select results_eq(
  $$select pipeline, status, runs, rows_extracted, rows_upserted from public.get_run_series(14) where pipeline like 'dash_%' order by 1, 2$$,
  $$values ('dash_a', 'COMPLETED', 1::bigint, 60::bigint, 58::bigint), ('dash_b', 'FAILED', 1::bigint, 0::bigint, 0::bigint),
           ('dash_b', 'RUNNING', 1::bigint, 0::bigint, 0::bigint)$$,
  'get_run_series counts runs and rows per day, pipeline and status');
select is((select min(day) from public.get_run_series(1)), (now() at time zone 'UTC')::date, 'get_run_series(1) is today (UTC)');
select results_eq(
  $$select pipeline, status, entities, coverage_percent, last_run_status, runs_24h, failures_24h, running
      from public.list_pipelines() where pipeline like 'dash_%' order by 1$$,
  $$values ('dash_a', 'OK', 0::bigint, null::numeric, 'COMPLETED', 1::bigint, 0::bigint, 0::bigint),
           ('dash_b', 'RUNNING', 0::bigint, null::numeric, 'FAILED', 2::bigint, 1::bigint, 1::bigint),
           ('dash_c', 'OK', 1::bigint, 80.00::numeric, null, 0::bigint, 0::bigint, 0::bigint),
           ('dash_d', 'NO_RUN', 1::bigint, null::numeric, null, 0::bigint, 0::bigint, 0::bigint)$$,
  'list_pipelines lists pipelines that only report executions, and control-only ones, each with one status');
select tests.clear_authentication();

select public.finish_etl_execution('dash_live', 'ABANDONED', 0, 0, 0, 0, 0, 0, 'stopped heartbeating', 0);
select tests.authenticate_as('viewer');
select is((select status from public.list_pipelines() where pipeline = 'dash_b'), 'FAILED', 'a pipeline whose last run failed is FAILED');
select tests.clear_authentication();

-- The charts' daily rollup follows every insert, update (finish, abandon) and delete.
delete from watermark.etl_executions where execution_id = 'dash_fail';
create temporary view recount as
  select (started_at at time zone 'UTC')::date as day, pipeline, status, count(*) as runs,
         coalesce(sum(processed_fixtures), 0)::bigint as rows_extracted, coalesce(sum(rows_written), 0)::bigint as rows_upserted
    from watermark.etl_executions group by 1, 2, 3;
select is(
  (select count(*) from ((select * from watermark.etl_execution_daily except select * from recount)
                         union all (select * from recount except select * from watermark.etl_execution_daily)) d),
  0::bigint, 'the daily rollup equals a recount of the runs after inserts, updates and deletes');
create temporary view recount_hourly as
  select date_trunc('hour', started_at, 'UTC') as hour, status, created_by, count(*) as runs from watermark.etl_executions group by 1, 2, 3;
select is(
  (select count(*) from ((select * from watermark.etl_execution_hourly except select * from recount_hourly)
                         union all (select * from recount_hourly except select * from watermark.etl_execution_hourly)) d),
  0::bigint, 'the hourly rollup equals a recount of the runs after inserts, updates and deletes');

-- The audit: an operator's change is visible to a viewer, with who, what and on what.
select tests.authenticate_as('operator');
select public.mute_alert_rule('error-rate', 600);
select tests.clear_authentication();
select tests.authenticate_as('viewer');
select is((select count(*) from watermark.audit_log), 0::bigint, 'viewers still read no row of the audit table itself');
select ok(
  (select public.get_access_audit(24, 50) -> 'changes') @> jsonb_build_array(jsonb_build_object('action', 'mute_alert_rule', 'target', 'error-rate', 'actor', (tests.persona_claims('operator') ->> 'sub'))),
  'get_access_audit shows who changed what');
select is(jsonb_array_length(public.get_access_audit(24, 50) -> 'per_hour'), 24, 'calls per hour: 24 hours, empty ones as zero');
select ok(
  (select public.get_access_audit(24, 50) -> 'top_callers') @> '[{"actor": "postgres"}]'
  or (select public.get_access_audit(24, 50) -> 'top_callers') @> '[{"actor": "service_role"}]',
  'top callers count the runs started');
select tests.clear_authentication();
-- The runs in the audit come counted from the hourly rollup: a caller's count and newest
-- run equal the runs themselves, and every hour's calls equal the three sources counted raw.
insert into watermark.etl_executions (execution_id, pipeline, status, started_at, finished_at, heartbeat_at, created_by)
select 'aud_' || g, 'audit_p', 'COMPLETED', date_trunc('hour', now(), 'UTC') - (g % 5) * interval '1 hour' + interval '1 second',
       now(), now(), 'aud_caller'
  from generate_series(1, 40) g;
create temporary table audit_raw as
  select date_trunc('hour', x.at, 'UTC') as hour, count(*) as calls from (
    select a.occurred_at as at from watermark.audit_log a union all select c.created_at from watermark.chunk_audit c
    union all select x.started_at from watermark.etl_executions x union all select i.requested_at from watermark.function_invocations i) x
   where x.at >= date_trunc('hour', now(), 'UTC') - interval '23 hours' group by 1;
grant select on audit_raw to authenticated;
select tests.authenticate_as('viewer');
select is(
  (select c from jsonb_array_elements(public.get_access_audit(24, 50) -> 'top_callers') c where c ->> 'actor' = 'aud_caller'),
  jsonb_build_object('actor', 'aud_caller', 'calls', 40,
                     'last_at', date_trunc('hour', now(), 'UTC') + interval '1 second'),
  'a top caller''s runs and newest run equal the runs themselves');
select is(
  (select jsonb_object_agg(h ->> 'hour', (h ->> 'calls')::bigint) from jsonb_array_elements(public.get_access_audit(24, 50) -> 'per_hour') h
    where (h ->> 'calls')::bigint > 0),
  (select jsonb_object_agg(to_jsonb(r.hour) #>> '{}', r.calls) from audit_raw r),
  'each hour''s calls equal the changes, runs and invocations counted raw');
select tests.clear_authentication();
delete from watermark.etl_executions where pipeline = 'audit_p';
select tests.authenticate_as('viewer');
select is((select version from public.list_applied_migrations() limit 1), (select max(version) from public.list_applied_migrations()),
  'list_applied_migrations starts with the newest');
select ok((select count(*) from public.list_applied_migrations() where version >= '20261122000700') >= 1,
  'and lists this migration (dashboard reads)');
select tests.clear_authentication();

-- The pipeline page's sample: the latest collected fixtures with Sportmonks' CURRENT score.
insert into watermark.leagues (id) values (8) on conflict do nothing;
insert into watermark.seasons (id, league_id) values (23614, 8) on conflict do nothing;
insert into watermark.fixtures (id, league_id, season_id, name, state_id, collected_at, scores) values
  (1, 8, 23614, 'Old v Older', 5, now() - interval '1 day', '[]'),
  (2, 8, 23614, 'Home v Away', 5, now(), '[{"description": "1ST_HALF", "score": {"goals": 1, "participant": "home"}},
     {"description": "CURRENT", "score": {"goals": 2, "participant": "home"}},
     {"description": "CURRENT", "score": {"goals": 1, "participant": "away"}}]'),
  (3, 8, 23614, 'Not yet', 1, null, null);
select tests.authenticate_as('viewer');
select results_eq(
  $$select id, name, home_goals, away_goals from public.list_recent_fixtures(5)$$,
  $$values (2::bigint, 'Home v Away', 2, 1), (1::bigint, 'Old v Older', null::integer, null::integer)$$,
  'list_recent_fixtures: newest collected first, with the CURRENT score, never-collected ones left out');

-- The export: a time range as JSON arrays or CSV texts, cut to max_rows with the cut named.
select is(jsonb_array_length(public.export_monitoring(now() - interval '1 hour', now() + interval '1 hour') -> 'executions'), 2, 'export_monitoring lists the range''s executions');
select is(public.export_monitoring(now() - interval '1 hour', now() + interval '1 hour', max_rows => 1) -> 'truncated', '["executions", "logs"]'::jsonb,
  'export_monitoring names the kinds it cut');
select is(
  (select (e ->> 'started_at')::timestamptz
     from jsonb_array_elements(public.export_monitoring(now() - interval '1 hour', now() + interval '1 hour', max_rows => 1) -> 'executions') e),
  (select max(started_at) from watermark.etl_executions
    where started_at >= now() - interval '1 hour' and started_at < now() + interval '1 hour'),
  'export_monitoring keeps the newest max_rows');
select is(jsonb_array_length(public.export_monitoring(now() - interval '1 hour', now() + interval '1 hour') -> 'alerts'), 0, 'alert transitions are exported by time (none here)');
select is(
  split_part(public.export_monitoring(now() - interval '1 hour', now() + interval '1 hour', format => 'csv') ->> 'executions', E'\r\n', 1),
  (select string_agg(k, ',' order by o) from jsonb_object_keys(public.export_monitoring(now() - interval '1 hour', now() + interval '1 hour') -> 'executions' -> 0) with ordinality t(k, o)),
  'CSV starts with a header of the JSON keys');
select is(watermark.jsonb_rows_to_csv('[{"a": "x, \"y\"", "b": 1, "c": null, "d": {"e": 2}}]'),
  E'a,b,c,d\r\n"x, ""y""",1,,"{""e"": 2}"\r\n', 'CSV quotes commas and quotes, leaves nulls empty, writes objects as JSON');
select is(watermark.jsonb_rows_to_csv('[]'), '', 'CSV of no rows is empty');
select is(
  (select count(*) from regexp_split_to_table(rtrim(public.export_monitoring(now() - interval '1 hour', now() + interval '1 hour', format => 'csv') ->> 'logs', E'\r\n'), E'\r\n')),
  1 + (select count(*) from watermark.etl_logs where "timestamp" >= now() - interval '1 hour'),
  'CSV has a line per log and the header');
select tests.clear_authentication();

-- A pipeline's figures over time: each report leaves the day's last values; a day older than 400 is dropped.
insert into watermark.etl_control_daily (pipeline, entity, day, updated_at)
values ('history_p', 'rows', (now() at time zone 'UTC')::date - 401, now() - interval '401 days');
select tests.authenticate_as('service');
select public.report_pipeline_status('history_p', 'rows', source_total => 100, target_total => 40, pending_since_watermark => 60);
select public.report_pipeline_status('history_p', 'rows', source_total => 100, target_total => 90, pending_since_watermark => 10,
  duration_seconds => 5, rows_written => 50);
select tests.clear_authentication();
select tests.authenticate_as('viewer');
select results_eq($$select coverage_percent, pending, last_duration_seconds, throughput_rows_per_sec from public.get_pipeline_history('history_p')$$,
  $$values (90.00::numeric, 10::bigint, 5::numeric, 10.000::numeric)$$, 'get_pipeline_history: one row a day with the day''s last report');
select throws_ok($$select * from public.get_pipeline_history('history_p', 0)$$, 'WM001', 'days: must be between 1 and 400, got 0',
  'get_pipeline_history bounds days');
select tests.clear_authentication();
select is((select count(*)::integer from watermark.etl_control_daily where pipeline = 'history_p'), 1,
  'a day older than 400 days is dropped by the next report');

-- Cost flat as data grows: a day holds tens of thousands of runs at scale, so the
-- counts over the last 24 h (list_pipelines per pipeline, the access audit per caller)
-- must come from the index alone, never from the runs' rows.
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
-- Stats of this transaction's own rows: autovacuum analysing the rows earlier files
-- rolled back would otherwise make the planner's choice depend on its timing.
analyze watermark.etl_executions;
set local enable_seqscan = off;
set local enable_bitmapscan = off;
select ok(pg_temp.plan_of($$select count(*), count(*) filter (where x.status in ('FAILED', 'ABANDONED'))
                             from watermark.etl_executions x
                            where x.pipeline = 'p' and x.started_at > now() - interval '24 hours'$$)
            ~ 'Index Only Scan using etl_executions_pipeline_started_at_idx',
  'list_pipelines counts a pipeline''s runs and failures of the last day from the index alone');
select ok(pg_temp.plan_of($$select max(x.started_at) from watermark.etl_executions x
                            where x.created_by = 'c' and x.started_at >= now() - interval '24 hours'$$)
            ~ 'etl_executions_created_by_idx',
  'get_access_audit finds a top caller''s newest run by index');
reset enable_bitmapscan;
reset enable_seqscan;

select * from finish();
rollback;
