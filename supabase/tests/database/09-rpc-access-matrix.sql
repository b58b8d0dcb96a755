-- Every monitoring RPC x every persona: anon reaches nothing, an authenticated user
-- without Watermark rights gets 42501 everywhere, viewers and operators read only,
-- the service role reads and writes. Exact error codes and messages.
begin;
select plan(62);

insert into watermark.etl_executions (execution_id) values ('acc_run'), ('acc_finish');

-- One valid call per RPC; "read" RPCs need viewer access, "write" RPCs the service role.
create temporary table rpc_calls (rpc text primary key, access text not null, call text not null);
insert into rpc_calls values
  ('start_etl_execution', 'write', $$select public.start_etl_execution()$$),
  ('heartbeat_etl_execution', 'write', $$select public.heartbeat_etl_execution('acc_run', '{"processed_fixtures": 1}')$$),
  ('finish_etl_execution', 'write', $$select public.finish_etl_execution('acc_finish', 'COMPLETED')$$),
  ('log_etl_event', 'write', $$select public.log_etl_event('INFO', 'access', 'hello', execution_id => 'acc_run')$$),
  ('log_etl_events', 'write', $$select public.log_etl_events('[{"level": "INFO", "component": "access", "message": "batch"}]')$$),
  ('record_etl_metric', 'write', $$select public.record_etl_metric('acc_run', 'access_metric', 1)$$),
  ('record_etl_metrics', 'write', $$select public.record_etl_metrics('[{"metric_name": "access_metric", "metric_value": 2}]')$$),
  ('get_etl_execution_summary', 'read', $$select public.get_etl_execution_summary('acc_run')$$),
  ('get_etl_health_status', 'read', $$select public.get_etl_health_status()$$),
  ('list_etl_executions', 'read', $$select * from public.list_etl_executions()$$),
  ('get_etl_logs', 'read', $$select * from public.get_etl_logs()$$),
  ('get_etl_metric_summary', 'read', $$select * from public.get_etl_metric_summary()$$);
grant select on rpc_calls to anon, authenticated, service_role;

-- Every RPC the contract names exists, with exactly one signature (named calls stay unambiguous).
select is(
  (select array_agg(c.rpc order by c.rpc) from rpc_calls c
   where (select count(*) from pg_proc p where p.proname = c.rpc and p.pronamespace = 'public'::regnamespace) <> 1),
  null,
  'every monitoring RPC of the contract exists once in public');

-- anon: no EXECUTE on anything.
select tests.authenticate_as('anon');
select throws_ok(call, '42501', format('permission denied for function %s', rpc), format('anon cannot call %s', rpc))
from rpc_calls order by rpc;
select tests.clear_authentication();

-- Authenticated without Watermark rights: read RPCs check the level, write RPCs are not granted.
select tests.authenticate_as('user');
select throws_ok(call, '42501',
  case access when 'read' then format('permission denied: %s needs viewer access', rpc)
    else format('permission denied for function %s', rpc) end,
  format('a user without rights cannot call %s', rpc))
from rpc_calls order by rpc;
select tests.clear_authentication();

-- Viewer: reads only.
select tests.authenticate_as('viewer');
select case access when 'read' then lives_ok(call, format('viewer can call %s', rpc))
  else throws_ok(call, '42501', format('permission denied for function %s', rpc), format('viewer cannot call %s', rpc)) end
from rpc_calls order by rpc;
select tests.clear_authentication();

-- Operator: reads only here (operator RPCs come with later migrations).
select tests.authenticate_as('operator');
select case access when 'read' then lives_ok(call, format('operator can call %s', rpc))
  else throws_ok(call, '42501', format('permission denied for function %s', rpc), format('operator cannot call %s', rpc)) end
from rpc_calls order by rpc;
select tests.clear_authentication();

-- Service role: everything.
select tests.authenticate_as('service');
select lives_ok(call, format('service role can call %s', rpc)) from rpc_calls order by rpc;
select tests.clear_authentication();

-- The level check is there even where EXECUTE would be granted by mistake.
select ok(
  (select bool_and(p.prosrc ~ format('watermark\.require_access\(\s*%s\s*,\s*''%s''', case c.access when 'read' then 1 else 3 end, c.rpc))
   from rpc_calls c join pg_proc p on p.proname = c.rpc and p.pronamespace = 'public'::regnamespace),
  'every RPC checks the caller''s access level (viewer for reads, service for writes) with its own name');

select * from finish();
rollback;
