-- request_fixture_answer and take_fixture_answer: Postgres fetches a
-- fixtures/multi batch through pg_net and writes a 200 as upsert_fixture_response
-- does; any other answer comes back unparsed for the Sportmonks client. pg_net's
-- worker is played here by hand: a request taken from the queue, a response row.
begin;
select plan(29);

select public.sync_collection_catalog('[{"id": 1}]', '[{"id": 10, "league_id": 1}]');
create temp table lease as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
  from (select public.claim_chunk('t', 60, season_id => 10) as c) x;
grant select on lease to service_role;
select public.register_chunk_fixtures(chunk_id, token,
  (select jsonb_agg(jsonb_build_object('id', 100 + g, 'season_id', 10, 'state_id', 1, 'starting_at', '2020-01-01 15:00:00')) from generate_series(1, 3) g))
  from lease;

create function pg_temp.request(url text default 'http://api.test/v3/football/fixtures/multi/101,102?include=events',
                                headers jsonb default '{"Authorization": "secret-key", "Accept": "application/json"}',
                                timeout integer default 30000)
returns bigint language sql as $$
  select public.request_fixture_answer(l.chunk_id, l.token, url, headers, timeout) from lease l
$$;
create function pg_temp.take(request_id bigint, wait integer default 0)
returns jsonb language sql as $$
  select public.take_fixture_answer(request_id, l.chunk_id, l.token, '{101,102}', '{"last_fixture_id": 102}', 'exec-1', wait) from lease l
$$;
-- pg_net's worker: takes the request from the queue and records its response.
create function pg_temp.respond(request_id bigint, status integer, content text, headers jsonb default '{}',
                                timed_out boolean default false, error text default null)
returns void language sql as $$
  delete from net.http_request_queue where id = request_id;
  insert into net._http_response (id, status_code, headers, content, timed_out, error_msg) values (request_id, status, headers, content, timed_out, error);
$$;
grant execute on function pg_temp.request(text, jsonb, integer) to service_role;
grant execute on function pg_temp.take(bigint, integer) to service_role;

-- Who may call: the service role only; pg_net's doors are never public.
select tests.authenticate_as('operator');
select throws_ok($$select pg_temp.request()$$, '42501', null, 'an operator cannot ask for an answer');
select throws_ok($$select pg_temp.take(1)$$, '42501', null, 'nor take one');
select tests.clear_authentication();
select ok(not has_function_privilege('authenticated', 'watermark.queue_api_get(text, jsonb, integer)', 'execute')
          and not has_function_privilege('anon', 'watermark.take_api_response(bigint)', 'execute'),
  'pg_net''s queue and responses are reachable only through the two RPCs');

select tests.authenticate_as('service');
-- Bad requests: WM001 naming the field; a lost lease is WM004. Nothing is queued.
select throws_ok($$select pg_temp.request(url => 'ftp://api.test/x')$$, 'WM001',
  'url: must be the http(s) URL of the fixtures/multi call, without spaces, up to 8000 characters', 'only http(s) URLs are fetched');
select throws_ok($$select pg_temp.request(headers => '{"Authorization": 5}')$$, 'WM001',
  'headers: must be a JSON object of header names to string values', 'header values are strings');
select throws_ok($$select pg_temp.request(timeout => 10)$$, 'WM001',
  'timeout_milliseconds: must be 1000 to 300000 (the API call''s timeout)', 'the timeout is bounded');
select throws_ok($$select public.request_fixture_answer(chunk_id, gen_random_uuid(), 'http://api.test/x', '{}', 30000) from lease$$,
  'WM004', null, 'a lost lease asks for nothing');
select throws_ok($$select pg_temp.take(0)$$, 'WM001', 'request_id: must be the id request_fixture_answer returned',
  'the request id is required');
select throws_ok($$select pg_temp.take(1, 30000)$$, 'WM001',
  'wait_milliseconds: must be 0 to 20000; call again while the answer is pending', 'the wait is bounded');
select tests.clear_authentication();
select is((select count(*)::integer from net.http_request_queue), 0, 'no refused request was queued');

-- A request is queued for pg_net with its URL, headers and timeout; until the worker answers, it is pending.
select tests.authenticate_as('service');
create temp table r1 as select pg_temp.request() as id;
select tests.clear_authentication();
select results_eq($$select method, url, headers, timeout_milliseconds from net.http_request_queue q join r1 on r1.id = q.id$$,
  $$values ('GET'::net.http_method, 'http://api.test/v3/football/fixtures/multi/101,102?include=events',
            '{"Authorization": "secret-key", "Accept": "application/json"}'::jsonb, 30000)$$,
  'the GET is queued as asked');
select tests.authenticate_as('service');
select is(pg_temp.take((select id from r1)), '{"pending": true}'::jsonb, 'no response yet: pending');
select tests.clear_authentication();

-- A 200 is written like the pipe's answer, and its response row is taken away.
select pg_temp.respond((select id from r1), 200, jsonb_build_object(
  'data', jsonb_build_array(
    jsonb_build_object('id', 101, 'league_id', 1, 'season_id', 10, 'state_id', 5, 'starting_at', '2020-01-01 15:00:00'),
    jsonb_build_object('id', 102, 'league_id', 1, 'season_id', 10, 'state_id', 5, 'starting_at', '2020-01-01 15:00:00')),
  'rate_limit', jsonb_build_object('resets_in_seconds', 3500, 'remaining', 2990, 'requested_entity', 'Fixture'))::text);
