-- Stand-in for the pg_net extension, applied by `npm run stack -- up` only where
-- pg_available_extensions has no pg_net (it cannot be installed on these machines).
-- Same schema, tables, columns, function signatures and defaults as pg_net 0.19;
-- scripts/local/pgnet-worker.ts plays its background worker. Idempotent.

do $$
begin
  if coalesce(current_setting('watermark.local_stack', true), '') <> 'on' then
    raise exception 'pg_net stand-in refused: this is not a Watermark local stack (watermark.local_stack is not on)'
      using hint = 'on a real project use the pg_net extension: create extension pg_net';
  end if;
end
$$;

create schema if not exists net;

do $$
begin
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'net' and t.typname = 'http_method') then
    create domain net.http_method as text check (value ilike 'get' or value ilike 'post' or value ilike 'delete');
  end if;
end
$$;

-- Pending requests; the worker deletes each row when it picks it up.
create table if not exists net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds integer not null
);

-- One row per finished request (id = the request id); purged after pg_net.ttl (6 hours).
create table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);

-- pg_net wakes its worker when the transaction that queued a request commits, so a
-- request leaves at once instead of on the worker's next poll. NOTIFY is delivered at
-- commit (and not at all on rollback): the stand-in's worker LISTENs on this channel.
create or replace function net._wake_worker()
returns void
language sql
volatile
as $$
  select pg_notify('pg_net_wake', '')
$$;

-- pg_net's URL helpers are C functions; these give the same results.
create or replace function net._urlencode_string(string varchar)
returns text
language sql
immutable
strict
as $$
  select string_agg(
    case
      when ch ~ '^[A-Za-z0-9._~-]$' then ch
      else (select string_agg('%' || upper(lpad(to_hex(b), 2, '0')), '')
            from (select get_byte(convert_to(ch, 'UTF8'), i) as b
                  from generate_series(0, octet_length(convert_to(ch, 'UTF8')) - 1) as i) as bytes)
    end, '' order by pos)
  from regexp_split_to_table(string, '') with ordinality as chars(ch, pos)
$$;

create or replace function net._encode_url_with_params_array(url text, params_array text[])
returns text
language sql
immutable
strict
as $$
  select case
    when cardinality(params_array) = 0 then url
    else url || case when position('?' in url) > 0 then '&' else '?' end || array_to_string(params_array, '&')
  end
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
)
returns bigint
language plpgsql
strict
volatile
parallel safe
as $$
declare
  request_id bigint;
  params_array text[];
begin
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
    values ('GET', net._encode_url_with_params_array(url, params_array), headers, timeout_milliseconds)
    returning id into request_id;
  perform net._wake_worker();
  return request_id;
end
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
)
returns bigint
language plpgsql
volatile
parallel safe
as $$
declare
  request_id bigint;
  params_array text[];
  content_type text;
begin
  select header_value into content_type
    from jsonb_each_text(coalesce(headers, '{}'::jsonb)) as r(header_name, header_value)
    where lower(header_name) = 'content-type'
    limit 1;
  if content_type is null then
    headers := coalesce(headers, '{}'::jsonb) || '{"Content-Type": "application/json"}'::jsonb;
  end if;
  if content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
    values ('POST', net._encode_url_with_params_array(url, params_array), headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
    returning id into request_id;
  perform net._wake_worker();
  return request_id;
end
$$;

create or replace function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000,
  body jsonb default null
)
returns bigint
language plpgsql
volatile
parallel safe
as $$
declare
  request_id bigint;
  params_array text[];
begin
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
    values ('DELETE', net._encode_url_with_params_array(url, params_array), headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
    returning id into request_id;
  perform net._wake_worker();
  return request_id;
end
$$;

-- pg_net's own grants (0.8+): every role that can reach the schema can queue and read.
grant usage on schema net to public;
grant all on all tables in schema net to public;
grant all on all sequences in schema net to public;
grant execute on all functions in schema net to public;
