// The collect handler called directly (its `fetch`), against a private test
// stack and an in-process simulator: bad method, body, token and environment
// get the stable JSON errors; a valid call answers 202 with the execution id and
// the execution then finishes in the database.
import { type CollectResult, createCollectorDeps } from "@watermark/core/collector";
import { serviceEnvSchema } from "@watermark/core/config";
import type { EtlMonitor } from "@watermark/core/monitoring";
import { SPORTMONKS_MAX_MULTI_IDS } from "@watermark/core/sportmonks";
import { type Simulator, startSimulator } from "@watermark/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollectHandler } from "../../functions/collect/handler.ts";
import { collectBodySchema, collectEnvSchema } from "../../functions/collect/options.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;
let sim: Simulator;
let env: Record<string, string>;
const finished: CollectResult[] = [];

beforeAll(async () => {
  stack = await createTestStack("collect-function");
  // The function's fixtures/multi answers are fetched by Postgres through pg_net: a worker serves this test's database.
  stack.startPgNetWorker();
  sim = await startSimulator({ leagues: 2, seasonsPerLeague: 1, teamsPerLeague: 4 });
  env = {
    SUPABASE_URL: stack.supabaseUrl,
    SUPABASE_SERVICE_ROLE_KEY: stack.keys.serviceRole,
    SPORTMONKS_API_KEY: sim.apiKey,
    SPORTMONKS_BASE_URL: sim.baseUrl,
  };
});

afterAll(async () => {
  await sim?.close();
  await stack?.close();
});

const handler = () => createCollectHandler({ env: () => env, onFinished: (result) => finished.push(result) });

