-- Why: runs are counted on every dashboard page and every health check, by day
-- and over the last 24 hours; counting the runs themselves costs what they
-- number (1 M runs at 10x seed scale is 32 k a day). Two rollups answer instead,
-- kept exact by statement-level triggers on etl_executions, whatever writes them
-- (RPCs, the reaper, retention, psql):
--   etl_execution_daily   runs and rows per UTC day x pipeline x status (the 14-day charts);
--   etl_execution_hourly  runs per UTC hour x status x caller (health's last 24 hours,
--                         the access audit's calls per hour and caller).
-- Neither needs its own retention: deleting runs takes them out of both.

create table watermark.etl_execution_daily (
  day date not null,
  pipeline text not null,
  status text not null,
  -- No check (runs > 0): an upsert checks the row it proposes (a -1 delta) before it finds the conflict.
  runs bigint not null,
  rows_extracted bigint not null,
  rows_upserted bigint not null,
  primary key (day, pipeline, status)
);
comment on table watermark.etl_execution_daily is
  'Derived: etl_executions counted per UTC start day, pipeline and status. Maintained by triggers; never write it directly.';

create table watermark.etl_execution_hourly (
  hour timestamptz not null,
  status text not null,
  created_by text not null,
  runs bigint not null,
  primary key (hour, status, created_by)
);
comment on table watermark.etl_execution_hourly is
  'Derived: etl_executions counted per UTC start hour, status and caller (created_by). Maintained by triggers; never write it directly.';

alter table watermark.etl_execution_daily enable row level security;
alter table watermark.etl_execution_hourly enable row level security;
create policy "viewers can read daily run counts" on watermark.etl_execution_daily
  for select to authenticated using ((select watermark.access_level()) >= 1);
create policy "viewers can read hourly run counts" on watermark.etl_execution_hourly
  for select to authenticated using ((select watermark.access_level()) >= 1);
grant select on watermark.etl_execution_daily, watermark.etl_execution_hourly to authenticated, service_role;
-- Rows emptied by an update or delete, found without scanning the rollups.
create index etl_execution_daily_empty_idx on watermark.etl_execution_daily (day) where runs <= 0;
create index etl_execution_hourly_empty_idx on watermark.etl_execution_hourly (hour) where runs <= 0;

-- Applies signed deltas (+1 per new row, -1 per old row; `at` is the run's started_at, `by` its caller)
-- to both rollups, then drops emptied rows. Security definer: any role allowed to
-- write executions keeps the rollups exact without being granted writes on them.
create function watermark.count_executions(delta jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Each upsert is ordered, so concurrent writers lock rollup rows in the same order (no deadlocks).
  with d as (
    select ((e ->> 'at')::timestamptz at time zone 'UTC')::date as day, e ->> 'pipeline' as pipeline, e ->> 'status' as status,
           sum((e ->> 'runs')::bigint) as runs, sum((e ->> 'x')::bigint) as x, sum((e ->> 'u')::bigint) as u
      from jsonb_array_elements(delta) e group by 1, 2, 3
  )
  insert into watermark.etl_execution_daily as t (day, pipeline, status, runs, rows_extracted, rows_upserted)
  select d.day, d.pipeline, d.status, d.runs, d.x, d.u from d where d.runs <> 0 or d.x <> 0 or d.u <> 0
   order by 1, 2, 3
  on conflict (day, pipeline, status) do update
    set runs = t.runs + excluded.runs, rows_extracted = t.rows_extracted + excluded.rows_extracted,
        rows_upserted = t.rows_upserted + excluded.rows_upserted;
  with d as (
    select date_trunc('hour', (e ->> 'at')::timestamptz, 'UTC') as hour, e ->> 'status' as status, e ->> 'by' as created_by,
           sum((e ->> 'runs')::bigint) as runs
      from jsonb_array_elements(delta) e group by 1, 2, 3
  )
  insert into watermark.etl_execution_hourly as t (hour, status, created_by, runs)
  select d.hour, d.status, d.created_by, d.runs from d where d.runs <> 0
   order by 1, 2, 3
  on conflict (hour, status, created_by) do update set runs = t.runs + excluded.runs;
  -- Separate statements: within one, a delete cannot see the rows the upserts just changed.
  delete from watermark.etl_execution_daily t where t.runs <= 0;
  delete from watermark.etl_execution_hourly t where t.runs <= 0;
end
$$;
revoke execute on function watermark.count_executions(jsonb) from public;
grant execute on function watermark.count_executions(jsonb) to service_role;

-- One delta per changed row: +1 for each row as it is now, -1 for each as it was.
create function watermark.execution_delta(r watermark.etl_executions, sign integer)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object('at', r.started_at, 'by', r.created_by, 'pipeline', r.pipeline, 'status', r.status, 'runs', sign,
                            'x', sign * coalesce(r.processed_fixtures, 0), 'u', sign * coalesce(r.rows_written, 0))
$$;
revoke execute on function watermark.execution_delta(watermark.etl_executions, integer) from public;
grant execute on function watermark.execution_delta(watermark.etl_executions, integer) to service_role;

create function watermark.count_executions_inserted()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform watermark.count_executions((select coalesce(jsonb_agg(watermark.execution_delta(r, 1)), '[]') from new_rows r));
  return null;
end
$$;

create function watermark.count_executions_updated()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform watermark.count_executions((
    select coalesce(jsonb_agg(d.e), '[]') from (
      select watermark.execution_delta(r, -1) as e from old_rows r
      union all
      select watermark.execution_delta(r, 1) from new_rows r) d));
  return null;
end
$$;

create function watermark.count_executions_deleted()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform watermark.count_executions((select coalesce(jsonb_agg(watermark.execution_delta(r, -1)), '[]') from old_rows r));
  return null;
end
$$;

create trigger etl_executions_count_inserted
  after insert on watermark.etl_executions
  referencing new table as new_rows
  for each statement execute function watermark.count_executions_inserted();
create trigger etl_executions_count_updated
  after update on watermark.etl_executions
  referencing old table as old_rows new table as new_rows
  for each statement execute function watermark.count_executions_updated();
create trigger etl_executions_count_deleted
  after delete on watermark.etl_executions
  referencing old table as old_rows
  for each statement execute function watermark.count_executions_deleted();
