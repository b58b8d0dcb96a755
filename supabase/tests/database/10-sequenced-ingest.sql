-- log_etl_events / record_etl_metrics with (stream, first_seq): what the SDK's pipelined
-- batches rely on. A resent batch is stored once, an overlapping one only past what is
-- stored, a batch that cannot follow yet is refused as transient, bad arguments are WM001,
-- and a failed batch neither writes rows nor advances its stream.
begin;
select plan(21);

select tests.authenticate_as('service');
select public.start_etl_execution('seq_exec');

select is(public.log_etl_events('[{"level": "INFO", "component": "c", "message": "e1", "execution_id": "seq_exec"},
  {"level": "INFO", "component": "c", "message": "e2", "execution_id": "seq_exec"},
  {"level": "INFO", "component": "c", "message": "e3", "execution_id": "seq_exec"}]', 'writer-0001', 1), 3,
  'the first batch of a stream is stored');
select is(public.log_etl_events('[{"level": "INFO", "component": "c", "message": "e1", "execution_id": "seq_exec"},
  {"level": "INFO", "component": "c", "message": "e2", "execution_id": "seq_exec"},
  {"level": "INFO", "component": "c", "message": "e3", "execution_id": "seq_exec"}]', 'writer-0001', 1), 0,
  'the same batch resent (its answer was lost) writes nothing');
select is(public.log_etl_events('[{"level": "INFO", "component": "c", "message": "e3", "execution_id": "seq_exec"},
  {"level": "INFO", "component": "c", "message": "e4", "execution_id": "seq_exec"},
  {"level": "INFO", "component": "c", "message": "e5", "execution_id": "seq_exec"}]', 'writer-0001', 3), 2,
  'a batch overlapping what is stored writes only the new elements');
select is(public.log_etl_events('[{"level": "INFO", "component": "c", "message": "f1", "execution_id": "seq_exec"}]',
  'writer-0002', 1), 1, 'another writer has its own numbers');
select is(public.log_etl_events('[{"level": "INFO", "component": "c", "message": "e6", "execution_id": "seq_exec"}]',
  'writer-0001', 6), 1, 'the next batch follows');
select is((select array_agg(message order by log_id) from watermark.etl_logs where execution_id = 'seq_exec'),
  array['e1', 'e2', 'e3', 'e4', 'e5', 'f1', 'e6'], 'each element is stored once, in sequence order');
select is((select last_seq from watermark.etl_ingest_streams where stream = 'writer-0001'), 6::bigint,
  'the stream remembers the last number stored');

select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "late"}]', 'writer-0001', 9)$$,
  '40001', 'first_seq: stream writer-0001 has elements up to 6 stored, so a batch from 9 cannot follow yet; resend from the first unconfirmed batch',
  'a batch whose predecessor never arrives is refused (transient) instead of stored out of order');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "m"}]', 'writer-0001')$$,
  'WM001', 'first_seq: must be the sequence number (1 or more) of the batch''s first element when stream is given',
  'stream needs first_seq');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "m"}]', first_seq => 1)$$,
  'WM001', 'stream: must be 8 to 100 letters, digits, _ . : or - naming the writer (e.g. a random UUID) when first_seq is given',
  'first_seq needs stream');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "m"}]', 'w 1', 1)$$,
  'WM001', null, 'a stream name with spaces is refused');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "m"}]', 'writer-0001', 0)$$,
  'WM001', null, 'first_seq starts at 1');

-- A failed batch: no rows, and the stream does not advance, so its resend is stored.
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "e7"},
  {"level": "NOTICE", "component": "c", "message": "e8"}]', 'writer-0001', 7)$$,
  'WM001', 'events[1].level: unknown level ''NOTICE''; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL',
  'a bad element in a sequenced batch is named by its index');
select throws_ok($$select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "e7"},
  {"level": "INFO", "component": "c", "message": "e8", "execution_id": "ghost"}]', 'writer-0001', 7)$$,
  'WM002', null, 'an unknown execution fails the sequenced batch after its range was claimed');
select is((select last_seq from watermark.etl_ingest_streams where stream = 'writer-0001'), 6::bigint,
  'failed batches left the stream where it was');
select is((select count(*)::integer from watermark.etl_logs where message in ('e7', 'e8')), 0, 'failed batches wrote no rows');
select is(public.log_etl_events('[{"level": "INFO", "component": "c", "message": "e7"}]', 'writer-0001', 7), 1,
  'the corrected resend is stored');

-- Metrics take the same pair.
select is(public.record_etl_metrics('[{"metric_name": "m", "metric_value": 1}, {"metric_name": "m", "metric_value": 2}]',
  'metrics-0001', 1), 2, 'a sequenced metrics batch is stored');
select is(public.record_etl_metrics('[{"metric_name": "m", "metric_value": 1}, {"metric_name": "m", "metric_value": 2}]',
  'metrics-0001', 1), 0, 'and its resend is not');

-- Idle streams are forgotten when a new one starts.
select tests.clear_authentication();
update watermark.etl_ingest_streams set updated_at = now() - interval '8 days' where stream = 'writer-0002';
select tests.authenticate_as('service');
select public.log_etl_events('[{"level": "INFO", "component": "c", "message": "g1"}]', 'writer-0003', 1);
select is((select array_agg(stream order by stream) from watermark.etl_ingest_streams),
  array['metrics-0001', 'writer-0001', 'writer-0003'], 'a stream idle for over 7 days is forgotten');

select tests.authenticate_as('viewer');
select throws_ok('select count(*) from watermark.etl_ingest_streams', '42501', null, 'viewers cannot read the stream positions');

select * from finish();
rollback;
