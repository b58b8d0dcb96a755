-- Every alert rule kind at its edges (just below / at / above the threshold),
-- and the lifecycle: for-duration, repeat interval, resolution, mute, grouping,
-- idempotent re-evaluation. Time inside a transaction stands still (now()), so
-- "later" is made by moving the recorded timestamps back.
begin;
select plan(58);

update watermark.alert_rules set enabled = false;

create function pg_temp.run(p text, st text, finished_ago interval, minutes numeric default 1,
  processed integer default null, failed integer default null, rows_written bigint default null)
returns text language sql as $$
  insert into watermark.etl_executions (execution_id, pipeline, status, started_at, finished_at, heartbeat_at,
                                        duration_seconds, processed_fixtures, failed_fixtures, rows_written)
  values (p || '-' || substr(md5(random()::text), 1, 10), p, st,
          now() - finished_ago - make_interval(secs => minutes * 60), now() - finished_ago,
          now() - finished_ago, minutes * 60, processed, failed, rows_written)
  returning execution_id
$$;
create function pg_temp.state(fp text) returns text language sql as $$
  select coalesce((select a.state from watermark.alerts a where a.fingerprint = fp), 'none')
$$;
create function pg_temp.rule(id text, k text, threshold double precision, params jsonb default '{}',
  for_seconds integer default 0, repeat_seconds integer default 3600)
returns void language sql as $$
  insert into watermark.alert_rules (rule_id, kind, threshold, params, for_seconds, repeat_seconds)
  values (id, k, threshold, params, for_seconds, repeat_seconds)
$$;
create function pg_temp.notified(fp text) returns bigint language sql as $$
  select count(*) from watermark.alert_notifications n, jsonb_array_elements(n.payload -> 'alerts') i
   where i ->> 'fingerprint' = fp
$$;

-- the seed's four defaults are installed
select results_eq(
  $$select rule_id, kind, threshold from watermark.alert_rules
     where rule_id in ('error-rate', 'max-duration', 'min-success-rate', 'consecutive-failures') order by rule_id$$,
  $$values ('consecutive-failures', 'consecutive_failures', 3::double precision), ('error-rate', 'error_rate', 5),
           ('max-duration', 'run_duration', 60), ('min-success-rate', 'success_rate', 90)$$,
  'the seed''s thresholds are installed: error rate 5 %, 60 min, 90 %, 3 failures');
select is((select count(distinct kind) from watermark.alert_rules), (select count(*) from watermark.alert_rule_kinds), 'a default rule exists for every kind');

