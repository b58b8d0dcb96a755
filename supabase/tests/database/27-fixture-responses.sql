-- upsert_fixture_response: the collector's write. Postgres reads the
-- fixtures/multi answer itself: the envelope, each fixture (named
-- response.data[i].<field>), ids that answer the request, moved and missing
-- fixtures as failures, the rate_limit handed back; a bad answer writes nothing.
begin;
select plan(30);

select public.sync_collection_catalog('[{"id": 1}]', '[{"id": 10, "league_id": 1}, {"id": 11, "league_id": 1}]');
create temp table lease as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
  from (select public.claim_chunk('t', 60, season_id => 10) as c) x;
grant select on lease to service_role;
select public.register_chunk_fixtures(chunk_id, token,
  (select jsonb_agg(jsonb_build_object('id', 100 + g, 'season_id', 10, 'state_id', 1, 'starting_at', '2020-01-01 15:00:00')) from generate_series(1, 6) g))
  from lease;

create function pg_temp.fixture(fid integer, extra jsonb default '{}')
returns jsonb language sql as $$
  select jsonb_build_object('id', fid, 'league_id', 1, 'season_id', 10, 'state_id', 5, 'name', 'Home vs Away',
    'starting_at', '2020-01-01 15:00:00', 'result_info', 'Home won', 'participants', '[{"id": 1}, {"id": 2}]'::jsonb,
    'scores', '[{"id": 9}]'::jsonb, 'events', '[{"id": 3}]'::jsonb, 'lineups', '[{"id": 4, "details": [{"id": 7}]}]'::jsonb,
    'statistics', '[{"id": 5}]'::jsonb, 'has_premium_odds', false) || extra
$$;
-- An answer as fixtures/multi sends it: data, subscription, rate_limit, timezone.
create function pg_temp.answer(data jsonb, extra jsonb default '{}')
returns jsonb language sql as $$
  select jsonb_build_object('data', data, 'subscription', '[{"meta": []}]'::jsonb,
    'rate_limit', '{"resets_in_seconds": 3500, "remaining": 2999, "requested_entity": "Fixture"}'::jsonb,
    'timezone', 'UTC') || extra
$$;
grant execute on function pg_temp.fixture(integer, jsonb) to service_role;
grant execute on function pg_temp.answer(jsonb, jsonb) to service_role;
create function pg_temp.send(ids bigint[], response jsonb, last_id bigint default 101)
returns jsonb language sql as $$
  select public.upsert_fixture_response(l.chunk_id, l.token, ids, jsonb_build_object('last_fixture_id', last_id), response, 'exec-1')
    from lease l
$$;
grant execute on function pg_temp.send(bigint[], jsonb, bigint) to service_role;

select tests.authenticate_as('service');

-- Bad answers: WM001 naming the field; nothing written, the checkpoint stays.
select throws_ok($$select pg_temp.send('{101,102}', pg_temp.answer(jsonb_build_array(pg_temp.fixture(101),
    pg_temp.fixture(102, '{"state_id": "x"}'))))$$,
  'WM001', 'response.data[1].state_id: must be an integer from 1 to 2147483647, got "x"', 'a bad field names the answer''s element');
select throws_ok($$select pg_temp.send('{101}', pg_temp.answer(jsonb_build_array(pg_temp.fixture(101) - 'season_id')))$$,
  'WM001', 'response.data[0].season_id: is required; pass the Sportmonks id', 'a fixture without its season is refused');
select throws_ok($$select pg_temp.send('{101}', pg_temp.answer(jsonb_build_array(pg_temp.fixture(101), pg_temp.fixture(999))))$$,
  'WM001', 'response.data[1].id: fixture 999 was not asked for; this answer does not belong to the batch sent',
  'an id nobody asked for is refused');
select throws_ok($$select pg_temp.send('{101}', '[]')$$,
  'WM001', 'response: must be the JSON object fixtures/multi answered (the whole body)', 'the answer must be an object');
select throws_ok($$select pg_temp.send('{101}', '{"subscription": []}')$$,
  'WM001', 'response.data: is missing; a fixtures/multi answer carries data (or a message when nothing matched)',
  'an answer without data or message is refused');
select throws_ok($$select pg_temp.send('{101}', '{"data": {"id": 101}}')$$,
  'WM001', 'response.data: must be a JSON array', 'data must be a list');
select throws_ok($$select pg_temp.send('{101}', '{"message": "Include not allowed", "code": 5002}')$$,
  'WM001', 'response.code: Sportmonks answered error code 5002 (Include not allowed); the batch is not collected',
  'an in-body error code is refused with its message');
select throws_ok($$select pg_temp.send('{101}', pg_temp.answer('[]', '{"rate_limit": {"resets_in_seconds": 10, "remaining": "many", "requested_entity": "Fixture"}}'))$$,
  'WM001', 'response.rate_limit.remaining: must be a whole number, got "many"', 'a malformed rate_limit names its field');
select throws_ok($$select pg_temp.send('{}', pg_temp.answer('[]'))$$,
  'WM001', 'fixture_ids: must list the 1 to 50 fixture ids sent to fixtures/multi', 'the request''s ids are required');
select throws_ok($$select public.upsert_fixture_response(chunk_id, gen_random_uuid(), '{101}', '{}', pg_temp.answer('[]')) from lease$$,
  'WM004', null, 'a lost lease writes nothing');
select is((select count(*)::integer from watermark.fixtures where collected_at is not null or attempts > 0), 0,
  'no refused answer wrote a row or a failure');
