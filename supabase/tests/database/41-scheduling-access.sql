-- Who reaches the scheduling layer: the settings and credential tables are the
-- owner's alone (they hold a live token and hashes), viewers read schedules and
-- invocation outcomes, operators configure, and only the service role verifies
-- tokens and harvests pg_net responses.
begin;
select plan(53);

select is((select bool_and(relrowsecurity) from pg_class
            where oid in ('watermark.function_settings'::regclass, 'watermark.trigger_credentials'::regclass,
                          'watermark.function_schedules'::regclass, 'watermark.function_invocations'::regclass)),
          true, 'RLS is on for every scheduling table');
select is((select count(*)::integer from information_schema.role_table_grants
            where table_schema = 'watermark' and table_name in ('function_settings', 'trigger_credentials')
              and grantee in ('anon', 'authenticated', 'service_role')),
          0, 'settings and credentials are granted to no API role');

insert into watermark.function_invocations (function_name, trigger) values ('collect', 'schedule');

-- anon: nothing.
select tests.authenticate_as('anon');
select throws_ok('select count(*) from watermark.function_invocations', '42501', 'permission denied for schema watermark',
  'anon cannot read invocations');
select throws_ok($$select public.list_function_invocations()$$, '42501',
  'permission denied for function list_function_invocations', 'anon cannot list invocations');
select throws_ok($$select public.list_function_schedules()$$, '42501',
  'permission denied for function list_function_schedules', 'anon cannot list schedules');
select throws_ok($$select public.verify_trigger_token('x')$$, '42501',
  'permission denied for function verify_trigger_token', 'anon cannot verify tokens');
select throws_ok($$select public.create_trigger_credential('a')$$, '42501',
  'permission denied for function create_trigger_credential', 'anon cannot create credentials');
select throws_ok($$select public.configure_function_schedule('collect', '* * * * *')$$, '42501',
  'permission denied for function configure_function_schedule', 'anon cannot configure schedules');
select tests.clear_authentication();

-- An authenticated user without Watermark rights.
select tests.authenticate_as('user');
select is((select count(*)::integer from watermark.function_invocations), 0, 'user sees no invocations');
select is((select count(*)::integer from watermark.function_schedules), 0, 'user sees no schedules');
select throws_ok('select count(*) from watermark.function_settings', '42501', 'permission denied for table function_settings',
  'user cannot read settings');
select throws_ok('select count(*) from watermark.trigger_credentials', '42501', 'permission denied for table trigger_credentials',
  'user cannot read credentials');
select throws_ok($$select public.list_function_invocations()$$, '42501',
  'permission denied: list_function_invocations needs viewer access', 'user cannot list invocations');
select throws_ok($$select public.list_function_schedules()$$, '42501',
  'permission denied: list_function_schedules needs viewer access', 'user cannot list schedules');
select throws_ok($$select public.create_trigger_credential('a')$$, '42501',
  'permission denied: create_trigger_credential needs operator access', 'user cannot create credentials');
select tests.clear_authentication();

-- Viewer: reads schedules and outcomes; configures nothing.
select tests.authenticate_as('viewer');
select is((select count(*)::integer from watermark.function_invocations), 1, 'viewer reads invocations');
select is((select count(*)::integer from watermark.function_schedules where function_name = 'collect'), 1, 'viewer reads schedules');
select throws_ok('select count(*) from watermark.function_settings', '42501', 'permission denied for table function_settings',
  'viewer cannot read settings');
select throws_ok('select count(*) from watermark.trigger_credentials', '42501', 'permission denied for table trigger_credentials',
  'viewer cannot read credentials');
select throws_ok($$insert into watermark.function_invocations (function_name, trigger) values ('x', 'manual')$$, '42501',
  'permission denied for table function_invocations', 'viewer cannot write invocations');
select is((select count(*)::integer from public.list_function_invocations()), 1, 'viewer lists invocations');
select is((select count(*)::integer from public.list_function_schedules() where function_name = 'collect'), 1, 'viewer lists schedules');
select throws_ok($$select public.configure_function_schedule('collect', '* * * * *')$$, '42501',
  'permission denied: configure_function_schedule needs operator access', 'viewer cannot configure schedules');
select throws_ok($$select public.set_functions_base_url('https://example.test/functions/v1')$$, '42501',
  'permission denied: set_functions_base_url needs operator access', 'viewer cannot set the base URL');
