-- "Needs work" (issue 3 §3), one rule at a time, through list_chunk_work: never
-- collected; not final and kickoff passed; collected before it reached a final
-- state; reported changed by fixtures/latest; failed last time, after its backoff.
begin;
select plan(19);

select public.sync_collection_catalog('[{"id": 1}]', '[{"id": 10, "league_id": 1}]');
-- Every fixture collected, final or in the future, no flags: the baseline needs no work.
insert into watermark.fixtures (id, league_id, season_id, state_id, starting_at, collected_at, is_final, content_hash)
select 100 + g, 1, 10, case when g <= 5 then 5 else 1 end,
       case when g <= 5 then timestamp '2020-01-01 15:00' else timestamp '2099-01-01 15:00' end, now(), g <= 5, 'h'
  from generate_series(1, 8) g;

select tests.authenticate_as('service');
select is(public.list_chunk_work('1_10'), '{}'::bigint[], 'collected final and future fixtures need no work');
select tests.clear_authentication();

insert into watermark.fixtures (id, league_id, season_id, state_id, starting_at) values (120, 1, 10, 1, '2099-01-01 15:00');
update watermark.fixtures set is_final = false, state_id = 2 where id = 101;
update watermark.fixtures set discovered_state_id = 5 where id = 106;
update watermark.fixtures set changed_at = now() where id = 107;
update watermark.fixtures set last_error = 'HTTP 500', attempts = 1, next_attempt_at = now() - interval '1 second' where id = 108;
update watermark.fixtures set last_error = 'HTTP 500', attempts = 1, next_attempt_at = now() + interval '1 hour' where id = 102;

select tests.authenticate_as('viewer');
select is(public.list_chunk_work('1_10'), '{101,106,107,108,120}'::bigint[], 'each rule selects its fixture, in id order');
select ok(101 = any (public.list_chunk_work('1_10')), 'not final and kickoff passed');
select ok(106 = any (public.list_chunk_work('1_10')), 'collected before the schedule reported it final');
select ok(107 = any (public.list_chunk_work('1_10')), 'marked changed by fixtures/latest');
select ok(108 = any (public.list_chunk_work('1_10')), 'failed last time and its backoff has passed');
select ok(not 102 = any (public.list_chunk_work('1_10')), 'a failure still backing off waits');
select ok(120 = any (public.list_chunk_work('1_10')), 'never collected, even with a future kickoff');
select is(public.list_chunk_work('1_10', after_fixture_id => 106, max_rows => 2), '{107,108}'::bigint[],
  'work is paged by id after the checkpoint');
select throws_ok($$select public.list_chunk_work('1_10', max_rows => 0)$$, 'WM001', 'max_rows: must be between 1 and 1000, got 0',
  'max_rows is validated');
select throws_ok($$select public.list_chunk_work('9_99')$$, 'WM002', 'chunk 9_99 not found', 'an unknown chunk is not found');
select tests.clear_authentication();

-- One definition, inlined: the planner sees its conditions (a per-fixture function
-- call with a SET clause could not be inlined: 0.9 s per claim on 200,000 fixtures).
create function pg_temp.plan_of(query text) returns text language plpgsql as $$
declare
  line text;
  plan text := '';
begin
  for line in execute 'explain (costs off) ' || query loop
    plan := plan || line || E'\n';
  end loop;
  return plan;
end
$$;
select ok(pg_temp.plan_of($$select 1 from watermark.fixture_work f where f.season_id = 10 and f.needs_work$$)
            ~ 'next_attempt_at IS NULL',
  'needs work is inlined into the caller''s query (its conditions are in the plan, not a function call)');
select is((select array_agg(p.proname::text) from pg_proc p
            where p.pronamespace = 'watermark'::regnamespace and p.proname like '%needs_work%'), null,
  'no second definition of needs work exists as a function');
-- The view reads the live settings: a state that is no longer final stops counting.
update watermark.collection_settings set final_state_ids = '{7}';
select tests.authenticate_as('viewer');
select ok(not 106 = any (public.list_chunk_work('1_10')), 'final states come from collection_settings');
select tests.clear_authentication();
update watermark.collection_settings set final_state_ids = '{5,7,8,12,14,17,20}';

select tests.authenticate_as('service');
select is(public.mark_fixtures_changed('[{"id": 103, "state_id": 5}, {"id": 999}]'), '{"marked": 1, "unknown": 1}'::jsonb,
  'mark_fixtures_changed marks known fixtures and counts unknown ones');
select is(public.mark_fixtures_changed('[{"id": 104}, {"id": 105, "state_id": 5}, {"id": 104, "state_id": 7}, {"id": 998}, {"id": 998}]'),
  '{"marked": 2, "unknown": 1}'::jsonb, 'a batch is counted per fixture');
select tests.clear_authentication();
select results_eq($$select id::integer, discovered_state_id, changed_at is not null from watermark.fixtures where id in (104, 105) order by id$$,
  $$values (104, 7, true), (105, 5, true)$$, 'every known fixture is marked changed, with the last state reported for it');
select is((select array_agg(p.proname::text order by 1) from pg_proc p
            where p.oid in ('public.mark_fixtures_changed(jsonb)'::regprocedure,
                            'watermark.apply_fixture_failures(watermark.chunks, jsonb, text)'::regprocedure)
              and p.prosrc ~* '\mloop\M'), null,
  'the batch RPCs validate and write set-based, without a per-element loop');
select tests.authenticate_as('service');
select throws_ok($$select public.mark_fixtures_changed('[{"id": 103, "state_id": 5}, {"id": 104, "state_id": "FT"}]')$$, 'WM001',
  'fixtures[1].state_id: must be an integer from 1 to 2147483647, got "FT"', 'a state id that is not an integer names its element and field');
select tests.clear_authentication();

select * from finish();
rollback;
