-- The read RPCs over the sports model, and who may call them: viewers read,
-- anon and users without a Watermark role get nothing, only the service role rebuilds.
begin;
-- Derivation runs at commit (a deferred trigger). These tests roll back instead of
-- committing: `set constraints all immediate` fires what commit would, where it says so.
select plan(31);

select public.sync_collection_catalog('[{"id": 1, "name": "League"}]', '[{"id": 10, "league_id": 1, "name": "2025"}]');
create temp table lease as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
  from (select public.claim_chunk('t', 60, season_id => 10) as c) x;
grant select on lease to service_role;

-- Three teams, three finished fixtures: 1-0 2 (2-0), 2-2 3 (1-1), 3-1 1 (0-3 away win for 1).
create function pg_temp.fixture(fid integer, home integer, away integer, hg integer, ag integer, day integer)
returns jsonb language sql as $$
  select jsonb_build_object('id', fid, 'league_id', 1, 'season_id', 10, 'state_id', 5, 'name', 'x',
    'starting_at', format('2025-01-%s 15:00:00', lpad(day::text, 2, '0')),
    'participants', jsonb_build_array(jsonb_build_object('id', home, 'name', 'Team ' || home, 'meta', '{"location": "home"}'::jsonb),
                                      jsonb_build_object('id', away, 'name', 'Team ' || away, 'meta', '{"location": "away"}'::jsonb)),
    'scores', jsonb_build_array(
      jsonb_build_object('type_id', 1525, 'participant_id', home, 'score', jsonb_build_object('goals', hg)),
      jsonb_build_object('type_id', 1525, 'participant_id', away, 'score', jsonb_build_object('goals', ag))),
    'events', (select coalesce(jsonb_agg(jsonb_build_object('id', fid * 100 + g, 'type_id', 14, 'minute', g * 10,
        'participant_id', case when g <= hg then home else away end, 'player_id', case when g <= hg then home * 10 else away * 10 end,
        'player_name', 'Striker ' || case when g <= hg then home else away end)), '[]')
      from generate_series(1, hg + ag) g),
    'lineups', jsonb_build_array(jsonb_build_object('id', fid, 'team_id', home, 'player_id', home * 10, 'type_id', 11)),
    'statistics', jsonb_build_array(
      jsonb_build_object('type_id', 45, 'participant_id', home, 'data', jsonb_build_object('value', 50 + day)),
      jsonb_build_object('type_id', 45, 'participant_id', away, 'data', jsonb_build_object('value', 50 - day))))
$$;
grant execute on function pg_temp.fixture(integer, integer, integer, integer, integer, integer) to service_role;
select tests.authenticate_as('service');
select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(
  pg_temp.fixture(201, 1, 2, 2, 0, 1), pg_temp.fixture(202, 2, 3, 1, 1, 2), pg_temp.fixture(203, 3, 1, 0, 3, 3)), '{}') from lease;
set constraints all immediate; set constraints all deferred;  -- as at commit
select tests.clear_authentication();

select tests.authenticate_as('viewer');
select results_eq($$select team_id, played, won, drawn, lost, goals_for, goals_against, points from public.get_league_table(10)$$,
  $$values (1::bigint, 2, 2, 0, 0, 5, 0, 6), (2::bigint, 2, 0, 1, 1, 1, 3, 1), (3::bigint, 2, 0, 1, 1, 1, 4, 1)$$,
  'the league table: points, then goal difference');
select is((select array_agg(position order by position) from public.get_league_table(10)), '{1,2,3}', 'with positions');
select results_eq($$select player_id, goals from public.get_top_scorers(10, 2)$$, $$values (10::bigint, 5), (20::bigint, 1)$$,
  'top scorers, limited to max_rows');
select results_eq($$select fixture_id, result, goals_for, goals_against, opponent_id from public.get_team_form(1, 5)$$,
  $$values (203::bigint, 'W', 3, 0, 3::bigint), (201::bigint, 'W', 2, 0, 2::bigint)$$, 'a team''s form, newest first');
select is((select count(*)::integer from public.get_team_form(2, 1)), 1, 'last_n limits the form');
select results_eq($$select ordinal, minute, type from public.get_match_events(203)$$,
  $$values (1, 10, 'Goal'), (2, 20, 'Goal'), (3, 30, 'Goal')$$, 'a match''s events in order, with type names');
