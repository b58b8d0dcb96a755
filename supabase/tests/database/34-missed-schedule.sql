-- The dead-man switch needs no configuration for a pipeline pg_cron starts:
-- missed_schedule expects a completed run every interval of the schedule's cron
-- expression (collect → watermark), fires after that plus the grace when runs
-- stop or stop succeeding, and says why. Pipelines reporting from outside
-- declare their interval; a rule's interval_seconds overrides both.
begin;
select plan(34);

update watermark.alert_rules set enabled = false;

create function pg_temp.run(p text, st text, finished_ago interval)
returns text language sql as $$
  insert into watermark.etl_executions (execution_id, pipeline, status, started_at, finished_at, heartbeat_at)
  values (p || '-' || substr(md5(random()::text), 1, 10), p, st, now() - finished_ago - interval '1 minute',
          now() - finished_ago, now() - finished_ago)
  returning execution_id
$$;
create function pg_temp.alert(fp text) returns watermark.alerts language sql as $$
  select a from watermark.alerts a where a.fingerprint = fp
$$;

-- What pg_cron takes, as the longest gap between two runs.
select is(watermark.cron_interval_seconds(v.expression), v.seconds, format('%s runs at least every %s s', v.expression, v.seconds))
  from (values ('*/10 * * * *', 600), ('* * * * *', 60), ('0 * * * *', 3600), ('30 seconds', 30),
               ('5,35 * * * *', 1800), ('*/7 * * * *', 420), ('0 0 * * *', 86400),
               ('0 9 * * 1-5', 259200), ('*/15 9-17 * * mon-fri', 227700), ('0 0 1 * *', 2678400),
               ('0 0 $ * *', 2678400), ('0 0 * * 7', 604800), ('0 12 13 * 5', 604800), ('0 0 1 jan *', 31536000))
       as v(expression, seconds);
select is(watermark.cron_interval_seconds(v.expression), null, format('%L has no interval', v.expression))
  from (values ('every minute'), ('61 * * * *'), ('0 0 31 2 *'), ('* * * *')) as v(expression);

-- collect starts the watermark pipeline.
select results_eq(
  $$select pipeline, function_name, cron_expression, interval_seconds, enabled, cron_job from watermark.scheduled_pipelines()$$,
  $$values ('watermark', 'collect', '*/10 * * * *', 600, true, 'watermark-invoke-collect')$$,
  'the collect schedule starts the watermark pipeline every 10 minutes');

-- The built-in rule, as installed: interval 600 s (the schedule) + grace 600 s.
update watermark.alert_rules set enabled = true where rule_id = 'missed-schedule';
select pg_temp.run('watermark', 'COMPLETED', interval '1199 seconds');
select public.evaluate_alerts();
select is(pg_temp.alert('missed-schedule/watermark'), null, 'a completed run 1199 s ago is within the schedule''s 600 s + 600 s grace');

-- Time passes (finished runs never change: the run is recorded again, older).
delete from watermark.etl_executions where pipeline = 'watermark';
select pg_temp.run('watermark', 'COMPLETED', interval '1201 seconds');
select public.evaluate_alerts();
select is((pg_temp.alert('missed-schedule/watermark')).state, 'firing', 'by default the dead-man switch fires 1 s after interval + grace');
select matches((pg_temp.alert('missed-schedule/watermark')).summary,
  '^no completed run since .* \(expected every 10 min, schedule of collect: \*/10 \* \* \* \*\)$',
  'the summary names the schedule the interval comes from');

-- Stopped succeeding: failed runs do not count.
select pg_temp.run('watermark', 'FAILED', interval '0 seconds');
select public.evaluate_alerts();
select is((pg_temp.alert('missed-schedule/watermark')).state, 'firing', 'a failed run does not reset the dead-man switch');

-- Stopped being scheduled: the summary says so.
select public.configure_function_schedule('collect', '*/10 * * * *', enabled => false);
select public.evaluate_alerts();
select matches((pg_temp.alert('missed-schedule/watermark')).summary, '; the collect schedule is disabled$',
  'a disabled schedule still expects runs, and the summary says the schedule is disabled');
select public.configure_function_schedule('collect', '*/10 * * * *');
select watermark.pause_function_schedule('collect', 'HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY');
select public.evaluate_alerts();
select matches((pg_temp.alert('missed-schedule/watermark')).summary,
  '; the collect schedule is paused: HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY; fix it, then resume_function_schedule\(''collect''\)$',
  'a paused schedule: the summary says why and how to resume it');

-- A completed run resolves it, and the resolution says what recovered.
select pg_temp.run('watermark', 'COMPLETED', interval '0 seconds');
select public.evaluate_alerts();
select is((pg_temp.alert('missed-schedule/watermark')).state, 'resolved', 'a completed run resolves it');
select matches((pg_temp.alert('missed-schedule/watermark')).summary, '^runs are on time again: last completed run at ',
  'the resolved summary says runs are on time again, not the firing summary');
select is((select i ->> 'summary' from watermark.alert_notifications n, jsonb_array_elements(n.payload -> 'alerts') i
            where i ->> 'fingerprint' = 'missed-schedule/watermark' and i ->> 'event' = 'resolved'),
  (pg_temp.alert('missed-schedule/watermark')).summary, 'and so does the resolved notification');

-- A faster schedule shortens the interval: every minute → fires after 60 s + grace.
select public.configure_function_schedule('collect', '* * * * *');
select pg_temp.run('watermark', 'COMPLETED', interval '661 seconds');
delete from watermark.etl_executions where pipeline = 'watermark' and finished_at > now() - interval '600 seconds';
select public.evaluate_alerts();
select is((pg_temp.alert('missed-schedule/watermark')).state, 'firing', 'on * * * * * the switch fires after 60 s + 600 s grace');

-- A rule's interval_seconds overrides the schedule.
select public.update_alert_rule('missed-schedule', '{"params": {"interval_seconds": 7200}}');
select public.evaluate_alerts();
select is((pg_temp.alert('missed-schedule/watermark')).state, 'resolved', 'the rule''s interval_seconds wins over the schedule');
select public.update_alert_rule('missed-schedule', '{"params": {}}');

-- A pipeline reporting from outside declares its interval.
select public.report_pipeline_status('outside', 'rows', expected_interval_seconds => 3600);
select pg_temp.run('outside', 'COMPLETED', interval '4199 seconds');
select public.evaluate_alerts();
select is(pg_temp.alert('missed-schedule/outside'), null, 'a declared interval of 1 h: 4199 s is within 1 h + grace');
delete from watermark.etl_executions where pipeline = 'outside';
select pg_temp.run('outside', 'COMPLETED', interval '4201 seconds');
select public.evaluate_alerts();
select is((pg_temp.alert('missed-schedule/outside')).state, 'firing', 'a declared interval of 1 h fires after 1 h + grace');
select matches((pg_temp.alert('missed-schedule/outside')).summary, '\(expected every 60 min, declared by the pipeline\)$',
  'the summary says the interval was declared');

-- scheduled_pipelines reads pg_cron's jobs with the owner's rights: it checks the caller itself.
select set_config('request.jwt.claims', tests.persona_claims('user')::text, true);
select throws_ok('select * from watermark.scheduled_pipelines()', '42501',
  'permission denied: scheduled_pipelines needs viewer access', 'the definer helper refuses a caller without viewer access');
select set_config('request.jwt.claims', '', true);

select * from finish();
rollback;