-- error_rate (> 5 %)
select pg_temp.rule('t-er', 'error_rate', 5);
select pg_temp.run('er-below', 'COMPLETED', '5 min', 1, 100, 4);
select pg_temp.run('er-at', 'COMPLETED', '5 min', 1, 100, 5);
select pg_temp.run('er-above', 'COMPLETED', '5 min', 1, 100, 6);
select pg_temp.run('er-old', 'COMPLETED', '2 hours', 1, 100, 50);
-- run_duration (> 60 min)
select pg_temp.rule('t-dur', 'run_duration', 60);
select pg_temp.run('dur-below', 'COMPLETED', '1 min', 59);
select pg_temp.run('dur-at', 'COMPLETED', '1 min', 60);
select pg_temp.run('dur-above', 'COMPLETED', '1 min', 61);
insert into watermark.etl_executions (execution_id, pipeline, started_at, heartbeat_at)
values ('dur-running-1', 'dur-running', now() - interval '61 minutes', now());
-- success_rate (< 90 %)
select pg_temp.rule('t-sr', 'success_rate', 90);
select pg_temp.run('sr-at', case when i <= 9 then 'COMPLETED' else 'FAILED' end, '10 min') from generate_series(1, 10) i;
select pg_temp.run('sr-below', case when i <= 8 then 'COMPLETED' else 'FAILED' end, '10 min') from generate_series(1, 10) i;
select pg_temp.run('sr-all', 'COMPLETED', '10 min') from generate_series(1, 10) i;
-- consecutive_failures (>= 3)
select pg_temp.rule('t-cf', 'consecutive_failures', 3);
select pg_temp.run('cf-two', 'COMPLETED', '30 min'); select pg_temp.run('cf-two', 'FAILED', '20 min'); select pg_temp.run('cf-two', 'FAILED', '10 min');
select pg_temp.run('cf-three', 'COMPLETED', '40 min');
select pg_temp.run('cf-three', 'FAILED', '30 min'); select pg_temp.run('cf-three', 'ABANDONED', '20 min'); select pg_temp.run('cf-three', 'FAILED', '10 min');
select pg_temp.run('cf-recovered', 'FAILED', '40 min'); select pg_temp.run('cf-recovered', 'FAILED', '30 min');
select pg_temp.run('cf-recovered', 'FAILED', '20 min'); select pg_temp.run('cf-recovered', 'COMPLETED', '10 min');
-- stuck_run (heartbeat older than the run's timeout)
select pg_temp.rule('t-stuck', 'stuck_run', 1);
insert into watermark.etl_executions (execution_id, pipeline, started_at, heartbeat_at, heartbeat_timeout_seconds) values
  ('stuck-below-1', 'stuck-below', now() - interval '1 hour', now() - interval '29 seconds', 30),
  ('stuck-at-1', 'stuck-at', now() - interval '1 hour', now() - interval '30 seconds', 30),
  ('stuck-above-1', 'stuck-above', now() - interval '1 hour', now() - interval '31 seconds', 30);
-- missed_schedule (overdue > 60 s grace, interval 600 s)
select pg_temp.rule('t-ms', 'missed_schedule', 60, '{"interval_seconds": 600}');
select pg_temp.run('ms-below', 'COMPLETED', '659 seconds');
select pg_temp.run('ms-at', 'COMPLETED', '660 seconds');
select pg_temp.run('ms-above', 'COMPLETED', '661 seconds');
-- data_freshness (> 60 min since the stalest entity succeeded)
select pg_temp.rule('t-fresh', 'data_freshness', 60);
insert into watermark.etl_control (pipeline, entity, last_success_at) values
  ('fresh-below', 'fixtures', now() - interval '59 minutes'),
  ('fresh-at', 'fixtures', now() - interval '60 minutes'),
  ('fresh-above', 'fixtures', now() - interval '1 minute'), ('fresh-above', 'teams', now() - interval '61 minutes');
-- zero_rows (latest completed run wrote <= 0 rows)
select pg_temp.rule('t-zero', 'zero_rows', 0);
select pg_temp.run('zero-yes', 'COMPLETED', '20 min', 1, null, null, 10); select pg_temp.run('zero-yes', 'COMPLETED', '10 min', 1, null, null, 0);
select pg_temp.run('zero-no', 'COMPLETED', '20 min', 1, null, null, 0); select pg_temp.run('zero-no', 'COMPLETED', '10 min', 1, null, null, 1);
-- volume_anomaly (|z| > 3 against 5 runs of 100 rows; sd floored at 1)
select pg_temp.rule('t-vol', 'volume_anomaly', 3);
select pg_temp.run(p, 'COMPLETED', make_interval(mins => 10 + i), 1, null, null, 100)
  from unnest(array['vol-below', 'vol-at', 'vol-above']) p, generate_series(1, 5) i;
select pg_temp.run('vol-below', 'COMPLETED', '1 min', 1, null, null, 102);
select pg_temp.run('vol-at', 'COMPLETED', '1 min', 1, null, null, 103);
select pg_temp.run('vol-above', 'COMPLETED', '1 min', 1, null, null, 96);
-- the same jump against runs older than the window (default 30 days): no samples
select pg_temp.run('vol-old', 'COMPLETED', make_interval(days => 40, mins => i), 1, null, null, 100) from generate_series(1, 5) i;
select pg_temp.run('vol-old', 'COMPLETED', '1 min', 1, null, null, 96);
-- invocation_failed (>= 2 scheduled invocations in a row)
select pg_temp.rule('t-inv', 'invocation_failed', 2);
insert into watermark.function_invocations (function_name, trigger, status, requested_at) values
  ('inv-below', 'schedule', 'succeeded', now() - interval '3 minutes'), ('inv-below', 'schedule', 'failed', now() - interval '1 minute'),
  ('inv-at', 'schedule', 'failed', now() - interval '2 minutes'), ('inv-at', 'schedule', 'timed_out', now() - interval '1 minute'),
  ('inv-at', 'schedule', 'queued', now()),
  ('inv-recovered', 'schedule', 'failed', now() - interval '3 minutes'), ('inv-recovered', 'schedule', 'failed', now() - interval '2 minutes'),
  ('inv-recovered', 'schedule', 'succeeded', now() - interval '1 minute'),
  ('inv-manual', 'manual', 'failed', now() - interval '2 minutes'), ('inv-manual', 'manual', 'failed', now() - interval '1 minute');
-- delivery_failing (>= 1 channel with 3 failed attempts in a row; 35-alert-delivery-settings has the rest)
select pg_temp.rule('t-del', 'delivery_failing', 1);
insert into watermark.alert_channel_delivery (channel, consecutive_failures, failing_since)
values ('t-ch', 2, now() - interval '1 minute');

select lives_ok('select public.evaluate_alerts()', 'evaluation runs');

select is(pg_temp.state('t-er/er-below'), 'none', 'error_rate: 4 % is below 5 %');
select is(pg_temp.state('t-er/er-at'), 'none', 'error_rate: exactly 5 % does not fire (fires above)');
select is(pg_temp.state('t-er/er-above'), 'firing', 'error_rate: 6 % fires');
select is(pg_temp.state('t-er/er-old'), 'none', 'error_rate: runs outside the window are ignored');
select is(pg_temp.state('t-dur/dur-below'), 'none', 'run_duration: 59 min is fine');
select is(pg_temp.state('t-dur/dur-at'), 'none', 'run_duration: exactly 60 min does not fire');
select is(pg_temp.state('t-dur/dur-above'), 'firing', 'run_duration: 61 min fires');
select is(pg_temp.state('t-dur/dur-running'), 'firing', 'run_duration: a run still going after 61 min fires');
select is(pg_temp.state('t-sr/sr-at'), 'none', 'success_rate: exactly 90 % does not fire');
select is(pg_temp.state('t-sr/sr-below'), 'firing', 'success_rate: 80 % fires');
select is(pg_temp.state('t-sr/sr-all'), 'none', 'success_rate: 100 % is fine');
select is(pg_temp.state('t-cf/cf-two'), 'none', 'consecutive_failures: 2 in a row do not fire');
select is(pg_temp.state('t-cf/cf-three'), 'firing', 'consecutive_failures: 3 in a row (abandoned counts) fire');
select is(pg_temp.state('t-cf/cf-recovered'), 'none', 'consecutive_failures: a completed run ends the streak');
select is((select value from watermark.alerts where fingerprint = 't-cf/cf-three'), 3::double precision, 'consecutive_failures: value is the streak');
select is((select cardinality(execution_ids) from watermark.alerts where fingerprint = 't-cf/cf-three'), 3, 'consecutive_failures: names the failed executions');
select is(pg_temp.state('t-stuck/stuck-below'), 'none', 'stuck_run: heartbeat 29 s old with a 30 s timeout is alive');
select is(pg_temp.state('t-stuck/stuck-at'), 'none', 'stuck_run: exactly the timeout is not yet stuck');
select is(pg_temp.state('t-stuck/stuck-above'), 'firing', 'stuck_run: 31 s old with a 30 s timeout is stuck');
select is(pg_temp.state('t-ms/ms-below'), 'none', 'missed_schedule: 59 s overdue is within the 60 s grace');
select is(pg_temp.state('t-ms/ms-at'), 'none', 'missed_schedule: exactly the grace does not fire');
select is(pg_temp.state('t-ms/ms-above'), 'firing', 'missed_schedule: 61 s overdue fires (dead-man switch)');
select is(pg_temp.state('t-fresh/fresh-below'), 'none', 'data_freshness: 59 min is fresh');
select is(pg_temp.state('t-fresh/fresh-at'), 'none', 'data_freshness: exactly 60 min does not fire');
select is(pg_temp.state('t-fresh/fresh-above'), 'firing', 'data_freshness: the stalest entity (61 min) decides');
select is(pg_temp.state('t-zero/zero-yes'), 'firing', 'zero_rows: the latest completed run wrote 0 rows');
select is(pg_temp.state('t-zero/zero-no'), 'none', 'zero_rows: a later run with rows clears it');
select is(pg_temp.state('t-vol/vol-below'), 'none', 'volume_anomaly: z = 2 is normal');
select is(pg_temp.state('t-vol/vol-at'), 'none', 'volume_anomaly: z = 3 does not fire');
select is(pg_temp.state('t-vol/vol-above'), 'firing', 'volume_anomaly: z = 4 fires');
select is(pg_temp.state('t-vol/vol-old'), 'none', 'volume_anomaly: runs finished before the window (30 days) are not samples');
select is(pg_temp.state('t-inv/inv-below'), 'none', 'invocation_failed: one failure is below 2');
select is(pg_temp.state('t-inv/inv-at'), 'firing', 'invocation_failed: failed + timed out in a row fire (queued ignored)');
select is(pg_temp.state('t-inv/inv-recovered'), 'none', 'invocation_failed: a success ends the streak');
select is(pg_temp.state('t-inv/inv-manual'), 'none', 'invocation_failed: manual invocations do not count');
select is(pg_temp.state('t-del/*'), 'none', 'delivery_failing: two failed attempts in a row are not yet failing');

-- overlapping / repeated evaluation changes nothing twice
select is((public.evaluate_alerts() ->> 'transitions')::integer, 0, 'a second evaluation makes no transition');
select is((select count(*) from watermark.alert_notifications where kind = 'alerts'), 
          (select count(distinct scope_key) from watermark.alerts where state = 'firing'),
          'one grouped notification per firing scope, none from the second evaluation');

update watermark.alert_channel_delivery set consecutive_failures = 3 where channel = 't-ch';
select public.evaluate_alerts();
select is(pg_temp.state('t-del/*'), 'firing', 'delivery_failing: the third failed attempt in a row fires');

-- lifecycle: for duration, repeat interval, resolution
update watermark.alert_rules set enabled = false where rule_id like 't-%';
select pg_temp.rule('t-life', 'consecutive_failures', 3, '{}', 300, 600);
select pg_temp.run('life', 'FAILED', make_interval(mins => i)) from generate_series(1, 3) i;
select public.evaluate_alerts();
select is(pg_temp.state('t-life/life'), 'pending', 'for 300 s: a breach first goes pending');
select is(pg_temp.notified('t-life/life'), 0::bigint, 'pending is not notified');
update watermark.alerts set pending_since = now() - interval '299 seconds' where fingerprint = 't-life/life';
select public.evaluate_alerts();
select is(pg_temp.state('t-life/life'), 'pending', 'still pending at 299 s');
update watermark.alerts set pending_since = now() - interval '300 seconds' where fingerprint = 't-life/life';
select public.evaluate_alerts();
select is(pg_temp.state('t-life/life'), 'firing', 'firing once the for-duration has passed');
select is(pg_temp.notified('t-life/life'), 1::bigint, 'firing is notified once');
update watermark.alerts set last_notified_at = now() - interval '599 seconds' where fingerprint = 't-life/life';
select public.evaluate_alerts();
select is(pg_temp.notified('t-life/life'), 1::bigint, 'no repeat before the repeat interval');
update watermark.alerts set last_notified_at = now() - interval '600 seconds' where fingerprint = 't-life/life';
select public.evaluate_alerts();
select is(pg_temp.notified('t-life/life'), 2::bigint, 're-notified after the repeat interval');
select pg_temp.run('life', 'COMPLETED', '0 seconds');
select public.evaluate_alerts();
select public.evaluate_alerts();
select is(pg_temp.state('t-life/life'), 'resolved', 'a success resolves it');
select is(pg_temp.notified('t-life/life'), 3::bigint, 'resolution is notified once');
select results_eq(
  $$select from_state, to_state from watermark.alert_history where fingerprint = 't-life/life' order by history_id$$,
  $$values ('inactive', 'pending'), ('pending', 'firing'), ('firing', 'resolved')$$,
  'history records every transition');

-- a pending breach that clears goes back to inactive, silently
select pg_temp.run('blip', 'FAILED', make_interval(mins => i + 1)) from generate_series(1, 3) i;
select public.evaluate_alerts();
select pg_temp.run('blip', 'COMPLETED', '0 seconds');
select public.evaluate_alerts();
select is(pg_temp.state('t-life/blip'), 'inactive', 'a pending alert that clears becomes inactive');
select is(pg_temp.notified('t-life/blip'), 0::bigint, 'and is never notified');

-- mute: transitions happen, notifications wait until unmuted
update watermark.alert_rules set for_seconds = 0, muted_until = now() + interval '1 hour' where rule_id = 't-life';
select pg_temp.run('muted', 'FAILED', make_interval(mins => i)) from generate_series(1, 3) i;
select public.evaluate_alerts();
select is(pg_temp.notified('t-life/muted'), 0::bigint, 'a muted rule fires without notifying');
update watermark.alert_rules set muted_until = null where rule_id = 't-life';
select public.evaluate_alerts();
select is(pg_temp.notified('t-life/muted'), 1::bigint, 'after unmute the firing alert is notified');

-- The observers that run every minute read executions by index, not the whole history.
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
select ok(pg_temp.plan_of($$select max(e.finished_at) from watermark.etl_executions e where e.pipeline = 'p' and e.status = 'COMPLETED'$$)
            ~ 'etl_executions_completed_idx',
  'missed_schedule finds the last completed run by index');
select ok(pg_temp.plan_of($$select count(*) from watermark.etl_executions e where e.status <> 'RUNNING' and e.finished_at >= now() - interval '1 hour'$$)
            ~ 'etl_executions_finished_at_idx',
  'windowed observers read the runs finished within the window by index');
reset enable_seqscan;

select * from finish();
rollback;