select is((select checkpoint from watermark.chunks where chunk_id = (select chunk_id from lease)), '{}'::jsonb,
  'and the checkpoint did not move');
select is((select count(*)::integer from watermark.api_rate_limits), 0, 'nor saved a rate limit');

-- A good answer: rows written, missing and moved fixtures fail with backoff, the rate limit comes back.
select is((select pg_temp.send('{101,102,103,104}', pg_temp.answer(jsonb_build_array(pg_temp.fixture(101), pg_temp.fixture(102),
    pg_temp.fixture(104, '{"season_id": 11}'))), 104)),
  '{"failed": 2, "updated": 0, "inserted": 2, "unchanged": 0, "rows_written": 2, "checkpoint": {"last_fixture_id": 104},
    "rate_limit": {"remaining": 2999, "requested_entity": "Fixture", "resets_in_seconds": 3500}}'::jsonb,
  'two written, one missing and one moved fail, the rate limit is returned');
select results_eq($$select remaining, resets_at between now() + interval '3499 seconds' and now() + interval '3501 seconds'
                     from watermark.api_rate_limits where entity = 'Fixture'$$,
  $$values (2999, true)$$, 'and saved with the batch, in its transaction (the collector needs no save call)');
select results_eq($$select id::integer, collected_at is not null, attempts, last_error from watermark.fixtures where id between 101 and 104 order by id$$,
  $$values (101, true, 0, null::text), (102, true, 0, null),
           (103, false, 1, 'not returned by fixtures/multi (deleted or not in the plan)'),
           (104, false, 1, 'fixtures/multi reports season 11, not 10')$$,
  'each fixture as the answer left it');
select is((select lineups from watermark.fixtures where id = 101), '[{"id": 4, "details": [{"id": 7}]}]'::jsonb,
  'includes are stored as the API sent them');
select is((select season_id from watermark.fixtures where id = 104), 10::bigint, 'a moved fixture is not rewritten into this chunk');
select is((select checkpoint ->> 'last_fixture_id' from watermark.chunks where chunk_id = (select chunk_id from lease)), '104',
  'the checkpoint moved with the batch');
select is((select last_execution_id from watermark.fixtures where id = 101), 'exec-1', 'the run is recorded on each row');

-- The same answer again is unchanged content.
select is((select pg_temp.send('{101}', pg_temp.answer(jsonb_build_array(pg_temp.fixture(101)))) ->> 'unchanged'), '1',
  'the same answer again changes nothing');
-- A miss (200 with a message, no data): every id asked for is missing.
select is((select pg_temp.send('{105,106}', '{"message": "No result(s) found matching your request."}'::jsonb, 106) - 'checkpoint'),
  '{"failed": 2, "updated": 0, "inserted": 0, "unchanged": 0, "rows_written": 0, "rate_limit": null}'::jsonb,
  'a miss fails every id asked for');

-- pipe_fixture_response: the body whole (PostgREST passes it to a single unnamed jsonb), the batch in a header.
select set_config('request.headers', jsonb_build_object('x-watermark-batch', jsonb_build_object('chunk_id', chunk_id,
  'lease_token', token, 'fixture_ids', '[103]'::jsonb, 'checkpoint', '{"last_fixture_id": 106}'::jsonb, 'execution_id', 'exec-2')::text)::text, true)
  from lease;
select is((select public.pipe_fixture_response(pg_temp.answer(jsonb_build_array(pg_temp.fixture(103)))) ->> 'inserted'), '1',
  'the pipe writes the answer with the batch its header names');
select is((select last_execution_id from watermark.fixtures where id = 103), 'exec-2', 'under that run');
select set_config('request.headers', '{"x-watermark-batch": "{\"chunk_id\": \"1_10\", \"lease_token\": \"nope\", \"fixture_ids\": [1]}"}', true);
select throws_ok($$select public.pipe_fixture_response(pg_temp.answer('[]'))$$,
  'WM001', 'x-watermark-batch.lease_token: must be the lease_token claim_chunk returned', 'a bad header names its field');
select set_config('request.headers', '{}', true);
select throws_ok($$select public.pipe_fixture_response(pg_temp.answer('[]'))$$, 'WM001',
  'x-watermark-batch: header must hold the batch as JSON: {"chunk_id": …, "lease_token": …, "fixture_ids": […], "checkpoint": {…}}',
  'without the header nothing is written');
select tests.clear_authentication();

-- Only the service role writes.
select tests.authenticate_as('operator');
select throws_ok($$select public.upsert_fixture_response('1_10', gen_random_uuid(), '{101}', '{}', '{}')$$,
  '42501', null, 'an operator cannot write fixtures');
select tests.clear_authentication();
set local role anon;
select throws_ok($$select public.upsert_fixture_response('1_10', gen_random_uuid(), '{101}', '{}', '{}')$$,
  '42501', null, 'anon cannot call it');
reset role;

select is((select p.prosrc ~* '\mloop\M' from pg_proc p
            where p.oid = 'public.upsert_fixture_response(text, uuid, bigint[], jsonb, jsonb, text)'::regprocedure), false,
  'the answer is read set-based, without a per-element loop');
select is((select p.prosecdef from pg_proc p
            where p.oid = 'public.upsert_fixture_response(text, uuid, bigint[], jsonb, jsonb, text)'::regprocedure), false,
  'it runs as the caller (security invoker)');

select * from finish();
rollback;
