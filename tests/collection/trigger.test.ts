// One rule for an execution's trigger: watermark.invoke_function() records it
// in function_invocations and sends the same word in x-watermark-invocation-trigger;
// the collect function labels the execution with it. So an operator's
// request_function_invocation() is `manual` everywhere although it travels with
// pg_cron's credential, and a pg_cron job is `schedule` everywhere.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollectHandler } from "../../functions/collect/handler.ts";
import { type CollectionEnv, collectionEnv, LEAGUES_ONLY } from "./support.ts";

describe("the trigger of a function run", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    env = await collectionEnv("trigger", { seed: 3, leagues: 1, seasonsPerLeague: 1, teamsPerLeague: 4, ...LEAGUES_ONLY });
    await env.stack.query("select public.set_functions_base_url('http://127.0.0.1:9/functions/v1')");
    await env.stack.query("select public.rotate_schedule_trigger_credential()");
  });
  afterAll(async () => env?.close());

  let finished = 0;
  const handler = () =>
    createCollectHandler({
      onFinished: () => {
        finished++;
      },
      env: () => ({
        SUPABASE_URL: env.stack.supabaseUrl,
        SUPABASE_SERVICE_ROLE_KEY: env.stack.keys.serviceRole,
        SPORTMONKS_API_KEY: env.sim.apiKey,
        SPORTMONKS_BASE_URL: env.sim.baseUrl,
        // This test plays pg_net's worker itself (deliver below): the answers stream through the function.
        WATERMARK_FIXTURE_ANSWERS: "pipe",
      }),
    });

  /** Delivers what pg_net queued for an invocation to the collect handler, headers and body as sent. */
  async function deliver(invocationSql: string): Promise<{ invocation: string; trigger: string; executionTrigger: string }> {
    const [invoked] = await env.stack.query<{ id: string }>(`select (${invocationSql})::text as id`);
    const [queued] = await env.stack.query<{ id: string; headers: Record<string, string>; body: string }>(
      `select f.id::text, q.headers, convert_from(q.body, 'UTF8') as body
         from watermark.function_invocations f join net.http_request_queue q on q.id = f.request_id where f.id = $1`,
      [invoked?.id],
    );
    if (!queued) throw new Error("nothing queued");
    const ended = finished + 1;
    const response = await handler().fetch(
      new Request("http://localhost/functions/v1/collect", { method: "POST", headers: queued.headers, body: queued.body }),
    );
    const answer = (await response.json()) as { execution_id: string; trigger: string };
    expect(response.status, JSON.stringify(answer)).toBe(202);
    const [row] = await env.stack.query<{ trigger: string; invocation_trigger: string }>(
      `select e.trigger, (select f.trigger from watermark.function_invocations f where f.id = $2) as invocation_trigger
         from watermark.etl_executions e where e.execution_id = $1`,
      [answer.execution_id, queued.id],
    );
    expect(row?.trigger).toBe(row?.invocation_trigger);
    // Let the run end before the next test (or the stack) goes.
    for (const until = Date.now() + 60_000; finished < ended && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
    expect(finished).toBe(ended);
    return { invocation: row?.invocation_trigger ?? "", trigger: answer.trigger, executionTrigger: row?.trigger ?? "" };
  }

  it("an operator's request through pg_cron's credential is manual everywhere", async () => {
    const run = await deliver(`select public.request_function_invocation('collect', '{"max_chunks": 1, "time_budget_seconds": 20}')`);
    expect(run).toEqual({ invocation: "manual", trigger: "manual", executionTrigger: "manual" });
  });

  it("a pg_cron job's invocation is schedule everywhere", async () => {
    const run = await deliver(`select watermark.invoke_function('collect', '{"max_chunks": 1, "time_budget_seconds": 20}')`);
    expect(run).toEqual({ invocation: "schedule", trigger: "schedule", executionTrigger: "schedule" });
  });
});
