-- Invoking a function through pg_net: what is queued (URL, trigger token header,
-- invocation id, body, timeout — never the service key), what is recorded, and
-- how misconfiguration is recorded instead of silently skipped. Also the
-- schedule RPC's validation.
begin;
select plan(27);

create temporary table invoked (label text primary key, id bigint) on commit drop;
grant all on invoked to authenticated;

-- Not configured yet: recorded as failed with the fix.
insert into invoked values ('unconfigured', watermark.invoke_function('collect'));
select results_eq(
  $$select status, request_id, error from watermark.function_invocations where id = (select id from invoked where label = 'unconfigured')$$,
  $$values ('failed', null::bigint, 'functions base URL is not set: call set_functions_base_url(''https://<ref>.supabase.co/functions/v1'')')$$,
  'no base URL: failed with the fix');

select tests.authenticate_as('operator');
select is(public.set_functions_base_url(' http://127.0.0.1:9/functions/v1/ '),
  '{"api_key_set": false, "functions_base_url": "http://127.0.0.1:9/functions/v1"}'::jsonb, 'the base URL is trimmed');
select throws_ok($$select public.set_functions_base_url('ftp://example.test')$$, 'WM001',
  'url: must be an http(s) URL such as https://<ref>.supabase.co/functions/v1', 'the base URL is validated');
select throws_ok($$select public.set_functions_base_url('https://example.test/functions/v1', 'short')$$, 'WM001',
  'api_key: must be the project''s anon (publishable) key without spaces, or null', 'the gateway key is validated');
select lives_ok($$select public.rotate_schedule_trigger_credential()$$, 'the schedule credential is created');
select lives_ok($$select public.configure_function_schedule('collect', '*/15  *  * * *', true, '{"max_chunks": 2}', 20000)$$,
  'the collect schedule is reconfigured');
select tests.clear_authentication();

insert into invoked values ('scheduled', watermark.invoke_function('collect', '{"max_chunks": 2}'));
select results_eq(
  $$select function_name, trigger, status, request_id is not null from watermark.function_invocations
     where id = (select id from invoked where label = 'scheduled')$$,
  $$values ('collect', 'schedule', 'queued', true)$$, 'a configured invocation is queued with pg_net''s request id');
select results_eq(
  $$select q.method::text, q.url, q.timeout_milliseconds, convert_from(q.body, 'UTF8')::jsonb
      from net.http_request_queue q join watermark.function_invocations i on i.request_id = q.id
     where i.id = (select id from invoked where label = 'scheduled')$$,
  $$values ('POST', 'http://127.0.0.1:9/functions/v1/collect', 20000, '{"max_chunks": 2}'::jsonb)$$,
  'POST to <base>/collect with the body and the schedule''s timeout');
select is(
  (select q.headers ->> 'x-watermark-trigger' from net.http_request_queue q
     join watermark.function_invocations i on i.request_id = q.id where i.id = (select id from invoked where label = 'scheduled')),
  (select trigger_token from watermark.function_settings), 'the schedule''s trigger token is sent in x-watermark-trigger');
select is(
  (select q.headers ->> 'x-watermark-invocation-id' from net.http_request_queue q
     join watermark.function_invocations i on i.request_id = q.id where i.id = (select id from invoked where label = 'scheduled')),
  (select id::text from invoked where label = 'scheduled'), 'the invocation id travels with the request');
select is(
  (select count(*)::integer from net.http_request_queue q
     join watermark.function_invocations i on i.request_id = q.id
    where i.id = (select id from invoked where label = 'scheduled')
      and (q.headers ? 'Authorization' or q.headers ? 'apikey')),
  0, 'no API key or JWT is queued when none is configured');

-- With a gateway key (an anon key is public): sent as apikey and bearer.
select tests.authenticate_as('operator');
select lives_ok($$select public.set_functions_base_url('http://127.0.0.1:9/functions/v1', 'anon-key-0123456789abcdef')$$,
  'a gateway key can be set');
