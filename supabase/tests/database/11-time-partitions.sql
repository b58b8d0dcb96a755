-- Time partitions: maintain_partitions keeps one partition per UTC day from the
-- oldest day retention keeps to days_ahead ahead, detaches the days wholly past
-- retention (with their rollup rows) for drop_expired_partitions to drop, and rows
-- for a day without a partition land in the default partition: moved into their day
-- when it is created, purged once expired.
begin;
select plan(30);

create function pg_temp.day_name(parent text, days integer) returns text language sql as $$
  select format('%s_p%s', parent, to_char((now() at time zone 'UTC')::date + days, 'YYYYMMDD'))
$$;
create function pg_temp.midnight(days integer) returns timestamptz language sql as $$
  select ((now() at time zone 'UTC')::date + days)::timestamp at time zone 'UTC'
$$;
create function pg_temp.home(message text) returns text language sql as $$
  select l.tableoid::regclass::text from watermark.etl_logs l where l.message = home.message
$$;

select tests.authenticate_as('service');
select lives_ok($$select watermark.maintain_partitions()$$, 'maintenance runs for the service role');
select tests.clear_authentication();

-- Created ahead, from the oldest kept day on.
select ok(to_regclass('watermark.' || pg_temp.day_name('etl_logs_main', 7)) is not null
            and to_regclass('watermark.' || pg_temp.day_name('etl_logs_debug', 7)) is not null
            and to_regclass('watermark.' || pg_temp.day_name('etl_metrics', 7)) is not null,
  'every time-partitioned table has a partition 7 days ahead');
select ok(to_regclass('watermark.' || pg_temp.day_name('etl_logs_main', 8)) is null, 'and none further');
select ok(to_regclass('watermark.' || pg_temp.day_name('etl_logs_main', -30)) is not null
            and to_regclass('watermark.' || pg_temp.day_name('etl_logs_debug', -7)) is not null
            and to_regclass('watermark.' || pg_temp.day_name('etl_metrics', -90)) is not null,
  'back to the day that holds each retention''s cutoff (logs 30, debug 7, metrics 90 days)');
select ok(to_regclass('watermark.' || pg_temp.day_name('etl_logs_debug', -9)) is null, 'and no further back');
select is(
  (select array_agg(c.relname::text order by c.relname) from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent in ('watermark.etl_logs_main'::regclass, 'watermark.etl_logs_debug'::regclass, 'watermark.etl_metrics'::regclass)
      and not c.relrowsecurity),
  null, 'every partition has row level security enabled');
select tests.authenticate_as('service');
select is(watermark.maintain_partitions(), '{"created": 0, "detached": 0}'::jsonb, 'a second run finds nothing to do');
select tests.clear_authentication();

-- Inserts at the boundaries land in their day.
insert into watermark.etl_logs ("timestamp", level, component, message) values
  (pg_temp.midnight(0), 'INFO', 'tp', 'at midnight'),
  (pg_temp.midnight(0) - interval '1 microsecond', 'INFO', 'tp', 'just before midnight'),
  (pg_temp.midnight(8) - interval '1 microsecond', 'DEBUG', 'tp', 'last moment covered'),
  (pg_temp.midnight(8), 'INFO', 'tp', 'past the last day'),
  (now() - interval '40 days', 'ERROR', 'tp', 'older than any partition');
select is(pg_temp.home('at midnight'), 'watermark.' || pg_temp.day_name('etl_logs_main', 0), 'midnight UTC opens its own day');
select is(pg_temp.home('just before midnight'), 'watermark.' || pg_temp.day_name('etl_logs_main', -1), 'a microsecond before is the day before');
select is(pg_temp.home('last moment covered'), 'watermark.' || pg_temp.day_name('etl_logs_debug', 7), 'DEBUG lines go to their own days');
select is(pg_temp.home('past the last day'), 'watermark.etl_logs_main_default', 'a row past the last day lands in the default partition');
select is(pg_temp.home('older than any partition'), 'watermark.etl_logs_main_default',
  'a row older than any partition is accepted into the default partition');
insert into watermark.etl_metrics ("timestamp", metric_name, metric_value) values (now() - interval '95 days', 'tp.old', 1);
select is((select m.tableoid::regclass::text from watermark.etl_metrics m where m.metric_name = 'tp.old'),
  'watermark.etl_metrics_default', 'metrics older than any partition land in theirs');

