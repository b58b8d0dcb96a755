-- When a fixture needs collecting (docs/collection.md): new fixtures at once;
-- not begun at kickoff; live every live_recollect_seconds; final on the settle
-- windows after full time; parked (postponed …) when the schedule moves them;
-- failures after their backoff; an operator's requeue at once. And when a chunk
-- is claimable (chunk_blocker), which list_chunk_queue shows as claim_chunk sees it.
begin;
select plan(46);

select public.sync_collection_catalog('[{"id": 1}]',
  '[{"id": 10, "league_id": 1, "finished": false}, {"id": 20, "league_id": 1, "finished": true}]');
create temp table lease as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
  from (select public.claim_chunk('t', 60, season_id => 10, min_fixtures => 0) as c) x;
grant select on lease to service_role;

-- A schedule row / collected fixture kicking off `hours` from now (UTC, as the API sends it).
create function pg_temp.at(hours numeric) returns text language sql as $$
  select to_char((now() at time zone 'UTC') + make_interval(secs => hours * 3600), 'YYYY-MM-DD HH24:MI:SS')
$$;
create function pg_temp.row(fid integer, state integer, hours numeric, extra jsonb default '{}') returns jsonb language sql as $$
  select jsonb_build_object('id', fid, 'league_id', 1, 'season_id', 10, 'state_id', state, 'starting_at', pg_temp.at(hours)) || extra
$$;
grant execute on function pg_temp.at(numeric) to service_role;
grant execute on function pg_temp.row(integer, integer, numeric, jsonb) to service_role;
-- Seconds from now to a fixture's next check (null: none).
create function pg_temp.due_in(fid integer) returns integer language sql as $$
  select round(extract(epoch from next_check_at - now()))::integer from watermark.fixtures where id = fid
$$;
grant execute on function pg_temp.due_in(integer) to service_role, authenticated;

select tests.authenticate_as('service');
select is((select public.register_chunk_fixtures(chunk_id, token, jsonb_build_array(
    pg_temp.row(201, 1, 72), pg_temp.row(202, 2, -1), pg_temp.row(203, 5, -3), pg_temp.row(204, 5, -720),
    pg_temp.row(205, 10, -24), pg_temp.row(206, 1, -10), pg_temp.row(207, 1, 5, '{"stage_id": 7, "group_id": 8}'),
    pg_temp.row(208, 1, 48, '{"stage_id": 9, "aggregate_id": 77, "leg": "1/2"}'),
    pg_temp.row(209, 1, 216, '{"stage_id": 9, "aggregate_id": 77, "leg": "2/2"}')),
  '[{"id": 77, "stage_id": 9, "name": "Quarter-final", "fixture_ids": [208, 209], "result": null, "winner_participant_id": null}]')
  from lease) - 'priority', '{"registered": 9, "known": 0, "moved": 0, "ties": 1, "fixtures_total": 9, "fixtures_pending": 9}'::jsonb,
  'discovery registers every fixture and the tie');
select is(public.list_chunk_work('1_10'), '{201,202,203,204,205,206,207,208,209}'::bigint[], 'a fixture never collected is due at once');
select results_eq($$select id::integer, stage_id::integer, group_id::integer, aggregate_id::integer, leg from watermark.fixtures
    where id in (207, 208, 209) order by id$$,
  $$values (207, 7, 8, null::integer, null::text), (208, 9, null, 77, '1/2'), (209, 9, null, 77, '2/2')$$,
  'the schedule''s stage, group, tie and leg are kept');
select results_eq($$select id::integer, fixture_ids, name from watermark.fixture_aggregates$$,
  $$values (77, '{208,209}'::bigint[], 'Quarter-final')$$, 'the tie is recorded with its legs');

-- Collected: each state places its next check.
select is((select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(
    pg_temp.row(201, 1, 72), pg_temp.row(202, 2, -1), pg_temp.row(203, 5, -3), pg_temp.row(204, 5, -720),
    pg_temp.row(205, 10, -24), pg_temp.row(206, 1, -10)), '{"last_fixture_id": 206}') ->> 'inserted' from lease), '6',
  'six fixtures collected');