select results_eq($$select team_id, fixtures, avg_possession from public.get_team_possession(10)$$,
  $$values (2::bigint, 2, 50.5), (3::bigint, 2, 50.5), (1::bigint, 2, 49.0)$$, 'average possession per team');
select is(public.get_fixture_detail(201) -> 'fixture' ->> 'id', '201', 'a fixture''s detail');
select is(jsonb_array_length(public.get_fixture_detail(201) -> 'events'), 2, 'with its events');
select is(jsonb_array_length(public.get_fixture_detail(201) -> 'lineups'), 1, 'lineups');
select is(jsonb_array_length(public.get_fixture_detail(201) -> 'statistics'), 2, 'statistics');
select is(public.get_fixture_detail(201) -> 'participants' -> 0 ->> 'location', 'home', 'participants, home first');
select is(public.get_fixture_detail(201) -> 'quality', '{"score": 100, "reasons": []}', 'and its quality');
select is(public.get_fixture_detail(999), null, 'an unknown fixture is null');
select is((select (fixtures, collected, finished, with_lineups_percent, complete_percent, min_quality_score, below_threshold,
                   below_threshold_reasons)::text from public.get_data_quality(1, 10)),
  '(3,3,3,100.0,100.0,100,0,[])', 'data quality per league and season');
select throws_ok($$select * from public.get_top_scorers(10, 0)$$, 'WM001', 'max_rows: must be between 1 and 1000', 'max_rows is checked');
select throws_ok($$select * from public.get_league_table(null)$$, 'WM001', 'season_id: is required (list seasons with list_chunks)',
  'the season is required');
select throws_ok($$select public.rebuild_sports_data()$$, '42501', null, 'a viewer cannot rebuild');
select is((select count(*)::integer from watermark.fixture_events), 7, 'a viewer reads the tables under RLS');
select tests.clear_authentication();

select tests.authenticate_as('user');
select throws_ok($$select public.get_fixture_detail(201)$$, '42501', 'permission denied: get_fixture_detail needs viewer access',
  'a user without a role reads no detail');
select is((select count(*)::integer from watermark.fixture_events), 0, 'nor any row');
select tests.clear_authentication();

select tests.authenticate_as('anon');
select throws_ok($$select public.get_fixture_detail(201)$$, '42501', null, 'anon cannot read a fixture');
select throws_ok($$select * from public.get_league_table(10)$$, '42501', null, 'nor a table');
select throws_ok($$select * from public.get_data_quality()$$, '42501', null, 'nor the data quality');
select throws_ok($$select * from watermark.fixture_events$$, '42501', null, 'nor the model''s tables');
select tests.clear_authentication();

select is((select count(*)::integer from information_schema.routine_privileges
            where grantee = 'anon' and routine_schema = 'public'
              and routine_name in ('get_fixture_detail', 'get_league_table', 'get_top_scorers', 'get_team_form', 'get_match_events',
                                   'get_team_possession', 'get_data_quality', 'rebuild_sports_data')), 0, 'anon holds EXECUTE on none of them');

-- docs/data.md's one statement opens the sports data, and only that, to anon.
grant execute on function public.get_fixture_detail(bigint), public.get_match_events(bigint), public.get_league_table(bigint),
  public.get_top_scorers(bigint, integer), public.get_team_form(bigint, integer), public.get_team_possession(bigint),
  public.get_data_quality(bigint, bigint, integer)
  to anon;
select tests.authenticate_as('anon');
select is((select count(*)::integer from public.get_league_table(10)), 3, 'opened: anon reads the league table');
select is(jsonb_array_length(public.get_fixture_detail(201) -> 'events'), 2, 'and a fixture with its events');
select is((select count(*)::integer from public.get_top_scorers(10)), 3, 'and the top scorers');
select throws_ok($$select * from public.list_chunks()$$, '42501', null, 'but not the collection''s RPCs');
select throws_ok($$select * from watermark.fixture_events$$, '42501', null, 'nor any table');
select tests.clear_authentication();
revoke execute on function public.get_fixture_detail(bigint), public.get_match_events(bigint), public.get_league_table(bigint),
  public.get_top_scorers(bigint, integer), public.get_team_form(bigint, integer), public.get_team_possession(bigint),
  public.get_data_quality(bigint, bigint, integer)
  from anon;

select * from finish();
rollback;
