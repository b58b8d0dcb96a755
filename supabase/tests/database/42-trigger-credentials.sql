-- Trigger credential lifecycle: a token is shown once and stored only as a hash,
-- verifies until revoked, and a revoked token is rejected. The schedule's own
-- credential lives in the owner-only settings and rotates without ever leaving
-- the database.
begin;
select plan(26);

create temporary table issued (name text primary key, token text not null) on commit drop;
grant all on issued to authenticated, service_role;

select tests.authenticate_as('operator');
insert into issued values ('github-actions', public.create_trigger_credential('github-actions'));
select tests.clear_authentication();

select matches((select token from issued), '^wmt_[0-9a-f]{64}$', 'a token is wmt_ and 256 random bits in hex');
select is((select count(*)::integer from watermark.trigger_credentials c join issued i on c.token_hash = extensions.digest(i.token, 'sha256')),
          1, 'only the SHA-256 hash of the token is stored');
select is((select count(*)::integer from watermark.trigger_credentials c join issued i on position(i.token in c.name) > 0),
          0, 'the token itself is stored nowhere in the credentials table');
select is((select created_by from watermark.trigger_credentials where name = 'github-actions'),
          '00000000-0000-4000-8000-000000000003', 'the creator is recorded');

select tests.authenticate_as('service');
select is(public.verify_trigger_token((select token from issued)), 'github-actions', 'a valid token verifies to its credential name');
select tests.clear_authentication();
select isnt((select last_used_at from watermark.trigger_credentials where name = 'github-actions'), null, 'verification records last use');

select tests.authenticate_as('service');
select is(public.verify_trigger_token('wmt_' || repeat('0', 64)), null, 'an unknown token does not verify');
select is(public.verify_trigger_token(''), null, 'an empty token does not verify');
select is(public.verify_trigger_token(null), null, 'a null token does not verify');
select is(public.verify_trigger_token(repeat('x', 5000)), null, 'an oversized token does not verify');
select tests.clear_authentication();

select tests.authenticate_as('operator');
select throws_ok($$select public.create_trigger_credential('github-actions')$$, 'WM003',
  'credential_name: github-actions is already active; revoke it first with revoke_trigger_credential(''github-actions'')',
  'an active name cannot be issued twice');
select throws_ok($$select public.create_trigger_credential('has space')$$, 'WM001',
  'credential_name: must be 1-63 letters, digits, _ . : or -, starting with a letter or digit', 'names are validated');
select isnt(public.revoke_trigger_credential('github-actions'), null, 'revoking returns when');
select throws_ok($$select public.revoke_trigger_credential('github-actions')$$, 'WM002',
  'credential_name: no active trigger credential named github-actions', 'revoking twice says there is nothing to revoke');
select tests.clear_authentication();

select tests.authenticate_as('service');
select is(public.verify_trigger_token((select token from issued)), null, 'a revoked token is rejected');
select tests.clear_authentication();

select tests.authenticate_as('operator');
insert into issued values ('github-actions-2', public.create_trigger_credential('github-actions'));
select tests.clear_authentication();
select tests.authenticate_as('service');
select is(public.verify_trigger_token((select token from issued where name = 'github-actions-2')), 'github-actions',
  'a revoked name can be issued again, with a new token');
select tests.clear_authentication();

-- The schedule credential.
select tests.authenticate_as('operator');
select is(public.rotate_schedule_trigger_credential(), '{"credential_name": "pg_cron", "revoked_previous": false}'::jsonb,
  'the first rotation creates the pg_cron credential');
select tests.clear_authentication();
insert into issued select 'schedule-1', trigger_token from watermark.function_settings;
select tests.authenticate_as('service');
select is(public.verify_trigger_token((select token from issued where name = 'schedule-1')), 'pg_cron',
  'the token pg_cron sends verifies');
select tests.clear_authentication();

select tests.authenticate_as('operator');
select is(public.rotate_schedule_trigger_credential() ->> 'revoked_previous', 'true', 'rotating revokes the previous schedule credential');
select is((select count(*)::integer from public.list_trigger_credentials() where name = 'pg_cron' and revoked_at is null and used_by_schedules),
  1, 'exactly one active schedule credential, marked as used by schedules');
select tests.clear_authentication();
insert into issued select 'schedule-2', trigger_token from watermark.function_settings;
select tests.authenticate_as('service');
select is(public.verify_trigger_token((select token from issued where name = 'schedule-1')), null, 'the rotated-out token is rejected');
select is(public.verify_trigger_token((select token from issued where name = 'schedule-2')), 'pg_cron', 'the new token verifies');
select tests.clear_authentication();

-- Revoking the schedule credential stops schedules from sending it: they fail visibly.
select tests.authenticate_as('operator');
select lives_ok($$select public.revoke_trigger_credential('pg_cron')$$, 'the schedule credential can be revoked');
select lives_ok($$select public.set_functions_base_url('https://example.test/functions/v1')$$, 'the base URL is set');
select tests.clear_authentication();
select is((select trigger_token from watermark.function_settings), null, 'a revoked schedule token is removed from the settings');
create temporary table invoked on commit drop as select watermark.invoke_function('collect') as id;
select is((select status || ': ' || error from watermark.function_invocations where id = (select id from invoked)),
  'failed: no trigger credential for schedules: call rotate_schedule_trigger_credential()',
  'an invocation without a credential is recorded as failed with the fix');

select * from finish();
rollback;
