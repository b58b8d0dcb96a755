-- Why: the collected data, ready to use. watermark.fixtures keeps the API payload
-- (events, lineups, statistics, participants, scores as jsonb) as the source;
-- this migration derives a relational model from it in the same transaction that
-- stores it (a trigger on watermark.fixtures), so a correction after full time
-- replaces a fixture's children exactly. public.rebuild_sports_data re-derives
-- the model from the payload. Viewers read it through RPCs (the local stack
-- serves RPCs only, like the rest of Watermark); anon reads nothing.
--
-- Keys are the API's ids. A fixture's children are keyed (fixture_id, …) so
-- "replace this fixture's rows" is one index range.

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Type ids as the API names them (events, lineups, statistics, scores). A
-- lookup, not a constraint: the children keep type ids this table does not know
-- yet (new API types still load); a payload's own `type` include fills it.
create table watermark.sport_types (
  id bigint primary key,
  code text,
  name text,
  model_type text
);
insert into watermark.sport_types (id, code, name, model_type) values
  (1, '1st-half', '1ST_HALF', 'score'), (2, '2nd-half', '2ND_HALF', 'score'),
  (1525, 'current', 'CURRENT', 'score'), (48996, '2nd-half-only', '2ND_HALF_ONLY', 'score'),
  (10, 'var', 'VAR', 'event'), (14, 'goal', 'Goal', 'event'), (15, 'owngoal', 'Own goal', 'event'),
  (16, 'penalty', 'Penalty', 'event'), (17, 'missed-penalty', 'Missed penalty', 'event'),
  (18, 'substitution', 'Substitution', 'event'), (19, 'yellowcard', 'Yellowcard', 'event'),
  (20, 'redcard', 'Redcard', 'event'), (21, 'yellowredcard', 'Yellow/Red card', 'event'),
  (22, 'pen_shootout_miss', 'Penalty shootout miss', 'event'), (23, 'pen_shootout_goal', 'Penalty shootout goal', 'event'),
  (11, 'lineup', 'Lineup', 'lineup'), (12, 'bench', 'Bench', 'lineup'),
  (45, 'ball-possession', 'Ball Possession %', 'statistic'), (52, 'goals', 'Goals', 'statistic'),
  (84, 'yellowcards', 'Yellowcards', 'statistic');

-- Stages and rounds as the fixtures name them (the payload carries ids only).
create table watermark.stages (
  id bigint primary key,
  season_id bigint not null references watermark.seasons (id),
  league_id bigint not null
);
create index stages_season_idx on watermark.stages (season_id);

create table watermark.rounds (
  id bigint primary key,
  -- Every round the payload shows belongs to the stage of its fixture, stored first.
  stage_id bigint references watermark.stages (id),
  season_id bigint not null references watermark.seasons (id)
);
create index rounds_stage_idx on watermark.rounds (stage_id);

create table watermark.teams (
  id bigint primary key,
  -- Null for a team seen only as an event's, lineup's or statistic's participant_id.
  name text,
  short_code text,
  country_id bigint,
  venue_id bigint,
  image_path text,
  founded integer,
  type text,
  gender text
);

create table watermark.players (
  id bigint primary key,
  -- The name the newest payload gave (events' player_name, lineups' player_name, the player include).
  name text,
  display_name text,
  position_id bigint,
  country_id bigint,
  date_of_birth date
);

create table watermark.fixture_participants (
  fixture_id bigint not null references watermark.fixtures (id) on delete cascade,
  team_id bigint not null references watermark.teams (id),
  location text check (location in ('home', 'away')),
  -- Null until the fixture has a result (and for a draw the API sends false for both).
  winner boolean,
  position integer,
  primary key (fixture_id, team_id)
);
create index fixture_participants_team_idx on watermark.fixture_participants (team_id, fixture_id);

create table watermark.fixture_scores (
  fixture_id bigint not null references watermark.fixtures (id) on delete cascade,
  team_id bigint not null references watermark.teams (id),
  -- 1ST_HALF 1, 2ND_HALF 2 (running total), CURRENT 1525 (the result), 2ND_HALF_ONLY 48996 (watermark.sport_types).
  type_id bigint not null,
  score_id bigint,
  description text,
  goals integer,
  location text,
  primary key (fixture_id, team_id, type_id)
);

create table watermark.fixture_events (
  fixture_id bigint not null references watermark.fixtures (id) on delete cascade,
  id bigint not null,
  -- Match order: minute, extra minute, the API's sort_order (per team and kind), id.
  ordinal integer not null,
  type_id bigint,
  sub_type_id bigint,
  -- The team the API attributes the event to (participant_id).
  team_id bigint references watermark.teams (id),
  player_id bigint references watermark.players (id),
  related_player_id bigint references watermark.players (id),
  player_name text,
  related_player_name text,
  minute integer,
  extra_minute integer,
  period_id bigint,
  sort_order integer,
  result text,
  info text,
  addition text,
  primary key (fixture_id, id)
);
create index fixture_events_player_idx on watermark.fixture_events (player_id, type_id) where player_id is not null;

create table watermark.fixture_lineups (
  fixture_id bigint not null references watermark.fixtures (id) on delete cascade,
  id bigint not null,
  team_id bigint references watermark.teams (id),
  player_id bigint references watermark.players (id),
  -- 11 starting XI, 12 bench.
  type_id bigint,
  starter boolean generated always as (type_id = 11) stored,
  position_id bigint,
  formation_field text,
  formation_position integer,
  jersey_number integer,
  player_name text,
  primary key (fixture_id, id)
);
create index fixture_lineups_player_idx on watermark.fixture_lineups (player_id) where player_id is not null;