function post(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request("http://localhost/functions/v1/collect", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const asService = () => ({ Authorization: `Bearer ${stack.keys.serviceRole}` });

async function issueToken(name: string): Promise<string> {
  const [row] = await stack.query<{ token: string }>("select public.create_trigger_credential($1) as token", [name]);
  if (!row) throw new Error("no token");
  return row.token;
}

async function answer(response: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("collect function options", () => {
  it("extend the shared service environment and take the batch limit from the Sportmonks client", () => {
    for (const [name, field] of Object.entries(serviceEnvSchema.shape)) {
      expect(collectEnvSchema.shape[name as keyof typeof collectEnvSchema.shape]).toBe(field);
    }
    const body = collectBodySchema(150);
    expect(body.safeParse({ batch_size: SPORTMONKS_MAX_MULTI_IDS }).success).toBe(true);
    expect(body.safeParse({ batch_size: SPORTMONKS_MAX_MULTI_IDS + 1 }).success).toBe(false);
  });
});

describe("collect handler: stable errors", () => {
  it("answers 405 with Allow for anything but POST", async () => {
    const response = await handler().fetch(new Request("http://localhost/functions/v1/collect", { method: "GET" }));
    expect(response.headers.get("allow")).toBe("POST");
    expect(await answer(response)).toEqual({
      status: 405,
      body: { error: { code: "method_not_allowed", message: "GET is not allowed: use POST" } },
    });
  });

  it("answers 401 without a credential", async () => {
    expect(await answer(await handler().fetch(post({})))).toEqual({
      status: 401,
      body: {
        error: {
          code: "unauthorized",
          message: "send a trigger credential in x-watermark-trigger or the service role key as Authorization: Bearer",
        },
      },
    });
  });

  it("answers 401 for an unknown token, a revoked token and a non-service bearer", async () => {
    const revoked = await issueToken("revoked-one");
    await stack.query("select public.revoke_trigger_credential('revoked-one')");
    const unknownOrRevoked = { error: { code: "unauthorized", message: "the x-watermark-trigger credential is unknown or revoked" } };
    const h = handler();
    expect(await answer(await h.fetch(post({}, { "x-watermark-trigger": `wmt_${"0".repeat(64)}` })))).toEqual({
      status: 401,
      body: unknownOrRevoked,
    });
    expect(await answer(await h.fetch(post({}, { "x-watermark-trigger": revoked })))).toEqual({ status: 401, body: unknownOrRevoked });
    const anonBearer = await answer(await h.fetch(post({}, { Authorization: `Bearer ${stack.keys.anon}` })));
    expect(anonBearer.status).toBe(401);
  });

  it("answers 400 for a body that is not JSON or breaks the schema", async () => {
    const h = handler();
    expect(await answer(await h.fetch(post("{not json", asService())))).toEqual({
      status: 400,
      body: { error: { code: "invalid_json", message: "body: not valid JSON; send a JSON object such as {} or leave the body empty" } },
    });
    expect(await answer(await h.fetch(post({ batch_size: 51 }, asService())))).toEqual({
      status: 400,
      body: { error: { code: "invalid_body", message: "batch_size: must be at most 50 (fixtures/multi takes at most 50 ids)" } },
    });
    expect(await answer(await h.fetch(post({ time_budget_seconds: 150 }, asService())))).toEqual({
      status: 400,
      body: {
        error: {
          code: "invalid_body",
          message:
            "time_budget_seconds: must be at most 135: the function's wall clock is 150 s (WATERMARK_FUNCTION_WALL_CLOCK_SECONDS) minus 15 s to finish",
        },
      },
    });
    const unknown = await answer(await h.fetch(post({ league: 1 }, asService())));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: { code: "invalid_body" } });
    expect(String((unknown.body.error as { message: string }).message)).toContain("league");
    // A problem with the whole body (here an unknown key) names `body`.
    expect(String((unknown.body.error as { message: string }).message)).toMatch(/^body: /);
    expect(await answer(await h.fetch(post([], asService())))).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_body", message: expect.stringMatching(/^body: /) } },
    });
  });

  it("answers 500 server_misconfigured naming the variable, never its value", async () => {
    const broken = createCollectHandler({
      env: () => ({ ...env, SPORTMONKS_API_KEY: "", WATERMARK_FUNCTION_WALL_CLOCK_SECONDS: "900", WATERMARK_FIXTURE_ANSWERS: "both" }),
    });
    const { status, body } = await answer(await broken.fetch(post({}, asService())));
    expect(status).toBe(500);
    expect(body).toEqual({
      error: {
        code: "server_misconfigured",
        message:
          "the function is misconfigured: check SPORTMONKS_API_KEY, WATERMARK_FUNCTION_WALL_CLOCK_SECONDS, WATERMARK_FIXTURE_ANSWERS",
      },
    });
    expect(JSON.stringify(body)).not.toContain(stack.keys.serviceRole);
  });

  it("answers 500 internal_error without the unexpected error's text", async () => {
    const failing = createCollectHandler({
      env: () => env,
      deps: () => {
        throw new Error("connection string postgres://secret@db");
      },
    });
    const { status, body } = await answer(await failing.fetch(post({}, asService())));
    expect(status).toBe(500);
    expect(body).toEqual({ error: { code: "internal_error", message: "collect failed unexpectedly; see the function logs" } });
  });
});

