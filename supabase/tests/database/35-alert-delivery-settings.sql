-- The alert path alerts on itself in minutes: delivery-failing fires after a
-- few failed attempts in a row, or after a while without a delivery while
-- attempted notifications wait; retries and backoff are operator settings
-- (validated, audited); resolved alerts say what recovered.
begin;
select plan(34);

update watermark.alert_rules set enabled = false;
update watermark.alert_rules set enabled = true where rule_id = 'delivery-failing';

create function pg_temp.queue(key text, channel text default 'default') returns bigint language sql as $$
  insert into watermark.alert_notifications (idempotency_key, kind, scope_key, channel, payload)
  values (key, 'test', '*', channel, '{"message": "x"}') returning notification_id
$$;
-- One delivery attempt of every due notification, failed or delivered.
create function pg_temp.attempt(succeed boolean) returns integer language plpgsql as $$
declare
  c record;
  n integer := 0;
begin
  update watermark.alert_notifications set next_attempt_at = now() where status = 'pending';
  for c in select * from public.claim_alert_notifications(default_webhook_configured => true) loop
    if succeed then
      perform public.mark_alert_notification_delivered(c.notification_id, c.claim_token);
    else
      perform public.mark_alert_notification_failed(c.notification_id, c.claim_token, 'HTTP 503: service_unavailable', 503);
    end if;
    n := n + 1;
  end loop;
  return n;
end
$$;
create function pg_temp.alert(fp text) returns watermark.alerts language sql as $$
  select a from watermark.alerts a where a.fingerprint = fp
$$;

-- Settings: defaults, validation naming the field and the fix, audit.
select is(public.get_alert_delivery_settings() - 'updated_at' - 'updated_by' - 'channels',
  '{"max_attempts": 10, "backoff_base_seconds": 30, "backoff_max_seconds": 1800, "failing_after_failures": 3, "failing_after_seconds": 600}'::jsonb,
  'defaults: 10 attempts, 30 s doubling up to 30 min, failing after 3 failures or 10 min');
select throws_ok($$select public.set_alert_delivery_settings()$$, 'WM001',
  'settings: pass at least one of max_attempts, backoff_base_seconds, backoff_max_seconds, failing_after_failures, failing_after_seconds',
  'an empty change is refused');
select throws_ok($$select public.set_alert_delivery_settings(max_attempts => 0)$$, 'WM001',
  'max_attempts: must be between 1 and 100: attempts per notification before it is dead (default 10)', 'max_attempts is checked');
select throws_ok($$select public.set_alert_delivery_settings(backoff_base_seconds => 0)$$, 'WM001',
  'backoff_base_seconds: must be between 1 and 3600: the wait before the first retry, doubled for each next one (default 30)',
  'backoff_base_seconds is checked');
select throws_ok($$select public.set_alert_delivery_settings(backoff_max_seconds => 100000)$$, 'WM001',
  'backoff_max_seconds: must be between 1 and 86400: the longest wait between two attempts (default 1800)', 'backoff_max_seconds is checked');
select throws_ok($$select public.set_alert_delivery_settings(backoff_max_seconds => 10)$$, 'WM001',
  'backoff_max_seconds: must be at least backoff_base_seconds (30); raise it or lower backoff_base_seconds',
  'the longest wait cannot be shorter than the first');
select throws_ok($$select public.set_alert_delivery_settings(failing_after_failures => 101)$$, 'WM001',
  'failing_after_failures: must be between 1 and 100: failed attempts in a row before delivery-failing fires (default 3)',
  'failing_after_failures is checked');
select throws_ok($$select public.set_alert_delivery_settings(failing_after_seconds => 59)$$, 'WM001',
  'failing_after_seconds: must be between 60 and 86400: how long without a delivery, while notifications wait, before delivery-failing fires (default 600)',
  'failing_after_seconds is checked');

