// The RPC gateway keeps PostgREST's surface: auth, named arguments, result shapes, error mapping.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signJwt } from "../../scripts/local/jwt.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack("gateway");
  await stack.query(`
    create table public.gw_calls (id serial primary key, note text unique);
    create type public.gw_pair as (left_value integer, right_value text);
    create function public.gw_add(a integer, b integer default 10) returns integer language sql immutable as $$ select a + b $$;
    create function public.gw_nothing(a integer) returns integer language sql immutable as $$ select null::integer $$;
    create function public.gw_echo(payload jsonb, label text, at timestamptz default null, tags text[] default '{}')
      returns jsonb language sql volatile as $$ select jsonb_build_object('payload', payload, 'label', label, 'at', at, 'tags', tags) $$;
    create function public.gw_series(n integer) returns setof integer language sql stable as $$ select generate_series(1, n) $$;
    create function public.gw_rows(n integer) returns table (i integer, label text) language sql stable
      as $$ select g, 'row ' || g from generate_series(1, n) g $$;
    create function public.gw_pair_of(v integer) returns public.gw_pair language sql stable as $$ select (v, v::text)::public.gw_pair $$;
    create function public.gw_note(note text) returns void language sql volatile as $$ insert into public.gw_calls (note) values (note) $$;
    create function public.gw_note_then_fail(note text) returns void language plpgsql volatile as $$
      begin
        insert into public.gw_calls (note) values (note);
        raise exception 'note: rejected after writing' using errcode = 'WM001', detail = 'the write must roll back', hint = 'send another note';
      end $$;
    create function public.gw_raise(message text) returns void language plpgsql stable as $$ begin raise exception '%', message; end $$;
    create function public.gw_whoami() returns jsonb language sql stable as $$
      select jsonb_build_object('current_user', current_user, 'role', auth.role(), 'jwt', auth.jwt(),
                                'method', current_setting('request.method', true))
    $$;
    create function public.gw_whole(jsonb) returns jsonb language sql volatile as $$
      select jsonb_build_object('body', $1, 'batch', current_setting('request.headers', true)::jsonb -> 'x-batch')
    $$;
    create function public.gw_private() returns integer language sql stable as $$ select 1 $$;
    revoke execute on function public.gw_private() from public, anon, authenticated, service_role;
    grant execute on function public.gw_add(integer, integer), public.gw_nothing(integer), public.gw_echo(jsonb, text, timestamptz, text[]),
      public.gw_series(integer), public.gw_rows(integer), public.gw_pair_of(integer), public.gw_note(text),
      public.gw_note_then_fail(text), public.gw_raise(text), public.gw_whoami(), public.gw_whole(jsonb) to anon, authenticated, service_role;
    grant select, insert on public.gw_calls to anon, authenticated, service_role;
    grant usage on sequence public.gw_calls_id_seq to anon, authenticated, service_role;
  `);
});

afterAll(async () => {
  await stack?.close();
});

