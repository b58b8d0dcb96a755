-- pipe_schedule_response: the collector's discovery. Postgres reads the season
-- schedule answer itself (schedule_entries): every stage layout, ties with
-- their legs, bad fields named by their place in the answer; it registers
-- the fixtures under the lease and saves the answer's rate_limit, or writes
-- nothing. The schedule is the REAL recorded GET /schedules/teams/14 (16
-- stages of 8 seasons): 67 fixtures, 6 of them listed only under aggregates,
-- 3 two-legged ties.
\set schedule `cat ../shared/sportmonks/samples/schedule-teams-14.data.json`
begin;
select plan(27);

create temp table sample as
  select jsonb_build_object('data', :'schedule'::jsonb,
    'rate_limit', '{"resets_in_seconds": 3000, "remaining": 2990, "requested_entity": "Schedule"}'::jsonb, 'timezone', 'UTC') as body;
grant select on sample to service_role;

-- The mapping, on the real schedule.
select is((select count(*)::integer from watermark.schedule_entries((select body from sample)) e where e.kind = 'fixture'), 67,
  'all 67 fixtures, from every stage layout');
select is((select count(distinct e.element -> 'id')::integer from watermark.schedule_entries((select body from sample)) e
            where e.kind = 'fixture'), 67, 'each once');
select is((select count(*)::integer from watermark.schedule_entries((select body from sample)) e
            where e.kind = 'fixture' and e.field ~ '\.aggregates\[\d+\]\.fixtures$'), 6,
  'the 6 two-legged fixtures are found under aggregates');
select is((select count(*)::integer from watermark.schedule_entries((select jsonb_set(body, '{data}',
            (select jsonb_agg(s - 'aggregates') from jsonb_array_elements(body -> 'data') s)) from sample)) e where e.kind = 'fixture'), 61,
  'rounds and stage fixtures alone miss them');
select is((select e.element from watermark.schedule_entries((select body from sample)) e
            where e.kind = 'fixture' and e.element ->> 'id' = '19380922'),
          (select f from jsonb_array_elements((select body from sample) -> 'data') s,
                         jsonb_array_elements(s -> 'aggregates') a, jsonb_array_elements(a -> 'fixtures') f
            where f ->> 'id' = '19380922'),
  'a fixture is passed on as the API listed it');
select results_eq($$select e.element from watermark.schedule_entries((select body from sample)) e where e.kind = 'aggregate'$$,
  $$values ('{"id": 58610, "season_id": 23620, "stage_id": 77471325, "name": "Real Sociedad vs Manchester United",
              "fixture_ids": [19380921, 19380922], "result": "2-5", "detail": "After Full Time", "winner_participant_id": 14}'::jsonb),
           ('{"id": 58762, "season_id": 23620, "stage_id": 77471324, "name": "Olympique Lyonnais vs Manchester United",
              "fixture_ids": [19391333, 19391334], "result": "6-7", "detail": "After Extra Time", "winner_participant_id": 14}'::jsonb),
           ('{"id": 58758, "season_id": 23620, "stage_id": 77471323, "name": "Athletic Club vs Manchester United",
              "fixture_ids": [19391325, 19391326], "result": "1-7", "detail": "After Full Time", "winner_participant_id": 14}'::jsonb)$$,
  'the 3 ties as rows whose fixture_ids are their legs');
-- Real tie 58610 without its season and stage, its second leg only under fixtures.
create temp table bare_tie as
  select e.element from watermark.schedule_entries(jsonb_build_object('data', jsonb_build_array(
    (select jsonb_set(s, '{aggregates}', jsonb_build_array((s -> 'aggregates' -> 0) - 'season_id' - 'stage_id' || '{"fixture_ids": [19380921]}'))
       from jsonb_array_elements((select body from sample) -> 'data') s where s ->> 'id' = '77471325')))) e
   where e.kind = 'aggregate';
select is((select jsonb_build_object('season_id', element -> 'season_id', 'stage_id', element -> 'stage_id', 'fixture_ids', element -> 'fixture_ids')
             from bare_tie),
  '{"season_id": 23620, "stage_id": 77471325, "fixture_ids": [19380921, 19380922]}'::jsonb,
  'a tie without season and stage takes its stage''s, and legs missing from fixture_ids are added');
select is((select count(*)::integer from watermark.schedule_entries('{"message": "No result(s) found matching your request."}')), 0,
  'a miss (a message, no data) is an empty schedule');

-- Bad answers name the field.
select throws_ok($$select count(*) from watermark.schedule_entries('{"message": "Insufficient plan", "code": 5007}')$$, 'WM001',
  'response.code: Sportmonks answered error code 5007 (Insufficient plan); the schedule is not read', 'an in-body error code is refused');
select throws_ok($$select count(*) from watermark.schedule_entries('{"timezone": "UTC"}')$$, 'WM001',
  'response.data: is missing; a schedules/seasons answer carries data (or a message when the season has none)', 'data is required');
