-- record_etl_metric and record_etl_metrics: what is stored, validation (non-finite
-- values, kinds, tags), element indexes in batches, all-or-nothing.
begin;
select plan(24);

select tests.authenticate_as('service');
select public.start_etl_execution('metric_exec', pipeline => 'collector', correlation_id => 'corr-m');

select ok(public.record_etl_metric('metric_exec', 'chunk_duration', 45.5, 'seconds', '{"chunk": "2451_23026"}') > 0,
  'record_etl_metric returns the new metric id');
select results_eq(
  $$select execution_id, metric_name, metric_value, metric_unit, tags, metric_kind, pipeline, correlation_id, created_by
    from watermark.etl_metrics where metric_name = 'chunk_duration'$$,
  $$values ('metric_exec', 'chunk_duration', 45.5::float8, 'seconds', '{"chunk": "2451_23026"}'::jsonb, 'gauge',
    'collector', 'corr-m', 'service_role')$$,
  'a single metric stores its fields, defaults to a gauge and inherits the execution''s pipeline and correlation id');
select lives_ok($$select public.record_etl_metric(null, 'queue_depth', 3, tags => null)$$,
  'metrics need no execution and tags may be null');
select is((select tags from watermark.etl_metrics where metric_name = 'queue_depth'), '{}'::jsonb, 'null tags are stored as {}');

select throws_ok($$select public.record_etl_metric('metric_exec', 'm', 'NaN')$$, 'WM001',
  'metric_value: must be a finite number (got NaN)', 'NaN is rejected');
select throws_ok($$select public.record_etl_metric('metric_exec', 'm', 'Infinity')$$, 'WM001',
  'metric_value: must be a finite number (got Infinity)', 'Infinity is rejected');
select throws_ok($$select public.record_etl_metric('metric_exec', 'm', '-Infinity')$$, 'WM001',
  'metric_value: must be a finite number (got -Infinity)', '-Infinity is rejected');
select throws_ok($$select public.record_etl_metric('metric_exec', 'm', null)$$, 'WM001',
  'metric_value: must be a finite number', 'a missing value is rejected');
select throws_ok($$select public.record_etl_metric('metric_exec', '', 1)$$, 'WM001',
  'metric_name: must be a non-empty string; name what is measured, e.g. chunk_duration', 'an empty name is rejected');
select throws_ok($$select public.record_etl_metric('metric_exec', 'm', 1, tags => '"x"')$$, 'WM001',
  'tags: must be a JSON object; send {} for none', 'tags that are not an object');
select throws_ok($$select public.record_etl_metric('metric_exec', 'm', 1, tags => jsonb_build_object('blob', repeat('x', 70000)))$$,
  'WM001', 'tags: is 70012 bytes of JSON, over the 64 KiB limit (65536 bytes); keep tags small', 'oversized tags name the limit');
select throws_ok($$select public.record_etl_metric('ghost', 'm', 1)$$, 'WM002',
  'execution_id: execution ''ghost'' not found; start it with start_etl_execution first', 'unknown execution');

select is(public.record_etl_metrics(jsonb_build_array(
    jsonb_build_object('metric_name', 'fixtures', 'metric_value', 10, 'metric_kind', 'counter', 'execution_id', 'metric_exec'),
    jsonb_build_object('metric_name', 'api_latency', 'metric_value', 0.25, 'metric_unit', 'seconds', 'metric_kind', 'timing',
      'timestamp', '2026-01-01T00:00:00Z', 'pipeline', 'other'))),
  2, 'a batch returns how many metrics it wrote');
select results_eq(
  $$select metric_name, metric_kind, "timestamp", pipeline from watermark.etl_metrics
    where metric_name in ('fixtures', 'api_latency') order by metric_id$$,
  $$values ('fixtures', 'counter', now(), 'collector'), ('api_latency', 'timing', '2026-01-01T00:00:00Z'::timestamptz, 'other')$$,
  'batch metrics keep their kind, timestamp and pipeline');

create temporary table metric_count_before as select count(*) as n from watermark.etl_metrics;
select throws_ok($$select public.record_etl_metrics('[{"metric_name": "a", "metric_value": 1},
  {"metric_name": "b", "metric_value": "NaN"}]')$$, 'WM001',
  'metrics[1].metric_value: must be a finite number', 'a value that is not a JSON number, e.g. "NaN"');
select throws_ok($$select public.record_etl_metrics('[{"metric_name": "a", "metric_value": 1e400}]')$$, 'WM001',
  'metrics[0].metric_value: 10000000000000000000... is beyond double precision; send a finite number',
  'a value beyond double precision');
select throws_ok($$select public.record_etl_metrics('[{"metric_name": "a", "metric_value": 1, "metric_kind": "histogram"}]')$$, 'WM001',
  'metrics[0].metric_kind: unknown kind ''histogram''; use one of counter, gauge, timing', 'an unknown kind');
select throws_ok($$select public.record_etl_metrics('[{"metric_name": "a", "metric_value": 1}, {"metric_value": 1}]')$$, 'WM001',
  'metrics[1].metric_name: must be a non-empty string; name what is measured, e.g. chunk_duration', 'a missing name');
select throws_ok($$select public.record_etl_metrics('[{"metric_name": "a", "metric_value": 1}, 5]')$$, 'WM001',
  'metrics[1]: must be an object with metric_name and metric_value', 'an element that is not an object');
select throws_ok($$select public.record_etl_metrics('[{"metric_name": "a", "metric_value": 1},
  {"metric_name": "a", "metric_value": 1, "execution_id": "ghost"}]')$$, 'WM002',
  'metrics[1].execution_id: execution ''ghost'' not found; start it with start_etl_execution first', 'an unknown execution');
select throws_ok($$select public.record_etl_metrics('[{"metric_name": "a", "metric_value": 1, "timestamp": "yesterday-ish"}]')$$, 'WM001',
  'metrics[0].timestamp: ''yesterday-ish'' is not a valid timestamp; send ISO 8601 with an offset, e.g. 2026-11-22T10:00:00Z',
  'an invalid timestamp');
select throws_ok($$select public.record_etl_metrics('{}')$$, 'WM001',
  'metrics: must be a JSON array of metric objects; send [] for none', 'metrics must be an array');
select is((select count(*) from watermark.etl_metrics), (select n from metric_count_before), 'rejected batches wrote nothing');
select is(public.record_etl_metrics('[]'), 0, 'an empty batch writes nothing');

select tests.clear_authentication();
select * from finish();
rollback;
