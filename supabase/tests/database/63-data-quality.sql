-- The one quality definition (watermark.fixture_quality: each reason), stored
-- with the fixture on every write, and the completeness per league and season
-- (get_data_quality) on a known set of fixtures: the numbers, who may read them.
begin;
select plan(26);

-- A complete finished fixture: 2-1, one goal event per goal with its player,
-- a lineup, a statistic. The arguments take one part away at a time.
create function pg_temp.fixture(fid integer, season integer default 10, state integer default 5, hg integer default 2,
  ag integer default 1, goal_events integer default null, lineups boolean default true, statistics boolean default true,
  players boolean default true)
returns jsonb language sql as $$
  select jsonb_build_object('id', fid, 'league_id', 1, 'season_id', season, 'state_id', state, 'name', 'x',
    'starting_at', '2025-01-01 15:00:00',
    'participants', '[{"id": 1, "meta": {"location": "home"}}, {"id": 2, "meta": {"location": "away"}}]'::jsonb,
    'scores', jsonb_build_array(jsonb_build_object('type_id', 1525, 'participant_id', 1, 'score', jsonb_build_object('goals', hg)),
                                jsonb_build_object('type_id', 1525, 'participant_id', 2, 'score', jsonb_build_object('goals', ag))),
    'events', (select coalesce(jsonb_agg(jsonb_build_object('id', fid * 100 + g, 'type_id', 14, 'minute', g, 'participant_id', 1)
                 || case when players then jsonb_build_object('player_id', 10 + g) else '{}' end), '[]')
                 from generate_series(1, coalesce(goal_events, hg + ag)) g),
    'lineups', case when lineups then '[{"id": 1, "team_id": 1, "player_id": 11, "type_id": 11}]'::jsonb else '[]' end,
    'statistics', case when statistics then '[{"type_id": 45, "participant_id": 1, "data": {"value": 50}}]'::jsonb else '[]' end)
$$;
grant execute on function pg_temp.fixture(integer, integer, integer, integer, integer, integer, boolean, boolean, boolean) to service_role;
-- The quality of a payload as collected now.
create function pg_temp.quality(payload jsonb) returns watermark.fixture_quality_result language sql as $$
  select watermark.fixture_quality(jsonb_populate_record(null::watermark.fixtures, payload || '{"collected_at": "2025-01-01T17:00:00Z"}'))
$$;

-- Each reason, alone.
select is(pg_temp.quality(pg_temp.fixture(1)), row(100, '{}')::watermark.fixture_quality_result, 'a complete fixture scores 100');
select is(watermark.fixture_quality(jsonb_populate_record(null::watermark.fixtures, pg_temp.fixture(1))),
  row(0, '{not_collected}')::watermark.fixture_quality_result, 'not_collected: a fixture never collected scores 0, for that reason only');
select is(pg_temp.quality(pg_temp.fixture(1) || '{"participants": [{"id": 1}, {"id": "2"}, "junk"]}'),
  row(70, '{missing_participants}')::watermark.fixture_quality_result, 'missing_participants: fewer than two teams with ids (-30)');
select is(pg_temp.quality(pg_temp.fixture(1) || '{"scores": [{"type_id": 1, "participant_id": 1, "score": {"goals": 2}}]}'),
  row(80, '{missing_scores}')::watermark.fixture_quality_result, 'missing_scores: no CURRENT result (-20), and nothing to disagree with');
select is(pg_temp.quality(pg_temp.fixture(1, lineups => false)),
  row(80, '{missing_lineups}')::watermark.fixture_quality_result, 'missing_lineups (-20)');
select is(pg_temp.quality(pg_temp.fixture(1) || '{"lineups": [7, {"id": "x"}]}'),
  row(80, '{missing_lineups}')::watermark.fixture_quality_result, 'lineups without ids are none');
select is(pg_temp.quality(pg_temp.fixture(1, statistics => false)),
  row(80, '{no_statistics}')::watermark.fixture_quality_result, 'no_statistics (-20)');
select is(pg_temp.quality(pg_temp.fixture(1, players => false)),
  row(90, '{events_without_players}')::watermark.fixture_quality_result, 'events_without_players (-10)');
select is(pg_temp.quality(pg_temp.fixture(1, goal_events => 2)),
  row(70, '{score_events_disagree}')::watermark.fixture_quality_result, 'score_events_disagree: 2-1 with two goal events (-30)');
select is(pg_temp.quality(pg_temp.fixture(1, hg => 0, ag => 0, lineups => false, statistics => false) || '{"state_id": 1}'),
  row(100, '{}')::watermark.fixture_quality_result, 'the match-data checks wait until the fixture finished');
select is(pg_temp.quality(pg_temp.fixture(1, lineups => false, statistics => false, players => false, goal_events => 1)),
  row(20, '{score_events_disagree,missing_lineups,no_statistics,events_without_players}')::watermark.fixture_quality_result,
  'reasons add up, the heaviest first');

