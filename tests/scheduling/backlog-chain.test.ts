// Backlog-driven scheduling end to end, with no cron at all: a private database
// (pg_cron runs only in the stack's main one), the pg_net stand-in's worker on
// it, the collect bundle served by Deno against its gateway, a simulator. One
// manual invocation starts; every later run is a `backlog` invocation queued in
// the very transaction that ended the run before it (its requested_at is that
// run's finished_at), delivered by pg_net after commit, until no chunk needs work.
import { type Simulator, startSimulator } from "@watermark/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;
let sim: Simulator;

beforeAll(async () => {
  stack = await createTestStack("backlog-chain");
  sim = await startSimulator({ leagues: 2, seasonsPerLeague: 2, teamsPerLeague: 4, cups: 0 });
  await stack.serveFunction("collect", { env: { SPORTMONKS_API_KEY: sim.apiKey, SPORTMONKS_BASE_URL: sim.baseUrl } });
  await stack.query("select public.set_functions_base_url($1)", [`${stack.supabaseUrl}/functions/v1`]);
  await stack.query("select public.rotate_schedule_trigger_credential()");
  // One chunk per invocation: only chaining can collect the other chunks.
  await stack.query(`select public.configure_function_schedule('collect', '*/10 * * * *', true, '{"max_chunks": 1}')`);
  stack.startPgNetWorker();
}, 180_000);

afterAll(async () => {
  await sim?.close();
  await stack?.close();
});

interface Run {
  execution_id: string;
  trigger: string;
  status: string;
  invocation_trigger: string;
  requested_at: Date;
  finished_at: Date | null;
}

const runs = () =>
  stack.query<Run>(
    `select x.execution_id, x.trigger, x.status, i.trigger as invocation_trigger, i.requested_at, x.finished_at
       from watermark.etl_executions x
       join watermark.function_invocations i on 'invocation:' || i.id = x.correlation_id
      order by i.id`,
  );

describe("a run ending with backlog", () => {
  it("leads to the next invocation at once, without any cron tick, until no chunk needs work", { timeout: 300_000 }, async () => {
    expect(await stack.query("select to_regclass('cron.job') as job")).toEqual([{ job: null }]);
    await stack.query(`select public.request_function_invocation('collect', '{"max_chunks": 1}')`);

    const deadline = Date.now() + 270_000;
    for (;;) {
      const [state] = await stack.query<{ claimable: number; running: number; starting: number }>(
        `select watermark.count_claimable_chunks(100) as claimable, w.running, w.starting
           from watermark.collect_worker_counts(60) w`,
      );
      const [chunks] = await stack.query<{ n: number }>("select count(*)::integer as n from watermark.chunks");
      if (chunks?.n && state?.claimable === 0 && state.running === 0 && state.starting === 0) break;
      if (Date.now() > deadline) throw new Error(`the chain did not drain the backlog: ${JSON.stringify({ state, runs: await runs() })}`);
      await new Promise((r) => setTimeout(r, 500));
    }

    const all = await runs();
    const [first, ...chained] = all;
    expect(first).toMatchObject({ trigger: "manual", invocation_trigger: "manual", status: "COMPLETED" });
    // Four seasons, one chunk a run: at least three more runs, each labelled by what queued it.
    expect(chained.length).toBeGreaterThanOrEqual(3);
    for (const run of chained) expect(run).toMatchObject({ trigger: "backlog", invocation_trigger: "backlog", status: "COMPLETED" });
    // Queued in the transaction that finished the run before it: the same now().
    const finishedAt = new Set(all.map((r) => r.finished_at?.getTime()));
    for (const run of chained) expect(finishedAt.has(run.requested_at.getTime())).toBe(true);

    const [collected] = await stack.query<{ n: number }>(
      "select count(*)::integer as n from watermark.fixtures where collected_at is not null",
    );
    expect(collected?.n).toBe(sim.truth().fixtures.length);
    const [state] = await stack.query<{ decision: string }>("select decision from watermark.backlog_dispatch_state");
    expect(state?.decision).toBe("idle");
  });
});
