-- The stuck-run reaper, the outbox's delivery protocol (claim, backoff, dead,
-- at-most-once marking), and the rule RPCs' validation messages.
begin;
select plan(40);

-- reaper
insert into watermark.leagues (id) values (8);
insert into watermark.seasons (id, league_id) values (2023, 8);
insert into watermark.etl_executions (execution_id, pipeline, started_at, heartbeat_at, heartbeat_timeout_seconds) values
  ('reap-stale', 'reaper', now() - interval '1 hour', now() - interval '61 seconds', 60),
  ('reap-alive', 'reaper', now() - interval '1 hour', now() - interval '59 seconds', 60);
insert into watermark.chunks (chunk_id, league_id, season_id, status, lease_owner, lease_token, lease_expires_at,
                              lease_execution_id, last_execution_id)
values ('8_2023', 8, 2023, 'running', 'collector-1', gen_random_uuid(), now() + interval '10 minutes', 'reap-stale', 'reap-stale');

select is(public.reap_stale_executions() -> 'execution_ids', '["reap-stale"]'::jsonb, 'only the run past its heartbeat timeout is reaped');
select results_eq($$select execution_id, status from watermark.etl_executions where pipeline = 'reaper' order by 1$$,
  $$values ('reap-alive', 'RUNNING'), ('reap-stale', 'ABANDONED')$$, 'it becomes ABANDONED, the live one stays RUNNING');
select ok((select finished_at is not null and error_message like 'abandoned: no heartbeat since %' from watermark.etl_executions
            where execution_id = 'reap-stale'), 'the abandoned run says why and when');
select results_eq($$select status, lease_owner, lease_token::text from watermark.chunks where chunk_id = '8_2023'$$,
  $$values ('pending'::text, null::text, null::text)$$, 'its chunk lease is released');
select is((select count(*) from watermark.etl_logs where execution_id = 'reap-stale' and component = 'REAPER' and level = 'ERROR'),
  1::bigint, 'the reaping is logged');
select is(public.reap_stale_executions() ->> 'reaped', '0', 'reaping again does nothing');

-- A run that released its chunk and later went stale must not take the chunk's next
-- lease with it: collector B claimed it without an execution id, after run A.
select public.sync_collection_catalog('[{"id": 9}]', '[{"id": 90, "league_id": 9}]');
insert into watermark.etl_executions (execution_id, pipeline, heartbeat_timeout_seconds) values ('lease-a', 'reaper', 60);
create temporary table lease_a as select public.claim_chunk('collector-a', 60, season_id => 90, execution_id => 'lease-a') as claim;
select public.release_chunk(claim ->> 'chunk_id', (claim ->> 'lease_token')::uuid, 'pending', execution_id => 'lease-a') from lease_a;
create temporary table lease_b as select public.claim_chunk('collector-b', 60, season_id => 90) as claim;
update watermark.etl_executions set heartbeat_at = now() - interval '1 hour' where execution_id = 'lease-a';
select is(public.reap_stale_executions() -> 'execution_ids', '["lease-a"]'::jsonb, 'run A is reaped after it released its chunk');
select results_eq($$select lease_owner, lease_token, status from watermark.chunks where chunk_id = '9_90'$$,
  $$select 'collector-b'::text, (claim ->> 'lease_token')::uuid, 'running'::text from lease_b$$,
  'collector B''s live lease on the chunk is left alone');
select lives_ok($$select public.renew_chunk_lease(claim ->> 'chunk_id', (claim ->> 'lease_token')::uuid) from lease_b$$,
  'and collector B keeps working under it');

-- outbox protocol
insert into watermark.alert_notifications (idempotency_key, kind, scope_key, channel, payload) values
  ('k-default', 'test', '*', 'default', '{"message": "a"}'),
  ('k-ops', 'test', '*', 'ops', '{"message": "b"}');
select throws_ok($$insert into watermark.alert_notifications (idempotency_key, kind, scope_key, payload) values ('k-default', 'test', '*', '{}')$$,
  '23505', null, 'an idempotency key can be enqueued only once');
select is((select count(*) from public.claim_alert_notifications(10, 60, false)), 0::bigint,
  'nothing is claimed while no webhook is configured (notifications wait)');
