-- Every alert and health RPC x every persona: anon reaches nothing, users without
-- Watermark rights get 42501, viewers read, operators also manage rules, the
-- service role also evaluates, reaps and delivers. Webhook URLs stay hidden.
begin;
select plan(117);

create temporary table rpc_calls (rpc text primary key, access text not null, call text not null);
insert into rpc_calls values
  ('list_alert_rules', 'read', $$select public.list_alert_rules()$$),
  ('list_alerts', 'read', $$select public.list_alerts()$$),
  ('get_alert_history', 'read', $$select public.get_alert_history()$$),
  ('list_alert_notifications', 'read', $$select public.list_alert_notifications()$$),
  ('list_alert_channels', 'read', $$select public.list_alert_channels()$$),
  ('get_health_report', 'read', $$select public.get_health_report()$$),
  ('create_alert_rule', 'operate', $$select public.create_alert_rule('acc-' || substr(md5(random()::text), 1, 8), 'error_rate', 5)$$),
  ('update_alert_rule', 'operate', $$select public.update_alert_rule('error-rate', '{"threshold": 6}')$$),
  ('enable_alert_rule', 'operate', $$select public.enable_alert_rule('zero-rows')$$),
  ('disable_alert_rule', 'operate', $$select public.disable_alert_rule('zero-rows')$$),
  ('mute_alert_rule', 'operate', $$select public.mute_alert_rule('error-rate', 1800)$$),
  ('unmute_alert_rule', 'operate', $$select public.unmute_alert_rule('error-rate')$$),
  ('set_alert_channel', 'operate', $$select public.set_alert_channel('ops', 'https://example.invalid/hook')$$),
  ('send_test_alert', 'operate', $$select public.send_test_alert()$$),
  ('set_alert_delivery_settings', 'operate', $$select public.set_alert_delivery_settings(failing_after_failures => 4)$$),
  ('get_alert_delivery_settings', 'read', $$select public.get_alert_delivery_settings()$$),
  ('evaluate_alerts', 'write', $$select public.evaluate_alerts()$$),
  ('reap_stale_executions', 'write', $$select public.reap_stale_executions()$$),
  ('claim_alert_notifications', 'write', $$select * from public.claim_alert_notifications()$$),
  ('mark_alert_notification_delivered', 'write', $$select public.mark_alert_notification_delivered(0, gen_random_uuid())$$),
  ('mark_alert_notification_failed', 'write', $$select public.mark_alert_notification_failed(0, gen_random_uuid(), 'x')$$);
grant select on rpc_calls to anon, authenticated, service_role;

select is(
  (select array_agg(c.rpc order by c.rpc) from rpc_calls c
   where (select count(*) from pg_proc p where p.proname = c.rpc and p.pronamespace = 'public'::regnamespace) <> 1),
  null, 'every alert RPC exists once in public');

select tests.authenticate_as('anon');
select throws_ok(call, '42501', format('permission denied for function %s', rpc), format('anon cannot call %s', rpc))
  from rpc_calls order by rpc;
select tests.clear_authentication();

select tests.authenticate_as('user');
select throws_ok(call, '42501',
  case access when 'read' then format('permission denied: %s needs viewer access', rpc)
              when 'operate' then format('permission denied: %s needs operator access', rpc)
              else format('permission denied for function %s', rpc) end,
  format('a user without rights cannot call %s', rpc))
  from rpc_calls order by rpc;
select tests.clear_authentication();

select tests.authenticate_as('viewer');
select case access when 'read' then lives_ok(call, format('viewer can call %s', rpc))
  when 'operate' then throws_ok(call, '42501', format('permission denied: %s needs operator access', rpc), format('viewer cannot call %s', rpc))
  else throws_ok(call, '42501', format('permission denied for function %s', rpc), format('viewer cannot call %s', rpc)) end
  from rpc_calls order by rpc;
select throws_ok('select webhook_url from watermark.alert_channels', '42501', 'permission denied for table alert_channels',
  'viewers cannot read webhook URLs');
select tests.clear_authentication();

select tests.authenticate_as('operator');
select case access when 'write' then throws_ok(call, '42501', format('permission denied for function %s', rpc), format('operator cannot call %s', rpc))
  else lives_ok(call, format('operator can call %s', rpc)) end
  from rpc_calls order by rpc;
select tests.clear_authentication();

select tests.authenticate_as('service');
select lives_ok(call, format('service role can call %s', rpc)) from rpc_calls order by rpc;
select tests.clear_authentication();

select ok(
  (select bool_and(p.prosrc ~ format('watermark\.require_access\(\s*%s\s*,\s*''%s''',
     case c.access when 'read' then 1 when 'operate' then 2 else 3 end, c.rpc))
   from rpc_calls c join pg_proc p on p.proname = c.rpc and p.pronamespace = 'public'::regnamespace),
  'every alert RPC checks its access level first');
select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'watermark'::regnamespace and c.relkind = 'r' and c.relname like 'alert%' and not c.relrowsecurity),
  null, 'every alert table has row level security');

-- Rules and channels are written only through the operator RPCs (definer, audited):
-- the service role reads them (channels: to deliver) and writes neither directly.
select table_privs_are('watermark', 'alert_rules', 'service_role', array['SELECT'],
  'the service role only reads alert rules');
select table_privs_are('watermark', 'alert_channels', 'service_role', array['SELECT'],
  'the service role only reads alert channels');
select table_privs_are('watermark', 'alert_delivery_settings', 'service_role', array['SELECT'],
  'the service role only reads the delivery settings');
select tests.authenticate_as('service');
select throws_ok($$update watermark.alert_rules set threshold = 1$$, '42501', 'permission denied for table alert_rules',
  'the service role cannot rewrite rules behind the audit');
select throws_ok($$update watermark.alert_delivery_settings set max_attempts = 1$$, '42501',
  'permission denied for table alert_delivery_settings', 'nor the delivery settings');
select throws_ok($$delete from watermark.alert_channels$$, '42501', 'permission denied for table alert_channels',
  'nor delete channels');
select tests.clear_authentication();

-- get_health_report reads pg_cron's tables through a definer helper: only after its
-- own access check, and the helper checks the caller too (an owner session carrying
-- a user's claims stands in for any other definer path to it).
select ok(
  (select strpos(p.prosrc, 'watermark.require_access(1') between 1 and strpos(p.prosrc, 'watermark.cron_job_health()')
     from pg_proc p where p.oid = 'public.get_health_report()'::regprocedure),
  'get_health_report checks access before it reads cron job details');
select set_config('request.jwt.claims', tests.persona_claims('user')::text, true);
select throws_ok('select watermark.cron_job_health()', '42501', 'permission denied: cron_job_health needs viewer access',
  'the definer helper refuses a caller without viewer access');
select set_config('request.jwt.claims', '', true);

select * from finish();
rollback;
