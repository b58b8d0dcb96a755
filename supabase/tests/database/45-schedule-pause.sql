-- A schedule whose function answers that it cannot run (server_misconfigured:
-- a secret is missing) is paused by the harvest with the function's own
-- reason, instead of failing on every tick; viewers see why, operators resume
-- it once the function is fixed, and any reconfiguration resumes it too. Only
-- the newest answer since the schedule was configured counts.
begin;
select plan(24);

-- Both schedules configured ten minutes ago; answers (ids far from pg_net's) come after that.
update watermark.function_schedules set updated_at = now() - interval '10 minutes' where function_name in ('collect', 'alerts');
insert into watermark.function_invocations (function_name, trigger, request_id, requested_at) values
  ('collect', 'schedule', 920000001, now() - interval '3 minutes'),  -- 400 invalid_body
  ('alerts',  'schedule', 920000002, now() - interval '3 minutes'),  -- 500 server_misconfigured …
  ('alerts',  'schedule', 920000003, now() - interval '2 minutes');  -- … then a success
insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg, created) values
  (920000001, 400, 'application/json', '{}', '{"error": {"code": "invalid_body", "message": "batch_size: Too big"}}', false, null, now()),
  (920000002, 500, 'application/json', '{}',
   '{"error": {"code": "server_misconfigured", "message": "the function is misconfigured: check SLACK_WEBHOOK_URL"}}', false, null, now()),
  (920000003, 202, 'application/json', '{}', '{"delivered": 0}', false, null, now());

select is(watermark.harvest_function_invocations(), 3, 'three answers harvested');
select is((select count(*)::integer from watermark.function_schedules where paused_at is not null), 0,
  'a bad request, or a misconfiguration answer followed by a success, pauses nothing');

-- collect now answers that it cannot run.
insert into watermark.function_invocations (function_name, trigger, request_id, requested_at)
values ('collect', 'schedule', 920000004, now() - interval '1 minute');
insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg, created) values
  (920000004, 500, 'application/json', '{}',
   '{"error": {"code": "server_misconfigured", "message": "the function is misconfigured: check SPORTMONKS_API_KEY"}}', false, null, now());
select is(watermark.harvest_function_invocations(), 1, 'the answer is harvested');
select results_eq(
  $$select paused_at is not null, paused_reason, enabled from watermark.function_schedules where function_name = 'collect'$$,
  $$values (true, 'HTTP 500: server_misconfigured: the function is misconfigured: check SPORTMONKS_API_KEY', true)$$,
  'the collect schedule is paused with the function''s reason; enabled (the operator''s intent) is kept');
select is((select paused_at from watermark.function_schedules where function_name = 'alerts'), null, 'other schedules run on');
select lives_ok($$select watermark.harvest_function_invocations()$$, 'a second harvest changes nothing');
select throws_ok($$update watermark.function_schedules set paused_reason = null where function_name = 'collect'$$, '23514',
  null, 'a pause always has its reason');

-- Viewers see why.
select tests.authenticate_as('viewer');
select results_eq(
  $$select paused_at is not null, paused_reason, cron_active from public.list_function_schedules() where function_name = 'collect'$$,
  $$values (true, 'HTTP 500: server_misconfigured: the function is misconfigured: check SPORTMONKS_API_KEY', false)$$,
  'viewers read the pause and its reason');
select throws_ok($$select public.resume_function_schedule('collect')$$, '42501',
  'permission denied: resume_function_schedule needs operator access', 'viewers cannot resume');
select throws_ok($$select watermark.pause_function_schedule('collect', 'x')$$, '42501',
  'permission denied for function pause_function_schedule', 'viewers cannot pause');
select tests.clear_authentication();

select tests.authenticate_as('anon');
select throws_ok($$select public.resume_function_schedule('collect')$$, '42501',
  'permission denied for function resume_function_schedule', 'anon cannot resume');
select tests.clear_authentication();

select tests.authenticate_as('user');
select throws_ok($$select public.resume_function_schedule('collect')$$, '42501',
  'permission denied: resume_function_schedule needs operator access', 'a user without Watermark rights cannot resume');
select tests.clear_authentication();

select tests.authenticate_as('service');
select throws_ok($$select watermark.pause_function_schedule('collect', 'x')$$, '42501',
  'permission denied for function pause_function_schedule', 'only the harvest pauses (the service role cannot call it directly)');
select tests.clear_authentication();

-- An operator resumes it with its saved settings.
select tests.authenticate_as('operator');
select throws_ok($$select public.resume_function_schedule('nope')$$, 'WM002',
  'function_name: no schedule for nope; create one with configure_function_schedule()', 'resuming an unknown schedule says so');
select is(public.resume_function_schedule('collect') ->> 'paused_reason', null, 'the operator resumes the schedule');
select results_eq(
  $$select paused_at, paused_reason, cron_expression from public.list_function_schedules() where function_name = 'collect'$$,
  $$select null::timestamptz, null::text, (select cron_expression from watermark.function_schedules where function_name = 'collect')$$,
  'resumed with its saved cron expression');
select tests.clear_authentication();
select is(watermark.harvest_function_invocations(), 0, 'harvesting again …');
select is((select paused_at from watermark.function_schedules where function_name = 'collect'), null,
  '… does not pause it for the answer that came before the resume');

-- A new misconfiguration answer pauses it again; reconfiguring resumes it too.
insert into watermark.function_invocations (function_name, trigger, request_id, requested_at)
values ('collect', 'schedule', 920000005, now());
insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg, created) values
  (920000005, 500, 'application/json', '{}',
   '{"error": {"code": "server_misconfigured", "message": "the function is misconfigured: check SPORTMONKS_API_KEY"}}', false, null, now());
select is(watermark.harvest_function_invocations(), 1, 'a new answer …');
select isnt((select paused_at from watermark.function_schedules where function_name = 'collect'), null, '… pauses it again');
select tests.authenticate_as('service');
select lives_ok($$select public.configure_function_schedule('collect', '*/5 * * * *')$$, 'the service role reconfigures it');
select tests.clear_authentication();
select is((select paused_at from watermark.function_schedules where function_name = 'collect'), null, 'reconfiguring resumes it');

-- A disabled schedule is not paused: it does not run anyway.
update watermark.function_schedules set enabled = false, updated_at = now() - interval '10 minutes' where function_name = 'collect';
select lives_ok($$select watermark.harvest_function_invocations()$$, 'harvest with the schedule disabled');
select is((select paused_at from watermark.function_schedules where function_name = 'collect'), null, 'a disabled schedule stays unpaused');

select * from finish();
rollback;
