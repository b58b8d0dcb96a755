-- Why: pg_cron drives Watermark's edge functions through pg_net, but pg_cron's
-- "succeeded" only means pg_net queued the request, and pg_net purges its
-- responses after 6 hours. This migration adds what scheduling needs to be
-- trustworthy: revocable trigger credentials (pg_net's queued headers are
-- readable, so cron never sends the service key), private settings that say
-- where the functions live, `watermark.invoke_function()` that every schedule
-- calls, a record of what each invocation really did (harvested from
-- `net._http_response` every minute), and the `collect` schedule.
--
-- pg_net is referenced only inside plpgsql bodies through EXECUTE, so this
-- migration applies where pg_net is absent (the test template); pg_cron objects
-- exist only in the database pg_cron runs in (`cron.database_name`).

do $$
begin
  if current_database() = current_setting('cron.database_name', true) then
    create extension if not exists pg_cron;
  end if;
  -- Supabase ships pg_net; the local stack provides a stand-in with the same surface instead.
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net with schema extensions;
  end if;
end
$$;

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- One row: where the functions are served and the trigger token pg_cron sends.
-- Holds a live secret, so it has RLS and no grants at all: only the owner
-- (pg_cron's session, the definer RPCs below) reads it.
create table watermark.function_settings (
  singleton boolean primary key default true check (singleton),
  functions_base_url text,
  -- Sent as apikey/Authorization when the functions gateway wants a JWT (an anon key is public).
  gateway_api_key text,
  trigger_token text,
  trigger_credential_id bigint,
  updated_at timestamptz not null default now(),
  updated_by text
);
alter table watermark.function_settings enable row level security;
comment on table watermark.function_settings is
  'Private: functions base URL and the trigger token pg_cron sends. Owner only; change it with set_functions_base_url() and rotate_schedule_trigger_credential().';
insert into watermark.function_settings (singleton) values (true);

-- Credentials a caller presents in x-watermark-trigger. Only a SHA-256 hash is kept.
create table watermark.trigger_credentials (
  credential_id bigint generated always as identity primary key,
  name text not null check (name ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$'),
  token_hash bytea not null unique,
  created_at timestamptz not null default now(),
  created_by text not null,
  revoked_at timestamptz,
  revoked_by text,
  last_used_at timestamptz
);
-- A name is reusable once its credential is revoked.
create unique index trigger_credentials_active_name on watermark.trigger_credentials (name) where revoked_at is null;
alter table watermark.trigger_credentials enable row level security;
comment on table watermark.trigger_credentials is
  'Revocable credentials for invoking Watermark functions (header x-watermark-trigger); tokens are stored as SHA-256 hashes.';

create table watermark.function_schedules (
  function_name text primary key check (function_name ~ '^[a-z][a-z0-9_-]{0,62}$'),
  cron_expression text not null,
  enabled boolean not null default true,
  body jsonb not null default '{}' check (jsonb_typeof(body) = 'object'),
  timeout_milliseconds integer not null default 10000 check (timeout_milliseconds between 1000 and 300000),
  updated_at timestamptz not null default now(),
  updated_by text,
  -- Set when its function answered that it cannot run (server_misconfigured): the pg_cron job is
  -- removed until configure_function_schedule() or resume_function_schedule() arms it again.
  paused_at timestamptz,
  paused_reason text,
  check ((paused_at is null) = (paused_reason is null))
);
alter table watermark.function_schedules enable row level security;
comment on table watermark.function_schedules is
  'The pg_cron schedule of each edge function (job name watermark-invoke-<function>); change it with configure_function_schedule(). paused_reason says why a schedule whose function cannot run was paused.';

create table watermark.function_invocations (
  id bigint generated always as identity primary key,
  function_name text not null,
  -- pg_net's request id (net._http_response.id); null when the request could not be queued.
  request_id bigint,
  requested_at timestamptz not null default now(),
  -- backlog: chained by watermark.dispatch_collect_backlog() (migration 000460) while chunks need work.
  trigger text not null check (trigger in ('schedule', 'backlog', 'manual')),
  status text not null default 'queued' check (status in ('queued', 'succeeded', 'failed', 'timed_out')),
  status_code integer,
  error text,
  response_body jsonb,
  responded_at timestamptz,
  execution_id text
);
create index function_invocations_queued on watermark.function_invocations (request_id) where status = 'queued';
create index function_invocations_by_function on watermark.function_invocations (function_name, requested_at desc);
-- The harvest's 30-day retention runs every minute.
create index function_invocations_requested_at_idx on watermark.function_invocations (requested_at);
alter table watermark.function_invocations enable row level security;
comment on table watermark.function_invocations is
  'What each function invocation really did: pg_net responses copied before pg_net purges them (6 h). Kept 30 days.';

grant select on watermark.function_schedules, watermark.function_invocations to authenticated, service_role;
create policy "viewers read function schedules" on watermark.function_schedules
  for select to authenticated using ((select watermark.access_level()) >= 1);
create policy "viewers read function invocations" on watermark.function_invocations
  for select to authenticated using ((select watermark.access_level()) >= 1);

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

create or replace function watermark.hash_trigger_token(token text)
returns bytea
language sql
immutable
strict
set search_path = ''
as $$
  select extensions.digest(token, 'sha256')
$$;

create or replace function watermark.cron_job_name(function_name text)
returns text
language sql
immutable
strict
set search_path = ''
as $$
  select 'watermark-invoke-' || function_name
$$;

-- pg_net stores the body as text; a function may answer anything.
create or replace function watermark.parse_json_or_null(content text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
  return content::jsonb;
exception when others then
  return null;
end
$$;

-- How a pg_net response row is classified. Timeouts first: recent pg_net
-- versions report them only in error_msg.
create or replace function watermark.classify_http_response(status_code integer, timed_out boolean, error_msg text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when coalesce(timed_out, false) or coalesce(error_msg, '') ~* 'time(d)?[ _-]?out' then 'timed_out'
    when error_msg is not null or status_code is null then 'failed'
    when status_code between 200 and 299 then 'succeeded'
    else 'failed'
  end
$$;

-- ---------------------------------------------------------------------------
-- Invocation
-- ---------------------------------------------------------------------------

-- POSTs to <functions base URL>/<function_name> through pg_net with the
-- schedule's trigger token and records the invocation. Never raises for a
-- configuration problem: the invocation is recorded as failed with the fix in
-- `error`, so a misconfigured schedule is visible rather than silent.
-- Called by pg_cron jobs (as the owner) and by request_function_invocation().
create or replace function watermark.invoke_function(function_name text, body jsonb default '{}', trigger text default 'schedule')
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  settings watermark.function_settings;
  schedule_timeout integer;
  invocation_id bigint;
  queued_request_id bigint;
  headers jsonb;
  problem text;
begin
  perform watermark.require_access(2, 'invoke_function');
  if invoke_function.function_name is null or invoke_function.function_name !~ '^[a-z][a-z0-9_-]{0,62}$' then
    perform watermark.raise_invalid('function_name', 'must be a function folder name like collect; use lowercase letters, digits, - and _');
  end if;
  if invoke_function.body is null or jsonb_typeof(invoke_function.body) <> 'object' then
    perform watermark.raise_invalid('body', 'must be a JSON object; pass ''{}'' for none');
  end if;
  perform watermark.require_small_object('body', invoke_function.body);
  if invoke_function.trigger is null or invoke_function.trigger not in ('schedule', 'backlog', 'manual') then
    perform watermark.raise_invalid('trigger', 'must be schedule, backlog or manual');
  end if;

  select * into settings from watermark.function_settings where singleton;
  select s.timeout_milliseconds into schedule_timeout
    from watermark.function_schedules s where s.function_name = invoke_function.function_name;

  insert into watermark.function_invocations (function_name, trigger)
  values (invoke_function.function_name, invoke_function.trigger)
  returning id into invocation_id;

  problem := case
    when settings.functions_base_url is null then
      'functions base URL is not set: call set_functions_base_url(''https://<ref>.supabase.co/functions/v1'')'
    when settings.trigger_token is null then
      'no trigger credential for schedules: call rotate_schedule_trigger_credential()'
    when to_regprocedure('net.http_post(text,jsonb,jsonb,jsonb,integer)') is null then
      'pg_net is not installed in this database: enable the pg_net extension'
  end;
  if problem is not null then
    update watermark.function_invocations
       set status = 'failed', error = problem, responded_at = now()
     where id = invocation_id;
    return invocation_id;
  end if;

  headers := jsonb_build_object(
    'Content-Type', 'application/json',
    'x-watermark-trigger', settings.trigger_token,
    'x-watermark-invocation-id', invocation_id::text,
    -- The trigger recorded above: the function labels its run with it (schedule, backlog or manual).
    'x-watermark-invocation-trigger', invoke_function.trigger
  );
  if settings.gateway_api_key is not null then
    headers := headers || jsonb_build_object('apikey', settings.gateway_api_key,
                                             'Authorization', 'Bearer ' || settings.gateway_api_key);
  end if;

  -- EXECUTE: pg_net may be absent when this function is created.
  execute 'select net.http_post(url := $1, body := $2, headers := $3, timeout_milliseconds := $4)'
    into queued_request_id
    using settings.functions_base_url || '/' || invoke_function.function_name,
          invoke_function.body, headers, coalesce(schedule_timeout, 10000);

  update watermark.function_invocations set request_id = queued_request_id where id = invocation_id;
  return invocation_id;
end
$$;
comment on function watermark.invoke_function(text, jsonb, text) is
  'POST <functions base URL>/<function_name> via pg_net with the schedule trigger token; returns the function_invocations id. pg_cron jobs call this.';

-- Removes a schedule's pg_cron job and records why; configure_function_schedule() or
-- resume_function_schedule() arms it again.
create or replace function watermark.pause_function_schedule(function_name text, reason text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform watermark.require_access(3, 'pause_function_schedule');
  update watermark.function_schedules s
     set paused_at = now(), paused_reason = left(coalesce(reason, 'paused'), 1000)
   where s.function_name = pause_function_schedule.function_name;
  if to_regclass('cron.job') is not null then
    execute 'select cron.unschedule(jobid) from cron.job where jobname = $1' using watermark.cron_job_name(function_name);
  end if;
end
$$;

-- Copies pg_net responses into function_invocations before pg_net purges them,
-- marks requests that never got a response, and keeps 30 days. Idempotent:
-- only queued rows change, so overlapping runs do nothing twice.
create or replace function watermark.harvest_function_invocations()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  harvested integer := 0;
  paused record;
begin
  perform watermark.require_access(3, 'harvest_function_invocations');
  if to_regclass('net._http_response') is not null then
    -- EXECUTE: pg_net may be absent when this function is created.
    execute $sql$
      with responses as (
        select i.id,
               watermark.classify_http_response(r.status_code, r.timed_out, r.error_msg) as outcome,
               r.status_code, r.error_msg, r.content, r.created,
               watermark.parse_json_or_null(r.content) as parsed
          from watermark.function_invocations i
          join net._http_response r on r.id = i.request_id
         where i.status = 'queued'
           and r.created >= i.requested_at - interval '1 minute'
      )
      update watermark.function_invocations i
         set status = r.outcome,
             status_code = r.status_code,
             responded_at = r.created,
             response_body = case
               when r.content is null then null
               when r.parsed is not null then r.parsed
               else jsonb_build_object('text', left(r.content, 2000))
             end,
             execution_id = case when r.outcome = 'succeeded' then r.parsed ->> 'execution_id' end,
             error = case
               when r.outcome = 'timed_out' then coalesce(r.error_msg, 'request timed out')
               when r.error_msg is not null then r.error_msg
               when r.outcome = 'failed' and r.status_code is null then 'no HTTP status in the pg_net response'
               when r.outcome = 'failed' then format('HTTP %s: %s', r.status_code,
                 coalesce(r.parsed #>> '{error,code}' || ': ' || (r.parsed #>> '{error,message}'),
                          r.parsed #>> '{error,message}', r.parsed #>> '{error}', left(r.content, 300), 'empty body'))
             end
        from responses r
       where i.id = r.id and i.status = 'queued'
    $sql$;
    get diagnostics harvested = row_count;
  end if;

  update watermark.function_invocations
     set status = 'failed',
         error = 'no pg_net response within 6 hours: the request was lost or purged; check that the pg_net worker runs'
   where status = 'queued' and requested_at < now() - interval '6 hours';

  delete from watermark.function_invocations where requested_at < now() - interval '30 days';

  -- A function that answered server_misconfigured cannot run until its settings change: its
  -- schedule is paused with that answer as the reason instead of failing on every tick. Only
  -- answers to invocations since the schedule was last configured count.
  for paused in
    select s.function_name, last.error
      from watermark.function_schedules s
      join lateral (
        select i.status, i.error, i.response_body from watermark.function_invocations i
         where i.function_name = s.function_name and i.status <> 'queued' and i.requested_at >= s.updated_at
         order by i.requested_at desc, i.id desc
         limit 1) last on true
     where s.enabled and s.paused_at is null
       and last.status = 'failed' and last.response_body #>> '{error,code}' = 'server_misconfigured'
  loop
    perform watermark.pause_function_schedule(paused.function_name, paused.error);
  end loop;
  return harvested;
end
$$;
comment on function watermark.harvest_function_invocations() is
  'Copies pg_net responses into function_invocations (run every minute by pg_cron); returns how many invocations got their outcome.';

-- ---------------------------------------------------------------------------
-- RPCs: settings and schedules (operator)
-- ---------------------------------------------------------------------------

-- Definer: writes the owner-only settings table.
create or replace function public.set_functions_base_url(url text, api_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  clean_url text := rtrim(btrim(url), '/');
begin
  perform watermark.require_access(2, 'set_functions_base_url');
  if clean_url is null or length(clean_url) > 2000
     or clean_url !~ '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$' then
    perform watermark.raise_invalid('url', 'must be an http(s) URL such as https://<ref>.supabase.co/functions/v1');
  end if;
  if api_key is not null and (length(api_key) not between 20 and 4096 or api_key ~ '\s') then
    perform watermark.raise_invalid('api_key', 'must be the project''s anon (publishable) key without spaces, or null');
  end if;
  update watermark.function_settings
     set functions_base_url = clean_url, gateway_api_key = api_key,
         updated_at = now(), updated_by = watermark.caller()
   where singleton;
  return jsonb_build_object('functions_base_url', clean_url, 'api_key_set', api_key is not null);
end
$$;
grant execute on function public.set_functions_base_url(text, text) to authenticated, service_role;

-- Definer: pg_cron jobs belong to the user that schedules them; the owner must
-- own them so they run as the owner (service level) whoever configured them.
create or replace function public.configure_function_schedule(
  function_name text,
  cron_expression text,
  enabled boolean default true,
  body jsonb default '{}',
  timeout_milliseconds integer default 10000
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  expr text := btrim(regexp_replace(cron_expression, '\s+', ' ', 'g'));
  job text;
  scheduled boolean := false;
  saved watermark.function_schedules;
begin
  perform watermark.require_access(2, 'configure_function_schedule');
  if function_name is null or function_name !~ '^[a-z][a-z0-9_-]{0,62}$' then
    perform watermark.raise_invalid('function_name', 'must be a function folder name like collect; use lowercase letters, digits, - and _');
  end if;
  if expr is null or not (
       expr ~ '^[1-5]?[0-9] seconds$'
       or (expr ~ '^(\S+ ){4}\S+$' and expr !~ '[^0-9A-Za-z*/,$ -]')
     ) then
    perform watermark.raise_invalid('cron_expression', 'must be a 5-field cron expression such as */10 * * * * (minute hour day month weekday)');
  end if;
  if enabled is null then
    perform watermark.raise_invalid('enabled', 'must be true or false');
  end if;
  if body is null or jsonb_typeof(body) <> 'object' then
    perform watermark.raise_invalid('body', 'must be a JSON object; pass ''{}'' for none');
  end if;
  -- pg_cron stores the body inside the job's command and pg_net queues it: keep it small.
  perform watermark.require_small_object('body', body);
  if timeout_milliseconds is null or timeout_milliseconds not between 1000 and 300000 then
    perform watermark.raise_invalid('timeout_milliseconds', 'must be between 1000 and 300000');
  end if;

  insert into watermark.function_schedules as s
    (function_name, cron_expression, enabled, body, timeout_milliseconds, updated_at, updated_by)
  values (configure_function_schedule.function_name, expr, configure_function_schedule.enabled,
          configure_function_schedule.body, configure_function_schedule.timeout_milliseconds, now(), watermark.caller())
  on conflict on constraint function_schedules_pkey do update
     set cron_expression = excluded.cron_expression, enabled = excluded.enabled, body = excluded.body,
         timeout_milliseconds = excluded.timeout_milliseconds, updated_at = excluded.updated_at,
         updated_by = excluded.updated_by, paused_at = null, paused_reason = null
  returning * into saved;

  -- pg_cron exists only in cron.database_name; elsewhere the schedule is only stored.
  if to_regclass('cron.job') is not null then
    job := watermark.cron_job_name(saved.function_name);
    begin
      if saved.enabled then
        execute 'select cron.schedule($1, $2, $3)' using job, saved.cron_expression,
          format('select watermark.invoke_function(%L, %L::jsonb)', saved.function_name, saved.body::text);
        scheduled := true;
      else
        execute 'select cron.unschedule(jobid) from cron.job where jobname = $1' using job;
      end if;
    exception when invalid_parameter_value then
      perform watermark.raise_invalid('cron_expression', format('pg_cron rejected %s; use a 5-field cron expression such as */10 * * * *', saved.cron_expression));
    end;
  end if;

  return to_jsonb(saved) || jsonb_build_object('cron_job', job, 'cron_scheduled', scheduled);
end
$$;
grant execute on function public.configure_function_schedule(text, text, boolean, jsonb, integer) to authenticated, service_role;

-- Definer: cron.job is visible only to each job's owner.
create or replace function public.list_function_schedules()
returns table (
  function_name text,
  cron_expression text,
  enabled boolean,
  body jsonb,
  timeout_milliseconds integer,
  cron_job text,
  cron_active boolean,
  last_invocation_at timestamptz,
  last_status text,
  last_status_code integer,
  last_error text,
  last_success_at timestamptz,
  updated_at timestamptz,
  paused_at timestamptz,
  paused_reason text
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  active_jobs text[] := '{}';
begin
  perform watermark.require_access(1, 'list_function_schedules');
  if to_regclass('cron.job') is not null then
    execute 'select coalesce(array_agg(jobname), ''{}'') from cron.job where active' into active_jobs;
  end if;
  return query
    select s.function_name, s.cron_expression, s.enabled, s.body, s.timeout_milliseconds,
           watermark.cron_job_name(s.function_name),
           watermark.cron_job_name(s.function_name) = any (active_jobs),
           last.requested_at, last.status, last.status_code, last.error,
           (select max(i.requested_at) from watermark.function_invocations i
             where i.function_name = s.function_name and i.trigger = 'schedule' and i.status = 'succeeded'),
           s.updated_at, s.paused_at, s.paused_reason
      from watermark.function_schedules s
      left join lateral (
        select i.requested_at, i.status, i.status_code, i.error
          from watermark.function_invocations i
         where i.function_name = s.function_name and i.trigger = 'schedule'
         order by i.requested_at desc, i.id desc
         limit 1
      ) last on true
     order by s.function_name;
end
$$;
grant execute on function public.list_function_schedules() to authenticated, service_role;

-- Arms a paused schedule again with its saved settings, once its function can run (its secrets
-- set). Returns what configure_function_schedule() returns.
create or replace function public.resume_function_schedule(function_name text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  saved watermark.function_schedules;
begin
  perform watermark.require_access(2, 'resume_function_schedule');
  select * into saved from watermark.function_schedules s where s.function_name = resume_function_schedule.function_name;
  if not found then
    raise exception 'function_name: no schedule for %; create one with configure_function_schedule()', coalesce(function_name, 'null')
      using errcode = 'WM002';
  end if;
  return public.configure_function_schedule(saved.function_name, saved.cron_expression, saved.enabled, saved.body,
                                            saved.timeout_milliseconds);
end
$$;
grant execute on function public.resume_function_schedule(text) to authenticated, service_role;

-- Definer: invoke_function reads the owner-only settings.
create or replace function public.request_function_invocation(function_name text, body jsonb default '{}')
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform watermark.require_access(2, 'request_function_invocation');
  return watermark.invoke_function(function_name, body, 'manual');
end
$$;
grant execute on function public.request_function_invocation(text, jsonb) to authenticated, service_role;

create or replace function public.list_function_invocations(
  function_name text default null,
  status text default null,
  max_rows integer default 50,
  before_id bigint default null
)
returns setof watermark.function_invocations
language plpgsql
stable
set search_path = ''
as $$
begin
  perform watermark.require_access(1, 'list_function_invocations');
  if status is not null and status not in ('queued', 'succeeded', 'failed', 'timed_out') then
    perform watermark.raise_invalid('status', 'must be queued, succeeded, failed or timed_out');
  end if;
  if max_rows is null or max_rows not between 1 and 1000 then
    perform watermark.raise_invalid('max_rows', 'must be between 1 and 1000');
  end if;
  return query
    select i.* from watermark.function_invocations i
     where (list_function_invocations.function_name is null or i.function_name = list_function_invocations.function_name)
       and (list_function_invocations.status is null or i.status = list_function_invocations.status)
       and (before_id is null or i.id < before_id)
     order by i.id desc
     limit max_rows;
end
$$;
grant execute on function public.list_function_invocations(text, text, integer, bigint) to authenticated, service_role;

create or replace function public.harvest_function_invocations()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Definer: reads pg_net's response table, which API roles may not see.
  perform watermark.require_access(3, 'harvest_function_invocations');
  return watermark.harvest_function_invocations();
end
$$;
grant execute on function public.harvest_function_invocations() to service_role;

-- ---------------------------------------------------------------------------
-- RPCs: trigger credentials
-- ---------------------------------------------------------------------------

create or replace function watermark.new_trigger_token()
returns text
language sql
volatile
set search_path = ''
as $$
  select 'wmt_' || encode(extensions.gen_random_bytes(32), 'hex')
$$;

-- Definer: trigger_credentials has no grants. Returns the token once; only its hash is kept.
create or replace function public.create_trigger_credential(credential_name text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  token text := watermark.new_trigger_token();
begin
  perform watermark.require_access(2, 'create_trigger_credential');
  if credential_name is null or credential_name !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$' then
    perform watermark.raise_invalid('credential_name', 'must be 1-63 letters, digits, _ . : or -, starting with a letter or digit');
  end if;
  insert into watermark.trigger_credentials (name, token_hash, created_by)
  values (credential_name, watermark.hash_trigger_token(token), watermark.caller());
  return token;
exception when unique_violation then
  raise exception '%', format('credential_name: %s is already active; revoke it first with revoke_trigger_credential(%L)', credential_name, credential_name)
    using errcode = 'WM003';
end
$$;
grant execute on function public.create_trigger_credential(text) to authenticated, service_role;

-- Definer: trigger_credentials has no grants.
create or replace function public.revoke_trigger_credential(credential_name text)
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
  revoked timestamptz;
begin
  perform watermark.require_access(2, 'revoke_trigger_credential');
  update watermark.trigger_credentials c
     set revoked_at = now(), revoked_by = watermark.caller()
   where c.name = credential_name and c.revoked_at is null
  returning c.revoked_at into revoked;
  if revoked is null then
    raise exception 'credential_name: no active trigger credential named %', coalesce(credential_name, 'null')
      using errcode = 'WM002';
  end if;
  -- Schedules stop sending a revoked token: they fail visibly until rotated.
  update watermark.function_settings s
     set trigger_token = null, trigger_credential_id = null, updated_at = now(), updated_by = watermark.caller()
   where s.trigger_credential_id in (select c.credential_id from watermark.trigger_credentials c
                                      where c.name = credential_name and c.revoked_at = revoked);
  return revoked;
end
$$;
grant execute on function public.revoke_trigger_credential(text) to authenticated, service_role;

-- Definer: creates the credential pg_cron sends and stores its token in the
-- owner-only settings; the token never leaves the database. The previous
-- schedule credential is revoked.
create or replace function public.rotate_schedule_trigger_credential()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  token text := watermark.new_trigger_token();
  new_id bigint;
  previous text;
begin
  perform watermark.require_access(2, 'rotate_schedule_trigger_credential');
  -- Two rotations at once would both revoke and insert: serialise them.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('watermark.rotate_schedule_trigger_credential'));
  update watermark.trigger_credentials c
     set revoked_at = now(), revoked_by = watermark.caller()
   where c.name = 'pg_cron' and c.revoked_at is null
  returning c.name into previous;
  insert into watermark.trigger_credentials (name, token_hash, created_by)
  values ('pg_cron', watermark.hash_trigger_token(token), watermark.caller())
  returning credential_id into new_id;
  update watermark.function_settings
     set trigger_token = token, trigger_credential_id = new_id, updated_at = now(), updated_by = watermark.caller()
   where singleton;
  return jsonb_build_object('credential_name', 'pg_cron', 'revoked_previous', previous is not null);
end
$$;
grant execute on function public.rotate_schedule_trigger_credential() to authenticated, service_role;

-- Definer: trigger_credentials has no grants.
create or replace function public.list_trigger_credentials()
returns table (name text, created_at timestamptz, created_by text, revoked_at timestamptz, last_used_at timestamptz, used_by_schedules boolean)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform watermark.require_access(2, 'list_trigger_credentials');
  return query
    select c.name, c.created_at, c.created_by, c.revoked_at, c.last_used_at,
           exists (select 1 from watermark.function_settings s where s.trigger_credential_id = c.credential_id)
      from watermark.trigger_credentials c
     order by c.created_at desc, c.credential_id desc;
end
$$;
grant execute on function public.list_trigger_credentials() to authenticated, service_role;

-- Definer: trigger_credentials has no grants. The functions call this with the
-- service role for every x-watermark-trigger header they receive. Returns the
-- credential's name, or null when the token is unknown or revoked.
create or replace function public.verify_trigger_token(token text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  matched text;
begin
  perform watermark.require_access(3, 'verify_trigger_token');
  if token is null or length(token) > 200 then
    return null;
  end if;
  update watermark.trigger_credentials c
     set last_used_at = now()
   where c.token_hash = watermark.hash_trigger_token(token) and c.revoked_at is null
  returning c.name into matched;
  return matched;
end
$$;
grant execute on function public.verify_trigger_token(text) to service_role;

-- ---------------------------------------------------------------------------
-- Schedules
-- ---------------------------------------------------------------------------

-- collect every 10 minutes by default; operators change it with
-- configure_function_schedule('collect', '<cron>', ...). Until the base URL
-- and the schedule credential are set, each run is recorded as failed with the fix.
do $$ begin perform public.configure_function_schedule('collect', '*/10 * * * *'); end $$;

do $$
begin
  if to_regclass('cron.job') is not null then
    perform cron.schedule('watermark-harvest-invocations', '* * * * *',
                          'select watermark.harvest_function_invocations()');
  end if;
end
$$;
