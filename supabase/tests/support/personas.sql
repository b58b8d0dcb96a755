-- Test personas for pgTAP, installed into a test database (a clone of the migrated
-- template) before pg_prove runs. Idempotent. Never applied to a real project:
-- it lives outside supabase/migrations.
--
--   select tests.authenticate_as('viewer');   -- anon | user | viewer | operator | service
--   ... the statements under test run as that API caller ...
--   select tests.clear_authentication();      -- back to the superuser session
--
-- authenticate_as does what PostgREST does per request: `set local role` to the JWT's
-- role and `set local request.jwt.claims` to the claims, so it only lasts until the
-- end of the test's transaction.

create extension if not exists pgtap with schema extensions;

-- pgTAP functions run as the persona too: let the API roles execute them (test databases only).
do $$
declare
  fn regprocedure;
begin
  for fn in
    select p.oid::regprocedure
    from pg_proc p
    join pg_depend d on d.objid = p.oid and d.classid = 'pg_proc'::regclass and d.deptype = 'e'
    join pg_extension e on e.oid = d.refobjid and e.extname = 'pgtap'
  loop
    execute format('grant execute on function %s to anon, authenticated, service_role', fn);
  end loop;
end
$$;

-- pg_prove opens a new session per file: make pgTAP (in extensions) and the helpers resolvable.
do $$
begin
  execute format('alter database %I set search_path = "$user", public, extensions, tests', current_database());
end
$$;

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

-- The JWT claims each persona's requests carry. The search_path clauses below
-- restore only search_path on return, so `set local role` outlives the call.
create or replace function tests.persona_claims(persona text)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select case persona
    when 'anon' then '{"role": "anon"}'::jsonb
    when 'user' then '{"role": "authenticated", "sub": "00000000-0000-4000-8000-000000000001",
      "email": "user@example.test", "app_metadata": {}}'::jsonb
    when 'viewer' then '{"role": "authenticated", "sub": "00000000-0000-4000-8000-000000000002",
      "email": "viewer@example.test", "app_metadata": {"watermark_role": "viewer"}}'::jsonb
    when 'operator' then '{"role": "authenticated", "sub": "00000000-0000-4000-8000-000000000003",
      "email": "operator@example.test", "app_metadata": {"watermark_role": "operator"}}'::jsonb
    when 'service' then '{"role": "service_role"}'::jsonb
  end
$$;

create or replace function tests.authenticate_as(persona text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  claims jsonb := tests.persona_claims(persona);
begin
  if claims is null then
    raise exception 'unknown persona %; use one of anon, user, viewer, operator, service', quote_literal(persona);
  end if;
  perform set_config('request.jwt.claims', claims::text, true);
  execute format('set local role %I', claims ->> 'role');
end
$$;

create or replace function tests.clear_authentication()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', '', true);
  reset role;
end
$$;

grant execute on function tests.persona_claims(text), tests.authenticate_as(text), tests.clear_authentication()
  to anon, authenticated, service_role;
