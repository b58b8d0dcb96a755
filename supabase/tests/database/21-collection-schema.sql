-- The collection model's tables: RLS everywhere, who may read what, and the
-- defaults the seed asks for (priority 10 × pending, min 10 fixtures).
begin;
select plan(16);

select is((select count(*)::integer from pg_tables where schemaname = 'watermark' and tablename = any (array['collection_settings',
  'leagues', 'seasons', 'chunks', 'fixtures', 'chunk_audit', 'etl_control', 'api_rate_limits'])), 8,
  'the collection tables exist in the private schema');
select is((select count(*)::integer from pg_tables where schemaname = 'watermark' and not rowsecurity), 0,
  'every table in watermark has row level security enabled');
select results_eq($$select priority_per_pending_fixture, min_fixtures from watermark.collection_settings$$,
  $$values (10::numeric, 0)$$, 'defaults: priority = 10 × pending fixtures, no season is too small to collect');
select col_is_pk('watermark', 'chunks', 'chunk_id', 'chunks are keyed by <league>_<season>');
select col_is_pk('watermark', 'etl_control', array['pipeline', 'entity'], 'etl_control is keyed by pipeline and entity');
select has_column('watermark', 'fixtures', 'content_hash', 'fixtures carry a content hash');
select has_column('watermark', 'fixtures', 'quality_score', 'fixtures carry a quality score');

insert into watermark.leagues (id, name) values (1, 'L');
insert into watermark.seasons (id, league_id, name) values (10, 1, 'S');
insert into watermark.chunks (chunk_id, league_id, season_id, lease_token, lease_expires_at, lease_owner)
  values ('1_10', 1, 10, gen_random_uuid(), now() + interval '1 minute', 'x');
select throws_ok($$insert into watermark.chunks (chunk_id, league_id, season_id) values ('1_99', 1, 10)$$, '23514', null,
  'a chunk id must be <league>_<season>');

select tests.authenticate_as('anon');
select throws_ok($$select count(*) from watermark.chunks$$, '42501', null, 'anon cannot read chunks');
select tests.clear_authentication();

select tests.authenticate_as('user');
select is((select count(*)::integer from watermark.chunks), 0, 'an authenticated user without a Watermark role sees no chunks');
select is((select count(*)::integer from watermark.leagues), 0, 'nor leagues');
select tests.clear_authentication();

select tests.authenticate_as('viewer');
select is((select count(*)::integer from watermark.chunks), 1, 'a viewer reads chunks');
select throws_ok($$select lease_token from watermark.chunks$$, '42501', null, 'but never a lease token (it is a capability)');
select throws_ok($$update watermark.chunks set priority = 1$$, '42501', null, 'a viewer cannot write chunks');
select throws_ok($$insert into watermark.fixtures (id, league_id, season_id) values (1, 1, 10)$$, '42501', null,
  'a viewer cannot write fixtures');
select tests.clear_authentication();

select tests.authenticate_as('operator');
select throws_ok($$delete from watermark.chunks$$, '42501', null, 'operators write only through the RPCs');
select tests.clear_authentication();

select * from finish();
rollback;
