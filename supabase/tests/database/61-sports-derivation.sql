-- The sports model is derived from the stored payload in the transaction that
-- stores it: a correction replaces a fixture's children exactly, bad elements
-- are skipped without failing the batch, and the rebuild reproduces the model.
begin;
-- Derivation runs at commit (a deferred trigger). These tests roll back instead of
-- committing: `set constraints all immediate` fires what commit would, where it says so.
select plan(30);

select public.sync_collection_catalog('[{"id": 1, "name": "League"}]', '[{"id": 10, "league_id": 1, "name": "2025"}]');
create temp table lease as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
  from (select public.claim_chunk('t', 60, season_id => 10) as c) x;
grant select on lease to service_role;

-- A finished 2-1 in the simulator's shape; `goals` lists the goal events kept.
create function pg_temp.fixture(fid integer, goals jsonb default '[[14, 10, 1, 501, 502], [14, 60, 2, 601, null], [16, 80, 1, 503, null]]',
  extra jsonb default '{}')
returns jsonb language sql as $$
  select jsonb_build_object('id', fid, 'league_id', 1, 'season_id', 10, 'stage_id', 77, 'round_id', 7, 'state_id', 5,
    'name', 'Home vs Away', 'starting_at', '2025-01-01 15:00:00',
    'participants', jsonb_build_array(
      jsonb_build_object('id', 1, 'name', 'Home', 'short_code', 'HOM', 'meta', jsonb_build_object('location', 'home', 'winner', h > a)),
      jsonb_build_object('id', 2, 'name', 'Away', 'short_code', 'AWY', 'meta', jsonb_build_object('location', 'away', 'winner', a > h))),
    'scores', jsonb_build_array(
      jsonb_build_object('id', fid * 10 + 4, 'type_id', 1525, 'participant_id', 1, 'description', 'CURRENT', 'score', jsonb_build_object('goals', h, 'participant', 'home')),
      jsonb_build_object('id', fid * 10 + 5, 'type_id', 1525, 'participant_id', 2, 'description', 'CURRENT', 'score', jsonb_build_object('goals', a, 'participant', 'away'))),
    'events', (select jsonb_agg(jsonb_build_object('id', fid * 100 + n, 'type_id', g -> 0, 'minute', g -> 1,
        'participant_id', g -> 2, 'player_id', g -> 3, 'player_name', 'P' || (g ->> 3), 'related_player_id', g -> 4,
        'related_player_name', case when g ->> 4 is not null then 'P' || (g ->> 4) end, 'sort_order', 1) order by n)
      from jsonb_array_elements(goals || '[[19, 30, 2, 602, null], [18, 70, 1, 504, 501]]') with ordinality e(g, n)),
    'lineups', (select jsonb_agg(jsonb_build_object('id', fid * 40 + p, 'team_id', case when p <= 5 then 1 else 2 end,
        'player_id', case when p <= 5 then 500 + p else 700 + p end, 'player_name', 'Player ' || p, 'type_id', case when p in (4, 9) then 12 else 11 end,
        'position_id', 26, 'formation_position', p, 'jersey_number', p)) from generate_series(1, 10) p),
    'statistics', '[{"id": 1, "type_id": 45, "participant_id": 1, "data": {"value": 58}, "location": "home"},
                    {"id": 2, "type_id": 45, "participant_id": 2, "data": {"value": 42}, "location": "away"}]'::jsonb) || extra
    from (select count(*) filter (where g ->> 2 = '1')::integer as h, count(*) filter (where g ->> 2 = '2')::integer as a
            from jsonb_array_elements(goals) g) t
$$;
grant execute on function pg_temp.fixture(integer, jsonb, jsonb) to service_role;

select tests.authenticate_as('service');
select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(101), pg_temp.fixture(102)), '{}') from lease;
set constraints all immediate; set constraints all deferred;  -- as at commit
select tests.clear_authentication();

select is((select count(*)::integer from watermark.fixture_participants where fixture_id = 101), 2, 'both participants are stored');
select is((select array_agg(location order by team_id) from watermark.fixture_participants where fixture_id = 101), '{home,away}', 'with home and away');
select is((select winner from watermark.fixture_participants where fixture_id = 101 and team_id = 1), true, 'and the winner');
select is((select name from watermark.teams where id = 2), 'Away', 'teams come from the participants');
select is((select array_agg(goals order by team_id) from watermark.fixture_scores where fixture_id = 101 and type_id = 1525), '{2,1}', 'scores by period');
select is((select array_agg(type_id order by ordinal) from watermark.fixture_events where fixture_id = 101), '{14,19,14,18,16}'::bigint[],
  'events in match order');
select is((select related_player_id from watermark.fixture_events where fixture_id = 101 and minute = 70), 501::bigint, 'with the related player');
select is((select name from watermark.players where id = 503), 'Player 3', 'a lineup names its player');
select is((select name from watermark.players where id = 602), 'P602', 'an event names a player not in the lineups');
select is((select count(*)::integer from watermark.fixture_lineups where fixture_id = 101 and starter), 8, 'starters');
select is((select count(*)::integer from watermark.fixture_lineups where fixture_id = 101 and not starter), 2, 'and bench');
select is((select array_agg(value order by team_id) from watermark.fixture_statistics where fixture_id = 101 and type_id = 45), '{58,42}'::numeric[],
  'statistics per team');
select is((select count(*)::integer from watermark.rounds where id = 7 and stage_id = 77), 1, 'the round and its stage');
select is(watermark.fixture_quality(f), row(100, '{}')::watermark.fixture_quality_result, 'a complete fixture scores 100')
  from watermark.fixtures f where f.id = 101;