async function rpc(fn: string, args: unknown, key: string | null = stack.keys.serviceRole, init: RequestInit = {}) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (key) Object.assign(headers, { apikey: key, Authorization: `Bearer ${key}` });
  const res = await fetch(`${stack.supabaseUrl}/rest/v1/rpc/${fn}`, {
    method: "POST",
    body: typeof args === "string" ? args : JSON.stringify(args),
    ...init,
    headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

describe("authentication", () => {
  it("rejects a request without a key with PostgREST's 401 body", async () => {
    expect(await rpc("gw_add", { a: 1 }, null)).toEqual({
      status: 401,
      body: { code: "PGRST302", message: "Anonymous access is disabled", details: null, hint: expect.any(String) },
    });
  });

  it("rejects a JWT signed with another secret", async () => {
    const forged = signJwt({ role: "service_role" }, "not-the-stack-secret-not-the-stack-secret");
    expect(await rpc("gw_add", { a: 1 }, forged)).toEqual({
      status: 401,
      body: { code: "PGRST301", message: "JWSError JWSInvalidSignature", details: null, hint: null },
    });
  });

  it("rejects an expired JWT", async () => {
    const expired = signJwt({ role: "service_role", exp: Math.floor(Date.now() / 1000) - 60 }, stack.jwtSecret);
    expect(await rpc("gw_add", { a: 1 }, expired)).toMatchObject({ status: 401, body: { code: "PGRST301", message: "JWT expired" } });
  });

  it("takes the apikey header alone as the bearer", async () => {
    const res = await fetch(`${stack.supabaseUrl}/rest/v1/rpc/gw_whoami`, {
      method: "POST",
      headers: { apikey: stack.keys.serviceRole, "Content-Type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ current_user: "service_role", role: "service_role" });
  });

  it("switches to the JWT's role and exposes its claims to auth.jwt()", async () => {
    const { status, body } = await rpc("gw_whoami", {}, stack.keys.viewer);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      current_user: "authenticated",
      role: "authenticated",
      method: "POST",
      jwt: { sub: "00000000-0000-4000-8000-0000000000a1", app_metadata: { watermark_role: "viewer" } },
    });
    expect(await rpc("gw_whoami", {}, stack.keys.anon)).toMatchObject({ body: { current_user: "anon" } });
  });
});

describe("connection hygiene", () => {
  it("rolls back a request whose role claim names no role, so the pooled client stays usable", async () => {
    const unknownRole = signJwt({ role: "no_such_role" }, stack.jwtSecret);
    const bad = await rpc("gw_add", { a: 1 }, unknownRole);
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(bad.body)).toContain("no_such_role");
    // Enough concurrent calls to touch every pooled client: none may be stuck in the failed transaction.
    const after = await Promise.all(Array.from({ length: 16 }, (_, i) => rpc("gw_add", { a: i, b: 1 })));
    expect(after.map((r) => r.body)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });
});

describe("arguments", () => {
  it("passes named arguments cast to their declared types, defaults filling the rest", async () => {
    expect(await rpc("gw_add", { a: 1, b: 2 })).toEqual({ status: 200, body: 3 });
    expect(await rpc("gw_add", { a: "5" })).toEqual({ status: 200, body: 15 });
    expect(await rpc("gw_echo", { payload: { deep: [1, { x: null }] }, label: 7, at: "2026-01-02T03:04:05Z", tags: ["a", "b"] })).toEqual({
      status: 200,
      body: { payload: { deep: [1, { x: null }] }, label: "7", at: "2026-01-02T03:04:05+00:00", tags: ["a", "b"] },
    });
  });

  it("answers PGRST202 for an unknown function or argument set", async () => {
    expect(await rpc("gw_missing", {})).toEqual({
      status: 404,
      body: {
        code: "PGRST202",
        message: "Could not find the function public.gw_missing without parameters in the schema cache",
        details: expect.any(String),
        hint: null,
      },
    });
    expect(await rpc("gw_add", { a: 1, c: 2 })).toMatchObject({
      status: 404,
      body: {
        code: "PGRST202",
        message: "Could not find the function public.gw_add(a, c) in the schema cache",
        hint: expect.stringContaining("gw_add"),
      },
    });
    expect(await rpc("gw_add", { b: 1 })).toMatchObject({ status: 404, body: { code: "PGRST202" } });
  });

  it("rejects a value its type cannot take, and a body that is not a JSON object", async () => {
    expect(await rpc("gw_add", { a: "abc" })).toMatchObject({ status: 400, body: { code: "22P02" } });
    expect(await rpc("gw_add", "{not json")).toMatchObject({ status: 400, body: { code: "PGRST102" } });
    expect(await rpc("gw_add", [{ a: 1 }])).toMatchObject({ status: 400, body: { code: "PGRST102" } });
  });
});

describe("result shapes", () => {
  it("hands a function with a single unnamed jsonb parameter the whole body, whatever its keys, headers readable", async () => {
    const body = '{"data": [{"id": 1}], "rate_limit": {"remaining": 9}, "a": 1}';
    expect(await rpc("gw_whole", body, stack.keys.serviceRole, { headers: { "x-batch": "7" } })).toEqual({
      status: 200,
      body: { body: JSON.parse(body), batch: "7" },
    });
    // Postgres reads the body: one that is not JSON is its 22P02, a 400.
    expect(await rpc("gw_whole", '{"data": [', stack.keys.serviceRole)).toMatchObject({ status: 400, body: { code: "22P02" } });
  });

  it("returns scalars as JSON values, sets as arrays, composites as objects", async () => {
    expect(await rpc("gw_nothing", { a: 1 })).toEqual({ status: 200, body: null });
    expect(await rpc("gw_series", { n: 3 })).toEqual({ status: 200, body: [1, 2, 3] });
    expect(await rpc("gw_series", { n: 0 })).toEqual({ status: 200, body: [] });
    expect(await rpc("gw_rows", { n: 2 })).toEqual({
      status: 200,
      body: [
        { i: 1, label: "row 1" },
        { i: 2, label: "row 2" },
      ],
    });
    expect(await rpc("gw_pair_of", { v: 4 })).toEqual({ status: 200, body: { left_value: 4, right_value: "4" } });
  });

  it("answers 204 without a body for void functions, and commits their writes", async () => {
    expect(await rpc("gw_note", { note: "first" })).toEqual({ status: 204, body: undefined });
    expect(await stack.query("select note from public.gw_calls where note = 'first'")).toHaveLength(1);
  });

  it("returns one object for Accept: application/vnd.pgrst.object+json, else PGRST116", async () => {
    const single = { headers: { Accept: "application/vnd.pgrst.object+json" } };
    expect(await rpc("gw_rows", { n: 1 }, stack.keys.serviceRole, single)).toEqual({ status: 200, body: { i: 1, label: "row 1" } });
    expect(await rpc("gw_rows", { n: 2 }, stack.keys.serviceRole, single)).toMatchObject({ status: 406, body: { code: "PGRST116" } });
  });
});

describe("GET", () => {
  it("calls stable functions with query-string arguments", async () => {
    const res = await fetch(`${stack.supabaseUrl}/rest/v1/rpc/gw_rows?n=2`, { headers: { apikey: stack.keys.viewer } });
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveLength(2);
  });

  it("runs in a read-only transaction, so a writing function fails with 405", async () => {
    const res = await fetch(`${stack.supabaseUrl}/rest/v1/rpc/gw_note?note=via-get`, { headers: { apikey: stack.keys.serviceRole } });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ code: "25006" });
  });
});

describe("errors", () => {
  it("forwards code, message, details and hint, and rolls back the call's writes", async () => {
    expect(await rpc("gw_note_then_fail", { note: "rolled back" })).toEqual({
      status: 400,
      body: { code: "WM001", message: "note: rejected after writing", details: "the write must roll back", hint: "send another note" },
    });
    expect(await stack.query("select 1 from public.gw_calls where note = 'rolled back'")).toHaveLength(0);
  });

  it("maps SQLSTATEs to PostgREST's HTTP statuses", async () => {
    expect(await rpc("gw_raise", { message: "plain raise" })).toEqual({
      status: 400,
      body: { code: "P0001", message: "plain raise", details: null, hint: null },
    });
    await rpc("gw_note", { note: "twice" });
    expect(await rpc("gw_note", { note: "twice" })).toMatchObject({ status: 409, body: { code: "23505" } });
  });

  it("answers 401 to anon and 403 to signed-in roles without EXECUTE (42501)", async () => {
    expect(await rpc("gw_private", {}, stack.keys.anon)).toMatchObject({ status: 401, body: { code: "42501" } });
    expect(await rpc("gw_private", {}, stack.keys.user)).toMatchObject({ status: 403, body: { code: "42501" } });
    expect(await rpc("gw_private", {}, stack.keys.serviceRole)).toMatchObject({ status: 403, body: { code: "42501" } });
  });

  it("serves only the RPC and functions paths", async () => {
    const res = await fetch(`${stack.supabaseUrl}/rest/v1/gw_calls`, { headers: { apikey: stack.keys.serviceRole } });
    expect(res.status).toBe(404);
  });
});

describe("CORS", () => {
  it("answers browser preflights and marks responses readable from any origin", async () => {
    const preflight = await fetch(`${stack.supabaseUrl}/rest/v1/rpc/gw_add`, {
      method: "OPTIONS",
      headers: {
        Origin: "http://127.0.0.1:1",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "apikey, authorization, x-client-info",
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("apikey, authorization, x-client-info");
    const { status } = await rpc("gw_add", { a: 1 });
    expect(status).toBe(200);
    const res = await fetch(`${stack.supabaseUrl}/rest/v1/rpc/gw_add`, {
      method: "POST",
      headers: { apikey: stack.keys.serviceRole },
      body: '{"a": 1}',
    });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});