select throws_ok($$select public.create_trigger_credential('a')$$, '42501',
  'permission denied: create_trigger_credential needs operator access', 'viewer cannot create credentials');
select throws_ok($$select public.revoke_trigger_credential('a')$$, '42501',
  'permission denied: revoke_trigger_credential needs operator access', 'viewer cannot revoke credentials');
select throws_ok($$select public.rotate_schedule_trigger_credential()$$, '42501',
  'permission denied: rotate_schedule_trigger_credential needs operator access', 'viewer cannot rotate the schedule credential');
select throws_ok($$select public.list_trigger_credentials()$$, '42501',
  'permission denied: list_trigger_credentials needs operator access', 'viewer cannot list credentials');
select throws_ok($$select public.request_function_invocation('collect')$$, '42501',
  'permission denied: request_function_invocation needs operator access', 'viewer cannot invoke functions');
select throws_ok($$select public.verify_trigger_token('x')$$, '42501',
  'permission denied for function verify_trigger_token', 'viewer cannot verify tokens');
select throws_ok($$select public.harvest_function_invocations()$$, '42501',
  'permission denied for function harvest_function_invocations', 'viewer cannot harvest');
select throws_ok($$select watermark.invoke_function('collect')$$, '42501',
  'permission denied for function invoke_function', 'viewer cannot call invoke_function directly');
select tests.clear_authentication();

-- Operator: configures schedules and credentials; still no token verification or settings reads.
select tests.authenticate_as('operator');
select lives_ok($$select public.configure_function_schedule('collect', '*/5 * * * *')$$, 'operator configures a schedule');
select lives_ok($$select public.set_functions_base_url('https://example.test/functions/v1')$$, 'operator sets the base URL');
select lives_ok($$select public.create_trigger_credential('ops')$$, 'operator creates a credential');
select is((select count(*)::integer from public.list_trigger_credentials() where name = 'ops'), 1, 'operator lists credentials');
select lives_ok($$select public.revoke_trigger_credential('ops')$$, 'operator revokes a credential');
select lives_ok($$select public.rotate_schedule_trigger_credential()$$, 'operator rotates the schedule credential');
select isnt(public.request_function_invocation('collect'), null, 'operator invokes a function by hand');
select throws_ok('select count(*) from watermark.function_settings', '42501', 'permission denied for table function_settings',
  'operator cannot read settings (the schedule token stays in the database)');
select throws_ok('select count(*) from watermark.trigger_credentials', '42501', 'permission denied for table trigger_credentials',
  'operator cannot read credential hashes');
select throws_ok($$select public.verify_trigger_token('x')$$, '42501',
  'permission denied for function verify_trigger_token', 'operator cannot verify tokens');
select throws_ok($$select public.harvest_function_invocations()$$, '42501',
  'permission denied for function harvest_function_invocations', 'operator cannot harvest');
select throws_ok($$update watermark.function_schedules set enabled = false$$, '42501',
  'permission denied for table function_schedules', 'operator changes schedules only through the RPC');
select tests.clear_authentication();

-- Service role: verifies tokens and harvests; the settings table stays closed.
select tests.authenticate_as('service');
select is(public.verify_trigger_token('wmt_unknown'), null, 'service verifies tokens');
select lives_ok($$select public.harvest_function_invocations()$$, 'service harvests');
select lives_ok($$select public.configure_function_schedule('collect', '*/10 * * * *')$$, 'service configures a schedule');
select is((select count(*)::integer from public.list_function_invocations()), 2, 'service lists invocations');
select is((select count(*)::integer from watermark.function_invocations), 2, 'service reads invocations');
select throws_ok('select count(*) from watermark.function_settings', '42501', 'permission denied for table function_settings',
  'service cannot read settings directly');
select throws_ok('select count(*) from watermark.trigger_credentials', '42501', 'permission denied for table trigger_credentials',
  'service cannot read credential hashes directly');
select throws_ok($$insert into watermark.function_invocations (function_name, trigger) values ('x', 'manual')$$, '42501',
  'permission denied for table function_invocations', 'service writes invocations only through invoke_function');
select tests.clear_authentication();

-- Owner (pg_cron's session): reads the settings it sends.
select isnt((select trigger_token from watermark.function_settings), null, 'the owner reads the schedule token');

select * from finish();
rollback;