select ok(pg_temp.due_in(201) between 72 * 3600 - 5 and 72 * 3600 + 5, 'not begun: due at kickoff');
select ok(pg_temp.due_in(202) between 295 and 305, 'under way: due again after live_recollect_seconds (300)');
select ok(pg_temp.due_in(203) between 3595 and 3605, 'final: due at the first settle window, 2 h after full time (kickoff + 2 h)');
select is(pg_temp.due_in(204), null, 'final with every settle window past: never again');
select is(pg_temp.due_in(205), null, 'postponed: not until the schedule moves it');
select ok(pg_temp.due_in(206) between 21595 and 21605, 'not final 6 h after kickoff: due at the rediscovery pace');
select ok((select is_final from watermark.fixtures where id = 203), 'a final state makes the fixture final');
select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.row(202, 5, -1)), '{}') from lease;
select ok(pg_temp.due_in(202) between 7195 and 7205,
  'seen final at full time: the settle windows count from that collection (here 2 h from now)');
select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.row(202, 2, -1)), '{}') from lease;
select is(public.list_chunk_work('1_10'), '{207,208,209}'::bigint[], 'only the fixtures not collected yet are due');

-- The same content again moves only the bookkeeping.
select is((select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.row(203, 5, -3)), '{}') ->> 'unchanged' from lease),
  '1', 'unchanged content is counted unchanged');
select ok(pg_temp.due_in(203) between 3595 and 3605, 'and the next check stays at the settle window');

-- The schedule moves a parked fixture: due at once, then at its new kickoff.
select is((select public.register_chunk_fixtures(chunk_id, token, jsonb_build_array(pg_temp.row(205, 1, 168), pg_temp.row(201, 1, 72)))
  from lease) ->> 'moved', '1', 'a fixture the schedule shows rescheduled counts moved');
select ok(205 = any (public.list_chunk_work('1_10')) and not 201 = any (public.list_chunk_work('1_10')),
  'the moved fixture is due; the unchanged one is not');
select is((select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.row(205, 1, 168)), '{}') ->> 'updated' from lease),
  '1', 'collected again with its new date');
select ok(pg_temp.due_in(205) between 168 * 3600 - 5 and 168 * 3600 + 5, 'and due at its new kickoff');

-- Failures back off; an operator's requeue makes fixtures due now, audited.
select is((select public.record_fixture_failures(chunk_id, token, '[{"fixture_id": 201, "error": "HTTP 500"}]') from lease), 1, 'a failure');
select ok(pg_temp.due_in(201) between 295 and 305, 'backs off by fixture_backoff_base_seconds');
select tests.clear_authentication();

select tests.authenticate_as('operator');
select is(public.requeue_collection(fixture_ids => '{204}', reason => 'provider corrected a goal') - 'chunk_ids',
  '{"fixtures": 1, "chunks": 1}'::jsonb, 'an operator requeues fixtures');
select ok(204 = any (public.list_chunk_work('1_10')), 'a requeued fixture is due now');
select is((select details ->> 'reason' from watermark.chunk_audit where action = 'requeue'), 'provider corrected a goal',
  'the requeue is audited with its reason');
select throws_ok($$select public.requeue_collection()$$, 'WM001',
  'league_id: name what to requeue: league_id, season_id, chunk_id or fixture_ids', 'a requeue names its target');
select throws_ok($$select public.requeue_collection(chunk_id => '9_99')$$, 'WM002', 'chunk 9_99 not found', 'an unknown chunk is named');

-- Settle windows are a setting; changing them re-places the checks of collected fixtures.
select throws_ok($$select public.set_collection_settings(settle_after_seconds => '{0}')$$, 'WM001',
  'settle_after_seconds: must be at most 10 positive numbers of seconds after full time, e.g. {7200,86400}; {} turns re-collection after full time off',
  'settle windows are validated');
select is((public.set_collection_settings(settle_after_seconds => '{3600,5184000}') -> 'settle_after_seconds'), '[3600, 5184000]'::jsonb,
  'an operator sets the settle windows');
select tests.clear_authentication();
select ok((select next_check_at > now() + interval '29 days' from watermark.fixtures where id = 203), 'a final fixture moves to the new windows');
select is(round(pg_temp.due_in(205) / 3600.0)::integer, 168, 'a fixture that is not final keeps its kickoff');
update watermark.collection_settings set settle_after_seconds = '{7200,86400}';

-- Claimable, as claim_chunk and list_chunk_queue both see it.
select tests.authenticate_as('viewer');
select results_eq($$select chunk_id, claimable, blocked_by from public.list_chunk_queue() order by chunk_id$$,
  $$values ('1_10', false, 'leased'), ('1_20', true, null)$$, 'a leased chunk is held; an undiscovered one is claimable');