-- A correction after full time: the home side's first goal is removed.
select tests.authenticate_as('service');
select public.upsert_fixture_batch(chunk_id, token,
  jsonb_build_array(pg_temp.fixture(101, '[[14, 60, 2, 601, null], [16, 80, 1, 503, null]]')), '{}') from lease;
set constraints all immediate; set constraints all deferred;  -- as at commit
select tests.clear_authentication();
select is((select array_agg(id order by ordinal) from watermark.fixture_events where fixture_id = 101),
  '{10103,10101,10104,10102}'::bigint[], 'the removed goal is gone and nothing is duplicated');
select is((select array_agg(goals order by team_id) from watermark.fixture_scores where fixture_id = 101 and type_id = 1525), '{1,1}',
  'the score follows');
select is((select count(*)::integer from watermark.fixture_participants where fixture_id = 101 and winner), 0, 'a draw has no winner');
select is((select count(*)::integer from watermark.fixture_events where fixture_id = 102), 5, 'the other fixture is untouched');

-- Quality: the reasons behind a low score.
select tests.authenticate_as('service');
select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(
  pg_temp.fixture(103, extra => '{"lineups": [], "statistics": null}'),
  pg_temp.fixture(104, extra => jsonb_build_object('scores', '[{"type_id": 1525, "participant_id": 1, "score": {"goals": 5}}]'::jsonb)),
  pg_temp.fixture(105, extra => '{"events": [{"id": 1, "type_id": 19, "minute": 3, "participant_id": 1}, "junk", {"id": "x"}], "lineups": [7]}')), '{}')
  from lease;
set constraints all immediate; set constraints all deferred;  -- as at commit
select tests.clear_authentication();
select is(watermark.fixture_quality(f), row(60, '{missing_lineups,no_statistics}')::watermark.fixture_quality_result,
  'missing lineups and statistics') from watermark.fixtures f where f.id = 103;
select is((watermark.fixture_quality(f)).reasons, '{score_events_disagree}', 'a score its goal events do not add up to')
  from watermark.fixtures f where f.id = 104;
select is((watermark.fixture_quality(f)).reasons, '{score_events_disagree,missing_lineups,events_without_players}',
  'events without players') from watermark.fixtures f where f.id = 105;
select is((select count(*)::integer from watermark.fixture_events where fixture_id = 105), 1, 'elements that are not events are skipped');
select is(watermark.fixture_quality(f), row(0, '{not_collected}')::watermark.fixture_quality_result, 'a fixture never collected scores 0')
  from jsonb_populate_record(null::watermark.fixtures, '{"id": 1, "league_id": 1, "season_id": 10}') f;

-- A payload column set to the same value re-derives nothing (the trigger's WHEN).
update watermark.fixture_events set info = 'kept' where fixture_id = 102;
update watermark.fixtures set events = events, next_check_at = now() where id = 102;
set constraints all immediate; set constraints all deferred;  -- as at commit
select is((select count(*)::integer from watermark.fixture_events where fixture_id = 102 and info = 'kept'), 5,
  'a bookkeeping update leaves the model alone');
update watermark.fixture_events set info = null where fixture_id = 102;

-- The rebuild reproduces the model exactly.
create temp table before_model as
  select 'participants' as t, to_jsonb(x) as r from watermark.fixture_participants x
  union all select 'scores', to_jsonb(x) from watermark.fixture_scores x
  union all select 'events', to_jsonb(x) from watermark.fixture_events x
  union all select 'lineups', to_jsonb(x) from watermark.fixture_lineups x
  union all select 'statistics', to_jsonb(x) from watermark.fixture_statistics x
  union all select 'teams', to_jsonb(x) from watermark.teams x
  union all select 'players', to_jsonb(x) from watermark.players x;
delete from watermark.fixture_events;
delete from watermark.fixture_lineups;
delete from watermark.fixture_statistics;
delete from watermark.fixture_scores;
delete from watermark.fixture_participants;
select tests.authenticate_as('service');
select is(public.rebuild_sports_data() ->> 'fixtures', '5', 'the rebuild re-derives every fixture');
select is((public.rebuild_sports_data(10) - 'fixtures' - 'teams' - 'players') ->> 'events', '20', 'and counts what it rebuilt');
select throws_ok($$select public.rebuild_sports_data(99)$$, 'WM001', 'season_id: season 99 is not in the catalog (list seasons with list_chunks)',
  'an unknown season is named');
select tests.clear_authentication();
select set_eq($$select t, r from before_model$$,
  $$select 'participants', to_jsonb(x) from watermark.fixture_participants x
    union all select 'scores', to_jsonb(x) from watermark.fixture_scores x
    union all select 'events', to_jsonb(x) from watermark.fixture_events x
    union all select 'lineups', to_jsonb(x) from watermark.fixture_lineups x
    union all select 'statistics', to_jsonb(x) from watermark.fixture_statistics x
    union all select 'teams', to_jsonb(x) from watermark.teams x
    union all select 'players', to_jsonb(x) from watermark.players x$$, 'the rebuilt model equals the derived one');
select is((select count(*)::integer from watermark.fixture_events), 20, 'no duplicates after rebuilding twice');

-- One statement writing many fixtures derives them all (one queue, one derivation at commit).
update watermark.fixtures set events = '[]' where id in (102, 103);
set constraints all immediate; set constraints all deferred;  -- as at commit
select is((select count(*)::integer from watermark.fixture_events where fixture_id in (102, 103)), 0,
  'a statement updating two fixtures replaces the children of both');

select * from finish();
rollback;
