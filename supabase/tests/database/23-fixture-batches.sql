-- upsert_fixture_batch: the batch, its failures and the checkpoint in one
-- transaction; a bad element writes nothing; unchanged content is not rewritten.
begin;
select plan(34);

select public.sync_collection_catalog('[{"id": 1}]', '[{"id": 10, "league_id": 1}, {"id": 11, "league_id": 1}]');
create temp table lease as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
  from (select public.claim_chunk('t', 60, season_id => 10) as c) x;
grant select on lease to service_role;
select public.register_chunk_fixtures(chunk_id, token,
  (select jsonb_agg(jsonb_build_object('id', 100 + g, 'season_id', 10, 'state_id', 1, 'starting_at', '2020-01-01 15:00:00')) from generate_series(1, 6) g))
  from lease;

create function pg_temp.fixture(fid integer, state integer default 5, extra jsonb default '{}')
returns jsonb language sql as $$
  select jsonb_build_object('id', fid, 'league_id', 1, 'season_id', 10, 'state_id', state, 'name', 'Home vs Away',
    'starting_at', '2020-01-01 15:00:00', 'result_info', 'Home won', 'participants', '[{"id": 1}, {"id": 2}]'::jsonb,
    'scores', '[{"id": 9}]'::jsonb, 'events', '[{"id": 3}]'::jsonb, 'lineups', '[{"id": 4}]'::jsonb, 'statistics', '[{"id": 5}]'::jsonb) || extra
$$;
grant execute on function pg_temp.fixture(integer, integer, jsonb) to service_role;

select tests.authenticate_as('service');

-- A bad element anywhere: nothing of the batch is written, the checkpoint stays.
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token,
    jsonb_build_array(pg_temp.fixture(101), pg_temp.fixture(102), pg_temp.fixture(103, extra => '{"season_id": 11}')), '{"last_fixture_id": 103}')
    from lease$$, 'WM001', 'fixtures[2].season_id: is 11 but chunk 1_10 holds season 10', 'a fixture of another season is rejected by position');
select is((select count(*)::integer from watermark.fixtures where collected_at is not null), 0, 'nothing of the failed batch was written');
select is((select checkpoint from watermark.chunks where chunk_id = '1_10'), '{}'::jsonb, 'and the checkpoint did not move');
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(101, extra => '{"id": -4}')), '{}') from lease$$,
  'WM001', 'fixtures[0].id: must be a positive integer, got -4', 'ids must be positive integers');
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token, (select jsonb_agg(pg_temp.fixture(g)) from generate_series(1, 51) g), '{}') from lease$$,
  'WM001', 'fixtures: has 51 elements, at most 50 allowed; send smaller batches', 'a batch holds at most 50 fixtures');
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token, '[]', '[1]') from lease$$,
  'WM001', 'checkpoint: must be a JSON object like {"last_fixture_id": 123}', 'the checkpoint must be an object');
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(101, extra => '{"starting_at": "soon"}')), '{}') from lease$$,
  'WM001', 'fixtures[0].starting_at: must be a timestamp like 2024-08-17 14:00:00, got soon', 'timestamps are validated');
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(101, extra => '{"state_id": "x"}')), '{}') from lease$$,
  'WM001', 'fixtures[0].state_id: must be an integer from 1 to 2147483647, got "x"', 'a state id that is not an integer names its field');
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(101), pg_temp.fixture(102, extra => '{"has_odds": "yes"}')), '{}') from lease$$,
  'WM001', 'fixtures[1].has_odds: must be true or false, got "yes"', 'a flag that is not a boolean names its field');
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(101, extra => '{"length": 90.5}')), '{}') from lease$$,
  'WM001', 'fixtures[0].length: must be an integer from 0 to 2147483647, got 90.5', 'a length that is not an integer names its field');
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token, '[]', '{"last_fixture_id": 103.5}') from lease$$,
  'WM001', 'checkpoint.last_fixture_id: must be a positive fixture id', 'a checkpoint id must be whole (list_chunk_work reads it as bigint)');
select throws_ok($$select public.register_chunk_fixtures(chunk_id, token, '[{"id": 107, "starting_at_timestamp": "soon"}]') from lease$$,
  'WM001', 'fixtures[0].starting_at_timestamp: must be an integer from -9223372036854775808 to 9223372036854775807, got "soon"',
  'discovery names a bad field too');
select throws_ok($$select public.register_chunk_fixtures(chunk_id, token, '[{"id": 107, "state_id": 1e12}]') from lease$$,
  'WM001', 'fixtures[0].state_id: must be an integer from 1 to 2147483647, got 1000000000000', 'an out-of-range state id is named, not an overflow');
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token, '[]', '{}', failures => '[{"fixture_id": 999, "error": "gone"}]') from lease$$,
  'WM001', 'failures[0].fixture_id: fixture 999 is not registered in chunk 1_10; register it first with register_chunk_fixtures',
  'failures must name the chunk''s fixtures');

-- A good batch: rows, failures and checkpoint together.
select is((select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(101), pg_temp.fixture(102, 2)),
    '{"last_fixture_id": 103}', 'exec_1', '[{"fixture_id": 103, "error": "not returned by fixtures/multi"}]') from lease),
  '{"failed": 1, "updated": 0, "inserted": 2, "unchanged": 0, "checkpoint": {"last_fixture_id": 103}, "rows_written": 2}'::jsonb,
  'the batch reports inserted, updated, unchanged and failed counts');
