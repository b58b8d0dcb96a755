-- Chunk leases: claims never hand one chunk to two collectors, expired leases
-- are claimable and resume from the checkpoint, a stale token is rejected with
-- WM004 and writes nothing, release outcomes, backoff, filters and thresholds.
begin;
select plan(35);

select tests.authenticate_as('service');
select is(public.sync_collection_catalog(
  '[{"id": 1, "name": "League One"}, {"id": 2, "name": "League Two"}]',
  '[{"id": 10, "league_id": 1, "name": "2024"}, {"id": 11, "league_id": 1, "name": "2023"}, {"id": 20, "league_id": 2, "name": "2024"}]'),
  '{"leagues": 2, "seasons": 3, "chunks_created": 3}'::jsonb, 'the catalog creates one chunk per season');
select is(public.sync_collection_catalog('[{"id": 1, "name": "League One"}]', '[{"id": 10, "league_id": 1, "name": "2024"}]') ->> 'chunks_created',
  '0', 'syncing again creates no duplicate chunks');
select throws_ok($$select public.sync_collection_catalog('[]', '[{"id": 30, "league_id": 3}]')$$, 'WM001',
  'seasons[0].league_id: league 3 is unknown; include it in leagues', 'a season of an unknown league is rejected');
select throws_ok($$select public.sync_collection_catalog('[{"id": 1, "active": "maybe"}]')$$, 'WM001',
  'leagues[0].active: must be true or false, got "maybe"', 'a league flag that is not a boolean names its field');
select throws_ok($$select public.sync_collection_catalog('[]', '[{"id": 10, "league_id": 1, "starting_at": "soon"}]')$$, 'WM001',
  'seasons[0].starting_at: must be a date like 2024-08-17, got soon', 'a season date that does not parse names its field');
select throws_ok($$select public.sync_collection_catalog('[]', '[{"id": 10, "league_id": 1, "finished": 1}]')$$, 'WM001',
  'seasons[0].finished: must be true or false, got 1', 'a season flag that is not a boolean names its field');

create temp table claims (n integer, claim jsonb) on commit drop;
grant all on claims to service_role;
insert into claims values (1, public.claim_chunk('collector-a', 60));
insert into claims values (2, public.claim_chunk('collector-b', 60));
insert into claims values (3, public.claim_chunk('collector-c', 60));
insert into claims values (4, public.claim_chunk('collector-d', 60));
select is((select count(distinct claim ->> 'chunk_id')::integer from claims where claim is not null), 3,
  'three claimers get three different chunks');
select is((select claim from claims where n = 4), null, 'a fourth claimer gets nothing while every lease is live');
select ok((select bool_and((claim ->> 'needs_discovery')::boolean) from claims where n <= 3), 'undiscovered chunks ask for discovery');

-- Register fixtures under the first lease and write one batch.
create temp table lease as select claim ->> 'chunk_id' as chunk_id, (claim ->> 'lease_token')::uuid as token,
  (claim ->> 'season_id')::bigint as season_id, (claim ->> 'league_id')::bigint as league_id from claims where n = 1;
grant all on lease to service_role;
select is((select public.register_chunk_fixtures(chunk_id, token,
    (select jsonb_agg(jsonb_build_object('id', 1000 + g, 'season_id', season_id, 'state_id', 1, 'starting_at', '2099-01-01 15:00:00'))
       from generate_series(1, 12) g)) ->> 'registered' from lease), '12', 'discovery registers the schedule''s fixtures');
select is((select public.upsert_fixture_batch(chunk_id, token,
    (select jsonb_agg(jsonb_build_object('id', 1000 + g, 'season_id', season_id, 'league_id', league_id, 'state_id', 1, 'name', 'A vs B'))
       from generate_series(1, 5) g), '{"last_fixture_id": 1005}') ->> 'inserted' from lease), '5', 'a batch is written under the lease');

-- A renewed lease moves its expiry.
select ok((select public.renew_chunk_lease(chunk_id, token, 120) > now() + interval '100 seconds' from lease), 'renew extends the lease');

-- The lease expires (the collector crashed): the chunk is claimable again and resumes from its checkpoint.
select tests.clear_authentication();
update watermark.chunks set lease_expires_at = now() - interval '1 second' where chunk_id = (select chunk_id from lease);
select tests.authenticate_as('service');
insert into claims values (5, public.claim_chunk('collector-e', 60));
select is((select claim ->> 'chunk_id' from claims where n = 5), (select chunk_id from lease), 'an expired lease is claimable');
select is((select claim -> 'checkpoint' from claims where n = 5), '{"last_fixture_id": 1005}'::jsonb,
  'the new holder resumes from the checkpoint');
