// The platform bootstrap runs on every `stack up`; on an already-migrated database
// it must not bring back Supabase's open default grants that our migrations revoke.
import { spawnSync } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/local/paths.ts";
import { databaseUrl, loadState } from "../../scripts/local/state.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;

/** Runs scripts/local/bootstrap.sql on this test's database, as `stack up` does. */
function runBootstrap(authenticatorPassword: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(
    "psql",
    [
      stack.databaseUrl,
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-v",
      `authenticator_password=${authenticatorPassword}`,
      "-f",
      `${repoRoot}/scripts/local/bootstrap.sql`,
    ],
    { encoding: "utf8", env },
  );
}

beforeAll(async () => {
  stack = await createTestStack("bootstrap");
  const state = loadState();
  if (!state) throw new Error("the local stack is not running");
  // What a second `stack up` does to a migrated database.
  const res = runBootstrap(state.authenticatorPassword);
  if (res.status !== 0) throw new Error(res.stderr);
});

afterAll(async () => stack?.close());

describe("bootstrap on a migrated database", () => {
  it("leaves no default privilege in public for the API roles", async () => {
    const rows = await stack.query<{ acl: string }>(
      `select d.defaclacl::text as acl from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace
        where n.nspname = 'public' and d.defaclacl::text ~ '(anon|authenticated)='`,
    );
    expect(rows).toEqual([]);
  });

  it("keeps every public function closed to anon, including ones created afterwards", async () => {
    await stack.query("create function public.bootstrap_probe() returns integer language sql as $$ select 1 $$");
    const open = await stack.query<{ name: string }>(
      `select p.oid::regprocedure::text as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'public' and has_function_privilege('anon', p.oid, 'execute')`,
    );
    expect(open).toEqual([]);
  });

  it("refuses to run on a cluster that is not the local stack, changing nothing", async () => {
    const state = loadState();
    if (!state) throw new Error("the local stack is not running");
    // Another server lacks the marker the local cluster's postgresql.conf sets; override it for this session.
    const res = runBootstrap("x", { ...process.env, PGOPTIONS: "-c watermark.local_stack=off" });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain("bootstrap refused");
    // The password line after the guard never ran: the stack's authenticator still logs in.
    const client = new pg.Client({
      connectionString: databaseUrl(state, stack.database)
        .replace("postgres:", "authenticator:")
        .replace(state.dbPassword, state.authenticatorPassword),
    });
    await client.connect();
    await client.end();
  });
});