select is((select checkpoint from watermark.chunks where chunk_id = '1_10'), '{"last_fixture_id": 103}'::jsonb, 'the checkpoint advanced with it');
-- Quality (watermark.fixture_quality): 101 finished without a CURRENT score, statistics
-- or players in its events; 102 is live, so only the match-data checks wait.
select results_eq($$select id::integer, is_final, quality_score::integer, quality_reasons, last_execution_id
                      from watermark.fixtures where id in (101, 102) order by id$$,
  $$values (101, true, 50, '{missing_scores,no_statistics,events_without_players}'::text[], 'exec_1'),
           (102, false, 100, '{}'::text[], 'exec_1')$$, 'finality from the state, a quality score and its reasons per fixture, the execution');
select ok((select attempts = 1 and last_error = 'not returned by fixtures/multi' and next_check_at > now()
  from watermark.fixtures where id = 103), 'a failed fixture backs off');
select is((select public.record_fixture_failures(chunk_id, token, '[{"fixture_id": 103, "error": "again"}]') from lease), 1,
  'record_fixture_failures counts the fixtures it marked');
select ok((select attempts = 2 and next_check_at > now() + interval '9 minutes' from watermark.fixtures where id = 103),
  'backoff grows with the attempts');

-- The same content again: counted unchanged and its content is not rewritten (a
-- trigger counts writes of the content columns; only the bookkeeping moves).
select tests.clear_authentication();
create temp table content_writes (n integer not null);
insert into content_writes values (0);
grant all on content_writes to service_role;
create function pg_temp.count_content_write() returns trigger language plpgsql as $$
begin
  update content_writes set n = n + 1;
  return new;
end
$$;
create trigger count_content_writes before update of events, scores, content_hash, collected_at on watermark.fixtures
  for each row execute function pg_temp.count_content_write();
select tests.authenticate_as('service');
select is((select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(101)), '{"last_fixture_id": 101}') ->> 'unchanged' from lease),
  '1', 'identical content is counted unchanged');
select is((select n from content_writes), 0, 'and its content is not rewritten');
select is((select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(101, extra => '{"result_info": "Draw"}')),
  '{"last_fixture_id": 101}') ->> 'updated' from lease), '1', 'changed content is counted updated');
select ok((select result_info = 'Draw' from watermark.fixtures where id = 101) and (select n from content_writes) = 1, 'and written, once');
select tests.clear_authentication();
drop trigger count_content_writes on watermark.fixtures;
select tests.authenticate_as('service');

-- A failed fixture that is collected clears its failure state.
select is((select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(103)), '{"last_fixture_id": 103}') ->> 'inserted' from lease),
  '1', 'a fixture collected after failing counts as inserted');
select ok((select attempts = 0 and last_error is null and next_check_at is null from watermark.fixtures where id = 103),
  'and its failure state is cleared');

-- Failures are validated as a batch, then applied in one statement: a bad element
-- anywhere writes nothing; a fixture listed twice fails once, with its last message.
select throws_ok($$select public.record_fixture_failures(chunk_id, token, '[{"fixture_id": 104, "error": "a"}, {"fixture_id": 105}]') from lease$$,
  'WM001', 'failures[1].error: is required; say why the fixture could not be collected', 'a failure without its error is named by position');
select throws_ok($$select public.record_fixture_failures(chunk_id, token, '[{"fixture_id": 104, "error": "a"}, {"fixture_id": 0, "error": "b"}]') from lease$$,
  'WM001', 'failures[1].fixture_id: must be a positive integer, got 0', 'a bad id is named by position');
select is((select attempts from watermark.fixtures where id = 104), 0, 'and nothing of a rejected batch is written');
select is((select public.record_fixture_failures(chunk_id, token,
    '[{"fixture_id": 104, "error": "first"}, {"fixture_id": 105, "error": "x"}, {"fixture_id": 104, "error": "second"}]') from lease), 2,
  'a batch of failures marks each fixture once');
select results_eq($$select id::integer, attempts, last_error from watermark.fixtures where id in (104, 105) order by id$$,
  $$values (104, 1, 'second'), (105, 1, 'x')$$, 'with the last message reported for it');

-- A fixture listed twice in a batch is written once, from its last listing.
select is((select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(106, extra => '{"result_info": "first"}'),
    pg_temp.fixture(106, extra => '{"result_info": "last"}')), '{}') - 'checkpoint' from lease),
  '{"failed": 0, "updated": 0, "inserted": 1, "unchanged": 0, "rows_written": 1}'::jsonb, 'a fixture listed twice counts once');
select is((select result_info from watermark.fixtures where id = 106), 'last', 'and its last listing is what is stored');
select tests.clear_authentication();

select is((select array_agg(p.proname::text order by 1) from pg_proc p
            where p.oid in ('public.upsert_fixture_batch(text, uuid, jsonb, jsonb, text, jsonb)'::regprocedure,
                            'watermark.apply_fixture_failures(watermark.chunks, jsonb, text)'::regprocedure)
              and p.prosrc ~* '\mloop\M'), null,
  'the batch RPCs validate and write set-based, without a per-element loop');

select * from finish();
rollback;