select public.set_alert_channel('ops', 'http://127.0.0.1:9/hook');
create temporary table claimed as select * from public.claim_alert_notifications(10, 60, true);
select results_eq($$select idempotency_key, attempts, webhook_url from claimed order by 1$$,
  $$values ('k-default', 1, null::text), ('k-ops', 1, 'http://127.0.0.1:9/hook')$$,
  'claim returns due rows with the channel''s webhook (null = SLACK_WEBHOOK_URL) and counts the attempt');
select is((select count(*) from public.claim_alert_notifications(10, 60, true)), 0::bigint, 'claimed rows are not handed out twice');
select is(public.mark_alert_notification_delivered((select notification_id from claimed where idempotency_key = 'k-default'), gen_random_uuid()),
  false, 'a wrong claim token cannot mark delivered');
select is(public.mark_alert_notification_delivered(c.notification_id, c.claim_token), true, 'delivered after a confirmed 200')
  from claimed c where c.idempotency_key = 'k-default';
select is(public.mark_alert_notification_delivered(c.notification_id, c.claim_token), false, 'a second mark changes nothing')
  from claimed c where c.idempotency_key = 'k-default';
select is(public.mark_alert_notification_failed(c.notification_id, c.claim_token, 'internal_error', 500) ->> 'status', 'pending',
  'a failed post goes back to pending') from claimed c where c.idempotency_key = 'k-ops';
select ok((select next_attempt_at between now() + interval '29 seconds' and now() + interval '31 seconds'
             from watermark.alert_notifications where idempotency_key = 'k-ops'), 'first retry after 30 s');
select is((select count(*) from public.claim_alert_notifications(10, 60, true)), 0::bigint, 'not claimed before its backoff');
update watermark.alert_notifications set next_attempt_at = now(), attempts = 3 where idempotency_key = 'k-ops';
truncate claimed;
insert into claimed select * from public.claim_alert_notifications(10, 60, true);
select is(public.mark_alert_notification_failed(c.notification_id, c.claim_token, 'rate_limited', 429, 600) -> 'attempts', '4'::jsonb,
  'attempts accumulate') from claimed c;
select ok((select next_attempt_at >= now() + interval '600 seconds' from watermark.alert_notifications where idempotency_key = 'k-ops'),
  'Retry-After wins over a shorter backoff');
update watermark.alert_notifications set next_attempt_at = now(), max_attempts = 5 where idempotency_key = 'k-ops';
truncate claimed;
insert into claimed select * from public.claim_alert_notifications(10, 60, true);
select is(public.mark_alert_notification_failed(c.notification_id, c.claim_token, 'no_service', 404) ->> 'status', 'dead',
  'the last allowed attempt makes it dead') from claimed c;
select is((select count(*) from public.claim_alert_notifications(10, 60, true)), 0::bigint, 'dead notifications are not retried');
-- a delivery that never reported back is claimed again after its lease
insert into watermark.alert_notifications (idempotency_key, kind, scope_key, payload) values ('k-lost', 'test', '*', '{"message": "c"}');
select count(*) from public.claim_alert_notifications(10, 60, true);
update watermark.alert_notifications set claimed_until = now() - interval '1 second' where idempotency_key = 'k-lost';
select is((select attempts from public.claim_alert_notifications(10, 60, true)), 2, 'an expired claim is handed out again');