select ok((select lease_owner = 't' and blocked_until > now() from public.list_chunk_queue() where chunk_id = '1_10'),
  'with its holder and until when');
select tests.clear_authentication();
select tests.authenticate_as('service');
select ok((select public.release_chunk(chunk_id, token, 'pending') is not null from lease), 'released');
select tests.clear_authentication();
update watermark.fixtures set next_check_at = now() + interval '1 hour' where season_id = 10 and next_check_at <= now();
select tests.authenticate_as('viewer');
select results_eq($$select blocked_by, fixtures_due::integer from public.list_chunk_queue(season_id => 10, min_fixtures => 0)$$,
  $$values ('no_work'::text, 0)$$, 'a chunk with nothing due and a fresh schedule is not claimable');
select is((select blocked_until from public.list_chunk_queue(season_id => 10, min_fixtures => 0)),
  (select min(next_check_at) from watermark.fixtures where season_id = 10), 'and says when its next work is due');
select tests.clear_authentication();
update watermark.chunks set discovered_at = now() - interval '7 hours' where chunk_id = '1_10';
select tests.authenticate_as('viewer');
select results_eq($$select claimable, needs_discovery from public.list_chunk_queue(season_id => 10)$$,
  $$values (true, true)$$, 'a season not settled has its schedule read again after rediscover_after_seconds');
select tests.clear_authentication();

-- A finished season whose fixtures are all final and settled is not read again.
select tests.authenticate_as('service');
create temp table lease20 as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
  from (select public.claim_chunk('t', 60, season_id => 20, min_fixtures => 0) as c) x;
select tests.clear_authentication();
grant select on lease20 to service_role;
select tests.authenticate_as('service');
select public.register_chunk_fixtures(chunk_id, token, jsonb_build_array(pg_temp.row(301, 5, -720, '{"season_id": 20}'))) from lease20;
select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.row(301, 5, -720, '{"season_id": 20}')), '{}') from lease20;
select is((select public.release_chunk(chunk_id, token, 'done') ->> 'status' from lease20), 'done', 'its pass is done');
select tests.clear_authentication();
select ok((select settled_at is not null from watermark.chunks where chunk_id = '1_20'), 'the finished season is settled');
update watermark.chunks set discovered_at = now() - interval '30 days' where chunk_id = '1_20';
select tests.authenticate_as('viewer');
select results_eq($$select blocked_by, needs_discovery from public.list_chunk_queue(season_id => 20, min_fixtures => 0)$$,
  $$values ('no_work'::text, false)$$, 'and its schedule is not read again, however old');
select tests.clear_authentication();

-- A season the plan does not cover is set aside until the plan recheck.
select tests.authenticate_as('service');
create temp table lease10 as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
  from (select public.claim_chunk('t', 60, season_id => 10, min_fixtures => 0) as c) x;
select tests.clear_authentication();
grant select on lease10 to service_role;
select tests.authenticate_as('service');
select throws_ok($$select public.release_chunk(chunk_id, token, 'not_in_plan') from lease10$$, 'WM001',
  'error: is required when outcome is not_in_plan; say what went wrong', 'not_in_plan says why');
select is((select public.release_chunk(chunk_id, token, 'not_in_plan', 'schedules/seasons/{id}: HTTP 403, code 5007') ->> 'status'
  from lease10), 'not_in_plan', 'a season outside the plan is marked');
select is(public.claim_chunk('t', 60, season_id => 10), null, 'and not claimed again');
select tests.clear_authentication();
select tests.authenticate_as('viewer');
select ok((select blocked_by = 'not_in_plan' and blocked_until > now() + interval '6 days' and last_error ~ '5007'
             from public.list_chunk_queue(season_id => 10)), 'the queue shows why and until when (plan_recheck_seconds)');
select tests.clear_authentication();

-- "Needs work" has one definition, a column comparison the planner can use with an index.
select is((select array_agg(p.proname::text) from pg_proc p
            where p.pronamespace = 'watermark'::regnamespace and p.proname like '%needs_work%'), null,
  'no second definition of needs work exists as a function');
select ok((select pg_get_viewdef('watermark.fixture_work'::regclass) ~ 'next_check_at <= now\(\)'),
  'needs work is next_check_at <= now()');

select * from finish();
rollback;
