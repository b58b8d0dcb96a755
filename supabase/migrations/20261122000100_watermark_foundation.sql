-- Why: Watermark keeps tables and helpers in the private schema `watermark`, which
-- the Data API does not expose; `public` holds only the RPCs. This migration sets
-- up that split, revokes Supabase's permissive default grants once, and defines
-- the access levels and error helpers every RPC uses.

create schema if not exists watermark;
comment on schema watermark is
  'Watermark internals (tables, helpers). Not exposed by the Data API: use the RPCs in public.';
revoke all on schema watermark from public;
-- Usage only: tables stay behind RLS and per-table grants; helpers behind EXECUTE grants.
grant usage on schema watermark to authenticated, service_role;

-- Supabase grants everything created in public to anon/authenticated by default.
-- Deny by default, then grant EXECUTE per function right under each definition.
alter default privileges in schema public revoke execute on functions from public, anon, authenticated, service_role;
alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges in schema watermark revoke execute on functions from public;
alter default privileges revoke execute on functions from public;

-- Access levels: 0 none, 1 viewer, 2 operator, 3 service.
-- Viewers and operators are authenticated users whose app_metadata.watermark_role
-- says so (only the service role can write app_metadata in Supabase Auth).
-- A direct database session without JWT claims (pg_cron, an admin's psql) as the
-- database owner counts as service.
create or replace function watermark.access_level()
returns integer
language sql
stable
set search_path = ''
as $$
  select case
    when coalesce(auth.jwt() ->> 'role', '') = 'service_role' then 3
    when coalesce(auth.jwt() ->> 'role', '') = 'authenticated' then
      case auth.jwt() -> 'app_metadata' ->> 'watermark_role'
        when 'operator' then 2
        when 'viewer' then 1
        else 0
      end
    when auth.jwt() is null and session_user in ('postgres', 'supabase_admin') then 3
    else 0
  end
$$;
comment on function watermark.access_level() is
  'The caller''s Watermark access: 0 none, 1 viewer, 2 operator, 3 service.';

create or replace function watermark.require_access(min_level integer, action text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if watermark.access_level() < min_level then
    raise exception 'permission denied: % needs % access', action,
      case min_level when 1 then 'viewer' when 2 then 'operator' else 'service role' end
      using errcode = '42501',
            hint = 'viewers and operators are authenticated users with app_metadata.watermark_role set to viewer or operator; writes use the service role key';
  end if;
end
$$;

-- Who made a write: the JWT subject, else its role, else the database session user.
create or replace function watermark.caller()
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(auth.jwt() ->> 'sub', auth.jwt() ->> 'role', session_user::text)
$$;

-- Stable error for bad input: the message names the field and what to do.
-- errcode WM001 (invalid_parameter) is part of the API; @watermark/core exports it.
create or replace function watermark.raise_invalid(field text, problem text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  raise exception '%: %', field, problem using errcode = 'WM001';
end
$$;

grant execute on function watermark.access_level() to authenticated, service_role;
grant execute on function watermark.require_access(integer, text) to authenticated, service_role;
grant execute on function watermark.caller() to authenticated, service_role;
grant execute on function watermark.raise_invalid(text, text) to authenticated, service_role;
