-- Remediation by rule: a rule with remediation requeue_failed_chunks requeues
-- the collector's failed chunks and failed fixtures when it starts firing (once
-- per firing), audited per chunk with the rule as the actor and the alert as the
-- reason; its firing notification says what was requeued. Off by default.
-- Then the health report with a paused schedule: degraded, with the reason and
-- how to resume it. Time inside a transaction stands still (now()), so
-- "later" is made by moving the recorded timestamps back.
begin;
select plan(30);

update watermark.alert_rules set enabled = false;

create function pg_temp.run(p text, st text, finished_ago interval) returns text language sql as $$
  insert into watermark.etl_executions (execution_id, pipeline, status, started_at, finished_at, heartbeat_at, duration_seconds)
  values (p || '-' || substr(md5(random()::text), 1, 10), p, st, now() - finished_ago - interval '1 minute',
          now() - finished_ago, now() - finished_ago, 60)
  returning execution_id
$$;
create function pg_temp.requeues() returns bigint language sql as $$
  select count(*) from watermark.chunk_audit where action = 'requeue'
$$;

-- Three chunks: 1_10 failed; 2_20 done, one of its fixtures failed; 3_30 done and fine.
insert into watermark.leagues (id, name) values (1, 'L1'), (2, 'L2'), (3, 'L3');
insert into watermark.seasons (id, league_id, name) values (10, 1, 'S10'), (20, 2, 'S20'), (30, 3, 'S30');
insert into watermark.chunks (chunk_id, league_id, season_id, status, attempts, next_attempt_at, last_error, discovered_at)
values ('1_10', 1, 10, 'failed', 3, now() + interval '1 hour', 'HTTP 500 from fixtures/multi', now() - interval '1 day'),
       ('2_20', 2, 20, 'done', 0, null, null, now() - interval '1 day'),
       ('3_30', 3, 30, 'done', 0, null, null, now() - interval '1 day');
insert into watermark.fixtures (id, league_id, season_id, collected_at, next_check_at, attempts, last_error) values
  (101, 1, 10, now() - interval '1 day', null, 0, null),
  (201, 2, 20, now() - interval '1 day', now() + interval '2 hours', 4, 'HTTP 500'),
  (202, 2, 20, now() - interval '1 day', null, 0, null),
  (301, 3, 30, now() - interval '1 day', null, 0, null);

-- The rule's remediation is checked like every other field.
select is((select remediation from watermark.alert_rules where rule_id = 'consecutive-failures'), null,
  'remediation is off by default');
select tests.authenticate_as('operator');
select public.create_alert_rule(rule_id => 't-remedy', kind => 'consecutive_failures', threshold => 1, pipeline => 'watermark');
select throws_ok($$select public.update_alert_rule('t-remedy', '{"remediation": "restart"}')$$, 'WM001',
  'remediation: must be requeue_failed_chunks (requeue the collector''s failed chunks when the rule fires), or null for none',
  'an unknown remediation names the accepted one');
select throws_ok($$select public.update_alert_rule('delivery-failing', '{"remediation": "requeue_failed_chunks"}')$$, 'WM001',
  'remediation: requeue_failed_chunks requeues the collection chunks of pipeline watermark; a delivery_failing rule has none',
  'a global rule cannot requeue chunks');
select throws_ok($$select public.update_alert_rule('t-remedy', '{"pipeline": "other", "remediation": "requeue_failed_chunks"}')$$, 'WM001',
  'remediation: requeue_failed_chunks requeues the collection chunks of pipeline watermark; a consecutive_failures rule of pipeline other has none',
  'a rule of another pipeline cannot requeue chunks');
select tests.clear_authentication();

-- Off: the rule fires and nothing is requeued.
select pg_temp.run('watermark', 'FAILED', '50 minutes');
select public.evaluate_alerts();
select is((select state from watermark.alerts where fingerprint = 't-remedy/watermark'), 'firing', 'the rule fires');
select is(pg_temp.requeues(), 0::bigint, 'without a remediation nothing is requeued');
select is((select status from watermark.chunks where chunk_id = '1_10'), 'failed', '… the failed chunk stays failed');
select is((select n.payload -> 'alerts' -> 0 -> 'remediation' from watermark.alert_notifications n
            order by n.notification_id desc limit 1), 'null'::jsonb, '… and the notification reports no remediation');

-- A run completes: resolved. The operator turns the remediation on (audited).
select pg_temp.run('watermark', 'COMPLETED', '40 minutes');
select public.evaluate_alerts();
select is((select state from watermark.alerts where fingerprint = 't-remedy/watermark'), 'resolved', 'a completed run resolves it');
select tests.authenticate_as('operator');
select is(public.update_alert_rule('t-remedy', '{"remediation": "requeue_failed_chunks"}') ->> 'remediation',
  'requeue_failed_chunks', 'an operator turns the remediation on');
select tests.clear_authentication();
select is((select details from watermark.audit_log where action = 'update_alert_rule' and target = 't-remedy'
            order by audit_id desc limit 1), '{"remediation": "requeue_failed_chunks"}'::jsonb, 'the change is audited');

-- On: the next firing requeues the failed chunk and the failed fixture, audited as the rule's.
select pg_temp.run('watermark', 'FAILED', '30 minutes');
select is((public.evaluate_alerts() ->> 'remediations')::integer, 1, 'the firing runs the remediation');
select is((select state from watermark.alerts where fingerprint = 't-remedy/watermark'), 'firing', 'the rule fires again');
select results_eq(
  $$select chunk_id, status, next_attempt_at, last_error is null, discovered_at from watermark.chunks order by chunk_id$$,
  $$values ('1_10', 'pending', null::timestamptz, false, null::timestamptz),
           ('2_20', 'pending', null, true, (select discovered_at from watermark.chunks where chunk_id = '2_20')),
           ('3_30', 'done', null, true, (select discovered_at from watermark.chunks where chunk_id = '3_30'))$$,
  'the failed chunk starts over, the chunk of the failed fixture is pending, the healthy one is untouched');