insert into invoked values ('manual', public.request_function_invocation('collect', '{"dry_run": true}'));
select tests.clear_authentication();
select results_eq(
  $$select q.headers ->> 'apikey', q.headers ->> 'Authorization', i.trigger
      from net.http_request_queue q join watermark.function_invocations i on i.request_id = q.id
     where i.id = (select id from invoked where label = 'manual')$$,
  $$values ('anon-key-0123456789abcdef', 'Bearer anon-key-0123456789abcdef', 'manual')$$,
  'the gateway key is sent, and a hand-made invocation is marked manual');
select is((select timeout_milliseconds from net.http_request_queue q join watermark.function_invocations i on i.request_id = q.id
            where i.id = (select id from invoked where label = 'manual')), 20000, 'manual invocations use the schedule''s timeout');

-- invoke_function validates its arguments.
select throws_ok($$select watermark.invoke_function('Collect!')$$, 'WM001',
  'function_name: must be a function folder name like collect; use lowercase letters, digits, - and _', 'function name validated');
select throws_ok($$select watermark.invoke_function('collect', '[]')$$, 'WM001',
  'body: must be a JSON object; pass ''{}'' for none', 'body validated');
select throws_ok($$select watermark.invoke_function('collect', jsonb_build_object('pad', repeat('x', 70000)))$$, 'WM001', format('body: is %s bytes of JSON, over the 64 KiB limit (65536 bytes); keep large payloads out of monitoring records', octet_length(jsonb_build_object('pad', repeat('x', 70000))::text)),
  'a body over 64 KiB is refused (it would sit in pg_net''s queue)');
select throws_ok($$select watermark.invoke_function('collect', '{}', 'cron')$$, 'WM001',
  'trigger: must be schedule, backlog or manual', 'trigger validated');

-- Schedules: stored normalised; validated.
select results_eq(
  $$select cron_expression, enabled, body, timeout_milliseconds from watermark.function_schedules where function_name = 'collect'$$,
  $$values ('*/15 * * * *', true, '{"max_chunks": 2}'::jsonb, 20000)$$, 'the schedule is stored with its spacing normalised');
select tests.authenticate_as('operator');
select throws_ok($$select public.configure_function_schedule('collect', 'every ten minutes')$$, 'WM001',
  'cron_expression: must be a 5-field cron expression such as */10 * * * * (minute hour day month weekday)',
  'a cron expression is validated');
select throws_ok($$select public.configure_function_schedule('collect', '* * * *')$$, 'WM001',
  'cron_expression: must be a 5-field cron expression such as */10 * * * * (minute hour day month weekday)',
  'four fields are not enough');
select throws_ok($$select public.configure_function_schedule('Collect', '* * * * *')$$, 'WM001',
  'function_name: must be a function folder name like collect; use lowercase letters, digits, - and _', 'function name validated');
select throws_ok($$select public.configure_function_schedule('collect', '* * * * *', true, '{}', 500)$$, 'WM001',
  'timeout_milliseconds: must be between 1000 and 300000', 'timeout validated');
select throws_ok($$select public.configure_function_schedule('collect', '* * * * *', null)$$, 'WM001',
  'enabled: must be true or false', 'enabled validated');
select throws_ok($$select public.configure_function_schedule('collect', '* * * * *', true, jsonb_build_object('pad', repeat('x', 70000)))$$, 'WM001', format('body: is %s bytes of JSON, over the 64 KiB limit (65536 bytes); keep large payloads out of monitoring records', octet_length(jsonb_build_object('pad', repeat('x', 70000))::text)),
  'a schedule body over 64 KiB is refused (pg_cron keeps it in the job''s command)');
select is(public.configure_function_schedule('collect', '0 * * * *', false) ->> 'enabled', 'false', 'a schedule can be disabled');
select is((select cron_active from public.list_function_schedules() where function_name = 'collect'), false,
  'a disabled schedule has no active pg_cron job');
select tests.clear_authentication();

select * from finish();
rollback;