-- A new day takes over the rows the default partition held for it, ids and rollup intact.
create temporary table before_move as select log_id from watermark.etl_logs where message = 'past the last day';
select tests.authenticate_as('service');
select is(watermark.maintain_partitions(8) -> 'created', '3'::jsonb, 'days_ahead reaches further ahead');
select tests.clear_authentication();
select is(pg_temp.home('past the last day'), 'watermark.' || pg_temp.day_name('etl_logs_main', 8),
  'the default partition''s row for the new day moved into it');
select is((select log_id from watermark.etl_logs where message = 'past the last day'), (select log_id from before_move),
  'keeping its log_id');

-- Purge: the expired straggler goes row by row, expired days go whole.
insert into watermark.etl_logs ("timestamp", level, component, message)
values (pg_temp.midnight(-5) + interval '1 hour', 'WARNING', 'tp', 'five days old');
update watermark.retention_policies set keep_for = interval '2 days' where kind = 'logs';
select tests.authenticate_as('service');
select is(watermark.purge_expired() - array['partitions', 'debug_logs', 'metrics', 'audit', 'executions',
                                            'alert_evaluations', 'alert_history', 'alert_notifications'],
  '{"logs": 1}'::jsonb, 'the purge deletes the default partition''s expired rows');
select tests.clear_authentication();
select ok(to_regclass('watermark.' || pg_temp.day_name('etl_logs_main', -5)) is null
            and to_regclass('watermark.' || pg_temp.day_name('etl_logs_main', -3)) is null,
  'and detaches the days wholly past a shortened retention');
select ok(to_regclass('watermark.' || pg_temp.day_name('etl_logs_main', -2)) is not null
            and to_regclass('watermark.' || pg_temp.day_name('etl_logs_main', 0)) is not null,
  'keeping the day that holds the cutoff and the current one');
select is((select array_agg(message order by message) from watermark.etl_logs where component = 'tp'),
  array['at midnight', 'just before midnight', 'last moment covered', 'past the last day'], 'with exactly their rows');
select set_eq(
  $$select pipeline, hour, level, log_count from watermark.etl_log_hourly$$,
  $$select pipeline, date_trunc('hour', "timestamp", 'UTC'), level, count(*) from watermark.etl_logs group by 1, 2, 3$$,
  'the hourly rollup still equals the raw counts after moves and drops');

-- The detached days wait, renamed, outside the hierarchy; drop_expired_partitions drops
-- their foreign keys in one call and the days in the next, so that dropping a day (and
-- releasing its files) locks no table a writer needs.
create temporary table expired as
  select c.oid, c.relname::text as relname from pg_class c
   where c.relnamespace = 'watermark'::regnamespace and c.relname ~ '^etl_logs_main_p[0-9]{8}_expired$';
grant select on expired to service_role;
select ok((select count(*) from expired) >= 2, 'the detached days are kept as <day>_expired until dropped');
select is((select count(*) from expired e join pg_inherits i on i.inhrelid = e.oid), 0::bigint, 'outside the partition hierarchy');
select tests.authenticate_as('service');
select results_eq($$select (r ->> 'foreign_keys')::bigint, (r ->> 'dropped')::bigint from (select watermark.drop_expired_partitions() r) x$$,
  $$select count(*), 0::bigint from expired$$, 'the first call drops only the days'' foreign keys to etl_executions');
select tests.clear_authentication();
select is((select count(*) from expired e join pg_constraint c on c.conrelid = e.oid and c.contype = 'f'), 0::bigint,
  'no detached day references etl_executions any more');
select tests.authenticate_as('service');
select results_eq($$select (r ->> 'foreign_keys')::bigint, (r ->> 'dropped')::bigint, (r ->> 'bytes')::bigint > 0
                      from (select watermark.drop_expired_partitions() r) x$$,
  $$select 0::bigint, count(*), true from expired$$, 'the next call drops the days and says how many bytes they held');
select tests.clear_authentication();
select is((select count(*) from expired e join pg_class c on c.oid = e.oid), 0::bigint, 'they are gone');
select tests.authenticate_as('service');
select is(watermark.drop_expired_partitions() - 'bytes', '{"foreign_keys": 0, "dropped": 0}'::jsonb, 'a third call finds nothing');
select throws_ok($$select watermark.drop_expired_partitions(0)$$, 'WM001', 'max_tables: must be between 1 and 1000, got 0',
  'max_tables is bounded');
select tests.clear_authentication();
select tests.authenticate_as('viewer');
select throws_ok($$select watermark.drop_expired_partitions()$$, '42501', null, 'viewers cannot drop partitions');
select tests.clear_authentication();

select * from finish();
rollback;