select tests.authenticate_as('service');
select is(pg_temp.take((select id from r1)),
  '{"written": {"failed": 0, "updated": 0, "inserted": 2, "unchanged": 0, "rows_written": 2, "checkpoint": {"last_fixture_id": 102},
    "rate_limit": {"remaining": 2990, "requested_entity": "Fixture", "resets_in_seconds": 3500}}}'::jsonb,
  'a 200 is written: the batch''s counts and the rate limit');
select tests.clear_authentication();
select is((select count(*)::integer from watermark.fixtures where id in (101, 102) and collected_at is not null), 2,
  'both fixtures are collected');
select is((select checkpoint from watermark.chunks where chunk_id = (select chunk_id from lease)), '{"last_fixture_id": 102}'::jsonb,
  'the checkpoint moved with them');
select is((select remaining from watermark.api_rate_limits where entity = 'Fixture'), 2990, 'the rate limit is saved with the batch');
select is((select count(*)::integer from net._http_response), 0, 'the response row is taken');

-- A 429: status, Retry-After (any case) and body come back unparsed; nothing is written.
select tests.authenticate_as('service');
create temp table r2 as select pg_temp.request() as id;
select tests.clear_authentication();
select pg_temp.respond((select id from r2), 429, '{"message": "Too Many Attempts."}', '{"Retry-After": "30", "Content-Type": "application/json"}');
select tests.authenticate_as('service');
select is(pg_temp.take((select id from r2)), '{"status": 429, "retry_after": "30", "body": "{\"message\": \"Too Many Attempts.\"}"}'::jsonb,
  'a 429 comes back with its Retry-After and body');
select tests.clear_authentication();
select is((select count(*)::integer from net._http_response), 0, 'and its row is taken too');

-- A 200 that is not JSON, and no answer at all.
select tests.authenticate_as('service');
create temp table r3 as select pg_temp.request() as id;
create temp table r4 as select pg_temp.request() as id;
select tests.clear_authentication();
select pg_temp.respond((select id from r3), 200, '{"data": [');
select pg_temp.respond((select id from r4), null, null, null, true, 'Timeout of 30000 ms reached');
select tests.authenticate_as('service');
select is(pg_temp.take((select id from r3)), '{"status": 200, "malformed": true, "bytes": 10}'::jsonb, 'a cut-off 200 is malformed, by size');
select is(pg_temp.take((select id from r4)), '{"failed": true, "timed_out": true, "error": "Timeout of 30000 ms reached"}'::jsonb,
  'a timeout is a failure to answer');

-- A 200 Postgres refuses: WM001 naming the field, as the pipe; nothing written, and
-- the answer's row is taken all the same (it would otherwise wait hours for pg_net's TTL).
create temp table r5 as select pg_temp.request() as id;
select tests.clear_authentication();
select pg_temp.respond((select id from r5), 200, '{"data": [{"id": 999, "league_id": 1, "season_id": 10, "state_id": 5}]}');
select tests.authenticate_as('service');
select is(pg_temp.take((select id from r5)) -> 'refused',
  '{"code": "WM001", "message": "response.data[0].id: fixture 999 was not asked for; this answer does not belong to the batch sent",
    "details": null, "hint": null}'::jsonb,
  'a wrong answer is refused with the database''s error');
select tests.clear_authentication();
select is((select count(*)::integer from watermark.fixtures where id = 999), 0, 'and writes nothing');
select is((select count(*)::integer from net._http_response), 0, 'its row is taken');

-- A lease lost while pg_net fetched: refused with WM004, nothing written.
select tests.authenticate_as('service');
create temp table r7 as select pg_temp.request() as id;
select tests.clear_authentication();
select pg_temp.respond((select id from r7), 200, '{"data": []}');
select tests.authenticate_as('service');
select is(public.take_fixture_answer((select id from r7), l.chunk_id, gen_random_uuid(), '{101}', '{}') -> 'refused' ->> 'code', 'WM004',
  'a lost lease is refused with WM004')
  from lease l;
select tests.clear_authentication();

-- Waiting: a take with a wait returns when the deadline passes, not before.
select tests.authenticate_as('service');
create temp table r6 as select pg_temp.request() as id;
create temp table waited as select clock_timestamp() as t0, pg_temp.take((select id from r6), 50) as answer, clock_timestamp() as t1;
select tests.clear_authentication();
select is((select answer from waited), '{"pending": true}'::jsonb, 'an answer that does not come stays pending');
select ok((select t1 - t0 >= interval '50 milliseconds' and t1 - t0 < interval '2 seconds' from waited), 'after the wait asked for');

-- Without pg_net the request says what to enable.
select tests.authenticate_as('service');
savepoint no_pg_net;
select tests.clear_authentication();
alter function net.http_get(text, jsonb, jsonb, integer) rename to http_get_gone;
select tests.authenticate_as('service');
select throws_ok($$select pg_temp.request()$$, 'WM001',
  'pg_net: is not installed in this database: enable the pg_net extension, or collect through the pipe', 'no pg_net: a clear error');
rollback to savepoint no_pg_net;
select tests.clear_authentication();
select ok(to_regprocedure('net.http_get(text,jsonb,jsonb,integer)') is not null, 'pg_net is back after the savepoint');

select * from finish();
rollback;
