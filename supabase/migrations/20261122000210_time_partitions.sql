-- Why: logs and metrics grow with every run, and deleting expired rows one by one
-- costs as much as the rows do (a day of logs at 10x seed scale is 1.6 M rows).
-- They are partitioned by UTC day (monitoring migration), so retention takes whole
-- days away. This keeps the days in place: plain declarative partitioning and two
-- small functions, the same SQL on any Postgres (no pg_partman: its 4.x and 5.x
-- APIs differ).
--
-- An expired day goes in steps, each its own transaction. The purge detaches it,
-- which changes only the catalog: the day leaves every read at once. A job of its
-- own then drops the detached day's foreign key to etl_executions and, on its next
-- run, the day itself, which then locks no other table. Dropping releases the
-- day's files as the transaction commits, which costs time per byte (about 300 ms
-- for a 10x-scale day on a disk with online discard): done in the purge, it held
-- the parent's lock all that time, and every log write and read waited.

-- Creates, for each time-partitioned table, one partition per UTC day from the
-- oldest day its retention still keeps to days_ahead days ahead, and detaches the
-- days that are wholly past retention, renamed <day>_expired for
-- drop_expired_partitions(). Run by purge_expired() (pg_cron, every 10 minutes)
-- and once below. Rows the default partition holds for a day being created move
-- into it. Detaching a day of logs also deletes its rows from the hourly rollup
-- (no delete trigger fires). Security definer: only the owner may create and
-- detach partitions; callers need the service role.
create function watermark.maintain_partitions(days_ahead integer default 7)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  t record;
  first_day date;
  last_day date;
  day date;
  part record;
  name text;
  moved bigint;
  created integer := 0;
  detached integer := 0;
begin
  perform watermark.require_access(3, 'maintain_partitions');
  if days_ahead is null or days_ahead not between 1 and 60 then
    perform watermark.raise_invalid('days_ahead', format('must be between 1 and 60, got %s', days_ahead));
  end if;
  -- One maintainer at a time: two would race to create the same day.
  perform pg_advisory_xact_lock(hashtext('watermark.maintain_partitions'));
  for t in
    select v.parent, v.root, v.kind, v.levels
    from (values
      ('etl_logs_debug', 'etl_logs', 'debug_logs', array['DEBUG']),
      ('etl_logs_main', 'etl_logs', 'logs', array['INFO', 'WARNING', 'ERROR', 'CRITICAL']),
      ('etl_metrics', 'etl_metrics', 'metrics', null)
    ) as v(parent, root, kind, levels)
  loop
    select (date_trunc('day', now() - p.keep_for, 'UTC') at time zone 'UTC')::date into first_day
      from watermark.retention_policies p where p.kind = t.kind;
    last_day := (now() at time zone 'UTC')::date + days_ahead;

    for part in
      select c.relname, to_date(right(c.relname, 8), 'YYYYMMDD') as day
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
       where i.inhparent = format('watermark.%I', t.parent)::regclass
         and c.relname ~ ('^' || t.parent || '_p[0-9]{8}$')
         and to_date(right(c.relname, 8), 'YYYYMMDD') < first_day
       order by 2
    loop
      if t.levels is not null then
        delete from watermark.etl_log_hourly h
         where h.hour >= (part.day::timestamp at time zone 'UTC') and h.hour < ((part.day + 1)::timestamp at time zone 'UTC')
           and h.level = any (t.levels);
      end if;
      execute format('alter table watermark.%I detach partition watermark.%I', t.parent, part.relname);
      -- Only a day detached, kept again (a longer retention) and expired anew before the drop job ran.
      if to_regclass(format('watermark.%I', part.relname || '_expired')) is not null then
        execute format('drop table watermark.%I', part.relname || '_expired');
      end if;
      execute format('alter table watermark.%I rename to %I', part.relname, part.relname || '_expired');
      detached := detached + 1;
    end loop;

    for day in select d::date from generate_series(first_day, last_day, interval '1 day') d loop
      name := format('%s_p%s', t.parent, to_char(day, 'YYYYMMDD'));
      continue when to_regclass(format('watermark.%I', name)) is not null;
      -- The default partition may hold rows of this day (written before it existed):
      -- they move out through the root table (its rollup triggers see both moves)
      -- and back in once the day exists. Usually there are none.
      moved := 0;
      execute format('select count(*) from watermark.%I where "timestamp" >= $1 and "timestamp" < $2', t.parent || '_default')
        into moved using (day::timestamp at time zone 'UTC'), ((day + 1)::timestamp at time zone 'UTC');
      if moved > 0 then
        execute format('create temporary table partition_move (like watermark.%I) on commit drop', t.root);
        execute format('with m as (delete from watermark.%I r where r.tableoid = %L::regclass'
                       || ' and r."timestamp" >= $1 and r."timestamp" < $2 returning r.*) insert into pg_temp.partition_move select * from m',
                       t.root, format('watermark.%I', t.parent || '_default'))
          using (day::timestamp at time zone 'UTC'), ((day + 1)::timestamp at time zone 'UTC');
      end if;
      execute format('create table watermark.%I partition of watermark.%I for values from (%L) to (%L)',
        name, t.parent, (day::timestamp at time zone 'UTC'), ((day + 1)::timestamp at time zone 'UTC'));
      execute format('alter table watermark.%I enable row level security', name);
      if moved > 0 then
        execute format('insert into watermark.%I overriding system value select * from pg_temp.partition_move', t.root);
        drop table pg_temp.partition_move;
      end if;
      created := created + 1;
    end loop;
  end loop;
  return jsonb_build_object('created', created, 'detached', detached);