-- A known set. Season 10: 301 complete, 302 no lineups (80), 303 no lineups, no
-- statistics, events without players (50), 304 disagreeing (70), 305 finished
-- but only registered, 306 collected before kickoff (100). Season 11: 311 complete.
select public.sync_collection_catalog('[{"id": 1, "name": "League"}]',
  '[{"id": 10, "league_id": 1, "name": "2025"}, {"id": 11, "league_id": 1, "name": "2026"}]');
create temp table lease as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token, s as season_id
  from (select s, public.claim_chunk('t', 60, season_id => s) as c from unnest(array[10, 11]) s) x;
grant select on lease to service_role;
select tests.authenticate_as('service');
select public.register_chunk_fixtures(chunk_id, token,
  '[{"id": 305, "season_id": 10, "state_id": 5, "starting_at": "2025-01-01 15:00:00"}]') from lease where season_id = 10;
select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(301), pg_temp.fixture(302, lineups => false),
  pg_temp.fixture(303, lineups => false, statistics => false, players => false), pg_temp.fixture(304, goal_events => 2),
  pg_temp.fixture(306, state => 1, hg => 0, ag => 0, lineups => false, statistics => false)), '{}') from lease where season_id = 10;
select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(311, season => 11)), '{}')
  from lease where season_id = 11;
set constraints all immediate; set constraints all deferred;  -- as at commit
select tests.clear_authentication();

select results_eq($$select id::integer, quality_score::integer, quality_reasons from watermark.fixtures where season_id = 10 order by id$$,
  $$values (301, 100, '{}'::text[]), (302, 80, '{missing_lineups}'), (303, 50, '{missing_lineups,no_statistics,events_without_players}'),
           (304, 70, '{score_events_disagree}'), (305, 0, '{not_collected}'), (306, 100, '{}')$$,
  'each write stores the fixture''s quality and reasons');
update watermark.fixtures set lineups = '[{"id": 1}]' where id = 302;
select is((select (quality_score, quality_reasons)::text from watermark.fixtures where id = 302), '(100,{})',
  'a change of the payload stores its quality again');
update watermark.fixtures set lineups = '[]' where id = 302;

select tests.authenticate_as('viewer');
select results_eq($$select league_name, season_id, season_name, fixtures, collected, collected_percent, finished
                      from public.get_data_quality(1) order by season_id$$,
  $$values ('League', 10::bigint, '2025', 6, 5, 83.3, 5), ('League', 11::bigint, '2026', 1, 1, 100.0, 1)$$,
  'per league and season: fixtures known, collected, finished');
select results_eq($$select with_lineups_percent, with_statistics_percent, events_with_players_percent, scores_agree_percent
                      from public.get_data_quality(1, 10)$$,
  $$values (50.0, 75.0, 75.0, 75.0)$$, 'shares of the collected finished fixtures with lineups, statistics, players, agreeing scores');
select results_eq($$select complete_percent, avg_quality_score, min_quality_score from public.get_data_quality(1, 10)$$,
  $$values (20.0, 80.0, 50)$$, 'complete: 1 of 5 finished (the registered one counts as incomplete); quality over the collected');
select results_eq($$select below_threshold, below_threshold_reasons from public.get_data_quality(1, 10)$$,
  $$values (2, '[{"reason": "events_without_players", "fixtures": 1}, {"reason": "missing_lineups", "fixtures": 1},
                 {"reason": "no_statistics", "fixtures": 1}, {"reason": "score_events_disagree", "fixtures": 1}]'::jsonb)$$,
  'below 80 by default: two fixtures and their reasons');
select is((select below_threshold_reasons -> 0 from public.get_data_quality(1, 10, 100)), '{"reason": "missing_lineups", "fixtures": 2}',
  'below 100: the commonest reason first');
select is((select array_agg(season_id) from public.get_data_quality(season_id => 11)), '{11}'::bigint[], 'one season');
select is((select complete_percent from public.get_data_quality(season_id => 11)), 100.0, 'complete');
select is((select count(*)::integer from public.get_data_quality(2)), 0, 'an unknown league has no rows');
select is(public.get_fixture_detail(303) -> 'quality',
  '{"score": 50, "reasons": ["missing_lineups", "no_statistics", "events_without_players"]}', 'a fixture''s detail shows the stored quality');
select throws_ok($$select * from public.get_data_quality(below_score => 0)$$, 'WM001', 'below_score: must be between 1 and 100',
  'the threshold is checked');
select tests.clear_authentication();

select tests.authenticate_as('user');
select throws_ok($$select * from public.get_data_quality()$$, '42501', 'permission denied: get_data_quality needs viewer access',
  'a user without a role reads no completeness');
select tests.clear_authentication();
select tests.authenticate_as('anon');
select throws_ok($$select * from public.get_data_quality()$$, '42501', null, 'nor does anon');
select tests.clear_authentication();

-- The collection overview averages the same stored score, over the collected fixtures.
select tests.authenticate_as('viewer');
select is((public.get_collection_overview() -> 'fixtures' ->> 'avg_quality_score')::numeric, 83.3,
  'the collection overview averages the stored quality of the collected fixtures');
select tests.clear_authentication();

select * from finish();
rollback;