select is((select claim ->> 'taken_over_from' from claims where n = 5), 'collector-a', 'and learns whose lease expired');
select is((select claim ->> 'needs_discovery' from claims where n = 5), 'false', 'a discovered chunk is not rediscovered');

-- The old holder's token is dead: every lease-checked write fails with WM004 and writes nothing.
select throws_ok($$select public.upsert_fixture_batch(chunk_id, token,
    jsonb_build_array(jsonb_build_object('id', 1006, 'season_id', season_id, 'league_id', league_id, 'state_id', 1)),
    '{"last_fixture_id": 1006}') from lease$$, 'WM004', null, 'a stale token cannot upsert');
select is((select count(*)::integer from watermark.fixtures where id = 1006 and collected_at is not null), 0, 'nothing was written');
select is((select checkpoint from watermark.chunks where chunk_id = (select chunk_id from lease)), '{"last_fixture_id": 1005}'::jsonb,
  'and the checkpoint did not move');
select throws_ok($$select public.renew_chunk_lease(chunk_id, token) from lease$$, 'WM004', null, 'a stale token cannot renew');
select throws_ok($$select public.register_chunk_fixtures(chunk_id, token, '[{"id": 2000}]') from lease$$, 'WM004', null,
  'a stale token cannot register fixtures');
select throws_ok($$select public.record_fixture_failures(chunk_id, token, '[{"fixture_id": 1007, "error": "x"}]') from lease$$, 'WM004',
  null, 'a stale token cannot record failures');
select throws_ok($$select public.release_chunk(chunk_id, token, 'done') from lease$$, 'WM004', null, 'a stale token cannot release');
select is((select lease_owner from watermark.chunks where chunk_id = (select chunk_id from lease)), 'collector-e',
  'the new holder keeps the lease');

-- An expired lease whose token still matches (nobody claimed since) fails for writes...
select tests.clear_authentication();
update watermark.chunks set lease_expires_at = now() - interval '1 second' where chunk_id = (select claim ->> 'chunk_id' from claims where n = 2);
select tests.authenticate_as('service');
select throws_ok($$select public.renew_chunk_lease(claim ->> 'chunk_id', (claim ->> 'lease_token')::uuid) from claims where n = 2$$,
  'WM004', null, 'an expired lease cannot be renewed');
-- ...but may still be released, which hands the chunk back at once.
select is((select public.release_chunk(claim ->> 'chunk_id', (claim ->> 'lease_token')::uuid, 'pending') ->> 'status' from claims where n = 2),
  'pending', 'an expired but unclaimed lease can be released');

-- Release outcomes.
select is((select public.release_chunk(claim ->> 'chunk_id', (claim ->> 'lease_token')::uuid, 'failed', 'schedule: HTTP 500')
  ->> 'status' from claims where n = 3), 'failed', 'a failed release records the failure');
select ok((select next_attempt_at > now() and attempts = 1 and last_error = 'schedule: HTTP 500' from watermark.chunks
  where chunk_id = (select claim ->> 'chunk_id' from claims where n = 3)), 'a failed chunk backs off');
select throws_ok($$select public.release_chunk('9_99', gen_random_uuid(), 'done')$$, 'WM002', 'chunk 9_99 not found',
  'releasing an unknown chunk is not found');
select throws_ok($$select public.release_chunk((select claim ->> 'chunk_id' from claims where n = 5), null, 'done')$$, 'WM001',
  'lease_token: is required; pass the lease_token claim_chunk returned', 'a release needs the lease token');
select throws_ok($$select public.release_chunk(claim ->> 'chunk_id', (claim ->> 'lease_token')::uuid, 'failed') from claims where n = 5$$,
  'WM001', 'error: is required when outcome is failed; say what went wrong', 'a failure needs its error');
select is((select public.release_chunk(claim ->> 'chunk_id', (claim ->> 'lease_token')::uuid, 'done') ->> 'status' from claims where n = 5),
  'done', 'a finished pass releases done');
select is((select checkpoint from watermark.chunks where chunk_id = (select chunk_id from lease)), '{}'::jsonb,
  'done resets the checkpoint for the next pass');

-- Filters and the min_fixtures threshold.
select is(public.claim_chunk('f', 60, league_id => 2) ->> 'chunk_id', null,
  'a league filter only claims that league''s chunks (its only chunk is backing off)');
select is(public.claim_chunk('g', 60, min_fixtures => 100, season_id => 10), null,
  'a discovered chunk under min_fixtures is not claimed');

select * from finish();
rollback;