select results_eq(
  $$select id, next_check_at = now(), attempts, last_error from watermark.fixtures order by id$$,
  $$values (101::bigint, true, 0, null::text), (201, true, 0, null), (202, null, 0, null), (301, null, 0, null)$$,
  'the failed chunk''s fixtures and the failed fixture are due now; the others are not');
select results_eq(
  $$select chunk_id, actor, details ->> 'reason', details ->> 'rule_id' from watermark.chunk_audit
     where action = 'requeue' order by chunk_id$$,
  $$select x.chunk_id, 'alert-rule:t-remedy', 'alert t-remedy/watermark fired: ' || a.summary, 't-remedy'
      from (values ('1_10'), ('2_20')) x(chunk_id), watermark.alerts a where a.fingerprint = 't-remedy/watermark'$$,
  'each requeued chunk is audited with the rule as the actor and the alert as the reason');
select results_eq(
  $$select i -> 'remediation' ->> 'action', (i -> 'remediation' ->> 'chunks')::integer, i -> 'remediation' -> 'chunk_ids',
           (i -> 'remediation' ->> 'failed_fixtures')::integer, (i -> 'remediation' ->> 'fixtures')::integer
      from watermark.alert_notifications n, jsonb_array_elements(n.payload -> 'alerts') i
     where i ->> 'fingerprint' = 't-remedy/watermark' and i ->> 'event' = 'firing'
     order by n.notification_id desc limit 1$$,
  $$values ('requeue_failed_chunks', 1, '["1_10"]'::jsonb, 1, 2)$$,
  'the firing notification says what was requeued');
select is((select remediation ->> 'error' from watermark.alerts where fingerprint = 't-remedy/watermark'), null,
  'the remediation ran without error');

-- Once per firing: a chunk failing again while the alert still fires stays failed.
update watermark.chunks set status = 'failed', last_error = 'HTTP 500 again' where chunk_id = '1_10';
update watermark.alerts set last_notified_at = now() - interval '5 hours' where fingerprint = 't-remedy/watermark';
select is((public.evaluate_alerts() ->> 'remediations')::integer, 0, 'a firing alert does not remediate again …');
select is((select status from watermark.chunks where chunk_id = '1_10'), 'failed', '… the chunk stays failed');
select is(pg_temp.requeues(), 2::bigint, '… nothing more is audited');
select is((select i -> 'remediation' from watermark.alert_notifications n, jsonb_array_elements(n.payload -> 'alerts') i
            where i ->> 'fingerprint' = 't-remedy/watermark' order by n.notification_id desc limit 1),
  'null'::jsonb, '… and its repeat notification does not claim a new remediation');

-- Through the API (the service role) the same remediation runs; other pipelines have no chunks.
update watermark.alert_rules set pipeline = null where rule_id = 't-remedy';
select pg_temp.run('elsewhere', 'FAILED', '20 minutes');
select tests.authenticate_as('service');
select is((public.evaluate_alerts() ->> 'remediations')::integer, 1, 'the service role runs evaluations with remediation');
select tests.clear_authentication();
select is((select remediation ->> 'skipped' from watermark.alerts where fingerprint = 't-remedy/elsewhere'),
  'pipeline elsewhere has no collection chunks (only pipeline watermark has)', 'another pipeline''s firing requeues nothing and says why');
select is(pg_temp.requeues(), 2::bigint, '… and audits nothing');

-- Nobody else runs a remediation.
select tests.authenticate_as('operator');
select throws_ok($$select watermark.run_alert_remediation(r, a) from watermark.alert_rules r, watermark.alerts a limit 1$$,
  '42501', null, 'operators cannot run a remediation directly');
select tests.clear_authentication();

-- Health: a paused schedule is degraded (not unhealthy) and says why and how to resume it.
update watermark.alert_rules set enabled = false;
update watermark.alerts set state = 'resolved';
insert into watermark.alert_evaluations default values;
update watermark.function_schedules set paused_at = now(), paused_reason = 'HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY'
 where function_name = 'collect';
update watermark.function_schedules set enabled = false where function_name = 'alerts';
select tests.authenticate_as('viewer');
select is(public.get_health_report() -> 'services' -> 'scheduler' ->> 'status', 'degraded', 'a paused schedule degrades the scheduler');
select ok(public.get_health_report() ->> 'status' <> 'unhealthy', '… and not the whole report: nothing fails or piles up');
select ok(public.get_health_report() -> 'reasons' ? ('scheduler: collect paused: HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY; '
                                                     || 'fix it, then resume_function_schedule(''collect'')'),
  'the reason names the pause and how to resume it');
select results_eq(
  $$select f ->> 'function_name', f ->> 'state', f ->> 'paused_reason'
      from jsonb_array_elements(public.get_health_report() -> 'services' -> 'scheduler' -> 'functions') f
     where f ->> 'function_name' in ('alerts', 'collect') order by 1$$,
  $$values ('alerts', 'disabled', null::text), ('collect', 'paused', 'HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY')$$,
  'each schedule shows its state: paused with its reason, disabled');
select tests.clear_authentication();

select * from finish();
rollback;