select pg_temp.queue('waiting-before');
select tests.authenticate_as('operator');
select is(public.set_alert_delivery_settings(max_attempts => 4, backoff_base_seconds => 10, backoff_max_seconds => 40) - 'updated_at',
  '{"max_attempts": 4, "backoff_base_seconds": 10, "backoff_max_seconds": 40, "failing_after_failures": 3, "failing_after_seconds": 600, "updated_by": "00000000-0000-4000-8000-000000000003"}'::jsonb,
  'an operator changes the settings; null keeps the others');
select tests.clear_authentication();
select is((select details from watermark.audit_log where action = 'set_alert_delivery_settings' order by audit_id desc limit 1),
  '{"max_attempts": 4, "backoff_base_seconds": 10, "backoff_max_seconds": 40}'::jsonb, 'the change is audited');
select is((select max_attempts from watermark.alert_notifications where idempotency_key = 'waiting-before'), 4,
  'waiting notifications follow the new attempt limit');
select pg_temp.queue('new');
select is((select max_attempts from watermark.alert_notifications where idempotency_key = 'new'), 4, 'new notifications take it');
update watermark.alert_notifications set status = 'delivered' where idempotency_key in ('waiting-before', 'new');

-- Backoff follows the settings: 10 s, 20 s, 40 s, then dead at attempt 4.
select pg_temp.queue('backoff');
select pg_temp.attempt(false);
select is((select next_attempt_at - now() from watermark.alert_notifications where idempotency_key = 'backoff'), interval '10 seconds',
  'the first retry waits backoff_base_seconds');
select pg_temp.attempt(false);
select is((select next_attempt_at - now() from watermark.alert_notifications where idempotency_key = 'backoff'), interval '20 seconds',
  'the next one twice as long');
select public.evaluate_alerts();
select is(pg_temp.alert('delivery-failing/*'), null, 'two failed attempts in a row are not yet failing');
select pg_temp.attempt(false);
select is((select next_attempt_at - now() from watermark.alert_notifications where idempotency_key = 'backoff'), interval '40 seconds',
  'capped at backoff_max_seconds');

-- The third failure in a row fires delivery-failing, long before the notification is dead.
select public.evaluate_alerts();
select is((pg_temp.alert('delivery-failing/*')).state, 'firing', 'the third failed attempt in a row fires delivery-failing');
select is((select status from watermark.alert_notifications where idempotency_key = 'backoff'), 'pending', 'while the notification is still retried');
select is((pg_temp.alert('delivery-failing/*')).summary,
  'Slack delivery failing: channel default: 3 failed attempt(s) in a row, nothing delivered for 0 s, 1 notification(s) waiting (last error: HTTP 503: service_unavailable)',
  'the summary names the channel, the failures, what waits and the last error');
