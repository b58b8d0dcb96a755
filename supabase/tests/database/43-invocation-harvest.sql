-- Harvesting pg_net's responses: every queued invocation gets the outcome the
-- function really answered (succeeded only for 2xx; HTTP errors, transport
-- errors and timeouts told apart), the execution id is captured from the JSON
-- answer, lost requests are marked, and a second harvest changes nothing.
begin;
select plan(30);

-- Pure classification.
select is(watermark.classify_http_response(202, false, null), 'succeeded', '202 is a success');
select is(watermark.classify_http_response(299, null, null), 'succeeded', '299 is a success');
select is(watermark.classify_http_response(300, false, null), 'failed', '300 is not a success');
select is(watermark.classify_http_response(401, false, null), 'failed', '401 failed');
select is(watermark.classify_http_response(null, true, null), 'timed_out', 'timed_out flag');
select is(watermark.classify_http_response(null, null, 'Timeout of 10000 ms reached. Total time: 10001.2 ms'), 'timed_out',
  'pg_net''s timeout message without the flag');
select is(watermark.classify_http_response(null, false, 'Couldn''t connect to server'), 'failed', 'transport error');
select is(watermark.classify_http_response(null, null, null), 'failed', 'no status at all');

-- Invocations waiting for their responses (ids far from anything pg_net hands out here).
insert into watermark.function_invocations (function_name, trigger, request_id, requested_at) values
  ('collect', 'schedule', 910000001, now() - interval '2 minutes'),  -- 202 with an execution id
  ('collect', 'schedule', 910000002, now() - interval '2 minutes'),  -- 401 stable JSON error
  ('collect', 'schedule', 910000003, now() - interval '2 minutes'),  -- 502 plain text
  ('collect', 'schedule', 910000004, now() - interval '2 minutes'),  -- timed_out flag
  ('collect', 'schedule', 910000005, now() - interval '2 minutes'),  -- timeout only in error_msg
  ('collect', 'schedule', 910000006, now() - interval '2 minutes'),  -- connection refused
  ('collect', 'manual',   910000007, now() - interval '2 minutes'),  -- no response yet
  ('collect', 'schedule', 910000008, now() - interval '7 hours'),    -- never answered, past pg_net's purge
  ('collect', 'schedule', 910000009, now() - interval '2 minutes'),  -- only a stale response with a reused id
  ('collect', 'schedule', 910000010, now() - interval '31 days');    -- past retention

insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg, created) values
  (910000001, 202, 'application/json', '{}', '{"execution_id": "etl_20261122_101010_abcdef"}', false, null, now() - interval '1 minute'),
  (910000002, 401, 'application/json', '{}',
   '{"error": {"code": "unauthorized", "message": "the x-watermark-trigger credential is unknown or revoked"}}', false, null, now() - interval '1 minute'),
  (910000003, 502, 'text/plain', '{}', 'Bad Gateway', false, null, now() - interval '1 minute'),
  (910000004, null, null, null, null, true, null, now() - interval '1 minute'),
  (910000005, null, null, null, null, null, 'Timeout of 10000 ms reached. Total time: 10000.9 ms', now() - interval '1 minute'),
  (910000006, null, null, null, null, false, 'Couldn''t connect to server', now() - interval '1 minute'),
  (910000009, 200, 'application/json', '{}', '{"execution_id": "old"}', false, null, now() - interval '3 days');

select is(watermark.harvest_function_invocations(), 6, 'six invocations got their outcome');

select results_eq(
  $$select status, status_code, execution_id, error from watermark.function_invocations where request_id = 910000001$$,
  $$values ('succeeded', 202, 'etl_20261122_101010_abcdef', null::text)$$,
  '2xx: succeeded with the execution id from the answer');
select is((select response_body from watermark.function_invocations where request_id = 910000001),
  '{"execution_id": "etl_20261122_101010_abcdef"}'::jsonb, 'the JSON answer is kept');
