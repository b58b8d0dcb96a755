-- Gives a plain PostgreSQL 15 cluster the Supabase platform surface that our
-- migrations rely on (roles, auth helpers, default grants), so migrations run
-- here exactly as they do on a Supabase project. Local stack only.
-- Parameter: :'authenticator_password'.

do $$
begin
  -- Guard: these roles and grants must never be created on a real project.
  if coalesce(current_setting('watermark.local_stack', true), '') <> 'on' then
    raise exception 'bootstrap refused: this is not a Watermark local stack (watermark.local_stack is not on)'
      using hint = 'run it only through `npm run stack -- up`';
  end if;
end
$$;

do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      execute format('create role %I nologin noinherit', r);
    end if;
  end loop;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$$;
alter role service_role bypassrls;
alter role authenticator with password :'authenticator_password';
grant anon, authenticated, service_role to authenticator;
-- Supabase's statement timeouts per API role.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
create extension if not exists pgcrypto with schema extensions;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

-- The same definitions Supabase ships: they read the claims PostgREST sets per request.
create or replace function auth.uid() returns uuid
language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;

-- Supabase's hosted defaults: everything created in public is granted to the
-- API roles. Our migrations must revoke what they do not mean to expose, so the
-- local stack reproduces the same permissive starting point.
-- Only on a database no migration has touched yet: re-applying these on a later
-- `up` would undo the revokes of our foundation migration.
grant usage on schema public to anon, authenticated, service_role;
do $$
begin
  if not exists (select 1 from pg_namespace where nspname = 'supabase_migrations') then
    alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
    alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
    alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
  end if;
end
$$;