describe("collect handler: a valid call", () => {
  it("answers 202 with the execution id, then the execution finishes with fixtures collected", async () => {
    const token = await issueToken("collect-test");
    const response = await handler().fetch(post({ max_chunks: 1, time_budget_seconds: 60 }, { "x-watermark-trigger": token }));
    const { status, body } = await answer(response);
    expect(status).toBe(202);
    expect(body).toMatchObject({ dry_run: false, time_budget_seconds: 60, trigger: "api" });
    const executionId = String(body.execution_id);
    expect(executionId).toMatch(/^etl_\d{8}_\d{6}_[0-9a-f]{6}$/);

    const [started] = await stack.query<{ status: string }>("select status from watermark.etl_executions where execution_id = $1", [
      executionId,
    ]);
    expect(started).toBeDefined();

    const result = await waitFor("the run to finish", async () => finished.find((r) => r.executionId === executionId));
    expect(result.status).toBe("COMPLETED");
    // By default the database fetched every answer (pg_net); none passed through the function.
    expect(result.fixtureAnswers).toBe("database");
    expect(result.counters.fixturesInserted).toBeGreaterThan(0);
    const [row] = await stack.query<{ status: string; processed_chunks: number; successful_fixtures: number }>(
      "select status, processed_chunks, successful_fixtures from watermark.etl_executions where execution_id = $1",
      [executionId],
    );
    expect(row?.status).toBe("COMPLETED");
    expect(row?.processed_chunks).toBe(1);
    const [stored] = await stack.query<{ n: number }>("select count(*)::integer as n from watermark.fixtures");
    expect(stored?.n).toBeGreaterThan(0);
    expect(stored?.n).toBe(row?.successful_fixtures);
    const [credential] = await stack.query<{ used: boolean }>(
      "select last_used_at is not null as used from watermark.trigger_credentials where name = 'collect-test'",
    );
    expect(credential?.used).toBe(true);
  });

  it("streams the answers through itself with WATERMARK_FIXTURE_ANSWERS=pipe", async () => {
    const piped = createCollectHandler({
      env: () => ({ ...env, WATERMARK_FIXTURE_ANSWERS: "pipe" }),
      onFinished: (result) => finished.push(result),
    });
    const { status, body } = await answer(await piped.fetch(post({ max_chunks: 1, time_budget_seconds: 60 }, asService())));
    expect(status).toBe(202);
    const result = await waitFor("the piped run to finish", async () => finished.find((r) => r.executionId === body.execution_id));
    expect(result.status).toBe("COMPLETED");
    expect(result.fixtureAnswers).toBe("pipe");
    expect(result.counters.fixturesInserted).toBeGreaterThan(0);
  });

  it("learns the execution id from the collector's onStarted, keeping the caller's own listener and the monitor untouched", async () => {
    const seen: string[] = [];
    let monitor: EtlMonitor | undefined;
    const withListener = createCollectHandler({
      env: () => env,
      onFinished: (result) => finished.push(result),
      deps: (e) => {
        const deps = createCollectorDeps({
          supabaseUrl: e.SUPABASE_URL,
          serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY,
          sportmonksApiKey: e.SPORTMONKS_API_KEY,
          sportmonksBaseUrl: e.SPORTMONKS_BASE_URL,
          console: { level: "off" },
        });
        monitor = deps.monitor;
        return { ...deps, onStarted: (id) => seen.push(id) };
      },
    });
    const { status, body } = await answer(await withListener.fetch(post({ max_chunks: 1, time_budget_seconds: 60 }, asService())));
    expect(status).toBe(202);
    const executionId = String(body.execution_id);
    expect(seen).toEqual([executionId]);
    expect(Object.hasOwn(monitor as object, "start")).toBe(false);
    await waitFor("the run to finish", async () => finished.find((r) => r.executionId === executionId));
  });

  it("answers a dry run at once with no execution id", async () => {
    const { status, body } = await answer(await handler().fetch(post({ dry_run: true, max_chunks: 1 }, asService())));
    expect(status).toBe(202);
    expect(body).toMatchObject({ execution_id: null, dry_run: true });
    const dry = await waitFor("the dry run to finish", async () => finished.find((r) => r.dryRun));
    expect(dry.executionId).toBeNull();
  });

  it("marks runs triggered by the schedule credential as scheduled, correlated to the invocation", async () => {
    await stack.query("select public.rotate_schedule_trigger_credential()");
    const [settings] = await stack.query<{ trigger_token: string }>("select trigger_token from watermark.function_settings");
    const response = await handler().fetch(
      post({ max_chunks: 1 }, { "x-watermark-trigger": settings?.trigger_token ?? "", "x-watermark-invocation-id": "42" }),
    );
    const { status, body } = await answer(response);
    expect(status).toBe(202);
    const executionId = String(body.execution_id);
    await waitFor("the run to finish", async () => finished.find((r) => r.executionId === executionId));
    const [row] = await stack.query<{ trigger: string; correlation_id: string }>(
      "select trigger, correlation_id from watermark.etl_executions where execution_id = $1",
      [executionId],
    );
    expect(row).toEqual({ trigger: "schedule", correlation_id: "invocation:42" });
  });
});