select isnt((select responded_at from watermark.function_invocations where request_id = 910000001), null, 'the response time is kept');
select results_eq(
  $$select status, status_code, execution_id, error from watermark.function_invocations where request_id = 910000002$$,
  $$values ('failed', 401, null::text, 'HTTP 401: unauthorized: the x-watermark-trigger credential is unknown or revoked')$$,
  'HTTP error: failed with the function''s stable error');
select results_eq(
  $$select status, status_code, error, response_body from watermark.function_invocations where request_id = 910000003$$,
  $$values ('failed', 502, 'HTTP 502: Bad Gateway', '{"text": "Bad Gateway"}'::jsonb)$$,
  'non-JSON error: failed with the text');
select results_eq(
  $$select status, error from watermark.function_invocations where request_id = 910000004$$,
  $$values ('timed_out', 'request timed out')$$, 'timed_out flag: timed_out');
select results_eq(
  $$select status, error from watermark.function_invocations where request_id = 910000005$$,
  $$values ('timed_out', 'Timeout of 10000 ms reached. Total time: 10000.9 ms')$$, 'timeout message: timed_out with pg_net''s text');
select results_eq(
  $$select status, status_code, error from watermark.function_invocations where request_id = 910000006$$,
  $$values ('failed', null::integer, 'Couldn''t connect to server')$$, 'transport error: failed with pg_net''s text');
select is((select status from watermark.function_invocations where request_id = 910000007), 'queued', 'no response yet: still queued');
select results_eq(
  $$select status, error from watermark.function_invocations where request_id = 910000008$$,
  $$values ('failed', 'no pg_net response within 6 hours: the request was lost or purged; check that the pg_net worker runs')$$,
  'never answered within pg_net''s retention: failed');
select is((select status from watermark.function_invocations where request_id = 910000009), 'queued',
  'a response older than the request (a reused id) is not taken');
select is((select count(*)::integer from watermark.function_invocations where request_id = 910000010), 0,
  'invocations older than 30 days are removed');

-- Idempotent: a second run changes nothing.
create temporary table before_second on commit drop as
  select id, status, status_code, error, response_body, responded_at, execution_id from watermark.function_invocations;
select is(watermark.harvest_function_invocations(), 0, 'a second harvest finds nothing new');
select is((select count(*)::integer from watermark.function_invocations i join before_second b using (id)
            where (i.status, i.status_code, i.error, i.response_body, i.responded_at, i.execution_id)
                  is distinct from (b.status, b.status_code, b.error, b.response_body, b.responded_at, b.execution_id)),
          0, 'and changes no row');

-- The late response arrives.
insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
values (910000007, 400, 'application/json', '{}', '{"error": {"code": "invalid_body", "message": "batch_size: Too big"}}', false, null);
select is(watermark.harvest_function_invocations(), 1, 'a late response is harvested');
select results_eq(
  $$select status, trigger, error from watermark.function_invocations where request_id = 910000007$$,
  $$values ('failed', 'manual', 'HTTP 400: invalid_body: batch_size: Too big')$$, 'with its outcome');

-- What viewers see through the read RPCs.
select tests.authenticate_as('viewer');
select is((select count(*)::integer from public.list_function_invocations(status => 'timed_out')), 2, 'filter by status');
select is((select count(*)::integer from public.list_function_invocations(function_name => 'collect', max_rows => 3)), 3, 'max_rows');
select throws_ok($$select public.list_function_invocations(status => 'ok')$$, 'WM001',
  'status: must be queued, succeeded, failed or timed_out', 'status is validated');
select throws_ok($$select public.list_function_invocations(max_rows => 0)$$, 'WM001',
  'max_rows: must be between 1 and 1000', 'max_rows is validated');
select results_eq(
  $$select last_status, last_success_at is not null from public.list_function_schedules() where function_name = 'collect'$$,
  $$values ('queued', true)$$, 'the schedule list shows the newest scheduled invocation and the last success');
select tests.clear_authentication();

select * from finish();
rollback;
