-- etl_control (seed 002) for any pipeline: report, read back coverage, pending,
-- freshness and throughput; the collector's own row; validation errors.
begin;
select plan(12);

select tests.authenticate_as('service');
select is(public.report_pipeline_status('crm', 'customers', source_total => 200, target_total => 150, watermark => '2026-11-01T00:00:00Z',
  pending_since_watermark => 50, source_max_updated_at => now(), target_max_updated_at => now() - interval '30 minutes',
  execution_id => 'run_1', duration_seconds => 10, rows_written => 150, expected_interval_seconds => 3600) ->> 'last_status',
  'succeeded', 'any pipeline reports its status');
select throws_ok($$select public.report_pipeline_status('Bad Name', 'x')$$, 'WM001',
  'pipeline: must be 1-63 lowercase letters, digits, _ . - (e.g. watermark)', 'the pipeline name is validated');
select throws_ok($$select public.report_pipeline_status('crm', 'customers', source_total => -1)$$, 'WM001',
  'source_total: must not be negative (got -1)', 'totals are validated');
select throws_ok($$select public.report_pipeline_status('crm', '')$$, 'WM001',
  'entity: is required (1-128 characters, e.g. fixtures)', 'the entity is required');
select throws_ok($$select public.save_api_rate_limit('Fixture', -1, now())$$, 'WM001',
  'remaining: must be 0 or more (the rate_limit.remaining the API reported)', 'rate limits are validated');
-- A failed run keeps the last success and its numbers.
select is(public.report_pipeline_status('crm', 'customers', succeeded => false, error_message => 'timeout') ->> 'target_total', '150',
  'a failed report keeps the stored totals');
select tests.clear_authentication();

select tests.authenticate_as('viewer');
select results_eq($$select coverage_percent, pending, freshness_minutes, throughput_rows_per_sec, last_status, last_error
    from public.get_pipeline_status('crm')$$,
  $$values (75.00::numeric, 50::bigint, 30.0::numeric, 15.000::numeric, 'failed', 'timeout')$$,
  'coverage, pending since the watermark, freshness (source vs target lag) and throughput');
select ok((select last_success_at is not null and not overdue from public.get_pipeline_status('crm')), 'the last success is kept; not overdue');
select is((select count(*)::integer from public.get_pipeline_status('nope')), 0, 'an unknown pipeline has no rows');
select tests.clear_authentication();

-- The collector's own row comes from the fixtures table.
select public.sync_collection_catalog('[{"id": 1}]', '[{"id": 10, "league_id": 1}]');
insert into watermark.fixtures (id, league_id, season_id, state_id, starting_at, collected_at, is_final)
  values (1, 1, 10, 5, '2020-01-01', now(), true), (2, 1, 10, 5, '2020-01-01', now(), true), (3, 1, 10, 1, '2099-01-01', null, false);
update watermark.fixtures set next_check_at = now() where id = 3;
select tests.authenticate_as('service');
select results_eq($$select (r ->> 'source_total')::int, (r ->> 'target_total')::int, (r ->> 'pending_since_watermark')::int
    from (select public.report_collection_status('run_2', 2, 2) as r) x$$,
  $$values (3, 2, 1)$$, 'report_collection_status: discovered, collected and pending fixtures');
select is((select coverage_percent from public.get_pipeline_status('watermark')), 66.67::numeric, 'the collector''s coverage');
select is((select last_throughput_rows_per_sec from watermark.etl_control where pipeline = 'watermark'), 1.000::numeric,
  'throughput = rows written ÷ duration');
select tests.clear_authentication();

select * from finish();
rollback;