select throws_ok($$select count(*) from watermark.schedule_entries('{"data": [{"id": 1}, 7]}')$$, 'WM001',
  'response.data[1]: must be a stage object', 'a stage must be an object');
select throws_ok($$select count(*) from watermark.schedule_entries('{"data": [{"id": 1, "rounds": [{"id": 2, "fixtures": {"id": 3}}]}]}')$$,
  'WM001', 'response.data[0].rounds[0].fixtures: must be a JSON array, got {"id": 3}', 'a list that is not one names its place');

-- The pipe: the lease in a header, the answer whole as the body.
select public.sync_collection_catalog('[{"id": 5}]', '[{"id": 23620, "league_id": 5}]');
create temp table lease as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
  from (select public.claim_chunk('t', 60, season_id => 23620) as c) x;
grant select on lease to service_role;
-- The stages of season 23620 (league phase in rounds, three two-legged ties, a single-leg final): 15 fixtures.
create temp table season as
  select jsonb_set(body, '{data}', (select jsonb_agg(s.v order by s.ord) from jsonb_array_elements(body -> 'data') with ordinality s(v, ord)
                                     where s.v ->> 'season_id' = '23620')) as body
    from sample;
grant select on season to service_role;
select set_config('request.headers', jsonb_build_object('x-watermark-lease',
  jsonb_build_object('chunk_id', chunk_id, 'lease_token', token)::text)::text, true) from lease;

select tests.authenticate_as('service');
select throws_ok($$select public.pipe_schedule_response(jsonb_set((select body from season), '{data,0,rounds,2,fixtures,0,starting_at}', '"soon"'))$$,
  'WM001', 'response.data[0].rounds[2].fixtures[0].starting_at: must be a timestamp like 2024-08-17 14:00:00, got soon',
  'a bad fixture names its place in the answer');
select throws_ok($$select public.pipe_schedule_response((select body from sample))$$,
  'WM001', null, 'fixtures of another season are refused');
select is((select count(*)::integer from watermark.fixtures), 0, 'a refused answer registers nothing');
select is((select count(*)::integer from watermark.api_rate_limits), 0, 'nor saves its rate limit');
select is((select public.pipe_schedule_response((select body from season)) - 'priority'),
  '{"registered": 15, "known": 0, "moved": 0, "ties": 3, "fixtures_total": 15, "fixtures_pending": 15,
    "rate_limit": {"remaining": 2990, "requested_entity": "Schedule", "resets_in_seconds": 3000}}'::jsonb,
  'the season''s 15 fixtures and 3 ties are registered, the rate limit handed back');
select results_eq($$select remaining, resets_at between now() + interval '2999 seconds' and now() + interval '3001 seconds'
                     from watermark.api_rate_limits where entity = 'Schedule'$$,
  $$values (2990, true)$$, 'and saved in the same transaction');
select results_eq($$select aggregate_id::integer, count(*)::integer from watermark.fixtures where aggregate_id is not null group by 1 order by 1$$,
  $$values (58610, 2), (58758, 2), (58762, 2)$$, 'each tie''s two legs are registered with it');
select is((select fixture_ids from watermark.fixture_aggregates where id = 58610), '{19380921,19380922}'::bigint[], 'a tie''s legs');
select is((select public.pipe_schedule_response('{"message": "No result(s) found matching your request."}') ->> 'registered'), '0',
  'a miss registers nothing and fails nothing');
select is((select public.pipe_schedule_preview(jsonb_set((select body from sample), '{rate_limit,requested_entity}', '"Preview"')) - 'rate_limit'),
  '{"fixtures": 67, "ties": 3}'::jsonb, 'a dry run''s preview counts the fixtures and ties, by the same rules');
select is((select count(*)::integer from watermark.api_rate_limits where entity = 'Preview'), 0, 'and writes nothing, not even the rate limit');

select set_config('request.headers', '{"x-watermark-lease": "{\"chunk_id\": \"5_23620\", \"lease_token\": \"nope\"}"}', true);
select throws_ok($$select public.pipe_schedule_response('{"data": []}')$$,
  'WM001', 'x-watermark-lease.lease_token: must be the lease_token claim_chunk returned', 'a bad header names its field');
select set_config('request.headers', '{}', true);
select throws_ok($$select public.pipe_schedule_response('{"data": []}')$$, 'WM001',
  'x-watermark-lease: header must hold the lease as JSON: {"chunk_id": …, "lease_token": …}', 'without the header nothing is written');
select tests.clear_authentication();

select tests.authenticate_as('operator');
select throws_ok($$select public.pipe_schedule_response('{"data": []}')$$, '42501', null, 'an operator cannot register a schedule');
select tests.clear_authentication();
set local role anon;
select throws_ok($$select public.pipe_schedule_preview('{"data": []}')$$, '42501', null, 'anon cannot call the preview');
reset role;

select * from finish();
rollback;
