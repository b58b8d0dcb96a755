-- Who may call what: anon and users without a Watermark role get nothing,
-- viewers read, operators clear checkpoints and tune settings, the service role writes.
begin;
select plan(33);

select public.sync_collection_catalog('[{"id": 1}]', '[{"id": 10, "league_id": 1}]');
update watermark.chunks set checkpoint = '{"last_fixture_id": 5}', discovered_at = now() - interval '1 day';

-- anon: EXECUTE is granted on nothing.
select tests.authenticate_as('anon');
select throws_ok($$select public.list_chunks()$$, '42501', null, 'anon cannot list chunks');
select throws_ok($$select * from public.get_pipeline_status()$$, '42501', null, 'anon cannot read pipeline status');
select throws_ok($$select public.claim_chunk('x')$$, '42501', null, 'anon cannot claim');
select throws_ok($$select public.clear_chunk_checkpoints()$$, '42501', null, 'anon cannot clear checkpoints');
select tests.clear_authentication();

-- user: authenticated without a Watermark role.
select tests.authenticate_as('user');
select throws_ok($$select * from public.list_chunks()$$, '42501', 'permission denied: list_chunks needs viewer access', 'a user cannot list chunks');
select throws_ok($$select public.get_collection_overview()$$, '42501', 'permission denied: get_collection_overview needs viewer access',
  'a user cannot read the overview');
select throws_ok($$select public.clear_chunk_checkpoints()$$, '42501', 'permission denied: clear_chunk_checkpoints needs operator access',
  'a user cannot clear checkpoints');
select tests.clear_authentication();

-- viewer: reads only.
select tests.authenticate_as('viewer');
select is((select count(*)::integer from public.list_chunks()), 1, 'a viewer lists chunks');
select is(public.get_collection_overview() -> 'chunks' ->> 'total', '1', 'a viewer reads the overview');
select lives_ok($$select * from public.get_pipeline_status()$$, 'a viewer reads pipeline status');
select lives_ok($$select * from public.list_api_rate_limits()$$, 'a viewer reads API rate limits');
select lives_ok($$select public.list_chunk_work('1_10')$$, 'a viewer reads a chunk''s pending work');
select throws_ok($$select public.clear_chunk_checkpoints()$$, '42501', 'permission denied: clear_chunk_checkpoints needs operator access',
  'a viewer cannot clear checkpoints');
select throws_ok($$select public.claim_chunk('x')$$, '42501', null, 'a viewer cannot claim');
select throws_ok($$select public.report_pipeline_status('p', 'e')$$, '42501', null, 'a viewer cannot report pipeline status');
select throws_ok($$select public.save_api_rate_limit('Fixture', 1, now())$$, '42501', null, 'a viewer cannot save rate limits');
select throws_ok($$select public.set_collection_settings(min_fixtures => 1)$$, '42501',
  'permission denied: set_collection_settings needs operator access', 'a viewer cannot change settings');
select tests.clear_authentication();

-- operator: checkpoints and settings, audited; no collector writes.
select tests.authenticate_as('operator');
select is(public.clear_chunk_checkpoints(1, null, 'restart league 1'), '{"cleared": 1, "chunk_ids": ["1_10"], "skipped_leased": 0}'::jsonb,
  'an operator clears checkpoints');
select is(public.set_collection_settings(priority_per_pending_fixture => 3) ->> 'priority_per_pending_fixture', '3',
  'an operator tunes the priority factor');
select is(public.set_chunk_priority_boost('1_10', 50), 50::numeric, 'an operator boosts a chunk');
select throws_ok($$select public.set_collection_settings(min_fixtures => -1)$$, 'WM001', 'min_fixtures: must not be negative (got -1)',
  'settings are validated like every other count');
select throws_ok($$select public.claim_chunk('x')$$, '42501', null, 'an operator cannot claim (EXECUTE is the service role''s)');
select throws_ok($$select public.set_chunk_priority_boost('9_99', 1)$$, 'WM002', 'chunk 9_99 not found', 'boosting an unknown chunk is not found');
select tests.clear_authentication();
select results_eq($$select chunk_id, action, actor, details from watermark.chunk_audit$$,
  $$values ('1_10', 'clear_checkpoint', '00000000-0000-4000-8000-000000000003', '{"reason": "restart league 1"}'::jsonb)$$,
  'the clear is audited with the operator and the reason');
select results_eq($$select action, target, actor, details from watermark.audit_log
                     where action in ('set_collection_settings', 'set_chunk_priority_boost') order by audit_id$$,
  $$values ('set_collection_settings', 'collection_settings', '00000000-0000-4000-8000-000000000003', '{"priority_per_pending_fixture": 3}'::jsonb),
           ('set_chunk_priority_boost', '1_10', '00000000-0000-4000-8000-000000000003', '{"priority_boost": 50}'::jsonb)$$,
  'setting changes and boosts are audited with the operator and only what changed');

-- service: writes, but settings and the chunk audit only through the operator RPCs.
select table_privs_are('watermark', 'collection_settings', 'service_role', array['SELECT'],
  'the service role only reads the settings');
select table_privs_are('watermark', 'chunk_audit', 'service_role', array['SELECT'],
  'the service role only reads the chunk audit');
select tests.authenticate_as('service');
select throws_ok($$update watermark.collection_settings set min_fixtures = 0$$, '42501', 'permission denied for table collection_settings',
  'the service role changes settings only with set_collection_settings');
select throws_ok($$insert into watermark.chunk_audit (chunk_id, action, actor) values ('1_10', 'forged', 'x')$$, '42501',
  'permission denied for table chunk_audit', 'and cannot forge chunk audit entries');
select ok(public.claim_chunk('svc', 60, min_fixtures => 0) is not null, 'the service role claims (a chunk due for rediscovery)');
select lives_ok($$select public.save_api_rate_limit('Fixture', 10, now() + interval '1 hour')$$, 'the service role saves rate limits');
select is(public.load_api_rate_limit('Fixture') ->> 'remaining', '10', 'and loads them back');
select is((public.clear_chunk_checkpoints()) ->> 'skipped_leased', '1', 'a leased chunk''s checkpoint is left to its collector');
select tests.clear_authentication();

select * from finish();
rollback;