end
$$;
comment on function watermark.maintain_partitions(integer) is
  'Creates the daily partitions of etl_logs and etl_metrics from the oldest kept day to days_ahead ahead and detaches those wholly past retention (dropped by drop_expired_partitions()). Run by purge_expired().';
revoke execute on function watermark.maintain_partitions(integer) from public;
grant execute on function watermark.maintain_partitions(integer) to service_role;

select watermark.maintain_partitions();

-- Drops the days maintain_partitions() detached, at most max_tables per call. A
-- detached day keeps its own copy of the foreign key to etl_executions, and dropping
-- a table with one locks etl_executions until the files are released: so a call
-- that finds such keys drops only them (a catalog change, committed at once), and
-- the next call drops the days, locking nothing else. Returns what it dropped: keys,
-- days and their bytes. Security definer, as maintain_partitions; run every minute
-- by the pg_cron job below.
create function watermark.drop_expired_partitions(max_tables integer default 30)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  expired regclass[];
  day regclass;
  fk record;
  keys integer := 0;
  dropped integer := 0;
  bytes bigint := 0;
begin
  perform watermark.require_access(3, 'drop_expired_partitions');
  if max_tables is null or max_tables not between 1 and 1000 then
    perform watermark.raise_invalid('max_tables', format('must be between 1 and 1000, got %s', max_tables));
  end if;
  expired := array(
    select c.oid::regclass from pg_catalog.pg_class c
     where c.relnamespace = 'watermark'::regnamespace and c.relkind = 'r'
       and c.relname ~ '^(etl_logs_debug|etl_logs_main|etl_metrics)_p[0-9]{8}_expired$'
       and not exists (select 1 from pg_catalog.pg_inherits i where i.inhrelid = c.oid)
     order by c.relname
     limit max_tables);
  for fk in select k.conrelid::regclass as day, k.conname from pg_catalog.pg_constraint k
             where k.conrelid = any (expired::oid[]) and k.contype = 'f' loop
    execute format('alter table %s drop constraint %I', fk.day, fk.conname);
    keys := keys + 1;
  end loop;
  -- Days go only in a call that dropped no key, so none of them locks etl_executions.
  if keys = 0 then
    foreach day in array expired loop
      bytes := bytes + pg_catalog.pg_total_relation_size(day);
      execute format('drop table %s', day);
      dropped := dropped + 1;
    end loop;
  end if;
  return jsonb_build_object('foreign_keys', keys, 'dropped', dropped, 'bytes', bytes);
end
$$;
comment on function watermark.drop_expired_partitions(integer) is
  'Drops the expired days maintain_partitions() detached: first their foreign keys, on a later call the days (pg_cron job watermark-drop-expired-partitions, every minute); returns what it dropped.';
revoke execute on function watermark.drop_expired_partitions(integer) from public;
grant execute on function watermark.drop_expired_partitions(integer) to service_role;

-- Every minute: a day detached by the purge loses its key in one run and goes in the next.
do $$
begin
  if current_database() = current_setting('cron.database_name', true) then
    perform cron.schedule('watermark-drop-expired-partitions', '* * * * *', 'select watermark.drop_expired_partitions()');
  end if;
end
$$;
