-- Why: a collector that dies (kill -9, a function killed at its CPU or wall-clock
-- limit) cannot finish its run or release its chunk lease. The reaper, every
-- minute, marks RUNNING runs whose last heartbeat is older than their
-- heartbeat_timeout_seconds (default 60 s: ABANDONED within 2 minutes) as
-- ABANDONED, logs it at ERROR, and hands their leases back at once, so the next
-- collector resumes from the checkpoint. Any pipeline that reports over the RPC
-- API is reaped the same way.

create function public.reap_stale_executions()
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  reaped record;
  ids text[] := '{}';
  released integer := 0;
  n integer;
begin
  perform watermark.require_access(3, 'reap_stale_executions');
  for reaped in
    with stale as (
      select e.execution_id from watermark.etl_executions e
       where e.status = 'RUNNING'
         and coalesce(e.heartbeat_at, e.started_at) < now() - make_interval(secs => e.heartbeat_timeout_seconds)
       for update skip locked)
    update watermark.etl_executions e set
      status = 'ABANDONED',
      finished_at = now(),
      duration_seconds = extract(epoch from now() - e.started_at),
      error_message = coalesce(e.error_message || '; ', '') ||
        format('abandoned: no heartbeat since %s (timeout %s s)',
               to_char(coalesce(e.heartbeat_at, e.started_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               e.heartbeat_timeout_seconds)
    from stale where e.execution_id = stale.execution_id
    returning e.execution_id, e.pipeline, e.heartbeat_at, e.started_at, e.heartbeat_timeout_seconds
  loop
    ids := ids || reaped.execution_id;
    -- The leases it holds go back to the pool at once instead of waiting to expire.
    -- Matched on the lease's own execution: a chunk it worked earlier may be
    -- leased by another collector now.
    update watermark.chunks c
       set lease_owner = null, lease_token = null, lease_expires_at = null, lease_execution_id = null,
         status = case when c.status = 'running' then 'pending' else c.status end, updated_at = now()
     where c.lease_execution_id = reaped.execution_id and c.lease_token is not null;
    get diagnostics n = row_count;
    released := released + n;
    perform watermark.log_unfinished_run(reaped.execution_id, 'REAPER',
      jsonb_build_object('last_heartbeat_at', coalesce(reaped.heartbeat_at, reaped.started_at),
                         'heartbeat_timeout_seconds', reaped.heartbeat_timeout_seconds,
                         'chunks_released', n));
  end loop;
  return jsonb_build_object('reaped', cardinality(ids), 'execution_ids', to_jsonb(ids), 'chunks_released', released);
end
$$;
comment on function public.reap_stale_executions() is
  'Marks RUNNING executions whose heartbeat is older than their timeout ABANDONED, releases their chunk leases and logs it. Run by pg_cron every minute.';
grant execute on function public.reap_stale_executions() to service_role;

do $$
begin
  if to_regclass('cron.job') is not null then
    perform cron.schedule('watermark-reap-stale-executions', '* * * * *', 'select public.reap_stale_executions()');
  end if;
end
$$;