-- (this attempt also fails delivery-failing's own notification: 5 failures in a row)
select is(pg_temp.attempt(false), 2, 'both waiting notifications are attempted');
select is((select status from watermark.alert_notifications where idempotency_key = 'backoff'), 'dead', 'dead after max_attempts');

-- Recovery: the next delivery resets the channel and the resolution says what recovered.
update watermark.alert_channel_delivery set failing_since = now() - interval '7 minutes' where channel = 'default';
select pg_temp.queue('after-1'); select pg_temp.queue('after-2');
select is(pg_temp.attempt(true), 3, 'the waiting notifications (two new, delivery-failing''s own) are delivered');
select is((select consecutive_failures from watermark.alert_channel_delivery where channel = 'default'), 0,
  'a delivery ends the run of failures');
select public.evaluate_alerts();
select is((pg_temp.alert('delivery-failing/*')).state, 'resolved', 'delivery-failing resolves');
select is((pg_temp.alert('delivery-failing/*')).summary,
  'Slack delivery recovered: 3 notification(s) delivered after 5 failure(s) over 7 min', 'the resolution says what recovered');

-- Time: one failure, then nothing delivered for failing_after_seconds while it waits.
update watermark.alert_notifications set status = 'delivered' where status <> 'delivered';
select pg_temp.queue('slow', 'slow');
insert into watermark.alert_channels (channel, webhook_url) values ('slow', 'https://example.invalid/slow');
select pg_temp.attempt(false);
update watermark.alert_notifications set created_at = now() - interval '599 seconds' where idempotency_key = 'slow';
select public.evaluate_alerts();
select is((pg_temp.alert('delivery-failing/*')).state, 'resolved', 'one failure 599 s ago is not yet failing');
update watermark.alert_notifications set created_at = now() - interval '600 seconds' where idempotency_key = 'slow';
select public.evaluate_alerts();
select is((pg_temp.alert('delivery-failing/*')).state, 'firing', 'no delivery for 600 s while an attempted notification waits fires');

-- Never attempted (no webhook for the channel yet) is not a delivery failure.
update watermark.alert_notifications set status = 'delivered' where status <> 'delivered';
delete from watermark.alert_channel_delivery;
select pg_temp.queue('unconfigured', 'nowhere');
update watermark.alert_notifications set created_at = now() - interval '1 day' where idempotency_key = 'unconfigured';
select public.evaluate_alerts();
select is((pg_temp.alert('delivery-failing/*')).state, 'resolved', 'a notification waiting for a webhook does not count as failing');
-- A channel with a webhook whose notifications are never even attempted (no delivery running) fails.
insert into watermark.alert_channels (channel, webhook_url) values ('quiet', 'https://example.invalid/quiet');
select pg_temp.queue('never-attempted', 'quiet');
update watermark.alert_notifications set created_at = now() - interval '600 seconds' where idempotency_key = 'never-attempted';
select public.evaluate_alerts();
select is((pg_temp.alert('delivery-failing/*')).summary,
  'Slack delivery failing: channel quiet: 0 failed attempt(s) in a row, nothing delivered for 10 min, 1 notification(s) waiting',
  'a configured channel with nothing delivered for 600 s while a notification waits fails, attempted or not');
update watermark.alert_notifications set status = 'delivered' where status <> 'delivered';

-- Every kind resolves with what recovered.
update watermark.alert_rules set enabled = true where rule_id in ('consecutive-failures', 'invocation-failed', 'error-rate');
insert into watermark.etl_executions (execution_id, pipeline, status, started_at, finished_at, processed_fixtures, failed_fixtures)
select 'rec-' || i, 'rec', 'FAILED', now() - make_interval(mins => 10 - i), now() - make_interval(mins => 9 - i), 10, 5
  from generate_series(1, 3) i;
insert into watermark.function_invocations (function_name, trigger, status, requested_at)
select 'rec-fn', 'schedule', 'failed', now() - make_interval(mins => i) from generate_series(1, 2) i;
select public.evaluate_alerts();
select is(array[(pg_temp.alert('consecutive-failures/rec')).state, (pg_temp.alert('invocation-failed/rec-fn')).state,
                (pg_temp.alert('error-rate/rec')).state],
  array['firing', 'firing', 'firing'], 'three kinds fire');
insert into watermark.etl_executions (execution_id, pipeline, status, started_at, finished_at, processed_fixtures, failed_fixtures)
values ('rec-ok', 'rec', 'COMPLETED', now() - interval '1 minute', now(), 1000, 0);
insert into watermark.function_invocations (function_name, trigger, status, requested_at) values ('rec-fn', 'schedule', 'succeeded', now());
select public.evaluate_alerts();
select is((pg_temp.alert('consecutive-failures/rec')).summary, 'a run completed after 3 failed run(s) in a row',
  'consecutive_failures: the resolution says a run completed');
select is((pg_temp.alert('invocation-failed/rec-fn')).summary, 'scheduled invocations of rec-fn succeed again after 2 failed in a row',
  'invocation_failed: the resolution says invocations succeed again');
select matches((pg_temp.alert('error-rate/rec')).summary, '^error rate back to 1\.5 % \(was 50 %\): 15 of 1030 processed fixtures failed',
  'error_rate: the resolution gives the rate now and before');
select public.disable_alert_rule('error-rate');
select is((select count(*)::integer from watermark.alerts where state = 'firing'), 0, 'nothing else fires');

select * from finish();
rollback;
