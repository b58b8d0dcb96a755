-- Why: an edge function gets 2 s of CPU per request. Piping a fixtures/multi
-- answer (about 2.5 MB with lineup details) through the function costs it
-- 2-3 ms of CPU per batch in its HTTP stack alone, however little JavaScript
-- touches the bytes. Here Postgres fetches the answer itself through pg_net,
-- so the bytes never pass through the function: it asks for a batch
-- (request_fixture_answer), then takes the answer (take_fixture_answer), which
-- Postgres parses and writes exactly as pipe_fixture_response does. Anything
-- but a 200 comes back to the function unparsed, with its status, Retry-After
-- and body, so the Sportmonks client reads errors, rate limits and retries one
-- way whichever path fetched the answer.
--
-- The API key travels in the request's headers: pg_net keeps them in
-- net.http_request_queue only until its worker takes the request, and never in
-- net._http_response.

-- Queues one API GET on pg_net. SECURITY DEFINER: pg_net's functions belong to
-- its owner, and the service role is granted only this narrow door to them.
create function watermark.queue_api_get(url text, headers jsonb, timeout_milliseconds integer)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  request_id bigint;
begin
  if to_regprocedure('net.http_get(text,jsonb,jsonb,integer)') is null then
    perform watermark.raise_invalid('pg_net', 'is not installed in this database: enable the pg_net extension, or collect through the pipe');
  end if;
  -- EXECUTE: pg_net may be absent when this function is created.
  execute 'select net.http_get(url := $1, headers := $2, timeout_milliseconds := $3)'
    into request_id using url, headers, timeout_milliseconds;
  return request_id;
end
$$;
revoke execute on function watermark.queue_api_get(text, jsonb, integer) from public;
grant execute on function watermark.queue_api_get(text, jsonb, integer) to service_role;

-- Takes (reads and deletes) pg_net's response to one request; no row while it is in flight.
create function watermark.take_api_response(request_id bigint)
returns table (status_code integer, headers jsonb, content text, timed_out boolean, error_msg text)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if to_regclass('net._http_response') is null then
    return;
  end if;
  return query execute
    'delete from net._http_response r where r.id = $1
     returning r.status_code, r.headers, r.content, r.timed_out, r.error_msg'
    using request_id;
end
$$;
revoke execute on function watermark.take_api_response(bigint) from public;
grant execute on function watermark.take_api_response(bigint) to service_role;

-- Asks pg_net to fetch one fixtures/multi batch for a leased chunk; returns the
-- request id that take_fixture_answer takes the answer by.
create function public.request_fixture_answer(
  chunk_id text,
  lease_token uuid,
  url text,
  headers jsonb,
  timeout_milliseconds integer
)
returns bigint
language plpgsql
set search_path = ''
as $$
begin
  perform watermark.require_access(3, 'request_fixture_answer');
  perform watermark.lock_leased_chunk(request_fixture_answer.chunk_id, request_fixture_answer.lease_token);
  if url is null or url !~ '^https?://[^[:space:]]+$' or length(url) > 8000 then
    perform watermark.raise_invalid('url', 'must be the http(s) URL of the fixtures/multi call, without spaces, up to 8000 characters');
  end if;
  if headers is null or jsonb_typeof(headers) <> 'object'
     or exists (select 1 from jsonb_each(headers) h where jsonb_typeof(h.value) <> 'string') then
    perform watermark.raise_invalid('headers', 'must be a JSON object of header names to string values');
  end if;
  if timeout_milliseconds is null or timeout_milliseconds not between 1000 and 300000 then
    perform watermark.raise_invalid('timeout_milliseconds', 'must be 1000 to 300000 (the API call''s timeout)');
  end if;
  return watermark.queue_api_get(url, headers, timeout_milliseconds);
end
$$;
grant execute on function public.request_fixture_answer(text, uuid, text, jsonb, integer) to service_role;

-- Waits up to wait_milliseconds for pg_net's answer to a request_fixture_answer
-- call, then takes it. Answers one of:
--   {"pending": true}                                  still in flight: call again;
--   {"written": <upsert_fixture_response's result>}    a 200 with a JSON body, written;
--   {"status": 200, "malformed": true, "bytes": n}     a 200 whose body is not JSON;
--   {"status": n, "retry_after": …, "body": …}         any other status (body up to 64 KiB);
--   {"failed": true, "timed_out": b, "error": …}       no HTTP answer (timeout, connection);
--   {"refused": {"code", "message", "details", "hint"}} a 200 upsert_fixture_response refused
--                                                      (WM001 naming the field, WM004 a lost lease):
--                                                      nothing written, the answer's row taken all the same.
create function public.take_fixture_answer(
  request_id bigint,
  chunk_id text,
  lease_token uuid,
  fixture_ids bigint[],
  checkpoint jsonb,
  execution_id text default null,
  wait_milliseconds integer default 5000
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  deadline timestamptz;
  r record;
  payload jsonb;
  err_code text;
  err_message text;
  err_detail text;
  err_hint text;
begin
  perform watermark.require_access(3, 'take_fixture_answer');
  if request_id is null or request_id <= 0 then
    perform watermark.raise_invalid('request_id', 'must be the id request_fixture_answer returned');
  end if;
  if wait_milliseconds is null or wait_milliseconds not between 0 and 20000 then
    perform watermark.raise_invalid('wait_milliseconds', 'must be 0 to 20000; call again while the answer is pending');
  end if;
  deadline := clock_timestamp() + make_interval(secs => wait_milliseconds / 1000.0);
  loop
    select * into r from watermark.take_api_response(take_fixture_answer.request_id);
    exit when found;
    if clock_timestamp() >= deadline then
      return jsonb_build_object('pending', true);
    end if;
    -- Each statement sees pg_net's newly committed rows; 10 ms keeps the wait cheap and short.
    perform pg_sleep(0.01);
  end loop;

  if r.status_code is null then
    return jsonb_build_object('failed', true, 'timed_out', coalesce(r.timed_out, false),
                              'error', coalesce(r.error_msg, 'no answer'));
  end if;
  if r.status_code <> 200 then
    return jsonb_build_object(
      'status', r.status_code,
      'retry_after', (select h.value #>> '{}' from jsonb_each(coalesce(r.headers, '{}')) h where lower(h.key) = 'retry-after' limit 1),
      'body', left(r.content, 65536));
  end if;
  begin
    payload := r.content::jsonb;
  exception when invalid_text_representation then
    return jsonb_build_object('status', 200, 'malformed', true, 'bytes', coalesce(octet_length(r.content), 0));
  end;
  begin
    return jsonb_build_object('written', public.upsert_fixture_response(take_fixture_answer.chunk_id, take_fixture_answer.lease_token,
      take_fixture_answer.fixture_ids, take_fixture_answer.checkpoint, payload, take_fixture_answer.execution_id));
  exception when others then
    -- Raising would roll the take back and leave a refused answer of up to 2.5 MB in
    -- net._http_response until pg_net's TTL: the refusal is answered instead (the block
    -- has undone the write) and the collector raises it as the database's error.
    get stacked diagnostics err_code = returned_sqlstate, err_message = message_text,
                            err_detail = pg_exception_detail, err_hint = pg_exception_hint;
    return jsonb_build_object('refused', jsonb_build_object('code', err_code, 'message', err_message,
                                                           'details', nullif(err_detail, ''), 'hint', nullif(err_hint, '')));
  end;
end
$$;
grant execute on function public.take_fixture_answer(bigint, text, uuid, bigint[], jsonb, text, integer) to service_role;