create table watermark.fixture_statistics (
  fixture_id bigint not null references watermark.fixtures (id) on delete cascade,
  team_id bigint not null references watermark.teams (id),
  type_id bigint not null,
  stat_id bigint,
  location text,
  -- data.value when it is a number; data keeps the API's object (some types carry more).
  value numeric,
  data jsonb,
  primary key (fixture_id, team_id, type_id)
);
create index fixture_statistics_type_idx on watermark.fixture_statistics (type_id, team_id);

-- Viewers read every table; only the derivation (definer) writes them.
do $$
declare
  t text;
begin
  foreach t in array array['sport_types', 'stages', 'rounds', 'teams', 'players', 'fixture_participants',
                           'fixture_scores', 'fixture_events', 'fixture_lineups', 'fixture_statistics'] loop
    execute format('alter table watermark.%I enable row level security', t);
    execute format('create policy "viewers can read %s" on watermark.%I for select to authenticated
                      using ((select watermark.access_level()) >= 1)', replace(t, '_', ' '), t);
    execute format('grant select on watermark.%I to authenticated, service_role', t);
  end loop;
end
$$;

-- One row per fixture with its result: home and away teams, goals (the CURRENT
-- score), the winner. The league table, the form and the docs' SQL read it.
create view watermark.fixture_results with (security_invoker = true) as
select f.id as fixture_id, f.league_id, f.season_id, f.stage_id, f.round_id, f.starting_at, f.state_id,
       -- Finished with a result (FT, AET, FT_PEN): what a table counts.
       coalesce(f.state_id in (5, 7, 8), false) as finished,
       h.team_id as home_team_id, a.team_id as away_team_id,
       hs.goals as home_goals, aws.goals as away_goals,
       case when hs.goals > aws.goals then h.team_id when aws.goals > hs.goals then a.team_id end as winner_team_id
  from watermark.fixtures f
  left join watermark.fixture_participants h on h.fixture_id = f.id and h.location = 'home'
  left join watermark.fixture_participants a on a.fixture_id = f.id and a.location = 'away'
  left join watermark.fixture_scores hs on hs.fixture_id = f.id and hs.team_id = h.team_id and hs.type_id = 1525
  left join watermark.fixture_scores aws on aws.fixture_id = f.id and aws.team_id = a.team_id and aws.type_id = 1525;
grant select on watermark.fixture_results to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Derivation
-- ---------------------------------------------------------------------------

-- The payload's arrays as typed rows, one view per include, in payload order.
-- A malformed value (a string where an id belongs, a fraction) becomes null
-- rather than failing the collection batch: the raw payload keeps it. Views,
-- not helper functions: they inline into the derivation's statements, so a
-- filter on fixture_id reads only those fixtures.
create view watermark.payload_participants with (security_invoker = true) as
select f.id as fixture_id, x.ord,
       case when jsonb_typeof(x.e -> 'id') = 'number' and length(x.e ->> 'id') < 19 then (x.e ->> 'id')::numeric::bigint end as id,
       x.e ->> 'name' as name,
       x.e ->> 'short_code' as short_code,
       case when jsonb_typeof(x.e -> 'country_id') = 'number' and length(x.e ->> 'country_id') < 19 then (x.e ->> 'country_id')::numeric::bigint end as country_id,
       case when jsonb_typeof(x.e -> 'venue_id') = 'number' and length(x.e ->> 'venue_id') < 19 then (x.e ->> 'venue_id')::numeric::bigint end as venue_id,
       x.e ->> 'image_path' as image_path,
       case when jsonb_typeof(x.e -> 'founded') = 'number' and length(x.e ->> 'founded') < 19 then (x.e ->> 'founded')::numeric::bigint end::integer as founded,
       x.e ->> 'type' as type,
       x.e ->> 'gender' as gender,
       case when x.e -> 'meta' ->> 'location' in ('home', 'away') then x.e -> 'meta' ->> 'location' end as location,
       case when jsonb_typeof(x.e -> 'meta' -> 'winner') = 'boolean' then (x.e -> 'meta' ->> 'winner')::boolean end as winner,
       case when jsonb_typeof(x.e -> 'meta' -> 'position') = 'number' and length(x.e -> 'meta' ->> 'position') < 19 then (x.e -> 'meta' ->> 'position')::numeric::bigint end::integer as position
  from watermark.fixtures f
  cross join lateral jsonb_array_elements(case when jsonb_typeof(f.participants) = 'array' then f.participants else '[]' end)
        with ordinality x(e, ord)
 where jsonb_typeof(x.e) = 'object';

create view watermark.payload_scores with (security_invoker = true) as
select f.id as fixture_id, x.ord,
       case when jsonb_typeof(x.e -> 'id') = 'number' and length(x.e ->> 'id') < 19 then (x.e ->> 'id')::numeric::bigint end as id,
       case when jsonb_typeof(x.e -> 'participant_id') = 'number' and length(x.e ->> 'participant_id') < 19 then (x.e ->> 'participant_id')::numeric::bigint end as team_id,
       case when jsonb_typeof(x.e -> 'type_id') = 'number' and length(x.e ->> 'type_id') < 19 then (x.e ->> 'type_id')::numeric::bigint end as type_id,
       x.e ->> 'description' as description,
       case when jsonb_typeof(x.e -> 'score' -> 'goals') = 'number' and length(x.e -> 'score' ->> 'goals') < 19 then (x.e -> 'score' ->> 'goals')::numeric::bigint end::integer as goals,
       x.e -> 'score' ->> 'participant' as location
  from watermark.fixtures f
  cross join lateral jsonb_array_elements(case when jsonb_typeof(f.scores) = 'array' then f.scores else '[]' end)
        with ordinality x(e, ord)
 where jsonb_typeof(x.e) = 'object';

create view watermark.payload_events with (security_invoker = true) as
select f.id as fixture_id, x.ord,
       case when jsonb_typeof(x.e -> 'id') = 'number' and length(x.e ->> 'id') < 19 then (x.e ->> 'id')::numeric::bigint end as id,
       case when jsonb_typeof(x.e -> 'type_id') = 'number' and length(x.e ->> 'type_id') < 19 then (x.e ->> 'type_id')::numeric::bigint end as type_id,
       case when jsonb_typeof(x.e -> 'sub_type_id') = 'number' and length(x.e ->> 'sub_type_id') < 19 then (x.e ->> 'sub_type_id')::numeric::bigint end as sub_type_id,
       case when jsonb_typeof(x.e -> 'participant_id') = 'number' and length(x.e ->> 'participant_id') < 19 then (x.e ->> 'participant_id')::numeric::bigint end as team_id,
       case when jsonb_typeof(x.e -> 'player_id') = 'number' and length(x.e ->> 'player_id') < 19 then (x.e ->> 'player_id')::numeric::bigint end as player_id,
       case when jsonb_typeof(x.e -> 'related_player_id') = 'number' and length(x.e ->> 'related_player_id') < 19 then (x.e ->> 'related_player_id')::numeric::bigint end as related_player_id,
       x.e ->> 'player_name' as player_name,
       x.e ->> 'related_player_name' as related_player_name,
       case when jsonb_typeof(x.e -> 'minute') = 'number' and length(x.e ->> 'minute') < 19 then (x.e ->> 'minute')::numeric::bigint end::integer as minute,
       case when jsonb_typeof(x.e -> 'extra_minute') = 'number' and length(x.e ->> 'extra_minute') < 19 then (x.e ->> 'extra_minute')::numeric::bigint end::integer as extra_minute,
       case when jsonb_typeof(x.e -> 'period_id') = 'number' and length(x.e ->> 'period_id') < 19 then (x.e ->> 'period_id')::numeric::bigint end as period_id,
       case when jsonb_typeof(x.e -> 'sort_order') = 'number' and length(x.e ->> 'sort_order') < 19 then (x.e ->> 'sort_order')::numeric::bigint end::integer as sort_order,
       x.e ->> 'result' as result,
       x.e ->> 'info' as info,
       x.e ->> 'addition' as addition,
       x.e -> 'type' as type,
       x.e -> 'player' as player
  from watermark.fixtures f
  cross join lateral jsonb_array_elements(case when jsonb_typeof(f.events) = 'array' then f.events else '[]' end)
        with ordinality x(e, ord)
 where jsonb_typeof(x.e) = 'object';

create view watermark.payload_lineups with (security_invoker = true) as
select f.id as fixture_id, x.ord,
       case when jsonb_typeof(x.e -> 'id') = 'number' and length(x.e ->> 'id') < 19 then (x.e ->> 'id')::numeric::bigint end as id,
       case when jsonb_typeof(x.e -> 'team_id') = 'number' and length(x.e ->> 'team_id') < 19 then (x.e ->> 'team_id')::numeric::bigint end as team_id,
       case when jsonb_typeof(x.e -> 'player_id') = 'number' and length(x.e ->> 'player_id') < 19 then (x.e ->> 'player_id')::numeric::bigint end as player_id,
       case when jsonb_typeof(x.e -> 'type_id') = 'number' and length(x.e ->> 'type_id') < 19 then (x.e ->> 'type_id')::numeric::bigint end as type_id,
       case when jsonb_typeof(x.e -> 'position_id') = 'number' and length(x.e ->> 'position_id') < 19 then (x.e ->> 'position_id')::numeric::bigint end as position_id,
       x.e ->> 'formation_field' as formation_field,
       case when jsonb_typeof(x.e -> 'formation_position') = 'number' and length(x.e ->> 'formation_position') < 19 then (x.e ->> 'formation_position')::numeric::bigint end::integer as formation_position,
       case when jsonb_typeof(x.e -> 'jersey_number') = 'number' and length(x.e ->> 'jersey_number') < 19 then (x.e ->> 'jersey_number')::numeric::bigint end::integer as jersey_number,
       x.e ->> 'player_name' as player_name
  from watermark.fixtures f
  cross join lateral jsonb_array_elements(case when jsonb_typeof(f.lineups) = 'array' then f.lineups else '[]' end)
        with ordinality x(e, ord)
 where jsonb_typeof(x.e) = 'object';

create view watermark.payload_statistics with (security_invoker = true) as
select f.id as fixture_id, x.ord,
       case when jsonb_typeof(x.e -> 'id') = 'number' and length(x.e ->> 'id') < 19 then (x.e ->> 'id')::numeric::bigint end as id,
       case when jsonb_typeof(x.e -> 'participant_id') = 'number' and length(x.e ->> 'participant_id') < 19 then (x.e ->> 'participant_id')::numeric::bigint end as team_id,
       case when jsonb_typeof(x.e -> 'type_id') = 'number' and length(x.e ->> 'type_id') < 19 then (x.e ->> 'type_id')::numeric::bigint end as type_id,
       x.e ->> 'location' as location,
       case when jsonb_typeof(x.e -> 'data' -> 'value') = 'number' then (x.e -> 'data' ->> 'value')::numeric end as value,
       x.e -> 'data' as data,
       x.e -> 'type' as type
  from watermark.fixtures f
  cross join lateral jsonb_array_elements(case when jsonb_typeof(f.statistics) = 'array' then f.statistics else '[]' end)
        with ordinality x(e, ord)
 where jsonb_typeof(x.e) = 'object';

-- Replaces the model rows of these fixtures with what their payload says:
-- dimensions upserted, children deleted and inserted, set-based. The one
-- definition used by the triggers and by rebuild_sports_data.
create function watermark.derive_sports_data(fixture_ids bigint[])
returns void
language plpgsql
-- Definer: the service role stores fixtures but has no write grant on the model.
security definer
set search_path = ''
-- Planning its dozen statements anew on every call (custom plans for the ids
-- array) cost three times the work itself; the generic plans serve one fixture
-- or five hundred alike (index probes on each table's fixture_id).
set plan_cache_mode = force_generic_plan
as $$
begin
  if coalesce(cardinality(fixture_ids), 0) = 0 then
    return;
  end if;
  -- Lock order: collectors of one league share teams and players. Each shared
  -- table is written by one statement in id order, tables always in the same
  -- order (types, teams, players), and once per transaction (at commit), so
  -- two deriving transactions cannot wait on each other in a cycle.
  insert into watermark.stages (id, season_id, league_id)
  select distinct on (f.stage_id) f.stage_id, f.season_id, f.league_id
    from watermark.fixtures f where f.id = any (fixture_ids) and f.stage_id is not null
  on conflict (id) do nothing;
  insert into watermark.rounds (id, stage_id, season_id)
  select distinct on (f.round_id) f.round_id, f.stage_id, f.season_id
    from watermark.fixtures f where f.id = any (fixture_ids) and f.round_id is not null
  on conflict (id) do nothing;

  -- Type names from the payload's `type` include, when it has one.
  insert into watermark.sport_types as t (id, code, name, model_type)
  select distinct on (x.id) x.id, x.type ->> 'code', x.type ->> 'name', x.type ->> 'model_type'
    from (select i.type_id as id, i.type from watermark.payload_events i where i.fixture_id = any (fixture_ids)
          union all
          select i.type_id, i.type from watermark.payload_statistics i where i.fixture_id = any (fixture_ids)) x
   where x.id is not null and jsonb_typeof(x.type) = 'object'
   order by x.id
  on conflict (id) do update set code = excluded.code, name = excluded.name, model_type = excluded.model_type
   where (t.code, t.name, t.model_type) is distinct from (excluded.code, excluded.name, excluded.model_type);

  -- Teams: full rows from participants; ids seen only elsewhere as stubs, so
  -- every team_id has its row. One statement, in id order (see the lock order below).
  insert into watermark.teams as t (id, name, short_code, country_id, venue_id, image_path, founded, type, gender)
  select distinct on (x.id) x.id, x.name, x.short_code, x.country_id, x.venue_id, x.image_path, x.founded, x.type, x.gender
    from (select i.id, i.name, i.short_code, i.country_id, i.venue_id, i.image_path, i.founded, i.type, i.gender, 0 as stub, i.fixture_id
            from watermark.payload_participants i where i.fixture_id = any (fixture_ids)
          union all
          select y.team_id, null, null, null, null, null, null, null, null, 1, y.fixture_id
            from (select i.team_id, i.fixture_id from watermark.payload_scores i where i.fixture_id = any (fixture_ids)
                  union all select i.team_id, i.fixture_id from watermark.payload_events i where i.fixture_id = any (fixture_ids)
                  union all select i.team_id, i.fixture_id from watermark.payload_lineups i where i.fixture_id = any (fixture_ids)
                  union all select i.team_id, i.fixture_id from watermark.payload_statistics i where i.fixture_id = any (fixture_ids)) y) x
   where x.id is not null
   order by x.id, x.stub, x.fixture_id desc
  on conflict (id) do update set name = excluded.name, short_code = excluded.short_code, country_id = excluded.country_id,
    venue_id = excluded.venue_id, image_path = excluded.image_path, founded = excluded.founded, type = excluded.type,
    gender = excluded.gender
   where excluded.name is not null
     and (t.name, t.short_code, t.country_id, t.venue_id, t.image_path, t.founded, t.type, t.gender) is distinct from
         (excluded.name, excluded.short_code, excluded.country_id, excluded.venue_id, excluded.image_path, excluded.founded,
          excluded.type, excluded.gender);

  -- Players from lineups, events (player and related player) and the player include; the include names best.
  insert into watermark.players as p (id, name, display_name, position_id, country_id, date_of_birth)
  select distinct on (s.id) s.id, s.name, s.display_name, s.position_id, s.country_id, s.date_of_birth
    from (
      select i.player_id as id, i.player_name as name, null::text as display_name, i.position_id,
             null::bigint as country_id, null::date as date_of_birth, 1 as rank, i.fixture_id
        from watermark.payload_lineups i where i.fixture_id = any (fixture_ids)
      union all
      select i.player_id, coalesce(i.player ->> 'name', i.player_name), i.player ->> 'display_name',
             case when jsonb_typeof(i.player -> 'position_id') = 'number' then (i.player ->> 'position_id')::numeric::bigint end,
             case when jsonb_typeof(i.player -> 'country_id') = 'number' then (i.player ->> 'country_id')::numeric::bigint end,
             case when i.player ->> 'date_of_birth' ~ '^\d{4}-\d{2}-\d{2}$' then (i.player ->> 'date_of_birth')::date end,
             case when jsonb_typeof(i.player) = 'object' then 0 else 2 end, i.fixture_id
        from watermark.payload_events i where i.fixture_id = any (fixture_ids)
      union all
      select i.related_player_id, i.related_player_name, null, null, null, null, 3, i.fixture_id
        from watermark.payload_events i where i.fixture_id = any (fixture_ids)
    ) s
   where s.id is not null
   order by s.id, s.rank, s.fixture_id desc
  on conflict (id) do update set name = coalesce(excluded.name, p.name), display_name = coalesce(excluded.display_name, p.display_name),
    position_id = coalesce(excluded.position_id, p.position_id), country_id = coalesce(excluded.country_id, p.country_id),
    date_of_birth = coalesce(excluded.date_of_birth, p.date_of_birth)
   where (p.name, p.display_name, p.position_id, p.country_id, p.date_of_birth) is distinct from
         (coalesce(excluded.name, p.name), coalesce(excluded.display_name, p.display_name), coalesce(excluded.position_id, p.position_id),
          coalesce(excluded.country_id, p.country_id), coalesce(excluded.date_of_birth, p.date_of_birth));

  delete from watermark.fixture_participants c where c.fixture_id = any (fixture_ids);
  delete from watermark.fixture_scores c where c.fixture_id = any (fixture_ids);
  delete from watermark.fixture_events c where c.fixture_id = any (fixture_ids);
  delete from watermark.fixture_lineups c where c.fixture_id = any (fixture_ids);
  delete from watermark.fixture_statistics c where c.fixture_id = any (fixture_ids);

  -- distinct on: a payload that repeats a key keeps its first row instead of failing the batch.
  insert into watermark.fixture_participants (fixture_id, team_id, location, winner, position)
  select distinct on (i.fixture_id, i.id) i.fixture_id, i.id, i.location, i.winner, i.position
    from watermark.payload_participants i
   where i.fixture_id = any (fixture_ids) and i.id is not null
   order by i.fixture_id, i.id, i.ord;

  insert into watermark.fixture_scores (fixture_id, team_id, type_id, score_id, description, goals, location)
  select distinct on (i.fixture_id, i.team_id, i.type_id) i.fixture_id, i.team_id, i.type_id, i.id, i.description, i.goals, i.location
    from watermark.payload_scores i
   where i.fixture_id = any (fixture_ids) and i.team_id is not null and i.type_id is not null
   order by i.fixture_id, i.team_id, i.type_id, i.ord;

  insert into watermark.fixture_events (fixture_id, id, ordinal, type_id, sub_type_id, team_id, player_id, related_player_id,
    player_name, related_player_name, minute, extra_minute, period_id, sort_order, result, info, addition)
  select e.fixture_id, e.id,
         row_number() over (partition by e.fixture_id order by e.minute nulls last, coalesce(e.extra_minute, 0), e.sort_order nulls last, e.id),
         e.type_id, e.sub_type_id, e.team_id, e.player_id, e.related_player_id, e.player_name, e.related_player_name,
         e.minute, e.extra_minute, e.period_id, e.sort_order, e.result, e.info, e.addition
    from (select distinct on (i.fixture_id, i.id) i.*
            from watermark.payload_events i
           where i.fixture_id = any (fixture_ids) and i.id is not null
           order by i.fixture_id, i.id, i.ord) e;

  insert into watermark.fixture_lineups (fixture_id, id, team_id, player_id, type_id, position_id, formation_field,
    formation_position, jersey_number, player_name)
  select distinct on (i.fixture_id, i.id) i.fixture_id, i.id, i.team_id, i.player_id, i.type_id, i.position_id, i.formation_field,
         i.formation_position, i.jersey_number, i.player_name
    from watermark.payload_lineups i
   where i.fixture_id = any (fixture_ids) and i.id is not null
   order by i.fixture_id, i.id, i.ord;

  insert into watermark.fixture_statistics (fixture_id, team_id, type_id, stat_id, location, value, data)
  select distinct on (i.fixture_id, i.team_id, i.type_id) i.fixture_id, i.team_id, i.type_id, i.id, i.location, i.value, i.data
    from watermark.payload_statistics i
   where i.fixture_id = any (fixture_ids) and i.team_id is not null and i.type_id is not null
   order by i.fixture_id, i.team_id, i.type_id, i.ord;
end
$$;

-- The service role writes fixtures (the trigger) and rebuilds.
grant execute on function watermark.derive_sports_data(bigint[]) to service_role;

-- Deriving waits for commit: the statements that write fixtures queue the ids
-- whose payload they wrote (transaction-local), and one deferred trigger
-- derives them all in one set-based call just before the commit. Same
-- transaction as the payload, one derivation per batch, and the shared rows
-- (teams, players) locked once and in order (see derive_sports_data).
create function watermark.queue_derivation(fixture_ids bigint[])
returns void
language sql
set search_path = ''
as $$
  select set_config('watermark.derive_fixture_ids',
    (coalesce(nullif(current_setting('watermark.derive_fixture_ids', true), '')::bigint[], '{}') || fixture_ids)::text, true)
   where cardinality(fixture_ids) > 0
$$;
-- The service role writes fixtures, so its statements queue.
grant execute on function watermark.queue_derivation(bigint[]) to service_role;

create function watermark.queue_inserted_fixtures()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform watermark.queue_derivation((select array_agg(n.id) from new_fixtures n));
  return null;
end
$$;

-- Only fixtures whose payload changed: the collector's bookkeeping updates
-- (next_check_at, failures) and unchanged content derive nothing.
create function watermark.queue_updated_fixtures()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform watermark.queue_derivation((
    select array_agg(n.id)
      from new_fixtures n join old_fixtures o on o.id = n.id
     where (o.events, o.lineups, o.statistics, o.participants, o.scores, o.stage_id, o.round_id, o.season_id) is distinct from
           (n.events, n.lineups, n.statistics, n.participants, n.scores, n.stage_id, n.round_id, n.season_id)));
  return null;
end
$$;

create function watermark.derive_queued_fixtures()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  queued bigint[] := nullif(current_setting('watermark.derive_fixture_ids', true), '')::bigint[];
begin
  -- The first deferred event of the transaction derives the whole queue; the rest find it empty.
  if queued is not null then
    perform set_config('watermark.derive_fixture_ids', '', true);
    perform watermark.derive_sports_data((select array_agg(distinct q) from unnest(queued) q));
  end if;
  return null;
end
$$;

-- Insert: a fixture discovered from the schedule already carries participants and scores.
create trigger fixtures_queue_insert after insert on watermark.fixtures
  referencing new table as new_fixtures
  for each statement execute function watermark.queue_inserted_fixtures();
create trigger fixtures_queue_update after update on watermark.fixtures
  referencing old table as old_fixtures new table as new_fixtures
  for each statement execute function watermark.queue_updated_fixtures();
-- Constraint triggers are per row; a bookkeeping update (no payload column set) queues no event at all.
-- Left deferred: `set constraints … immediate` before a write would fire it ahead
-- of that statement's queue (row events precede statement events); setting it
-- immediate after the writes derives what is queued, as commit would.
create constraint trigger fixtures_derive_at_commit
  after insert or update of events, lineups, statistics, participants, scores, stage_id, round_id on watermark.fixtures
  deferrable initially deferred
  for each row execute function watermark.derive_queued_fixtures();

-- ---------------------------------------------------------------------------
-- Rebuild
-- ---------------------------------------------------------------------------

-- Re-derives the model from the stored payload: one season, or all. Batches of
-- 500 fixtures keep each statement small; the counts are the model after it.
create function public.rebuild_sports_data(season_id bigint default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  ids bigint[];
  last_id bigint := 0;
  rebuilt integer := 0;
  seasons bigint[];
begin
  perform watermark.require_access(3, 'rebuild_sports_data');
  if rebuild_sports_data.season_id is not null
     and not exists (select from watermark.seasons s where s.id = rebuild_sports_data.season_id) then
    perform watermark.raise_invalid('season_id', format('season %s is not in the catalog (list seasons with list_chunks)',
      rebuild_sports_data.season_id));
  end if;
  loop
    select array_agg(b.id order by b.id) into ids
      from (select f.id from watermark.fixtures f
             where f.id > last_id and (rebuild_sports_data.season_id is null or f.season_id = rebuild_sports_data.season_id)
             order by f.id limit 500) b;
    exit when ids is null;
    perform watermark.derive_sports_data(ids);
    rebuilt := rebuilt + cardinality(ids);
    last_id := ids[cardinality(ids)];
  end loop;
  seasons := case when rebuild_sports_data.season_id is null then (select array_agg(s.id) from watermark.seasons s)
                  else array[rebuild_sports_data.season_id] end;
  return jsonb_build_object(
    'fixtures', rebuilt,
    'participants', (select count(*) from watermark.fixture_participants c join watermark.fixtures f on f.id = c.fixture_id where f.season_id = any (seasons)),
    'scores', (select count(*) from watermark.fixture_scores c join watermark.fixtures f on f.id = c.fixture_id where f.season_id = any (seasons)),
    'events', (select count(*) from watermark.fixture_events c join watermark.fixtures f on f.id = c.fixture_id where f.season_id = any (seasons)),
    'lineups', (select count(*) from watermark.fixture_lineups c join watermark.fixtures f on f.id = c.fixture_id where f.season_id = any (seasons)),
    'statistics', (select count(*) from watermark.fixture_statistics c join watermark.fixtures f on f.id = c.fixture_id where f.season_id = any (seasons)),
    'teams', (select count(*) from watermark.teams),
    'players', (select count(*) from watermark.players));
end
$$;
grant execute on function public.rebuild_sports_data(bigint) to service_role;

-- ---------------------------------------------------------------------------
-- Read RPCs (viewers)
-- ---------------------------------------------------------------------------

-- The read RPCs are definers so that opening them to a public app is one GRANT
-- of EXECUTE (docs/data.md) and no table grant: each checks its caller first.
-- Viewers pass; anon reaches them only through that grant (EXECUTE is the
-- door); anyone else gets require_access's error.
create function watermark.begin_sports_read(action text, field text default null, value bigint default null)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if watermark.access_level() < 1 and coalesce(auth.jwt() ->> 'role', '') <> 'anon' then
    perform watermark.require_access(1, action);
  end if;
  -- The argument the read is keyed on (field names it in the error).
  if field is not null and value is null then
    perform watermark.raise_invalid(field, case field when 'season_id' then 'is required (list seasons with list_chunks)'
                                                     else 'is required' end);
  end if;
end
$$;

-- A read's row limit: between 1 and max_value.
create function watermark.require_row_limit(field text, value integer, max_value integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if value is null or value not between 1 and max_value then
    perform watermark.raise_invalid(field, format('must be between 1 and %s', max_value));
  end if;
end
$$;

-- One fixture with everything the model knows of it; null when it is unknown.
create function public.get_fixture_detail(fixture_id bigint)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  f watermark.fixtures;
begin
  perform watermark.begin_sports_read('get_fixture_detail', 'fixture_id', get_fixture_detail.fixture_id);
  select * into f from watermark.fixtures x where x.id = get_fixture_detail.fixture_id;
  if not found then
    return null;
  end if;
  return jsonb_build_object(
    'fixture', jsonb_build_object('id', f.id, 'league_id', f.league_id, 'season_id', f.season_id, 'stage_id', f.stage_id,
      'round_id', f.round_id, 'aggregate_id', f.aggregate_id, 'leg', f.leg, 'name', f.name, 'starting_at', f.starting_at,
      'state_id', f.state_id, 'result_info', f.result_info, 'is_final', f.is_final, 'collected_at', f.collected_at),
    'participants', (select coalesce(jsonb_agg(jsonb_build_object('team_id', p.team_id, 'name', t.name, 'short_code', t.short_code,
        'location', p.location, 'winner', p.winner, 'position', p.position) order by p.location desc nulls last, p.team_id), '[]')
      from watermark.fixture_participants p join watermark.teams t on t.id = p.team_id where p.fixture_id = f.id),
    'scores', (select coalesce(jsonb_agg(jsonb_build_object('team_id', s.team_id, 'type_id', s.type_id, 'description', s.description,
        'goals', s.goals, 'location', s.location) order by s.type_id, s.location desc nulls last), '[]')
      from watermark.fixture_scores s where s.fixture_id = f.id),
    'events', (select coalesce(jsonb_agg(to_jsonb(e) order by e.ordinal), '[]') from public.get_match_events(f.id) e),
    'lineups', (select coalesce(jsonb_agg(jsonb_build_object('id', l.id, 'team_id', l.team_id, 'player_id', l.player_id,
        'player_name', coalesce(l.player_name, pl.name), 'starter', l.starter, 'position_id', l.position_id,
        'formation_field', l.formation_field, 'formation_position', l.formation_position, 'jersey_number', l.jersey_number)
        order by l.team_id, l.starter desc, l.formation_position nulls last, l.id), '[]')
      from watermark.fixture_lineups l left join watermark.players pl on pl.id = l.player_id where l.fixture_id = f.id),
    'statistics', (select coalesce(jsonb_agg(jsonb_build_object('team_id', s.team_id, 'type_id', s.type_id, 'type', st.name,
        'value', s.value, 'location', s.location) order by s.type_id, s.location desc nulls last), '[]')
      from watermark.fixture_statistics s left join watermark.sport_types st on st.id = s.type_id where s.fixture_id = f.id),
    'quality', jsonb_build_object('score', f.quality_score, 'reasons', to_jsonb(coalesce(f.quality_reasons, '{}'))));
end
$$;

create type watermark.match_event as (
  ordinal integer,
  event_id bigint,
  type_id bigint,
  type text,
  minute integer,
  extra_minute integer,
  team_id bigint,
  team_name text,
  player_id bigint,
  player_name text,
  related_player_id bigint,
  related_player_name text,
  result text,
  info text
);

create function public.get_match_events(fixture_id bigint)
returns setof watermark.match_event
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform watermark.begin_sports_read('get_match_events', 'fixture_id', get_match_events.fixture_id);
  return query
  select e.ordinal, e.id, e.type_id, st.name, e.minute, e.extra_minute, e.team_id, t.name, e.player_id,
         coalesce(e.player_name, p.name), e.related_player_id, coalesce(e.related_player_name, rp.name), e.result, e.info
    from watermark.fixture_events e
    left join watermark.sport_types st on st.id = e.type_id
    left join watermark.teams t on t.id = e.team_id
    left join watermark.players p on p.id = e.player_id
    left join watermark.players rp on rp.id = e.related_player_id
   where e.fixture_id = get_match_events.fixture_id
   order by e.ordinal;
end
$$;
grant execute on function public.get_match_events(bigint) to authenticated, service_role;
-- Granted after get_match_events exists: the detail reads the events through it.
grant execute on function public.get_fixture_detail(bigint) to authenticated, service_role;

create type watermark.league_table_row as (
  position integer,
  team_id bigint,
  team_name text,
  played integer,
  won integer,
  drawn integer,
  lost integer,
  goals_for integer,
  goals_against integer,
  goal_difference integer,
  points integer
);

-- Computed from the results (3 points a win, 1 a draw) of every finished
-- fixture of the season, all stages together.
create function public.get_league_table(season_id bigint)
returns setof watermark.league_table_row
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform watermark.begin_sports_read('get_league_table', 'season_id', get_league_table.season_id);
  return query
  with sides as (
    select r.home_team_id as team_id, r.home_goals as gf, r.away_goals as ga
      from watermark.fixture_results r
     where r.season_id = get_league_table.season_id and r.finished and r.home_goals is not null and r.away_goals is not null
    union all
    select r.away_team_id, r.away_goals, r.home_goals
      from watermark.fixture_results r
     where r.season_id = get_league_table.season_id and r.finished and r.home_goals is not null and r.away_goals is not null
  ), totals as (
    select s.team_id, count(*)::integer as played, count(*) filter (where s.gf > s.ga)::integer as won,
           count(*) filter (where s.gf = s.ga)::integer as drawn, count(*) filter (where s.gf < s.ga)::integer as lost,
           sum(s.gf)::integer as gf, sum(s.ga)::integer as ga
      from sides s where s.team_id is not null group by s.team_id
  )
  select (row_number() over (order by 3 * x.won + x.drawn desc, x.gf - x.ga desc, x.gf desc, t.name, x.team_id))::integer,
         x.team_id, t.name, x.played, x.won, x.drawn, x.lost, x.gf, x.ga, x.gf - x.ga, 3 * x.won + x.drawn
    from totals x left join watermark.teams t on t.id = x.team_id
   order by 1;
end
$$;
grant execute on function public.get_league_table(bigint) to authenticated, service_role;

create type watermark.top_scorer as (
  player_id bigint,
  player_name text,
  team_id bigint,
  team_name text,
  goals integer,
  penalties integer
);

-- Goals (14) and penalties (16) scored in the season; own goals do not count for the scorer.
create function public.get_top_scorers(season_id bigint, max_rows integer default 20)
returns setof watermark.top_scorer
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform watermark.begin_sports_read('get_top_scorers', 'season_id', get_top_scorers.season_id);
  perform watermark.require_row_limit('max_rows', max_rows, 1000);
  return query
  select e.player_id, coalesce(max(p.name), max(e.player_name)),
         -- The team of the newest goal: a player who moved mid-season is listed once.
         (array_agg(e.team_id order by f.starting_at desc nulls last, e.fixture_id desc))[1],
         (array_agg(t.name order by f.starting_at desc nulls last, e.fixture_id desc))[1],
         count(*)::integer, count(*) filter (where e.type_id = 16)::integer
    from watermark.fixture_events e
    join watermark.fixtures f on f.id = e.fixture_id
    left join watermark.players p on p.id = e.player_id
    left join watermark.teams t on t.id = e.team_id
   where f.season_id = get_top_scorers.season_id and e.type_id in (14, 16) and e.player_id is not null
   group by e.player_id
   order by count(*) desc, count(*) filter (where e.type_id = 16), e.player_id
   limit max_rows;
end
$$;
grant execute on function public.get_top_scorers(bigint, integer) to authenticated, service_role;

create type watermark.team_form_row as (
  fixture_id bigint,
  starting_at timestamp,
  season_id bigint,
  location text,
  opponent_id bigint,
  opponent_name text,
  goals_for integer,
  goals_against integer,
  result text
);

-- A team's last finished fixtures, newest first, W/D/L.
create function public.get_team_form(team_id bigint, last_n integer default 5)
returns setof watermark.team_form_row
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform watermark.begin_sports_read('get_team_form', 'team_id', get_team_form.team_id);
  perform watermark.require_row_limit('last_n', last_n, 100);
  return query
  select r.fixture_id, r.starting_at, r.season_id, p.location,
         case when p.location = 'home' then r.away_team_id else r.home_team_id end, o.name,
         case when p.location = 'home' then r.home_goals else r.away_goals end,
         case when p.location = 'home' then r.away_goals else r.home_goals end,
         case when r.home_goals = r.away_goals then 'D' when r.winner_team_id = p.team_id then 'W' else 'L' end
    from watermark.fixture_participants p
    join watermark.fixture_results r on r.fixture_id = p.fixture_id
    left join watermark.teams o on o.id = case when p.location = 'home' then r.away_team_id else r.home_team_id end
   where p.team_id = get_team_form.team_id and r.finished and r.home_goals is not null and r.away_goals is not null
   order by r.starting_at desc nulls last, r.fixture_id desc
   limit last_n;
end
$$;
grant execute on function public.get_team_form(bigint, integer) to authenticated, service_role;

create type watermark.team_possession as (
  team_id bigint,
  team_name text,
  fixtures integer,
  avg_possession numeric
);

-- Ball possession % (statistic 45) averaged over the season's fixtures that report it.
create function public.get_team_possession(season_id bigint)
returns setof watermark.team_possession
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform watermark.begin_sports_read('get_team_possession', 'season_id', get_team_possession.season_id);
  return query
  select s.team_id, t.name, count(*)::integer, round(avg(s.value), 1)
    from watermark.fixture_statistics s
    join watermark.fixtures f on f.id = s.fixture_id
    left join watermark.teams t on t.id = s.team_id
   where f.season_id = get_team_possession.season_id and s.type_id = 45 and s.value is not null
   group by s.team_id, t.name
   order by 4 desc, s.team_id;
end
$$;
grant execute on function public.get_team_possession(bigint) to authenticated, service_role;

-- Per league and season: how complete the collected data is (watermark.data_completeness
-- over the stored watermark.fixture_quality), and which fixtures score below
-- below_score and why.
create function public.get_data_quality(league_id bigint default null, season_id bigint default null,
                                        below_score integer default 80)
returns setof watermark.data_completeness
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform watermark.begin_sports_read('get_data_quality');
  perform watermark.require_row_limit('below_score', below_score, 100);
  return query select * from watermark.data_completeness(league_id, season_id, below_score);
end
$$;
grant execute on function public.get_data_quality(bigint, bigint, integer) to authenticated, service_role;