-- retention: purge_expired (the monitoring migration's job) purges the alert tables too
insert into watermark.alert_evaluations (started_at, finished_at) values
  (now() - interval '8 days', now() - interval '8 days'), (now() - interval '6 days', now() - interval '6 days');
insert into watermark.alerts (fingerprint, rule_id, scope_key, state, threshold) values ('error-rate/ret', 'error-rate', 'ret', 'resolved', 5);
insert into watermark.alert_history (alert_id, fingerprint, rule_id, scope_key, from_state, to_state, at)
select a.alert_id, a.fingerprint, a.rule_id, a.scope_key, 'firing', 'resolved', now() - v.age
  from watermark.alerts a, (values (interval '91 days'), (interval '89 days')) v(age) where a.fingerprint = 'error-rate/ret';
insert into watermark.alert_notifications (idempotency_key, kind, scope_key, payload, status, created_at, delivered_at, dead_at) values
  ('ret-delivered-old', 'test', '*', '{}', 'delivered', now() - interval '31 days', now() - interval '31 days', null),
  ('ret-dead-old', 'test', '*', '{}', 'dead', now() - interval '31 days', null, now() - interval '31 days'),
  ('ret-pending-old', 'test', '*', '{}', 'pending', now() - interval '31 days', null, null),
  ('ret-delivered-young', 'test', '*', '{}', 'delivered', now() - interval '29 days', now() - interval '29 days', null);
select tests.authenticate_as('service');
select is(watermark.purge_expired() - array['partitions', 'debug_logs', 'logs', 'metrics', 'audit', 'executions'],
  '{"alert_evaluations": 1, "alert_history": 1, "alert_notifications": 2}'::jsonb,
  'purge_expired also purges alert evaluations, transitions and finished notifications');
select is((select count(*) from watermark.alert_evaluations where started_at < now() - interval '7 days'), 0::bigint,
  'evaluations go after 7 days');
select is((select count(*) from watermark.alert_history where fingerprint = 'error-rate/ret'), 1::bigint, 'transitions after 90 days');
select is((select array_agg(idempotency_key order by idempotency_key) from watermark.alert_notifications where idempotency_key like 'ret-%'),
  array['ret-delivered-young', 'ret-pending-old'], 'delivered and dead notifications after 30 days; undelivered ones stay');
select tests.clear_authentication();
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
select ok(pg_temp.plan_of($$select max(e.started_at) from watermark.alert_evaluations e$$) ~ 'alert_evaluations_started_at_idx',
  'the latest evaluation (health) and its retention read by index');
select ok(pg_temp.plan_of($$delete from watermark.function_invocations where requested_at < now() - interval '30 days'$$)
            ~ 'function_invocations_requested_at_idx',
  'the invocation harvest''s every-minute retention reads by index');
reset enable_seqscan;

-- validation
select throws_ok($$select public.create_alert_rule('x-1', 'nope', 1)$$, 'WM001',
  'kind: unknown kind ''nope''; use one of consecutive_failures, data_completeness, data_freshness, delivery_failing, error_rate, invocation_failed, missed_schedule, run_duration, stuck_run, success_rate, volume_anomaly, zero_rows',
  'an unknown kind names the valid ones');
select throws_ok($$select public.create_alert_rule('x-1', 'error_rate', 150)$$, 'WM001', 'threshold: is a percentage: use 0 to 100', 'percent thresholds are 0..100');
select throws_ok($$select public.create_alert_rule('X 1', 'error_rate', 5)$$, 'WM001',
  'rule_id: must be 1-63 lowercase letters, digits, - or _; e.g. collect-error-rate', 'rule ids are slugs');
select throws_ok($$select public.create_alert_rule('x-1', 'delivery_failing', 1, pipeline => 'p')$$, 'WM001',
  'pipeline: delivery_failing rules watch the whole system; leave pipeline empty', 'global kinds take no pipeline');
select throws_ok($$select public.create_alert_rule('error-rate', 'error_rate', 5)$$, 'WM003', 'alert rule error-rate already exists', 'rule ids are unique');
select throws_ok($$select public.mute_alert_rule('error-rate', 30)$$, 'WM001',
  'duration_seconds: must be between 60 (1 min) and 2592000 (30 days)', 'mute durations are bounded');
select throws_ok($$select public.unmute_alert_rule('nope')$$, 'WM002', 'alert rule nope not found', 'unknown rules are not found');
select throws_ok($$select public.update_alert_rule('error-rate', '{"enabled": false}')$$, 'WM001',
  'changes.enabled: cannot be changed here; use threshold, pipeline, severity, window_seconds, for_seconds, repeat_seconds, channel, description, params or remediation (enable/disable/mute have their own RPCs)',
  'update names what it can change');
select is(public.update_alert_rule('error-rate', '{"threshold": 7.5, "for_seconds": 120}') -> 'threshold', '7.5'::jsonb, 'update applies the changes');
select is((select action from watermark.audit_log order by 1 desc limit 1), 'update_alert_rule', 'rule changes are audited');

select * from finish();
rollback;
