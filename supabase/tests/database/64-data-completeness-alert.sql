-- A drop in completeness drives an alert rule (kind data_completeness): it fires
-- per league and season through the usual lifecycle and outbox, resolves when the
-- data is complete again, and its flags are validated.
begin;
select plan(17);

update watermark.alert_rules set enabled = false;
select is((select (kind, enabled)::text from watermark.alert_rules where rule_id = 'data-completeness'), '(data_completeness,f)',
  'a default rule ships, disabled until the first backfill caught up');

create function pg_temp.fixture(fid integer, lineups boolean default true)
returns jsonb language sql as $$
  select jsonb_build_object('id', fid, 'league_id', 1, 'season_id', 10, 'state_id', 5, 'name', 'x',
    'starting_at', '2025-01-01 15:00:00', 'participants', '[{"id": 1}, {"id": 2}]'::jsonb,
    'scores', '[{"type_id": 1525, "participant_id": 1, "score": {"goals": 1}}, {"type_id": 1525, "participant_id": 2, "score": {"goals": 0}}]'::jsonb,
    'events', jsonb_build_array(jsonb_build_object('id', fid * 10, 'type_id', 14, 'participant_id', 1, 'player_id', 9)),
    'lineups', case when lineups then '[{"id": 1, "team_id": 1, "player_id": 9, "type_id": 11}]'::jsonb else '[]' end,
    'statistics', '[{"type_id": 45, "participant_id": 1, "data": {"value": 50}}]'::jsonb)
$$;
grant execute on function pg_temp.fixture(integer, boolean) to service_role;
create function pg_temp.state(fp text) returns text language sql as $$
  select coalesce((select a.state from watermark.alerts a where a.fingerprint = fp), 'none')
$$;
create function pg_temp.notified(fp text, event text) returns bigint language sql as $$
  select count(*) from watermark.alert_notifications n, jsonb_array_elements(n.payload -> 'alerts') i
   where i ->> 'fingerprint' = fp and i ->> 'event' = event
$$;

select public.sync_collection_catalog('[{"id": 1, "name": "League"}]', '[{"id": 10, "league_id": 1, "name": "2025"}]');
create temp table lease as select c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
  from (select public.claim_chunk('t', 60, season_id => 10) as c) x;
grant select on lease to service_role;
select tests.authenticate_as('service');
select public.upsert_fixture_batch(chunk_id, token,
  jsonb_build_array(pg_temp.fixture(401), pg_temp.fixture(402, lineups => false)), '{}') from lease;
select tests.clear_authentication();

-- Created as an operator would (npm run alerts -- create … --kind data_completeness --season 10).
select tests.authenticate_as('operator');
select lives_ok($$select public.create_alert_rule('t-complete', 'data_completeness', 90, params => '{"season_id": 10}',
                                                   repeat_seconds => null)$$, 'an operator creates a completeness rule for a season');
select lives_ok($$select public.create_alert_rule('t-complete-2', 'data_completeness', 90, params => '{"league_id": 2}')$$,
  'and one for another league');
select throws_ok($$select public.create_alert_rule('x-1', 'data_completeness', 90, pipeline => 'watermark')$$, 'WM001',
  'pipeline: data_completeness rules watch leagues and seasons, not pipelines; leave pipeline empty and narrow with params.league_id / params.season_id',
  'a completeness rule takes no pipeline');
select throws_ok($$select public.create_alert_rule('x-1', 'data_completeness', 190)$$, 'WM001', 'threshold: is a percentage: use 0 to 100',
  'its threshold is a percentage');
select throws_ok($$select public.create_alert_rule('x-1', 'data_completeness', 90, params => '{"season_id": "10"}')$$, 'WM001',
  'params.season_id: must be a positive id (list_chunks shows the leagues and seasons)', 'a season is an id');
select throws_ok($$select public.create_alert_rule('x-1', 'error_rate', 5, params => '{"league_id": 1}')$$, 'WM001',
  'params.league_id: only data_completeness rules take a league or season; error_rate rules do not',
  'other kinds take no league');
select tests.clear_authentication();

-- 1 of 2 finished fixtures complete: 50 % < 90 %.
select public.evaluate_alerts();
select is(pg_temp.state('t-complete/league 1 season 10'), 'firing', 'a season below the threshold fires');
select is((select value from watermark.alerts where fingerprint = 't-complete/league 1 season 10'), 50::double precision,
  'with the completeness as its value');
select ok((select summary from watermark.alerts where fingerprint = 't-complete/league 1 season 10')
            ~ '^League 2025: 50\.0 % of 2 finished fixtures complete.*commonest reasons: missing_lineups \(1\)',
  'its summary names the season and the commonest reason');
select is(pg_temp.notified('t-complete/league 1 season 10', 'firing'), 1::bigint, 'the firing is queued for Slack');
select is((select count(*)::integer from watermark.alerts where rule_id = 't-complete-2'), 0, 'a rule for another league sees nothing');

-- The next collection brings the lineups: complete again.
select tests.authenticate_as('service');
select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(402)), '{}') from lease;
select tests.clear_authentication();
select public.evaluate_alerts();
select is(pg_temp.state('t-complete/league 1 season 10'), 'resolved', 'complete again: it resolves');
select ok((select i ->> 'summary' from watermark.alert_notifications n, jsonb_array_elements(n.payload -> 'alerts') i
             where i ->> 'fingerprint' = 't-complete/league 1 season 10' and i ->> 'event' = 'resolved')
            ~ '^data complete again: League 2025: 100\.0 %', 'saying what recovered');
select is(pg_temp.notified('t-complete/league 1 season 10', 'resolved'), 1::bigint, 'the resolution is queued for Slack');

-- min_samples: a season with fewer finished fixtures is not judged yet.
update watermark.alert_rules set params = '{"season_id": 10, "min_samples": 3}' where rule_id = 't-complete';
update watermark.fixtures set lineups = '[]' where id = 402;
select public.evaluate_alerts();
select is(pg_temp.state('t-complete/league 1 season 10'), 'resolved', 'fewer finished fixtures than min_samples: not judged');
update watermark.alert_rules set params = '{"season_id": 10}' where rule_id = 't-complete';
select public.evaluate_alerts();
select is(pg_temp.state('t-complete/league 1 season 10'), 'firing', 'a new drop fires again');

select * from finish();
rollback;
