-- Why: the collection model. Sportmonks data is collected chunk by chunk (one
-- chunk per league × season, id '<league>_<season>' as in the collector we
-- replace). Postgres coordinates the collectors: a chunk is worked only under a
-- lease (owner, token, expiry) claimed with FOR UPDATE SKIP LOCKED, every batch
-- is upserted together with the chunk's checkpoint in one lease-checked
-- transaction, and "needs work" is decided here so every collector (CLI, edge
-- function, another instance) agrees on it. Per-entity control rows
-- (etl_control, seed 002) give the dashboard coverage, pending work and
-- freshness for this pipeline and any other that reports to Watermark.

-- Tunables in one row so operators can change them without a deploy.
create table watermark.collection_settings (
  id boolean primary key default true check (id),
  -- The seed's chunk priority rule: priority = factor × fixtures needing work (+ the chunk's boost).
  priority_per_pending_fixture numeric not null default 10 check (priority_per_pending_fixture >= 0),
  -- The seed's --min-fixtures: chunks known to hold fewer fixtures are not
  -- claimed. 0 by default: staying equal to the API includes the one-match
  -- seasons (a super cup, a play-off) and a cup season whose first round is all
  -- that is drawn yet; the seed's scripts defaulted to 10, pass --min-fixtures 10.
  min_fixtures integer not null default 0 check (min_fixtures >= 0),
  default_lease_seconds integer not null default 300 check (default_lease_seconds between 10 and 3600),
  fixture_backoff_base_seconds integer not null default 300 check (fixture_backoff_base_seconds > 0),
  fixture_backoff_max_seconds integer not null default 21600 check (fixture_backoff_max_seconds > 0),
  chunk_backoff_base_seconds integer not null default 60 check (chunk_backoff_base_seconds > 0),
  chunk_backoff_max_seconds integer not null default 3600 check (chunk_backoff_max_seconds > 0),
  -- Re-read the schedule of a season that is not settled yet this often: new
  -- fixtures, postponements and new kickoff times come from the schedule.
  rediscover_after_seconds integer not null default 21600 check (rediscover_after_seconds > 0),
  -- Sportmonks states after which a fixture no longer plays: FT, AET, FT_PEN,
  -- CANCELLED, WALKOVER, AWARDED, DELETED.
  final_state_ids integer[] not null default '{5,7,8,12,14,17,20}',
  -- Providers correct goals, cards and statistics after full time, and those
  -- corrections reach fixtures/multi but not fixtures/latest: a final fixture is
  -- collected again once each of these many seconds after full time has passed.
  settle_after_seconds integer[] not null default '{7200,86400}'
    check (cardinality(settle_after_seconds) <= 10 and 0 < all (settle_after_seconds)),
  -- States that wait for a new date (POSTPONED, SUSPENDED, TBA, ABANDONED): not
  -- collected again until the season's schedule shows them moved.
  parked_state_ids integer[] not null default '{10,11,13,15}',
  -- A fixture past its kickoff and not final yet (live, or waiting for its final
  -- state) is collected again this often.
  live_recollect_seconds integer not null default 300 check (live_recollect_seconds > 0),
  -- Leagues and seasons are read whole this often (flags such as is_current and
  -- finished change); every run in between asks only for ids above the known ones.
  catalog_refresh_seconds integer not null default 86400 check (catalog_refresh_seconds > 0),
  -- A season the plan does not cover (HTTP 403, code 5007) is tried again after this long.
  plan_recheck_seconds integer not null default 604800 check (plan_recheck_seconds > 0),
  updated_at timestamptz not null default now(),
  updated_by text
);
insert into watermark.collection_settings default values;
alter table watermark.collection_settings enable row level security;
create policy "viewers can read the collection settings" on watermark.collection_settings
  for select to authenticated using ((select watermark.access_level()) >= 1);
-- Read-only to every API role: set_collection_settings (definer) is the only writer.
grant select on watermark.collection_settings to authenticated, service_role;

create table watermark.leagues (
  id bigint primary key,
  name text,
  short_code text,
  country_id bigint,
  active boolean,
  data jsonb not null default '{}',
  synced_at timestamptz not null default now()
);
alter table watermark.leagues enable row level security;
create policy "viewers can read leagues" on watermark.leagues
  for select to authenticated using ((select watermark.access_level()) >= 1);
grant select on watermark.leagues to authenticated;
grant select, insert, update on watermark.leagues to service_role;

create table watermark.seasons (
  id bigint primary key,
  league_id bigint not null references watermark.leagues (id),
  name text,
  is_current boolean,
  finished boolean,
  starting_at date,
  ending_at date,
  data jsonb not null default '{}',
  synced_at timestamptz not null default now()
);
create index seasons_league_id_idx on watermark.seasons (league_id);
alter table watermark.seasons enable row level security;
create policy "viewers can read seasons" on watermark.seasons
  for select to authenticated using ((select watermark.access_level()) >= 1);
grant select on watermark.seasons to authenticated;
grant select, insert, update on watermark.seasons to service_role;

create table watermark.chunks (
  chunk_id text primary key,
  league_id bigint not null references watermark.leagues (id),
  season_id bigint not null unique references watermark.seasons (id),
  -- Stored so claims order by an index-friendly value; refreshed whenever pending changes.
  priority numeric,
  priority_boost numeric not null default 0,
  status text not null default 'pending' check (status in ('pending', 'running', 'done', 'failed', 'not_in_plan')),
  lease_owner text,
  lease_token uuid,
  lease_expires_at timestamptz,
  -- The execution that holds the lease (claim_chunk's execution_id, null if it gave
  -- none): the reaper releases the lease when that run is abandoned. Not
  -- last_execution_id, which outlives the lease and would release the next holder's.
  lease_execution_id text,
  attempts integer not null default 0,
  next_attempt_at timestamptz,
  last_error text,
  -- {"last_fixture_id": <id>} once a pass has written a batch; '{}' = start of a pass.
  checkpoint jsonb not null default '{}',
  fixtures_total integer,
  fixtures_pending integer,
  discovered_at timestamptz,
  -- The season is finished and every fixture is final and past its settle
  -- windows: its schedule is not read again (refresh_chunk sets and clears it).
  settled_at timestamptz,
  -- Not covered by the plan (403 / 5007) until then; the reason is last_error.
  not_in_plan_until timestamptz,
  last_claimed_at timestamptz,
  last_execution_id text,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (chunk_id = league_id || '_' || season_id),
  check ((lease_token is null) = (lease_expires_at is null)),
  check (lease_token is not null or lease_execution_id is null)
);
create index chunks_claim_idx on watermark.chunks (priority desc nulls first, chunk_id);
alter table watermark.chunks enable row level security;
create policy "viewers can read chunks" on watermark.chunks
  for select to authenticated using ((select watermark.access_level()) >= 1);
-- Lease tokens are capabilities: viewers read every column but the token.
grant select (chunk_id, league_id, season_id, priority, priority_boost, status, lease_owner, lease_expires_at,
  lease_execution_id, attempts, next_attempt_at, last_error, checkpoint, fixtures_total, fixtures_pending, discovered_at,
  settled_at, not_in_plan_until, last_claimed_at, last_execution_id, completed_at, created_at, updated_at) on watermark.chunks to authenticated;
grant select, insert, update on watermark.chunks to service_role;

create table watermark.fixtures (
  id bigint primary key,
  league_id bigint not null,
  season_id bigint not null,
  stage_id bigint,
  group_id bigint,
  -- The two-legged tie this fixture is a leg of (fixture_aggregates.id; leg says which).
  aggregate_id bigint,
  round_id bigint,
  state_id integer,
  venue_id bigint,
  name text,
  starting_at timestamp,
  starting_at_timestamp bigint,
  result_info text,
  leg text,
  length integer,
  placeholder boolean,
  has_odds boolean,
  events jsonb,
  lineups jsonb,
  statistics jsonb,
  participants jsonb,
  scores jsonb,
  -- When the content was last written from fixtures/multi (null: discovered, never collected).
  collected_at timestamptz,
  content_hash text,
  -- watermark.fixture_quality of the row, stored by trigger fixtures_quality on every write.
  quality_score smallint check (quality_score between 0 and 100),
  quality_reasons text[],
  is_final boolean not null default false,
  -- Full time as Watermark saw it: the first collection in a final state, or
  -- kickoff + 2 h when that is earlier (a fixture first collected long after it
  -- ended). The settle windows count from it.
  final_at timestamptz,
  discovered_at timestamptz not null default now(),
  -- When the fixture must be collected next; null: not until the schedule moves
  -- it. The one definition of "needs work" is next_check_at <= now() (view
  -- fixture_work); watermark.next_check_at() decides it after each collection.
  next_check_at timestamptz,
  attempts integer not null default 0,
  last_error text,
  last_execution_id text,
  foreign key (season_id) references watermark.seasons (id)
);
create index fixtures_season_id_idx on watermark.fixtures (season_id, id);
-- "Does this season have due work?" is an index probe, whatever the season's size.
create index fixtures_due_idx on watermark.fixtures (season_id, next_check_at) where next_check_at is not null;
alter table watermark.fixtures enable row level security;
create policy "viewers can read fixtures" on watermark.fixtures
  for select to authenticated using ((select watermark.access_level()) >= 1);
grant select on watermark.fixtures to authenticated;
grant select, insert, update on watermark.fixtures to service_role;

-- Two-legged knockout ties (the schedule's stage.aggregates): which fixtures are
-- its legs, the aggregate result and the winner once decided.
create table watermark.fixture_aggregates (
  id bigint primary key,
  season_id bigint not null references watermark.seasons (id),
  stage_id bigint,
  name text,
  fixture_ids bigint[] not null default '{}',
  result text,
  detail text,
  winner_participant_id bigint,
  data jsonb not null default '{}',
  updated_at timestamptz not null default now()
);
create index fixture_aggregates_season_idx on watermark.fixture_aggregates (season_id);
alter table watermark.fixture_aggregates enable row level security;
create policy "viewers can read knockout ties" on watermark.fixture_aggregates
  for select to authenticated using ((select watermark.access_level()) >= 1);
grant select on watermark.fixture_aggregates to authenticated;
grant select, insert, update on watermark.fixture_aggregates to service_role;

-- Each catalog read: whole (kind full) or only ids above the known ones
-- (incremental). The newest full read says when the next one is due.
create table watermark.catalog_syncs (
  sync_id bigint generated always as identity primary key,
  kind text not null check (kind in ('full', 'incremental')),
  leagues integer not null,
  seasons integer not null,
  chunks_created integer not null,
  execution_id text,
  synced_at timestamptz not null default now()
);
create index catalog_syncs_kind_idx on watermark.catalog_syncs (kind, synced_at desc);
alter table watermark.catalog_syncs enable row level security;
create policy "viewers can read catalog syncs" on watermark.catalog_syncs
  for select to authenticated using ((select watermark.access_level()) >= 1);
grant select on watermark.catalog_syncs to authenticated;
grant select, insert on watermark.catalog_syncs to service_role;

-- Who cleared which checkpoint, and other operator actions on chunks.
create table watermark.chunk_audit (
  audit_id bigint generated always as identity primary key,
  chunk_id text not null references watermark.chunks (chunk_id),
  action text not null,
  actor text not null,
  details jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create index chunk_audit_chunk_idx on watermark.chunk_audit (chunk_id, created_at desc);
alter table watermark.chunk_audit enable row level security;
create policy "viewers can read the chunk audit" on watermark.chunk_audit
  for select to authenticated using ((select watermark.access_level()) >= 1);
-- Read-only to every API role: clear_chunk_checkpoints (definer) is the only writer.
grant select on watermark.chunk_audit to authenticated, service_role;

-- Seed 002's per-entity control row, for this pipeline and any other.
create table watermark.etl_control (
  pipeline text not null,
  entity text not null,
  source_total bigint,
  target_total bigint,
  watermark text,
  pending_since_watermark bigint,
  source_max_updated_at timestamptz,
  target_max_updated_at timestamptz,
  last_run_at timestamptz,
  last_success_at timestamptz,
  last_status text check (last_status in ('succeeded', 'failed')),
  last_error text,
  last_execution_id text,
  last_duration_seconds numeric,
  last_rows_written bigint,
  last_throughput_rows_per_sec numeric,
  expected_interval_seconds integer,
  updated_at timestamptz not null default now(),
  primary key (pipeline, entity)
);
alter table watermark.etl_control enable row level security;
create policy "viewers can read pipeline control rows" on watermark.etl_control
  for select to authenticated using ((select watermark.access_level()) >= 1);
grant select on watermark.etl_control to authenticated;
grant select, insert, update on watermark.etl_control to service_role;

-- Sportmonks limits are per entity per hour; the reset time outlives one function instance.
create table watermark.api_rate_limits (
  entity text primary key,
  remaining integer not null check (remaining >= 0),
  resets_at timestamptz not null,
  updated_at timestamptz not null default now()
);
alter table watermark.api_rate_limits enable row level security;
create policy "viewers can read API rate limits" on watermark.api_rate_limits
  for select to authenticated using ((select watermark.access_level()) >= 1);
grant select on watermark.api_rate_limits to authenticated;
grant select, insert, update on watermark.api_rate_limits to service_role;

-- ---------------------------------------------------------------------------
-- Helpers (private)
-- ---------------------------------------------------------------------------

create function watermark.collection_settings_row()
returns watermark.collection_settings
language sql
stable
set search_path = ''
as $$
  select s from watermark.collection_settings s where s.id
$$;

-- "Needs work" is one comparison: next_check_at <= now(). When that time is, is
-- decided when a fixture is registered, collected or fails (next_check_at()
-- below, register_chunk_fixtures, apply_fixture_failures, requeue_collection).
-- A view, so every reader (claims, listings, the overview, the status report)
-- says it the same way; security_invoker: the caller's rights and RLS apply.
create view watermark.fixture_work with (security_invoker = true) as
  select f.*, coalesce(f.next_check_at <= now(), false) as needs_work
  from watermark.fixtures f;
comment on view watermark.fixture_work is
  'Fixtures with needs_work (next_check_at <= now()): the one definition of "needs work".';
grant select on watermark.fixture_work to authenticated, service_role;

-- Full time of a fixture just collected in state_id: kept once known, else now
-- or kickoff + 2 h, whichever is earlier; null while it is not final.
create function watermark.full_time_at(state_id integer, starting_at timestamp, known_final_at timestamptz,
  cfg watermark.collection_settings)
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select case when state_id = any (cfg.final_state_ids)
    then coalesce(known_final_at, least(now(), (starting_at at time zone 'UTC') + interval '2 hours'), now()) end
$$;

-- When a fixture just collected must be collected again: the change-detection
-- strategy of docs/collection.md.
--   final:      at the next settle window after full time (final_at), or never;
--   parked:     never (postponed and the like wait for the schedule to move them);
--   no date:    never (the schedule gives it one);
--   not begun:  at kickoff;
--   under way:  every live_recollect_seconds for 6 h after kickoff, then at the
--               rediscovery pace (a fixture the provider never closes costs little).
create function watermark.next_check_at(state_id integer, starting_at timestamp, final_at timestamptz,
  cfg watermark.collection_settings)
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select case
    when state_id = any (cfg.final_state_ids) then
      (select min(final_at + make_interval(secs => w)) from unnest(cfg.settle_after_seconds) w
        where final_at + make_interval(secs => w) > now())
    when state_id = any (cfg.parked_state_ids) then null
    when starting_at is null then null
    when (starting_at at time zone 'UTC') > now() then starting_at at time zone 'UTC'
    when (starting_at at time zone 'UTC') > now() - interval '6 hours' then now() + make_interval(secs => cfg.live_recollect_seconds)
    else now() + make_interval(secs => cfg.rediscover_after_seconds)
  end
$$;

create function watermark.backoff_interval(attempts integer, base_seconds integer, max_seconds integer)
returns interval
language sql
immutable
set search_path = ''
as $$
  select make_interval(secs => least(max_seconds::double precision,
    base_seconds * power(2::double precision, greatest(attempts - 1, 0))))
$$;

-- Recount a chunk's fixtures and pending work, its priority from them, and
-- whether its season is settled (finished, every fixture final and past its
-- settle windows), after which its schedule is not read again.
create function watermark.refresh_chunk(target_chunk_id text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  cfg watermark.collection_settings := watermark.collection_settings_row();
  c watermark.chunks;
  total_count integer;
  pending_count integer;
  all_settled boolean;
  season_finished boolean;
begin
  select * into c from watermark.chunks where chunk_id = target_chunk_id;
  select count(*)::integer,
         count(*) filter (where f.needs_work)::integer,
         coalesce(bool_and(f.is_final and f.next_check_at is null), true)
    into total_count, pending_count, all_settled
    from watermark.fixture_work f
   where f.season_id = c.season_id;
  select coalesce(s.finished, false) into season_finished from watermark.seasons s where s.id = c.season_id;
  update watermark.chunks
     set fixtures_total = case when c.discovered_at is null and total_count = 0 then null else total_count end,
         fixtures_pending = case when c.discovered_at is null and total_count = 0 then null else pending_count end,
         priority = case when c.discovered_at is null and total_count = 0 then null
                         else c.priority_boost + cfg.priority_per_pending_fixture * pending_count end,
         settled_at = case when c.discovered_at is not null and season_finished and all_settled
                           then coalesce(c.settled_at, now()) end,
         updated_at = now()
   where chunk_id = target_chunk_id;
end
$$;

-- Whether the chunk's season schedule must be read (again) before its fixtures are worked.
create function watermark.chunk_needs_discovery(ch watermark.chunks, cfg watermark.collection_settings)
returns boolean
language sql
stable
set search_path = ''
as $$
  select ch.discovered_at is null
      or (ch.settled_at is null and ch.discovered_at <= now() - make_interval(secs => cfg.rediscover_after_seconds))
$$;

-- The one definition of "claimable": null when claim_chunk may hand the chunk
-- out now, else what holds it back. claim_chunk filters on it (re-checked on the
-- locked row), and list_chunk_queue shows it, so a dry run and "no chunk needs
-- work" tell the database's own answer.
create function watermark.chunk_blocker(ch watermark.chunks, min_fixtures integer, cfg watermark.collection_settings)
returns text
language sql
stable
set search_path = ''
as $$
  select case
    when ch.lease_expires_at > now() then 'leased'
    when ch.not_in_plan_until > now() then 'not_in_plan'
    when ch.next_attempt_at > now() then 'backoff'
    -- A small season is still re-read on its cadence: a cup grows round by round.
    when watermark.chunk_needs_discovery(ch, cfg) then null
    when ch.fixtures_total < min_fixtures then 'below_min_fixtures'
    when exists (select 1 from watermark.fixtures f where f.season_id = ch.season_id and f.next_check_at <= now()) then null
    else 'no_work'
  end
$$;

-- The chunk row locked for a write under lease_token: WM002 unknown chunk,
-- WM004 when another collector holds it or (unless allow_expired: releasing) the
-- lease expired.
create function watermark.lock_leased_chunk(target_chunk_id text, token uuid, allow_expired boolean default false)
returns watermark.chunks
language plpgsql
set search_path = ''
as $$
declare
  c watermark.chunks;
begin
  if target_chunk_id is null then perform watermark.raise_invalid('chunk_id', 'is required; pass the chunk_id claim_chunk returned'); end if;
  if token is null then perform watermark.raise_invalid('lease_token', 'is required; pass the lease_token claim_chunk returned'); end if;
  select * into c from watermark.chunks where chunk_id = target_chunk_id for update;
  if not found then
    raise exception 'chunk % not found', target_chunk_id using errcode = 'WM002',
      hint = 'chunks are created by sync_collection_catalog; list them with list_chunks';
  end if;
  if c.lease_token is distinct from token then
    raise exception 'lease_lost: chunk % is leased by another collector (%)', target_chunk_id, coalesce(c.lease_owner, 'none')
      using errcode = 'WM004', hint = 'stop working this chunk; claim another with claim_chunk';
  end if;
  if not allow_expired and c.lease_expires_at <= now() then
    raise exception 'lease_lost: the lease on chunk % expired at %', target_chunk_id, c.lease_expires_at
      using errcode = 'WM004', hint = 'renew the lease (renew_chunk_lease) well before it expires; claim the chunk again to continue';
  end if;
  return c;
end
$$;

create function watermark.require_array(value jsonb, field text, max_length integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if value is null or jsonb_typeof(value) <> 'array' then
    perform watermark.raise_invalid(field, 'must be a JSON array');
  end if;
  if jsonb_array_length(value) > max_length then
    perform watermark.raise_invalid(field, format('has %s elements, at most %s allowed; send smaller batches', jsonb_array_length(value), max_length));
  end if;
end
$$;

-- A positive integer id from element->key, or WM001 naming `field[i].key`.
create function watermark.json_id(element jsonb, field text, idx integer, key text, required boolean)
returns bigint
language plpgsql
immutable
set search_path = ''
as $$
declare
  v jsonb := element -> key;
begin
  if v is null or v = 'null'::jsonb then
    if required then
      perform watermark.raise_invalid(format('%s[%s].%s', field, idx, key), 'is required; pass the Sportmonks id');
    end if;
    return null;
  end if;
  if jsonb_typeof(v) <> 'number' or (v #>> '{}')::numeric <> trunc((v #>> '{}')::numeric) or (v #>> '{}')::numeric <= 0 then
    perform watermark.raise_invalid(format('%s[%s].%s', field, idx, key), format('must be a positive integer, got %s', v));
  end if;
  return (v #>> '{}')::bigint;
end
$$;

create function watermark.json_timestamp(element jsonb, field text, idx integer, key text)
returns timestamp
language plpgsql
immutable
set search_path = ''
as $$
declare
  v text := element ->> key;
begin
  if v is null then return null; end if;
  begin
    return v::timestamp;
  exception when others then
    perform watermark.raise_invalid(format('%s[%s].%s', field, idx, key), format('must be a timestamp like 2024-08-17 14:00:00, got %s', v));
  end;
  return null;
end
$$;

-- An integer from element->key between min_value and max_value, or WM001 naming `field[i].key`.
create function watermark.json_integer(element jsonb, field text, idx integer, key text, min_value bigint, max_value bigint)
returns bigint
language plpgsql
immutable
set search_path = ''
as $$
declare
  v jsonb := element -> key;
begin
  if v is null or v = 'null'::jsonb then
    return null;
  end if;
  if jsonb_typeof(v) <> 'number' or (v #>> '{}')::numeric <> trunc((v #>> '{}')::numeric)
     or (v #>> '{}')::numeric not between min_value and max_value then
    perform watermark.raise_invalid(format('%s[%s].%s', field, idx, key),
      format('must be an integer from %s to %s, got %s', min_value, max_value, v));
  end if;
  return (v #>> '{}')::bigint;
end
$$;

-- true or false from element->key, or WM001 naming `field[i].key`.
create function watermark.json_boolean(element jsonb, field text, idx integer, key text)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
declare
  v jsonb := element -> key;
begin
  if v is null or v = 'null'::jsonb then
    return null;
  end if;
  if jsonb_typeof(v) <> 'boolean' then
    perform watermark.raise_invalid(format('%s[%s].%s', field, idx, key), format('must be true or false, got %s', v));
  end if;
  return v::boolean;
end
$$;

-- A date from element->key (its first 10 characters: a timestamp's date part counts), or WM001.
create function watermark.json_date(element jsonb, field text, idx integer, key text)
returns date
language plpgsql
immutable
set search_path = ''
as $$
declare
  v text := element ->> key;
begin
  if v is null then return null; end if;
  begin
    return left(v, 10)::date;
  exception when data_exception then
    perform watermark.raise_invalid(format('%s[%s].%s', field, idx, key), format('must be a date like 2024-08-17, got %s', v));
  end;
  return null;
end
$$;

-- ---------------------------------------------------------------------------
-- Quality: the one definition of a fixture's quality and of a season's completeness
-- ---------------------------------------------------------------------------

create type watermark.fixture_quality_result as (score smallint, reasons text[]);

-- What is missing or inconsistent in one fixture's payload, and a score from 100
-- down. Read from the payload the sports model is derived from, with the
-- derivation's rules (an element counts when its ids are numbers), so it is
-- known when the fixture is written and stored with it (fixtures_quality).
-- Checks on match data apply once the fixture finished with a result. Goals
-- are compared in total: which team an own goal's participant_id names is not
-- documented, so a per-team comparison could blame correct data.
create function watermark.fixture_quality(fixture watermark.fixtures)
returns watermark.fixture_quality_result
language sql
immutable
set search_path = ''
as $$
  with payload as (
    select coalesce(fixture.state_id in (5, 7, 8), false) as finished,
           case when jsonb_typeof(fixture.participants) = 'array' then fixture.participants else '[]' end as participants,
           case when jsonb_typeof(fixture.scores) = 'array' then fixture.scores else '[]' end as scores,
           case when jsonb_typeof(fixture.events) = 'array' then fixture.events else '[]' end as events,
           case when jsonb_typeof(fixture.lineups) = 'array' then fixture.lineups else '[]' end as lineups,
           case when jsonb_typeof(fixture.statistics) = 'array' then fixture.statistics else '[]' end as statistics
  ), counted as (
    select p.*,
           -- The result: each team's first CURRENT score (type 1525), as the model keeps it.
           (select sum(c.goals) from (
              select distinct on (e -> 'participant_id') case when jsonb_typeof(e -> 'score' -> 'goals') = 'number'
                       then (e -> 'score' ->> 'goals')::numeric end as goals
                from jsonb_array_elements(p.scores) with ordinality x(e, ord)
               where e -> 'type_id' = '1525' and jsonb_typeof(e -> 'participant_id') = 'number'
               order by e -> 'participant_id', ord) c) as score_goals,
           -- Goal, own goal and penalty events (14, 15, 16), each event id once.
           (select count(distinct e -> 'id') from jsonb_array_elements(p.events) e
             where jsonb_typeof(e -> 'id') = 'number' and e -> 'type_id' in ('14', '15', '16')) as goal_events
      from payload p
  ), checks(reason, penalty, failed) as (
    select v.* from counted c cross join lateral (values
      ('not_collected', 100, fixture.collected_at is null),
      ('missing_participants', 30,
        (select count(distinct e -> 'id') from jsonb_array_elements(c.participants) e where jsonb_typeof(e -> 'id') = 'number') < 2),
      ('missing_scores', 20, c.finished and c.score_goals is null),
      ('missing_lineups', 20, c.finished and not jsonb_path_exists(c.lineups, '$[*] ? (@.id.type() == "number")')),
      ('no_statistics', 20, c.finished
        and not jsonb_path_exists(c.statistics, '$[*] ? (@.type_id.type() == "number" && @.participant_id.type() == "number")')),
      ('events_without_players', 10, c.finished
        and jsonb_path_exists(c.events, '$[*] ? (@.id.type() == "number" && !(@.player_id.type() == "number"))')),
      -- Only a result there is can disagree (no result is missing_scores).
      ('score_events_disagree', 30, c.finished and c.score_goals <> c.goal_events)
    ) v(reason, penalty, failed)
  )
  select row(greatest(0, 100 - coalesce(sum(penalty) filter (where failed), 0))::smallint,
             coalesce(array_agg(reason order by penalty desc, reason) filter (where failed), '{}'))::watermark.fixture_quality_result
    from checks
   -- A fixture never collected has only its schedule entry: that is the one reason.
   where reason = 'not_collected' or fixture.collected_at is not null
$$;

-- Every write of a fixture's payload, state or collection stores its quality, so
-- readers (overview, completeness, alert rules) aggregate columns, not payloads.
create function watermark.store_fixture_quality()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  quality watermark.fixture_quality_result := watermark.fixture_quality(new);
begin
  new.quality_score := quality.score;
  new.quality_reasons := quality.reasons;
  return new;
end
$$;
create trigger fixtures_quality
  before insert or update of events, lineups, statistics, participants, scores, state_id, collected_at on watermark.fixtures
  for each row execute function watermark.store_fixture_quality();

create type watermark.data_completeness as (
  league_id bigint,
  league_name text,
  season_id bigint,
  season_name text,
  -- Known: registered from the schedule or collected.
  fixtures integer,
  collected integer,
  collected_percent numeric,
  -- Finished with a result (FT, AET, FT_PEN), collected or not: the match-data checks apply to them.
  finished integer,
  -- Shares of the collected finished fixtures, in percent.
  with_lineups_percent numeric,
  with_statistics_percent numeric,
  events_with_players_percent numeric,
  scores_agree_percent numeric,
  -- Finished fixtures collected with every check passed (score 100), in percent of
  -- the finished ones: the figure the data_completeness alert rule watches.
  complete_percent numeric,
  avg_quality_score numeric,
  min_quality_score integer,
  -- Collected fixtures scoring below the threshold, and their reasons, commonest first:
  -- [{"reason": "missing_lineups", "fixtures": 3}, …].
  below_threshold integer,
  below_threshold_reasons jsonb
);

-- Per league and season (or one of them): how complete the collected data is,
-- from the stored quality (watermark.fixture_quality).
create function watermark.data_completeness(league_id bigint, season_id bigint, below_score integer)
returns setof watermark.data_completeness
language sql
stable
set search_path = ''
as $$
  with f as (
    select x.league_id, x.season_id, x.collected_at is not null as collected, coalesce(x.state_id in (5, 7, 8), false) as finished,
           x.quality_score as score, coalesce(x.quality_reasons, '{}') as reasons
      from watermark.fixtures x
     where (data_completeness.league_id is null or x.league_id = data_completeness.league_id)
       and (data_completeness.season_id is null or x.season_id = data_completeness.season_id)
  ), share as (
    -- Percent of the collected finished fixtures a reason does not apply to.
    select f.league_id, f.season_id, count(*) filter (where f.collected and f.finished) as checked,
           count(*) filter (where f.collected and f.finished and 'missing_lineups' = any (f.reasons)) as no_lineups,
           count(*) filter (where f.collected and f.finished and 'no_statistics' = any (f.reasons)) as no_statistics,
           count(*) filter (where f.collected and f.finished and 'events_without_players' = any (f.reasons)) as no_players,
           count(*) filter (where f.collected and f.finished and 'score_events_disagree' = any (f.reasons)) as disagree,
           count(*) as fixtures, count(*) filter (where f.collected) as collected, count(*) filter (where f.finished) as finished,
           count(*) filter (where f.finished and f.collected and f.score = 100) as complete,
           round(avg(f.score) filter (where f.collected), 1) as avg_score, min(f.score) filter (where f.collected) as min_score,
           count(*) filter (where f.collected and f.score < below_score) as below
      from f group by f.league_id, f.season_id
  )
  select s.league_id, l.name, s.season_id, se.name, s.fixtures::integer, s.collected::integer,
         round(100.0 * s.collected / s.fixtures, 1), s.finished::integer,
         round(100.0 * (s.checked - s.no_lineups) / nullif(s.checked, 0), 1),
         round(100.0 * (s.checked - s.no_statistics) / nullif(s.checked, 0), 1),
         round(100.0 * (s.checked - s.no_players) / nullif(s.checked, 0), 1),
         round(100.0 * (s.checked - s.disagree) / nullif(s.checked, 0), 1),
         round(100.0 * s.complete / nullif(s.finished, 0), 1),
         s.avg_score, s.min_score::integer, s.below::integer,
         (select coalesce(jsonb_agg(jsonb_build_object('reason', r.reason, 'fixtures', r.n) order by r.n desc, r.reason), '[]')
            from (select reason, count(*) as n from f, unnest(f.reasons) reason
                   where f.league_id = s.league_id and f.season_id = s.season_id and f.collected and f.score < below_score
                   group by reason) r)
    from share s
    left join watermark.leagues l on l.id = s.league_id
    left join watermark.seasons se on se.id = s.season_id
   order by s.league_id, s.season_id
$$;

-- Per-fixture failures with exponential backoff; shared by upsert_fixture_batch
-- and record_fixture_failures. Returns how many fixtures were marked.
create function watermark.apply_fixture_failures(c watermark.chunks, failures jsonb, execution_id text)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  cfg watermark.collection_settings := watermark.collection_settings_row();
  ids bigint[];
  messages text[];
  bad record;
  marked integer;
begin
  perform watermark.require_array(failures, 'failures', 1000);
  -- The whole batch is validated first, set-based and in element order (ids, then
  -- messages, then membership of the chunk), so the first bad element is named.
  select coalesce(array_agg(watermark.json_id(e.v, 'failures', (e.ord - 1)::integer, 'fixture_id', true) order by e.ord), '{}'),
         coalesce(array_agg(e.v ->> 'error' order by e.ord), '{}')
    into ids, messages
    from jsonb_array_elements(failures) with ordinality as e(v, ord);
  select u.ord into bad
    from unnest(messages) with ordinality as u(message, ord)
   where u.message is null or u.message = ''
   order by u.ord limit 1;
  if found then
    perform watermark.raise_invalid(format('failures[%s].error', bad.ord - 1), 'is required; say why the fixture could not be collected');
  end if;
  select u.ord, u.id into bad
    from unnest(ids) with ordinality as u(id, ord)
   where not exists (select 1 from watermark.fixtures f where f.id = u.id and f.season_id = c.season_id)
   order by u.ord limit 1;
  if found then
    perform watermark.raise_invalid(format('failures[%s].fixture_id', bad.ord - 1),
      format('fixture %s is not registered in chunk %s; register it first with register_chunk_fixtures', bad.id, c.chunk_id));
  end if;
  -- One UPDATE; a fixture listed twice fails once, with its last message.
  update watermark.fixtures f
     set attempts = f.attempts + 1,
         last_error = left(u.message, 2000),
         next_check_at = now() + watermark.backoff_interval(f.attempts + 1, cfg.fixture_backoff_base_seconds, cfg.fixture_backoff_max_seconds),
         last_execution_id = apply_fixture_failures.execution_id
    from (select distinct on (x.id) x.id, x.message
            from unnest(ids, messages) with ordinality as x(id, message, ord)
           order by x.id, x.ord desc) u
   where f.id = u.id and f.season_id = c.season_id;
  get diagnostics marked = row_count;
  return marked;
end
$$;

create function watermark.require_checkpoint(checkpoint jsonb)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if checkpoint is null or jsonb_typeof(checkpoint) <> 'object' then
    perform watermark.raise_invalid('checkpoint', 'must be a JSON object like {"last_fixture_id": 123}');
  end if;
  -- A whole id: list_chunk_work reads it back as bigint.
  if checkpoint ? 'last_fixture_id' and (jsonb_typeof(checkpoint -> 'last_fixture_id') <> 'number'
      or (checkpoint ->> 'last_fixture_id')::numeric not between 1 and 9223372036854775807
      or (checkpoint ->> 'last_fixture_id')::numeric <> trunc((checkpoint ->> 'last_fixture_id')::numeric)) then
    perform watermark.raise_invalid('checkpoint.last_fixture_id', 'must be a positive fixture id');
  end if;
end
$$;

-- The `rate_limit` object of a Sportmonks answer (absent is fine), or WM001 naming the field.
create function watermark.require_rate_limit(rate_limit jsonb)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if rate_limit is null or rate_limit = 'null'::jsonb then return; end if;
  if jsonb_typeof(rate_limit) <> 'object' then
    perform watermark.raise_invalid('response.rate_limit', 'must be an object like {"resets_in_seconds": 3600, "remaining": 2999, "requested_entity": "Fixture"}');
  end if;
  if jsonb_typeof(rate_limit -> 'resets_in_seconds') is distinct from 'number' or (rate_limit ->> 'resets_in_seconds')::numeric < 0 then
    perform watermark.raise_invalid('response.rate_limit.resets_in_seconds', format('must be a non-negative number, got %s', rate_limit -> 'resets_in_seconds'));
  end if;
  if jsonb_typeof(rate_limit -> 'remaining') is distinct from 'number'
      or (rate_limit ->> 'remaining')::numeric <> trunc((rate_limit ->> 'remaining')::numeric) then
    perform watermark.raise_invalid('response.rate_limit.remaining', format('must be a whole number, got %s', rate_limit -> 'remaining'));
  end if;
  if jsonb_typeof(rate_limit -> 'requested_entity') is distinct from 'string' or rate_limit ->> 'requested_entity' = '' then
    perform watermark.raise_invalid('response.rate_limit.requested_entity', format('must name the entity, got %s', rate_limit -> 'requested_entity'));
  end if;
end
$$;

-- Helpers run inside the invoker RPCs, so the API roles need EXECUTE on them;
-- they are not exposed (schema watermark is not in the Data API).
grant execute on function watermark.collection_settings_row() to authenticated, service_role;
grant execute on function watermark.backoff_interval(integer, integer, integer) to service_role;
grant execute on function watermark.refresh_chunk(text) to service_role;
grant execute on function watermark.full_time_at(integer, timestamp, timestamptz, watermark.collection_settings) to service_role;
grant execute on function watermark.next_check_at(integer, timestamp, timestamptz, watermark.collection_settings) to service_role;
grant execute on function watermark.chunk_needs_discovery(watermark.chunks, watermark.collection_settings) to authenticated, service_role;
grant execute on function watermark.chunk_blocker(watermark.chunks, integer, watermark.collection_settings) to authenticated, service_role;
grant execute on function watermark.lock_leased_chunk(text, uuid, boolean) to service_role;
grant execute on function watermark.require_array(jsonb, text, integer) to service_role;
grant execute on function watermark.json_id(jsonb, text, integer, text, boolean) to service_role;
grant execute on function watermark.json_timestamp(jsonb, text, integer, text) to service_role;
grant execute on function watermark.json_integer(jsonb, text, integer, text, bigint, bigint) to service_role;
grant execute on function watermark.json_boolean(jsonb, text, integer, text) to service_role;
grant execute on function watermark.json_date(jsonb, text, integer, text) to service_role;
grant execute on function watermark.fixture_quality(watermark.fixtures) to authenticated, service_role;
grant execute on function watermark.data_completeness(bigint, bigint, integer) to authenticated, service_role;
grant execute on function watermark.apply_fixture_failures(watermark.chunks, jsonb, text) to service_role;
grant execute on function watermark.require_checkpoint(jsonb) to service_role;
grant execute on function watermark.require_rate_limit(jsonb) to service_role;

-- ---------------------------------------------------------------------------
-- RPCs
-- ---------------------------------------------------------------------------

-- Catalogue from discovery (leagues, seasons); creates one chunk per season and
-- records the read (full: the whole catalog; otherwise ids above the known ones).
create function public.sync_collection_catalog(leagues jsonb, seasons jsonb default '[]', full_refresh boolean default false,
  execution_id text default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  element jsonb;
  idx integer := 0;
  league_count integer := 0;
  season_count integer := 0;
  chunk_count integer;
  lid bigint;
  sid bigint;
begin
  perform watermark.require_access(3, 'sync_collection_catalog');
  perform watermark.require_array(leagues, 'leagues', 10000);
  perform watermark.require_array(seasons, 'seasons', 100000);
  for element in select value from jsonb_array_elements(leagues) loop
    lid := watermark.json_id(element, 'leagues', idx, 'id', true);
    insert into watermark.leagues as l (id, name, short_code, country_id, active, data, synced_at)
    values (lid, element ->> 'name', element ->> 'short_code', watermark.json_id(element, 'leagues', idx, 'country_id', false),
            watermark.json_boolean(element, 'leagues', idx, 'active'), element, now())
    on conflict (id) do update set name = excluded.name, short_code = excluded.short_code, country_id = excluded.country_id,
      active = excluded.active, data = excluded.data, synced_at = now();
    league_count := league_count + 1;
    idx := idx + 1;
  end loop;
  idx := 0;
  for element in select value from jsonb_array_elements(seasons) loop
    sid := watermark.json_id(element, 'seasons', idx, 'id', true);
    lid := watermark.json_id(element, 'seasons', idx, 'league_id', true);
    if not exists (select 1 from watermark.leagues l where l.id = lid) then
      perform watermark.raise_invalid(format('seasons[%s].league_id', idx),
        format('league %s is unknown; include it in leagues', lid));
    end if;
    insert into watermark.seasons as s (id, league_id, name, is_current, finished, starting_at, ending_at, data, synced_at)
    values (sid, lid, element ->> 'name', watermark.json_boolean(element, 'seasons', idx, 'is_current'),
            watermark.json_boolean(element, 'seasons', idx, 'finished'),
            watermark.json_date(element, 'seasons', idx, 'starting_at'), watermark.json_date(element, 'seasons', idx, 'ending_at'),
            element, now())
    on conflict (id) do update set league_id = excluded.league_id, name = excluded.name, is_current = excluded.is_current,
      finished = excluded.finished, starting_at = excluded.starting_at, ending_at = excluded.ending_at,
      data = excluded.data, synced_at = now();
    season_count := season_count + 1;
    idx := idx + 1;
  end loop;
  with created as (
    insert into watermark.chunks (chunk_id, league_id, season_id)
    select s.league_id || '_' || s.id, s.league_id, s.id from watermark.seasons s
    on conflict (chunk_id) do nothing
    returning 1
  )
  select count(*)::integer into chunk_count from created;
  insert into watermark.catalog_syncs (kind, leagues, seasons, chunks_created, execution_id)
  values (case when coalesce(sync_collection_catalog.full_refresh, false) then 'full' else 'incremental' end,
          league_count, season_count, chunk_count, sync_collection_catalog.execution_id);
  -- A season that finished may settle its chunk now.
  perform watermark.refresh_chunk(ch.chunk_id)
     from watermark.chunks ch
    where ch.season_id in (select (e.v ->> 'id')::bigint from jsonb_array_elements(seasons) e(v));
  return jsonb_build_object('leagues', league_count, 'seasons', season_count, 'chunks_created', chunk_count);
end
$$;
grant execute on function public.sync_collection_catalog(jsonb, jsonb, boolean, text) to service_role;

-- Where the next catalog read starts: ids grow, so asking for ids above the
-- known ones finds new leagues and seasons in a call or two; a full read is
-- due every catalog_refresh_seconds (and before the first one).
create function public.get_catalog_cursor()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  cfg watermark.collection_settings := watermark.collection_settings_row();
  last_full timestamptz;
begin
  perform watermark.require_access(1, 'get_catalog_cursor');
  select max(cs.synced_at) into last_full from watermark.catalog_syncs cs where cs.kind = 'full';
  return jsonb_build_object(
    'league_id_after', (select max(l.id) from watermark.leagues l),
    'season_id_after', (select max(se.id) from watermark.seasons se),
    'last_full_sync_at', last_full,
    'full_refresh_due', last_full is null or last_full <= now() - make_interval(secs => cfg.catalog_refresh_seconds));
end
$$;
grant execute on function public.get_catalog_cursor() to authenticated, service_role;

-- The live collection settings, for dry runs and dashboards.
create function public.get_collection_settings()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'get_collection_settings');
  return to_jsonb(watermark.collection_settings_row()) - 'id';
end
$$;
grant execute on function public.get_collection_settings() to authenticated, service_role;

-- Claim the most urgent claimable chunk (watermark.chunk_blocker is null) under
-- a fresh lease, or null when none.
create function public.claim_chunk(
  owner text,
  lease_seconds integer default null,
  league_id bigint default null,
  season_id bigint default null,
  min_fixtures integer default null,
  execution_id text default null,
  exclude_chunk_ids text[] default '{}'
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  cfg watermark.collection_settings := watermark.collection_settings_row();
  c watermark.chunks;
  ttl integer := coalesce(claim_chunk.lease_seconds, cfg.default_lease_seconds);
  threshold integer := coalesce(claim_chunk.min_fixtures, cfg.min_fixtures);
  previous_owner text;
  discover boolean;
begin
  perform watermark.require_access(3, 'claim_chunk');
  if claim_chunk.owner is null or length(trim(claim_chunk.owner)) = 0 then
    perform watermark.raise_invalid('owner', 'is required; pass a name for this collector (host, function instance)');
  end if;
  if ttl not between 10 and 3600 then
    perform watermark.raise_invalid('lease_seconds', format('must be between 10 and 3600, got %s', ttl));
  end if;
  if threshold < 0 then
    perform watermark.raise_invalid('min_fixtures', format('must be 0 or more, got %s', threshold));
  end if;
  select ch.* into c
    from watermark.chunks ch
   where (claim_chunk.league_id is null or ch.league_id = claim_chunk.league_id)
     and (claim_chunk.season_id is null or ch.season_id = claim_chunk.season_id)
     and not (ch.chunk_id = any (coalesce(claim_chunk.exclude_chunk_ids, '{}')))
     and watermark.chunk_blocker(ch, threshold, cfg) is null
   order by ch.priority desc nulls first, ch.chunk_id
   limit 1
   for update of ch skip locked;
  if not found then
    return null;
  end if;
  discover := watermark.chunk_needs_discovery(c, cfg);
  previous_owner := case when c.lease_token is not null then c.lease_owner end;
  update watermark.chunks ch
     set status = 'running',
         lease_owner = claim_chunk.owner,
         lease_token = gen_random_uuid(),
         lease_expires_at = now() + make_interval(secs => ttl),
         lease_execution_id = claim_chunk.execution_id,
         last_claimed_at = now(),
         last_execution_id = coalesce(claim_chunk.execution_id, ch.last_execution_id),
         updated_at = now()
   where ch.chunk_id = c.chunk_id
  returning * into c;
  return jsonb_build_object(
    'chunk_id', c.chunk_id, 'league_id', c.league_id, 'season_id', c.season_id,
    'lease_token', c.lease_token, 'lease_expires_at', c.lease_expires_at,
    'checkpoint', c.checkpoint, 'priority', c.priority, 'attempts', c.attempts,
    'fixtures_total', c.fixtures_total, 'fixtures_pending', c.fixtures_pending,
    'discovered_at', c.discovered_at,
    'needs_discovery', discover,
    -- The threshold this claim applied: below it, the collector releases the chunk after discovery.
    'min_fixtures', threshold,
    -- A previous holder whose lease expired: the caller resumes from its checkpoint.
    'taken_over_from', previous_owner
  );
end
$$;
grant execute on function public.claim_chunk(text, integer, bigint, bigint, integer, text, text[]) to service_role;

create function public.renew_chunk_lease(chunk_id text, lease_token uuid, lease_seconds integer default null)
returns timestamptz
language plpgsql
set search_path = ''
as $$
declare
  ttl integer := coalesce(renew_chunk_lease.lease_seconds, (watermark.collection_settings_row()).default_lease_seconds);
  expires timestamptz;
begin
  perform watermark.require_access(3, 'renew_chunk_lease');
  if ttl not between 10 and 3600 then
    perform watermark.raise_invalid('lease_seconds', format('must be between 10 and 3600, got %s', ttl));
  end if;
  perform watermark.lock_leased_chunk(renew_chunk_lease.chunk_id, renew_chunk_lease.lease_token);
  update watermark.chunks ch
     set lease_expires_at = now() + make_interval(secs => ttl), updated_at = now()
   where ch.chunk_id = renew_chunk_lease.chunk_id
  returning ch.lease_expires_at into expires;
  return expires;
end
$$;
grant execute on function public.renew_chunk_lease(text, uuid, integer) to service_role;

-- The write core of register_chunk_fixtures and pipe_schedule_response, under
-- the lease the caller locked: each element comes with the field and index
-- its errors name (`fixtures[3]`, `response.data[2].rounds[0].fixtures[3]`).
create function watermark.register_schedule(c watermark.chunks, fixtures jsonb[], fixture_fields text[], fixture_idxs integer[],
  aggregates jsonb[], aggregate_fields text[], aggregate_idxs integer[])
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  element jsonb;
  field text;
  idx integer;
  fid bigint;
  state integer;
  kickoff timestamp;
  new_count integer := 0;
  known_count integer := 0;
  moved_count integer := 0;
  tie_count integer := 0;
  prior record;
  was_known boolean;
  registered boolean;
begin
  for element, field, idx in select * from unnest(fixtures, fixture_fields, fixture_idxs) loop
    fid := watermark.json_id(element, field, idx, 'id', true);
    if coalesce(watermark.json_id(element, field, idx, 'season_id', false), c.season_id) <> c.season_id then
      perform watermark.raise_invalid(format('%s[%s].season_id', field, idx),
        format('is %s but chunk %s holds season %s; register fixtures with their own chunk', element ->> 'season_id', c.chunk_id, c.season_id));
    end if;
    state := watermark.json_integer(element, field, idx, 'state_id', 1, 2147483647);
    kickoff := watermark.json_timestamp(element, field, idx, 'starting_at');
    select f.collected_at, f.state_id, f.starting_at, f.next_check_at into prior
      from watermark.fixtures f where f.id = fid and f.season_id = c.season_id;
    was_known := found;
    registered := false;
    insert into watermark.fixtures as f (id, league_id, season_id, stage_id, group_id, aggregate_id, round_id, leg, state_id,
      name, starting_at, starting_at_timestamp, discovered_at, next_check_at)
    values (fid, c.league_id, c.season_id,
      watermark.json_id(element, field, idx, 'stage_id', false),
      watermark.json_id(element, field, idx, 'group_id', false),
      watermark.json_id(element, field, idx, 'aggregate_id', false),
      watermark.json_id(element, field, idx, 'round_id', false),
      element ->> 'leg', state, element ->> 'name', kickoff,
      watermark.json_integer(element, field, idx, 'starting_at_timestamp', -9223372036854775808, 9223372036854775807),
      now(), now())
    on conflict (id) do update set
      discovered_at = now(),
      next_check_at = case
        when f.collected_at is null then f.next_check_at
        when excluded.state_id is distinct from f.state_id or excluded.starting_at is distinct from f.starting_at
          then least(f.next_check_at, now())
        else f.next_check_at end,
      -- Not collected yet: keep the schedule's view so the first collection is placed right.
      state_id = case when f.collected_at is null then excluded.state_id else f.state_id end,
      name = case when f.collected_at is null then excluded.name else f.name end,
      starting_at = case when f.collected_at is null then excluded.starting_at else f.starting_at end,
      starting_at_timestamp = case when f.collected_at is null then excluded.starting_at_timestamp else f.starting_at_timestamp end,
      stage_id = case when f.collected_at is null then excluded.stage_id else f.stage_id end,
      group_id = case when f.collected_at is null then excluded.group_id else f.group_id end,
      aggregate_id = case when f.collected_at is null then excluded.aggregate_id else f.aggregate_id end,
      round_id = case when f.collected_at is null then excluded.round_id else f.round_id end,
      leg = case when f.collected_at is null then excluded.leg else f.leg end
    where f.season_id = c.season_id
    returning true into registered;
    if not coalesce(registered, false) then
      perform watermark.raise_invalid(format('%s[%s].id', field, idx),
        format('fixture %s already belongs to another season', fid));
    end if;
    if not was_known then
      new_count := new_count + 1;
    elsif prior.collected_at is not null and (prior.state_id is distinct from state or prior.starting_at is distinct from kickoff) then
      moved_count := moved_count + 1;
    else
      known_count := known_count + 1;
    end if;
  end loop;
  for element, field, idx in select * from unnest(aggregates, aggregate_fields, aggregate_idxs) loop
    if coalesce(watermark.json_id(element, field, idx, 'season_id', false), c.season_id) <> c.season_id then
      perform watermark.raise_invalid(format('%s[%s].season_id', field, idx),
        format('is %s but chunk %s holds season %s', element ->> 'season_id', c.chunk_id, c.season_id));
    end if;
    if element ? 'fixture_ids' and (jsonb_typeof(element -> 'fixture_ids') <> 'array'
        or exists (select 1 from jsonb_array_elements(element -> 'fixture_ids') x(v)
                    where jsonb_typeof(x.v) <> 'number' or (x.v #>> '{}')::numeric <= 0
                       or (x.v #>> '{}')::numeric <> trunc((x.v #>> '{}')::numeric))) then
      perform watermark.raise_invalid(format('%s[%s].fixture_ids', field, idx), 'must be an array of positive fixture ids');
    end if;
    insert into watermark.fixture_aggregates as a (id, season_id, stage_id, name, fixture_ids, result, detail,
      winner_participant_id, data, updated_at)
    values (watermark.json_id(element, field, idx, 'id', true), c.season_id,
      watermark.json_id(element, field, idx, 'stage_id', false), element ->> 'name',
      coalesce((select array_agg((x.v #>> '{}')::bigint order by x.ord)
                  from jsonb_array_elements(element -> 'fixture_ids') with ordinality x(v, ord)), '{}'),
      element ->> 'result', element ->> 'detail',
      watermark.json_id(element, field, idx, 'winner_participant_id', false), element, now())
    on conflict (id) do update set stage_id = excluded.stage_id, name = excluded.name, fixture_ids = excluded.fixture_ids,
      result = excluded.result, detail = excluded.detail, winner_participant_id = excluded.winner_participant_id,
      data = excluded.data, updated_at = now()
    where a.season_id = c.season_id;
    if not found then
      perform watermark.raise_invalid(format('%s[%s].id', field, idx), 'this tie already belongs to another season');
    end if;
    tie_count := tie_count + 1;
  end loop;
  update watermark.chunks ch set discovered_at = now() where ch.chunk_id = c.chunk_id;
  perform watermark.refresh_chunk(c.chunk_id);
  return (select jsonb_build_object('registered', new_count, 'known', known_count, 'moved', moved_count, 'ties', tie_count,
      'fixtures_total', ch.fixtures_total, 'fixtures_pending', ch.fixtures_pending, 'priority', ch.priority)
    from watermark.chunks ch where ch.chunk_id = c.chunk_id);
end
$$;
grant execute on function watermark.register_schedule(watermark.chunks, jsonb[], text[], integer[], jsonb[], text[], integer[]) to service_role;

-- Fixtures from the chunk's season schedule (every stage layout), and its
-- two-legged ties, as rows: tests and tools register them directly; the
-- collector pipes the API's own answer to pipe_schedule_response instead. A
-- new fixture is due now. A collected one is due again now when the schedule
-- disagrees with what was collected (a new kickoff time, a new state:
-- postponed, rescheduled, finished), which is how parked fixtures come back;
-- otherwise its next_check_at stands.
create function public.register_chunk_fixtures(chunk_id text, lease_token uuid, fixtures jsonb, aggregates jsonb default '[]')
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c watermark.chunks;
begin
  perform watermark.require_access(3, 'register_chunk_fixtures');
  c := watermark.lock_leased_chunk(register_chunk_fixtures.chunk_id, register_chunk_fixtures.lease_token);
  perform watermark.require_array(fixtures, 'fixtures', 20000);
  perform watermark.require_array(coalesce(aggregates, '[]'), 'aggregates', 5000);
  return watermark.register_schedule(c,
    array(select e.v from jsonb_array_elements(fixtures) with ordinality e(v, ord) order by e.ord),
    array_fill('fixtures'::text, array[jsonb_array_length(fixtures)]),
    array(select (e.ord - 1)::integer from jsonb_array_elements(fixtures) with ordinality e(v, ord) order by e.ord),
    array(select e.v from jsonb_array_elements(coalesce(aggregates, '[]')) with ordinality e(v, ord) order by e.ord),
    array_fill('aggregates'::text, array[jsonb_array_length(coalesce(aggregates, '[]'))]),
    array(select (e.ord - 1)::integer from jsonb_array_elements(coalesce(aggregates, '[]')) with ordinality e(v, ord) order by e.ord));
end
$$;
grant execute on function public.register_chunk_fixtures(text, uuid, jsonb, jsonb) to service_role;

-- A list under element->key as an array ([] when absent or null), or WM001 naming `field.key`.
create function watermark.json_list(element jsonb, field text, key text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v jsonb := element -> key;
begin
  if v is null or v = 'null'::jsonb then return '[]'; end if;
  if jsonb_typeof(v) <> 'array' then
    perform watermark.raise_invalid(format('%s.%s', field, key), format('must be a JSON array, got %s', left(v::text, 100)));
  end if;
  return v;
end
$$;

-- What a season schedule answer (schedules/seasons/{id}, the whole body) holds:
-- its fixtures and two-legged ties, each with the field its errors name. Fixtures
-- sit in one of three places by stage layout: rounds[].fixtures (league and
-- group stages), the stage's fixtures (single-leg knockout rounds) and
-- aggregates[].fixtures (two-legged ties: their legs are listed only there). A
-- tie takes season and stage from its stage when it lacks them, and its legs
-- listed only under fixtures join fixture_ids. A fixture or tie listed twice
-- counts once (its last listing). A miss (a message and no data) is an empty
-- schedule; an in-body error code is refused.
create function watermark.schedule_entries(response jsonb)
returns table (kind text, element jsonb, field text, idx integer)
language plpgsql
immutable
set search_path = ''
-- Set-returning calls over JSON make the planner guess millions of rows, and
-- JIT would then spend over a second compiling a query that reads ~100.
set jit = off
as $$
declare
  stages jsonb;
begin
  if response is null or jsonb_typeof(response) <> 'object' then
    perform watermark.raise_invalid('response', 'must be the JSON object schedules/seasons answered (the whole body)');
  end if;
  if response ? 'code' then
    perform watermark.raise_invalid('response.code', format('Sportmonks answered error code %s (%s); the schedule is not read',
      response ->> 'code', coalesce(left(response ->> 'message', 300), 'no message')));
  end if;
  stages := coalesce(response -> 'data', case when response ? 'message' then '[]'::jsonb end);
  if stages is null then
    perform watermark.raise_invalid('response.data', 'is missing; a schedules/seasons answer carries data (or a message when the season has none)');
  end if;
  perform watermark.require_array(stages, 'response.data', 1000);
  if exists (select 1 from jsonb_array_elements(stages) s(v) where jsonb_typeof(s.v) <> 'object') then
    perform watermark.raise_invalid((select format('response.data[%s]', s.ord - 1) from jsonb_array_elements(stages) with ordinality s(v, ord)
                                      where jsonb_typeof(s.v) <> 'object' order by s.ord limit 1), 'must be a stage object');
  end if;
  return query
  with stage as (
    select s.v, format('response.data[%s]', s.ord - 1) as path, s.ord
      from jsonb_array_elements(stages) with ordinality s(v, ord)
  ),
  stage_round as (
    select r.v, format('%s.rounds[%s]', st.path, r.ord - 1) as path, st.ord as stage_ord, r.ord
      from stage st, jsonb_array_elements(watermark.json_list(st.v, st.path, 'rounds')) with ordinality r(v, ord)
  ),
  tie as (
    select a.v, st.v as stage, format('%s.aggregates', st.path) as list, (a.ord - 1)::integer as idx, st.ord as stage_ord, a.ord
      from stage st, jsonb_array_elements(watermark.json_list(st.v, st.path, 'aggregates')) with ordinality a(v, ord)
  ),
  listed as (
    -- In the answer's order: a stage's fixtures, its rounds', its ties'.
    select f.v, format('%s.fixtures', st.path) as list, (f.ord - 1)::integer as idx, array[st.ord, 0, 0, f.ord] as pos
      from stage st, jsonb_array_elements(watermark.json_list(st.v, st.path, 'fixtures')) with ordinality f(v, ord)
    union all
    select f.v, format('%s.fixtures', r.path), (f.ord - 1)::integer, array[r.stage_ord, 1, r.ord, f.ord]
      from stage_round r, jsonb_array_elements(watermark.json_list(r.v, r.path, 'fixtures')) with ordinality f(v, ord)
    union all
    select f.v, format('%s[%s].fixtures', t.list, t.idx), (f.ord - 1)::integer, array[t.stage_ord, 2, t.ord, f.ord]
      from tie t, jsonb_array_elements(watermark.json_list(t.v, format('%s[%s]', t.list, t.idx), 'fixtures')) with ordinality f(v, ord)
  )
  (select 'fixture', l.v, l.list, l.idx
     from (select distinct on (x.v -> 'id') x.* from listed x order by x.v -> 'id', x.pos desc) l
    order by l.pos)
  union all
  (select 'aggregate', t.tie_row, t.list, t.idx
    from (select distinct on (t.v -> 'id') t.list, t.idx, t.stage_ord, t.ord,
                 jsonb_build_object('id', t.v -> 'id',
                   'season_id', coalesce(nullif(t.v -> 'season_id', 'null'), nullif(t.stage -> 'season_id', 'null'), 'null'),
                   'stage_id', coalesce(nullif(t.v -> 'stage_id', 'null'), t.stage -> 'id', 'null'),
                   'name', coalesce(t.v -> 'name', 'null'),
                   'fixture_ids', case when jsonb_typeof(t.v -> 'fixture_ids') in ('array', 'null') or not t.v ? 'fixture_ids' then
                       (select coalesce(jsonb_agg(u.id order by u.first), '[]')
                          from (select x.id, min(x.pos) as first
                                  from (select i.v as id, i.ord as pos
                                          from jsonb_array_elements(coalesce(nullif(t.v -> 'fixture_ids', 'null'), '[]')) with ordinality i(v, ord)
                                        union all
                                        select lf.v -> 'id', 1000000 + lf.ord
                                          from jsonb_array_elements(watermark.json_list(t.v, format('%s[%s]', t.list, t.idx), 'fixtures'))
                                               with ordinality lf(v, ord)) x
                                 group by x.id) u)
                     else t.v -> 'fixture_ids' end,
                   'result', coalesce(t.v -> 'result', 'null'),
                   'detail', coalesce(t.v -> 'detail', 'null'),
                   'winner_participant_id', coalesce(t.v -> 'winner_participant_id', 'null')) as tie_row
            from tie t order by t.v -> 'id', t.stage_ord desc, t.ord desc) t
    order by t.stage_ord, t.ord);
end
$$;

-- The call's arguments, JSON in a request header (the body is the API's answer), or WM001 naming the header.
create function watermark.pipe_header(header text, what text, shape text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  args jsonb;
begin
  begin
    args := (current_setting('request.headers', true)::jsonb ->> header)::jsonb;
  exception when others then
    args := null;
  end;
  if args is null or jsonb_typeof(args) <> 'object' then
    perform watermark.raise_invalid(header, format('header must hold the %s as JSON: %s', what, shape));
  end if;
  return args;
end
$$;

-- The lease_token of a pipe header, or WM001 naming it.
create function watermark.pipe_lease_token(args jsonb, header text)
returns uuid
language plpgsql
immutable
set search_path = ''
as $$
begin
  return (args ->> 'lease_token')::uuid;
exception when invalid_text_representation then
  perform watermark.raise_invalid(header || '.lease_token', 'must be the lease_token claim_chunk returned');
  return null;
end
$$;

-- The one write of api_rate_limits: an entity's budget and its reset.
create function watermark.store_api_rate_limit(entity text, remaining integer, resets_at timestamptz)
returns void
language sql
set search_path = ''
as $$
  insert into watermark.api_rate_limits as r (entity, remaining, resets_at, updated_at)
  values (store_api_rate_limit.entity, store_api_rate_limit.remaining, store_api_rate_limit.resets_at, now())
  on conflict on constraint api_rate_limits_pkey do update set remaining = excluded.remaining, resets_at = excluded.resets_at, updated_at = now();
$$;

-- A piped answer's `rate_limit` (checked by require_rate_limit), saved with the
-- answer's write in its transaction, so the collector needs no save call of its own.
create function watermark.save_answer_rate_limit(rate_limit jsonb)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if rate_limit is null or rate_limit = 'null'::jsonb then return; end if;
  perform watermark.store_api_rate_limit(rate_limit ->> 'requested_entity', greatest(0, (rate_limit ->> 'remaining')::integer),
    now() + make_interval(secs => (rate_limit ->> 'resets_in_seconds')::double precision));
end
$$;

grant execute on function watermark.json_list(jsonb, text, text) to service_role;
grant execute on function watermark.schedule_entries(jsonb) to service_role;
grant execute on function watermark.pipe_header(text, text, text) to service_role;
grant execute on function watermark.pipe_lease_token(jsonb, text) to service_role;
grant execute on function watermark.store_api_rate_limit(text, integer, timestamptz) to service_role;
grant execute on function watermark.save_answer_rate_limit(jsonb) to service_role;

-- The collector's discovery, as a pipe: the body of a schedules/seasons answer
-- (HTTP 200) exactly as the API sent it, streamed by the collector unread (the
-- function never parses the ~0.5 MB schedule: its CPU is capped at 2 s); the
-- lease (chunk_id, lease_token) travels as JSON in the x-watermark-lease
-- header. Postgres reads the schedule (schedule_entries), registers it like
-- register_chunk_fixtures and saves the answer's rate_limit, in one
-- lease-checked transaction, and hands the rate_limit back.
create function public.pipe_schedule_response(jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  args jsonb;
  c watermark.chunks;
  fixtures jsonb[];
  fixture_fields text[];
  fixture_idxs integer[];
  aggregates jsonb[];
  aggregate_fields text[];
  aggregate_idxs integer[];
begin
  perform watermark.require_access(3, 'pipe_schedule_response');
  args := watermark.pipe_header('x-watermark-lease', 'lease', '{"chunk_id": …, "lease_token": …}');
  c := watermark.lock_leased_chunk(args ->> 'chunk_id', watermark.pipe_lease_token(args, 'x-watermark-lease'));
  select coalesce(array_agg(e.element order by e.ord) filter (where e.kind = 'fixture'), '{}'),
         coalesce(array_agg(e.field order by e.ord) filter (where e.kind = 'fixture'), '{}'),
         coalesce(array_agg(e.idx order by e.ord) filter (where e.kind = 'fixture'), '{}'),
         coalesce(array_agg(e.element order by e.ord) filter (where e.kind = 'aggregate'), '{}'),
         coalesce(array_agg(e.field order by e.ord) filter (where e.kind = 'aggregate'), '{}'),
         coalesce(array_agg(e.idx order by e.ord) filter (where e.kind = 'aggregate'), '{}')
    into fixtures, fixture_fields, fixture_idxs, aggregates, aggregate_fields, aggregate_idxs
    from watermark.schedule_entries($1) with ordinality e(kind, element, field, idx, ord);
  perform watermark.require_rate_limit($1 -> 'rate_limit');
  perform watermark.save_answer_rate_limit($1 -> 'rate_limit');
  return watermark.register_schedule(c, fixtures, fixture_fields, fixture_idxs, aggregates, aggregate_fields, aggregate_idxs)
    || jsonb_build_object('rate_limit', $1 -> 'rate_limit');
end
$$;
grant execute on function public.pipe_schedule_response(jsonb) to service_role;

-- A dry run's look at a schedule answer (piped like pipe_schedule_response, no
-- lease): how many fixtures and ties it holds, read by the same rules. It
-- writes nothing, its rate_limit included (a dry run keeps its budget in memory).
create function public.pipe_schedule_preview(jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  perform watermark.require_access(3, 'pipe_schedule_preview');
  perform watermark.require_rate_limit($1 -> 'rate_limit');
  return (select jsonb_build_object('fixtures', count(*) filter (where e.kind = 'fixture'),
                   'ties', count(*) filter (where e.kind = 'aggregate'), 'rate_limit', $1 -> 'rate_limit')
            from watermark.schedule_entries($1) e);
end
$$;
grant execute on function public.pipe_schedule_preview(jsonb) to service_role;

-- Fixture ids of a chunk that need work, in id order after after_fixture_id
-- (default: the chunk's checkpoint). Reads only: dry runs use it too.
create function public.list_chunk_work(chunk_id text, after_fixture_id bigint default null, max_rows integer default 50)
returns bigint[]
language plpgsql
stable
set search_path = ''
as $$
declare
  -- Named columns, not the row: viewers may not read lease_token.
  c record;
  after_id bigint;
begin
  perform watermark.require_access(1, 'list_chunk_work');
  if max_rows is null or max_rows not between 1 and 1000 then
    perform watermark.raise_invalid('max_rows', format('must be between 1 and 1000, got %s', max_rows));
  end if;
  select ch.season_id, ch.checkpoint into c from watermark.chunks ch where ch.chunk_id = list_chunk_work.chunk_id;
  if not found then
    raise exception 'chunk % not found', list_chunk_work.chunk_id using errcode = 'WM002',
      hint = 'chunks are created by sync_collection_catalog; list them with list_chunks';
  end if;
  after_id := coalesce(list_chunk_work.after_fixture_id, (c.checkpoint ->> 'last_fixture_id')::bigint, 0);
  return coalesce((
    select array_agg(w.id order by w.id) from (
      select f.id from watermark.fixture_work f
       where f.season_id = c.season_id and f.id > after_id and f.needs_work
       order by f.id
       limit max_rows) w), '{}');
end
$$;
grant execute on function public.list_chunk_work(text, bigint, integer) to authenticated, service_role;

-- Write a batch of fixtures (the API's fixture objects, `positions` their index in
-- `field` for messages), record the batch's failures and advance the chunk's
-- checkpoint; the callers take the lease first, so it is one lease-checked
-- transaction: a lost lease writes nothing and a crash never leaves a checkpoint
-- past unwritten rows. Set-based: the whole batch is parsed and checked first, in element order (the
-- first bad element is named), then written in one statement per kind of row;
-- unchanged content (same hash) only moves its bookkeeping. A fixture listed
-- twice is written once, from its last listing.
create function watermark.write_fixture_batch(
  c watermark.chunks,
  fixtures jsonb[],
  positions integer[],
  field text,
  checkpoint jsonb,
  execution_id text,
  failures jsonb
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  cfg watermark.collection_settings := watermark.collection_settings_row();
  elements jsonb[];
  ids bigint[];
  seasons bigint[];
  leagues bigint[];
  states integer[];
  stages bigint[];
  groups bigint[];
  ties bigint[];
  rounds bigint[];
  venues bigint[];
  kickoffs timestamp[];
  stamps bigint[];
  lengths integer[];
  placeholders boolean[];
  odds boolean[];
  bad record;
  inserted_count integer;
  updated_count integer;
  unchanged_count integer;
  failed_count integer;
begin
  perform watermark.require_checkpoint(checkpoint);
  select coalesce(array_agg(p.v order by p.idx), '{}'), coalesce(array_agg(p.id order by p.idx), '{}'),
         coalesce(array_agg(p.season order by p.idx), '{}'), coalesce(array_agg(p.league order by p.idx), '{}'),
         coalesce(array_agg(p.state order by p.idx), '{}'), coalesce(array_agg(p.stage order by p.idx), '{}'),
         coalesce(array_agg(p.grp order by p.idx), '{}'), coalesce(array_agg(p.tie order by p.idx), '{}'),
         coalesce(array_agg(p.round order by p.idx), '{}'), coalesce(array_agg(p.venue order by p.idx), '{}'),
         coalesce(array_agg(p.kickoff order by p.idx), '{}'), coalesce(array_agg(p.stamp order by p.idx), '{}'),
         coalesce(array_agg(p.len order by p.idx), '{}'), coalesce(array_agg(p.placeholder order by p.idx), '{}'),
         coalesce(array_agg(p.odds order by p.idx), '{}')
    into elements, ids, seasons, leagues, states, stages, groups, ties, rounds, venues, kickoffs, stamps, lengths,
         placeholders, odds
    from (select e.idx, e.v,
                 watermark.json_id(e.v, field, e.idx, 'id', true) as id,
                 watermark.json_id(e.v, field, e.idx, 'season_id', true) as season,
                 watermark.json_id(e.v, field, e.idx, 'league_id', true) as league,
                 watermark.json_integer(e.v, field, e.idx, 'state_id', 1, 2147483647)::integer as state,
                 watermark.json_id(e.v, field, e.idx, 'stage_id', false) as stage,
                 watermark.json_id(e.v, field, e.idx, 'group_id', false) as grp,
                 watermark.json_id(e.v, field, e.idx, 'aggregate_id', false) as tie,
                 watermark.json_id(e.v, field, e.idx, 'round_id', false) as round,
                 watermark.json_id(e.v, field, e.idx, 'venue_id', false) as venue,
                 watermark.json_timestamp(e.v, field, e.idx, 'starting_at') as kickoff,
                 watermark.json_integer(e.v, field, e.idx, 'starting_at_timestamp',
                   -9223372036854775808, 9223372036854775807) as stamp,
                 watermark.json_integer(e.v, field, e.idx, 'length', 0, 2147483647)::integer as len,
                 watermark.json_boolean(e.v, field, e.idx, 'placeholder') as placeholder,
                 watermark.json_boolean(e.v, field, e.idx, 'has_odds') as odds
            from unnest(fixtures, positions) as e(v, idx)) p;
  select u.idx, u.season, u.league into bad
    from unnest(seasons, leagues, positions) with ordinality as u(season, league, idx, ord)
   where u.season <> c.season_id or u.league <> c.league_id
   order by u.ord limit 1;
  if found and bad.season <> c.season_id then
    perform watermark.raise_invalid(format('%s[%s].season_id', field, bad.idx),
      format('is %s but chunk %s holds season %s', bad.season, c.chunk_id, c.season_id));
  elsif found then
    perform watermark.raise_invalid(format('%s[%s].league_id', field, bad.idx),
      format('is %s but chunk %s holds league %s', bad.league, c.chunk_id, c.league_id));
  end if;
  select u.idx, u.id, f.season_id into bad
    from unnest(ids, positions) with ordinality as u(id, idx, ord)
    join watermark.fixtures f on f.id = u.id
   where f.season_id <> c.season_id
   order by u.ord limit 1;
  if found then
    perform watermark.raise_invalid(format('%s[%s].id', field, bad.idx), format('fixture %s already belongs to season %s', bad.id, bad.season_id));
  end if;

  -- One statement: the batch as parsed (the last listing of a fixture wins), compared with
  -- the stored rows; unchanged content only moves its bookkeeping, the rest is upserted.
  with batch as (
    select distinct on (i.id) i.id, i.element, h.hash, i.state, i.stage, i.grp, i.tie, i.round,
           i.venue, i.kickoff, i.stamp, i.len, i.placeholder, i.odds,
           f.collected_at is not null as collected, coalesce(f.content_hash = h.hash, false) as same,
           f.final_at
      from unnest(ids, elements, states, stages, groups, ties, rounds, venues, kickoffs, stamps, lengths, placeholders, odds)
             with ordinality as i(id, element, state, stage, grp, tie, round, venue, kickoff, stamp, len, placeholder, odds, ord)
      -- Equal jsonb hashes equal. Hashing the binary value skips rendering ~50 KB of
      -- text per fixture, which md5(text) spent most of a batch's time on.
      cross join lateral (select jsonb_hash_extended(i.element, 0)::text as hash) h
      left join watermark.fixtures f on f.id = i.id
     order by i.id, i.ord desc
  ),
  unchanged as (
    -- When to look next moves on, failures are cleared.
    update watermark.fixtures f
       set next_check_at = watermark.next_check_at(f.state_id, f.starting_at, f.final_at, cfg),
           last_error = null, attempts = 0, last_execution_id = write_fixture_batch.execution_id
      from batch b
     where f.id = b.id and b.same
    returning f.id
  ),
  written as (
    insert into watermark.fixtures as f (id, league_id, season_id, stage_id, group_id, aggregate_id, round_id, state_id,
      venue_id, name, starting_at, starting_at_timestamp, result_info, leg, length, placeholder, has_odds,
      events, lineups, statistics, participants, scores,
      collected_at, content_hash, is_final, final_at, discovered_at,
      next_check_at, attempts, last_error, last_execution_id)
    select b.id, c.league_id, c.season_id, b.stage, b.grp, b.tie, b.round, b.state, b.venue, b.element ->> 'name',
           b.kickoff, b.stamp, b.element ->> 'result_info', b.element ->> 'leg', b.len, b.placeholder, b.odds,
           b.element -> 'events', b.element -> 'lineups', b.element -> 'statistics', b.element -> 'participants',
           b.element -> 'scores', now(), b.hash,
           coalesce(b.state = any (cfg.final_state_ids), false), ft.at, now(),
           watermark.next_check_at(b.state, b.kickoff, ft.at, cfg), 0, null, write_fixture_batch.execution_id
      from batch b
      cross join lateral (select watermark.full_time_at(b.state, b.kickoff, b.final_at, cfg) as at) ft
     where not b.same
    on conflict (id) do update set
      stage_id = excluded.stage_id, group_id = excluded.group_id, aggregate_id = excluded.aggregate_id,
      round_id = excluded.round_id, state_id = excluded.state_id,
      venue_id = excluded.venue_id, name = excluded.name, starting_at = excluded.starting_at,
      starting_at_timestamp = excluded.starting_at_timestamp, result_info = excluded.result_info,
      leg = excluded.leg, length = excluded.length, placeholder = excluded.placeholder, has_odds = excluded.has_odds,
      events = excluded.events, lineups = excluded.lineups, statistics = excluded.statistics,
      participants = excluded.participants, scores = excluded.scores,
      collected_at = now(), content_hash = excluded.content_hash,
      is_final = excluded.is_final, final_at = excluded.final_at, next_check_at = excluded.next_check_at,
      attempts = 0, last_error = null, last_execution_id = excluded.last_execution_id
    returning f.id
  )
  select count(*) filter (where not b.collected), count(*) filter (where b.collected and not b.same),
         count(*) filter (where b.same)
    into inserted_count, updated_count, unchanged_count
    from batch b;

  failed_count := watermark.apply_fixture_failures(c, failures, write_fixture_batch.execution_id);
  update watermark.chunks ch
     set checkpoint = write_fixture_batch.checkpoint,
         last_execution_id = coalesce(write_fixture_batch.execution_id, ch.last_execution_id),
         updated_at = now()
   where ch.chunk_id = c.chunk_id;
  return jsonb_build_object('inserted', inserted_count, 'updated', updated_count, 'unchanged', unchanged_count,
    'failed', failed_count, 'rows_written', inserted_count + updated_count, 'checkpoint', checkpoint);
end
$$;
grant execute on function watermark.write_fixture_batch(watermark.chunks, jsonb[], integer[], text, jsonb, text, jsonb) to service_role;

-- Upsert a batch of fixture rows (the API's fixture objects), its failures and
-- the checkpoint: tests, tools and the sports bench write rows directly; the
-- collector sends the API's own answer to upsert_fixture_response instead.
create function public.upsert_fixture_batch(
  chunk_id text,
  lease_token uuid,
  fixtures jsonb,
  checkpoint jsonb,
  execution_id text default null,
  failures jsonb default '[]'
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c watermark.chunks;
  elements jsonb[];
  positions integer[];
begin
  perform watermark.require_access(3, 'upsert_fixture_batch');
  c := watermark.lock_leased_chunk(upsert_fixture_batch.chunk_id, upsert_fixture_batch.lease_token);
  perform watermark.require_array(fixtures, 'fixtures', 50);
  select coalesce(array_agg(e.v order by e.ord), '{}'), coalesce(array_agg((e.ord - 1)::integer order by e.ord), '{}')
    into elements, positions
    from jsonb_array_elements(fixtures) with ordinality as e(v, ord);
  return watermark.write_fixture_batch(c, elements, positions, 'fixtures', checkpoint, upsert_fixture_batch.execution_id,
    coalesce(failures, '[]'));
end
$$;
grant execute on function public.upsert_fixture_batch(text, uuid, jsonb, jsonb, text, jsonb) to service_role;

-- The collector's write: the body of a fixtures/multi answer (HTTP 200) exactly
-- as the API sent it, for the ids the collector asked for. The edge function
-- never parses it (its CPU is capped at 2 s per request); Postgres does, and
-- owns every rule about it: the envelope, each fixture's fields (named as
-- `response.data[i].<field>`), ids that answer the request, fixtures that
-- moved to another season (failures with backoff, like ids the API left out),
-- and the `rate_limit`, saved to api_rate_limits and returned so the collector
-- keeps its budget without a save call of its own. One
-- lease-checked transaction with write_fixture_batch: a bad answer writes nothing.
create function public.upsert_fixture_response(
  chunk_id text,
  lease_token uuid,
  fixture_ids bigint[],
  checkpoint jsonb,
  response jsonb,
  execution_id text default null
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c watermark.chunks;
  data jsonb;
  elements jsonb[];
  positions integer[];
  ids bigint[];
  seasons bigint[];
  failures jsonb;
  bad record;
  result jsonb;
begin
  perform watermark.require_access(3, 'upsert_fixture_response');
  c := watermark.lock_leased_chunk(upsert_fixture_response.chunk_id, upsert_fixture_response.lease_token);
  if fixture_ids is null or cardinality(fixture_ids) = 0 or cardinality(fixture_ids) > 50 then
    perform watermark.raise_invalid('fixture_ids', 'must list the 1 to 50 fixture ids sent to fixtures/multi');
  end if;
  if exists (select 1 from unnest(fixture_ids) i where i is null or i <= 0) then
    perform watermark.raise_invalid('fixture_ids', 'must be positive fixture ids');
  end if;
  if response is null or jsonb_typeof(response) <> 'object' then
    perform watermark.raise_invalid('response', 'must be the JSON object fixtures/multi answered (the whole body)');
  end if;
  if response ? 'code' then
    perform watermark.raise_invalid('response.code', format('Sportmonks answered error code %s (%s); the batch is not collected',
      response ->> 'code', coalesce(left(response ->> 'message', 300), 'no message')));
  end if;
  -- A miss (no fixture found) is HTTP 200 with a message and no data: every id is missing.
  data := coalesce(response -> 'data', case when response ? 'message' then '[]'::jsonb end);
  if data is null then
    perform watermark.raise_invalid('response.data', 'is missing; a fixtures/multi answer carries data (or a message when nothing matched)');
  end if;
  perform watermark.require_array(data, 'response.data', 50);
  perform watermark.require_rate_limit(response -> 'rate_limit');

  select coalesce(array_agg(e.v order by e.ord), '{}'), coalesce(array_agg((e.ord - 1)::integer order by e.ord), '{}'),
         coalesce(array_agg(watermark.json_id(e.v, 'response.data', (e.ord - 1)::integer, 'id', true) order by e.ord), '{}'),
         coalesce(array_agg(watermark.json_id(e.v, 'response.data', (e.ord - 1)::integer, 'season_id', true) order by e.ord), '{}')
    into elements, positions, ids, seasons
    from jsonb_array_elements(data) with ordinality as e(v, ord);
  select u.idx, u.id into bad
    from unnest(ids, positions) as u(id, idx)
   where u.id <> all (fixture_ids)
   order by u.idx limit 1;
  if found then
    perform watermark.raise_invalid(format('response.data[%s].id', bad.idx),
      format('fixture %s was not asked for; this answer does not belong to the batch sent', bad.id));
  end if;
  -- Asked for but absent, or moved to another season: failures with backoff (the
  -- schedule's next discovery registers a moved fixture under its new season).
  select coalesce(jsonb_agg(jsonb_build_object('fixture_id', f.id, 'error', f.error) order by f.id), '[]')
    into failures
    from (select r.id, 'not returned by fixtures/multi (deleted or not in the plan)' as error
            from unnest(fixture_ids) r(id)
           where r.id <> all (ids)
          union all
          select u.id, format('fixtures/multi reports season %s, not %s', u.season, c.season_id)
            from unnest(ids, seasons) u(id, season)
           where u.season <> c.season_id) f;
  select coalesce(array_agg(u.v order by u.idx), '{}'), coalesce(array_agg(u.idx order by u.idx), '{}')
    into elements, positions
    from unnest(elements, positions, seasons) u(v, idx, season)
   where u.season = c.season_id;
  result := watermark.write_fixture_batch(c, elements, positions, 'response.data', checkpoint,
    upsert_fixture_response.execution_id, failures);
  perform watermark.save_answer_rate_limit(response -> 'rate_limit');
  return result || jsonb_build_object('rate_limit', response -> 'rate_limit');
end
$$;
grant execute on function public.upsert_fixture_response(text, uuid, bigint[], jsonb, jsonb, text) to service_role;

-- The pipe's HTTP entry. PostgREST hands a function whose only parameter is an
-- unnamed jsonb the request body as it came, so the collector streams the
-- fixtures/multi answer straight from the API into this call without reading
-- it; the batch's own arguments (chunk_id, lease_token, fixture_ids,
-- checkpoint, execution_id) travel as JSON in the x-watermark-batch header.
create function public.pipe_fixture_response(jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  batch jsonb;
begin
  perform watermark.require_access(3, 'pipe_fixture_response');
  batch := watermark.pipe_header('x-watermark-batch', 'batch', '{"chunk_id": …, "lease_token": …, "fixture_ids": […], "checkpoint": {…}}');
  if jsonb_typeof(batch -> 'fixture_ids') is distinct from 'array' or exists (
      select 1 from jsonb_array_elements(batch -> 'fixture_ids') i(v)
       where jsonb_typeof(i.v) <> 'number' or (i.v #>> '{}')::numeric <> trunc((i.v #>> '{}')::numeric)) then
    perform watermark.raise_invalid('x-watermark-batch.fixture_ids', 'must list the fixture ids sent to fixtures/multi');
  end if;
  return public.upsert_fixture_response(batch ->> 'chunk_id', watermark.pipe_lease_token(batch, 'x-watermark-batch'),
    array(select (i.v #>> '{}')::bigint from jsonb_array_elements(batch -> 'fixture_ids') with ordinality i(v, ord) order by i.ord),
    batch -> 'checkpoint', $1, batch ->> 'execution_id');
end
$$;
grant execute on function public.pipe_fixture_response(jsonb) to service_role;

create function public.record_fixture_failures(chunk_id text, lease_token uuid, failures jsonb, execution_id text default null)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  c watermark.chunks;
begin
  perform watermark.require_access(3, 'record_fixture_failures');
  c := watermark.lock_leased_chunk(record_fixture_failures.chunk_id, record_fixture_failures.lease_token);
  return watermark.apply_fixture_failures(c, failures, record_fixture_failures.execution_id);
end
$$;
grant execute on function public.record_fixture_failures(text, uuid, jsonb, text) to service_role;

-- An operator's "collect these again": fixtures of a league, a season, a chunk
-- or a list of ids are due now, and their chunks start a new pass (checkpoint,
-- backoff and not-in-plan mark cleared; the schedule is read again). Chunks
-- under a live lease keep their checkpoint (their collector owns it) but their
-- fixtures are still requeued. Every touched chunk is audited.
create function public.requeue_collection(
  league_id bigint default null,
  season_id bigint default null,
  chunk_id text default null,
  fixture_ids bigint[] default null,
  reason text default null
)
returns jsonb
language plpgsql
-- Definer: operators are authenticated users without write grants on the tables;
-- require_access(2) below is the gate.
security definer
set search_path = ''
as $$
declare
  fixture_count integer;
  chunk_ids text[];
begin
  perform watermark.require_access(2, 'requeue_collection');
  if num_nulls(league_id, season_id, chunk_id, fixture_ids) = 4 then
    perform watermark.raise_invalid('league_id', 'name what to requeue: league_id, season_id, chunk_id or fixture_ids');
  end if;
  if cardinality(fixture_ids) > 10000 then
    perform watermark.raise_invalid('fixture_ids', 'at most 10000 ids per call');
  end if;
  if requeue_collection.chunk_id is not null
     and not exists (select 1 from watermark.chunks ch where ch.chunk_id = requeue_collection.chunk_id) then
    raise exception 'chunk % not found', requeue_collection.chunk_id using errcode = 'WM002',
      hint = 'list the chunks with list_chunks';
  end if;
  with targets as (
    select f.id, f.season_id from watermark.fixtures f
      join watermark.chunks ch on ch.season_id = f.season_id
     where (requeue_collection.league_id is null or f.league_id = requeue_collection.league_id)
       and (requeue_collection.season_id is null or f.season_id = requeue_collection.season_id)
       and (requeue_collection.chunk_id is null or ch.chunk_id = requeue_collection.chunk_id)
       and (requeue_collection.fixture_ids is null or f.id = any (requeue_collection.fixture_ids))
  ), requeued as (
    update watermark.fixtures f set next_check_at = now(), attempts = 0, last_error = null
      from targets t where f.id = t.id
    returning f.id
  )
  select count(*)::integer into fixture_count from requeued;
  with touched as (
    update watermark.chunks ch
       set checkpoint = case when ch.lease_expires_at > now() then ch.checkpoint else '{}'::jsonb end,
           next_attempt_at = null, not_in_plan_until = null, settled_at = null,
           -- Whole chunks (not a list of fixtures) read their schedule again too.
           discovered_at = case when requeue_collection.fixture_ids is null then null else ch.discovered_at end,
           status = case when ch.status in ('done', 'failed', 'not_in_plan') then 'pending' else ch.status end,
           updated_at = now()
     where (requeue_collection.league_id is null or ch.league_id = requeue_collection.league_id)
       and (requeue_collection.season_id is null or ch.season_id = requeue_collection.season_id)
       and (requeue_collection.chunk_id is null or ch.chunk_id = requeue_collection.chunk_id)
       and (requeue_collection.fixture_ids is null
            or exists (select 1 from watermark.fixtures f
                        where f.season_id = ch.season_id and f.id = any (requeue_collection.fixture_ids)))
    returning ch.chunk_id
  ), audited as (
    insert into watermark.chunk_audit (chunk_id, action, actor, details)
    select t.chunk_id, 'requeue', watermark.caller(),
           jsonb_build_object('reason', reason, 'fixture_ids', to_jsonb(fixture_ids))
      from touched t
    returning chunk_audit.chunk_id
  )
  select coalesce(array_agg(a.chunk_id order by a.chunk_id), '{}') into chunk_ids from audited a;
  perform watermark.refresh_chunk(x) from unnest(chunk_ids) x;
  return jsonb_build_object('fixtures', fixture_count, 'chunks', cardinality(chunk_ids), 'chunk_ids', to_jsonb(chunk_ids));
end
$$;
grant execute on function public.requeue_collection(bigint, bigint, text, bigint[], text) to authenticated, service_role;

-- End a lease. outcome: 'done' (pass finished: checkpoint reset), 'pending'
-- (stopped early: checkpoint kept for the next claimer), 'failed' (chunk backoff).
-- A matching token releases even after expiry if nobody claimed the chunk since.
create function public.release_chunk(chunk_id text, lease_token uuid, outcome text, error text default null, execution_id text default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  cfg watermark.collection_settings := watermark.collection_settings_row();
  c watermark.chunks;
begin
  perform watermark.require_access(3, 'release_chunk');
  if outcome is null or outcome not in ('done', 'pending', 'failed', 'not_in_plan') then
    perform watermark.raise_invalid('outcome',
      format('must be done, pending, failed or not_in_plan, got %s', coalesce(outcome, 'null')));
  end if;
  if outcome in ('failed', 'not_in_plan') and (error is null or length(error) = 0) then
    perform watermark.raise_invalid('error', format('is required when outcome is %s; say what went wrong', outcome));
  end if;
  -- An expired lease is released too while its token still matches (nobody claimed the chunk since).
  c := watermark.lock_leased_chunk(release_chunk.chunk_id, release_chunk.lease_token, allow_expired => true);
  update watermark.chunks ch
     set lease_owner = null, lease_token = null, lease_expires_at = null, lease_execution_id = null,
         status = outcome,
         checkpoint = case when outcome = 'done' then '{}'::jsonb else ch.checkpoint end,
         completed_at = case when outcome = 'done' then now() else ch.completed_at end,
         attempts = case when outcome = 'failed' then ch.attempts + 1 when outcome = 'done' then 0 else ch.attempts end,
         next_attempt_at = case when outcome = 'failed'
           then now() + watermark.backoff_interval(ch.attempts + 1, cfg.chunk_backoff_base_seconds, cfg.chunk_backoff_max_seconds) end,
         not_in_plan_until = case when outcome = 'not_in_plan' then now() + make_interval(secs => cfg.plan_recheck_seconds) end,
         last_error = case when outcome in ('failed', 'not_in_plan') then left(error, 2000)
                           when outcome = 'done' then null else ch.last_error end,
         last_execution_id = coalesce(release_chunk.execution_id, ch.last_execution_id),
         updated_at = now()
   where ch.chunk_id = c.chunk_id;
  perform watermark.refresh_chunk(c.chunk_id);
  return (select jsonb_build_object('chunk_id', ch.chunk_id, 'status', ch.status, 'fixtures_total', ch.fixtures_total,
      'fixtures_pending', ch.fixtures_pending, 'next_attempt_at', ch.next_attempt_at)
    from watermark.chunks ch where ch.chunk_id = c.chunk_id);
end
$$;
grant execute on function public.release_chunk(text, uuid, text, text, text) to service_role;

-- The seed's --clear-checkpoint: the next pass over these chunks starts from the
-- first fixture. Chunks under a live lease are skipped (their collector owns the
-- checkpoint). Every cleared chunk is audited with the caller.
create function public.clear_chunk_checkpoints(league_id bigint default null, season_id bigint default null, reason text default null)
returns jsonb
language plpgsql
-- Definer: operators are authenticated users without write grants on the tables;
-- require_access(2) below is the gate.
security definer
set search_path = ''
as $$
declare
  cleared text[];
  skipped integer;
begin
  perform watermark.require_access(2, 'clear_chunk_checkpoints');
  select count(*)::integer into skipped from watermark.chunks ch
   where (clear_chunk_checkpoints.league_id is null or ch.league_id = clear_chunk_checkpoints.league_id)
     and (clear_chunk_checkpoints.season_id is null or ch.season_id = clear_chunk_checkpoints.season_id)
     and ch.lease_expires_at > now();
  with updated as (
    update watermark.chunks ch
       set checkpoint = '{}', updated_at = now()
     where (clear_chunk_checkpoints.league_id is null or ch.league_id = clear_chunk_checkpoints.league_id)
       and (clear_chunk_checkpoints.season_id is null or ch.season_id = clear_chunk_checkpoints.season_id)
       and (ch.lease_expires_at is null or ch.lease_expires_at <= now())
       and ch.checkpoint <> '{}'
    returning ch.chunk_id, ch.checkpoint
  ), audited as (
    insert into watermark.chunk_audit (chunk_id, action, actor, details)
    select u.chunk_id, 'clear_checkpoint', watermark.caller(), jsonb_build_object('reason', reason)
      from updated u
    returning chunk_id
  )
  select coalesce(array_agg(a.chunk_id order by a.chunk_id), '{}') into cleared from audited a;
  return jsonb_build_object('cleared', cardinality(cleared), 'chunk_ids', to_jsonb(cleared), 'skipped_leased', skipped);
end
$$;
grant execute on function public.clear_chunk_checkpoints(bigint, bigint, text) to authenticated, service_role;

create function public.set_collection_settings(
  priority_per_pending_fixture numeric default null,
  min_fixtures integer default null,
  default_lease_seconds integer default null,
  fixture_backoff_base_seconds integer default null,
  fixture_backoff_max_seconds integer default null,
  chunk_backoff_base_seconds integer default null,
  chunk_backoff_max_seconds integer default null,
  rediscover_after_seconds integer default null,
  final_state_ids integer[] default null,
  settle_after_seconds integer[] default null,
  parked_state_ids integer[] default null,
  live_recollect_seconds integer default null,
  catalog_refresh_seconds integer default null,
  plan_recheck_seconds integer default null
)
returns jsonb
language plpgsql
-- Definer: operators are authenticated users without write grants on the tables;
-- require_access(2) below is the gate.
security definer
set search_path = ''
as $$
declare
  result watermark.collection_settings;
begin
  perform watermark.require_access(2, 'set_collection_settings');
  perform watermark.require_non_negative('priority_per_pending_fixture', priority_per_pending_fixture);
  perform watermark.require_non_negative('min_fixtures', min_fixtures);
  if default_lease_seconds not between 10 and 3600 then perform watermark.raise_invalid('default_lease_seconds', 'must be between 10 and 3600'); end if;
  if fixture_backoff_base_seconds <= 0 then perform watermark.raise_invalid('fixture_backoff_base_seconds', 'must be positive'); end if;
  if fixture_backoff_max_seconds <= 0 then perform watermark.raise_invalid('fixture_backoff_max_seconds', 'must be positive'); end if;
  if chunk_backoff_base_seconds <= 0 then perform watermark.raise_invalid('chunk_backoff_base_seconds', 'must be positive'); end if;
  if chunk_backoff_max_seconds <= 0 then perform watermark.raise_invalid('chunk_backoff_max_seconds', 'must be positive'); end if;
  if rediscover_after_seconds <= 0 then perform watermark.raise_invalid('rediscover_after_seconds', 'must be positive'); end if;
  if settle_after_seconds is not null and (cardinality(settle_after_seconds) > 10 or array_position(settle_after_seconds, null) is not null
      or not 0 < all (settle_after_seconds)) then
    perform watermark.raise_invalid('settle_after_seconds',
      'must be at most 10 positive numbers of seconds after full time, e.g. {7200,86400}; {} turns re-collection after full time off');
  end if;
  if array_position(final_state_ids, null) is not null then perform watermark.raise_invalid('final_state_ids', 'must not hold null'); end if;
  if array_position(parked_state_ids, null) is not null then perform watermark.raise_invalid('parked_state_ids', 'must not hold null'); end if;
  if live_recollect_seconds <= 0 then perform watermark.raise_invalid('live_recollect_seconds', 'must be positive'); end if;
  if catalog_refresh_seconds <= 0 then perform watermark.raise_invalid('catalog_refresh_seconds', 'must be positive'); end if;
  if plan_recheck_seconds <= 0 then perform watermark.raise_invalid('plan_recheck_seconds', 'must be positive'); end if;
  update watermark.collection_settings s set
    priority_per_pending_fixture = coalesce(set_collection_settings.priority_per_pending_fixture, s.priority_per_pending_fixture),
    min_fixtures = coalesce(set_collection_settings.min_fixtures, s.min_fixtures),
    default_lease_seconds = coalesce(set_collection_settings.default_lease_seconds, s.default_lease_seconds),
    fixture_backoff_base_seconds = coalesce(set_collection_settings.fixture_backoff_base_seconds, s.fixture_backoff_base_seconds),
    fixture_backoff_max_seconds = coalesce(set_collection_settings.fixture_backoff_max_seconds, s.fixture_backoff_max_seconds),
    chunk_backoff_base_seconds = coalesce(set_collection_settings.chunk_backoff_base_seconds, s.chunk_backoff_base_seconds),
    chunk_backoff_max_seconds = coalesce(set_collection_settings.chunk_backoff_max_seconds, s.chunk_backoff_max_seconds),
    rediscover_after_seconds = coalesce(set_collection_settings.rediscover_after_seconds, s.rediscover_after_seconds),
    final_state_ids = coalesce(set_collection_settings.final_state_ids, s.final_state_ids),
    settle_after_seconds = coalesce(set_collection_settings.settle_after_seconds, s.settle_after_seconds),
    parked_state_ids = coalesce(set_collection_settings.parked_state_ids, s.parked_state_ids),
    live_recollect_seconds = coalesce(set_collection_settings.live_recollect_seconds, s.live_recollect_seconds),
    catalog_refresh_seconds = coalesce(set_collection_settings.catalog_refresh_seconds, s.catalog_refresh_seconds),
    plan_recheck_seconds = coalesce(set_collection_settings.plan_recheck_seconds, s.plan_recheck_seconds),
    updated_at = now(), updated_by = watermark.caller()
  where s.id
  returning * into result;
  -- Who changed which setting, for the access audit (only the settings passed).
  perform watermark.audit('set_collection_settings', 'collection_settings', jsonb_strip_nulls(jsonb_build_object(
    'priority_per_pending_fixture', priority_per_pending_fixture, 'min_fixtures', min_fixtures,
    'default_lease_seconds', default_lease_seconds, 'fixture_backoff_base_seconds', fixture_backoff_base_seconds,
    'fixture_backoff_max_seconds', fixture_backoff_max_seconds, 'chunk_backoff_base_seconds', chunk_backoff_base_seconds,
    'chunk_backoff_max_seconds', chunk_backoff_max_seconds, 'rediscover_after_seconds', rediscover_after_seconds,
    'final_state_ids', final_state_ids, 'settle_after_seconds', settle_after_seconds, 'parked_state_ids', parked_state_ids,
    'live_recollect_seconds', live_recollect_seconds, 'catalog_refresh_seconds', catalog_refresh_seconds,
    'plan_recheck_seconds', plan_recheck_seconds)));
  -- The strategy changed: place every collected, healthy fixture's next check
  -- by the new rules (failing ones keep their backoff, due ones stay due).
  if num_nonnulls(settle_after_seconds, final_state_ids, parked_state_ids, live_recollect_seconds, rediscover_after_seconds) > 0 then
    update watermark.fixtures f
       set next_check_at = watermark.next_check_at(f.state_id, f.starting_at, f.final_at, result)
     where f.collected_at is not null and f.attempts = 0 and (f.next_check_at is null or f.next_check_at > now());
  end if;
  -- Priorities depend on the factor: recompute them now.
  perform watermark.refresh_chunk(ch.chunk_id) from watermark.chunks ch;
  return to_jsonb(result) - 'id';
end
$$;
grant execute on function public.set_collection_settings(numeric, integer, integer, integer, integer, integer, integer, integer, integer[],
  integer[], integer[], integer, integer, integer) to authenticated, service_role;

create function public.set_chunk_priority_boost(chunk_id text, priority_boost numeric)
returns numeric
language plpgsql
-- Definer: operators are authenticated users without write grants on the tables;
-- require_access(2) below is the gate.
security definer
set search_path = ''
as $$
declare
  result numeric;
begin
  perform watermark.require_access(2, 'set_chunk_priority_boost');
  if set_chunk_priority_boost.priority_boost is null then
    perform watermark.raise_invalid('priority_boost', 'is required; 0 removes a boost');
  end if;
  update watermark.chunks ch set priority_boost = set_chunk_priority_boost.priority_boost
   where ch.chunk_id = set_chunk_priority_boost.chunk_id;
  if not found then
    raise exception 'chunk % not found', set_chunk_priority_boost.chunk_id using errcode = 'WM002';
  end if;
  perform watermark.refresh_chunk(set_chunk_priority_boost.chunk_id);
  perform watermark.audit('set_chunk_priority_boost', set_chunk_priority_boost.chunk_id,
    jsonb_build_object('priority_boost', set_chunk_priority_boost.priority_boost));
  select ch.priority into result from watermark.chunks ch where ch.chunk_id = set_chunk_priority_boost.chunk_id;
  return result;
end
$$;
grant execute on function public.set_chunk_priority_boost(text, numeric) to authenticated, service_role;

create function public.load_api_rate_limit(entity text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(3, 'load_api_rate_limit');
  if load_api_rate_limit.entity is null or length(load_api_rate_limit.entity) = 0 then
    perform watermark.raise_invalid('entity', 'is required, e.g. Fixture');
  end if;
  return (select jsonb_build_object('entity', r.entity, 'remaining', r.remaining, 'resets_at', r.resets_at, 'updated_at', r.updated_at)
            from watermark.api_rate_limits r where r.entity = load_api_rate_limit.entity);
end
$$;
grant execute on function public.load_api_rate_limit(text) to service_role;

create function public.save_api_rate_limit(entity text, remaining integer, resets_at timestamptz)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform watermark.require_access(3, 'save_api_rate_limit');
  if save_api_rate_limit.entity is null or length(save_api_rate_limit.entity) = 0 then
    perform watermark.raise_invalid('entity', 'is required, e.g. Fixture');
  end if;
  if save_api_rate_limit.remaining is null or save_api_rate_limit.remaining < 0 then
    perform watermark.raise_invalid('remaining', 'must be 0 or more (the rate_limit.remaining the API reported)');
  end if;
  if save_api_rate_limit.resets_at is null then
    perform watermark.raise_invalid('resets_at', 'is required (now + rate_limit.resets_in_seconds)');
  end if;
  perform watermark.store_api_rate_limit(save_api_rate_limit.entity, save_api_rate_limit.remaining, save_api_rate_limit.resets_at);
end
$$;
grant execute on function public.save_api_rate_limit(text, integer, timestamptz) to service_role;

create function public.list_api_rate_limits()
returns table (entity text, remaining integer, resets_at timestamptz, updated_at timestamptz)
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_api_rate_limits');
  return query select r.entity, r.remaining, r.resets_at, r.updated_at from watermark.api_rate_limits r order by r.entity;
end
$$;
grant execute on function public.list_api_rate_limits() to authenticated, service_role;

-- Seed 002's control row for any pipeline/entity. Null arguments keep the stored value.
create function public.report_pipeline_status(
  pipeline text,
  entity text,
  source_total bigint default null,
  target_total bigint default null,
  watermark text default null,
  pending_since_watermark bigint default null,
  source_max_updated_at timestamptz default null,
  target_max_updated_at timestamptz default null,
  execution_id text default null,
  duration_seconds numeric default null,
  rows_written bigint default null,
  succeeded boolean default true,
  error_message text default null,
  expected_interval_seconds integer default null
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  result watermark.etl_control;
begin
  perform watermark.require_access(3, 'report_pipeline_status');
  if pipeline is null or pipeline !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    perform watermark.raise_invalid('pipeline', 'must be 1-63 lowercase letters, digits, _ . - (e.g. watermark)');
  end if;
  if entity is null or length(entity) not between 1 and 128 then
    perform watermark.raise_invalid('entity', 'is required (1-128 characters, e.g. fixtures)');
  end if;
  perform watermark.require_non_negative('source_total', source_total);
  perform watermark.require_non_negative('target_total', target_total);
  perform watermark.require_non_negative('pending_since_watermark', pending_since_watermark);
  perform watermark.require_non_negative('duration_seconds', duration_seconds);
  perform watermark.require_non_negative('rows_written', rows_written);
  if expected_interval_seconds <= 0 then perform watermark.raise_invalid('expected_interval_seconds', 'must be positive'); end if;
  if succeeded is null then perform watermark.raise_invalid('succeeded', 'must be true or false'); end if;
  insert into watermark.etl_control as e (pipeline, entity, source_total, target_total, watermark, pending_since_watermark,
    source_max_updated_at, target_max_updated_at, last_run_at, last_success_at, last_status, last_error, last_execution_id,
    last_duration_seconds, last_rows_written, last_throughput_rows_per_sec, expected_interval_seconds, updated_at)
  values (pipeline, entity, source_total, target_total, report_pipeline_status.watermark, pending_since_watermark,
    source_max_updated_at, target_max_updated_at, now(), case when succeeded then now() end,
    case when succeeded then 'succeeded' else 'failed' end, case when not succeeded then left(error_message, 2000) end,
    execution_id, duration_seconds, rows_written,
    case when duration_seconds > 0 and rows_written is not null then round(rows_written / duration_seconds, 3) end,
    expected_interval_seconds, now())
  on conflict on constraint etl_control_pkey do update set
    source_total = coalesce(excluded.source_total, e.source_total),
    target_total = coalesce(excluded.target_total, e.target_total),
    watermark = coalesce(excluded.watermark, e.watermark),
    pending_since_watermark = coalesce(excluded.pending_since_watermark, e.pending_since_watermark),
    source_max_updated_at = coalesce(excluded.source_max_updated_at, e.source_max_updated_at),
    target_max_updated_at = coalesce(excluded.target_max_updated_at, e.target_max_updated_at),
    last_run_at = now(),
    last_success_at = coalesce(excluded.last_success_at, e.last_success_at),
    last_status = excluded.last_status,
    last_error = excluded.last_error,
    last_execution_id = coalesce(excluded.last_execution_id, e.last_execution_id),
    last_duration_seconds = coalesce(excluded.last_duration_seconds, e.last_duration_seconds),
    last_rows_written = coalesce(excluded.last_rows_written, e.last_rows_written),
    last_throughput_rows_per_sec = coalesce(excluded.last_throughput_rows_per_sec, e.last_throughput_rows_per_sec),
    expected_interval_seconds = coalesce(excluded.expected_interval_seconds, e.expected_interval_seconds),
    updated_at = now()
  returning * into result;
  return to_jsonb(result);
end
$$;
grant execute on function public.report_pipeline_status(text, text, bigint, bigint, text, bigint, timestamptz, timestamptz, text, numeric, bigint, boolean, text, integer)
  to service_role;

-- The collector's own control row, computed from the fixtures table:
-- source = fixtures discovered, target = collected, pending = needing work now,
-- watermark = the newest collected_at.
create function public.report_collection_status(
  execution_id text default null,
  duration_seconds numeric default null,
  rows_written bigint default null,
  succeeded boolean default true,
  error_message text default null,
  expected_interval_seconds integer default null
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  totals record;
begin
  perform watermark.require_access(3, 'report_collection_status');
  select count(*) as source_total,
         count(*) filter (where f.collected_at is not null) as target_total,
         count(*) filter (where f.needs_work) as pending,
         max(f.discovered_at) as source_max,
         max(f.collected_at) as target_max
    into totals
    from watermark.fixture_work f;
  return public.report_pipeline_status('watermark', 'fixtures', totals.source_total, totals.target_total,
    to_char(totals.target_max at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), totals.pending,
    totals.source_max, totals.target_max, execution_id, duration_seconds, rows_written, succeeded, error_message,
    expected_interval_seconds);
end
$$;
grant execute on function public.report_collection_status(text, numeric, bigint, boolean, text, integer) to service_role;

-- A named row type: the RPC's parameter `pipeline` would collide with an OUT column of the same name.
create type watermark.pipeline_status as (
  pipeline text,
  entity text,
  source_total bigint,
  target_total bigint,
  coverage_percent numeric,
  watermark text,
  pending bigint,
  source_max_updated_at timestamptz,
  target_max_updated_at timestamptz,
  freshness_minutes numeric,
  last_run_at timestamptz,
  last_success_at timestamptz,
  last_status text,
  last_error text,
  last_execution_id text,
  last_duration_seconds numeric,
  throughput_rows_per_sec numeric,
  expected_interval_seconds integer,
  overdue boolean
);

create function public.get_pipeline_status(pipeline text default null)
returns setof watermark.pipeline_status
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'get_pipeline_status');
  return query
  select e.pipeline, e.entity, e.source_total, e.target_total,
         case when e.source_total > 0 then round(100.0 * coalesce(e.target_total, 0) / e.source_total, 2)
              when e.source_total = 0 then 100.0 end,
         e.watermark, e.pending_since_watermark, e.source_max_updated_at, e.target_max_updated_at,
         -- Seed 002's latency: how far the target lags the source; without those, age of the last success.
         round((extract(epoch from coalesce(greatest(e.source_max_updated_at - e.target_max_updated_at, interval '0'),
                                            now() - e.last_success_at)) / 60)::numeric, 1),
         e.last_run_at, e.last_success_at, e.last_status, e.last_error, e.last_execution_id, e.last_duration_seconds,
         e.last_throughput_rows_per_sec, e.expected_interval_seconds,
         coalesce(e.expected_interval_seconds is not null
                  and coalesce(e.last_success_at, '-infinity') < now() - make_interval(secs => e.expected_interval_seconds * 2), false)
    from watermark.etl_control e
   where get_pipeline_status.pipeline is null or e.pipeline = get_pipeline_status.pipeline
   order by e.pipeline, e.entity;
end
$$;
grant execute on function public.get_pipeline_status(text) to authenticated, service_role;

-- Chunk list with live progress for the dashboard and the CLI. The lease token is never returned.
create type watermark.chunk_progress as (
  chunk_id text,
  league_id bigint,
  league_name text,
  season_id bigint,
  season_name text,
  status text,
  priority numeric,
  fixtures_total integer,
  fixtures_collected bigint,
  fixtures_pending bigint,
  fixtures_failed bigint,
  attempts integer,
  next_attempt_at timestamptz,
  last_error text,
  lease_owner text,
  lease_expires_at timestamptz,
  checkpoint jsonb,
  discovered_at timestamptz,
  settled_at timestamptz,
  not_in_plan_until timestamptz,
  completed_at timestamptz,
  last_execution_id text
);

create function public.list_chunks(
  league_id bigint default null,
  season_id bigint default null,
  status text default null,
  max_rows integer default 100,
  after_chunk_id text default null
)
returns setof watermark.chunk_progress
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_chunks');
  if list_chunks.status is not null and list_chunks.status not in ('pending', 'running', 'done', 'failed', 'not_in_plan', 'stalled') then
    perform watermark.raise_invalid('status', 'must be pending, running, done, failed, not_in_plan or stalled');
  end if;
  if max_rows is null or max_rows not between 1 and 1000 then
    perform watermark.raise_invalid('max_rows', 'must be between 1 and 1000');
  end if;
  return query
  select ch.chunk_id, ch.league_id, l.name, ch.season_id, s.name,
         -- 'stalled': its collector stopped renewing; the next claim takes it over.
         case when ch.status = 'running' and (ch.lease_expires_at is null or ch.lease_expires_at <= now()) then 'stalled' else ch.status end,
         ch.priority, ch.fixtures_total,
         coalesce(fx.collected, 0), coalesce(fx.pending, 0), coalesce(fx.failed, 0),
         ch.attempts, ch.next_attempt_at, ch.last_error, ch.lease_owner, ch.lease_expires_at, ch.checkpoint,
         ch.discovered_at, ch.settled_at, ch.not_in_plan_until, ch.completed_at, ch.last_execution_id
    from watermark.chunks ch
    join watermark.leagues l on l.id = ch.league_id
    join watermark.seasons s on s.id = ch.season_id
    left join lateral (
      select count(*) filter (where f.collected_at is not null) as collected,
             count(*) filter (where f.needs_work) as pending,
             count(*) filter (where f.last_error is not null) as failed
        from watermark.fixture_work f where f.season_id = ch.season_id
    ) fx on true
   where (list_chunks.league_id is null or ch.league_id = list_chunks.league_id)
     and (list_chunks.season_id is null or ch.season_id = list_chunks.season_id)
     and (list_chunks.after_chunk_id is null or ch.chunk_id > list_chunks.after_chunk_id)
     and (list_chunks.status is null or list_chunks.status =
          case when ch.status = 'running' and (ch.lease_expires_at is null or ch.lease_expires_at <= now()) then 'stalled' else ch.status end)
   order by ch.chunk_id
   limit max_rows;
end
$$;
grant execute on function public.list_chunks(bigint, bigint, text, integer, text) to authenticated, service_role;

-- The claim queue as claim_chunk sees it: claimable chunks first in claim
-- order, then the others with what holds them back (watermark.chunk_blocker)
-- and until when. Dry runs plan from it; "no chunk needs work" explains itself with it.
create type watermark.chunk_queue_entry as (
  chunk_id text,
  league_id bigint,
  season_id bigint,
  priority numeric,
  claimable boolean,
  blocked_by text,
  blocked_until timestamptz,
  needs_discovery boolean,
  fixtures_total integer,
  fixtures_due bigint,
  lease_owner text,
  last_error text
);

create function public.list_chunk_queue(
  league_id bigint default null,
  season_id bigint default null,
  min_fixtures integer default null,
  max_rows integer default 1000
)
returns setof watermark.chunk_queue_entry
language plpgsql
stable
-- Definer: chunk_blocker reads the whole chunk row, lease token included, which
-- viewers may not select; only the columns above leave this function.
security definer
set search_path = ''
as $$
declare
  cfg watermark.collection_settings := watermark.collection_settings_row();
  threshold integer := coalesce(list_chunk_queue.min_fixtures, cfg.min_fixtures);
  walked watermark.chunks;
  claimable text[] := '{}';
  held text[] := '{}';
begin
  perform watermark.require_access(1, 'list_chunk_queue');
  if threshold < 0 then
    perform watermark.raise_invalid('min_fixtures', format('must be 0 or more, got %s', threshold));
  end if;
  if max_rows is null or max_rows not between 1 and 10000 then
    perform watermark.raise_invalid('max_rows', 'must be between 1 and 10000');
  end if;
  -- The page's chunks, walked in claim order (chunks_claim_idx) until it holds max_rows
  -- claimable ones: a short page judges a few chunks, not every chunk.
  for walked in
    select * from watermark.chunks c
     where (list_chunk_queue.league_id is null or c.league_id = list_chunk_queue.league_id)
       and (list_chunk_queue.season_id is null or c.season_id = list_chunk_queue.season_id)
     order by c.priority desc nulls first, c.chunk_id
  loop
    if watermark.chunk_blocker(walked, threshold, cfg) is null then
      claimable := claimable || walked.chunk_id;
      exit when cardinality(claimable) >= max_rows;
    elsif cardinality(held) < max_rows then
      held := held || walked.chunk_id;
    end if;
  end loop;
  return query
  select q.chunk_id, q.league_id, q.season_id, q.priority, q.blocker is null, q.blocker,
         case q.blocker
           when 'leased' then q.lease_expires_at
           when 'not_in_plan' then q.not_in_plan_until
           when 'backoff' then q.next_attempt_at
           when 'no_work' then least(
             (select min(f.next_check_at) from watermark.fixtures f where f.season_id = q.season_id and f.next_check_at is not null),
             case when q.settled_at is null then q.discovered_at + make_interval(secs => cfg.rediscover_after_seconds) end)
         end,
         q.discover, q.fixtures_total,
         (select count(*) from watermark.fixtures f where f.season_id = q.season_id and f.next_check_at <= now()),
         case when q.blocker = 'leased' then q.lease_owner end,
         q.last_error
    from (select ch.*, watermark.chunk_blocker(ch, threshold, cfg) as blocker,
                 watermark.chunk_needs_discovery(ch, cfg) as discover
            from watermark.chunks ch
           where ch.chunk_id = any (claimable || held)) q
   order by q.blocker is null desc, q.priority desc nulls first, q.chunk_id
   limit max_rows;
end
$$;
grant execute on function public.list_chunk_queue(bigint, bigint, integer, integer) to authenticated, service_role;

-- A season's two-legged ties with their legs, aggregate result and winner.
create function public.list_fixture_aggregates(season_id bigint)
returns setof watermark.fixture_aggregates
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_fixture_aggregates');
  if list_fixture_aggregates.season_id is null then
    perform watermark.raise_invalid('season_id', 'is required (list seasons with list_chunks)');
  end if;
  return query select a.* from watermark.fixture_aggregates a
    where a.season_id = list_fixture_aggregates.season_id order by a.stage_id, a.id;
end
$$;
grant execute on function public.list_fixture_aggregates(bigint) to authenticated, service_role;
